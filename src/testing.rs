//! A property-testing kit for decompositions (feature `testing`).
//!
//! Researchers who write their own redundancy measure, or their own estimator of
//! the pointwise terms, can check it the way this crate checks [`Lsmi`]:
//!
//! * **strategies** ([`proptest`](mod@proptest)) for random finite pointwise terms — with ties
//!   and magnitudes up to 1e3 — ([`terms`]), random joint pmfs over small
//!   alphabets ([`joint_pmf`]), Gaussian-family parameters ([`gaussian_family`])
//!   and logits with labels ([`logits`]);
//! * **identity checks** that say which identity failed, on which sample, and by
//!   how much: [`check_decomposer`] for any [`Decomposer`], [`check_pmi`] for any
//!   [`Pmi`];
//! * **reference values**: the exact discrete oracle ([`JointPmf::decompose`](crate::JointPmf::decompose),
//!   whose `interactions().terms()` feed a decomposer) and the Gaussian family's exact terms
//!   ([`GaussianFamily::sample`]).
//!
//! The identities are those of every pointwise decomposition built like LSMI
//! (numbered as in the crate's theory notes):
//!
//! 1. `r + u1 = i1`, `r + u2 = i2`, `r + u1 + u2 + s = i12`;
//! 2. swapping the modalities swaps `u1 ↔ u2` and keeps `r, s, r⁺, r⁻`;
//! 3. one constant added to `h1` and `h2` changes none of `r, u1, u2, s`;
//! 4. `min(i1, i2) ≤ r ≤ max(i1, i2)`;
//! 5. if `h1 ≤ h2` and `h1 − i1 ≤ h2 − i2` then `r = i1` and `u1 = 0`;
//!
//! plus the reference adjustment (its shift follows the rule on the means and
//! moves every sample) and, for a [`Pmi`], invariance to a constant added to a
//! row of logits.
//!
//! ```
//! use lsmi::testing::{self, Identity};
//! use lsmi::{Decomposer, Interactions, PointwiseTerms};
//! use proptest::prelude::*;
//!
//! /// Pointwise minimum mutual information: `r = min(i1, i2)`.
//! struct Mmi;
//!
//! impl Decomposer for Mmi {
//!     fn decompose(&self, terms: PointwiseTerms) -> lsmi::Result<Interactions> {
//!         let r = terms.i1().clone().min_pair(terms.i2().clone());
//!         let zeros = r.zeros_like();
//!         Interactions::from_redundancy(terms, r, zeros)
//!     }
//! }
//!
//! proptest!(|(terms in testing::terms())| {
//!     let device = lsmi::default_device();
//!     let report = testing::check_decomposer(&Mmi, &terms, &device).unwrap();
//!     prop_assert!(report.holds(Identity::PartsAddUp), "{report}");
//!     prop_assert!(report.holds(Identity::Bounds), "{report}");
//! });
//!
//! // Where MMI and LSMI part: modality 1 has the smaller h and h(x|y), so
//! // identity 5 wants r = i1 = 0.3; MMI gives min(i1, i2) = 0.2.
//! let terms = lsmi::PointwiseTerms::from_columns(
//!     vec![1.0], vec![1.5], vec![0.3], vec![0.2], vec![0.9],
//! ).unwrap();
//! let report = testing::check_decomposer(&Mmi, &terms, &lsmi::default_device()).unwrap();
//! assert_eq!(report.broken(), vec![Identity::Dominance], "{report}");
//! let miss = report.first(Identity::Dominance).unwrap();
//! assert_eq!((miss.sample, miss.quantity), (0, "r"));
//! assert!((miss.found - 0.2).abs() < 1e-6 && (miss.expected - 0.3).abs() < 1e-6);
//! ```
//!
//! Tolerances follow `f32` device arithmetic: a sample's values may differ from
//! their exact counterparts by `32 · ε_f32 · (1 + m)`, with `m` the largest
//! magnitude among that sample's inputs (and the adjustment's shift, where it
//! enters); see [`tolerance`].

use std::fmt;

use burn::tensor::{Device, Int, Tensor, TensorData};
use proptest::prelude::*;

