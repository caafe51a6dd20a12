//! An ensemble of the three classifiers (modality 1, modality 2, the pair) weighted
//! per sample by label-free interactions, against one whose weights are fixed.
//!
//! `cargo run --release --example ensemble`
//!
//! Data with known structure (seed 3): four classes, one-hot class means in 4-D
//! per modality, and three equally likely components that decide each sample's
//! noise: modality 1 clean (`σ1 = 0.3`) and modality 2 noisy (`σ2 = 2`), the
//! reverse, or both moderate (`σ = 0.7`). LSMI (default configuration) is fitted
//! on 3 000 rows; 2 000 validation rows choose the ensembles' parameters
//! (maximum log-likelihood) and 6 000 test rows score them.
//!
//! * interaction-weighted: per row `softmax(β · (u1, u2, s))` of the
//!   posterior-expected decomposition ([`lsmi::ensemble_weights`]), `β` chosen
//!   on the validation rows from a grid (β = 0 is the equal-weight ensemble);
//! * fixed-weight: one weight per model, chosen on the validation rows from the
//!   simplex in steps of 0.05;
//!
//! both as mixtures `Σ_k w_k q_k(y|x)` ([`lsmi::ensemble_log_probs`]).

use lsmi::burn::tensor::{Device, Int, Tensor, TensorData};
use lsmi::synthetic::{ClassMeans, Features, GaussianFamily};
use lsmi::{CandidateInteractions, LsmiConfig, ensemble_log_probs, ensemble_weights};

const CLASSES: usize = 4;
const DIM: usize = 4;
const SEED: u64 = 3;
/// Noise of (modality 1, modality 2) in each component.
const COMPONENTS: [(f64, f64); 3] = [(0.3, 2.0), (2.0, 0.3), (0.7, 0.7)];
const COMPONENT_NAMES: [&str; 3] = ["x1 clean, x2 noisy", "x1 noisy, x2 clean", "both moderate"];

/// Rows of the mixture: features, labels and each row's component.
struct Rows {
    x1: Features,
    x2: Features,
    labels: Vec<i64>,
    component: Vec<usize>,
}

/// `n` rows from `seed`: a unit-noise sample of the family, rescaled per row
/// around its class mean to the noise of a component drawn uniformly.
fn rows(n: usize, seed: u64) -> lsmi::Result<Rows> {
    let family = GaussianFamily::new(CLASSES, DIM, 1.0, 0.0, ClassMeans::OneHot);
    let sample = family.sample(n, seed)?;
    let means = family.class_means();
    let mut rng = lsmi::SeededRng::new(seed ^ 0x5eed);
    let component: Vec<usize> = (0..n).map(|_| rng.below(COMPONENTS.len())).collect();
    let rescale = |x: &Features, modality: usize| {
        let mut out = x.clone();
        for (j, row) in out.values.chunks_mut(DIM).enumerate() {
            let sigmas = COMPONENTS[component[j]];
            let sigma = if modality == 0 { sigmas.0 } else { sigmas.1 };
            let mean = &means[sample.labels[j] as usize];
            for (v, m) in row.iter_mut().zip(mean) {
                *v = (m + sigma * (f64::from(*v) - m)) as f32;
            }
        }
        out
    };
    Ok(Rows {
        x1: rescale(&sample.x1, 0),
        x2: rescale(&sample.x2, 1),
        labels: sample.labels,
        component,
    })
}

fn labels_tensor(labels: &[i64], device: &Device) -> Tensor<1, Int> {
    Tensor::from_data(TensorData::new(labels.to_vec(), [labels.len()]), device)
}

/// Host rows of an `[n, C]` tensor.
fn host(tensor: &Tensor<2>) -> lsmi::Result<Vec<Vec<f64>>> {
    let c = tensor.dims()[1];
    let values = tensor
        .clone()
        .try_into_vec_as::<f32>()
        .map_err(|e| lsmi::LsmiError::Backend(e.to_string()))?;
    Ok(values
        .chunks(c)
        .map(|r| r.iter().map(|&v| f64::from(v)).collect())
        .collect())
}

