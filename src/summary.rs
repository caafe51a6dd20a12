//! Data-set and per-class means of the pointwise interactions, and the
//! reference adjustment.

use std::collections::BTreeMap;

use crate::check;
use crate::decompose::Interactions;
use crate::error::Result;
use crate::redundancy::adjustment_shift;

/// Data-set means (capital letters in the paper), in nats, accumulated in `f64`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Summary {
    /// Number of samples (for the exact oracle: number of events with `p > 0`).
    pub n: usize,
    /// Redundancy `R`.
    pub r: f64,
    /// Uniqueness of modality 1, `U1`.
    pub u1: f64,
    /// Uniqueness of modality 2, `U2`.
    pub u2: f64,
    /// Synergy `S`.
    pub s: f64,
    /// `I(X1;Y)`, the mean of `i(x1;y)`.
    pub i1: f64,
    /// `I(X2;Y)`.
    pub i2: f64,
    /// `I(X1,X2;Y)`.
    pub i12: f64,
    /// `H(X1)`, the mean of `h(x1)`.
    pub h1: f64,
    /// `H(X2)`.
    pub h2: f64,
}

impl Summary {
    /// The shift `a` the reference adjustment applies to these means.
    pub fn adjustment_shift(&self) -> f64 {
        adjustment_shift(self.r, self.u1, self.u2, self.s)
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
pub struct ClassSummary {
    /// The class index.
    pub class: usize,
    /// The means over the samples labelled `class`; `summary.n` counts them.
    pub summary: Summary,
}

/// The result of [`Interactions::adjust`].
#[derive(Debug, Clone)]
pub struct Adjusted {
    /// Every sample shifted by `shift`: `r + a, u1 − a, u2 − a, s + a`.
    pub interactions: Interactions,
    /// The shift `a`, in nats (0 when no mean called for it).
    pub shift: f64,
    /// The raw means the shift was chosen from.
    pub raw: Summary,
}

impl Adjusted {
    /// The adjusted means.
    pub fn summary(&self) -> Summary {
        self.raw.shifted(self.shift)
    }
}

/// Every per-sample value of [`Interactions`] on the host, in nats.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HostInteractions {
    /// Redundancy.
    pub r: Vec<f32>,
    /// Uniqueness of modality 1.
    pub u1: Vec<f32>,
    /// Uniqueness of modality 2.
    pub u2: Vec<f32>,
    /// Synergy.
    pub s: Vec<f32>,
    /// `r⁺`.
    pub r_plus: Vec<f32>,
    /// `r⁻`.
    pub r_minus: Vec<f32>,
    /// `h(x1)`.
    pub h1: Vec<f32>,
    /// `h(x2)`.
    pub h2: Vec<f32>,
    /// `i(x1;y)`.
    pub i1: Vec<f32>,
    /// `i(x2;y)`.
    pub i2: Vec<f32>,
    /// `i(x1,x2;y)`.
    pub i12: Vec<f32>,
}

impl HostInteractions {
    /// The number of samples.
    pub fn len(&self) -> usize {
        self.r.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.r.is_empty()
    }

    /// Every column with its name.
    pub(crate) fn columns(&self) -> [(&'static str, &[f32]); 11] {
        [
            ("r", &self.r),
            ("u1", &self.u1),
            ("u2", &self.u2),
            ("s", &self.s),
            ("r_plus", &self.r_plus),
            ("r_minus", &self.r_minus),
            ("h1", &self.h1),
            ("h2", &self.h2),
            ("i1", &self.i1),
            ("i2", &self.i2),
            ("i12", &self.i12),
        ]
    }

    /// Checks that there are samples and every column has one value per sample
    /// (the fields are public, so nothing else guarantees it).
    fn check_lengths(&self) -> Result<()> {
        check::non_empty("r", self.len())?;
        for (what, column) in self.columns() {
            check::same_length(what, column.len(), "r", self.len())?;
        }
        Ok(())
    }

    /// The values of sample `index`, in the order of [`Summary`]'s means.
    fn row(&self, index: usize) -> [f64; 9] {
        [
            &self.r, &self.u1, &self.u2, &self.s, &self.i1, &self.i2, &self.i12, &self.h1, &self.h2,
        ]
        .map(|column| f64::from(column[index]))
    }

    /// Data-set means, accumulated in `f64`.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Empty`](crate::LsmiError::Empty) if there are no samples.
    /// * [`LsmiError::LengthMismatch`](crate::LsmiError::LengthMismatch) if a column has
    ///   not as many entries as `r`.
    pub fn summary(&self) -> Result<Summary> {
        self.check_lengths()?;
        let mut means = Means::default();
        for index in 0..self.len() {
            means.add(1.0, self.row(index));
        }
        Ok(means.finish())
    }
}

/// Per-class means of `host` for labels already checked to be non-negative,
/// one per sample; only the classes that occur are kept, so nothing here grows
/// with the number of classes.
pub(crate) fn per_class(host: &HostInteractions, labels: &[i64]) -> Result<Vec<ClassSummary>> {
    host.check_lengths()?;
    check::same_length("labels", labels.len(), "interactions", host.len())?;
    let mut means: BTreeMap<usize, Means> = BTreeMap::new();
    for (index, &label) in labels.iter().enumerate() {
        means
            .entry(label as usize)
            .or_default()
            .add(1.0, host.row(index));
    }
    Ok(means
        .into_iter()
        .map(|(class, m)| ClassSummary {
            class,
            summary: m.finish(),
        })
        .collect())
}

/// A weighted running mean of the nine columns of [`Summary`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Means {
    count: usize,
    weight: f64,
    sums: [f64; 9],
}

impl Means {
    /// Adds one sample (or event) of weight `weight` with values in the order
    /// `r, u1, u2, s, i1, i2, i12, h1, h2`.
    pub(crate) fn add(&mut self, weight: f64, values: [f64; 9]) {
        self.count += 1;
        self.weight += weight;
        for (sum, value) in self.sums.iter_mut().zip(values) {
            *sum += weight * value;
        }
    }

    pub(crate) fn finish(&self) -> Summary {
        let [r, u1, u2, s, i1, i2, i12, h1, h2] = self.sums.map(|sum| sum / self.weight);
        Summary {
            n: self.count,
            r,
            u1,
            u2,
            s,
            i1,
            i2,
            i12,
            h1,
            h2,
        }
    }
}