use crate::decompose::Decomposer;
use crate::error::Result;
use crate::oracle::JointPmf;
use crate::pmi::Pmi;
use crate::pointwise::{Interactions, PointwiseTerms};
use crate::synthetic::{ClassMeans, GaussianFamily};

#[cfg(doc)]
use crate::decompose::Lsmi;

/// One checked property. The numbers in the descriptions are those of the list
/// in the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Identity {
    /// 1: `r + u1 = i1`, `r + u2 = i2` and `r + u1 + u2 + s = i12` per sample.
    PartsAddUp,
    /// 2: swapping the modalities swaps `u1 ↔ u2` and keeps `r, s, r⁺, r⁻`.
    SwapSymmetry,
    /// 3: adding one constant to `h1` and `h2` changes none of `r, u1, u2, s`.
    CommonEntropyOffset,
    /// 4: `min(i1, i2) ≤ r ≤ max(i1, i2)`.
    Bounds,
    /// 5: `h1 ≤ h2` and `h1 − i1 ≤ h2 − i2` give `r = i1` and `u1 = 0`.
    Dominance,
    /// The adjustment's shift follows the rule on the raw means.
    AdjustmentRule,
    /// The adjustment moves every sample by its shift (`r + a, u − a, s + a`).
    AdjustmentShift,
    /// `i(x;y)` does not change when a constant is added to a row of logits.
    PmiRowOffset,
}

impl Identity {
    /// The identities [`check_decomposer`] checks, in order.
    pub const DECOMPOSITION: [Identity; 7] = [
        Identity::PartsAddUp,
        Identity::SwapSymmetry,
        Identity::CommonEntropyOffset,
        Identity::Bounds,
        Identity::Dominance,
        Identity::AdjustmentRule,
        Identity::AdjustmentShift,
    ];

    /// A one-line statement of the identity.
    pub fn describe(self) -> &'static str {
        match self {
            Identity::PartsAddUp => "identity 1: r + u1 = i1, r + u2 = i2, r + u1 + u2 + s = i12",
            Identity::SwapSymmetry => {
                "identity 2: swapping modalities swaps u1 and u2, keeps r, s, r+, r-"
            }
            Identity::CommonEntropyOffset => {
                "identity 3: a constant added to h1 and h2 changes no r, u, s"
            }
            Identity::Bounds => "identity 4: min(i1, i2) <= r <= max(i1, i2)",
            Identity::Dominance => {
                "identity 5: h1 <= h2 and h1 - i1 <= h2 - i2 give r = i1, u1 = 0"
            }
            Identity::AdjustmentRule => "adjustment: the shift follows the rule on the raw means",
            Identity::AdjustmentShift => "adjustment: every sample moves by the shift",
            Identity::PmiRowOffset => "pmi: a constant added to a row of logits changes no i(x;y)",
        }
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// One failed check: which identity, which sample, which quantity, by how much.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// The identity that failed.
    pub identity: Identity,
    /// The sample (row) it failed on; 0 for a data-set-level check.
    pub sample: usize,
    /// The quantity compared, e.g. `"r + u1 − i1"` or `"u1 (swapped: u2)"`.
    pub quantity: &'static str,
    /// The value the decomposition gave.
    pub found: f64,
    /// The value the identity requires.
    pub expected: f64,
    /// The tolerance the miss was compared with.
    pub tolerance: f64,
}

impl Violation {
    /// `|found − expected|`.
    pub fn miss(&self) -> f64 {
        (self.found - self.expected).abs()
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: sample {}: {} = {} but should be {} (miss {:.3e} > tolerance {:.3e})",
            self.identity,
            self.sample,
            self.quantity,
            self.found,
            self.expected,
            self.miss(),
            self.tolerance
        )
    }
}

/// What a check found: the identities it checked and every violation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    checked: Vec<Identity>,
    violations: Vec<Violation>,
}

impl Report {
    /// Whether `identity` was checked and held on every sample.
    pub fn holds(&self, identity: Identity) -> bool {
        self.checked.contains(&identity) && self.first(identity).is_none()
    }