/// Mean log-likelihood of the labels and accuracy (overall and per component).
fn score(log_probs: &[Vec<f64>], rows: &Rows) -> (f64, f64, [f64; 3]) {
    let mut ll = 0.0;
    let mut hits = [0usize; 3];
    let mut counts = [0usize; 3];
    for (j, row) in log_probs.iter().enumerate() {
        let y = rows.labels[j] as usize;
        ll += row[y];
        let best = (0..row.len())
            .max_by(|&a, &b| row[a].total_cmp(&row[b]))
            .unwrap_or(0);
        counts[rows.component[j]] += 1;
        hits[rows.component[j]] += usize::from(best == y);
    }
    let n = log_probs.len() as f64;
    let per = [0, 1, 2].map(|k| hits[k] as f64 / counts[k].max(1) as f64);
    (ll / n, hits.iter().sum::<usize>() as f64 / n, per)
}

/// Fixed weights `[n, 3]` (one row repeated).
fn fixed(weights: [f64; 3], n: usize, device: &Device) -> Tensor<2> {
    let values: Vec<f32> = (0..n).flat_map(|_| weights.map(|w| w as f32)).collect();
    Tensor::from_data(TensorData::new(values, [n, 3]), device)
}

fn main() -> lsmi::Result<()> {
    let device = lsmi::default_device();
    let train = rows(3_000, SEED)?;
    let valid = rows(2_000, SEED + 1)?;
    let test = rows(6_000, SEED + 2)?;
    println!(
        "{CLASSES} classes, {DIM}-D one-hot means per modality; components (σ1, σ2): {COMPONENTS:?}, equally likely"
    );
    let fitted = LsmiConfig::new(CLASSES).fit(
        train.x1.tensor(&device),
        train.x2.tensor(&device),
        labels_tensor(&train.labels, &device),
    )?;
    let candidates = |rows: &Rows| -> lsmi::Result<CandidateInteractions> {
        fitted
            .models()
            .candidates(rows.x1.tensor(&device), rows.x2.tensor(&device))
    };
    let (valid_c, test_c) = (candidates(&valid)?, candidates(&test)?);
    let pool = |c: &CandidateInteractions, w: &Tensor<2>| -> lsmi::Result<Vec<Vec<f64>>> {
        host(&ensemble_log_probs(c.log_probs(), w)?)
    };

    // Interaction-weighted: β on the validation rows.
    let sharpness_grid = [0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];
    let (valid_e, test_e) = (valid_c.expected(), test_c.expected());
    let mut best_beta = (f64::NEG_INFINITY, 0.0);
    for &beta in &sharpness_grid {
        let ll = score(&pool(&valid_c, &ensemble_weights(&valid_e, beta)?)?, &valid).0;
        if ll > best_beta.0 {
            best_beta = (ll, beta);
        }
    }
    let beta = best_beta.1;
    let test_w = ensemble_weights(&test_e, beta)?;
    let weighted = score(&pool(&test_c, &test_w)?, &test);

    // Fixed weights on the validation rows.
    let mut best_fixed = (f64::NEG_INFINITY, [1.0 / 3.0; 3]);
    for a in 0..=20 {
        for b in 0..=(20 - a) {
            let w = [a as f64 / 20.0, b as f64 / 20.0, (20 - a - b) as f64 / 20.0];
            let ll = score(
                &pool(&valid_c, &fixed(w, valid.labels.len(), &device))?,
                &valid,
            )
            .0;
            if ll > best_fixed.0 {
                best_fixed = (ll, w);
            }
        }
    }
    let fixed_w = best_fixed.1;
    let fixed_score = score(
        &pool(&test_c, &fixed(fixed_w, test.labels.len(), &device))?,
        &test,
    );
    let singles: Vec<(f64, f64, [f64; 3])> = test_c
        .log_probs()
        .iter()
        .map(|lp| Ok(score(&host(lp)?, &test)))
        .collect::<lsmi::Result<_>>()?;

    // Where the interaction weights put the mass, per component (known structure).
    let w = host(&test_w)?;
    let mut mean_w = [[0.0; 3]; 3];
    let mut counts = [0usize; 3];
    for (j, row) in w.iter().enumerate() {
        let k = test.component[j];
        counts[k] += 1;
        for m in 0..3 {
            mean_w[k][m] += row[m];
        }
    }
    println!("\nchosen on validation: β = {beta}, fixed weights (q1, q2, q12) = {fixed_w:?}");
    // What the weights see: the label-free interactions, per component.
    let e = test_e.to_host()?;
    println!("\nmean label-free interactions on the test rows, per component (nats):\n");
    println!("| component | r | u1 | u2 | s |");
    println!("|---|---|---|---|---|");
    for (k, name) in COMPONENT_NAMES.iter().enumerate() {
        let rows: Vec<usize> = (0..test.labels.len())
            .filter(|&j| test.component[j] == k)
            .collect();
        let mean =
            |c: lsmi::Column| rows.iter().map(|&j| e.column(c)[j]).sum::<f64>() / rows.len() as f64;
        println!(
            "| {name} | {:.3} | {:.3} | {:.3} | {:.3} |",
            mean(lsmi::Column::R),
            mean(lsmi::Column::U1),
            mean(lsmi::Column::U2),
            mean(lsmi::Column::S)
        );
    }
    println!("\nmean interaction weights on the test rows, per component:\n");
    println!("| component | w(q1) | w(q2) | w(q12) |");
    println!("|---|---|---|---|");
    for k in 0..3 {
        let m = mean_w[k].map(|v| v / counts[k].max(1) as f64);
        println!(
            "| {} | {:.3} | {:.3} | {:.3} |",
            COMPONENT_NAMES[k], m[0], m[1], m[2]
        );
    }
    println!("\ntest accuracy (mean log-likelihood), overall and per component:\n");
    println!(
        "| model | accuracy | log-lik. | {} | {} | {} |",
        COMPONENT_NAMES[0], COMPONENT_NAMES[1], COMPONENT_NAMES[2]
    );
    println!("|---|---|---|---|---|---|");
    let line = |name: &str, s: &(f64, f64, [f64; 3])| {
        println!(
            "| {name} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} |",
            s.1, s.0, s.2[0], s.2[1], s.2[2]
        );
    };
    for (name, s) in ["q1 (x1 alone)", "q2 (x2 alone)", "q12 (joint)"]
        .iter()
        .zip(&singles)
    {
        line(name, s);
    }
    line("fixed-weight ensemble", &fixed_score);
    line("interaction-weighted", &weighted);
    // The headroom: each component's best single model, chosen knowing the
    // component (which no ensemble here is told).
    let oracle: [f64; 3] = [0, 1, 2].map(|k| singles.iter().map(|s| s.2[k]).fold(0.0, f64::max));
    let share = |k: usize| test.component.iter().filter(|&&c| c == k).count() as f64;
    let oracle_all = (0..3).map(|k| oracle[k] * share(k)).sum::<f64>() / test.labels.len() as f64;
    println!(
        "| best single per component (told the component) | {oracle_all:.4} | | {:.4} | {:.4} | {:.4} |",
        oracle[0], oracle[1], oracle[2]
    );
    let best_single = singles
        .iter()
        .map(|s| s.1)
        .fold(f64::NEG_INFINITY, f64::max);
    println!(
        "accuracy: interaction-weighted {:.4}, fixed-weight {:.4}, best single {:.4}",
        weighted.1, fixed_score.1, best_single
    );
    Ok(())
}
