//! From pointwise terms to pointwise interactions: the [`Decomposer`] trait and
//! its LSMI implementation, [`Lsmi`].

use burn::tensor::{Device, Int, Tensor};

use crate::check;
use crate::error::Result;
use crate::pmi::LogitPmi;
use crate::redundancy::{self, Inputs, Parts};
use crate::summary::{self, Adjusted, ClassSummary, HostInteractions, Summary};

/// The largest magnitude of a pointwise term, in nats: `10³⁰`.
///
/// Real terms are tens of nats; the bound keeps every intermediate of the
/// decomposition (`h − i`, `r⁺ − r⁻`, `i12 − r − u1 − u2`, the adjustment) well
/// inside `f32`, so finite terms always give finite interactions.
pub const MAX_TERM: f64 = 1e30;

/// The five pointwise quantities LSMI needs, one entry per sample, in nats.
///
/// All are `[n]` float tensors on one device, finite and within ±[`MAX_TERM`].
/// The constructors check this; terms assembled from the public fields are
/// checked by [`Lsmi::decompose`] for shape and device only (it never reads
/// values back from the device), so their values are the caller's to vouch for.
#[derive(Debug, Clone)]
pub struct PointwiseTerms {
    /// `h(x1) = −ln p(x1)`.
    pub h1: Tensor<1>,
    /// `h(x2) = −ln p(x2)`.
    pub h2: Tensor<1>,
    /// `i(x1;y) = ln p(y|x1) − ln p(y)`.
    pub i1: Tensor<1>,
    /// `i(x2;y) = ln p(y|x2) − ln p(y)`.
    pub i2: Tensor<1>,
    /// `i(x1,x2;y) = ln p(y|x1,x2) − ln p(y)`.
    pub i12: Tensor<1>,
}

