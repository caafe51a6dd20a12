//! LSMI estimated from features against exact ground truth: the tables of
//! `docs/accuracy.md`.
//!
//! `cargo run --release --example accuracy`
//!
//! Options: `--n N` (default 20 000), `--only default|fixed|reference`,
//! `--cases a,b,gates` (default all three), `--terms` (also print the error of the
//! mean pointwise terms, to see where an error comes from).

use std::time::Instant;

use lsmi::burn::tensor::{Int, Tensor, TensorData};
use lsmi::synthetic::{Features, GateFeatures, GaussianFamily};
use lsmi::{Gate, Interactions, LsmiConfig, Summary};

/// One data set with its exact per-sample truth.
struct Case {
    name: String,
    classes: usize,
    x1: Features,
    x2: Features,
    labels: Vec<i64>,
    /// The exact terms and interactions of every sample.
    truth: Interactions<Vec<f64>>,
    /// Whether per-sample truth is the analytic value at these very features
    /// (Gaussians) or only the noise-free event's value (gates).
    pointwise: bool,
}

fn main() -> lsmi::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let option = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let n: usize = option("--n").map_or(20_000, |v| v.parse().expect("--n takes an integer"));
    let cases_wanted = option("--cases").unwrap_or_else(|| "a,b,gates".into());
    type Preset = fn(usize) -> LsmiConfig;
    let presets: Vec<(&str, Preset)> = match option("--only").as_deref() {
        Some("default") => vec![("default", LsmiConfig::new)],
        Some("fixed") => vec![("fixed", LsmiConfig::fixed)],
        Some("reference") => vec![("reference", LsmiConfig::reference)],
        _ => vec![
            ("default", LsmiConfig::new),
            ("fixed", LsmiConfig::fixed),
            ("reference", LsmiConfig::reference),
        ],
    };
    let device = lsmi::default_device();
    let cases = build_cases(&cases_wanted, n)?;

    println!("n = {n} per case, 5-fold cross-fitting, device {device:?}\n");
    println!("### Means (nats): estimated − exact, raw and adjusted\n");
    println!(
        "| case | preset | exact R, U1, U2, S | estimated R, U1, U2, S | max error raw | max error adjusted | wall time |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut pointwise_rows = Vec::new();
    let mut term_rows = Vec::new();
    for case in &cases {
        let exact = case.truth_summary();
        for (preset, config) in &presets {
            let start = Instant::now();
            let labels = Tensor::<1, Int>::from_data(
                TensorData::new(case.labels.clone(), [case.labels.len()]),
                &device,
            );
            let fitted = config(case.classes).fit(
                case.x1.tensor(&device),
                case.x2.tensor(&device),
                labels,
            )?;
            let seconds = start.elapsed().as_secs_f64();
            let estimated = fitted.interactions().summary()?;
            println!(
                "| {} | {preset} | {} | {} | {:.4} | {:.4} | {seconds:.1} s |",
                case.name,
                four(&exact),
                four(&estimated),
                max_error(&estimated, &exact),
                max_error(&estimated.adjusted(), &exact.adjusted()),
            );
            if case.pointwise {
                term_rows.push(format!(
                    "| {} | {preset} | {:+.4} | {:+.4} | {:+.4} | {:+.4} | {:+.4} |",
                    case.name,
                    estimated.i1 - exact.i1,
                    estimated.i2 - exact.i2,
                    estimated.i12 - exact.i12,
                    estimated.h1 - exact.h1,
                    estimated.h2 - exact.h2,
                ));
                let host = fitted.interactions().to_host()?;
                pointwise_rows.push(pointwise_row(case, preset, &host));
            }
        }
    }
    println!(
        "\n### Per sample (Gaussian settings): RMSE and Pearson correlation against the analytic values\n"
    );
    println!(
        "| case | preset | RMSE r | RMSE u1 | RMSE u2 | RMSE s | corr r | corr u1 | corr u2 | corr s |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for row in pointwise_rows {
        println!("{row}");
    }
    if args.iter().any(|a| a == "--terms") {
        println!("\n### Mean pointwise terms (Gaussian settings): estimated − exact, nats\n");
        println!("| case | preset | I1 | I2 | I12 | H1 | H2 |");
        println!("|---|---|---|---|---|---|---|");
        for row in term_rows {
            println!("{row}");
        }
    }
    Ok(())
}

