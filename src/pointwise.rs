//! Per-sample data in one shape: the five pointwise terms ([`PointwiseTerms`])
//! and the interactions computed from them ([`Interactions`]), stored as device
//! tensors (`Tensor<1>`, the default), host columns (`Vec<f64>`) or one sample
//! (`f64`), with one column order ([`Column::ALL`]) everywhere.
//!
//! The LSMI arithmetic is written once, generically over the storage, so the
//! device path, the exact host values and one sample at a time cannot drift
//! apart.

use burn::tensor::{Device, Int, Tensor};

use crate::check;
use crate::error::{LsmiError, Result};
use crate::pmi::LogitPmi;

/// The largest magnitude of a pointwise term, in nats: `10³⁰`.
///
/// Real terms are tens of nats; the bound keeps every intermediate of the
/// decomposition (`h − i`, `r⁺ − r⁻`, `i12 − r − u1 − u2`, the adjustment) well
/// inside `f32`, so finite terms always give finite interactions.
pub const MAX_TERM: f64 = 1e30;

/// One per-sample quantity. [`Column::ALL`] is the one order in which the crate
/// lists them (the per-sample CSV of the command-line tool included).
///
/// With the `serde` feature a column serialises as its [`name`](Column::name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Column {
    /// Redundancy `r = r⁺ − r⁻`.
    R,
    /// Uniqueness of modality 1, `u1 = i(x1;y) − r`.
    U1,
    /// Uniqueness of modality 2, `u2 = i(x2;y) − r`.
    U2,
    /// Synergy `s = i(x1,x2;y) − r − u1 − u2`.
    S,
    /// `r⁺ = min(h(x1), h(x2))`.
    RPlus,
    /// `r⁻ = min(h(x1|y), h(x2|y))`.
    RMinus,
    /// `h(x1) = −ln p(x1)`.
    H1,
    /// `h(x2) = −ln p(x2)`.
    H2,
    /// `i(x1;y) = ln p(y|x1) − ln p(y)`.
    I1,
    /// `i(x2;y) = ln p(y|x2) − ln p(y)`.
    I2,
    /// `i(x1,x2;y) = ln p(y|x1,x2) − ln p(y)`.
    I12,
}

impl Column {
    /// Every column, in the crate's order: the interactions, then the terms.
    pub const ALL: [Column; 11] = [
        Column::R,
        Column::U1,
        Column::U2,
        Column::S,
        Column::RPlus,
        Column::RMinus,
        Column::H1,
        Column::H2,
        Column::I1,
        Column::I2,
        Column::I12,
    ];

    /// The five pointwise terms, in the same order (that of the constructors of
    /// [`PointwiseTerms`]).
    pub const TERMS: [Column; 5] = [Column::H1, Column::H2, Column::I1, Column::I2, Column::I12];

    /// The column's name: `r`, `u1`, `u2`, `s`, `r_plus`, `r_minus`, `h1`, `h2`,
    /// `i1`, `i2`, `i12`.
    pub fn name(self) -> &'static str {
        match self {
            Column::R => "r",
            Column::U1 => "u1",
            Column::U2 => "u2",
            Column::S => "s",
            Column::RPlus => "r_plus",
            Column::RMinus => "r_minus",
            Column::H1 => "h1",
            Column::H2 => "h2",
            Column::I1 => "i1",
            Column::I2 => "i2",
            Column::I12 => "i12",
        }
    }
}

