//! Reading distribution shift from the interactions: in-distribution rows against
//! shifted ones, scored by models fitted in distribution.
//!
//! `cargo run --release --example shift`
//!
//! Data with known structure (seed 31): a three-class Gaussian family (one-hot
//! means in 3-D per modality, `σ = 0.6`, `ρ = 0.3`). LSMI (default
//! configuration) is fitted on 4 000 in-distribution rows. 3 000 fresh rows are
//! then scored with [`lsmi::LsmiModels::transform`] (labelled, as the paper's
//! Table 9) and with the label-free posterior expectation
//! ([`lsmi::LsmiModels::candidates`], [`lsmi::CandidateInteractions::expected`]):
//! as drawn (in distribution), with modality 2 corrupted by extra noise
//! `N(0, 1)` per feature, and with modality 1 moved by `+1` on every feature.

use lsmi::burn::tensor::{Int, Tensor, TensorData};
use lsmi::synthetic::{ClassMeans, Features, GaussianFamily};
use lsmi::{LsmiConfig, Summary};

const CLASSES: usize = 3;
const SEED: u64 = 31;

/// `features` with `f(value, rng)` applied to every value.
fn perturbed(
    features: &Features,
    seed: u64,
    f: impl Fn(f32, &mut lsmi::SeededRng) -> f32,
) -> Features {
    let mut rng = lsmi::SeededRng::new(seed);
    Features {
        values: features.values.iter().map(|&v| f(v, &mut rng)).collect(),
        ..features.clone()
    }
}

fn main() -> lsmi::Result<()> {
    let device = lsmi::default_device();
    let family = GaussianFamily::new(CLASSES, 3, 0.6, 0.3, ClassMeans::OneHot);
    let train = family.sample(4_000, SEED)?;
    let test = family.sample(3_000, SEED + 1)?;
    let labels =
        |y: &[i64]| Tensor::<1, Int>::from_data(TensorData::new(y.to_vec(), [y.len()]), &device);
    let fitted = LsmiConfig::new(CLASSES).fit(
        train.x1.tensor(&device),
        train.x2.tensor(&device),
        labels(&train.labels),
    )?;
    let models = fitted.models();
    let noisy_x2 = perturbed(&test.x2, SEED + 2, |v, rng| v + rng.normal() as f32);
    let moved_x1 = perturbed(&test.x1, SEED + 3, |v, _| v + 1.0);
    let sets = [
        ("in distribution", &test.x1, &test.x2),
        ("x2 + N(0, 1) noise", &test.x1, &noisy_x2),
        ("x1 moved by +1", &moved_x1, &test.x2),
    ];
    let y = labels(&test.labels);
    let mut labelled: Vec<Summary> = Vec::new();
    let mut label_free: Vec<Summary> = Vec::new();
    for (_, x1, x2) in &sets {
        let (x1, x2) = (x1.tensor(&device), x2.tensor(&device));
        labelled.push(
            models
                .transform(x1.clone(), x2.clone(), y.clone())?
                .summary()?,
        );
        label_free.push(models.candidates(x1, x2)?.expected().summary()?);
    }
    for (title, rows) in [
        ("labelled (transform, true labels)", &labelled),
        ("label-free (posterior expectation)", &label_free),
    ] {
        println!("\nMeans in nats, {title}:\n");
        println!(
            "| rows | R | U1 | U2 | S | I1 | I2 | I12 | H1 | H2 | largest move of R, U1, U2, S |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|---|");
        for ((name, _, _), s) in sets.iter().zip(rows.iter()) {
            let id = &rows[0];
            let moves = [
                ("R", s.r - id.r),
                ("U1", s.u1 - id.u1),
                ("U2", s.u2 - id.u2),
                ("S", s.s - id.s),
            ];
            let (which, delta) = moves
                .iter()
                .copied()
                .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
                .unwrap_or(("R", 0.0));
            let largest = match name == &sets[0].0 {
                true => "—".to_string(),
                false => format!("{which} {delta:+.3}"),
            };
            println!(
                "| {name} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {largest} |",
                s.r, s.u1, s.u2, s.s, s.i1, s.i2, s.i12, s.h1, s.h2
            );
        }
    }
    Ok(())
}