impl PointwiseTerms {
    /// Checks that the five tensors are non-empty, of one length, on one device,
    /// finite and within ±[`MAX_TERM`].
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Empty`](crate::LsmiError::Empty) if `h1` has no entries.
    /// * [`LsmiError::LengthMismatch`](crate::LsmiError::LengthMismatch) if a tensor has
    ///   not as many entries as `h1`.
    /// * [`LsmiError::DeviceMismatch`](crate::LsmiError::DeviceMismatch) if a tensor is not
    ///   on the device of `h1`.
    /// * [`LsmiError::NonFinite`](crate::LsmiError::NonFinite) if a value is NaN or ±∞.
    /// * [`LsmiError::OutOfRange`](crate::LsmiError::OutOfRange) if a finite value lies
    ///   beyond ±[`MAX_TERM`].
    /// * [`LsmiError::Backend`](crate::LsmiError::Backend) if the backend fails to read a
    ///   tensor back.
    pub fn new(
        h1: Tensor<1>,
        h2: Tensor<1>,
        i1: Tensor<1>,
        i2: Tensor<1>,
        i12: Tensor<1>,
    ) -> Result<Self> {
        let terms = Self {
            h1,
            h2,
            i1,
            i2,
            i12,
        };
        terms.check_shapes()?;
        for (what, tensor) in terms.named() {
            check::term(what, tensor)?;
        }
        Ok(terms)
    }

    /// The five tensors with their names.
    fn named(&self) -> [(&'static str, &Tensor<1>); 5] {
        [
            ("h1", &self.h1),
            ("h2", &self.h2),
            ("i1", &self.i1),
            ("i2", &self.i2),
            ("i12", &self.i12),
        ]
    }

    /// Checks what needs no device read: non-empty, one length, one device.
    fn check_shapes(&self) -> Result<()> {
        let n = self.h1.dims()[0];
        check::non_empty("h1", n)?;
        let device = self.h1.device();
        for (what, tensor) in self.named() {
            check::same_length(what, tensor.dims()[0], "h1", n)?;
            check::same_device(what, &tensor.device(), "h1", &device)?;
        }
        Ok(())
    }

    /// The terms from host slices, placed on `device` (as `f32`); each value
    /// must be finite and within ±[`MAX_TERM`] (so also within `f32`).
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Empty`](crate::LsmiError::Empty) if `h1` is empty.
    /// * [`LsmiError::LengthMismatch`](crate::LsmiError::LengthMismatch) if a slice has not
    ///   as many entries as `h1`.
    /// * [`LsmiError::NonFinite`](crate::LsmiError::NonFinite) if a value is NaN or ±∞.
    /// * [`LsmiError::OutOfRange`](crate::LsmiError::OutOfRange) if a finite value lies
    ///   beyond ±[`MAX_TERM`].
    pub fn from_slices(
        h1: &[f64],
        h2: &[f64],
        i1: &[f64],
        i2: &[f64],
        i12: &[f64],
        device: &Device,
    ) -> Result<Self> {
        let n = h1.len();
        check::non_empty("h1", n)?;
        let mut tensors = Vec::with_capacity(5);
        for (what, values) in [("h1", h1), ("h2", h2), ("i1", i1), ("i2", i2), ("i12", i12)] {
            check::same_length(what, values.len(), "h1", n)?;
            check::term_host(what, values)?;
            tensors.push(check::vector(
                values.iter().map(|&v| v as f32).collect(),
                device,
            ));
        }
        let [h1, h2, i1, i2, i12]: [Tensor<1>; 5] =
            tensors.try_into().expect("five tensors were pushed");
        Ok(Self {
            h1,
            h2,
            i1,
            i2,
            i12,
        })
    }

    /// The terms from entropies and the logits of three classifiers.
    ///
    /// * `h1`, `h2`: `[n]`, `h(x1)`, `h(x2)` in nats (from an [`Entropy`](crate::Entropy));
    /// * `logits1`, `logits2`, `logits12`: `[n, C]`, for `p(y|x1)`, `p(y|x2)`, `p(y|x1,x2)`;
    /// * `labels`: `[n]`, the true class of each sample;
    /// * `pmi`: turns logits into `i(x;y)` against its prior.
    ///
    /// Labels are checked once for all three classifiers. A row whose logits are
    /// so far apart that `i(x;y)` leaves ±[`MAX_TERM`] (or `f32`) is an
    /// [`LsmiError::OutOfRange`](crate::LsmiError::OutOfRange) naming the logits and the row.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Empty`](crate::LsmiError::Empty) if `labels` is empty or a logits
    ///   matrix has no rows.
    /// * [`LsmiError::LabelOutOfRange`](crate::LsmiError::LabelOutOfRange) if a label lies
    ///   outside `0..C`, `C` the classes of `pmi`'s prior.
    /// * [`LsmiError::ZeroPriorClass`](crate::LsmiError::ZeroPriorClass) if a label's class
    ///   has probability 0 in that prior.
    /// * [`LsmiError::LengthMismatch`](crate::LsmiError::LengthMismatch) if a logits
    ///   matrix, `h1` or `h2` has not one row per label.
    /// * [`LsmiError::WidthMismatch`](crate::LsmiError::WidthMismatch) if a logits matrix
    ///   has not `C` columns.
    /// * [`LsmiError::DeviceMismatch`](crate::LsmiError::DeviceMismatch) if `logits2`,
    ///   `logits12`, `h1` or `h2` is not on the device of `logits1`.
    /// * [`LsmiError::NonFinite`](crate::LsmiError::NonFinite) if the logits, `h1` or `h2`
    ///   hold NaN or ±∞.
    /// * [`LsmiError::OutOfRange`](crate::LsmiError::OutOfRange) if a finite value of `h1`
    ///   or `h2` lies beyond ±[`MAX_TERM`], or a row's logits are so far apart that
    ///   `i(x;y)` does.
    /// * [`LsmiError::Backend`](crate::LsmiError::Backend) if the backend fails to read a
    ///   tensor back.
    pub fn from_logits(
        h1: Tensor<1>,
        h2: Tensor<1>,
        logits1: Tensor<2>,
        logits2: Tensor<2>,
        logits12: Tensor<2>,
        labels: Tensor<1, Int>,
        pmi: &LogitPmi,
    ) -> Result<Self> {
        let host_labels = check::read_i64(labels.clone())?;
        let n = host_labels.len();
        check::non_empty("labels", n)?;
        pmi.prior().check_labels("labels", &host_labels)?;
        for (what, logits) in [
            ("logits1", &logits1),
            ("logits2", &logits2),
            ("logits12", &logits12),
        ] {
            pmi.check_logits(what, logits, n)?;
        }
        let device = logits1.device();
        for (what, logits) in [("logits2", &logits2), ("logits12", &logits12)] {
            check::same_device(what, &logits.device(), "logits1", &device)?;
        }
        for (what, h) in [("h1", &h1), ("h2", &h2)] {
            check::same_length(what, h.dims()[0], "labels", n)?;
            check::same_device(what, &h.device(), "logits1", &device)?;
            check::term(what, h)?;
        }
        let terms = Self {
            h1,
            h2,
            i1: pmi.pmi_checked(logits1, labels.clone()),
            i2: pmi.pmi_checked(logits2, labels.clone()),
            i12: pmi.pmi_checked(logits12, labels),
        };
        for (what, from, i) in [
            ("i1", "logits1", &terms.i1),
            ("i2", "logits2", &terms.i2),
            ("i12", "logits12", &terms.i12),
        ] {
            check::computed_term(what, from, i)?;
        }
        Ok(terms)
    }

    /// The number of samples `n`.
    pub fn len(&self) -> usize {
        self.h1.dims()[0]
    }

    /// Always `false`: construction rejects empty terms.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The same samples with the two modalities exchanged.
    pub fn swapped(&self) -> Self {
        Self {
            h1: self.h2.clone(),
            h2: self.h1.clone(),
            i1: self.i2.clone(),
            i2: self.i1.clone(),
            i12: self.i12.clone(),
        }
    }
}

