//! Pointwise mutual information with the label, `i(x;y) = ln p(y|x) − ln p(y)`.
//!
//! `p(y|x)` comes from a classifier's logits (log-softmax, never
//! `softmax().ln()`, so logits of any magnitude stay finite); `p(y)` comes from a
//! [`LabelPrior`], so `h(y) = −ln p(y)` reflects class balance instead of the
//! reference code's `ln C`.

use burn::tensor::{Int, Tensor, activation::log_softmax};

use crate::check;
use crate::error::{LsmiError, Result};

/// The largest number of classes any part of the crate accepts: 2²⁰ = 1 048 576.
///
/// Every per-class table (prior, class counts, a classifier's output layer)
/// has this many entries, so a class count far beyond any data set (say
/// `usize::MAX` from a typo) is refused with [`LsmiError::TooManyClasses`]
/// instead of an allocation failure.
pub const MAX_CLASSES: usize = 1 << 20;

/// How the label prior `p(y)` is chosen.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum LabelPrior {
    /// The label frequencies of the fitting data (the default).
    #[default]
    Empirical,
    /// `p(y) = 1/C` for every class.
    Uniform,
    /// Probabilities given by the caller, one per class; they must be
    /// non-negative and sum to 1 within 1e-6.
    Given(Vec<f64>),
}

impl LabelPrior {
    /// Turns the choice into class probabilities for `num_classes` classes.
    ///
    /// `labels` are the fitting labels (used by [`LabelPrior::Empirical`], and
    /// checked to lie in `0..num_classes` for every variant).
    ///
    /// # Errors
    ///
    /// * [`LsmiError::TooFewClasses`] if `num_classes < 2` (checked before anything is
    ///   allocated).
    /// * [`LsmiError::TooManyClasses`] if `num_classes >` [`MAX_CLASSES`] (likewise).
    /// * [`LsmiError::LabelOutOfRange`] if a label lies outside `0..num_classes`.
    /// * [`LsmiError::Empty`] if `labels` is empty ([`LabelPrior::Empirical`] only).
    /// * [`LsmiError::WidthMismatch`] if a [`LabelPrior::Given`] has not `num_classes`
    ///   entries.
    /// * [`LsmiError::PriorNotProbability`] if a given probability is negative or not
    ///   finite.
    /// * [`LsmiError::PriorSum`] if the given probabilities do not sum to 1 within 1e-6.
    pub fn resolve(&self, labels: &[i64], num_classes: usize) -> Result<ClassPrior> {
        check::labels_host("labels", labels, num_classes)?;
        let probs = match self {
            LabelPrior::Empirical => {
                check::non_empty("labels", labels.len())?;
                let mut counts = vec![0usize; num_classes];
                for &label in labels {
                    counts[label as usize] += 1;
                }
                let total = labels.len() as f64;
                counts.into_iter().map(|c| c as f64 / total).collect()
            }
            LabelPrior::Uniform => vec![1.0 / num_classes as f64; num_classes],
            LabelPrior::Given(probs) => {
                if probs.len() != num_classes {
                    return Err(LsmiError::WidthMismatch {
                        what: "prior",
                        axis: "classes",
                        expected: num_classes,
                        found: probs.len(),
                    });
                }
                probs.clone()
            }
        };
        ClassPrior::new(probs)
    }
}

/// Validated class probabilities `p(y)`, one per class.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassPrior {
    probs: Vec<f64>,
}

impl ClassPrior {
    /// Checks that `probs` has at least two entries and at most [`MAX_CLASSES`],
    /// each a probability, summing to 1 within 1e-6.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::TooFewClasses`] if `probs` has fewer than 2 entries.
    /// * [`LsmiError::TooManyClasses`] if it has more than [`MAX_CLASSES`].
    /// * [`LsmiError::PriorNotProbability`] if an entry is negative or not finite.
    /// * [`LsmiError::PriorSum`] if the entries do not sum to 1 within 1e-6.
    pub fn new(probs: Vec<f64>) -> Result<Self> {
        check::num_classes(probs.len())?;
        if let Some((class, &value)) = probs
            .iter()
            .enumerate()
            .find(|&(_, &p)| !(p.is_finite() && p >= 0.0))
        {
            return Err(LsmiError::PriorNotProbability { class, value });
        }
        let sum: f64 = probs.iter().sum();
        if (sum - 1.0).abs() > 1e-6 {
            return Err(LsmiError::PriorSum { sum });
        }
        Ok(Self { probs })
    }

    /// The probabilities, indexed by class.
    pub fn probs(&self) -> &[f64] {
        &self.probs
    }

    /// The number of classes `C`.
    pub fn num_classes(&self) -> usize {
        self.probs.len()
    }

    /// `h(y) = −ln p(y)` for each class, in nats (`+∞` for a zero-probability class).
    pub fn surprisal(&self) -> Vec<f64> {
        self.probs.iter().map(|p| -p.ln()).collect()
    }

    /// Checks labels are in range and never name a zero-probability class.
    pub(crate) fn check_labels(&self, what: &'static str, labels: &[i64]) -> Result<()> {
        check::labels_host(what, labels, self.num_classes())?;
        match labels
            .iter()
            .enumerate()
            .find(|&(_, &label)| self.probs[label as usize] == 0.0)
        {
            Some((index, &class)) => Err(LsmiError::ZeroPriorClass {
                what,
                index,
                class: class as usize,
            }),
            None => Ok(()),
        }
    }
}

