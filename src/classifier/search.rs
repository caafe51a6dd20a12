//! Choosing a classifier by held-out log-loss, then calibrating its temperature.

use std::fmt;
use std::time::{Duration, Instant};

use burn::config::Config;
use burn::tensor::{Int, Tensor};

use super::lda::fit_lda_path;
use super::{Classifier, ClassifierConfig, cross_entropy, fit_lda, fit_temperature};
use crate::check;
use crate::error::{LsmiError, Result};
use crate::rng::SeededRng;
use crate::standardize::Standardizer;
use crate::train::{self, FitConfig, Rows};

use super::calibrate::{MAX_TEMPERATURE, MIN_TEMPERATURE, nll_at_temperature, row_losses};
use super::lda::MAX_LDA_FEATURES;
use crate::ops::clearly_better;

/// Chooses a classifier `p(y|x)` by held-out log-loss and calibrates its temperature.
///
/// Averaged over rows the classifier was not fitted on,
/// `mean î(x;y) ≈ I(X;Y) − E KL(p(y|x) ‖ q(y|x))`: the classifier with the lowest
/// held-out log-loss gives the least biased pointwise mutual information. The
/// search holds out a seeded `holdout_fraction` of the rows it is given, fits
/// candidates of growing capacity on the rest, and keeps the one with the lowest
/// mean held-out cross-entropy:
///
/// 1. linear models (no hidden layer): closed-form LDA ([`fit_lda`], exact when
///    the classes are Gaussian with one covariance) and multinomial logistic
///    regression warm-started from it;
/// 2. an MLP of each width in `mlp_hidden`, in order, with weight decay
///    `mlp_weight_decay` (coupled L2, see [`FitConfig::weight_decay`]).
///
/// Every trained candidate stops early on the held-out loss. An MLP replaces the
/// best model so far only if its held-out loss is lower by more than twice the
/// standard error of the paired per-row difference (the one-standard-error rule:
/// a more flexible model chosen on noise extrapolates worse in the tails, where
/// the pointwise terms are largest). Unless `exhaustive`, the search stops at the
/// first capacity level that is not chosen. The chosen classifier's temperature
/// is then fitted on the held-out logits ([`fit_temperature`]) and kept only if it
/// lies inside its range and lowers the held-out loss by the same margin (else
/// `T = 1`: a temperature at a bound means the held-out rows, e.g. all classified
/// correctly, do not identify one), and with `refit`
/// its architecture is fitted again on all rows (the trained ones for the epochs
/// that were best) and given that temperature.
#[derive(Config, Debug)]
pub struct ClassifierSearch {
    /// Fraction of the rows held out to choose and calibrate, in `(0, 1)`.
    #[config(default = 0.2)]
    pub holdout_fraction: f64,
    /// Try closed-form LDA.
    #[config(default = true)]
    pub lda: bool,
    /// Relative ridges of LDA's pooled covariance (see [`fit_lda`]), each one
    /// an LDA candidate (closed form, sharing one pass over the rows). A larger
    /// ridge damps the directions of small within-class variance, where estimated
    /// class means are mostly noise: in many dimensions that noise is most of
    /// LDA's excess held-out loss. The first ridge is the reference; a later one
    /// is chosen only if its held-out loss is clearly lower (by two standard
    /// errors of the paired per-row difference, as for the MLPs).
    #[config(default = "vec![1e-4, 1e-3, 1e-2, 1e-1]")]
    pub lda_ridges: Vec<f64>,
    /// Try multinomial logistic regression (warm-started from LDA when `lda` is on).
    #[config(default = true)]
    pub logistic: bool,
    /// How the logistic regression is fitted; its `holdout_fraction` is replaced by
    /// the search's and its seed derived from the search's.
    #[config(
        default = "FitConfig::new().with_learning_rate(3e-3).with_batch_size(1024).with_epochs(40).with_lr_step_epochs(0).with_patience(4)"
    )]
    pub linear_fit: FitConfig,
    /// Hidden widths of the MLP candidates, smallest first.
    #[config(default = "vec![vec![64, 64], vec![256, 256]]")]
    pub mlp_hidden: Vec<Vec<usize>>,
    /// Weight decay of the MLP candidates.
    #[config(default = 1e-3)]
    pub mlp_weight_decay: f64,
    /// How the MLPs are fitted; its `holdout_fraction` and `weight_decay` are
    /// replaced by the search's and its seed derived from the search's.
    #[config(
        default = "FitConfig::new().with_learning_rate(1e-3).with_batch_size(256).with_epochs(30).with_lr_step_epochs(20).with_patience(6)"
    )]
    pub mlp_fit: FitConfig,
    /// Try every candidate, rather than stop at the first capacity level that does
    /// not improve on the best so far.
    #[config(default = false)]
    pub exhaustive: bool,
    /// Fit the temperature of the chosen classifier on the held-out rows (else `T = 1`).
    #[config(default = true)]
    pub calibrate: bool,
    /// Fit the chosen architecture again on all rows given (LDA in closed form, the
    /// others for the number of epochs that was best on the held-out rows), and
    /// give it the temperature fitted on the held-out rows. On the measured cases
    /// (`docs/classifiers.md`) this lowered the log-loss on unseen rows slightly;
    /// it doubles the cost of a trained choice.
    #[config(default = true)]
    pub refit: bool,
    /// Seed of the split and of every candidate's fit.
    #[config(default = 0)]
    pub seed: u64,
}

