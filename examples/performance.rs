//! End-to-end wall time of `LsmiConfig::fit` (two KNIFE models, three classifiers,
//! scoring and decomposition) for the sizes of `docs/performance.md`.
//!
//! `cargo run --release --example performance` (add `--quick` for n ≤ 20 000, or
//! `--n N` for one size)
//!
//! Data: the Gaussian family of the authors' demo generator with `C` classes,
//! one-hot means, `σ = 1`, `ρ = 0.5`, in `d` dimensions per modality.
//!
//! `cargo run --release --example performance -- --targets` times the default
//! preset (5-fold cross-fitting, models chosen by held-out loss) on the scale
//! cases of the time targets, beside the authors' PyTorch pipeline timed on the
//! same rows on this kind of 2-core machine (in-sample, one 80 % split);
//! `--only 1,3` times some of them.

use std::time::Instant;

use lsmi::LsmiConfig;
use lsmi::burn::tensor::{Int, Tensor, TensorData};
use lsmi::synthetic::{ClassMeans, GaussianFamily};

/// The timed cases: scale case, rows, target (s), the authors' time (s).
const TARGETS: [(&str, usize, Option<f64>, Option<&str>); 4] = [
    (
        "gaussian-c10-d10",
        20_000,
        Some(10.0),
        Some("145 s (95 s on a quieter day)"),
    ),
    (
        "embedded-c10-d10-D64",
        20_000,
        None,
        Some("243 s (174 s on a quieter day)"),
    ),
    ("gaussian-c10-d10", 100_000, Some(40.0), None),
    ("embedded-c100-d64-D256", 20_000, None, None),
];

/// The default preset on the cases of [`TARGETS`] (those numbered in `only`,
/// 1-based, if given).
fn targets(device: &lsmi::burn::tensor::Device, only: Option<Vec<usize>>) -> lsmi::Result<()> {
    println!(
        "| case | n | fit (5-fold, default) | target | authors (in-sample) | models (fold 0) |"
    );
    println!("|---|---|---|---|---|---|");
    for (index, (name, n, target, authors)) in TARGETS.into_iter().enumerate() {
        if only.as_ref().is_some_and(|o| !o.contains(&(index + 1))) {
            continue;
        }
        let case = lsmi::synthetic::ScaleCase::find(name).expect("a scale case");
        let sample = case.sample(n, 1)?;
        let labels = Tensor::<1, Int>::from_data(TensorData::new(sample.labels, [n]), device);
        let start = Instant::now();
        let fitted = LsmiConfig::new(case.classes()).with_seed(1).fit(
            sample.x1.tensor(device),
            sample.x2.tensor(device),
            labels,
        )?;
        fitted.interactions().summary()?;
        let seconds = start.elapsed().as_secs_f64();
        let verdict = match target {
            Some(t) if seconds <= t => format!("≤ {t} s: met"),
            Some(t) => format!("≤ {t} s: missed by {:.1} s", seconds - t),
            None => "reported".to_string(),
        };
        println!(
            "| {name} | {n} | {seconds:.1} s | {verdict} | {} | {} |",
            authors.unwrap_or("—"),
            fitted.models().descriptions()[0].join("; ")
        );
    }
    Ok(())
}

fn main() -> lsmi::Result<()> {
    let quick = std::env::args().any(|a| a == "--quick");
    let device = lsmi::default_device();
    if std::env::args().any(|a| a == "--targets") {
        let args: Vec<String> = std::env::args().collect();
        let only = args
            .iter()
            .position(|a| a == "--only")
            .and_then(|i| args.get(i + 1))
            .map(|v| {
                v.split(',')
                    .map(|k| k.parse().expect("--only takes 1,2,…"))
                    .collect()
            });
        return targets(&device, only);
    }
    println!("device {device:?}\n");
    println!("| n | d | C | preset | scoring | models fitted | wall time | samples/s |");
    println!("|---|---|---|---|---|---|---|---|");
    let args: Vec<String> = std::env::args().collect();
    let one_size = args
        .iter()
        .position(|a| a == "--n")
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse::<usize>().expect("--n takes an integer"));
    let sizes: Vec<usize> = match (one_size, quick) {
        (Some(n), _) => vec![n],
        (None, true) => vec![2_000, 20_000],
        (None, false) => vec![2_000, 20_000, 100_000],
    };
    for n in sizes {
        for d in [10, 64] {
            for classes in [2, 10] {
                let mut runs = vec![("default", LsmiConfig::new(classes))];
                // The authors' figures are for C = d = 10 with one model set:
                // compare the same sizes in-sample and cross-fitted.
                if d == 10 && classes == 10 && n <= 20_000 {
                    runs.push(("default", LsmiConfig::new(classes).with_in_sample(true)));
                    runs.push((
                        "reference",
                        LsmiConfig::reference(classes).with_in_sample(true),
                    ));
                }
                // The authors' preset, cross-fitted, where it takes minutes, not hours.
                if n <= 2_000 || (d == 10 && classes == 10 && n <= 20_000) {
                    runs.push(("reference", LsmiConfig::reference(classes)));
                }
                for (preset, config) in runs {
                    time_fit(n, d, classes, preset, &config, &device)?;
                }
            }
        }
    }
    Ok(())
}

fn time_fit(
    n: usize,
    d: usize,
    classes: usize,
    preset: &str,
    config: &LsmiConfig,
    device: &lsmi::burn::tensor::Device,
) -> lsmi::Result<()> {
    let family = GaussianFamily::new(classes, d, 1.0, 0.5, ClassMeans::OneHot);
    let sample = family.sample(n, 3)?;
    let labels = Tensor::<1, Int>::from_data(TensorData::new(sample.labels, [n]), device);
    let start = Instant::now();
    let fitted = config.fit(sample.x1.tensor(device), sample.x2.tensor(device), labels)?;
    fitted.interactions().summary()?; // include reading the results back
    let seconds = start.elapsed().as_secs_f64();
    let (scoring, sets) = match config.in_sample {
        true => ("in-sample".to_string(), 1),
        false => (format!("{}-fold cross-fit", config.folds), config.folds),
    };
    println!(
        "| {n} | {d} | {classes} | {preset} | {scoring} | {} | {seconds:.1} s | {:.0} |",
        5 * sets,
        n as f64 / seconds
    );
    Ok(())
}
