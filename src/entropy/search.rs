//! The number of kernels and the covariance kind of a KNIFE mixture, chosen by
//! held-out likelihood among EM fits.
//!
//! Averaged over held-out rows, `mean ĥ(x) = H(X) + KL(p‖q)`: the candidate with
//! the lowest held-out mean `−ln q(x)` is the one closest to the data's density,
//! and so the best entropy model for the estimator.

use std::time::{Duration, Instant};

use burn::config::Config;
use burn::tensor::Tensor;

use super::Entropy;
use super::em::{self, Design, Frame, Settings, State};
use super::knife::{Covariance, Knife, KnifeConfig};
use crate::error::{LsmiError, Result};
use crate::rng::SeededRng;
use crate::train;

/// Chooses `K` and the covariance kind of a [`Knife`] by held-out likelihood.
///
/// [`fit`](Self::fit) holds out a seeded `holdout_fraction` of the rows, fits
/// every covariance kind in `covariances` with `K` growing along `kernels` by EM
/// (see [`EmConfig`](super::EmConfig)), and keeps the candidate with the lowest
/// held-out mean `−ln q(x)` (no one-standard-error rule here, unlike
/// [`ClassifierSearch`](crate::ClassifierSearch): the mean `ĥ` carries the
/// model's excess loss directly, so a simpler mixture kept on a tie would bias
/// it). For each kind, `K` stops growing once `patience`
/// successive candidates fail to improve on that kind's best, or once the
/// training rows become too few for the kind: a full covariance needs
/// `2(d + 1)` rows per kernel, a tied one 10 per kernel (and `2(d + 1)` in all),
/// a diagonal one 10 per kernel.
///
/// With `subspace` (the default), the full and tied kinds are also fitted in a
/// principal subspace: the rows' top `r` principal directions carry the mixture
/// and every other direction one shared variance (a probabilistic PCA rest), with
/// `r` chosen by the held-out likelihood of a single such Gaussian. In many
/// dimensions (encoder features, embeddings) a full `d × d` covariance costs
/// `d(d + 1)/2` parameters per kernel, whose estimation error alone adds about
/// `d²/(4n)` nats to the held-out `−ln q(x)`; the subspace model needs `O(r²)`.
/// Its candidates are reported with their `rank`.
///
/// The winner is then refitted on every row by EM iterations started from its
/// parameters.
///
/// `MixtureSearch::new().fit(x)` is the one-call entropy model.
#[derive(Config, Debug)]
pub struct MixtureSearch {
    /// The grid of kernel counts, tried in order.
    #[config(default = "vec![1, 2, 4, 8, 16, 32, 64]")]
    pub kernels: Vec<usize>,
    /// The covariance kinds tried.
    #[config(default = "vec![Covariance::Full, Covariance::Tied, Covariance::Diagonal]")]
    pub covariances: Vec<Covariance>,
    /// Fraction of the rows held out to score the candidates, in `(0, 1)`.
    #[config(default = 0.2)]
    pub holdout_fraction: f64,
    /// Stop growing `K` for a kind after this many candidates without a better
    /// held-out likelihood (at least 1).
    #[config(default = 2)]
    pub patience: usize,
    /// Upper bound on the EM iterations of each fit.
    #[config(default = 200)]
    pub max_iterations: usize,
    /// EM's tolerance on the training mean log-likelihood of each candidate, in
    /// nats per row (see [`EmConfig::tolerance`](super::EmConfig::tolerance)):
    /// loose enough to rank the candidates, whose held-out likelihoods differ by
    /// more.
    #[config(default = 1e-3)]
    pub tolerance: f64,
    /// EM's tolerance for the refit of the winner on every row.
    #[config(default = 1e-4)]
    pub refit_tolerance: f64,
    /// Covariance ridge (see [`EmConfig::ridge`](super::EmConfig::ridge)).
    #[config(default = 1e-6)]
    pub ridge: f64,
    /// As [`KnifeConfig::scale_floor`].
    #[config(default = 1e-6)]
    pub scale_floor: f64,
    /// Refit the winner on every row (training and held out); else return it as
    /// fitted on the training rows.
    #[config(default = true)]
    pub refit: bool,
    /// Also fit the full and tied kinds in a principal subspace with an isotropic
    /// rest (see the type's docs), when a rank below `d − 1` has the better
    /// held-out likelihood for one Gaussian.
    #[config(default = true)]
    pub subspace: bool,
    /// Seed of the split and of every k-means++ initialisation.
    #[config(default = 0)]
    pub seed: u64,
}