    /// Whether every checked identity held.
    pub fn all_hold(&self) -> bool {
        self.violations.is_empty()
    }

    /// The identities checked, in order.
    pub fn checked(&self) -> &[Identity] {
        &self.checked
    }

    /// The identities that failed on at least one sample, in order.
    pub fn broken(&self) -> Vec<Identity> {
        let mut broken: Vec<Identity> = self.violations.iter().map(|v| v.identity).collect();
        broken.sort();
        broken.dedup();
        broken
    }

    /// Every violation, in the order found.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// The first violation of `identity`, if any.
    pub fn first(&self, identity: Identity) -> Option<&Violation> {
        self.violations.iter().find(|v| v.identity == identity)
    }

    /// The largest violation of `identity` (by miss), if any.
    pub fn worst(&self, identity: Identity) -> Option<&Violation> {
        self.violations
            .iter()
            .filter(|v| v.identity == identity)
            .max_by(|a, b| a.miss().total_cmp(&b.miss()))
    }

    fn check(&mut self, identity: Identity) -> Checker<'_> {
        if !self.checked.contains(&identity) {
            self.checked.push(identity);
        }
        Checker {
            report: self,
            identity,
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for identity in &self.checked {
            match self.worst(*identity) {
                None => writeln!(f, "holds   {identity}")?,
                Some(worst) => {
                    let count = self
                        .violations
                        .iter()
                        .filter(|v| v.identity == *identity)
                        .count();
                    writeln!(f, "BROKEN  {worst} ({count} violations)")?
                }
            }
        }
        Ok(())
    }
}

/// Records violations of one identity.
struct Checker<'a> {
    report: &'a mut Report,
    identity: Identity,
}

impl Checker<'_> {
    fn close(
        &mut self,
        sample: usize,
        quantity: &'static str,
        found: f64,
        expected: f64,
        tol: f64,
    ) {
        let miss = (found - expected).abs();
        // NaN counts as a miss.
        if miss.is_nan() || miss > tol {
            self.report.violations.push(Violation {
                identity: self.identity,
                sample,
                quantity,
                found,
                expected,
                tolerance: tol,
            });
        }
    }

    /// `found ≤ bound + tol`.
    fn at_most(&mut self, sample: usize, quantity: &'static str, found: f64, bound: f64, tol: f64) {
        if found.is_nan() || found > bound + tol {
            self.close(sample, quantity, found, bound, tol);
        }
    }
}

/// The tolerance for `f32` device arithmetic on values of these magnitudes:
/// `32 · ε_f32 · (1 + max |v|)`.
pub fn tolerance(values: &[f64]) -> f64 {
    let largest = values.iter().fold(0f64, |m, v| m.max(v.abs()));
    32.0 * f64::from(f32::EPSILON) * (1.0 + largest)
}

// ------------------------------------------------------------ strategies

/// One pointwise value: mostly in [−10, 10], sometimes up to ±1e3, sometimes a
/// value that recurs (so ties happen); always exactly representable in `f32`.
fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -10.0f64..10.0,
        2 => -1e3f64..1e3,
        1 => prop::sample::select(vec![-1.0, 0.0, 0.5, 2.0]),
    ]
    .prop_map(|v| f64::from(v as f32))
}

/// `[h1, h2, i1, i2, i12]` of one sample; a quarter tie in `h1 = h2` and a
/// quarter in `h1 − i1 = h2 − i2`.
fn row() -> impl Strategy<Value = [f64; 5]> {
    (prop::array::uniform5(value()), 0u8..4).prop_map(|([h1, h2, i1, i2, i12], tie)| match tie {
        0 => [h1, h1, i1, i2, i12],
        1 => [h1, h2, i1, f64::from((h2 - h1 + i1) as f32), i12],
        _ => [h1, h2, i1, i2, i12],
    })
}

/// Random finite pointwise terms of 1 to 39 samples, with ties and large
/// magnitudes (see [`terms_with`]).
pub fn terms() -> impl Strategy<Value = PointwiseTerms<Vec<f64>>> {
    terms_with(1..40)
}

