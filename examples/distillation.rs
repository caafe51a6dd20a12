//! Per-sample weights for a student's distillation losses, from a teacher's
//! interactions, on data whose interaction kind is known per sample.
//!
//! `cargo run --release --example distillation`
//!
//! Data (seed 41): `synthetic::PresetInteractions` with 4 classes, 8 features per
//! modality, noise 0.5, a quarter each of redundant, unique-to-x1, unique-to-x2
//! and synergistic samples. LSMI (default configuration, 5-fold cross-fitting)
//! stands in for the teacher's analysis; [`lsmi::DistillationWeights`] turns the
//! per-sample interactions into weights for four loss components (feature-level
//! on the shared part and on each modality, output-level on the fused logits).
//! The table gives each component's mean weight over the samples of each kind:
//! a component should weigh most on the kind it is for. A student's loss would
//! use them as `Σ_j w_r[j] L_shared[j] + w_u1[j] L_feat1[j] + w_u2[j] L_feat2[j]
//! + w_s[j] L_logits[j]` over a batch's rows `j`.

use lsmi::LsmiConfig;
use lsmi::burn::tensor::{Int, Tensor, TensorData};
use lsmi::synthetic::{InteractionKind, PresetInteractions};

const CLASSES: usize = 4;
const SEED: u64 = 41;

fn main() -> lsmi::Result<()> {
    let device = lsmi::default_device();
    let sample = PresetInteractions::new(CLASSES, 8, 0.5, [0.25; 4]).sample(8_000, SEED)?;
    let n = sample.labels.len();
    let labels = Tensor::<1, Int>::from_data(TensorData::new(sample.labels.clone(), [n]), &device);
    let fitted = LsmiConfig::new(CLASSES).fit(
        sample.x1.tensor(&device),
        sample.x2.tensor(&device),
        labels,
    )?;
    let host = fitted.interactions().to_host()?;
    let weights = host.distillation_weights()?;
    println!("PresetInteractions: {CLASSES} classes, 8-D, noise 0.5, n = {n}, seed {SEED}\n");
    println!("Mean weight per component (columns) over the samples of each kind (rows):\n");
    println!("| kind | n | shared (r) | modality 1 (u1) | modality 2 (u2) | output (s) |");
    println!("|---|---|---|---|---|---|");
    let components = [
        &weights.redundancy,
        &weights.unique1,
        &weights.unique2,
        &weights.synergy,
    ];
    let mut hits = 0;
    for (index, kind) in InteractionKind::ALL.into_iter().enumerate() {
        let rows: Vec<usize> = (0..n).filter(|&j| sample.kinds[j] == kind).collect();
        let means = components.map(|w| rows.iter().map(|&j| w[j]).sum::<f64>() / rows.len() as f64);
        let top = (0..4)
            .max_by(|&a, &b| means[a].total_cmp(&means[b]))
            .unwrap_or(0);
        hits += usize::from(top == index);
        println!(
            "| {kind:?} | {} | {:.3} | {:.3} | {:.3} | {:.3} |",
            rows.len(),
            means[0],
            means[1],
            means[2],
            means[3]
        );
    }
    println!("\nkinds whose own component has the largest mean weight: {hits} of 4");
    Ok(())
}