/// One candidate of a [`MixtureSearch`].
#[derive(Debug, Clone, PartialEq)]
pub struct MixtureCandidate {
    /// Number of kernels `K`.
    pub kernels: usize,
    /// Covariance kind.
    pub covariance: Covariance,
    /// The number of principal directions the mixture lives in, for a subspace
    /// candidate (see [`MixtureSearch::subspace`]); `None`: all of them.
    pub rank: Option<usize>,
    /// Mean `−ln q(x)` over the held-out rows, nats, units of `x`.
    pub holdout_nll: f64,
    /// Mean `−ln q(x)` over the training rows at the end of the fit.
    pub train_nll: f64,
    /// EM iterations run.
    pub iterations: usize,
    /// Whether EM met its tolerance.
    pub converged: bool,
    /// Wall-clock time of the fit and its scoring.
    pub wall_time: Duration,
}

/// What a [`MixtureSearch`] chose, and every candidate it tried.
#[derive(Debug, Clone, PartialEq)]
pub struct MixtureChoice {
    /// The chosen `K`.
    pub kernels: usize,
    /// The chosen covariance kind.
    pub covariance: Covariance,
    /// The chosen principal subspace's rank (`None`: all directions).
    pub rank: Option<usize>,
    /// A short description, e.g. `"mixture K=16 tied"` or, in a principal
    /// subspace, `"mixture K=16 tied, rank 10"`.
    pub description: String,
    /// The winner's held-out mean `−ln q(x)` (before the refit).
    pub holdout_nll: f64,
    /// Every candidate, in the order tried (one kernel with a tied covariance is
    /// the full one, scored once).
    pub candidates: Vec<MixtureCandidate>,
    /// EM iterations of the final refit (0 without one).
    pub refit_iterations: usize,
    /// Rows used to fit the candidates, rows held out.
    pub rows: (usize, usize),
    /// Wall-clock time of the whole search and refit.
    pub wall_time: Duration,
}

impl MixtureChoice {
    /// The [`KnifeConfig`] whose [`load`](KnifeConfig::load) reads back the
    /// chosen model after [`Knife::save`], for `dim` features.
    pub fn knife_config(&self, dim: usize) -> KnifeConfig {
        KnifeConfig::new(dim)
            .with_kernels(self.kernels)
            .with_covariance(self.covariance)
    }
}

/// The name of a covariance kind in descriptions.
fn kind_name(kind: Covariance) -> &'static str {
    match kind {
        Covariance::Full => "full",
        Covariance::Tied => "tied",
        Covariance::Diagonal => "diagonal",
    }
}

/// The best candidate so far.
struct Best {
    nll: f64,
    state: State,
    frame: Frame,
}

/// Whether `rows` training rows in `dim` dimensions support `k` kernels of `kind`.
fn enough_rows(kind: Covariance, k: usize, rows: usize, dim: usize) -> bool {
    let full = 2 * (dim + 1);
    match kind {
        _ if k == 1 => true,
        Covariance::Full => rows >= k * full,
        Covariance::Tied => rows >= k * 10 && rows >= full,
        Covariance::Diagonal => rows >= k * 10,
    }
}