/// One candidate architecture of a [`ClassifierSearch`].
#[derive(Debug, Clone, PartialEq)]
pub enum CandidateKind {
    /// Closed-form linear discriminant analysis ([`fit_lda`]) with this relative
    /// ridge.
    Lda {
        /// The ridge, relative to `tr(S)/d`.
        ridge: f64,
    },
    /// Multinomial logistic regression.
    Logistic,
    /// An MLP with these hidden widths and weight decay.
    Mlp {
        /// Widths of the hidden layers.
        hidden: Vec<usize>,
        /// The L2 penalty.
        weight_decay: f64,
    },
}

impl CandidateKind {
    /// The hidden widths (empty for the linear models).
    pub fn hidden(&self) -> Vec<usize> {
        match self {
            CandidateKind::Mlp { hidden, .. } => hidden.clone(),
            _ => Vec::new(),
        }
    }
}

impl fmt::Display for CandidateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CandidateKind::Lda { ridge } => write!(f, "linear (LDA, ridge {ridge:e})"),
            CandidateKind::Logistic => write!(f, "linear (logistic)"),
            CandidateKind::Mlp {
                hidden,
                weight_decay,
            } => write!(f, "mlp {hidden:?}, wd={weight_decay:e}"),
        }
    }
}

/// How one candidate did.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateReport {
    /// The candidate.
    pub kind: CandidateKind,
    /// Mean cross-entropy on the held-out rows, in nats, at `T = 1`.
    pub holdout_loss: f64,
    /// Epochs trained (0 for LDA) and the epoch kept.
    pub epochs: (usize, usize),
    /// Wall-clock time of its fit.
    pub wall_time: Duration,
}

/// What a [`ClassifierSearch`] chose, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassifierChoice {
    /// The chosen candidate.
    pub kind: CandidateKind,
    /// The configuration whose [`load`](ClassifierConfig::load) reads the chosen
    /// classifier back after [`Classifier::save`].
    pub config: ClassifierConfig,
    /// The fitted temperature (1 without calibration).
    pub temperature: f64,
    /// The chosen candidate's held-out loss at `T = 1`, in nats.
    pub holdout_loss: f64,
    /// Its held-out loss at the fitted temperature (an optimistic estimate: `T`
    /// was fitted on those rows).
    pub calibrated_loss: f64,
    /// Every candidate tried, in order.
    pub candidates: Vec<CandidateReport>,
    /// Rows fitted on and rows held out during the search.
    pub rows: (usize, usize),
    /// Whether the returned classifier was refitted on all rows.
    pub refit: bool,
    /// Wall-clock time of the whole search.
    pub wall_time: Duration,
}

impl ClassifierChoice {
    /// A one-line description such as `linear (LDA, ridge 1e-2), T=1.04`.
    pub fn describe(&self) -> String {
        format!("{}, T={:.3}", self.kind, self.temperature)
    }
}

impl fmt::Display for ClassifierChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (held-out loss {:.4} → {:.4} nats; ",
            self.describe(),
            self.holdout_loss,
            self.calibrated_loss
        )?;
        for (index, candidate) in self.candidates.iter().enumerate() {
            let sep = if index == 0 { "" } else { ", " };
            write!(f, "{sep}{}: {:.4}", candidate.kind, candidate.holdout_loss)?;
        }
        write!(f, "; {:.2?})", self.wall_time)
    }
}

/// A fitted candidate with its held-out logits (on the host) and loss.
struct Fitted {
    kind: CandidateKind,
    model: Classifier,
    logits: Vec<f64>,
    /// Each held-out row's loss at `T = 1`.
    losses: Vec<f64>,
    loss: f64,
    best_epoch: usize,
}