impl std::fmt::Display for Column {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What LSMI's arithmetic runs on: a device tensor of samples, host columns, or
/// one `f64` sample.
pub(crate) trait Value: Clone {
    /// Element-wise difference.
    fn minus(self, other: Self) -> Self;
    /// Element-wise minimum.
    fn minimum(self, other: Self) -> Self;
    /// Adds a constant to every element.
    fn plus(self, shift: f64) -> Self;
    /// 1 where `self` and `other` are both strictly negative, else 0.
    fn both_negative(self, other: Self) -> Self;
}

/// [`Value::both_negative`] of two numbers.
fn both_negative_f64(a: f64, b: f64) -> f64 {
    f64::from(u8::from(a < 0.0 && b < 0.0))
}

impl Value for f64 {
    fn minus(self, other: Self) -> Self {
        self - other
    }
    fn minimum(self, other: Self) -> Self {
        self.min(other)
    }
    fn plus(self, shift: f64) -> Self {
        self + shift
    }
    fn both_negative(self, other: Self) -> Self {
        both_negative_f64(self, other)
    }
}

impl<const D: usize> Value for Tensor<D> {
    fn minus(self, other: Self) -> Self {
        self - other
    }
    fn minimum(self, other: Self) -> Self {
        self.min_pair(other)
    }
    fn plus(self, shift: f64) -> Self {
        self.add_scalar(shift)
    }
    fn both_negative(self, other: Self) -> Self {
        self.lower_elem(0.0).bool_and(other.lower_elem(0.0)).float()
    }
}

impl Value for Vec<f64> {
    fn minus(self, other: Self) -> Self {
        self.iter().zip(&other).map(|(a, b)| a - b).collect()
    }
    fn minimum(self, other: Self) -> Self {
        self.iter().zip(&other).map(|(a, b)| a.min(*b)).collect()
    }
    fn plus(self, shift: f64) -> Self {
        self.iter().map(|a| a + shift).collect()
    }
    fn both_negative(self, other: Self) -> Self {
        self.iter()
            .zip(&other)
            .map(|(&a, &b)| both_negative_f64(a, b))
            .collect()
    }
}

/// The five pointwise quantities LSMI needs, one entry per sample, in nats:
/// `h(x1)`, `h(x2)`, `i(x1;y)`, `i(x2;y)`, `i(x1,x2;y)`.
///
/// `T` is the storage: `Tensor<1>` (the default; `[n]` float tensors on one
/// device), `Vec<f64>` (host columns, e.g. exact terms of synthetic data) or
/// `f64` (one sample). The constructors check that every column has one finite
/// value per sample, within ±[`MAX_TERM`]; the fields are private, so every
/// value has passed them.
#[derive(Debug, Clone, PartialEq)]
pub struct PointwiseTerms<T = Tensor<1>> {
    h1: T,
    h2: T,
    i1: T,
    i2: T,
    i12: T,
}

impl<T> PointwiseTerms<T> {
    /// Assembles terms whose checks the caller has made.
    pub(crate) fn unchecked(h1: T, h2: T, i1: T, i2: T, i12: T) -> Self {
        Self {
            h1,
            h2,
            i1,
            i2,
            i12,
        }
    }

    /// `h(x1) = −ln p(x1)`.
    pub fn h1(&self) -> &T {
        &self.h1
    }

    /// `h(x2) = −ln p(x2)`.
    pub fn h2(&self) -> &T {
        &self.h2
    }

    /// `i(x1;y) = ln p(y|x1) − ln p(y)`.
    pub fn i1(&self) -> &T {
        &self.i1
    }

    /// `i(x2;y) = ln p(y|x2) − ln p(y)`.
    pub fn i2(&self) -> &T {
        &self.i2
    }

    /// `i(x1,x2;y) = ln p(y|x1,x2) − ln p(y)`.
    pub fn i12(&self) -> &T {
        &self.i12
    }

    /// The five columns with their names, in the order of [`Column::TERMS`].
    pub fn columns(&self) -> [(Column, &T); 5] {
        [
            (Column::H1, &self.h1),
            (Column::H2, &self.h2),
            (Column::I1, &self.i1),
            (Column::I2, &self.i2),
            (Column::I12, &self.i12),
        ]
    }

    /// The same samples with the two modalities exchanged.
    pub fn swapped(&self) -> Self
    where
        T: Clone,
    {
        Self::unchecked(
            self.h2.clone(),
            self.h1.clone(),
            self.i2.clone(),
            self.i1.clone(),
            self.i12.clone(),
        )
    }

    /// Applies `f` to every column, keeping the order; stops at the first error.
    pub(crate) fn try_map<U>(
        &self,
        mut f: impl FnMut(Column, &T) -> Result<U>,
    ) -> Result<PointwiseTerms<U>> {
        Ok(PointwiseTerms::unchecked(
            f(Column::H1, &self.h1)?,
            f(Column::H2, &self.h2)?,
            f(Column::I1, &self.i1)?,
            f(Column::I2, &self.i2)?,
            f(Column::I12, &self.i12)?,
        ))
    }
}

impl PointwiseTerms<f64> {
    /// The terms of one sample; each value must be finite and within ±[`MAX_TERM`].
    ///
    /// # Errors
    ///
    /// * [`LsmiError::NonFinite`] if a value is NaN or ±∞.
    /// * [`LsmiError::OutOfRange`] if a finite value lies beyond ±[`MAX_TERM`].
    pub fn one(h1: f64, h2: f64, i1: f64, i2: f64, i12: f64) -> Result<Self> {
        let terms = Self::unchecked(h1, h2, i1, i2, i12);
        for (column, &value) in terms.columns() {
            check::term_host(column.name(), &[value])?;
        }
        Ok(terms)
    }

    /// The values in the order of [`Column::TERMS`].
    pub fn values(&self) -> [f64; 5] {
        [self.h1, self.h2, self.i1, self.i2, self.i12]
    }

    /// The LSMI decomposition of this sample, in `f64`.
    pub fn decompose(&self) -> Interactions<f64> {
        lsmi(self.clone())
    }

