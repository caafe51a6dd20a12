#!/usr/bin/env bash
# GPU benchmark of lsmi: the whole estimator (fit + decompose) at n = 1 000 000,
# d = 256, K = 32, C = 100 on wgpu, and on ndarray at a smaller size in the same
# run, printing samples/s for both and their ratio (examples/gpu_bench.rs).
#
#   benches/gpu.sh                                   # the sizes above
#   N=20000 BASELINE_N=2000 benches/gpu.sh           # smaller
#   FOLDS=1 BATCH=4096 EPOCHS=10 benches/gpu.sh      # one model set, GPU-sized batches
#
# Needs a Vulkan, Metal or DX12 driver: a real GPU, or Mesa's software Vulkan
# (apt-get install -y mesa-vulkan-drivers libvulkan1), which is correct but slow.
# At the crate's defaults (5 folds, batches of 512 and 256) the full size is about
# 2.5 million optimiser steps; FOLDS, BATCH and EPOCHS change that.
set -euo pipefail
cd "$(dirname "$0")/.."

export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
args=(
    --device "${DEVICE:-wgpu}"
    --n "${N:-1000000}"
    --dim "${D:-256}"
    --kernels "${K:-32}"
    --classes "${C:-100}"
    --folds "${FOLDS:-5}"
    --baseline-device "${BASELINE_DEVICE:-ndarray}"
    --baseline-n "${BASELINE_N:-5000}"
)
[[ -n "${BATCH:-}" ]] && args+=(--batch "$BATCH")
[[ -n "${EPOCHS:-}" ]] && args+=(--epochs "$EPOCHS")

cargo run --release --features wgpu,ndarray --example gpu_bench -- "${args[@]}"