impl ClassifierSearch {
    /// Checks every field once, up front.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if `holdout_fraction` lies outside `(0, 1)`,
    ///   an `lda_ridges` entry or `mlp_weight_decay` is negative or not finite,
    ///   `lda_ridges` is empty with `lda` on, a hidden layer has
    ///   no units, no candidate is enabled, or a field of `linear_fit` or `mlp_fit` is
    ///   out of range.
    pub fn validate(&self) -> Result<()> {
        if !(self.holdout_fraction > 0.0 && self.holdout_fraction < 1.0) {
            return LsmiError::invalid_config(
                "holdout_fraction",
                self.holdout_fraction,
                "must lie in (0, 1)",
            );
        }
        if let Some(&ridge) = self
            .lda_ridges
            .iter()
            .find(|r| !(r.is_finite() && **r >= 0.0))
        {
            return LsmiError::invalid_config("lda_ridges", ridge, "must be finite numbers ≥ 0");
        }
        if self.lda && self.lda_ridges.is_empty() {
            return LsmiError::invalid_config(
                "lda_ridges",
                "[]",
                "needs at least one ridge when lda is on",
            );
        }
        if !(self.mlp_weight_decay.is_finite() && self.mlp_weight_decay >= 0.0) {
            return LsmiError::invalid_config(
                "mlp_weight_decay",
                self.mlp_weight_decay,
                "must be a finite number ≥ 0",
            );
        }
        if !self.lda && !self.logistic && self.mlp_hidden.is_empty() {
            return LsmiError::invalid_config(
                "mlp_hidden",
                "[]",
                "no candidate: enable lda or logistic, or give an MLP width",
            );
        }
        for hidden in &self.mlp_hidden {
            self.mlp_config(hidden).validate()?;
        }
        self.linear_config().validate()
    }

