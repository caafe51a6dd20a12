//! KNIFE fit time per epoch against a plain burn matmul of the same flop count.
//!
//! `cargo bench --bench knife` (add `-- --quick` for the small sizes only)
//!
//! One epoch of full-covariance KNIFE does, per minibatch of `B` rows, one GEMM
//! `[B, d] × [d, K·d]` forward and two of the same size backward: about
//! `3 · n · K · d²` multiply-adds per epoch. The baseline runs exactly those three
//! GEMMs per minibatch with burn on the same device, so the ratio says how much
//! of the machine's matmul throughput the whole fit (softmax, logsumexp,
//! autodiff, Adam, shuffling) keeps.

use std::time::{Duration, Instant};

use lsmi::burn::tensor::{Device, Distribution, Tensor};
use lsmi::synthetic::CorrelatedGaussian;
use lsmi::{FitConfig, KnifeConfig};

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let device = lsmi::default_device();
    let batch = 512;
    println!("KNIFE fit, one epoch, batch {batch}, full covariance, on {device:?}\n");
    println!(
        "| n | d | K | GFLOP/epoch | fit epoch | matmul baseline | fit GFLOP/s | matmul GFLOP/s | fit / matmul throughput |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let sizes: &[usize] = if quick { &[10_000] } else { &[10_000, 100_000] };
    for &n in sizes {
        for d in [16, 64] {
            for k in [5, 32] {
                let flops = 3.0 * 2.0 * n as f64 * k as f64 * (d * d) as f64;
                let fit = fit_epoch(n, d, k, batch, &device);
                let matmul = matmul_epoch(n, d, k, batch, &device);
                let gflops = |t: Duration| flops / t.as_secs_f64() / 1e9;
                println!(
                    "| {n} | {d} | {k} | {:.2} | {:.3} s | {:.3} s | {:.1} | {:.1} | {:.0} % |",
                    flops / 1e9,
                    fit.as_secs_f64(),
                    matmul.as_secs_f64(),
                    gflops(fit),
                    gflops(matmul),
                    100.0 * matmul.as_secs_f64() / fit.as_secs_f64()
                );
            }
        }
    }
}

/// Wall time of the second epoch of a two-epoch fit (the first pays warm-up).
fn fit_epoch(n: usize, d: usize, k: usize, batch: usize, device: &Device) -> Duration {
    let x = CorrelatedGaussian::random(d, 10.0, 1)
        .sample(n, 2)
        .tensor(device);
    let config = KnifeConfig::new(d)
        .with_kernels(k)
        .with_fit(FitConfig::new().with_epochs(2).with_batch_size(batch));
    let mut ends = Vec::new();
    config
        .fit_with_progress(x, &mut |_| ends.push(Instant::now()))
        .expect("fit");
    ends[1] - ends[0]
}

/// Three `[batch, d] × [d, K·d]` GEMMs per minibatch over `n` rows.
fn matmul_epoch(n: usize, d: usize, k: usize, batch: usize, device: &Device) -> Duration {
    let x = Tensor::<2>::random([batch, d], Distribution::Default, device);
    let w = Tensor::<2>::random([d, k * d], Distribution::Default, device);
    let run = || {
        let mut acc = Tensor::<2>::zeros([1, 1], device);
        for _ in 0..n.div_ceil(batch) {
            for _ in 0..3 {
                acc = acc + x.clone().matmul(w.clone()).slice([0..1, 0..1]);
            }
        }
        acc.into_scalar::<f32>()
    };
    run(); // warm-up
    let start = Instant::now();
    std::hint::black_box(run());
    start.elapsed()
}