    /// The modality (`1` or `2`) that attains **both** minima of eq. 5 strictly
    /// (the smaller `h(x)` and the smaller `h(x|y)`), if one does; then `r` is
    /// that modality's `i(x;y)` and its unique term is 0 (identity 5), whatever
    /// the other modality says. `None` when the minima fall to different
    /// modalities (then `r` lies strictly between `i1` and `i2`) or either
    /// minimum is a tie (`h1 = h2` or `h(x1|y) = h(x2|y)`, as on the logic gates,
    /// whose modalities have equal `h` for every event).
    ///
    /// Equivalently: the gap `h1 − h2` lies outside the closed interval between
    /// 0 and `i1 − i2`.
    pub fn dominant_modality(&self) -> Option<usize> {
        match same_min(self) {
            [1.0, _] => Some(1),
            [_, 1.0] => Some(2),
            _ => None,
        }
    }
}

impl PointwiseTerms<Vec<f64>> {
    /// Host columns of terms, one value per sample in each; every value must be
    /// finite and within ±[`MAX_TERM`].
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Empty`] if `h1` is empty.
    /// * [`LsmiError::LengthMismatch`] if a column has not as many entries as `h1`.
    /// * [`LsmiError::NonFinite`] if a value is NaN or ±∞.
    /// * [`LsmiError::OutOfRange`] if a finite value lies beyond ±[`MAX_TERM`].
    pub fn from_columns(
        h1: Vec<f64>,
        h2: Vec<f64>,
        i1: Vec<f64>,
        i2: Vec<f64>,
        i12: Vec<f64>,
    ) -> Result<Self> {
        let terms = Self::unchecked(h1, h2, i1, i2, i12);
        check::non_empty("h1", terms.len())?;
        for (column, values) in terms.columns() {
            check::same_length(column.name(), values.len(), "h1", terms.len())?;
            check::term_host(column.name(), values)?;
        }
        Ok(terms)
    }

    /// The terms of `rows`, one sample each.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Empty`] if `rows` is empty.
    pub fn from_rows(rows: &[PointwiseTerms<f64>]) -> Result<Self> {
        check::non_empty("rows", rows.len())?;
        let mut terms = Self::unchecked(vec![], vec![], vec![], vec![], vec![]);
        for row in rows {
            terms.push(row.clone());
        }
        Ok(terms)
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        self.h1.len()
    }

    /// Always `false`: construction rejects empty terms.
    pub fn is_empty(&self) -> bool {
        self.h1.is_empty()
    }

    /// Sample `index`, or `None` past the end.
    pub fn row(&self, index: usize) -> Option<PointwiseTerms<f64>> {
        Some(PointwiseTerms::unchecked(
            *self.h1.get(index)?,
            *self.h2.get(index)?,
            *self.i1.get(index)?,
            *self.i2.get(index)?,
            *self.i12.get(index)?,
        ))
    }

    /// Appends one sample.
    pub(crate) fn push(&mut self, row: PointwiseTerms<f64>) {
        self.h1.push(row.h1);
        self.h2.push(row.h2);
        self.i1.push(row.i1);
        self.i2.push(row.i2);
        self.i12.push(row.i12);
    }

    /// The LSMI decomposition of every sample, in `f64` on the host.
    pub fn decompose(&self) -> Interactions<Vec<f64>> {
        lsmi(self.clone())
    }

    /// `[f1, f2]`: the fraction of samples where modality 1, and where modality
    /// 2, attains both minima of eq. 5 (see [`PointwiseTerms::dominant_modality`]);
    /// there `r` is simply that modality's `i(x;y)`. One of them near 1 says that
    /// the split is decided by the gap between the modalities' surprisals rather
    /// than by what they say about `y`.
    pub fn same_min_fractions(&self) -> [f64; 2] {
        same_min(self).map(|same| same.iter().sum::<f64>() / same.len().max(1) as f64)
    }

    /// The means `[H1, H2]` of `h1` and `h2` over these samples, in nats: the
    /// reference [`centered`](Self::centered) subtracts to centre them.
    pub fn surprisal_means(&self) -> [f64; 2] {
        [&self.h1, &self.h2].map(|h| h.iter().sum::<f64>() / h.len().max(1) as f64)
    }

    /// The same samples with centred surprisals `h̃_k = h_k − means[k]` in place
    /// of `h1` and `h2` (the `i` columns unchanged), for the affine-invariant
    /// variant of LSMI: decompose the result as usual.
    ///
    /// `means` is the reference `[H1, H2]`: [`surprisal_means`](Self::surprisal_means)
    /// of the same samples, or of the rows a model was fitted on when scoring new
    /// rows. An invertible affine map `x → A·x + b` of one modality adds
    /// `ln|det A|` to every `h` of that modality and to its mean, so the centred
    /// terms, and the interactions decomposed from them, do not change.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::NonFinite`] if a mean is NaN or ±∞ (`what` is `means`).
    /// * [`LsmiError::OutOfRange`] if a mean, or a centred value, lies beyond
    ///   ±[`MAX_TERM`].
    pub fn centered(&self, means: [f64; 2]) -> Result<Self> {
        check::term_host("means", &means)?;
        let terms = centered_unchecked(self, means);
        for (what, h) in [("h1", &terms.h1), ("h2", &terms.h2)] {
            check::term_host(what, h)?;
        }
        Ok(terms)
    }

