//! Finding flipped labels from per-sample interactions.
//!
//! `cargo run --release --example label_noise`
//!
//! Data with known structure (seed 21): 6 000 rows of a four-class Gaussian
//! family (one-hot means in 4-D per modality, `σ = 0.6`, noise correlation
//! `ρ = 0.3`), both modalities informative. 10 % of the labels, chosen at random,
//! are replaced by another class drawn uniformly. LSMI (default configuration,
//! 5-fold cross-fitting) is fitted on the noisy labels; every row is scored by
//! models that did not see it, and [`lsmi::FittedLsmi::candidates`] gives its
//! decomposition for every candidate label.
//!
//! Each score ranks the rows (higher = more suspicious); the table gives its
//! AUROC for telling the flipped rows from the others. The baseline is the plain
//! loss of the joint classifier, `−ln q(y|x1,x2)`. The others are a measure at
//! the given label, negated (`−m(y)`), or its shift against what the models
//! expect, `−(m(y) − Σ_y' p(y'|x1,x2) m(y'))`
//! ([`lsmi::CandidateInteractions::shift_at_labels`]). The last line gives the
//! best score built from the interactions (the baseline excluded), the line above
//! it compares it with the baseline.

use lsmi::burn::tensor::{Int, Tensor, TensorData};
use lsmi::synthetic::{ClassMeans, GaussianFamily};
use lsmi::{Column, LsmiConfig};

const CLASSES: usize = 4;
const SEED: u64 = 21;
const FLIP_FRACTION: f64 = 0.1;

/// The area under the ROC curve of `scores` for telling `positive` rows from the
/// others: the probability that a random positive outscores a random negative
/// (ties count one half), from the ranks (Mann–Whitney).
fn auroc(scores: &[f64], positive: &[bool]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Average ranks (1-based) over ties.
    let mut ranks = vec![0.0; scores.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end + 1 < order.len() && scores[order[end + 1]] == scores[order[start]] {
            end += 1;
        }
        let rank = (start + end) as f64 / 2.0 + 1.0;
        for &row in &order[start..=end] {
            ranks[row] = rank;
        }
        start = end + 1;
    }
    let positives = positive.iter().filter(|&&p| p).count() as f64;
    let negatives = scores.len() as f64 - positives;
    let rank_sum: f64 = ranks
        .iter()
        .zip(positive)
        .filter(|(_, p)| **p)
        .map(|(r, _)| r)
        .sum();
    (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives)
}

fn main() -> lsmi::Result<()> {
    let device = lsmi::default_device();
    let family = GaussianFamily::new(CLASSES, 4, 0.6, 0.3, ClassMeans::OneHot);
    let sample = family.sample(6_000, SEED)?;
    let n = sample.labels.len();
    let mut rng = lsmi::SeededRng::new(SEED);
    let mut noisy = sample.labels.clone();
    let mut flipped = vec![false; n];
    for (label, flip) in noisy.iter_mut().zip(flipped.iter_mut()) {
        if rng.uniform() < FLIP_FRACTION {
            *label = ((*label as usize + 1 + rng.below(CLASSES - 1)) % CLASSES) as i64;
            *flip = true;
        }
    }
    let flips = flipped.iter().filter(|&&f| f).count();
    println!(
        "{n} rows, {CLASSES} classes; {flips} labels flipped ({:.1} %), seed {SEED}",
        100.0 * flips as f64 / n as f64
    );
    let (x1, x2) = (sample.x1.tensor(&device), sample.x2.tensor(&device));
    let labels = Tensor::<1, Int>::from_data(TensorData::new(noisy.clone(), [n]), &device);
    let fitted = LsmiConfig::new(CLASSES).fit(x1.clone(), x2.clone(), labels.clone())?;
    let candidates = fitted.candidates(x1, x2)?;
    let at = candidates.at_labels(labels.clone())?.to_host()?;
    let shift = candidates.shift_at_labels(labels.clone())?.to_host()?;

    let negate = |values: &[f64]| values.iter().map(|v| -v).collect::<Vec<f64>>();
    // The baseline: −ln q(y|x1,x2) = h(y) − i12.
    let h_y = candidates.prior().surprisal();
    let loss: Vec<f64> = at
        .column(Column::I12)
        .iter()
        .zip(&noisy)
        .map(|(i12, &y)| h_y[y as usize] - i12)
        .collect();
    let mut scores: Vec<(String, Vec<f64>)> =
        vec![("loss −ln q12(y), joint classifier (baseline)".into(), loss)];
    let measures = [
        Column::R,
        Column::U1,
        Column::U2,
        Column::S,
        Column::I1,
        Column::I2,
        Column::I12,
    ];
    for column in measures {
        scores.push((format!("−{column}(y)"), negate(at.column(column))));
    }
    for column in measures {
        scores.push((format!("−Δ{column} (shift)"), negate(shift.column(column))));
    }
    // Both modalities disagree with the label: −(i1 + i2) = −(2r + u1 + u2), and
    // its shift.
    let votes: Vec<f64> = at
        .column(Column::I1)
        .iter()
        .zip(at.column(Column::I2))
        .map(|(a, b)| -(a + b))
        .collect();
    scores.push(("−(i1 + i2)(y)".into(), votes));
    let both: Vec<f64> = shift
        .column(Column::I1)
        .iter()
        .zip(shift.column(Column::I2))
        .map(|(a, b)| -(a + b))
        .collect();
    scores.push(("−(Δi1 + Δi2) (shift)".into(), both));

    let mut table: Vec<(String, f64)> = scores
        .iter()
        .map(|(name, s)| (name.clone(), auroc(s, &flipped)))
        .collect();
    println!("\n| score (higher = more suspicious) | AUROC |");
    println!("|---|---|");
    for (name, value) in &table {
        println!("| {name} | {value:.4} |");
    }
    // The best score built from the interactions (the baseline excluded).
    let baseline = table.remove(0).1;
    table.sort_by(|a, b| b.1.total_cmp(&a.1));
    let (best_name, best) = &table[0];
    println!(
        "\nbest interaction score: {best_name} ({best:.4}); baseline loss: {baseline:.4}; {}",
        match best > &baseline {
            true => "the interactions win",
            false => "the baseline wins or ties",
        }
    );
    println!("label-noise detection AUROC {best:.4}");
    Ok(())
}