/// Per-sample interactions, each `[n]` on the device of the inputs, in nats.
///
/// `r + u1 = i1`, `r + u2 = i2` and `r + u1 + u2 + s = i12` hold for every sample.
/// Pointwise values may be negative (a *misinformative* sample); they are never
/// clamped.
#[derive(Debug, Clone)]
pub struct Interactions {
    /// Redundancy `r = r⁺ − r⁻` (eq. 6).
    pub r: Tensor<1>,
    /// Uniqueness of modality 1, `u1 = i(x1;y) − r`.
    pub u1: Tensor<1>,
    /// Uniqueness of modality 2, `u2 = i(x2;y) − r`.
    pub u2: Tensor<1>,
    /// Synergy `s = i(x1,x2;y) − r − u1 − u2`.
    pub s: Tensor<1>,
    /// `r⁺ = min(h(x1), h(x2))` (eq. 5).
    pub r_plus: Tensor<1>,
    /// `r⁻ = min(h(x1|y), h(x2|y))` (eq. 5).
    pub r_minus: Tensor<1>,
    /// The pointwise terms the interactions were computed from.
    pub terms: PointwiseTerms,
}

impl Interactions {
    pub(crate) fn from_parts(parts: Parts<Tensor<1>>, terms: PointwiseTerms) -> Self {
        Self {
            r: parts.r,
            u1: parts.u1,
            u2: parts.u2,
            s: parts.s,
            r_plus: parts.r_plus,
            r_minus: parts.r_minus,
            terms,
        }
    }

