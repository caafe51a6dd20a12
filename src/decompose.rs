//! From pointwise terms to pointwise interactions: the [`Decomposer`] trait,
//! its LSMI implementation [`Lsmi`], and the means and adjustment of device
//! interactions.

use burn::tensor::{Int, Tensor};

use crate::check;
use crate::error::Result;
use crate::pointwise::{self, Interactions, PointwiseTerms};
use crate::summary::{ClassSummary, Summary};

/// The result of [`Interactions::adjust`].
#[derive(Debug, Clone)]
pub struct Adjusted {
    interactions: Interactions,
    shift: f64,
    raw: Summary,
}

impl Adjusted {
    /// Every sample shifted by [`shift`](Self::shift): `r + a, u1 − a, u2 − a, s + a`.
    pub fn interactions(&self) -> &Interactions {
        &self.interactions
    }

    /// The shift `a`, in nats (0 when no mean called for it).
    pub fn shift(&self) -> f64 {
        self.shift
    }

    /// The raw means the shift was chosen from.
    pub fn raw(&self) -> &Summary {
        &self.raw
    }

    /// The adjusted means.
    pub fn summary(&self) -> Summary {
        self.raw.shifted(self.shift)
    }
}

impl Interactions {
    /// Data-set means `R, U1, U2, S, H1, H2, I1, I2, I12`, accumulated in `f64` on
    /// the host.
    ///
    /// # Errors
    ///
    /// * The errors of [`to_host`](Self::to_host).
    pub fn summary(&self) -> Result<Summary> {
        self.to_host()?.summary()
    }

    /// One [`Summary`] per class that occurs in `labels` (`[n]`, in `0..num_classes`),
    /// in class order.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::TooFewClasses`](crate::LsmiError::TooFewClasses) if
    ///   `num_classes < 2`.
    /// * [`LsmiError::TooManyClasses`](crate::LsmiError::TooManyClasses) if `num_classes >`
    ///   [`MAX_CLASSES`](crate::MAX_CLASSES).
    /// * [`LsmiError::LabelOutOfRange`](crate::LsmiError::LabelOutOfRange) if a label lies
    ///   outside `0..num_classes`.
    /// * [`LsmiError::LengthMismatch`](crate::LsmiError::LengthMismatch) if `labels` has
    ///   not one entry per sample.
    /// * The errors of [`to_host`](Self::to_host).
    pub fn per_class(
        &self,
        labels: &Tensor<1, Int>,
        num_classes: usize,
    ) -> Result<Vec<ClassSummary>> {
        let host_labels = check::labels("labels", labels, num_classes)?;
        check::same_length("labels", host_labels.len(), "interactions", self.len())?;
        // Checked above, before the device is read: group without checking again.
        Ok(self.to_host()?.per_class_checked(&host_labels))
    }

    /// The reference-compatible adjustment: a copy shifted by one constant `a`
    /// chosen from the means (see [`Summary::adjustment_shift`]), with `a`
    /// reported. `self` keeps the raw values.
    ///
    /// # Errors
    ///
    /// As [`summary`](Self::summary).
    pub fn adjust(&self) -> Result<Adjusted> {
        let raw = self.summary()?;
        let shift = raw.adjustment_shift();
        Ok(Adjusted {
            interactions: pointwise::shifted(self, shift),
            shift,
            raw,
        })
    }
}

/// Splits pointwise terms into pointwise interactions.
pub trait Decomposer {
    /// Per-sample interactions for every sample of `terms`.
    ///
    /// # Errors
    ///
    /// Up to the implementation; [`Lsmi`] never fails (the constructors of
    /// [`PointwiseTerms`] have checked every value).
    fn decompose(&self, terms: PointwiseTerms) -> Result<Interactions>;
}

/// The LSMI decomposition (Yang, Wang, Hu, ICML 2025, eqs. 2, 5, 6).
///
/// Redundancy is `r = min(h(x1), h(x2)) − min(h(x1|y), h(x2|y))`; with exact
/// probabilities this is Finn & Lizier's pointwise I± redundancy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lsmi;

impl Decomposer for Lsmi {
    /// Splits the terms on their device, without reading them back.
    ///
    /// # Errors
    ///
    /// None: the constructors of [`PointwiseTerms`] have checked every value.
    fn decompose(&self, terms: PointwiseTerms) -> Result<Interactions> {
        Ok(pointwise::lsmi(terms))
    }
}
