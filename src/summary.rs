//! Data-set and per-class means of the pointwise interactions.

use std::collections::BTreeMap;

use crate::check;
use crate::error::Result;
use crate::pointwise::{self, Column, Interactions};

/// Data-set means (capital letters in the paper), in nats, accumulated in `f64`,
/// with a diagnostic of how the split was decided.
///
/// **Diagnostics.** [`same_min_fractions`](Self::same_min_fractions) are the
/// fractions of samples where modality 1, and where modality 2, attains both
/// minima of eq. 5 (see
/// [`PointwiseTerms::dominant_modality`](crate::PointwiseTerms::dominant_modality)):
/// there `r` is simply that modality's `i(x;y)`. [`mean_h_gap`](Self::mean_h_gap)
/// is `H1 − H2`, the mean of `h1 − h2`. **One** modality's fraction near 1, with a
/// gap far larger than the spread of `i`, says that the split is decided by the
/// modalities' units and dimensions (differential surprisal shifts by
/// `ln|det A|` under an affine map `x → A·x + b`), not by what they say about
/// `y`; the centred variant
/// ([`PointwiseTerms::centered`](crate::PointwiseTerms::centered),
/// [`LsmiConfig::centered`](crate::LsmiConfig::centered)) removes the gap. Their
/// sum, [`same_min_fraction`](Self::same_min_fraction), is high wherever the
/// per-sample spread of `h1 − h2` exceeds that of `i1 − i2`, which grows with the
/// dimension: 0.86–0.95 on the exact terms of well-scaled Gaussian cases in 2 to
/// 64 dimensions, shared about evenly (the crate's theory notes, §5).
///
/// With the `serde` feature it serialises with the names of the command-line
/// tool's summary JSON: `n`, `R`, `U1`, `U2`, `S`, `H1`, `H2`, `I1`, `I2`, `I12`,
/// `same_min_fractions` (a two-number array).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "UPPERCASE"))]
pub struct Summary {
    /// Number of samples (for the exact oracle: number of events with `p > 0`).
    #[cfg_attr(feature = "serde", serde(rename = "n"))]
    pub n: usize,
    /// Redundancy `R`.
    pub r: f64,
    /// Uniqueness of modality 1, `U1`.
    pub u1: f64,
    /// Uniqueness of modality 2, `U2`.
    pub u2: f64,
    /// Synergy `S`.
    pub s: f64,
    /// `H(X1)`, the mean of `h(x1)`.
    pub h1: f64,
    /// `H(X2)`.
    pub h2: f64,
    /// `I(X1;Y)`, the mean of `i(x1;y)`.
    pub i1: f64,
    /// `I(X2;Y)`.
    pub i2: f64,
    /// `I(X1,X2;Y)`.
    pub i12: f64,
    /// `[f1, f2]`: the (weighted) fraction of samples where modality 1, and
    /// where modality 2, attains both minima of eq. 5 strictly, so that `r`
    /// equals its `i(x;y)`; ties count for neither. Each in `[0, 1]`, summing to
    /// at most 1.
    #[cfg_attr(feature = "serde", serde(rename = "same_min_fractions"))]
    pub same_min_fractions: [f64; 2],
}

impl Summary {
    /// The per-sample columns whose means a summary holds, in the order of
    /// [`Column::ALL`] (all but `r⁺` and `r⁻`).
    pub const COLUMNS: [Column; 9] = [
        Column::R,
        Column::U1,
        Column::U2,
        Column::S,
        Column::H1,
        Column::H2,
        Column::I1,
        Column::I2,
        Column::I12,
    ];

    /// The means in the order of [`Summary::COLUMNS`].
    pub fn values(&self) -> [f64; 9] {
        [
            self.r, self.u1, self.u2, self.s, self.h1, self.h2, self.i1, self.i2, self.i12,
        ]
    }

    /// A summary of `n` samples from means in the order of [`Summary::COLUMNS`]
    /// and the fractions of samples where each modality attains both minima.
    pub(crate) fn from_values(n: usize, values: [f64; 9], same_min_fractions: [f64; 2]) -> Summary {
        let [r, u1, u2, s, h1, h2, i1, i2, i12] = values;
        Summary {
            n,
            r,
            u1,
            u2,
            s,
            h1,
            h2,
            i1,
            i2,
            i12,
            same_min_fractions,
        }
    }