    /// Fits the candidates to `x` (`[n, d]`) and `labels` (`[n]`, in
    /// `0..num_classes`), and returns the chosen, calibrated classifier (without
    /// autodiff) and the report of the search.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if a field is out of range (see
    ///   [`validate`](Self::validate)).
    /// * [`LsmiError::Empty`] if `x` has no rows or no columns.
    /// * [`LsmiError::TooFewRows`] if the split leaves no held-out or no training row.
    /// * [`LsmiError::NonFinite`] if `x` holds NaN or ±∞, or a training loss is not
    ///   finite.
    /// * [`LsmiError::TooFewClasses`] / [`LsmiError::TooManyClasses`] if `num_classes` is
    ///   out of range.
    /// * [`LsmiError::LabelOutOfRange`] if a label lies outside `0..num_classes`.
    /// * [`LsmiError::LengthMismatch`] if `labels` has not one entry per row of `x`.
    /// * [`LsmiError::Backend`] if the backend fails to read a tensor back.
    pub fn fit(
        &self,
        x: Tensor<2>,
        labels: Tensor<1, Int>,
        num_classes: usize,
    ) -> Result<(Classifier, ClassifierChoice)> {
        let start = Instant::now();
        self.validate()?;
        check::num_classes(num_classes)?;
        let [rows, d] = x.dims();
        check::non_empty("x", rows)?;
        if d == 0 {
            return Err(LsmiError::Empty {
                what: "x",
                unit: "features",
            });
        }
        check::finite("x", &x)?;
        let host_labels = check::labels("labels", &labels, num_classes)?;
        check::same_length("labels", host_labels.len(), "x", rows)?;

        let mut rng = SeededRng::new(self.seed ^ 0x5EA2_C401);
        let order = rng.permutation(rows);
        let held = (rows as f64 * self.holdout_fraction).floor() as usize;
        if held == 0 || held == rows {
            return Err(LsmiError::TooFewRows {
                what: "x",
                rows,
                needed: (1.0 / self.holdout_fraction).ceil() as usize + 1,
                reason: "the search holds out rows to choose and calibrate the classifier",
            });
        }
        let (holdout_index, train_index) = order.split_at(held);
        let all = Rows {
            x,
            labels: Some(labels),
        };
        let holdout = all.select(holdout_index);
        let holdout_labels: Vec<i64> = holdout_index.iter().map(|&i| host_labels[i]).collect();
        let train_rows = all.select(train_index);
        let standardizer = Standardizer::fit(&train_rows.x, 1e-6)?;

        let mut reports = Vec::new();
        let mut best: Option<Fitted> = None;
        let score = |model: &Classifier| -> Result<(Vec<f64>, Vec<f64>, f64)> {
            let logits: Vec<f64> = check::read_f32(model.logits(holdout.x.clone()))?
                .into_iter()
                .map(f64::from)
                .collect();
            let loss = nll_at_temperature(&logits, &holdout_labels, num_classes, 1.0)?;
            let losses = row_losses(&logits, &holdout_labels, num_classes, 1.0);
            Ok((logits, losses, loss))
        };

        // Level 1: the linear models.
        let mut lda_model: Option<Classifier> = None;
        let mut lda_ridge = self.lda_ridges.first().copied().unwrap_or(0.0);
        if self.lda && d <= MAX_LDA_FEATURES {
            let begin = Instant::now();
            let path = fit_lda_path(
                train_rows.x.clone(),
                train_rows.labels.clone().expect("labelled"),
                num_classes,
                &self.lda_ridges,
            )?;
            // The first ridge is the reference; a later one replaces the best only
            // when clearly better (the one-standard-error rule of the MLPs): where the
            // ridge makes no real difference, its choice would follow noise.
            for (i, (model, &ridge)) in path.into_iter().zip(&self.lda_ridges).enumerate() {
                let (logits, losses, loss) = score(&model)?;
                let kept = model.clone();
                let chosen = consider(
                    &mut reports,
                    &mut best,
                    Fitted {
                        kind: CandidateKind::Lda { ridge },
                        model,
                        logits,
                        losses,
                        loss,
                        best_epoch: 0,
                    },
                    begin.elapsed(),
                    (0, 0),
                    i > 0,
                );
                if chosen {
                    lda_model = Some(kept);
                    lda_ridge = ridge;
                }
            }
        }
        if self.logistic {
            let begin = Instant::now();
            let config = self.linear_config();
            let init = match &lda_model {
                Some(model) => model.clone(),
                None => config.assemble(standardizer.clone(), d, num_classes, &all.x.device()),
            };
            let (model, report) =
                self.train(init, &all, train_index, &holdout, &config.fit, &mut rng)?;
            let (logits, losses, loss) = score(&model)?;
            consider(
                &mut reports,
                &mut best,
                Fitted {
                    kind: CandidateKind::Logistic,
                    model,
                    logits,
                    losses,
                    loss,
                    best_epoch: report.best_epoch,
                },
                begin.elapsed(),
                (report.epochs_run, report.best_epoch),
                false,
            );
        }

        // Levels 2…: the MLPs, smallest first.
        for hidden in &self.mlp_hidden {
            let begin = Instant::now();
            let config = self.mlp_config(hidden);
            let init = config.assemble(standardizer.clone(), d, num_classes, &all.x.device());
            let (model, report) =
                self.train(init, &all, train_index, &holdout, &config.fit, &mut rng)?;
            let (logits, losses, loss) = score(&model)?;
            let chosen = consider(
                &mut reports,
                &mut best,
                Fitted {
                    kind: CandidateKind::Mlp {
                        hidden: hidden.clone(),
                        weight_decay: self.mlp_weight_decay,
                    },
                    model,
                    logits,
                    losses,
                    loss,
                    best_epoch: report.best_epoch,
                },
                begin.elapsed(),
                (report.epochs_run, report.best_epoch),
                true,
            );
            if !self.exhaustive && !chosen {
                break;
            }
        }

        let best = best.expect("validate keeps at least one candidate");
        let temperature = match self.calibrate {
            true => {
                // Kept only when it clearly lowers the held-out loss: on rows that
                // are nearly all classified with confidence, T rests on a handful.
                // A temperature at a bound of its range means the held-out rows do
                // not identify one (all classified correctly: the loss falls as
                // T → 0), so it is not used either.
                let t = fit_temperature(&best.logits, &holdout_labels, num_classes)?;
                let interior =
                    t > MIN_TEMPERATURE * (1.0 + 1e-6) && t < MAX_TEMPERATURE * (1.0 - 1e-6);
                let at_t = row_losses(&best.logits, &holdout_labels, num_classes, t);
                match interior && clearly_better(&at_t, &best.losses) {
                    true => t,
                    false => 1.0,
                }
            }
            false => 1.0,
        };
        let calibrated_loss =
            nll_at_temperature(&best.logits, &holdout_labels, num_classes, temperature)?;
        let model = if self.refit {
            self.refit(&best, &all, num_classes, lda_ridge, &mut rng)?
        } else {
            best.model
        };
        let model = model.with_temperature(temperature)?;
        let config = match &best.kind {
            CandidateKind::Mlp { hidden, .. } => self.mlp_config(hidden),
            _ => self.linear_config(),
        };
        let choice = ClassifierChoice {
            kind: best.kind,
            config,
            temperature,
            holdout_loss: best.loss,
            calibrated_loss,
            candidates: reports,
            rows: (train_index.len(), held),
            refit: self.refit,
            wall_time: start.elapsed(),
        };
        Ok((model, choice))
    }

