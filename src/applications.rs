//! What per-sample interactions are used for: splitting a data set by an
//! interaction ([`Partition`]), weighting a student's distillation losses
//! ([`DistillationWeights`]) and weighting an ensemble of the three classifiers
//! per sample ([`ensemble_weights`], [`ensemble_log_probs`]).

use std::collections::BTreeMap;

use burn::tensor::Tensor;
use burn::tensor::activation::softmax;

use crate::check;
use crate::error::{LsmiError, Result};
use crate::ops::log_sum_exp;
use crate::pointwise::{Column, Interactions};

/// The rows of a data set split at a quantile of one per-sample value: `low`
/// holds the rows whose value is at most the [`threshold`](Self::threshold),
/// `high` the others. Both hold 0-based row indices in increasing order.
///
/// The threshold is the lower empirical quantile: with the `n` values sorted,
/// the `k`-th smallest, `k = ⌈Q · n⌉` (at least 1; `Q · n` within `10⁻¹²`
/// relative of an integer counts as that integer, so `Q = 0.3` of 10 rows gives
/// `k = 3`). Rows tied with the threshold all go to `low`, so ties are never
/// split: `low` has `k` rows when no other row ties with the `k`-th, more
/// otherwise, and `high` may be empty when the largest values tie.
#[derive(Debug, Clone, PartialEq)]
pub struct Partition {
    threshold: f64,
    low: Vec<usize>,
    high: Vec<usize>,
}

impl Partition {
    /// Splits `values` (one per row) at quantile `quantile ∈ (0, 1)`.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if `quantile` is not strictly between 0 and 1.
    /// * [`LsmiError::Empty`] if `values` is empty.
    /// * [`LsmiError::NonFinite`] if a value is NaN or ±∞ (`what` is `values`).
    pub fn of(values: &[f64], quantile: f64) -> Result<Partition> {
        check_quantile(quantile)?;
        check::non_empty("values", values.len())?;
        check::finite_host("values", values)?;
        Ok(split_at_quantile(
            values,
            quantile,
            (0..values.len()).collect(),
        ))
    }

    /// The value that separates the halves: `low` holds the rows `≤` it.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// The rows whose value is at most the threshold, in increasing order.
    pub fn low(&self) -> &[usize] {
        &self.low
    }

    /// The rows whose value exceeds the threshold, in increasing order.
    pub fn high(&self) -> &[usize] {
        &self.high
    }
}

/// Fails unless `0 < quantile < 1`.
fn check_quantile(quantile: f64) -> Result<()> {
    if !(quantile > 0.0 && quantile < 1.0) {
        return LsmiError::invalid_config(
            "quantile",
            quantile,
            "must lie strictly between 0 and 1",
        );
    }
    Ok(())
}

/// The partition of the rows `rows` (non-empty, increasing) of finite `values`.
fn split_at_quantile(values: &[f64], quantile: f64, rows: Vec<usize>) -> Partition {
    let n = rows.len();
    let mut sorted: Vec<f64> = rows.iter().map(|&row| values[row]).collect();
    sorted.sort_by(f64::total_cmp);
    let k = ((quantile * n as f64) * (1.0 - 1e-12)).ceil() as usize;
    let threshold = sorted[k.clamp(1, n) - 1];
    let (low, high) = rows.into_iter().partition(|&row| values[row] <= threshold);
    Partition {
        threshold,
        low,
        high,
    }
}

/// A [`Partition`] of the rows of one class.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassPartition {
    /// The class.
    pub class: usize,
    /// Its rows split at the class's own quantile (indices into the whole data set).
    pub partition: Partition,
}

impl Interactions<Vec<f64>> {
    /// Splits the rows at quantile `quantile ∈ (0, 1)` of one column (any of
    /// [`Column::ALL`]): see [`Partition`] for the exact rule. With the paper's
    /// redundancy-informed partitioning, `partition(Column::R, 0.5)` gives the
    /// redundancy-low and redundancy-high halves.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if `quantile` is not strictly between 0 and 1.
    /// * [`LsmiError::Empty`] if there are no rows.
    /// * [`LsmiError::NonFinite`] if a value of the column is NaN or ±∞ (not possible
    ///   for interactions the crate computed and read back).
    pub fn partition(&self, column: Column, quantile: f64) -> Result<Partition> {
        Partition::of(self.column(column), quantile)
    }