    /// The terms as `f32` tensors on `device`, for a [`Decomposer`](crate::Decomposer).
    ///
    /// # Errors
    ///
    /// The errors of [`PointwiseTerms::from_slices`] (none for terms built by the
    /// checked constructors).
    pub fn to_device(&self, device: &Device) -> Result<PointwiseTerms> {
        PointwiseTerms::from_slices(&self.h1, &self.h2, &self.i1, &self.i2, &self.i12, device)
    }
}

impl PointwiseTerms {
    /// Checks that the five tensors are non-empty, of one length, on one device,
    /// finite and within ±[`MAX_TERM`].
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Empty`] if `h1` has no entries.
    /// * [`LsmiError::LengthMismatch`] if a tensor has not as many entries as `h1`.
    /// * [`LsmiError::DeviceMismatch`] if a tensor is not on the device of `h1`.
    /// * [`LsmiError::NonFinite`] if a value is NaN or ±∞.
    /// * [`LsmiError::OutOfRange`] if a finite value lies beyond ±[`MAX_TERM`].
    /// * [`LsmiError::Backend`] if the backend fails to read a tensor back.
    pub fn new(
        h1: Tensor<1>,
        h2: Tensor<1>,
        i1: Tensor<1>,
        i2: Tensor<1>,
        i12: Tensor<1>,
    ) -> Result<Self> {
        let terms = Self::unchecked(h1, h2, i1, i2, i12);
        terms.check_shapes()?;
        for (column, tensor) in terms.columns() {
            check::term(column.name(), tensor)?;
        }
        Ok(terms)
    }

    /// Checks what needs no device read: non-empty, one length, one device.
    pub(crate) fn check_shapes(&self) -> Result<()> {
        let n = self.h1.dims()[0];
        check::non_empty("h1", n)?;
        let device = self.h1.device();
        for (column, tensor) in self.columns() {
            check::same_length(column.name(), tensor.dims()[0], "h1", n)?;
            check::same_device(column.name(), &tensor.device(), "h1", &device)?;
        }
        Ok(())
    }

    /// The terms from host slices, placed on `device` (as `f32`); each value
    /// must be finite and within ±[`MAX_TERM`] (so also within `f32`).
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Empty`] if `h1` is empty.
    /// * [`LsmiError::LengthMismatch`] if a slice has not as many entries as `h1`.
    /// * [`LsmiError::NonFinite`] if a value is NaN or ±∞.
    /// * [`LsmiError::OutOfRange`] if a finite value lies beyond ±[`MAX_TERM`].
    pub fn from_slices(
        h1: &[f64],
        h2: &[f64],
        i1: &[f64],
        i2: &[f64],
        i12: &[f64],
        device: &Device,
    ) -> Result<Self> {
        let host = PointwiseTerms::unchecked(h1, h2, i1, i2, i12);
        check::non_empty("h1", h1.len())?;
        host.try_map(|column, values| {
            check::same_length(column.name(), values.len(), "h1", h1.len())?;
            check::term_host(column.name(), values)?;
            Ok(check::vector(
                values.iter().map(|&v| v as f32).collect(),
                device,
            ))
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
    /// [`LsmiError::OutOfRange`] naming the logits and the row.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Empty`] if `labels` is empty or a logits matrix has no rows.
    /// * [`LsmiError::LabelOutOfRange`] if a label lies outside `0..C`, `C` the classes
    ///   of `pmi`'s prior.
    /// * [`LsmiError::ZeroPriorClass`] if a label's class has probability 0 in that prior.
    /// * [`LsmiError::LengthMismatch`] if a logits matrix, `h1` or `h2` has not one row per
    ///   label.
    /// * [`LsmiError::WidthMismatch`] if a logits matrix has not `C` columns.
    /// * [`LsmiError::DeviceMismatch`] if `logits2`, `logits12`, `h1` or `h2` is not on the
    ///   device of `logits1`.
    /// * [`LsmiError::NonFinite`] if the logits, `h1` or `h2` hold NaN or ±∞.
    /// * [`LsmiError::OutOfRange`] if a finite value of `h1` or `h2` lies beyond
    ///   ±[`MAX_TERM`], or a row's logits are so far apart that `i(x;y)` does.
    /// * [`LsmiError::Backend`] if the backend fails to read a tensor back.
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
        let terms = Self::unchecked(
            h1,
            h2,
            pmi.pmi_checked(logits1, labels.clone()),
            pmi.pmi_checked(logits2, labels.clone()),
            pmi.pmi_checked(logits12, labels),
        );
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

    /// Reads the terms back to the host, widened to `f64` (one read per column).
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Backend`] if the backend fails to read a tensor back.
    pub fn to_host(&self) -> Result<PointwiseTerms<Vec<f64>>> {
        self.try_map(|_, tensor| read_widened(tensor))
    }

    /// The means `[H1, H2]` of `h1` and `h2`, accumulated in `f64` on the host
    /// (reads the two columns): see [`PointwiseTerms::surprisal_means`] on host
    /// columns.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Backend`] if the backend fails to read a tensor back.
    pub fn surprisal_means(&self) -> Result<[f64; 2]> {
        let host = PointwiseTerms::unchecked(
            read_widened(&self.h1)?,
            read_widened(&self.h2)?,
            vec![],
            vec![],
            vec![],
        );
        Ok(host.surprisal_means())
    }

    /// The same samples with centred surprisals `h_k − means[k]`, on their
    /// device: see [`PointwiseTerms::centered`] on host columns. The
    /// subtraction runs in `f32`; the centred columns are checked (one small
    /// device reduction each).
    ///
    /// # Errors
    ///
    /// * [`LsmiError::NonFinite`] if a mean is NaN or ±∞ (`what` is `means`).
    /// * [`LsmiError::OutOfRange`] if a mean, or a centred value, lies beyond
    ///   ±[`MAX_TERM`].
    /// * [`LsmiError::Backend`] if the backend fails to read a tensor back.
    pub fn centered(&self, means: [f64; 2]) -> Result<Self> {
        check::term_host("means", &means)?;
        let terms = centered_unchecked(self, means);
        for (what, h) in [("h1", &terms.h1), ("h2", &terms.h2)] {
            check::term(what, h)?;
        }
        Ok(terms)
    }
}

/// A device column on the host, widened exactly from `f32` to `f64`.
fn read_widened(tensor: &Tensor<1>) -> Result<Vec<f64>> {
    Ok(check::read_f32(tensor.clone())?
        .into_iter()
        .map(f64::from)
        .collect())
}

/// Per-sample interactions with the terms they were computed from, in nats;
/// `T` is the storage, as for [`PointwiseTerms`].
///
/// `r + u1 = i1`, `r + u2 = i2` and `r + u1 + u2 + s = i12` hold for every
/// sample. Pointwise values may be negative (a *misinformative* sample); they are
/// never clamped. Interactions come from a [`Decomposer`](crate::Decomposer)
/// (device), [`PointwiseTerms::decompose`] (host), a read-back with
/// [`to_host`](Interactions::to_host), or [`Interactions::from_redundancy`].
#[derive(Debug, Clone, PartialEq)]
pub struct Interactions<T = Tensor<1>> {
    r: T,
    u1: T,
    u2: T,
    s: T,
    r_plus: T,
    r_minus: T,
    terms: PointwiseTerms<T>,
}

impl<T> Interactions<T> {
    /// Redundancy `r = r⁺ − r⁻` (paper eq. 6).
    pub fn r(&self) -> &T {
        &self.r
    }

    /// Uniqueness of modality 1, `u1 = i(x1;y) − r`.
    pub fn u1(&self) -> &T {
        &self.u1
    }

    /// Uniqueness of modality 2, `u2 = i(x2;y) − r`.
    pub fn u2(&self) -> &T {
        &self.u2
    }

    /// Synergy `s = i(x1,x2;y) − r − u1 − u2`.
    pub fn s(&self) -> &T {
        &self.s
    }

    /// `r⁺ = min(h(x1), h(x2))` (paper eq. 5).
    pub fn r_plus(&self) -> &T {
        &self.r_plus
    }

    /// `r⁻ = min(h(x1|y), h(x2|y))` (paper eq. 5).
    pub fn r_minus(&self) -> &T {
        &self.r_minus
    }

    /// The pointwise terms the interactions were computed from.
    pub fn terms(&self) -> &PointwiseTerms<T> {
        &self.terms
    }

    /// One column by name.
    pub fn column(&self, column: Column) -> &T {
        match column {
            Column::R => &self.r,
            Column::U1 => &self.u1,
            Column::U2 => &self.u2,
            Column::S => &self.s,
            Column::RPlus => &self.r_plus,
            Column::RMinus => &self.r_minus,
            Column::H1 => &self.terms.h1,
            Column::H2 => &self.terms.h2,
            Column::I1 => &self.terms.i1,
            Column::I2 => &self.terms.i2,
            Column::I12 => &self.terms.i12,
        }
    }

    /// Every column with its name, in the order of [`Column::ALL`].
    pub fn columns(&self) -> [(Column, &T); 11] {
        Column::ALL.map(|column| (column, self.column(column)))
    }

    /// Applies `f` to every column, keeping the order; stops at the first error.
    pub(crate) fn try_map<U>(
        &self,
        mut f: impl FnMut(Column, &T) -> Result<U>,
    ) -> Result<Interactions<U>> {
        Ok(Interactions {
            r: f(Column::R, &self.r)?,
            u1: f(Column::U1, &self.u1)?,
            u2: f(Column::U2, &self.u2)?,
            s: f(Column::S, &self.s)?,
            r_plus: f(Column::RPlus, &self.r_plus)?,
            r_minus: f(Column::RMinus, &self.r_minus)?,
            terms: self.terms.try_map(f)?,
        })
    }
}

/// A copy of `interactions` with every sample shifted by `a`:
/// `r + a, u1 − a, u2 − a, s + a` (`r⁺`, `r⁻` and the terms unchanged), which
/// keeps identity 1 per sample.
pub(crate) fn shifted<T: Value>(interactions: &Interactions<T>, a: f64) -> Interactions<T> {
    Interactions {
        r: interactions.r.clone().plus(a),
        u1: interactions.u1.clone().plus(-a),
        u2: interactions.u2.clone().plus(-a),
        s: interactions.s.clone().plus(a),
        r_plus: interactions.r_plus.clone(),
        r_minus: interactions.r_minus.clone(),
        terms: interactions.terms.clone(),
    }
}

/// LSMI for every sample of `terms`, in their storage:
///
/// * eq. 5: `r⁺ = min(h(x1), h(x2))`, `r⁻ = min(h(x1|y), h(x2|y))` with
///   `h(x|y) = h(x) − i(x;y)` (eq. 8);
/// * eq. 6: `r = r⁺ − r⁻`;
/// * eq. 2: `u_k = i(x_k;y) − r`, `s = i(x1,x2;y) − r − u1 − u2`.
pub(crate) fn lsmi<T: Value>(terms: PointwiseTerms<T>) -> Interactions<T> {
    let h1_given_y = terms.h1.clone().minus(terms.i1.clone());
    let h2_given_y = terms.h2.clone().minus(terms.i2.clone());
    let r_plus = terms.h1.clone().minimum(terms.h2.clone());
    let r_minus = h1_given_y.minimum(h2_given_y);
    split(terms, r_plus, r_minus)
}

/// Per sample, `[1, 0]` where modality 1 attains both minima of eq. 5 strictly
/// (`h1 < h2` and `h(x1|y) < h(x2|y)`), `[0, 1]` where modality 2 does, else
/// `[0, 0]` (ties included). `h(x|y)` is computed as in [`lsmi`], so the test
/// agrees with the branches its minima take.
pub(crate) fn same_min<T: Value>(terms: &PointwiseTerms<T>) -> [T; 2] {
    let h1_given_y = terms.h1.clone().minus(terms.i1.clone());
    let h2_given_y = terms.h2.clone().minus(terms.i2.clone());
    let first = terms.h1.clone().minus(terms.h2.clone());
    let second = terms.h2.clone().minus(terms.h1.clone());
    [
        first.both_negative(h1_given_y.clone().minus(h2_given_y.clone())),
        second.both_negative(h2_given_y.minus(h1_given_y)),
    ]
}

/// `terms` with `means[k]` subtracted from `h_k`, unchecked.
fn centered_unchecked<T: Value>(
    terms: &PointwiseTerms<T>,
    [m1, m2]: [f64; 2],
) -> PointwiseTerms<T> {
    PointwiseTerms {
        h1: terms.h1.clone().plus(-m1),
        h2: terms.h2.clone().plus(-m2),
        ..terms.clone()
    }
}

/// Eqs. 6 and 2 for any redundancy written as `r = r⁺ − r⁻`:
/// `u_k = i(x_k;y) − r`, `s = i(x1,x2;y) − r − u1 − u2`.
pub(crate) fn split<T: Value>(terms: PointwiseTerms<T>, r_plus: T, r_minus: T) -> Interactions<T> {
    let r = r_plus.clone().minus(r_minus.clone());
    let u1 = terms.i1.clone().minus(r.clone());
    let u2 = terms.i2.clone().minus(r.clone());
    let s = terms
        .i12
        .clone()
        .minus(r.clone())
        .minus(u1.clone())
        .minus(u2.clone());
    Interactions {
        r,
        u1,
        u2,
        s,
        r_plus,
        r_minus,
        terms,
    }
}

impl Interactions<f64> {
    /// The values in the order of [`Column::ALL`].
    pub fn values(&self) -> [f64; 11] {
        Column::ALL.map(|column| *self.column(column))
    }
}

impl Interactions<Vec<f64>> {
    /// The number of samples.
    pub fn len(&self) -> usize {
        self.r.len()
    }

    /// Whether there are no samples (never, for interactions built by this crate).
    pub fn is_empty(&self) -> bool {
        self.r.is_empty()
    }

    /// Sample `index`, or `None` past the end.
    pub fn row(&self, index: usize) -> Option<Interactions<f64>> {
        Some(Interactions {
            r: *self.r.get(index)?,
            u1: *self.u1.get(index)?,
            u2: *self.u2.get(index)?,
            s: *self.s.get(index)?,
            r_plus: *self.r_plus.get(index)?,
            r_minus: *self.r_minus.get(index)?,
            terms: self.terms.row(index)?,
        })
    }

    /// The samples at `index`, in that order (indices already checked).
    pub(crate) fn select(&self, index: &[usize]) -> Self {
        let pick = |values: &Vec<f64>| index.iter().map(|&k| values[k]).collect();
        let t = &self.terms;
        Interactions {
            r: pick(&self.r),
            u1: pick(&self.u1),
            u2: pick(&self.u2),
            s: pick(&self.s),
            r_plus: pick(&self.r_plus),
            r_minus: pick(&self.r_minus),
            terms: PointwiseTerms::unchecked(
                pick(&t.h1),
                pick(&t.h2),
                pick(&t.i1),
                pick(&t.i2),
                pick(&t.i12),
            ),
        }
    }

    /// The samples one at a time.
    pub fn rows(&self) -> impl Iterator<Item = Interactions<f64>> + '_ {
        (0..self.len()).filter_map(|index| self.row(index))
    }

    /// The interactions as `f32` tensors on `device`.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::NonFinite`] or [`LsmiError::OutOfRange`] if a value does not fit
    ///   in `f32` (not possible for interactions of checked terms).
    pub fn to_device(&self, device: &Device) -> Result<Interactions> {
        self.try_map(|column, values| {
            check::term_host(column.name(), values)?;
            Ok(check::vector(
                values.iter().map(|&v| v as f32).collect(),
                device,
            ))
        })
    }
}

