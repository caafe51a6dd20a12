//! The estimator against exact per-sample terms on the scale benchmark cases
//! (`lsmi::synthetic::ScaleCase`): many classes, high-dimensional embeddings, a
//! non-Gaussian warp.
//!
//! `cargo run --release --example scale_table -- [--n N] [--seeds S] [--cases a,b]
//! [--presets default,fixed,reference]`
//!
//! Defaults: n = 20 000, one seed, the authors' case `gaussian-c10-d10` and its
//! 64-D embedding, presets `default` (models chosen by held-out loss) and `fixed`, 5-fold cross-fitting. Per run it
//! prints the largest error of the raw and of the adjusted means `R, U1, U2, S,
//! I1, I2, I12` against the means of the exact terms of the same samples, the bias
//! of each mean term, corr(r, exact r), RMSE(r), the models chosen in fold 0 and
//! the fit time.

use std::time::Instant;

use lsmi::burn::tensor::{Int, Tensor, TensorData};
use lsmi::synthetic::ScaleCase;
use lsmi::{LsmiConfig, Summary};

fn main() -> lsmi::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let n: usize = value("--n").map_or(20_000, |v| v.parse().expect("--n takes an integer"));
    let seeds: u64 = value("--seeds").map_or(1, |v| v.parse().expect("--seeds takes an integer"));
    let cases = value("--cases").unwrap_or("gaussian-c10-d10,embedded-c10-d10-D64".into());
    let presets = value("--presets").unwrap_or("default,fixed".into());
    let threads: usize =
        value("--threads").map_or(0, |v| v.parse().expect("--threads takes an integer"));
    let device = lsmi::default_device();
    println!("n = {n}, 5-fold cross-fitting, device {device:?}\n");
    println!(
        "| case | preset | seed | max err raw | max err adjusted | bias i1, i2, i12 | bias h1, h2 | corr(r) | RMSE(r) | models (fold 0) | fit |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for name in cases.split(',') {
        let Some(case) = ScaleCase::find(name) else {
            eprintln!("unknown case {name}; the cases are:");
            for case in ScaleCase::table() {
                eprintln!("  {}", case.name);
            }
            std::process::exit(2);
        };
        for seed in 1..=seeds {
            let sample = case.sample(n, seed)?;
            let exact = sample.exact.summary()?;
            for preset in presets.split(',') {
                let config = match preset {
                    "default" => LsmiConfig::new(case.classes()),
                    "fixed" => LsmiConfig::fixed(case.classes()),
                    "reference" => LsmiConfig::reference(case.classes()),
                    other => panic!("unknown preset {other}"),
                }
                .with_seed(seed)
                .with_threads(threads);
                let labels = Tensor::<1, Int>::from_data(
                    TensorData::new(sample.labels.clone(), [n]),
                    &device,
                );
                let start = Instant::now();
                let fitted =
                    config.fit(sample.x1.tensor(&device), sample.x2.tensor(&device), labels)?;
                let host = fitted.interactions().to_host()?;
                let seconds = start.elapsed().as_secs_f64();
                let got = host.summary()?;
                let bias = |a: f64, b: f64| format!("{:+.3}", a - b);
                let (corr, rmse) = agreement(host.r(), sample.exact.r());
                println!(
                    "| {name} | {preset} | {seed} | {:.4} | {:.4} | {}, {}, {} | {}, {} | {corr:.3} | {rmse:.3} | {} | {seconds:.1} s |",
                    max_error(&got, &exact),
                    max_error(&got.adjusted(), &exact.adjusted()),
                    bias(got.i1, exact.i1),
                    bias(got.i2, exact.i2),
                    bias(got.i12, exact.i12),
                    bias(got.h1, exact.h1),
                    bias(got.h2, exact.h2),
                    fitted.models().descriptions()[0].join("; "),
                );
            }
        }
    }
    Ok(())
}

/// The largest error of the means `R, U1, U2, S, I1, I2, I12`.
fn max_error(a: &Summary, b: &Summary) -> f64 {
    [
        a.r - b.r,
        a.u1 - b.u1,
        a.u2 - b.u2,
        a.s - b.s,
        a.i1 - b.i1,
        a.i2 - b.i2,
        a.i12 - b.i12,
    ]
    .iter()
    .fold(0.0, |m, e| m.max(e.abs()))
}

/// Pearson correlation and RMSE of an estimate against the truth.
fn agreement(estimate: &[f64], truth: &[f64]) -> (f64, f64) {
    let n = truth.len() as f64;
    let (me, mt) = (
        estimate.iter().sum::<f64>() / n,
        truth.iter().sum::<f64>() / n,
    );
    let (mut cov, mut ve, mut vt, mut se) = (0.0, 0.0, 0.0, 0.0);
    for (e, t) in estimate.iter().zip(truth) {
        cov += (e - me) * (t - mt);
        ve += (e - me).powi(2);
        vt += (t - mt).powi(2);
        se += (e - t).powi(2);
    }
    (cov / (ve * vt).sqrt(), (se / n).sqrt())
}
