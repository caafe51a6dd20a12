//! EM with the held-out mixture search against the Adam default, on a 10-class
//! Gaussian mixture in 10-D and the same mixture mapped linearly into 64-D
//! (the figures of `docs/entropy.md`).
//!
//! `cargo run --release --all-features --example em_search`

use std::time::Instant;

use lsmi::MixtureSearch;
use lsmi::SeededRng;
use lsmi::synthetic::{Features, IsotropicMixture};
use lsmi::{Entropy, KnifeConfig};

/// Ten equally likely unit-variance classes in 10-D, means `2.5·N(0, I)`.
fn ten_classes() -> IsotropicMixture {
    let mut rng = SeededRng::new(42);
    IsotropicMixture {
        means: (0..10)
            .map(|_| (0..10).map(|_| 2.5 * rng.normal()).collect())
            .collect(),
        weights: vec![0.1; 10],
        sigma: 1.0,
    }
}

const WIDE: usize = 64;
const NOISE: f64 = 0.01;

/// `W`, `10 × 64`, entries `N(0, 1/10)`.
fn embedding() -> Vec<f64> {
    let mut rng = SeededRng::new(7);
    (0..10 * WIDE)
        .map(|_| rng.normal() / 10f64.sqrt())
        .collect()
}

/// `y = x·W + N(0, NOISE² I)` for the rows of `x`.
fn embed(x: &Features, w: &[f64], seed: u64) -> Features {
    let mut rng = SeededRng::new(seed);
    let values = (0..x.rows)
        .flat_map(|i| {
            let row = x.row(i);
            (0..WIDE)
                .map(|j| {
                    let dot: f64 = (0..10).map(|l| f64::from(row[l]) * w[l * WIDE + j]).sum();
                    (dot + NOISE * rng.normal()) as f32
                })
                .collect::<Vec<_>>()
        })
        .collect();
    Features {
        values,
        rows: x.rows,
        cols: WIDE,
    }
}

/// Exact `−ln p(y)` per row: each class is `N(m W, WᵀW + NOISE² I)`.
fn embedded_surprisal(mixture: &IsotropicMixture, w: &[f64], y: &Features) -> Vec<f64> {
    let d = WIDE;
    let mut cov = vec![0.0; d * d];
    for a in 0..d {
        for b in 0..d {
            let wtw: f64 = (0..10).map(|l| w[l * d + a] * w[l * d + b]).sum();
            cov[a * d + b] = wtw + if a == b { NOISE * NOISE } else { 0.0 };
        }
    }
    let mut c = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..=i {
            let s: f64 = (0..j).map(|l| c[i * d + l] * c[j * d + l]).sum();
            c[i * d + j] = if i == j {
                (cov[i * d + i] - s).sqrt()
            } else {
                (cov[i * d + j] - s) / c[j * d + j]
            };
        }
    }
    let constant = 0.5 * d as f64 * std::f64::consts::TAU.ln()
        + (0..d).map(|i| c[i * d + i].ln()).sum::<f64>();
    let means: Vec<Vec<f64>> = mixture
        .means
        .iter()
        .map(|m| {
            (0..d)
                .map(|j| (0..10).map(|l| m[l] * w[l * d + j]).sum())
                .collect()
        })
        .collect();
    (0..y.rows)
        .map(|i| {
            let row = y.row(i);
            let terms: Vec<f64> = means
                .iter()
                .zip(&mixture.weights)
                .map(|(m, pi)| {
                    let mut v = vec![0.0; d];
                    for a in 0..d {
                        let s: f64 = (0..a).map(|l| c[a * d + l] * v[l]).sum();
                        v[a] = (f64::from(row[a]) - m[a] - s) / c[a * d + a];
                    }
                    pi.ln() - constant - 0.5 * v.iter().map(|t| t * t).sum::<f64>()
                })
                .collect();
            let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            -(max + terms.iter().map(|t| (t - max).exp()).sum::<f64>().ln())
        })
        .collect()
}

fn main() -> lsmi::Result<()> {
    let device = lsmi::default_device();
    let mixture = ten_classes();
    let (train, _) = mixture.sample(16_000, 1);
    let (test, _) = mixture.sample(10_000, 2);
    let w = embedding();
    let (wide_train, wide_test) = (embed(&train, &w, 11), embed(&test, &w, 12));
    let cases = [
        (
            "10-class mixture, d = 10",
            &train,
            &test,
            (0..test.rows)
                .map(|i| mixture.surprisal(test.row(i)))
                .sum::<f64>()
                / test.rows as f64,
        ),
        (
            "same, mapped to d = 64 (x·W + N(0, 0.01²))",
            &wide_train,
            &wide_test,
            embedded_surprisal(&mixture, &w, &wide_test)
                .iter()
                .sum::<f64>()
                / wide_test.rows as f64,
        ),
    ];
    println!("| case | exact mean −ln p | model | held-out mean ĥ | excess | fit time |");
    println!("|---|---|---|---|---|---|");
    let mut details = Vec::new();
    for (name, train, test, exact) in cases {
        let start = Instant::now();
        let (adam, _) = KnifeConfig::new(train.cols).fit(train.tensor(&device))?;
        let adam_time = start.elapsed();
        let adam_h = adam.entropy(test.tensor(&device))?;
        println!(
            "| {name} | {exact:.3} | Adam default (K = 4 full) | {adam_h:.3} | {:+.3} | {:.1} s |",
            adam_h - exact,
            adam_time.as_secs_f64()
        );
        let start = Instant::now();
        let (em, choice) = MixtureSearch::new().fit(train.tensor(&device))?;
        let em_time = start.elapsed();
        let em_h = em.entropy(test.tensor(&device))?;
        println!(
            "| {name} | {exact:.3} | EM + search ({}) | {em_h:.3} | {:+.3} | {:.1} s |",
            choice.description,
            em_h - exact,
            em_time.as_secs_f64()
        );
        details.push((name, choice));
    }
    for (name, choice) in details {
        println!(
            "\n{name}: candidates (held-out mean −ln q on the 20 % split, EM iterations, time)\n"
        );
        println!("| K | covariance | rank | held-out NLL | iterations | time |");
        println!("|---|---|---|---|---|---|");
        for c in &choice.candidates {
            println!(
                "| {} | {:?} | {} | {:.3} | {}{} | {:.2} s |",
                c.kernels,
                c.covariance,
                c.rank.map_or("all".to_string(), |r| r.to_string()),
                c.holdout_nll,
                c.iterations,
                if c.converged { "" } else { " (max)" },
                c.wall_time.as_secs_f64()
            );
        }
        println!(
            "\nchosen: {}, refit on all rows in {} iterations, search + refit {:.1} s",
            choice.description,
            choice.refit_iterations,
            choice.wall_time.as_secs_f64()
        );
    }
    Ok(())
}