impl MixtureSearch {
    /// Checks every field once, up front.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if `kernels` or `covariances` is empty,
    ///   `kernels` holds 0, `holdout_fraction` lies outside `(0, 1)`, `patience` is
    ///   0, or an EM field is out of range (as in
    ///   [`EmConfig::validate`](super::EmConfig::validate)).
    pub fn validate(&self) -> Result<()> {
        if self.kernels.is_empty() {
            return LsmiError::invalid_config("kernels", "[]", "needs at least one kernel count");
        }
        if self.kernels.contains(&0) {
            return LsmiError::invalid_config(
                "kernels",
                format!("{:?}", self.kernels),
                "every kernel count must be at least 1",
            );
        }
        if self.covariances.is_empty() {
            return LsmiError::invalid_config(
                "covariances",
                "[]",
                "needs at least one covariance kind",
            );
        }
        if !(self.holdout_fraction > 0.0 && self.holdout_fraction < 1.0) {
            return LsmiError::invalid_config(
                "holdout_fraction",
                self.holdout_fraction,
                "must lie in (0, 1)",
            );
        }
        if self.patience == 0 {
            return LsmiError::invalid_config("patience", 0, "must be at least 1");
        }
        self.settings().validate()?;
        Settings {
            tolerance: self.refit_tolerance,
            ..self.settings()
        }
        .validate()
    }

    fn settings(&self) -> Settings {
        Settings {
            max_iterations: self.max_iterations,
            tolerance: self.tolerance,
            ridge: self.ridge,
            scale_floor: self.scale_floor,
        }
    }

