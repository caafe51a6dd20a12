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
# At the crate's defaults the full size is about 2.03 million optimiser steps: 5 folds
# of 800 000 training rows; two KNIFE models at ceil(800 000 / 512) x 40 epochs = 62 520
# steps each, three classifiers at ceil(800 000 / 256) x 30 epochs = 93 750 steps each
# (406 290 per fold). FOLDS, BATCH and EPOCHS change that.
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