impl Case {
    fn truth_summary(&self) -> Summary {
        self.truth.summary().expect("every case has samples")
    }
}

fn build_cases(wanted: &str, n: usize) -> lsmi::Result<Vec<Case>> {
    let mut cases = Vec::new();
    let rhos = [-0.8, -0.4, 0.0, 0.4, 0.8];
    for (key, label, make) in [
        (
            "a",
            "A",
            GaussianFamily::setting_a as fn(f64) -> GaussianFamily,
        ),
        ("b", "B", GaussianFamily::setting_b),
    ] {
        if !wanted.split(',').any(|w| w == key) {
            continue;
        }
        for rho in rhos {
            let family = make(rho);
            let sample = family.sample(n, 1000 + (rho * 10.0) as u64)?;
            cases.push(Case {
                name: format!("Setting {label}, ρ = {rho:+.1}"),
                classes: family.classes,
                truth: sample.exact,
                x1: sample.x1,
                x2: sample.x2,
                labels: sample.labels,
                pointwise: true,
            });
        }
    }
    if wanted.split(',').any(|w| w == "gates") {
        for gate in [Gate::Xor, Gate::Or, Gate::And, Gate::XorNot] {
            let sample = GateFeatures::new(gate, 8, 0.2).sample(n, 7)?;
            cases.push(Case {
                name: format!("{} gate, d = 8, noise 0.2", gate.name()),
                classes: gate.num_classes(),
                x1: sample.x1,
                x2: sample.x2,
                labels: sample.labels,
                truth: sample.exact,
                pointwise: false,
            });
        }
    }
    Ok(cases)
}

fn four(s: &Summary) -> String {
    format!("{:.4}, {:.4}, {:.4}, {:.4}", s.r, s.u1, s.u2, s.s)
}

fn max_error(a: &Summary, b: &Summary) -> f64 {
    [a.r - b.r, a.u1 - b.u1, a.u2 - b.u2, a.s - b.s]
        .iter()
        .fold(0.0, |m, e| m.max(e.abs()))
}

fn pointwise_row(case: &Case, preset: &str, host: &Interactions<Vec<f64>>) -> String {
    let columns = [
        (host.r(), case.truth.r()),
        (host.u1(), case.truth.u1()),
        (host.u2(), case.truth.u2()),
        (host.s(), case.truth.s()),
    ];
    let rmse: Vec<String> = columns
        .iter()
        .map(|(e, t)| format!("{:.4}", rmse(e, t)))
        .collect();
    let corr: Vec<String> = columns
        .iter()
        .map(|(e, t)| format!("{:.3}", pearson(e, t)))
        .collect();
    format!(
        "| {} | {preset} | {} | {} |",
        case.name,
        rmse.join(" | "),
        corr.join(" | ")
    )
}

fn rmse(estimate: &[f64], truth: &[f64]) -> f64 {
    let sum: f64 = estimate
        .iter()
        .zip(truth)
        .map(|(e, t)| (e - t).powi(2))
        .sum();
    (sum / truth.len() as f64).sqrt()
}

fn pearson(estimate: &[f64], truth: &[f64]) -> f64 {
    let n = truth.len() as f64;
    let me = estimate.iter().sum::<f64>() / n;
    let mt = truth.iter().sum::<f64>() / n;
    let (mut cov, mut ve, mut vt) = (0.0, 0.0, 0.0);
    for (e, t) in estimate.iter().zip(truth) {
        let (de, dt) = (e - me, t - mt);
        cov += de * dt;
        ve += de * de;
        vt += dt * dt;
    }
    cov / (ve * vt).sqrt()
}
