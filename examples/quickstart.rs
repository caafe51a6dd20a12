//! The crate's main job on built-in data: per-sample LSMI on the authors' demo
//! distribution (Setting B: `C = 2`, `d = 2`, one-hot means, `σ = 0.5`, `ρ = 0.5`;
//! n = 20 000), estimated from features alone with cross-fitting, against the
//! exact values.
//!
//! `cargo run --release --example quickstart`

use std::time::Instant;

use lsmi::synthetic::GaussianFamily;
use lsmi::{LsmiConfig, Summary};

fn main() -> lsmi::Result<()> {
    let start = Instant::now();
    let device = lsmi::default_device();
    let family = GaussianFamily::setting_b(0.5);
    let data = family.sample(20_000, 42)?;
    let labels = lsmi::burn::tensor::Tensor::<1, lsmi::burn::tensor::Int>::from_data(
        lsmi::burn::tensor::TensorData::new(data.labels.clone(), [data.labels.len()]),
        &device,
    );
    println!(
        "Setting B (C = 2, d = 2, σ = 0.5, ρ = 0.5), n = {}, on {device:?}",
        data.labels.len()
    );
    let fitted = LsmiConfig::new(family.classes).fit(
        data.x1.tensor(&device),
        data.x2.tensor(&device),
        labels.clone(),
    )?;
    let estimated = fitted.interactions().summary()?;
    let exact = data.exact.summary()?;
    println!("\nMeans in nats (exact: the analytic pointwise values of the same samples)\n");
    println!(
        "{:<10} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "", "R", "U1", "U2", "S", "I(X1,X2;Y)"
    );
    print_row("estimated", &estimated);
    print_row("exact", &exact);
    print_row("adj. est.", &estimated.adjusted());
    print_row("adj. exact", &exact.adjusted());

    println!("\nClasses ranked by each interaction (per-class means, estimated)\n");
    let per_class = fitted.interactions().per_class(&labels, family.classes)?;
    for (name, value) in [
        ("R", (|s: &Summary| s.r) as fn(&Summary) -> f64),
        ("U1", |s| s.u1),
        ("U2", |s| s.u2),
        ("S", |s| s.s),
    ] {
        let mut ranked: Vec<_> = per_class
            .iter()
            .map(|c| (c.class, value(&c.summary)))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        let cells: Vec<String> = ranked
            .iter()
            .map(|(c, v)| format!("class {c}: {v:.4}"))
            .collect();
        println!("{name:<3} {}", cells.join("  >  "));
    }
    println!(
        "\nFit (5-fold cross-fitting, 25 models) and scoring took {:.1?}.",
        start.elapsed()
    );
    Ok(())
}

fn print_row(label: &str, s: &Summary) {
    println!(
        "{label:<10} {:>9.4} {:>9.4} {:>9.4} {:>9.4} {:>9.4}",
        s.r, s.u1, s.u2, s.s, s.i12
    );
}
