//! KNIFE against closed forms: our default configuration and the authors'
//! preset side by side (the tables of `docs/entropy.md`).
//!
//! `cargo run --release --example entropy_accuracy`
//!
//! Options (to explore other settings): `--kernels K --epochs E --lr LR --batch B
//! --covariance full|diagonal --only default|reference`.

use std::time::Instant;

use lsmi::synthetic::{CorrelatedGaussian, Features, IsotropicMixture};
use lsmi::{Covariance, Entropy, KnifeConfig};

fn main() -> lsmi::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let option = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let ours = |dim: usize| {
        let mut config = KnifeConfig::new(dim);
        if let Some(k) = option("--kernels") {
            config.kernels = k.parse().expect("--kernels takes an integer");
        }
        if let Some(e) = option("--epochs") {
            config.fit.epochs = e.parse().expect("--epochs takes an integer");
        }
        if let Some(lr) = option("--lr") {
            config.fit.learning_rate = lr.parse().expect("--lr takes a number");
        }
        if let Some(b) = option("--batch") {
            config.fit.batch_size = b.parse().expect("--batch takes an integer");
        }
        if let Some(step) = option("--step") {
            config.fit.lr_step_epochs = step.parse().expect("--step takes an integer");
        }
        if let Some(h) = option("--holdout") {
            config.fit.holdout_fraction = h.parse().expect("--holdout takes a number");
        }
        if let Some(p) = option("--patience") {
            config.fit.patience = p.parse().expect("--patience takes an integer");
        }
        if option("--covariance").as_deref() == Some("diagonal") {
            config.covariance = Covariance::Diagonal;
        }
        config
    };
    type Preset<'a> = Box<dyn Fn(usize) -> KnifeConfig + 'a>;
    let presets: Vec<(&str, Preset)> = match option("--only").as_deref() {
        Some("default") => vec![("default", Box::new(ours))],
        Some("reference") => vec![("reference", Box::new(KnifeConfig::reference))],
        _ => vec![
            ("default", Box::new(ours)),
            ("reference", Box::new(KnifeConfig::reference)),
        ],
    };
    let device = lsmi::default_device();
    let mut monte_carlo = Vec::new();
    println!("| case | target | preset | estimate | error | bound | fit time |");
    println!("|---|---|---|---|---|---|---|");
    for dim in [2, 8, 32] {
        let gaussian = CorrelatedGaussian::random(dim, 10.0, 100 + dim as u64);
        let (train, test) = (gaussian.sample(20_000, 1), gaussian.sample(50_000, 2));
        let mc: f64 = (0..test.rows)
            .map(|i| gaussian.surprisal(test.row(i)))
            .sum::<f64>()
            / test.rows as f64;
        monte_carlo.push((dim, mc, gaussian.entropy()));
        for (name, preset) in &presets {
            let start = Instant::now();
            let estimate = held_out_mean(&preset(dim), &train, &test, &device)?;
            row(
                &format!("Gaussian d = {dim}: mean ĥ vs H"),
                gaussian.entropy(),
                name,
                estimate,
                (estimate - gaussian.entropy()).abs(),
                0.05 + 0.005 * dim as f64,
                start,
            );
        }
    }
    let mixture = IsotropicMixture {
        means: vec![vec![-4.0, 0.0], vec![4.0, 1.0]],
        weights: vec![0.3, 0.7],
        sigma: 1.0,
    };
    let ((train, _), (test, _)) = (mixture.sample(20_000, 5), mixture.sample(5_000, 6));
    let truth: Vec<f64> = (0..test.rows)
        .map(|i| mixture.surprisal(test.row(i)))
        .collect();
    for (name, preset) in &presets {
        let start = Instant::now();
        let (model, _) = preset(2).fit(train.tensor(&device))?;
        let estimate = model
            .pointwise_entropy(test.tensor(&device))?
            .try_into_vec_as::<f32>()
            .expect("readable");
        let mse = truth
            .iter()
            .zip(&estimate)
            .map(|(t, e)| (f64::from(*e) - t).powi(2))
            .sum::<f64>()
            / truth.len() as f64;
        let mean_truth = truth.iter().sum::<f64>() / truth.len() as f64;
        row(
            "2-D two-Gaussian mixture: pointwise RMSE of ĥ(x)",
            mean_truth,
            name,
            mse.sqrt(),
            mse.sqrt(),
            0.1,
            start,
        );
    }
    let dim = 8;
    let gaussian = CorrelatedGaussian::random(dim, 10.0, 9);
    let (train, test) = (gaussian.sample(20_000, 1), gaussian.sample(5_000, 2));
    let expected = dim as f64 * 10f64.ln();
    for (name, preset) in &presets {
        let start = Instant::now();
        let base = held_out_mean(&preset(dim), &train, &test, &device)?;
        let scaled = held_out_mean(
            &preset(dim),
            &train.scaled(10.0),
            &test.scaled(10.0),
            &device,
        )?;
        row(
            "scale: ĥ(10·x) − ĥ(x) vs d·ln 10, d = 8",
            expected,
            name,
            scaled - base,
            (scaled - base - expected).abs(),
            0.02 * dim as f64,
            start,
        );
    }
    println!("\nThe held-out Gaussian rows themselves: mean of the true −ln p(x) vs H");
    println!("(the part of each error above that is sampling noise of the 50 000 test rows).\n");
    println!("| d | mean true −ln p(x) on the test rows | H | difference |");
    println!("|---|---|---|---|");
    for (dim, mc, entropy) in monte_carlo {
        println!("| {dim} | {mc:.4} | {entropy:.4} | {:.4} |", mc - entropy);
    }
    Ok(())
}

fn held_out_mean(
    config: &KnifeConfig,
    train: &Features,
    test: &Features,
    device: &lsmi::burn::tensor::Device,
) -> lsmi::Result<f64> {
    let (model, _) = config.fit(train.tensor(device))?;
    model.entropy(test.tensor(device))
}

fn row(
    case: &str,
    target: f64,
    preset: &str,
    estimate: f64,
    error: f64,
    bound: f64,
    start: Instant,
) {
    let verdict = if error <= bound { "" } else { " ✗" };
    println!(
        "| {case} | {target:.4} | {preset} | {estimate:.4} | {error:.4}{verdict} | {bound:.3} | {:.1} s |",
        start.elapsed().as_secs_f64()
    );
}