    /// The logistic regression's configuration.
    fn linear_config(&self) -> ClassifierConfig {
        ClassifierConfig::new().with_hidden(Vec::new()).with_fit(
            self.linear_fit
                .clone()
                .with_holdout_fraction(self.holdout_fraction)
                .with_seed(self.seed ^ 0x11AE_A401),
        )
    }

    /// The configuration of the MLP with `hidden` widths.
    fn mlp_config(&self, hidden: &[usize]) -> ClassifierConfig {
        let salt = hidden
            .iter()
            .fold(0x3E1F_0000_u64, |acc, &w| acc.rotate_left(13) ^ w as u64);
        ClassifierConfig::new()
            .with_hidden(hidden.to_vec())
            .with_fit(
                self.mlp_fit
                    .clone()
                    .with_holdout_fraction(self.holdout_fraction)
                    .with_weight_decay(self.mlp_weight_decay)
                    .with_seed(self.seed ^ salt),
            )
    }

    /// Trains `model` on `all[train_index]`, stopping early on `holdout`.
    fn train(
        &self,
        model: Classifier,
        all: &Rows,
        train_index: &[usize],
        holdout: &Rows,
        fit: &FitConfig,
        rng: &mut SeededRng,
    ) -> Result<(Classifier, train::FitReport)> {
        let mut shuffles = SeededRng::new(fit.seed ^ rng.next_u64());
        train::fit_split(
            model,
            all,
            train_index,
            Some(holdout),
            &mut shuffles,
            fit,
            Instant::now(),
            loss,
            &mut |_| {},
        )
    }

    /// The chosen architecture fitted again on every row of `all`.
    fn refit(
        &self,
        best: &Fitted,
        all: &Rows,
        num_classes: usize,
        lda_ridge: f64,
        rng: &mut SeededRng,
    ) -> Result<Classifier> {
        let labels = all.labels.clone().expect("labelled");
        // An LDA refits with its own ridge; a logistic regression warm-starts from
        // the best LDA of the search, as it did there.
        let ridge = match best.kind {
            CandidateKind::Lda { ridge } => ridge,
            _ => lda_ridge,
        };
        let lda = || fit_lda(all.x.clone(), labels.clone(), num_classes, ridge);
        let config = match &best.kind {
            CandidateKind::Lda { .. } => return lda(),
            CandidateKind::Logistic => self.linear_config(),
            CandidateKind::Mlp { hidden, .. } => self.mlp_config(hidden),
        };
        let [_, d] = all.x.dims();
        let init = match (&best.kind, self.lda && d <= MAX_LDA_FEATURES) {
            (CandidateKind::Logistic, true) => lda()?,
            _ => config.assemble(
                Standardizer::fit(&all.x, 1e-6)?,
                d,
                num_classes,
                &all.x.device(),
            ),
        };
        let fit = config
            .fit
            .clone()
            .with_holdout_fraction(0.0)
            .with_patience(0)
            .with_epochs(best.best_epoch.max(1));
        let every: Vec<usize> = (0..all.len()).collect();
        let mut shuffles = SeededRng::new(fit.seed ^ rng.next_u64());
        let (model, _) = train::fit_split(
            init,
            all,
            &every,
            None,
            &mut shuffles,
            &fit,
            Instant::now(),
            loss,
            &mut |_| {},
        )?;
        Ok(model)
    }
}

/// Records how `fitted` did, and keeps it (returning whether it did) if its
/// held-out loss is the lowest yet, or, when `more_complex` than the best so far,
/// lower by more than twice the standard error of the paired per-row difference.
fn consider(
    reports: &mut Vec<CandidateReport>,
    best: &mut Option<Fitted>,
    fitted: Fitted,
    elapsed: Duration,
    epochs: (usize, usize),
    more_complex: bool,
) -> bool {
    reports.push(CandidateReport {
        kind: fitted.kind.clone(),
        holdout_loss: fitted.loss,
        epochs,
        wall_time: elapsed,
    });
    let wins = best.as_ref().is_none_or(|b| match more_complex {
        true => clearly_better(&fitted.losses, &b.losses),
        false => fitted.loss < b.loss,
    });
    if wins {
        *best = Some(fitted);
    }
    wins
}

/// The classifiers' training loss: mean cross-entropy of a labelled batch.
fn loss(model: &Classifier, batch: &Rows) -> Tensor<1> {
    let labels = batch.labels.clone().expect("classifier rows carry labels");
    cross_entropy(model.logits(batch.x.clone()), labels)
}
