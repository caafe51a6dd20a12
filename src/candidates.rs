//! Interactions for every candidate label: `r, u1, u2, s` of each row as if its
//! label were `y'`, for each of the `C` classes, and their expectation under the
//! joint classifier's posterior — the label-free per-sample interactions used at
//! inference time, when no label is known.

use burn::tensor::activation::log_softmax;
use burn::tensor::{Int, Tensor};

use crate::check;
use crate::error::{LsmiError, Result};
use crate::estimator::{FittedLsmi, LsmiModels, Scores};
use crate::pmi::ClassPrior;
use crate::pointwise::{self, Interactions, PointwiseTerms};

/// The most entries `n · C` one candidate matrix may hold: 2²⁴ (16 777 216).
///
/// [`CandidateInteractions`] keeps 14 `[n, C]` `f32` matrices (the 11 columns
/// of [`Column::ALL`](crate::Column::ALL) and three log-probability matrices), so
/// the cap bounds it at about 0.9 GiB. For more rows, compute the candidates of
/// row chunks ([`LsmiModels::candidates`] takes any rows).
pub const MAX_CANDIDATE_ENTRIES: usize = 1 << 24;

/// The LSMI decomposition of every row for every candidate label `y'`, in nats.
///
/// Of the five pointwise terms only the three `i_k(x; y') = ln q_k(y'|x_k) −
/// ln p(y')` depend on the label; `h(x1)`, `h(x2)` and hence `r⁺` do not. Each
/// column of [`candidates`](Self::candidates) is an `[n, C]` tensor whose entry
/// `(j, y')` is that quantity for row `j` labelled `y'` (the `h` and `r⁺`
/// columns repeat one value across a row), computed by the same arithmetic as
/// [`Lsmi`](crate::Lsmi): at the true labels it *is* the labelled decomposition
/// ([`at_labels`](Self::at_labels)).
///
/// [`expected`](Self::expected) averages each column over `y'` with the joint
/// classifier's posterior `p(y'|x1,x2)`: `Σ_y' p(y'|x1,x2) r(x, y')`, and so on.
/// It is the decomposition *the models expect* for the row — what LSMI would
/// report on average if the label were drawn from the joint classifier's
/// belief. It needs no label, so it serves at inference time (ensembles, shift
/// screening). Because the decomposition is linear in the `i` terms once the two
/// `min`s are fixed per `y'`, the expectations keep `r + u1 = E i1`,
/// `r + u2 = E i2` and `r + u1 + u2 + s = E i12`; `E i12` is the
/// Kullback–Leibler divergence of the posterior from the prior (≥ 0), the
/// information the pair's model claims to carry about the row's label.
///
/// Build it from logits ([`from_logits`](Self::from_logits)), from fitted models
/// for new rows ([`LsmiModels::candidates`]) or for the rows of a fit, each
/// scored by the models of its held-out fold ([`FittedLsmi::candidates`]).
#[derive(Debug, Clone)]
pub struct CandidateInteractions {
    candidates: Interactions<Tensor<2>>,
    log_probs: [Tensor<2>; 3],
    prior: ClassPrior,
}

/// Fails with [`LsmiError::TooLarge`] when `n · C` exceeds [`MAX_CANDIDATE_ENTRIES`].
fn check_size(n: usize, classes: usize) -> Result<()> {
    let entries = n.saturating_mul(classes);
    if entries > MAX_CANDIDATE_ENTRIES {
        return Err(LsmiError::TooLarge {
            what: "candidate interactions",
            entries,
            max: MAX_CANDIDATE_ENTRIES,
        });
    }
    Ok(())
}

/// Column 0 of an `[n, C]` tensor whose columns repeat one value, as `[n]`.
fn first_column(matrix: &Tensor<2>) -> Tensor<1> {
    let n = matrix.dims()[0];
    matrix.clone().narrow(1, 0, 1).reshape([n])
}