    /// The fraction of samples where either modality attains both minima of
    /// eq. 5: the sum of [`same_min_fractions`](Self::same_min_fractions).
    pub fn same_min_fraction(&self) -> f64 {
        self.same_min_fractions[0] + self.same_min_fractions[1]
    }

    /// `H1 − H2`, the mean gap between the two modalities' surprisals, in nats
    /// (of the centred surprisals for a centred decomposition, hence about 0 on
    /// the rows that set the centring).
    pub fn mean_h_gap(&self) -> f64 {
        self.h1 - self.h2
    }

    /// The shift `a` the reference adjustment applies to these means.
    ///
    /// If `R < 0` or `S < 0` then `a = −min(R, S)`; else if `U1 < 0` or `U2 < 0`
    /// then `a = min(U1, U2)`; else `a = 0`.
    pub fn adjustment_shift(&self) -> f64 {
        if self.r < 0.0 || self.s < 0.0 {
            -self.r.min(self.s)
        } else if self.u1 < 0.0 || self.u2 < 0.0 {
            self.u1.min(self.u2)
        } else {
            0.0
        }
    }

    /// These means after shifting every sample by `shift`
    /// (`R + a, U1 − a, U2 − a, S + a`).
    pub fn shifted(&self, shift: f64) -> Summary {
        Summary {
            r: self.r + shift,
            u1: self.u1 - shift,
            u2: self.u2 - shift,
            s: self.s + shift,
            ..*self
        }
    }

    /// The reference-adjusted means: `self.shifted(self.adjustment_shift())`.
    pub fn adjusted(&self) -> Summary {
        self.shifted(self.adjustment_shift())
    }
}

/// The means over the samples of one class.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ClassSummary {
    /// The class index.
    pub class: usize,
    /// The means over the samples labelled `class`; `summary.n` counts them.
    pub summary: Summary,
}

impl Interactions<Vec<f64>> {
    /// Data-set means, accumulated in `f64` (unweighted).
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Empty`](crate::LsmiError::Empty) if there are no samples.
    pub fn summary(&self) -> Result<Summary> {
        check::non_empty("interactions", self.len())?;
        let mut means = Means::default();
        for row in self.rows() {
            means.add(1.0, &row);
        }
        Ok(means.finish())
    }

    /// Weighted means `Σ w·v / Σ w` (e.g. probabilities of the events of an exact
    /// oracle); `n` counts the samples.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Empty`](crate::LsmiError::Empty) if there are no samples.
    /// * [`LsmiError::LengthMismatch`](crate::LsmiError::LengthMismatch) if `weights` has
    ///   not one entry per sample.
    /// * [`LsmiError::InvalidConfig`](crate::LsmiError::InvalidConfig) if a weight is
    ///   negative or not finite, or they sum to 0.
    pub fn weighted_summary(&self, weights: &[f64]) -> Result<Summary> {
        check::non_empty("interactions", self.len())?;
        check::same_length("weights", weights.len(), "interactions", self.len())?;
        let total: f64 = weights.iter().sum();
        if weights.iter().any(|w| !(w.is_finite() && *w >= 0.0))
            || total.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater)
        {
            return crate::LsmiError::invalid_config(
                "weights",
                format!("sum {total}"),
                "weights must be non-negative, finite and not all 0",
            );
        }
        let mut means = Means::default();
        for (row, &weight) in self.rows().zip(weights) {
            means.add(weight, &row);
        }
        Ok(means.finish())
    }

    /// One [`Summary`] per class that occurs in `labels` (one label in
    /// `0..num_classes` per sample), in class order; nothing here grows with the
    /// number of classes.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Empty`](crate::LsmiError::Empty) if there are no samples.
    /// * [`LsmiError::LengthMismatch`](crate::LsmiError::LengthMismatch) if `labels` has
    ///   not one entry per sample.
    /// * [`LsmiError::TooFewClasses`](crate::LsmiError::TooFewClasses) or
    ///   [`LsmiError::TooManyClasses`](crate::LsmiError::TooManyClasses) if
    ///   `num_classes` is below 2 or above [`MAX_CLASSES`](crate::MAX_CLASSES).
    /// * [`LsmiError::LabelOutOfRange`](crate::LsmiError::LabelOutOfRange) if a label lies
    ///   outside `0..num_classes`.
    pub fn per_class(&self, labels: &[i64], num_classes: usize) -> Result<Vec<ClassSummary>> {
        check::non_empty("interactions", self.len())?;
        check::same_length("labels", labels.len(), "interactions", self.len())?;
        check::labels_host("labels", labels, num_classes)?;
        Ok(self.per_class_checked(labels))
    }

    /// [`per_class`](Self::per_class) for labels already checked: one
    /// non-negative label per sample.
    pub(crate) fn per_class_checked(&self, labels: &[i64]) -> Vec<ClassSummary> {
        let mut means: BTreeMap<usize, Means> = BTreeMap::new();
        for (row, &label) in self.rows().zip(labels) {
            means.entry(label as usize).or_default().add(1.0, &row);
        }
        means
            .into_iter()
            .map(|(class, m)| ClassSummary {
                class,
                summary: m.finish(),
            })
            .collect()
    }
}