    /// Interactions for a redundancy measure of your own, written as
    /// `r = r⁺ − r⁻` per sample (for a measure without such a split, pass its
    /// `r` as `r_plus` and zeros as `r_minus`): `u1 = i1 − r`, `u2 = i2 − r`,
    /// `s = i12 − r − u1 − u2`, by the same arithmetic as [`Lsmi`]. This is
    /// how a [`Decomposer`] other than LSMI builds its output.
    ///
    /// * `terms`: the five pointwise terms;
    /// * `r_plus`, `r_minus`: `[n]`, on the device of `terms`.
    ///
    /// # Errors
    ///
    /// * The errors of [`Lsmi::decompose`] for terms that are not one `[n]` set.
    /// * [`LsmiError::LengthMismatch`](crate::LsmiError::LengthMismatch) if `r_plus` or
    ///   `r_minus` has not one entry per sample.
    /// * [`LsmiError::DeviceMismatch`](crate::LsmiError::DeviceMismatch) if `r_plus` or
    ///   `r_minus` is on another device than the terms.
    ///
    /// # Examples
    ///
    /// A pointwise minimum-mutual-information redundancy, `r = min(i1, i2)`:
    ///
    /// ```
    /// use lsmi::{Decomposer, Interactions, PointwiseTerms};
    ///
    /// struct Mmi;
    ///
    /// impl Decomposer for Mmi {
    ///     fn decompose(&self, terms: PointwiseTerms) -> lsmi::Result<Interactions> {
    ///         let r = terms.i1.clone().min_pair(terms.i2.clone());
    ///         let zeros = r.zeros_like();
    ///         Interactions::from_redundancy(terms, r, zeros)
    ///     }
    /// }
    /// # fn main() -> lsmi::Result<()> {
    /// # let device = lsmi::default_device();
    /// let terms = PointwiseTerms::from_slices(&[1.0], &[2.0], &[0.3], &[0.1], &[0.9], &device)?;
    /// let summary = Mmi.decompose(terms)?.summary()?;
    /// assert!((summary.r - 0.1).abs() < 1e-6 && (summary.u1 - 0.2).abs() < 1e-6);
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_redundancy(
        terms: PointwiseTerms,
        r_plus: Tensor<1>,
        r_minus: Tensor<1>,
    ) -> Result<Self> {
        terms.check_shapes()?;
        let n = terms.len();
        let device = terms.h1.device();
        for (what, tensor) in [("r_plus", &r_plus), ("r_minus", &r_minus)] {
            check::same_length(what, tensor.dims()[0], "terms", n)?;
            if tensor.device() != device {
                return Err(crate::LsmiError::DeviceMismatch {
                    what,
                    reference: "terms",
                });
            }
        }
        let parts = redundancy::parts_from(
            r_plus,
            r_minus,
            terms.i1.clone(),
            terms.i2.clone(),
            terms.i12.clone(),
        );
        Ok(Self::from_parts(parts, terms))
    }