impl CandidateInteractions {
    /// The candidate decomposition from two entropy columns and three
    /// classifiers' logits.
    ///
    /// * `h1`, `h2`: `[n]`, `h(x1)`, `h(x2)` in nats;
    /// * `logits1`, `logits2`, `logits12`: `[n, C]`, for `p(y|x1)`, `p(y|x2)`,
    ///   `p(y|x1,x2)` (log-softmax is applied, so log-probabilities pass unchanged);
    /// * `prior`: `p(y)`, with `C` classes, none of probability 0.
    ///
    /// All on one device; one pass over each logits matrix (not `C` decompositions).
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Empty`] if `h1` is empty.
    /// * [`LsmiError::LengthMismatch`] if `h2` or a logits matrix has not one row per
    ///   entry of `h1`.
    /// * [`LsmiError::WidthMismatch`] if a logits matrix has not `C` columns.
    /// * [`LsmiError::DeviceMismatch`] if a tensor is not on the device of `h1`.
    /// * [`LsmiError::ZeroPriorClass`] if a class has probability 0 in `prior` (its
    ///   `i` would be infinite; `what` is `prior` and `index` the class).
    /// * [`LsmiError::TooLarge`] if `n · C` exceeds [`MAX_CANDIDATE_ENTRIES`].
    /// * [`LsmiError::NonFinite`] if `h1`, `h2` or the logits hold NaN or ±∞.
    /// * [`LsmiError::OutOfRange`] if a value of `h1` or `h2` lies beyond
    ///   ±[`MAX_TERM`](crate::MAX_TERM), or a row's logits are so far apart that an
    ///   `i` does (the index is the row).
    /// * [`LsmiError::Backend`] if the backend fails to read a tensor back.
    pub fn from_logits(
        h1: Tensor<1>,
        h2: Tensor<1>,
        logits1: Tensor<2>,
        logits2: Tensor<2>,
        logits12: Tensor<2>,
        prior: &ClassPrior,
    ) -> Result<Self> {
        let n = h1.dims()[0];
        check::non_empty("h1", n)?;
        let classes = prior.num_classes();
        if let Some(class) = prior.probs().iter().position(|&p| p == 0.0) {
            return Err(LsmiError::ZeroPriorClass {
                what: "prior",
                index: class,
                class,
            });
        }
        let device = h1.device();
        check::same_length("h2", h2.dims()[0], "h1", n)?;
        check::same_device("h2", &h2.device(), "h1", &device)?;
        for (what, logits) in [
            ("logits1", &logits1),
            ("logits2", &logits2),
            ("logits12", &logits12),
        ] {
            let [rows, width] = logits.dims();
            check::same_length(what, rows, "h1", n)?;
            if width != classes {
                return Err(LsmiError::WidthMismatch {
                    what,
                    axis: "classes",
                    expected: classes,
                    found: width,
                });
            }
            check::same_device(what, &logits.device(), "h1", &device)?;
        }
        check_size(n, classes)?;
        for (what, logits) in [
            ("logits1", &logits1),
            ("logits2", &logits2),
            ("logits12", &logits12),
        ] {
            check::finite(what, logits)?;
        }
        check::term("h1", &h1)?;
        check::term("h2", &h2)?;
        let scores = Scores {
            h: vec![h1, h2],
            log_probs: [logits1, logits2, logits12]
                .map(|logits| log_softmax(logits, 1))
                .to_vec(),
        };
        Self::from_scores(scores, prior.clone())
    }

    /// [`from_logits`](Self::from_logits) on the outputs of fitted models.
    fn from_model_scores(scores: Scores, prior: &ClassPrior) -> Result<Self> {
        // Two modalities: two entropies, three classifiers.
        let (h, p) = (&scores.h, &scores.log_probs);
        Self::from_logits(
            h[0].clone(),
            h[1].clone(),
            p[0].clone(),
            p[1].clone(),
            p[2].clone(),
            prior,
        )
    }

    /// The candidates from checked entropies and log-probabilities.
    fn from_scores(scores: Scores, prior: ClassPrior) -> Result<Self> {
        let [n, classes] = scores.log_probs[0].dims();
        let device = scores.h[0].device();
        let surprisal: Vec<f32> = prior.surprisal().iter().map(|&h| h as f32).collect();
        let h_y = check::vector(surprisal, &device).reshape([1, classes]);
        let p = &scores.log_probs;
        let log_probs = [p[0].clone(), p[1].clone(), p[2].clone()];
        let [i1, i2, i12] = [0, 1, 2].map(|k| log_probs[k].clone() + h_y.clone());
        for (what, from, i) in [
            ("i1", "logits1", &i1),
            ("i2", "logits2", &i2),
            ("i12", "logits12", &i12),
        ] {
            // One reduction over all n·C entries; the error names the row.
            check::computed_term(what, from, &i.clone().reshape([n * classes])).map_err(|err| {
                match err {
                    LsmiError::OutOfRange {
                        what,
                        index,
                        value,
                        computed_from,
                        limit,
                    } => LsmiError::OutOfRange {
                        what,
                        index: index / classes,
                        value,
                        computed_from,
                        limit,
                    },
                    other => other,
                }
            })?;
        }
        let repeat = |h: Tensor<1>| h.reshape([n, 1]).repeat_dim(1, classes);
        let terms = PointwiseTerms::unchecked(
            repeat(scores.h[0].clone()),
            repeat(scores.h[1].clone()),
            i1,
            i2,
            i12,
        );
        Ok(Self {
            candidates: pointwise::lsmi(terms),
            log_probs,
            prior,
        })
    }

    /// Every column for every candidate label: `[n, C]` tensors, entry `(j, y')`
    /// for row `j` labelled `y'`.
    pub fn candidates(&self) -> &Interactions<Tensor<2>> {
        &self.candidates
    }

    /// The number of rows `n`.
    pub fn len(&self) -> usize {
        self.log_probs[0].dims()[0]
    }

    /// Always `false`: construction rejects empty input.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of classes `C`.
    pub fn num_classes(&self) -> usize {
        self.prior.num_classes()
    }

    /// The label prior `p(y)` the `i` terms are taken against.
    pub fn prior(&self) -> &ClassPrior {
        &self.prior
    }

    /// The three classifiers' log-probabilities `ln q(y'|x1)`, `ln q(y'|x2)`,
    /// `ln q(y'|x1,x2)`, each `[n, C]`.
    pub fn log_probs(&self) -> &[Tensor<2>; 3] {
        &self.log_probs
    }

    /// The joint classifier's posterior `p(y'|x1,x2)`, `[n, C]`, rows summing to 1:
    /// the weights of [`expected`](Self::expected).
    pub fn posterior(&self) -> Tensor<2> {
        self.log_probs[2].clone().exp()
    }

    /// The label-free per-sample interactions: every column averaged over the
    /// candidate labels with the posterior, `Σ_y' p(y'|x1,x2) m(x, y')`, as `[n]`
    /// tensors (`h1`, `h2`, `r⁺` are label-free and pass unchanged). The
    /// identities `r + u1 = i1`, `r + u2 = i2`, `r + u1 + u2 + s = i12` hold for
    /// the expectations.
    pub fn expected(&self) -> Interactions {
        let posterior = self.posterior();
        let n = self.len();
        let mean = |m: &Tensor<2>| (posterior.clone() * m.clone()).sum_dim(1).reshape([n]);
        let c = &self.candidates;
        let t = c.terms();
        let terms = PointwiseTerms::unchecked(
            first_column(t.h1()),
            first_column(t.h2()),
            mean(t.i1()),
            mean(t.i2()),
            mean(t.i12()),
        );
        pointwise::split(terms, first_column(c.r_plus()), mean(c.r_minus()))
    }

    /// Every column at the given labels: the labelled decomposition of each row,
    /// gathered from the candidate matrices (`labels: [n]`, in `0..C`).
    ///
    /// # Errors
    ///
    /// * [`LsmiError::LengthMismatch`] if `labels` has not one entry per row.
    /// * [`LsmiError::DeviceMismatch`] if `labels` is not on the device of the candidates.
    /// * [`LsmiError::LabelOutOfRange`] if a label lies outside `0..C`.
    /// * [`LsmiError::Backend`] if the backend fails to read the labels back.
    pub fn at_labels(&self, labels: Tensor<1, Int>) -> Result<Interactions> {
        let n = self.len();
        check::same_length("labels", labels.dims()[0], "candidates", n)?;
        check::same_device(
            "labels",
            &labels.device(),
            "candidates",
            &self.log_probs[0].device(),
        )?;
        check::labels("labels", &labels, self.num_classes())?;
        let index = labels.reshape([n, 1]);
        self.candidates
            .try_map(|_, m| Ok(m.clone().gather(1, index.clone()).reshape([n])))
    }

    /// How far each row's labelled decomposition lies from what the models
    /// expect: [`at_labels`](Self::at_labels) minus [`expected`](Self::expected),
    /// column by column (`h1`, `h2`, `r⁺` shift by 0). A label the models find
    /// unlikely has large negative shifts of `i12` and of the interactions that
    /// carry it; averaged over labels drawn from the posterior every shift is 0.
    ///
    /// # Errors
    ///
    /// As [`at_labels`](Self::at_labels).
    pub fn shift_at_labels(&self, labels: Tensor<1, Int>) -> Result<Interactions> {
        let at = self.at_labels(labels)?;
        let expected = self.expected();
        let diff =
            |column: crate::Column| at.column(column).clone() - expected.column(column).clone();
        use crate::Column as C;
        let terms = PointwiseTerms::unchecked(
            diff(C::H1),
            diff(C::H2),
            diff(C::I1),
            diff(C::I2),
            diff(C::I12),
        );
        Ok(pointwise::split(terms, diff(C::RPlus), diff(C::RMinus)))
    }
}

/// Checks the shapes of two feature matrices against models fitted on `dims`
/// features (and, for a fit's rows, `rows` rows).
fn check_features(x1: &Tensor<2>, x2: &Tensor<2>, dims: (usize, usize)) -> Result<usize> {
    let [rows, d1] = x1.dims();
    let [rows2, d2] = x2.dims();
    check::non_empty("x1", rows)?;
    check::same_length("x2", rows2, "x1", rows)?;
    check::features("x1", d1, dims.0)?;
    check::features("x2", d2, dims.1)?;
    Ok(rows)
}

impl LsmiModels {
    /// The candidate-label decomposition of new rows (`x1: [m, d1]`,
    /// `x2: [m, d2]`), scored like [`transform`](Self::transform) by the mixture of
    /// the fold models: see [`CandidateInteractions`].
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Empty`] if `x1` or `x2` has no features or no rows.
    /// * [`LsmiError::LengthMismatch`] if `x2` has not as many rows as `x1`.
    /// * [`LsmiError::WidthMismatch`] if `x1` or `x2` has not as many features as the
    ///   models were fitted on.
    /// * Otherwise as [`CandidateInteractions::from_logits`].
    pub fn candidates(&self, x1: Tensor<2>, x2: Tensor<2>) -> Result<CandidateInteractions> {
        let rows = check_features(&x1, &x2, self.feature_counts())?;
        check_size(rows, self.prior().num_classes())?;
        let scores = self.centered_scores(self.mixture_scores(x1, x2)?)?;
        CandidateInteractions::from_model_scores(scores, self.prior())
    }
}

impl FittedLsmi {
    /// The candidate-label decomposition of the rows the estimator was fitted on,
    /// each scored by the models that did not see it (its held-out fold's set, as
    /// in [`interactions`](Self::interactions)); at the true labels it equals
    /// [`interactions`](Self::interactions).
    ///
    /// With [`LsmiConfig::centered`](crate::LsmiConfig::centered) the candidates
    /// are centred as the interactions are (on the training rows' mean surprisals).
    ///
    /// The fit keeps no features: pass the same `x1`, `x2` again, in the same
    /// order. They are checked by scoring: the entropy models must give the
    /// fitted `h(x1)`, `h(x2)` again (within `1e-4 · (1 + |h|)`).
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Empty`] if `x1` or `x2` has no features or no rows.
    /// * [`LsmiError::LengthMismatch`] if `x1` or `x2` has not one row per fitted row.
    /// * [`LsmiError::WidthMismatch`] if `x1` or `x2` has not as many features as the
    ///   models were fitted on.
    /// * [`LsmiError::NotFittedRows`] if the rows are not the fitted ones.
    /// * Otherwise as [`CandidateInteractions::from_logits`].
    pub fn candidates(&self, x1: Tensor<2>, x2: Tensor<2>) -> Result<CandidateInteractions> {
        let models = self.models();
        let rows = check_features(&x1, &x2, models.feature_counts())?;
        let fitted = self.interactions();
        check::same_length("x1", rows, "the fitted rows", fitted.len())?;
        check_size(rows, models.prior().num_classes())?;
        let scores = models.centered_scores(models.held_out_scores(&x1, &x2)?)?;
        for (what, now, then) in [
            ("h1", &scores.h[0], fitted.terms().h1()),
            ("h2", &scores.h[1], fitted.terms().h2()),
        ] {
            check_same_rows(what, now, then)?;
        }
        CandidateInteractions::from_model_scores(scores, models.prior())
    }
}

/// Fails with [`LsmiError::NotFittedRows`] at the first row where `now` and
/// `then` differ by more than `1e-4 · (1 + |then|)` (one device reduction when
/// they agree).
fn check_same_rows(what: &'static str, now: &Tensor<1>, then: &Tensor<1>) -> Result<()> {
    let tolerance = then.clone().abs().mul_scalar(1e-4).add_scalar(1e-4);
    let differs = (now.clone() - then.clone()).abs().greater(tolerance);
    let any = differs
        .any()
        .try_into_scalar::<bool>()
        .map_err(|e| LsmiError::Backend(e.to_string()))?;
    if !any {
        return Ok(());
    }
    let now = check::read_f32(now.clone())?;
    let then = check::read_f32(then.clone())?;
    let index = now
        .iter()
        .zip(&then)
        .position(|(a, b)| {
            let (a, b) = (f64::from(*a), f64::from(*b));
            (a - b).abs() > 1e-4 * (1.0 + b.abs()) || a.is_nan()
        })
        .unwrap_or(0);
    Err(LsmiError::NotFittedRows {
        what,
        index,
        fitted: f64::from(then[index]),
        found: f64::from(now[index]),
    })
}