    /// [`partition`](Self::partition) within each class that occurs in `labels`
    /// (one label in `0..num_classes` per row), each at its own quantile, in
    /// class order; the row indices are those of the whole data set. The union of
    /// the `low` (or `high`) sets is a class-balanced split.
    ///
    /// # Errors
    ///
    /// * As [`partition`](Self::partition).
    /// * [`LsmiError::LengthMismatch`] if `labels` has not one entry per row.
    /// * [`LsmiError::TooFewClasses`] or [`LsmiError::TooManyClasses`] if `num_classes`
    ///   is below 2 or above [`MAX_CLASSES`](crate::MAX_CLASSES).
    /// * [`LsmiError::LabelOutOfRange`] if a label lies outside `0..num_classes`.
    pub fn partition_per_class(
        &self,
        column: Column,
        quantile: f64,
        labels: &[i64],
        num_classes: usize,
    ) -> Result<Vec<ClassPartition>> {
        partition_per_class(self.column(column), quantile, labels, num_classes)
    }

    /// Per-sample weights for a student's distillation losses: see
    /// [`DistillationWeights`].
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Empty`] if there are no rows.
    /// * [`LsmiError::NonFinite`] if a value is NaN or ±∞ (not possible for
    ///   interactions the crate computed and read back).
    pub fn distillation_weights(&self) -> Result<DistillationWeights> {
        check::non_empty("interactions", self.len())?;
        let weights = |column: Column| -> Result<Vec<f64>> {
            let values = self.column(column);
            check::finite_host(column.name(), values)?;
            Ok(normalised_positive_part(values))
        };
        Ok(DistillationWeights {
            redundancy: weights(Column::R)?,
            unique1: weights(Column::U1)?,
            unique2: weights(Column::U2)?,
            synergy: weights(Column::S)?,
        })
    }
}

/// [`Partition::of`] within each class: `values` and `labels` one per row.
///
/// # Errors
///
/// As [`Interactions::partition_per_class`].
pub fn partition_per_class(
    values: &[f64],
    quantile: f64,
    labels: &[i64],
    num_classes: usize,
) -> Result<Vec<ClassPartition>> {
    check_quantile(quantile)?;
    check::non_empty("values", values.len())?;
    check::same_length("labels", labels.len(), "values", values.len())?;
    check::labels_host("labels", labels, num_classes)?;
    check::finite_host("values", values)?;
    let mut rows: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (row, &label) in labels.iter().enumerate() {
        rows.entry(label as usize).or_default().push(row);
    }
    Ok(rows
        .into_iter()
        .map(|(class, rows)| ClassPartition {
            class,
            partition: split_at_quantile(values, quantile, rows),
        })
        .collect())
}

/// Values up to this many nats count as 0 in [`DistillationWeights`]: `f32`
/// rounding of terms tens of nats large leaves a few `10⁻⁶` where the exact
/// value is 0 (e.g. `u1 = i1 − r` when `r = i1`).
const ROUNDING_NATS: f64 = 1e-5;

/// `v` (0 for `v ≤` [`ROUNDING_NATS`]) scaled to mean 1 over the rows (all 0 if
/// no value is left).
fn normalised_positive_part(values: &[f64]) -> Vec<f64> {
    let positive: Vec<f64> = values
        .iter()
        .map(|&v| if v > ROUNDING_NATS { v } else { 0.0 })
        .collect();
    let total: f64 = positive.iter().sum();
    if total <= 0.0 {
        return positive;
    }
    let scale = values.len() as f64 / total;
    positive.into_iter().map(|v| v * scale).collect()
}

/// Per-sample weights for the loss components of a student distilled from a
/// multimodal teacher, from the teacher's per-sample interactions (the paper's
/// interaction-guided distillation): what a sample's information is made of
/// decides which of the teacher's signals the student should copy on it.
///
/// * [`redundancy`](Self::redundancy): a feature-level loss on what both
///   modalities share (e.g. aligning the student's two unimodal features with
///   the teacher's), weighted by `r`;
/// * [`unique1`](Self::unique1), [`unique2`](Self::unique2): a feature-level loss
///   on modality `k`'s encoder alone, weighted by `u_k`;
/// * [`synergy`](Self::synergy): an output-level loss (the teacher's fused
///   logits, e.g. a KL term), weighted by `s`, the information only the pair has.
///
/// Sign convention: each weight is the positive part `max(m, 0)` of its
/// interaction — a sample on which a part is zero or *misinformative* (negative)
/// adds nothing to that loss; values up to `10⁻⁵` nats count as 0, as `f32`
/// rounding leaves such values where the exact one is 0 — scaled so that the weights of each component have
/// mean 1 over the rows (they sum to `n`, and multiplying a per-sample loss by
/// them keeps its scale). A component with no positive value is all 0 (switched
/// off). Weigh a batch by selecting its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct DistillationWeights {
    /// Feature-level weight from `r`, one per row.
    pub redundancy: Vec<f64>,
    /// Feature-level weight of modality 1 from `u1`.
    pub unique1: Vec<f64>,
    /// Feature-level weight of modality 2 from `u2`.
    pub unique2: Vec<f64>,
    /// Output-level weight from `s`.
    pub synergy: Vec<f64>,
}

/// Per-sample weights of the three classifiers `q(y|x1)`, `q(y|x2)`, `q(y|x1,x2)`
/// in an ensemble, from label-free interactions (e.g.
/// [`CandidateInteractions::expected`](crate::CandidateInteractions::expected)):
/// `[n, 3]`, each row `softmax(β · (u1, u2, s))`.
///
/// Each model is weighted by the kind of information that calls for it: a row
/// whose information is unique to modality `k` (`u_k` large) leans on that
/// modality's classifier, a synergistic row (`s` large) on the joint one, and a
/// row where a modality is misinformative (negative `u_k`) leans away from it.
/// Redundancy does not enter: every model holds it. `β = 0` gives equal weights;
/// `β` (the `sharpness`, in 1/nat) is best chosen on held-out rows.
///
/// Why not weight by each model's own information `i_k`: under the joint
/// classifier's posterior, `E i12 − E i_k = KL(p(·|x1,x2) ‖ q(·|x_k)) ≥ 0`, so
/// the joint model would always win, however poor it is.
///
/// # Errors
///
/// * [`LsmiError::InvalidConfig`] if `sharpness` is negative or not finite.
pub fn ensemble_weights(interactions: &Interactions, sharpness: f64) -> Result<Tensor<2>> {
    if !(sharpness.is_finite() && sharpness >= 0.0) {
        return LsmiError::invalid_config("sharpness", sharpness, "must be finite and ≥ 0");
    }
    let stacked = Tensor::stack::<2>(
        vec![
            interactions.u1().clone(),
            interactions.u2().clone(),
            interactions.s().clone(),
        ],
        1,
    );
    Ok(softmax(stacked.mul_scalar(sharpness), 1))
}

/// The ensemble's log-probabilities `ln Σ_k w_k q_k(y|x)` (a per-sample mixture
/// of the models, `[n, C]`), from each model's log-probabilities (`[n, C]`,
/// rows normalised, e.g. [`CandidateInteractions::log_probs`](crate::CandidateInteractions::log_probs))
/// and weights `[n, K]` with one column per model (rows on the simplex, e.g.
/// [`ensemble_weights`]; repeat one row for fixed weights).
///
/// # Errors
///
/// * [`LsmiError::Empty`] if `log_probs` is empty.
/// * [`LsmiError::WidthMismatch`] if `weights` has not one column per model, or a
///   model's log-probabilities not as many classes as the first's.
/// * [`LsmiError::LengthMismatch`] if a matrix has not as many rows as the first.
/// * [`LsmiError::DeviceMismatch`] if a matrix is not on the device of the first.
/// * [`LsmiError::InvalidConfig`] if a weight is negative or not finite, or a row of
///   weights does not sum to 1 within `1e-4`.
/// * [`LsmiError::Backend`] if the backend fails to read a tensor back.
pub fn ensemble_log_probs(log_probs: &[Tensor<2>], weights: &Tensor<2>) -> Result<Tensor<2>> {
    let Some(first) = log_probs.first() else {
        return Err(LsmiError::Empty {
            what: "log_probs",
            unit: "models",
        });
    };
    let [n, classes] = first.dims();
    let device = first.device();
    for lp in log_probs {
        let [rows, width] = lp.dims();
        check::same_length("log_probs", rows, "log_probs[0]", n)?;
        if width != classes {
            return Err(LsmiError::WidthMismatch {
                what: "log_probs",
                axis: "classes",
                expected: classes,
                found: width,
            });
        }
        check::same_device("log_probs", &lp.device(), "log_probs[0]", &device)?;
    }
    let [rows, models] = weights.dims();
    check::same_length("weights", rows, "log_probs[0]", n)?;
    if models != log_probs.len() {
        return Err(LsmiError::WidthMismatch {
            what: "weights",
            axis: "models",
            expected: log_probs.len(),
            found: models,
        });
    }
    check::same_device("weights", &weights.device(), "log_probs[0]", &device)?;
    let host = check::read_f32(weights.clone())?;
    for row in host.chunks(models) {
        let sum: f64 = row.iter().map(|&w| f64::from(w)).sum();
        if row.iter().any(|w| !(w.is_finite() && *w >= 0.0)) || (sum - 1.0).abs() > 1e-4 {
            return LsmiError::invalid_config(
                "weights",
                format!("{row:?}"),
                "each row must hold non-negative weights summing to 1",
            );
        }
    }
    // ln Σ_k exp(ln w_k + ln q_k), stable; a zero weight gives −∞ terms, which
    // log-sum-exp drops (the largest term of a row is finite: the weights sum to 1).
    let stacked = Tensor::stack::<3>(log_probs.to_vec(), 2);
    let log_weights = weights.clone().log().reshape([n, 1, models]);
    Ok(log_sum_exp(stacked + log_weights, 2).reshape([n, classes]))
}