/// Random finite pointwise terms with `samples` samples: values mostly in
/// [−10, 10], sometimes up to ±1e3 (a fitted `h` reaches tens of nats),
/// sometimes recurring; a quarter of the samples tie in `h1 = h2` and a quarter
/// in `h(x1|y) = h(x2|y)`. Every value is exactly representable in `f32`.
pub fn terms_with(
    samples: impl Into<prop::collection::SizeRange>,
) -> impl Strategy<Value = PointwiseTerms<Vec<f64>>> {
    prop::collection::vec(row(), samples).prop_map(|rows| exact_terms(&rows))
}

/// A random joint pmf `p(x1, x2, y)` on alphabets of 1 to 3 symbols each (1 to
/// 3 classes), about a quarter of the cells zero.
pub fn joint_pmf() -> impl Strategy<Value = JointPmf> {
    (1usize..=3, 1usize..=3, 1usize..=3).prop_flat_map(|(n1, n2, c)| {
        let cell = prop_oneof![1 => Just(0.0), 3 => 0.01f64..1.0];
        prop::collection::vec(cell, n1 * n2 * c)
            .prop_filter("some mass", |w| w.iter().sum::<f64>() > 0.0)
            .prop_map(move |weights| {
                let total: f64 = weights.iter().sum();
                let probs = weights.iter().map(|w| w / total).collect();
                JointPmf::new(n1, n2, c, probs).expect("normalised weights form a pmf")
            })
    })
}

/// A random valid Gaussian family: 2 to 5 classes, one-hot or ±1 means in 1 to
/// 6 dimensions (at least as many as the means need), `σ ∈ [0.3, 2]`,
/// `ρ ∈ [−0.95, 0.95]`, and balanced or random class weights.
pub fn gaussian_family() -> impl Strategy<Value = GaussianFamily> {
    (
        2usize..=5,
        0usize..=3,
        prop::bool::ANY,
        0.3f64..2.0,
        -0.95f64..0.95,
        prop::option::of(prop::collection::vec(0.1f64..1.0, 5)),
    )
        .prop_map(|(classes, extra, one_hot, sigma, rho, weights)| {
            let (means, needed) = if one_hot {
                (ClassMeans::OneHot, classes)
            } else {
                let bits = usize::BITS - (classes - 1).leading_zeros();
                (ClassMeans::PlusMinusOne, bits as usize)
            };
            let family = GaussianFamily::new(classes, needed + extra, sigma, rho, means);
            match weights {
                Some(w) => {
                    let total: f64 = w[..classes].iter().sum();
                    family.with_class_weights(w[..classes].iter().map(|v| v / total).collect())
                }
                None => family,
            }
        })
}

/// Random logits and labels for [`check_pmi`]: `(logits, labels, offsets)` with
/// `logits` row-major `[n, classes]` in [−20, 20], labels in `0..classes` and one
/// offset in [−50, 50] per row, for 1 to 29 rows.
pub fn logits(classes: usize) -> impl Strategy<Value = (Vec<f32>, Vec<i64>, Vec<f32>)> {
    let classes = classes.max(1);
    (1usize..30).prop_flat_map(move |n| {
        (
            prop::collection::vec(-20.0f32..20.0, n * classes),
            prop::collection::vec(0..classes as i64, n),
            prop::collection::vec(-50.0f32..50.0, n),
        )
    })
}

/// Rows `[h1, h2, i1, i2, i12]` as columns.
fn exact_terms(rows: &[[f64; 5]]) -> PointwiseTerms<Vec<f64>> {
    let column = |j: usize| rows.iter().map(|row| row[j]).collect();
    PointwiseTerms::unchecked(column(0), column(1), column(2), column(3), column(4))
}

// ------------------------------------------------------------ checks