/// A weighted running mean of the columns of [`Summary`] and of the
/// same-minimum indicator.
#[derive(Debug, Clone, Default)]
pub(crate) struct Means {
    count: usize,
    weight: f64,
    sums: [f64; 9],
    same_min: [f64; 2],
}

impl Means {
    /// Adds one sample (or event) of weight `weight`.
    pub(crate) fn add(&mut self, weight: f64, row: &Interactions<f64>) {
        self.count += 1;
        self.weight += weight;
        for (sum, column) in self.sums.iter_mut().zip(Summary::COLUMNS) {
            *sum += weight * row.column(column);
        }
        for (sum, same) in self
            .same_min
            .iter_mut()
            .zip(pointwise::same_min(row.terms()))
        {
            *sum += weight * same;
        }
    }

    pub(crate) fn finish(&self) -> Summary {
        Summary::from_values(
            self.count,
            self.sums.map(|sum| sum / self.weight),
            self.same_min.map(|same| same / self.weight),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn means(r: f64, u1: f64, u2: f64, s: f64) -> Summary {
        Summary {
            r,
            u1,
            u2,
            s,
            ..Summary::default()
        }
    }

    #[test]
    fn shift_prefers_negative_redundancy_or_synergy() {
        assert_eq!(means(-0.2, -0.5, 0.1, 0.3).adjustment_shift(), 0.2);
        assert_eq!(means(0.4, -0.1, -0.3, 0.5).adjustment_shift(), -0.3);
        assert_eq!(means(0.4, 0.1, 0.3, 0.5).adjustment_shift(), 0.0);
    }
}

#[cfg(all(test, feature = "serde"))]
mod serde_tests {
    use super::*;

    fn sample() -> Summary {
        Summary::from_values(
            7,
            [0.1, -0.2, 0.3, 0.45, 1.5, 2.25, 0.5, 0.625, 1.0 / 3.0],
            [0.5, 0.25],
        )
    }

    #[test]
    fn summary_round_trips_with_the_cli_names_in_order() {
        let summary = sample();
        let text = serde_json::to_string(&summary).unwrap();
        let keys = [
            "n",
            "R",
            "U1",
            "U2",
            "S",
            "H1",
            "H2",
            "I1",
            "I2",
            "I12",
            "same_min_fractions",
        ];
        let mut at = 0;
        for key in keys {
            let found = text[at..].find(&format!("\"{key}\":")).unwrap() + at;
            at = found + key.len() + 3;
        }
        assert!(text.starts_with("{\"n\":7,\"R\":0.1,"), "{text}");
        assert_eq!(serde_json::from_str::<Summary>(&text).unwrap(), summary);
    }

    #[test]
    fn class_summary_round_trips() {
        let class = ClassSummary {
            class: 3,
            summary: sample(),
        };
        let text = serde_json::to_string(&class).unwrap();
        assert!(
            text.starts_with("{\"class\":3,\"summary\":{\"n\":7,"),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<ClassSummary>(&text).unwrap(), class);
    }
}
