//! The figure of `docs/accuracy.md`: every sample's estimated `r` against its
//! exact value, on Setting B of the Gaussian family (`C = 2`, `d = 2`, one-hot
//! means, `σ = 0.5`, `ρ = 0.4`), `n = 20 000`, with the default estimator
//! (5-fold cross-fitting). Prints the RMSE and the Pearson correlation.
//!
//! `cargo run --release --all-features --example scatter_r` (needs the `plots`
//! feature) writes `docs/img/scatter_r.png`.

use std::error::Error;
use std::path::Path;

use lsmi::LsmiConfig;
use lsmi::burn::tensor::{Tensor, TensorData};
use lsmi::synthetic::GaussianFamily;

#[path = "support/plots.rs"]
mod plots;

fn main() -> Result<(), Box<dyn Error>> {
    let n = 20_000;
    let device = lsmi::default_device();
    let sample = GaussianFamily::setting_b(0.4).sample(n, 1)?;
    let labels = Tensor::from_data(TensorData::new(sample.labels.clone(), [n]), &device);
    let fitted =
        LsmiConfig::new(2).fit(sample.x1.tensor(&device), sample.x2.tensor(&device), labels)?;
    let estimated = fitted.interactions().to_host()?;
    let points: Vec<(f64, f64)> = sample
        .exact
        .r()
        .iter()
        .zip(estimated.r())
        .map(|(&exact, &estimate)| (exact, estimate))
        .collect();
    let mean = |f: &dyn Fn(&(f64, f64)) -> f64| points.iter().map(f).sum::<f64>() / n as f64;
    let (mx, my) = (mean(&|p| p.0), mean(&|p| p.1));
    let rmse = mean(&|p| (p.1 - p.0).powi(2)).sqrt();
    let cov = mean(&|p| (p.0 - mx) * (p.1 - my));
    let corr = cov / (mean(&|p| (p.0 - mx).powi(2)) * mean(&|p| (p.1 - my).powi(2))).sqrt();
    println!("Setting B, rho = 0.4, n = {n}: per-sample r, RMSE {rmse:.4} nats, Pearson {corr:.4}");
    plots::scatter(
        Path::new("docs/img/scatter_r.png"),
        &format!("Setting B (ρ = 0.4), n = {n}: RMSE {rmse:.3}, corr {corr:.3}"),
        ("exact r (nats)", "estimated r (nats)"),
        &points,
    )?;
    println!("wrote docs/img/scatter_r.png");
    Ok(())
}