/// Checks identities 1–5 and the adjustment on `decomposer`'s output for
/// `terms`, on `device`; returns every violation.
///
/// The decomposer runs on the terms, on the terms with the modalities swapped,
/// with one constant added to both `h` (two constants), and on the terms
/// reordered per sample so that modality 1 dominates (identity 5's premise).
///
/// # Errors
///
/// * The errors of [`PointwiseTerms::from_slices`] for terms that are empty, of
///   unequal lengths, not finite or beyond `f32`.
/// * Any error of `decomposer` or of reading its output back.
pub fn check_decomposer<D: Decomposer + ?Sized>(
    decomposer: &D,
    terms: &PointwiseTerms<Vec<f64>>,
    device: &Device,
) -> Result<Report> {
    let rows: Vec<[f64; 5]> = (0..terms.len())
        .filter_map(|k| terms.row(k))
        .map(|row| row.values())
        .collect();
    let run = |rows: &[[f64; 5]]| -> Result<Interactions<Vec<f64>>> {
        decomposer.decompose(terms_on(rows, device)?)?.to_host()
    };
    let mut report = Report::default();
    let base = decomposer.decompose(terms_on(&rows, device)?)?;
    let out = base.to_host()?;
    let tol = |k: usize| tolerance(&rows[k]);

    let mut check = report.check(Identity::PartsAddUp);
    for (k, &[_, _, i1, i2, i12]) in rows.iter().enumerate() {
        let [r, u1, u2, s] = [out.r()[k], out.u1()[k], out.u2()[k], out.s()[k]].map(f64::from);
        check.close(k, "r + u1", r + u1, i1, tol(k));
        check.close(k, "r + u2", r + u2, i2, tol(k));
        check.close(k, "r + u1 + u2 + s", r + u1 + u2 + s, i12, tol(k));
    }

    let swapped_rows: Vec<[f64; 5]> = rows
        .iter()
        .map(|&[h1, h2, i1, i2, i12]| [h2, h1, i2, i1, i12])
        .collect();
    let swapped = run(&swapped_rows)?;
    let mut check = report.check(Identity::SwapSymmetry);
    for k in 0..rows.len() {
        // (quantity of the swapped run, its value, the original value it must equal)
        let pairs = [
            ("u2 (swapped) vs u1", swapped.u2()[k], out.u1()[k]),
            ("u1 (swapped) vs u2", swapped.u1()[k], out.u2()[k]),
            ("r", swapped.r()[k], out.r()[k]),
            ("s", swapped.s()[k], out.s()[k]),
            ("r_plus", swapped.r_plus()[k], out.r_plus()[k]),
            ("r_minus", swapped.r_minus()[k], out.r_minus()[k]),
        ];
        for (quantity, found, expected) in pairs {
            check.close(k, quantity, found, expected, tol(k));
        }
    }

    for offset in [3.5, -11.25] {
        let moved: Vec<[f64; 5]> = rows
            .iter()
            .map(|&[h1, h2, i1, i2, i12]| [h1 + offset, h2 + offset, i1, i2, i12])
            .collect();
        let shifted = run(&moved)?;
        let mut check = report.check(Identity::CommonEntropyOffset);
        for (k, row) in moved.iter().enumerate() {
            let t = tolerance(row);
            check.close(k, "r", shifted.r()[k], out.r()[k], t);
            check.close(k, "u1", shifted.u1()[k], out.u1()[k], t);
            check.close(k, "u2", shifted.u2()[k], out.u2()[k], t);
            check.close(k, "s", shifted.s()[k], out.s()[k], t);
        }
    }

    let mut check = report.check(Identity::Bounds);
    for (k, &[_, _, i1, i2, _]) in rows.iter().enumerate() {
        let r = out.r()[k];
        check.at_most(k, "min(i1, i2) − r", i1.min(i2) - r, 0.0, tol(k));
        check.at_most(k, "r − max(i1, i2)", r - i1.max(i2), 0.0, tol(k));
    }

    // Identity 5's premise, per sample: modality 1 has the smaller h and h(x|y).
    let dominant: Vec<[f64; 5]> = rows
        .iter()
        .map(|&[a, b, i1, i2, i12]| {
            let (h1, h2) = (a.min(b), a.max(b));
            let (c1, c2) = ((a - i1).min(b - i2), (a - i1).max(b - i2));
            let f = |v: f64| f64::from(v as f32);
            [h1, h2, f(h1 - c1), f(h2 - c2), i12]
        })
        .collect();
    let ordered = run(&dominant)?;
    let mut check = report.check(Identity::Dominance);
    for (k, row) in dominant.iter().enumerate() {
        let t = tolerance(row);
        check.close(k, "r", ordered.r()[k], row[2], t);
        check.close(k, "u1", ordered.u1()[k], 0.0, t);
    }

    let raw = out.summary()?;
    let adjusted = base.adjust()?;
    let a = adjusted.shift();
    let rule = if raw.r < 0.0 || raw.s < 0.0 {
        -raw.r.min(raw.s)
    } else if raw.u1 < 0.0 || raw.u2 < 0.0 {
        raw.u1.min(raw.u2)
    } else {
        0.0
    };
    let scale = rows.iter().fold(0f64, |m, row| m.max(tolerance(row)));
    report
        .check(Identity::AdjustmentRule)
        .close(0, "shift a", a, rule, scale);
    let moved = adjusted.interactions().to_host()?;
    let mut check = report.check(Identity::AdjustmentShift);
    for (k, row) in rows.iter().enumerate() {
        let t = tolerance(row).max(tolerance(&[a]));
        let pairs = [
            ("r + a", moved.r()[k], out.r()[k] + a),
            ("u1 − a", moved.u1()[k], out.u1()[k] - a),
            ("u2 − a", moved.u2()[k], out.u2()[k] - a),
            ("s + a", moved.s()[k], out.s()[k] + a),
        ];
        for (quantity, found, expected) in pairs {
            check.close(k, quantity, found, expected, t);
        }
    }
    Ok(report)
}