impl Interactions {
    /// Interactions for a redundancy measure of your own, written as
    /// `r = r⁺ − r⁻` per sample (for a measure without such a split, pass its
    /// `r` as `r_plus` and zeros as `r_minus`): `u1 = i1 − r`, `u2 = i2 − r`,
    /// `s = i12 − r − u1 − u2`, by the same arithmetic as [`Lsmi`](crate::Lsmi).
    /// This is how a [`Decomposer`](crate::Decomposer) other than LSMI builds its
    /// output.
    ///
    /// * `terms`: the five pointwise terms;
    /// * `r_plus`, `r_minus`: `[n]`, on the device of `terms`.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::LengthMismatch`] if `r_plus` or `r_minus` has not one entry per
    ///   sample.
    /// * [`LsmiError::DeviceMismatch`] if `r_plus` or `r_minus` is on another device than
    ///   the terms.
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
    ///         let r = terms.i1().clone().min_pair(terms.i2().clone());
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
                return Err(LsmiError::DeviceMismatch {
                    what,
                    reference: "terms",
                });
            }
        }
        Ok(split(terms, r_plus, r_minus))
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// Always `false`: construction rejects empty terms.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads every per-sample value back to the host, widened exactly from `f32`
    /// to `f64`.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::NonFinite`] naming the column and the row of the first NaN or
    ///   ±∞ (possible only for a decomposer of your own, or online without value
    ///   checks).
    /// * [`LsmiError::Backend`] if the backend fails to read a tensor back.
    pub fn to_host(&self) -> Result<Interactions<Vec<f64>>> {
        self.try_map(|column, tensor| {
            let values = read_widened(tensor)?;
            check::finite_host(column.name(), &values)?;
            Ok(values)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(h1: f64, h2: f64, i1: f64, i2: f64, i12: f64) -> Interactions<f64> {
        PointwiseTerms::one(h1, h2, i1, i2, i12)
            .expect("finite terms")
            .decompose()
    }

    #[test]
    fn redundancy_is_the_pmi_of_the_dominant_modality_even_when_larger() {
        // identity 5: h1 ≤ h2 and h1 − i1 ≤ h2 − i2 ⇒ r = i1, u1 = 0.
        let parts = one(1.0, 2.0, 0.3, 0.1, 0.9);
        assert!((parts.r - 0.3).abs() < 1e-12);
        assert!(parts.u1.abs() < 1e-12);
    }

    #[test]
    fn one_modality_attains_both_minima_only_strictly() {
        let terms = |h1, h2, i1, i2| PointwiseTerms::one(h1, h2, i1, i2, 0.0).unwrap();
        // h1 < h2 and h(x1|y) = 0.7 < h(x2|y) = 1.9: r = i1.
        assert_eq!(terms(1.0, 2.0, 0.3, 0.1).dominant_modality(), Some(1));
        assert_eq!(terms(2.0, 1.0, 0.1, 0.3).dominant_modality(), Some(2));
        // The minima fall to different modalities: r strictly between i1 and i2.
        let split = terms(1.0, 1.5, 0.0, 1.0);
        assert_eq!(split.dominant_modality(), None);
        assert!((split.decompose().r - 0.5).abs() < 1e-12);
        // Ties in either minimum do not count.
        assert_eq!(terms(1.0, 1.0, 0.3, 0.1).dominant_modality(), None);
        assert_eq!(terms(1.0, 2.0, 0.0, 1.0).dominant_modality(), None);
        assert_eq!(terms(1.0, 1.0, 0.5, 0.5).dominant_modality(), None);
        let columns = PointwiseTerms::from_columns(
            vec![1.0, 2.0, 1.0, 1.0],
            vec![2.0, 1.0, 1.5, 1.0],
            vec![0.3, 0.1, 0.0, 0.3],
            vec![0.1, 0.3, 1.0, 0.1],
            vec![0.0; 4],
        )
        .unwrap();
        assert_eq!(columns.same_min_fractions(), [0.25, 0.25]);
        assert_eq!(columns.swapped().same_min_fractions(), [0.25, 0.25]);
    }

    #[test]
    fn centring_subtracts_the_means_from_h_only() {
        let terms = PointwiseTerms::from_columns(
            vec![1.0, 3.0],
            vec![10.0, 30.0],
            vec![0.3, 0.1],
            vec![0.2, 0.4],
            vec![0.9, 0.5],
        )
        .unwrap();
        assert_eq!(terms.surprisal_means(), [2.0, 20.0]);
        let centred = terms.centered([2.0, 20.0]).unwrap();
        assert_eq!(centred.h1(), &vec![-1.0, 1.0]);
        assert_eq!(centred.h2(), &vec![-10.0, 10.0]);
        assert_eq!(centred.i1(), terms.i1());
        assert_eq!(centred.i12(), terms.i12());
        assert!(matches!(
            terms.centered([f64::NAN, 0.0]),
            Err(LsmiError::NonFinite { what: "means", .. })
        ));
        assert!(matches!(
            terms.centered([0.0, 2.0 * MAX_TERM]),
            Err(LsmiError::OutOfRange { what: "means", .. })
        ));
        // A centred value beyond the bound, although the mean is within it.
        let big = PointwiseTerms::from_columns(
            vec![MAX_TERM],
            vec![0.0],
            vec![0.0],
            vec![0.0],
            vec![0.0],
        )
        .unwrap();
        assert!(matches!(
            big.centered([-MAX_TERM, 0.0]),
            Err(LsmiError::OutOfRange { what: "h1", .. })
        ));
    }

    #[test]
    fn column_order_is_one_list() {
        let parts = one(1.0, 2.0, 0.3, 0.1, 0.9);
        let values = parts.values();
        for (index, column) in Column::ALL.into_iter().enumerate() {
            assert_eq!(values[index], *parts.column(column));
        }
        let names: Vec<&str> = Column::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(names.join(","), "r,u1,u2,s,r_plus,r_minus,h1,h2,i1,i2,i12");
        assert_eq!(
            Column::TERMS,
            [Column::H1, Column::H2, Column::I1, Column::I2, Column::I12]
        );
    }

    #[test]
    fn host_rows_and_columns_agree() {
        let terms = PointwiseTerms::from_columns(
            vec![1.0, 2.0],
            vec![1.5, 1.0],
            vec![0.3, 0.1],
            vec![0.2, 0.4],
            vec![0.9, 0.5],
        )
        .unwrap();
        let all = terms.decompose();
        for (index, row) in all.rows().enumerate() {
            let single = terms.row(index).unwrap().decompose();
            assert_eq!(row, single);
        }
        assert!(PointwiseTerms::from_columns(vec![], vec![], vec![], vec![], vec![]).is_err());
        assert!(
            PointwiseTerms::from_columns(
                vec![1.0],
                vec![1.0],
                vec![f64::NAN],
                vec![0.0],
                vec![0.0]
            )
            .is_err()
        );
    }
}

#[cfg(all(test, feature = "serde"))]
mod serde_tests {
    use super::*;

    #[test]
    fn column_round_trips_as_its_name() {
        for column in Column::ALL {
            let text = serde_json::to_string(&column).unwrap();
            assert_eq!(text, format!("\"{}\"", column.name()));
            assert_eq!(serde_json::from_str::<Column>(&text).unwrap(), column);
        }
        assert!(serde_json::from_str::<Column>("\"R\"").is_err());
    }
}