    /// Searches the candidates on the rows of `x` (`[n, d]`, any device) and
    /// returns the chosen model, in the units of `x`, with the report.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if a field is out of range (see
    ///   [`validate`](Self::validate)), or a covariance is not positive definite
    ///   even after the ridge.
    /// * [`LsmiError::Empty`] if `x` has no features or no rows.
    /// * [`LsmiError::NonFinite`] if `x` holds NaN or ±∞, or a log-likelihood
    ///   stops being finite.
    /// * [`LsmiError::TooFewRows`] if `x` has too few rows to hold some out and fit
    ///   the smallest candidate (at least 2 training rows and 1 held-out row).
    /// * [`LsmiError::Backend`] if the backend fails to read a tensor back.
    pub fn fit(&self, x: Tensor<2>) -> Result<(Knife, MixtureChoice)> {
        self.validate()?;
        let start = Instant::now();
        let [rows, dim] = x.dims();
        crate::check::non_empty("x", dim)?;
        crate::check::non_empty("x", rows)?;
        crate::check::finite("x", &x)?;
        let device = x.device();
        let held = ((rows as f64 * self.holdout_fraction).round() as usize).max(1);
        if rows < held + 2 {
            return Err(LsmiError::TooFewRows {
                what: "x",
                rows,
                needed: held + 2,
                reason: "at least 2 training rows and 1 held-out row for the search",
            });
        }
        let order = SeededRng::new(self.seed ^ 0x5EA2_C4ED).permutation(rows);
        let (held_index, fit_index) = order.split_at(held);
        let x_fit = x.clone().select(0, train::index_tensor(fit_index, &device));
        let x_held = x
            .clone()
            .select(0, train::index_tensor(held_index, &device));
        let fit_rows = fit_index.len();
        let settings = self.settings();

        // Where each kind is fitted: diagonal kinds on the standardised rows, the
        // others whitened and, with `subspace`, in a principal subspace as well.
        #[derive(Clone, Copy, PartialEq)]
        enum Space {
            Standard,
            Whitened,
            Subspace,
        }
        let mut plan: Vec<(Covariance, Space)> = self
            .covariances
            .iter()
            .map(|&kind| match kind {
                Covariance::Diagonal => (kind, Space::Standard),
                _ => (kind, Space::Whitened),
            })
            .collect();
        if self.subspace {
            let joint: Vec<_> = plan
                .iter()
                .filter(|(_, space)| *space == Space::Whitened)
                .map(|&(kind, _)| (kind, Space::Subspace))
                .collect();
            plan.extend(joint);
        }
        let mut frames: Vec<(Space, Option<(Frame, Design)>)> = Vec::new();
        let mut candidates: Vec<MixtureCandidate> = Vec::new();
        let mut best: Option<Best> = None;
        for (kind, space) in plan {
            let frame_index = match frames.iter().position(|(s, _)| *s == space) {
                Some(i) => i,
                None => {
                    let frame = match space {
                        Space::Subspace => Frame::subspace(&x_fit, &x_held, &settings)?,
                        _ => Some(Frame::fit(&x_fit, kind, &settings)?),
                    };
                    let built = match frame {
                        Some(frame) => {
                            let design = Design::new(&frame, &x_fit)?;
                            Some((frame, design))
                        }
                        None => None,
                    };
                    frames.push((space, built));
                    frames.len() - 1
                }
            };
            let Some((frame, design)) = &frames[frame_index].1 else {
                continue;
            };
            let rank = frame.rank();
            let fit_dim = rank.unwrap_or(dim);
            let mut kind_best = f64::INFINITY;
            let mut stale = 0;
            for &k in &self.kernels {
                if !enough_rows(kind, k, fit_rows, fit_dim) {
                    break;
                }
                // One kernel with a tied covariance is the full one, already scored.
                if let (Covariance::Tied, 1) = (kind, k)
                    && let Some(full) = candidates
                        .iter()
                        .find(|c| (c.kernels, c.covariance, c.rank) == (1, Covariance::Full, rank))
                {
                    kind_best = full.holdout_nll;
                    continue;
                }
                let started = Instant::now();
                let seeded = State::seeded(design, k, kind, self.seed)?;
                let fitted = em::run(design, seeded, &settings)?;
                let knife = frame.knife(&fitted.state, &device)?;
                let holdout_nll = knife.entropy(x_held.clone())?;
                candidates.push(MixtureCandidate {
                    kernels: k,
                    covariance: kind,
                    rank,
                    holdout_nll,
                    train_nll: frame.offset
                        - fitted
                            .mean_log_likelihood
                            .last()
                            .copied()
                            .unwrap_or(f64::NAN),
                    iterations: fitted.iterations,
                    converged: fitted.converged,
                    wall_time: started.elapsed(),
                });
                if best.as_ref().is_none_or(|b| holdout_nll < b.nll) {
                    best = Some(Best {
                        nll: holdout_nll,
                        state: fitted.state.clone(),
                        frame: frame.clone(),
                    });
                }
                if holdout_nll < kind_best {
                    kind_best = holdout_nll;
                    stale = 0;
                } else {
                    stale += 1;
                    if stale >= self.patience {
                        break;
                    }
                }
            }
        }
        let Some(Best {
            nll: holdout_nll,
            state,
            frame,
        }) = best
        else {
            let smallest = self.kernels.iter().copied().min().unwrap_or(1);
            return Err(LsmiError::TooFewRows {
                what: "x",
                rows: fit_rows,
                needed: smallest * 2 * (dim + 1),
                reason: "enough training rows for the smallest kernel count of the grid",
            });
        };
        let (kernels, covariance, rank) = (state.kernels, state.kind, frame.rank());
        let (state, refit_iterations) = if self.refit {
            let all = Design::new(&frame, &x)?;
            let refit = Settings {
                tolerance: self.refit_tolerance,
                ..settings
            };
            let fitted = em::run(&all, state, &refit)?;
            (fitted.state, fitted.iterations)
        } else {
            (state, 0)
        };
        let knife = frame.knife(&state, &device)?;
        debug_assert_eq!(frame.dim(), dim);
        let choice = MixtureChoice {
            kernels,
            covariance,
            description: match rank {
                Some(r) => format!("mixture K={kernels} {}, rank {r}", kind_name(covariance)),
                None => format!("mixture K={kernels} {}", kind_name(covariance)),
            },
            rank,
            holdout_nll,
            candidates,
            refit_iterations,
            rows: (fit_rows, held),
            wall_time: start.elapsed(),
        };
        Ok((knife, choice))
    }
}