/// Checks that `pmi` gives the same `i(x;y)` when `offsets[k]` is added to every
/// logit of row `k` (log-softmax is shift-invariant per row).
///
/// * `logits`: row-major `[n, classes]`; `labels`: `n` entries; `offsets`: `n`.
///
/// # Errors
///
/// * [`LsmiError::LengthMismatch`](crate::LsmiError::LengthMismatch) if `logits` is
///   not `labels.len() · classes` long or `offsets` not `labels.len()`.
/// * Any error of `pmi` (e.g. labels outside its classes) or of reading back.
pub fn check_pmi<P: Pmi + ?Sized>(
    pmi: &P,
    logits: &[f32],
    classes: usize,
    labels: &[i64],
    offsets: &[f32],
    device: &Device,
) -> Result<Report> {
    let n = labels.len();
    crate::check::same_length("logits", logits.len(), "labels · classes", n * classes)?;
    crate::check::same_length("offsets", offsets.len(), "labels", n)?;
    let moved: Vec<f32> = logits
        .iter()
        .enumerate()
        .map(|(index, v)| v + offsets[index / classes.max(1)])
        .collect();
    let matrix =
        |values: Vec<f32>| Tensor::<2>::from_data(TensorData::new(values, [n, classes]), device);
    let ys = || Tensor::<1, Int>::from_data(TensorData::new(labels.to_vec(), [n]), device);
    let before = crate::check::read_f32(pmi.pointwise_mi(matrix(logits.to_vec()), ys())?)?;
    let after = crate::check::read_f32(pmi.pointwise_mi(matrix(moved), ys())?)?;
    let mut report = Report::default();
    let mut check = report.check(Identity::PmiRowOffset);
    for k in 0..n {
        let row = &logits[k * classes..(k + 1) * classes];
        let scale: Vec<f64> = row
            .iter()
            .map(|&v| f64::from(v) + f64::from(offsets[k]))
            .chain(row.iter().map(|&v| f64::from(v)))
            .collect();
        check.close(
            k,
            "i(x;y)",
            f64::from(after[k]),
            f64::from(before[k]),
            tolerance(&scale),
        );
    }
    Ok(report)
}

/// The terms of `rows` as device tensors.
fn terms_on(rows: &[[f64; 5]], device: &Device) -> Result<PointwiseTerms> {
    let column = |j: usize| rows.iter().map(|row| row[j]).collect::<Vec<f64>>();
    PointwiseTerms::from_slices(
        &column(0),
        &column(1),
        &column(2),
        &column(3),
        &column(4),
        device,
    )
}