    fn parts(&self) -> Parts<Tensor<1>> {
        Parts {
            r: self.r.clone(),
            u1: self.u1.clone(),
            u2: self.u2.clone(),
            s: self.s.clone(),
            r_plus: self.r_plus.clone(),
            r_minus: self.r_minus.clone(),
        }
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// Always `false`: construction rejects empty terms.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads every per-sample value back to the host (one synchronisation).
    ///
    /// # Errors
    ///
    /// * [`LsmiError::NonFinite`](crate::LsmiError::NonFinite) naming the column and the
    ///   row of the first NaN or ±∞ (possible only for interactions of terms assembled from
    ///   public fields, or online without value checks).
    /// * [`LsmiError::Backend`](crate::LsmiError::Backend) if the backend fails to read a
    ///   tensor back.
    pub fn to_host(&self) -> Result<HostInteractions> {
        let read = |t: &Tensor<1>| check::read_f32(t.clone());
        let host = HostInteractions {
            r: read(&self.r)?,
            u1: read(&self.u1)?,
            u2: read(&self.u2)?,
            s: read(&self.s)?,
            r_plus: read(&self.r_plus)?,
            r_minus: read(&self.r_minus)?,
            h1: read(&self.terms.h1)?,
            h2: read(&self.terms.h2)?,
            i1: read(&self.terms.i1)?,
            i2: read(&self.terms.i2)?,
            i12: read(&self.terms.i12)?,
        };
        for (what, column) in host.columns() {
            check::finite_host(what, column)?;
        }
        Ok(host)
    }

    /// Data-set means `R, U1, U2, S, I1, I2, I12`, accumulated in `f64` on the host.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Empty`](crate::LsmiError::Empty) if there are no samples (possible
    ///   only for interactions assembled from public fields).
    /// * [`LsmiError::LengthMismatch`](crate::LsmiError::LengthMismatch) if a column has
    ///   not as many entries as `r` (likewise).
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
    ///   [`MAX_CLASSES`](crate::pmi::MAX_CLASSES).
    /// * [`LsmiError::LabelOutOfRange`](crate::LsmiError::LabelOutOfRange) if a label lies
    ///   outside `0..num_classes`.
    /// * [`LsmiError::LengthMismatch`](crate::LsmiError::LengthMismatch) if `labels` has
    ///   not one entry per sample.
    /// * The errors of [`summary`](Self::summary).
    pub fn per_class(
        &self,
        labels: &Tensor<1, Int>,
        num_classes: usize,
    ) -> Result<Vec<ClassSummary>> {
        let host_labels = check::labels("labels", labels, num_classes)?;
        check::same_length("labels", host_labels.len(), "interactions", self.len())?;
        summary::per_class(&self.to_host()?, &host_labels)
    }

    /// The reference-compatible adjustment: a copy shifted by one constant `a`
    /// chosen from the means (see [`adjustment_shift`](crate::adjustment_shift)),
    /// with `a` reported. `self` keeps the raw values.
    ///
    /// # Errors
    ///
    /// As [`summary`](Self::summary).
    pub fn adjust(&self) -> Result<Adjusted> {
        let summary = self.summary()?;
        let shift = summary.adjustment_shift();
        Ok(Adjusted {
            interactions: Self::from_parts(
                redundancy::shift(self.parts(), shift),
                self.terms.clone(),
            ),
            shift,
            raw: summary,
        })
    }
}

/// Splits pointwise terms into pointwise interactions.
pub trait Decomposer {
    /// Per-sample interactions for every sample of `terms`.
    ///
    /// # Errors
    ///
    /// Up to the implementation; [`Lsmi`] returns:
    ///
    /// * [`LsmiError::Empty`](crate::LsmiError::Empty) if `terms.h1` has no entries.
    /// * [`LsmiError::LengthMismatch`](crate::LsmiError::LengthMismatch) if a term has not
    ///   as many entries as `terms.h1`.
    /// * [`LsmiError::DeviceMismatch`](crate::LsmiError::DeviceMismatch) if a term is not
    ///   on the device of `terms.h1`.
    fn decompose(&self, terms: PointwiseTerms) -> Result<Interactions>;
}

/// The LSMI decomposition (Yang, Wang, Hu, ICML 2025, eqs. 2, 5, 6).
///
/// Redundancy is `r = min(h(x1), h(x2)) − min(h(x1|y), h(x2|y))`; with exact
/// probabilities this is Finn & Lizier's pointwise I± redundancy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lsmi;

impl Decomposer for Lsmi {
    /// Checks the terms' shapes and device (not their values: that would read
    /// them back from the device; the constructors of [`PointwiseTerms`] do),
    /// then splits them on their device.
    ///
    /// # Errors
    ///
    /// For terms assembled from the public fields that are not one `[n]` set:
    ///
    /// * [`LsmiError::Empty`](crate::LsmiError::Empty) if `h1` has no entries.
    /// * [`LsmiError::LengthMismatch`](crate::LsmiError::LengthMismatch) if a term has not
    ///   as many entries as `h1`.
    /// * [`LsmiError::DeviceMismatch`](crate::LsmiError::DeviceMismatch) if a term is not
    ///   on the device of `h1`.
    fn decompose(&self, terms: PointwiseTerms) -> Result<Interactions> {
        terms.check_shapes()?;
        let parts = redundancy::split(Inputs {
            h1: terms.h1.clone(),
            h2: terms.h2.clone(),
            i1: terms.i1.clone(),
            i2: terms.i2.clone(),
            i12: terms.i12.clone(),
        });
        Ok(Interactions::from_parts(parts, terms))
    }
}