/// A source of pointwise mutual information `i(x;y)` with the label.
pub trait Pmi {
    /// `i(x;y) = ln p(y|x) − ln p(y)` for each sample.
    ///
    /// * `logits`: `[n, C]`, a classifier's unnormalised log-probabilities;
    /// * `labels`: `[n]`, class indices in `0..C`;
    /// * returns `[n]`, nats, on the device of `logits`.
    ///
    /// # Errors
    ///
    /// Up to the implementation; [`LogitPmi`] returns:
    ///
    /// * [`LsmiError::Empty`] if `labels` is empty or `logits` has no rows.
    /// * [`LsmiError::LabelOutOfRange`] if a label lies outside `0..C`, `C` the classes of
    ///   the prior.
    /// * [`LsmiError::ZeroPriorClass`] if a label's class has probability 0 in the prior.
    /// * [`LsmiError::LengthMismatch`] if `logits` has not one row per label.
    /// * [`LsmiError::WidthMismatch`] if `logits` has not `C` columns.
    /// * [`LsmiError::NonFinite`] if `logits` holds NaN or ±∞.
    /// * [`LsmiError::OutOfRange`] if a row's logits are so far apart (beyond `f32` range)
    ///   that `ln p(y|x)` overflows, naming the row.
    /// * [`LsmiError::Backend`] if the backend fails to read a tensor back.
    fn pointwise_mi(&self, logits: Tensor<2>, labels: Tensor<1, Int>) -> Result<Tensor<1>>;
}

/// [`Pmi`] from logits: `log_softmax(logits)[y] + h(y)` with a [`ClassPrior`].
#[derive(Debug, Clone, PartialEq)]
pub struct LogitPmi {
    prior: ClassPrior,
}

impl LogitPmi {
    /// PMI against `prior`.
    pub fn new(prior: ClassPrior) -> Self {
        Self { prior }
    }

    /// The prior `p(y)` in use.
    pub fn prior(&self) -> &ClassPrior {
        &self.prior
    }

    /// Checks the shapes and values of one logits matrix against `n` labels.
    pub(crate) fn check_logits(
        &self,
        what: &'static str,
        logits: &Tensor<2>,
        n: usize,
    ) -> Result<()> {
        let [rows, classes] = logits.dims();
        check::non_empty(what, rows)?;
        check::same_length(what, rows, "labels", n)?;
        if classes != self.prior.num_classes() {
            return Err(LsmiError::WidthMismatch {
                what,
                axis: "classes",
                expected: self.prior.num_classes(),
                found: classes,
            });
        }
        check::finite(what, logits)
    }

    /// [`Pmi::pointwise_mi`] on inputs already checked by the caller.
    pub(crate) fn pmi_checked(&self, logits: Tensor<2>, labels: Tensor<1, Int>) -> Tensor<1> {
        let surprisal: Vec<f32> = self.prior.surprisal().iter().map(|&h| h as f32).collect();
        let h_y = check::vector(surprisal, &logits.device());
        pmi_from_logits(logits, labels, h_y)
    }
}

/// `log_softmax(logits)[y] + h(y)` per row: `logits: [n, C]`, `labels: [n]`,
/// `class_surprisal: [C]` (`−ln p(y)` per class) → `[n]` nats, all on one device.
pub(crate) fn pmi_from_logits(
    logits: Tensor<2>,
    labels: Tensor<1, Int>,
    class_surprisal: Tensor<1>,
) -> Tensor<1> {
    let n = labels.dims()[0];
    let log_posterior = log_softmax(logits, 1)
        .gather(1, labels.clone().reshape([n, 1]))
        .reshape([n]);
    log_posterior + class_surprisal.select(0, labels)
}

impl Pmi for LogitPmi {
    /// `log_softmax(logits)[y] + h(y)` per row.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Empty`] if `labels` is empty or `logits` has no rows.
    /// * [`LsmiError::LabelOutOfRange`] if a label lies outside `0..C`, `C` the classes of
    ///   the prior.
    /// * [`LsmiError::ZeroPriorClass`] if a label's class has probability 0 in the prior.
    /// * [`LsmiError::LengthMismatch`] if `logits` has not one row per label.
    /// * [`LsmiError::WidthMismatch`] if `logits` has not `C` columns.
    /// * [`LsmiError::NonFinite`] if `logits` holds NaN or ±∞.
    /// * [`LsmiError::OutOfRange`] if a row's logits are so far apart (beyond `f32` range)
    ///   that `ln p(y|x)` overflows, naming the row.
    /// * [`LsmiError::Backend`] if the backend fails to read a tensor back.
    fn pointwise_mi(&self, logits: Tensor<2>, labels: Tensor<1, Int>) -> Result<Tensor<1>> {
        let host_labels = check::read_i64(labels.clone())?;
        check::non_empty("labels", host_labels.len())?;
        self.prior.check_labels("labels", &host_labels)?;
        self.check_logits("logits", &logits, host_labels.len())?;
        let pmi = self.pmi_checked(logits, labels);
        check::computed_term("i", "logits", &pmi)?;
        Ok(pmi)
    }
}
