//! Expectation–maximisation for the KNIFE mixture.
//!
//! The rows are standardised (as for Adam) and, for full and tied covariances,
//! also whitened by the Cholesky factor `L` of their second-moment matrix, so that
//! every direction has unit variance and `f32` sums resolve thin components (a
//! low-rank-plus-noise covariance has eigenvalues `10⁵` apart in standardised
//! units). Every Gaussian log-density is linear in the features
//! `F = [1, u, q(u)]` (`q(u)`: the products `u_a u_b`, `a ≤ b`, or for diagonal
//! covariances the squares `u_j²`; see [`Design`]), so each iteration is two GEMMs
//! per row chunk on the device:
//!
//! * E-step: `F W` gives every `ln π_k + ln N_k(u)` at once (`W` built on the
//!   host from the parameters); their log-sum-exp is the log-likelihood, and the
//!   responsibilities `R` follow;
//! * M-step: `Rᵀ F` gives `N_k`, `Σ_i r_ik u_i` and `Σ_i r_ik q(u_i)`.
//!
//! On the host in `f64`: weights `π_k = N_k / n`, means, covariances centred
//! around the new means, a ridge `ε I` on each (one pooled covariance for
//! [`Covariance::Tied`], whose quadratic term `uᵀPu` is shared by the kernels and
//! computed once per row), and the conversion to KNIFE's precision factor
//! `A_k = C_k⁻¹ L⁻¹` with `C_k Cᵀ_k = Σ_k` (lower triangular with a positive
//! diagonal, `A_kᵀA_k` the precision in standardised units): `s_k = diag(A_k)`,
//! `T_k = A_k diag(s_k)⁻¹` below the diagonal, weight logits `ln π_k`.

use std::time::{Duration, Instant};

use burn::config::Config;
use std::f64::consts::TAU;

use burn::tensor::{Device, Int, Tensor, TensorData};

use super::knife::{Covariance, Knife, KnifeParts};
use super::linalg;
use crate::check;
use crate::error::{LsmiError, Result};
use crate::ops::log_sum_exp;
use crate::rng::SeededRng;
use crate::standardize::Standardizer;
use crate::train;

/// Elements of the largest `[K, rows, d]` or `[rows, K·d]` intermediate.
const CHUNK_ELEMENTS: usize = 1 << 22;

/// A component whose responsibilities sum to less than this keeps its previous
/// mean and covariance (its weight still follows `N_k`).
const DEAD_COMPONENT: f64 = 1e-3;

/// Fits a [`Knife`] with `K` kernels by expectation–maximisation (see the module
/// docs of `lsmi::EmConfig`): full-batch, deterministic for a seed, usually a
/// few seconds where Adam takes tens of epochs.
///
/// `EmConfig::new(kernels)` gives the defaults; [`MixtureSearch`](super::MixtureSearch)
/// chooses `kernels` and `covariance` by held-out likelihood.
#[derive(Config, Debug)]
pub struct EmConfig {
    /// Number of mixture components `K`.
    pub kernels: usize,
    /// Full, tied (one shared) or diagonal covariance.
    #[config(default = "Covariance::Full")]
    pub covariance: Covariance,
    /// Upper bound on the EM iterations.
    #[config(default = 200)]
    pub max_iterations: usize,
    /// Stop when the training mean log-likelihood per row changes by at most
    /// `tolerance` nats between iterations (an absolute tolerance: the scale of
    /// `ℓ` itself depends on the units and dimension of `x`, its changes do not).
    #[config(default = 1e-5)]
    pub tolerance: f64,
    /// Added to every covariance's diagonal, in whitened (full, tied) or
    /// standardised (diagonal) units, where the data have unit variance.
    #[config(default = 1e-6)]
    pub ridge: f64,
    /// As [`KnifeConfig::scale_floor`](super::KnifeConfig::scale_floor).
    #[config(default = 1e-6)]
    pub scale_floor: f64,
    /// Seed of the k-means++ initialisation.
    #[config(default = 0)]
    pub seed: u64,
}

/// How an EM fit went.
#[derive(Debug, Clone, PartialEq)]
pub struct EmReport {
    /// EM iterations run.
    pub iterations: usize,
    /// Whether the tolerance was met (else `max_iterations` stopped it).
    pub converged: bool,
    /// The training mean `−ln p(x)` (nats, units of `x`) before each M-step.
    pub train_nll: Vec<f64>,
    /// Rows fitted.
    pub rows: usize,
    /// Wall-clock time of the fit.
    pub wall_time: Duration,
}

impl EmReport {
    /// The last training mean `−ln p(x)`, in nats.
    pub fn final_train_nll(&self) -> f64 {
        self.train_nll.last().copied().unwrap_or(f64::NAN)
    }
}

impl EmConfig {
    /// Checks every field once, up front.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if `kernels` or `max_iterations` is 0,
    ///   `tolerance` is negative or not finite, or `ridge` or `scale_floor` is not
    ///   a positive finite number.
    pub fn validate(&self) -> Result<()> {
        if self.kernels == 0 {
            return LsmiError::invalid_config("kernels", 0, "EM needs at least one kernel");
        }
        self.settings().validate()
    }

    fn settings(&self) -> Settings {
        Settings {
            max_iterations: self.max_iterations,
            tolerance: self.tolerance,
            ridge: self.ridge,
            scale_floor: self.scale_floor,
        }
    }

    /// Fits the mixture to the rows of `x` (`[n, d]`, on any device, `n ≥ K`).
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if a field is out of range (see
    ///   [`validate`](Self::validate)), or a covariance is not positive definite
    ///   even after the ridge (raise `ridge`).
    /// * [`LsmiError::Empty`] if `x` has no features or no rows.
    /// * [`LsmiError::NonFinite`] if `x` holds NaN or ±∞, or the log-likelihood
    ///   stops being finite.
    /// * [`LsmiError::TooFewRows`] if `x` has fewer rows than `kernels`.
    /// * [`LsmiError::Backend`] if the backend fails to read a tensor back.
    pub fn fit(&self, x: Tensor<2>) -> Result<(Knife, EmReport)> {
        self.validate()?;
        let start = Instant::now();
        let frame = Frame::fit(&x, self.covariance, &self.settings())?;
        let design = Design::new(&frame, &x)?;
        let state = State::seeded(&design, self.kernels, self.covariance, self.seed)?;
        let fit = run(&design, state, &self.settings())?;
        let knife = frame.knife(&fit.state, &x.device())?;
        let report = EmReport {
            iterations: fit.iterations,
            converged: fit.converged,
            train_nll: fit
                .mean_log_likelihood
                .iter()
                .map(|ll| frame.offset - ll)
                .collect(),
            rows: x.dims()[0],
            wall_time: start.elapsed(),
        };
        Ok((knife, report))
    }
}

/// The fields EM shares with [`MixtureSearch`](super::MixtureSearch).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    pub max_iterations: usize,
    pub tolerance: f64,
    pub ridge: f64,
    pub scale_floor: f64,
}

impl Settings {
    pub(crate) fn validate(&self) -> Result<()> {
        if self.max_iterations == 0 {
            return LsmiError::invalid_config("max_iterations", 0, "must be at least 1");
        }
        if !(self.tolerance.is_finite() && self.tolerance >= 0.0) {
            return LsmiError::invalid_config(
                "tolerance",
                self.tolerance,
                "must be a non-negative number",
            );
        }
        if !(self.ridge.is_finite() && self.ridge > 0.0) {
            return LsmiError::invalid_config("ridge", self.ridge, "must be a positive number");
        }
        if !(self.scale_floor.is_finite() && self.scale_floor > 0.0) {
            return LsmiError::invalid_config(
                "scale_floor",
                self.scale_floor,
                "must be a positive number",
            );
        }
        Ok(())
    }
}

/// The map from `x` to the units EM works in: `z = (x − m)/σ`, then `u = L⁻¹ z`
/// for full and tied covariances (`u = z` for diagonal).
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    pub standardizer: Standardizer,
    /// `L`, lower triangular `d × d` (`None`: identity).
    whitening: Option<Vec<f64>>,
    /// `L⁻¹` as the `[d, d]` tensor `L⁻ᵀ`, so that `u = z · L⁻ᵀ` row-wise.
    unwhiten_t: Option<Tensor<2>>,
    /// `L⁻¹`, host.
    whitening_inverse: Option<Vec<f64>>,
    /// `Σ_j ln σ_j + ln |L|`: `−ln p(x) = offset − ln p_u(u)` (for a
    /// [`Subspace`] frame, on average over the rows it was fitted on).
    pub offset: f64,
    dim: usize,
    /// EM works in a principal subspace of `z`, the rest is isotropic.
    subspace: Option<Subspace>,
}

/// The top `r` principal directions `V_r` of the standardised rows `z`, with
/// their variances `λ_j`, and one variance `σ²` for every other direction (the
/// mean of the remaining eigenvalues: the maximum-likelihood rest of a
/// probabilistic PCA), all in the units `D⁻¹ z` of a per-feature scaling `D`.
/// EM fits the mixture to `u = Λ_r^{-1/2} V_rᵀ D⁻¹ z`; the model of `z` is the
/// mixture mapped back, `μ_z = D B μ_u`,
/// `Σ_z = D (B Σ_u Bᵀ + σ² (I − V_r V_rᵀ)) D`, `B = V_r Λ_r^{1/2}`: a Gaussian
/// mixture in all `d` directions with `O(r²)` covariance parameters per kernel.
#[derive(Debug, Clone)]
struct Subspace {
    /// `V_r`, `[d, r]` row-major.
    vectors: Vec<f64>,
    /// `λ_j^{1/2}`, `[r]`.
    scales: Vec<f64>,
    /// `σ²`.
    rest: f64,
    /// `D`, `[d]`: the rest is isotropic in `D⁻¹ z` (see [`Frame::subspace`]).
    feature_scales: Vec<f64>,
}

impl Frame {
    /// Checks `x` and fits the standardisation (and whitening) on its rows.
    pub(crate) fn fit(x: &Tensor<2>, covariance: Covariance, settings: &Settings) -> Result<Self> {
        let [rows, dim] = x.dims();
        check::non_empty("x", dim)?;
        check::non_empty("x", rows)?;
        check::finite("x", x)?;
        let device = x.device();
        let standardizer = Standardizer::fit(x, settings.scale_floor)?;
        let log_scale = f64::from(check::read_f32(standardizer.log_scale_sum())?[0]);
        let mut frame = Frame {
            standardizer,
            whitening: None,
            unwhiten_t: None,
            whitening_inverse: None,
            offset: log_scale,
            dim,
            subspace: None,
        };
        if covariance == Covariance::Diagonal {
            return Ok(frame);
        }
        // Two passes: a first factor from the f32 second moments, then a
        // correction measured in its (well-conditioned) whitened units.
        let z = frame.standardizer.apply(x.clone());
        let mut factor: Vec<f64> = identity(dim);
        let mut inverse: Vec<f64> = identity(dim);
        for _ in 0..2 {
            let u = z
                .clone()
                .matmul(host_matrix(&linalg::transpose(&inverse, dim), dim, &device));
            let moments = read_f64(u.clone().transpose().matmul(u).div_scalar(rows as f64))?;
            let mut moments = symmetrise(&moments, dim);
            (0..dim).for_each(|j| moments[j * dim + j] += settings.ridge);
            let c = linalg::cholesky(&moments, dim).map_err(|_| not_positive_definite(settings))?;
            factor = linalg::matmul(&factor, &c, dim);
            inverse = linalg::lower_inverse(&factor, dim);
        }
        frame.offset += (0..dim).map(|j| factor[j * dim + j].ln()).sum::<f64>();
        frame.unwhiten_t = Some(host_matrix(&linalg::transpose(&inverse, dim), dim, &device));
        frame.whitening = Some(factor);
        frame.whitening_inverse = Some(inverse);
        Ok(frame)
    }

    /// The frame of a principal subspace with an isotropic rest (see
    /// [`Subspace`]) for the rows `x`: a factor analysis of rank `r`,
    /// `Σ_z = Λ Λᵀ + Ψ` (`Ψ` diagonal), fitted by EM on the rows' second moments,
    /// the rank kept with the best likelihood of the rows `held`: `r` doubles
    /// from 1 (among the ranks with fewer parameters than a full covariance) until
    /// two doublings bring no gain, then the bracket around the best is bisected.
    /// `None` when no rank beats the full covariance there (the whitened frame's).
    ///
    /// In the units `y = D⁻¹ z`, `D = Ψ^{1/2}`, the rest is isotropic with unit
    /// variance and the subspace is spanned by `D⁻¹ Λ`.
    pub(crate) fn subspace(
        x: &Tensor<2>,
        held: &Tensor<2>,
        settings: &Settings,
    ) -> Result<Option<Self>> {
        let [_, dim] = x.dims();
        let held_rows = held.dims()[0];
        if dim < 3 || held_rows == 0 {
            return Ok(None);
        }
        let device = x.device();
        // Second moments in f64 through the whitened frame: in standardised units
        // the noise directions of low-rank data have eigenvalues 10⁵ below the
        // signal's, beyond one f32 GEMM; in whitened units every direction has
        // unit variance, and `S = L (uᵀu/n) Lᵀ` on the host keeps them.
        let whitened = Frame::fit(x, Covariance::Full, settings)?;
        let Some(factor) = whitened.whitening.clone() else {
            return Ok(None);
        };
        let standardizer = whitened.standardizer.clone();
        let log_scale = f64::from(check::read_f32(standardizer.log_scale_sum())?[0]);
        let unwhiten = |m: &[f64]| -> Vec<f64> {
            let lm = linalg::matmul(&factor, m, dim);
            symmetrise(
                &linalg::matmul(&lm, &linalg::transpose(&factor, dim), dim),
                dim,
            )
        };
        let fit_second = unwhiten(&identity(dim));
        let (_, held_u) = whitened.to_fit_units(held);
        let held_moments = read_f64(
            held_u
                .clone()
                .transpose()
                .matmul(held_u)
                .div_scalar(held_rows as f64),
        )?;
        let held_second = unwhiten(&symmetrise(&held_moments, dim));
        let full = match full_gaussian_nll(&fit_second, &held_second, dim) {
            Some(nll) => nll,
            None => return Ok(None),
        };
        let (values, vectors) = linalg::symmetric_eigen(&fit_second, dim);
        let floor = settings.ridge.max(1e-12);
        // Held-out score of every rank tried (∞ where the fit failed).
        let mut tried: Vec<(usize, f64, Option<Factors>)> = Vec::new();
        let score = |tried: &mut Vec<(usize, f64, Option<Factors>)>, rank: usize| -> f64 {
            if let Some((_, nll, _)) = tried.iter().find(|(r, _, _)| *r == rank) {
                return *nll;
            }
            let factors = Factors::fit(&fit_second, dim, rank, &values, &vectors, floor);
            let nll = factors.nll(&held_second).unwrap_or(f64::INFINITY);
            tried.push((rank, nll, Some(factors)));
            nll
        };
        // Double the rank until two doublings bring no gain, then bisect the
        // bracket around the best (the held-out score is close to unimodal in r).
        // Only ranks with fewer parameters than the full covariance (`d r − r(r−1)/2`
        // loadings and `d` variances against `d(d+1)/2`): a subspace model is there
        // to be the more parsimonious one.
        let parsimonious = |r: usize| dim * r + dim < dim * (dim + 1) / 2 + r * (r.max(1) - 1) / 2;
        let top = (1..dim - 1).rev().find(|&r| parsimonious(r)).unwrap_or(0);
        if top == 0 {
            return Ok(None);
        }
        let (mut best_rank, mut best_nll) = (1, score(&mut tried, 1));
        let (mut rank, mut stale) = (1, 0);
        while rank < top && stale < 2 {
            rank = (rank * 2).min(top);
            let nll = score(&mut tried, rank);
            if nll < best_nll {
                (best_rank, best_nll, stale) = (rank, nll, 0);
            } else {
                stale += 1;
            }
        }
        let (mut lo, mut hi) = (best_rank / 2, (best_rank * 2).min(top));
        while hi - lo > 2 {
            let (left, right) = ((lo + best_rank) / 2, (best_rank + hi).div_ceil(2));
            for probe in [left, right] {
                if probe > lo && probe < hi && probe != best_rank {
                    let nll = score(&mut tried, probe);
                    if nll < best_nll {
                        (best_rank, best_nll) = (probe, nll);
                    }
                }
            }
            // Shrink to the neighbours of the best tried inside the bracket.
            let inside: Vec<usize> = {
                let mut r: Vec<usize> = tried
                    .iter()
                    .map(|(r, _, _)| *r)
                    .filter(|r| *r > lo && *r < hi)
                    .collect();
                r.sort_unstable();
                r
            };
            let position = inside.iter().position(|&r| r == best_rank).unwrap_or(0);
            let new_lo = if position == 0 {
                lo
            } else {
                inside[position - 1]
            };
            let new_hi = inside.get(position + 1).copied().unwrap_or(hi);
            if (new_lo, new_hi) == (lo, hi) {
                break;
            }
            (lo, hi) = (new_lo, new_hi);
        }
        if best_nll.partial_cmp(&full) != Some(std::cmp::Ordering::Less) {
            return Ok(None);
        }
        let Some(factors) = tried
            .into_iter()
            .find(|(r, _, _)| *r == best_rank)
            .and_then(|(_, _, f)| f)
        else {
            return Ok(None);
        };
        let rank = factors.rank;
        // y = D⁻¹ z: loadings D⁻¹ Λ = Q-rotated V_r diag(γ)^{1/2}.
        let feature_scales: Vec<f64> = factors.psi.iter().map(|p| p.sqrt()).collect();
        let scaled: Vec<f64> = (0..dim * rank)
            .map(|ij| factors.loadings[ij] / feature_scales[ij / rank])
            .collect();
        let gram: Vec<f64> = (0..rank * rank)
            .map(|ab| {
                let (a, b) = (ab / rank, ab % rank);
                (0..dim)
                    .map(|j| scaled[j * rank + a] * scaled[j * rank + b])
                    .sum()
            })
            .collect();
        let (gamma, q) = linalg::symmetric_eigen(&gram, rank);
        if gamma.iter().any(|&g| !(g > 0.0 && g.is_finite())) {
            return Ok(None);
        }
        // V_r = (D⁻¹Λ) Q diag(γ)^{-1/2}; λ_j = 1 + γ_j; the rest has variance 1.
        let kept: Vec<f64> = (0..dim * rank)
            .map(|ij| {
                let (j, l) = (ij / rank, ij % rank);
                (0..rank)
                    .map(|m| scaled[j * rank + m] * q[m * rank + l])
                    .sum::<f64>()
                    / gamma[l].sqrt()
            })
            .collect();
        let scales: Vec<f64> = gamma.iter().map(|g| (1.0 + g).sqrt()).collect();
        let to_u: Vec<f64> = (0..dim * rank)
            .map(|ij| kept[ij] / (scales[ij % rank] * feature_scales[ij / rank]))
            .collect();
        // −ln N of the rest, averaged over the fitted rows: its mean square there is
        // tr(D⁻¹ S D⁻¹) minus the part along V_r.
        let along: f64 = (0..rank)
            .map(|l| {
                (0..dim)
                    .map(|a| {
                        let row: f64 = (0..dim)
                            .map(|b| {
                                fit_second[a * dim + b] * kept[b * rank + l] / feature_scales[b]
                            })
                            .sum();
                        kept[a * rank + l] / feature_scales[a] * row
                    })
                    .sum::<f64>()
            })
            .sum();
        let total: f64 = (0..dim)
            .map(|j| fit_second[j * dim + j] / factors.psi[j])
            .sum();
        let rest_nll = 0.5 * ((dim - rank) as f64 * TAU.ln() + (total - along));
        Ok(Some(Frame {
            standardizer,
            whitening: None,
            unwhiten_t: Some(host_matrix_rect(&to_u, dim, rank, &device)),
            whitening_inverse: None,
            offset: log_scale
                + feature_scales.iter().map(|s| s.ln()).sum::<f64>()
                + scales.iter().map(|s| s.ln()).sum::<f64>()
                + rest_nll,
            dim,
            subspace: Some(Subspace {
                vectors: kept,
                scales,
                rest: 1.0,
                feature_scales,
            }),
        }))
    }

    /// Whether EM works on squares only (diagonal covariances).
    fn diagonal(&self) -> bool {
        self.whitening.is_none() && self.subspace.is_none()
    }

    /// The rank of a subspace frame.
    pub(crate) fn rank(&self) -> Option<usize> {
        self.subspace.as_ref().map(|s| s.scales.len())
    }

    /// `(z, u)` for rows `x` (unchecked).
    fn to_fit_units(&self, x: &Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let z = self.standardizer.apply(x.clone());
        let u = match &self.unwhiten_t {
            Some(t) => z.clone().matmul(t.clone()),
            None => z.clone(),
        };
        (z, u)
    }

    /// The model in the units of `x` for a state fitted in this frame.
    pub(crate) fn knife(&self, state: &State, device: &Device) -> Result<Knife> {
        let parts = match &self.subspace {
            Some(subspace) => subspace.parts(state)?,
            None => state.parts(self.whitening.as_deref(), self.whitening_inverse.as_deref())?,
        };
        Ok(Knife::from_parts(parts, self.standardizer.clone(), device))
    }

    pub(crate) fn dim(&self) -> usize {
        self.dim
    }
}

/// A factor analysis `Σ = Λ Λᵀ + Ψ` of rank `r` of a `d × d` second-moment
/// matrix (host, `f64`).
struct Factors {
    rank: usize,
    /// `Λ`, `[d, r]` row-major.
    loadings: Vec<f64>,
    /// `diag(Ψ)`, `[d]`.
    psi: Vec<f64>,
}

/// `(a⁻¹, ln|a|)` of a small symmetric positive definite `a`.
fn spd_inverse(a: &[f64], n: usize) -> Option<(Vec<f64>, f64)> {
    let c = linalg::cholesky(a, n).ok()?;
    let inverse = linalg::lower_inverse(&c, n);
    let log_det = 2.0 * (0..n).map(|j| c[j * n + j].ln()).sum::<f64>();
    Some((
        linalg::matmul(&linalg::transpose(&inverse, n), &inverse, n),
        log_det,
    ))
}

/// Twice the mean `−ln N(z; 0, S)` of rows with second moments `held`, less
/// `d ln 2π`: `ln|S| + tr(S⁻¹ H)`.
fn full_gaussian_nll(s: &[f64], held: &[f64], d: usize) -> Option<f64> {
    let (inverse, log_det) = spd_inverse(s, d)?;
    let trace: f64 = (0..d * d).map(|ij| inverse[ij] * held[ij]).sum();
    Some(log_det + trace)
}

impl Factors {
    /// EM for factor analysis (Rubin and Thayer) from the principal-component
    /// start `Λ = V_r (Λ_r − σ²)^{1/2}`, `Ψ = diag(S − ΛΛᵀ)`; `Ψ` is floored at
    /// `floor`. 50 iterations at most, `O(d² r)` each.
    fn fit(s: &[f64], d: usize, r: usize, values: &[f64], vectors: &[f64], floor: f64) -> Self {
        let rest = values[r..].iter().sum::<f64>() / (d - r) as f64;
        let mut loadings: Vec<f64> = (0..d * r)
            .map(|ij| vectors[(ij / r) * d + ij % r] * (values[ij % r] - rest).max(0.0).sqrt())
            .collect();
        let diagonal_rest = |loadings: &[f64]| -> Vec<f64> {
            (0..d)
                .map(|j| {
                    let explained: f64 = (0..r).map(|l| loadings[j * r + l].powi(2)).sum();
                    (s[j * d + j] - explained).max(floor)
                })
                .collect()
        };
        let mut psi = diagonal_rest(&loadings);
        let mut previous = f64::INFINITY;
        for _ in 0..50 {
            // β = M⁻¹ Λᵀ Ψ⁻¹, M = I + Λᵀ Ψ⁻¹ Λ.
            let current = Factors {
                rank: r,
                loadings,
                psi,
            };
            let inverse = spd_inverse(&current.inner(), r);
            (loadings, psi) = (current.loadings, current.psi);
            let Some((m_inverse, _)) = inverse else {
                break;
            };
            let beta: Vec<f64> = (0..r * d)
                .map(|lj| {
                    let (l, j) = (lj / d, lj % d);
                    (0..r)
                        .map(|a| m_inverse[l * r + a] * loadings[j * r + a])
                        .sum::<f64>()
                        / psi[j]
                })
                .collect();
            // S βᵀ, [d, r].
            let s_beta: Vec<f64> = (0..d * r)
                .map(|jl| {
                    let (j, l) = (jl / r, jl % r);
                    (0..d).map(|b| s[j * d + b] * beta[l * d + b]).sum()
                })
                .collect();
            // E[ffᵀ] = M⁻¹ + β S βᵀ, [r, r].
            let second: Vec<f64> = (0..r * r)
                .map(|ab| {
                    let (a, b) = (ab / r, ab % r);
                    m_inverse[ab]
                        + (0..d)
                            .map(|j| beta[a * d + j] * s_beta[j * r + b])
                            .sum::<f64>()
                })
                .collect();
            let Some((second_inverse, _)) = spd_inverse(&second, r) else {
                break;
            };
            loadings = (0..d * r)
                .map(|jl| {
                    let (j, l) = (jl / r, jl % r);
                    (0..r)
                        .map(|a| s_beta[j * r + a] * second_inverse[a * r + l])
                        .sum()
                })
                .collect();
            psi = (0..d)
                .map(|j| {
                    let explained: f64 = (0..r)
                        .map(|l| loadings[j * r + l] * s_beta[j * r + l])
                        .sum();
                    (s[j * d + j] - explained).max(floor)
                })
                .collect();
            let factors = Factors {
                rank: r,
                loadings,
                psi,
            };
            let Some(nll) = factors.nll(s) else {
                return factors;
            };
            (loadings, psi) = (factors.loadings, factors.psi);
            if previous - nll < 1e-7 * d as f64 {
                break;
            }
            previous = nll;
        }
        Factors {
            rank: r,
            loadings,
            psi,
        }
    }

    /// `M = I + Λᵀ Ψ⁻¹ Λ`, `[r, r]`.
    fn inner(&self) -> Vec<f64> {
        let (r, d) = (self.rank, self.psi.len());
        (0..r * r)
            .map(|ab| {
                let (a, b) = (ab / r, ab % r);
                f64::from(u8::from(a == b))
                    + (0..d)
                        .map(|j| self.loadings[j * r + a] * self.loadings[j * r + b] / self.psi[j])
                        .sum::<f64>()
            })
            .collect()
    }

    /// Twice the mean `−ln N(z; 0, ΛΛᵀ + Ψ)` of rows with second moments
    /// `held`, less `d ln 2π`, by the Woodbury identity and the determinant lemma.
    fn nll(&self, held: &[f64]) -> Option<f64> {
        let (r, d) = (self.rank, self.psi.len());
        let (m_inverse, log_det_m) = spd_inverse(&self.inner(), r)?;
        // W = Ψ⁻¹ Λ, [d, r]; tr(Σ⁻¹H) = tr(Ψ⁻¹H) − tr(M⁻¹ Wᵀ H W).
        let w: Vec<f64> = (0..d * r)
            .map(|jl| self.loadings[jl] / self.psi[jl / r])
            .collect();
        let hw: Vec<f64> = (0..d * r)
            .map(|jl| {
                let (j, l) = (jl / r, jl % r);
                (0..d).map(|b| held[j * d + b] * w[b * r + l]).sum()
            })
            .collect();
        let wthw: Vec<f64> = (0..r * r)
            .map(|ab| {
                let (a, b) = (ab / r, ab % r);
                (0..d).map(|j| w[j * r + a] * hw[j * r + b]).sum()
            })
            .collect();
        let correction: f64 = (0..r * r).map(|ab| m_inverse[ab] * wthw[ab]).sum();
        let trace: f64 = (0..d).map(|j| held[j * d + j] / self.psi[j]).sum::<f64>() - correction;
        let log_det = log_det_m + self.psi.iter().map(|p| p.ln()).sum::<f64>();
        let nll = log_det + trace;
        nll.is_finite().then_some(nll)
    }
}

impl Subspace {
    /// The KNIFE parameters in standardised units of the mixture `state`,
    /// fitted in the subspace's `u` (see [`Subspace`]).
    fn parts(&self, state: &State) -> Result<KnifeParts> {
        let (k, r) = (state.kernels, state.dim);
        let d = self.vectors.len() / r;
        // B = V_r Λ_r^{1/2}, [d, r].
        let b: Vec<f64> = (0..d * r)
            .map(|ij| self.vectors[ij] * self.scales[ij % r])
            .collect();
        let feature = &self.feature_scales;
        let means = (0..k)
            .flat_map(|c| {
                let mu = &state.means[c * r..(c + 1) * r];
                let b = &b;
                (0..d).map(move |i| {
                    (feature[i] * (0..r).map(|j| b[i * r + j] * mu[j]).sum::<f64>()) as f32
                })
            })
            .collect();
        // σ² (I − V_r V_rᵀ), shared by every kernel.
        let mut rest = vec![0.0; d * d];
        for i in 0..d {
            for j in 0..d {
                let overlap: f64 = (0..r)
                    .map(|l| self.vectors[i * r + l] * self.vectors[j * r + l])
                    .sum();
                rest[i * d + j] = self.rest * (f64::from(u8::from(i == j)) - overlap);
            }
        }
        let covariance = |sigma_u: &[f64]| -> Vec<f64> {
            // B Σ_u Bᵀ + rest.
            let b_sigma: Vec<f64> = (0..d * r)
                .map(|ij| {
                    let (i, j) = (ij / r, ij % r);
                    (0..r).map(|l| b[i * r + l] * sigma_u[l * r + j]).sum()
                })
                .collect();
            let mut out = rest.clone();
            for i in 0..d {
                for j in 0..=i {
                    let value: f64 = (0..r).map(|l| b_sigma[i * r + l] * b[j * r + l]).sum();
                    out[i * d + j] += value;
                    if i != j {
                        out[j * d + i] += value;
                    }
                }
            }
            (0..d * d)
                .map(|ij| out[ij] * feature[ij / d] * feature[ij % d])
                .collect::<Vec<f64>>()
        };
        let mut log_scales = Vec::with_capacity(k * d);
        let mut lower = Vec::with_capacity(k * d * d);
        for c in 0..k {
            if state.kind == Covariance::Tied && c > 0 {
                log_scales.extend_from_within(..d);
                lower.extend_from_within(..d * d);
                continue;
            }
            let sigma_u: Vec<f64> = match state.kind {
                Covariance::Tied => state.covariances.clone(),
                Covariance::Full => state.covariances[c * r * r..(c + 1) * r * r].to_vec(),
                Covariance::Diagonal => (0..r * r)
                    .map(|ij| match ij / r == ij % r {
                        true => state.covariances[c * r + ij / r],
                        false => 0.0,
                    })
                    .collect(),
            };
            let (e, t) = knife_factor(&covariance(&sigma_u), d, None, state.ridge)?;
            log_scales.extend(e);
            lower.extend(t);
        }
        Ok(KnifeParts {
            kernels: k,
            dim: d,
            weight_logits: state.weights.iter().map(|&w| w.ln() as f32).collect(),
            means,
            log_scales,
            lower: Some(lower),
        })
    }
}

/// KNIFE's `(ℓ, T)` for one covariance `sigma` in fit units: `M = C⁻¹ L⁻¹` with
/// `C Cᵀ = Σ` (`L⁻¹` the whitening's inverse, if any), `ℓ = ln diag(M)`, `T` the
/// strictly lower part of `M diag(M)⁻¹`.
fn knife_factor(
    sigma: &[f64],
    d: usize,
    whitening_inverse: Option<&[f64]>,
    ridge: f64,
) -> Result<(Vec<f32>, Vec<f32>)> {
    let c = linalg::cholesky(sigma, d).map_err(|_| not_positive_definite_ridge(ridge))?;
    let mut m = linalg::lower_inverse(&c, d);
    if let Some(inverse) = whitening_inverse {
        m = linalg::matmul(&m, inverse, d);
    }
    let s: Vec<f64> = (0..d).map(|j| m[j * d + j]).collect();
    let t = (0..d * d)
        .map(|ij| {
            let (i, j) = (ij / d, ij % d);
            if i > j { (m[ij] / s[j]) as f32 } else { 0.0 }
        })
        .collect();
    Ok((s.iter().map(|v| v.ln() as f32).collect(), t))
}

/// The mixture in fit units (host, `f64`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct State {
    pub kind: Covariance,
    pub kernels: usize,
    pub dim: usize,
    /// `π`, `[K]`.
    weights: Vec<f64>,
    /// `μ`, `[K·d]`.
    means: Vec<f64>,
    /// Full: `[K·d·d]`; tied: `[d·d]`; diagonal: `[K·d]` variances. Ridge included.
    covariances: Vec<f64>,
    /// The ridge the covariances carry, for the error message.
    ridge: f64,
}

impl State {
    /// k-means++ seeding (`D²` sampling from the standardised rows, see
    /// [`Design`]), then one M-step from the hard assignment of every row to its
    /// nearest seed.
    pub(crate) fn seeded(
        design: &Design,
        kernels: usize,
        kind: Covariance,
        seed: u64,
    ) -> Result<Self> {
        debug_assert_eq!(design.diagonal, kind == Covariance::Diagonal);
        let u = &design.seeding;
        let [rows, dim] = u.dims(); // standardised `z`: `d` columns, not the subspace's `r`
        if rows < kernels {
            return Err(LsmiError::TooFewRows {
                what: "x",
                rows,
                needed: kernels,
                reason: "one data row per kernel to seed its mean",
            });
        }
        let values = check::read_f32(u.clone().reshape([rows * dim]))?;
        let row = |i: usize| &values[i * dim..(i + 1) * dim];
        let distance = |i: usize, centre: &[f64]| -> f64 {
            row(i)
                .iter()
                .zip(centre)
                .map(|(&a, &b)| (f64::from(a) - b).powi(2))
                .sum()
        };
        let mut rng = SeededRng::new(seed ^ 0x0E11_5EED);
        let mut means: Vec<f64> = Vec::with_capacity(kernels * dim);
        let first = rng.below(rows);
        let mut picks = vec![first];
        means.extend(row(first).iter().map(|&v| f64::from(v)));
        let mut nearest = vec![0usize; rows];
        let mut best: Vec<f64> = (0..rows).map(|i| distance(i, &means[..dim])).collect();
        // Greedy k-means++ (as scikit-learn): of `2 + ⌊ln K⌋` candidates drawn by
        // `D²` sampling, keep the one that lowers the total potential most.
        let trials = 2 + (kernels as f64).ln().floor() as usize;
        for k in 1..kernels {
            let mut chosen: Option<(f64, usize, Vec<f64>)> = None;
            for _ in 0..trials {
                let total: f64 = best.iter().sum();
                let pick = if total > 0.0 && total.is_finite() {
                    let mut target = rng.uniform() * total;
                    let mut pick = rows - 1;
                    for (i, &b) in best.iter().enumerate() {
                        if target < b {
                            pick = i;
                            break;
                        }
                        target -= b;
                    }
                    pick
                } else {
                    rng.below(rows)
                };
                let centre: Vec<f64> = row(pick).iter().map(|&v| f64::from(v)).collect();
                let distances: Vec<f64> = (0..rows).map(|i| distance(i, &centre)).collect();
                let potential: f64 = distances.iter().zip(&best).map(|(&a, &b)| a.min(b)).sum();
                if chosen.as_ref().is_none_or(|(p, _, _)| potential < *p) {
                    chosen = Some((potential, pick, distances));
                }
            }
            let (_, pick, distances) = chosen.unwrap_or_default();
            picks.push(pick);
            means.extend(row(pick).iter().map(|&v| f64::from(v)));
            for (i, dist) in distances.into_iter().enumerate() {
                if dist < best[i] {
                    best[i] = dist;
                    nearest[i] = k;
                }
            }
        }
        // A seed no row is nearest to (duplicated rows) keeps its own row, in fit units.
        let means = read_f64(
            design
                .u
                .clone()
                .select(0, train::index_tensor(&picks, &u.device())),
        )?;
        let dim = design.dim;
        let fallback = State {
            kind,
            kernels,
            dim,
            weights: vec![1.0 / kernels as f64; kernels],
            means,
            covariances: match kind {
                Covariance::Full => (0..kernels).flat_map(|_| identity(dim)).collect(),
                Covariance::Tied => identity(dim),
                Covariance::Diagonal => vec![1.0; kernels * dim],
            },
            ridge: 0.0,
        };
        let moments = design.hard_moments(&nearest, kernels, kind)?;
        // A ridge of 1e-3 (the data have unit variance) keeps seeds with a
        // single row proper; EM's own ridge takes over from the first iteration.
        m_step(&moments, &fallback, design, 1e-3)
    }

    /// The KNIFE parameters in standardised units, `z = L u`.
    fn parts(
        &self,
        whitening: Option<&[f64]>,
        whitening_inverse: Option<&[f64]>,
    ) -> Result<KnifeParts> {
        let (k, d) = (self.kernels, self.dim);
        let weight_logits = self.weights.iter().map(|&w| w.ln() as f32).collect();
        let means = match whitening {
            Some(l) => (0..k)
                .flat_map(|c| {
                    let mu = &self.means[c * d..(c + 1) * d];
                    (0..d).map(move |i| (0..=i).map(|j| l[i * d + j] * mu[j]).sum::<f64>() as f32)
                })
                .collect(),
            None => self.means.iter().map(|&m| m as f32).collect(),
        };
        let (log_scales, lower) = match self.kind {
            Covariance::Diagonal => (
                self.covariances
                    .iter()
                    .map(|&v| (-0.5 * v.ln()) as f32)
                    .collect(),
                None,
            ),
            Covariance::Full | Covariance::Tied => {
                let factor = |sigma: &[f64]| knife_factor(sigma, d, whitening_inverse, self.ridge);
                let (mut ell, mut t) = (Vec::with_capacity(k * d), Vec::with_capacity(k * d * d));
                if self.kind == Covariance::Tied {
                    let (e, f) = factor(&self.covariances)?;
                    for _ in 0..k {
                        ell.extend_from_slice(&e);
                        t.extend_from_slice(&f);
                    }
                } else {
                    for c in 0..k {
                        let (e, f) = factor(&self.covariances[c * d * d..(c + 1) * d * d])?;
                        ell.extend(e);
                        t.extend(f);
                    }
                }
                (ell, Some(t))
            }
        };
        Ok(KnifeParts {
            kernels: k,
            dim: d,
            weight_logits,
            means,
            log_scales,
            lower,
        })
    }
}

/// The result of [`run`].
pub(crate) struct Fitted {
    pub state: State,
    pub iterations: usize,
    pub converged: bool,
    /// Mean `ln p_u(u)` before each M-step.
    pub mean_log_likelihood: Vec<f64>,
}

/// EM iterations from `state` on the rows of `design` (fit units).
pub(crate) fn run(design: &Design, mut state: State, settings: &Settings) -> Result<Fitted> {
    let mut history = Vec::new();
    let mut converged = false;
    for iteration in 0..settings.max_iterations {
        let (total, moments) = design.expectation(&state)?;
        let mean = total / design.rows as f64;
        if !mean.is_finite() {
            return Err(LsmiError::NonFinite {
                what: "EM training log-likelihood",
                index: vec![iteration],
                value: mean,
            });
        }
        let previous = history.last().copied();
        history.push(mean);
        state = m_step(&moments, &state, design, settings.ridge)?;
        if let Some(previous) = previous
            && (mean - previous).abs() <= settings.tolerance
        {
            converged = true;
            break;
        }
    }
    Ok(Fitted {
        state,
        iterations: history.len(),
        converged,
        mean_log_likelihood: history,
    })
}

/// The rows in fit units and the features both EM steps multiply,
/// `F = [1, u, q(u)]`: `q(u)` holds the products `u_a u_b` (`a ≤ b`) for full and
/// tied covariances, the squares `u_j²` for diagonal ones.
///
/// Every Gaussian log-density is linear in these features,
/// `ln π_k + ln N_k(u) = F · w_k` (see [`weight_matrix`]), so the E-step's
/// `[rows, K]` terms are one GEMM `F W`, and the M-step's sufficient statistics
/// (`N_k`, `Σ_i r_ik u_i`, `Σ_i r_ik q(u_i)`) are one more, `Rᵀ F`; nothing of
/// size `rows × K × d` is formed. The moments are summed over row chunks in `f64`
/// on the host, and the covariances are centred there (the data have unit
/// variance in fit units, so the subtraction loses little).
pub(crate) struct Design {
    diagonal: bool,
    dim: usize,
    pub rows: usize,
    /// The standardised rows `z` (before whitening), where k-means++ seeds the
    /// components: whitening gives every direction unit variance, so in
    /// low-rank-plus-noise data the many noise directions would swamp the
    /// distances between clusters.
    seeding: Tensor<2>,
    /// `u`, whole.
    u: Tensor<2>,
    /// Row chunks of `u`.
    chunks: Vec<Tensor<2>>,
    /// The features of every chunk, when they fit in [`CACHE_ELEMENTS`].
    features: Option<Vec<Tensor<2>>>,
    /// Columns of the flattened `u ⊗ u` kept in `q(u)` (full and tied).
    pairs: Option<Tensor<1, Int>>,
    /// `Σ_i q(u_i)` (full and tied; empty for diagonal), for the tied M-step.
    second_total: Vec<f64>,
}

/// Elements of all the features of a [`Design`] beyond which they are rebuilt
/// chunk by chunk at every iteration instead of kept.
const CACHE_ELEMENTS: usize = 1 << 26;

impl Design {
    /// The rows `x` in the fit units of `frame`, with their features.
    pub(crate) fn new(frame: &Frame, x: &Tensor<2>) -> Result<Self> {
        let diagonal = frame.diagonal();
        let (z, u) = frame.to_fit_units(x);
        let u = &u;
        let [rows, dim] = u.dims();
        let device = u.device();
        let pairs = (!diagonal).then(|| {
            let index: Vec<usize> = (0..dim)
                .flat_map(|a| (a..dim).map(move |b| a * dim + b))
                .collect();
            train::index_tensor(&index, &device)
        });
        let mut design = Design {
            diagonal,
            dim,
            rows,
            u: u.clone(),
            seeding: z,
            chunks: Vec::new(),
            features: None,
            pairs,
            second_total: Vec::new(),
        };
        let width = design.width();
        let chunk = (CHUNK_ELEMENTS / (dim * dim + width)).max(1);
        design.chunks = (0..rows)
            .step_by(chunk)
            .map(|start| u.clone().narrow(0, start, chunk.min(rows - start)))
            .collect();
        if rows.saturating_mul(width) <= CACHE_ELEMENTS {
            design.features = Some(
                design
                    .chunks
                    .iter()
                    .map(|c| design.build(c, width))
                    .collect(),
            );
        }
        if !diagonal {
            // Σ_i u_i u_iᵀ, packed as q(u) (a ≤ b).
            let mut sum = Tensor::<2>::zeros([dim, dim], &device);
            for chunk in &design.chunks {
                sum = sum + chunk.clone().transpose().matmul(chunk.clone());
            }
            let sum = read_f64(sum)?;
            design.second_total = (0..dim)
                .flat_map(|a| (a..dim).map(move |b| (a, b)))
                .map(|(a, b)| 0.5 * (sum[a * dim + b] + sum[b * dim + a]))
                .collect();
        }
        Ok(design)
    }

    /// Columns of `F`: `1 + d + d` (diagonal) or `1 + d + d(d + 1)/2`.
    fn width(&self) -> usize {
        let d = self.dim;
        1 + d + if self.diagonal { d } else { d * (d + 1) / 2 }
    }

    /// The columns of `F` that EM needs for `kind`: all of them, but `[1, u]` for
    /// a tied covariance (its quadratic term is shared, see [`Self::expectation`]).
    fn columns(&self, kind: Covariance) -> usize {
        match kind {
            Covariance::Tied => 1 + self.dim,
            _ => self.width(),
        }
    }

    /// The first `columns` columns of `F` for the rows `u`; `q(u)`, the costly
    /// part in many dimensions, only when asked for.
    fn build(&self, u: &Tensor<2>, columns: usize) -> Tensor<2> {
        let [m, d] = u.dims();
        let mut parts = vec![Tensor::ones([m, 1], &u.device()), u.clone()];
        if columns > 1 + d {
            parts.push(match &self.pairs {
                None => u.clone().square(),
                Some(pairs) => (u.clone().reshape([m, d, 1]) * u.clone().reshape([m, 1, d]))
                    .reshape([m, d * d])
                    .select(1, pairs.clone()),
            });
        }
        Tensor::cat(parts, 1)
    }

    /// The first `columns` features of chunk `i`, kept or rebuilt.
    fn features(&self, i: usize, columns: usize) -> Tensor<2> {
        match &self.features {
            Some(features) => features[i].clone().narrow(1, 0, columns),
            None => self.build(&self.chunks[i], columns),
        }
    }

    /// Every chunk's first `columns` features, cut again so that `[rows, kernels]`
    /// intermediates stay within [`CHUNK_ELEMENTS`].
    fn parts(&self, kernels: usize, columns: usize) -> impl Iterator<Item = Tensor<2>> + '_ {
        let most = (CHUNK_ELEMENTS / kernels.max(1)).max(1);
        (0..self.chunks.len()).flat_map(move |i| row_cuts(self.features(i, columns), most))
    }

    /// The E-step for `state`: the sum over rows of `ln p_u(u)`, and the
    /// moments `Rᵀ F` (`[K, width]`, row-major) of the responsibilities `R`.
    ///
    /// A tied covariance shares its quadratic term `uᵀPu` across the kernels: it
    /// is computed once per row, and the moments need only the columns `[1, u]`
    /// (the pooled scatter follows from `Σ_i u_i u_iᵀ`, see [`m_step`]).
    fn expectation(&self, state: &State) -> Result<(f64, Vec<f64>)> {
        if state.kind == Covariance::Full && self.features.is_none() {
            return self.expectation_direct(state);
        }
        let k = state.kernels;
        let device = self.seeding.device();
        let weights = weight_matrix(state)?;
        let columns = weights.w.len() / k;
        let w = host_matrix_rect(&weights.w, columns, k, &device);
        let shared = weights
            .shared_precision
            .map(|p| host_matrix_rect(&p, self.dim, self.dim, &device));
        let mut total = Tensor::<1>::zeros([1], &device);
        let mut moments: Option<Tensor<2>> = None;
        debug_assert_eq!(columns, self.columns(state.kind));
        for features in self.parts(k, columns) {
            let mut joint = features.clone().matmul(w.clone()); // [m, K]
            if let Some(p) = &shared {
                let u = features.clone().narrow(1, 1, self.dim);
                let quad = (u.clone().matmul(p.clone()) * u).sum_dim(1); // [m, 1]
                joint = joint - quad.mul_scalar(0.5);
            }
            let norm = log_sum_exp(joint.clone(), 1); // [m, 1]
            total = total + norm.clone().sum();
            let resp = (joint - norm).exp();
            let m = resp.transpose().matmul(features);
            moments = Some(moments.map_or(m.clone(), |acc| acc + m));
        }
        let Some(moments) = moments else {
            return Err(LsmiError::Empty {
                what: "x",
                unit: "samples",
            });
        };
        let total = f64::from(check::read_f32(total)?[0]);
        Ok((total, read_f64(moments)?))
    }

    /// Row blocks of `u` of at most [`CHUNK_ELEMENTS`] / `(K d)` rows.
    fn row_blocks(&self, kernels: usize) -> impl Iterator<Item = Tensor<2>> + '_ {
        let most = (CHUNK_ELEMENTS / (kernels * self.dim).max(1)).max(1);
        self.chunks
            .iter()
            .flat_map(move |chunk| row_cuts(chunk.clone(), most))
    }

    /// The E-step for full covariances when `F` is too large to keep: rebuilding
    /// `q(u)` (`d(d+1)/2` columns) at every iteration would cost more than the
    /// direct route, `y_k = (u − μ_k) C_k⁻ᵀ` for all kernels in one GEMM
    /// `[m, d] × [d, K·d]`, and for the moments `Rᵀ[1, u]` and the `K` scatters
    /// `Σ_i r_ik u_i u_iᵀ` in one more, `[K·d, m] × [m, d]`. The moments are
    /// returned packed as those of [`Self::expectation`].
    fn expectation_direct(&self, state: &State) -> Result<(f64, Vec<f64>)> {
        let (k, d) = (state.kernels, self.dim);
        let device = self.seeding.device();
        // Column block c of `stacked` is C_c⁻ᵀ: (u C_c⁻ᵀ)_j = Σ_i u_i (C_c⁻¹)_ji.
        let mut stacked = vec![0.0; d * k * d];
        let mut shift = vec![0.0; k * d];
        let mut constant = vec![0.0; k];
        for c in 0..k {
            let sigma = &state.covariances[c * d * d..(c + 1) * d * d];
            let chol =
                linalg::cholesky(sigma, d).map_err(|_| not_positive_definite_ridge(state.ridge))?;
            let a = linalg::lower_inverse(&chol, d);
            let mu = &state.means[c * d..(c + 1) * d];
            for j in 0..d {
                for i in 0..=j {
                    stacked[i * k * d + c * d + j] = a[j * d + i];
                }
                shift[c * d + j] = (0..=j).map(|i| a[j * d + i] * mu[i]).sum();
            }
            constant[c] = state.weights[c].ln()
                - (0..d).map(|j| chol[j * d + j].ln()).sum::<f64>()
                - 0.5 * d as f64 * TAU.ln();
        }
        let stacked = host_matrix_rect(&stacked, d, k * d, &device);
        let shift = host_matrix_rect(&shift, 1, k * d, &device);
        let constant = host_matrix_rect(&constant, 1, k, &device);
        let mut total = Tensor::<1>::zeros([1], &device);
        let mut sums: Option<(Tensor<2>, Tensor<2>)> = None;
        for u in self.row_blocks(k) {
            let m = u.dims()[0];
            let y = u.clone().matmul(stacked.clone()) - shift.clone(); // [m, K·d]
            let quad = y.square().reshape([m, k, d]).sum_dim(2).reshape([m, k]);
            let joint = constant.clone() - quad.mul_scalar(0.5);
            let norm = log_sum_exp(joint.clone(), 1);
            total = total + norm.clone().sum();
            let part = direct_moments((joint - norm).exp(), u);
            sums = Some(match sums {
                None => part,
                Some((a, b)) => (a + part.0, b + part.1),
            });
        }
        let Some((first, second)) = sums else {
            return Err(LsmiError::Empty {
                what: "x",
                unit: "samples",
            });
        };
        let total = f64::from(check::read_f32(total)?[0]);
        Ok((
            total,
            pack_moments(&read_f64(first)?, &read_f64(second)?, k, d),
        ))
    }

    /// The moments `Rᵀ F` of the hard assignment of row `i` to `nearest[i]`.
    fn hard_moments(
        &self,
        nearest: &[usize],
        kernels: usize,
        kind: Covariance,
    ) -> Result<Vec<f64>> {
        let device = self.seeding.device();
        let one_hot = |start: usize, m: usize| {
            let mut hard = vec![0f32; m * kernels];
            nearest[start..start + m]
                .iter()
                .enumerate()
                .for_each(|(i, &k)| hard[i * kernels + k] = 1.0);
            Tensor::<2>::from_data(TensorData::new(hard, [m, kernels]), &device)
        };
        if kind == Covariance::Full && self.features.is_none() {
            let (mut start, mut sums): (usize, Option<(Tensor<2>, Tensor<2>)>) = (0, None);
            for u in self.row_blocks(kernels) {
                let m = u.dims()[0];
                let part = direct_moments(one_hot(start, m), u);
                start += m;
                sums = Some(match sums {
                    None => part,
                    Some((a, b)) => (a + part.0, b + part.1),
                });
            }
            let Some((first, second)) = sums else {
                return Err(LsmiError::Empty {
                    what: "x",
                    unit: "samples",
                });
            };
            let d = self.dim;
            return Ok(pack_moments(
                &read_f64(first)?,
                &read_f64(second)?,
                kernels,
                d,
            ));
        }
        let mut start = 0;
        let mut moments: Option<Tensor<2>> = None;
        for features in self.parts(kernels, self.columns(kind)) {
            let m = features.dims()[0];
            let hard = one_hot(start, m);
            start += m;
            let part = hard.transpose().matmul(features);
            moments = Some(moments.map_or(part.clone(), |acc| acc + part));
        }
        match moments {
            Some(moments) => read_f64(moments),
            None => Err(LsmiError::Empty {
                what: "x",
                unit: "samples",
            }),
        }
    }
}

/// `t` cut into row blocks of at most `most` rows.
fn row_cuts(t: Tensor<2>, most: usize) -> Vec<Tensor<2>> {
    let rows = t.dims()[0];
    (0..rows)
        .step_by(most)
        .map(|start| t.clone().narrow(0, start, most.min(rows - start)))
        .collect()
}

/// `(Rᵀ [1, u], [Σ_i r_ik u_i u_iᵀ]_k)` for responsibilities `resp` `[m, K]` and
/// rows `u` `[m, d]`: `[K, 1 + d]` and `[K·d, d]`.
fn direct_moments(resp: Tensor<2>, u: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
    let ([m, k], d) = (resp.dims(), u.dims()[1]);
    let ones_u = Tensor::cat(vec![Tensor::ones([m, 1], &u.device()), u.clone()], 1);
    let first = resp.clone().transpose().matmul(ones_u);
    let weighted = (resp.reshape([m, k, 1]) * u.clone().reshape([m, 1, d])).reshape([m, k * d]);
    (first, weighted.transpose().matmul(u))
}

/// The moments of [`direct_moments`] in the layout of `Rᵀ F`: per kernel
/// `[N_k, Σ r u, Σ r q(u)]`, `q(u)` the products `a ≤ b`.
fn pack_moments(first: &[f64], second: &[f64], k: usize, d: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(k * (1 + d + d * (d + 1) / 2));
    for c in 0..k {
        out.extend_from_slice(&first[c * (1 + d)..(c + 1) * (1 + d)]);
        for a in 0..d {
            for b in a..d {
                let (ab, ba) = ((c * d + a) * d + b, (c * d + b) * d + a);
                out.push(0.5 * (second[ab] + second[ba]));
            }
        }
    }
    out
}

/// The E-step's parameters for [`Design::expectation`].
struct Weights {
    /// `W`, `[columns, K]` row-major, with `F W = ln π_k + ln N_k(u)` (without
    /// `−½ uᵀPu` for a tied covariance).
    w: Vec<f64>,
    /// The tied covariance's precision `P`, `[d, d]`.
    shared_precision: Option<Vec<f64>>,
}

/// The E-step's weights for the features of [`Design`]: for a precision
/// `P = Σ⁻¹`, `ln N(u; μ, Σ) = −½ uᵀPu + uᵀPμ − ½ μᵀPμ − ½ ln|Σ| − (d/2) ln 2π`,
/// and `uᵀPu = Σ_a P_aa u_a² + 2 Σ_{a<b} P_ab u_a u_b` (full) or `Σ_a u_a²/v_a`
/// (diagonal).
fn weight_matrix(state: &State) -> Result<Weights> {
    let (k, d) = (state.kernels, state.dim);
    let columns = 1
        + d
        + match state.kind {
            Covariance::Diagonal => d,
            Covariance::Full => d * (d + 1) / 2,
            Covariance::Tied => 0,
        };
    let mut w = vec![0.0; columns * k];
    let constant = -0.5 * d as f64 * TAU.ln();
    // (precision, ½ ln|Σ|) of one full covariance.
    let precision = |sigma: &[f64]| -> Result<(Vec<f64>, f64)> {
        let c = linalg::cholesky(sigma, d).map_err(|_| not_positive_definite_ridge(state.ridge))?;
        let inverse = linalg::lower_inverse(&c, d);
        let p = linalg::matmul(&linalg::transpose(&inverse, d), &inverse, d);
        Ok((p, (0..d).map(|j| c[j * d + j].ln()).sum()))
    };
    let tied = match state.kind {
        Covariance::Tied => Some(precision(&state.covariances)?),
        _ => None,
    };
    for c in 0..k {
        let mu = &state.means[c * d..(c + 1) * d];
        let mut set = |row: usize, value: f64| w[row * k + c] = value;
        let mut log_term = state.weights[c].ln() + constant;
        if state.kind == Covariance::Diagonal {
            let variances = &state.covariances[c * d..(c + 1) * d];
            for (j, (&m, &v)) in mu.iter().zip(variances).enumerate() {
                set(1 + j, m / v);
                set(1 + d + j, -0.5 / v);
                log_term -= 0.5 * (v.ln() + m * m / v);
            }
        } else {
            let owned;
            let (p, half_log_det) = match &tied {
                Some(shared) => shared,
                None => {
                    owned = precision(&state.covariances[c * d * d..(c + 1) * d * d])?;
                    &owned
                }
            };
            let p_mu: Vec<f64> = (0..d)
                .map(|a| (0..d).map(|b| p[a * d + b] * mu[b]).sum())
                .collect();
            let mut column = 1 + d;
            for a in 0..d {
                set(1 + a, p_mu[a]);
                if tied.is_some() {
                    continue;
                }
                for b in a..d {
                    let factor = if a == b { -0.5 } else { -1.0 };
                    set(column, factor * p[a * d + b]);
                    column += 1;
                }
            }
            log_term -= half_log_det + 0.5 * (0..d).map(|a| mu[a] * p_mu[a]).sum::<f64>();
        }
        w[c] = log_term;
    }
    Ok(Weights {
        w,
        shared_precision: tied.map(|(p, _)| p),
    })
}

/// The M-step from the moments `Rᵀ F` of [`Design`]: weights `N_k / n`, means
/// `Σ r u / N_k`, covariances `Σ r q(u) / N_k − μ μᵀ` plus the ridge (the tied
/// one pooled over the kernels). A component whose responsibilities sum to less
/// than [`DEAD_COMPONENT`], or whose new full covariance is not positive definite
/// after the ridge, keeps its previous mean and covariance.
fn m_step(moments: &[f64], previous: &State, design: &Design, ridge: f64) -> Result<State> {
    let rows = design.rows;
    let (k, d) = (previous.kernels, previous.dim);
    let width = moments.len() / k;
    let row = |c: usize| &moments[c * width..(c + 1) * width];
    let counts: Vec<f64> = (0..k).map(|c| row(c)[0]).collect();
    let mut alive: Vec<bool> = counts.iter().map(|&n| n > DEAD_COMPONENT).collect();
    let floor = 1e-12 * rows as f64;
    let total: f64 = counts.iter().map(|&n| n.max(floor)).sum();
    let weights: Vec<f64> = counts.iter().map(|&n| n.max(floor) / total).collect();
    let mut means: Vec<f64> = (0..k * d)
        .map(|kj| {
            let (c, j) = (kj / d, kj % d);
            match alive[c] {
                true => row(c)[1 + j] / counts[c],
                false => previous.means[kj],
            }
        })
        .collect();
    // The centred second moment of component `c` around its new mean, times N_c.
    let scatter = |c: usize, means: &[f64]| -> Vec<f64> {
        let (second, mu) = (&row(c)[1 + d..], &means[c * d..(c + 1) * d]);
        let mut s = vec![0.0; d * d];
        let mut column = 0;
        for a in 0..d {
            for b in a..d {
                let value = second[column] - counts[c] * mu[a] * mu[b];
                s[a * d + b] = value;
                s[b * d + a] = value;
                column += 1;
            }
        }
        s
    };
    let covariances = match previous.kind {
        Covariance::Diagonal => (0..k * d)
            .map(|kj| {
                let (c, j) = (kj / d, kj % d);
                match alive[c] {
                    true => {
                        let mu = means[kj];
                        (row(c)[1 + d + j] / counts[c] - mu * mu).max(0.0) + ridge
                    }
                    false => previous.covariances[kj],
                }
            })
            .collect(),
        Covariance::Full => {
            let mut covariances = Vec::with_capacity(k * d * d);
            for c in 0..k {
                let kept = &previous.covariances[c * d * d..(c + 1) * d * d];
                if !alive[c] {
                    covariances.extend_from_slice(kept);
                    continue;
                }
                let mut sigma: Vec<f64> = scatter(c, &means)
                    .into_iter()
                    .map(|v| v / counts[c])
                    .collect();
                (0..d).for_each(|j| sigma[j * d + j] += ridge);
                if linalg::cholesky(&sigma, d).is_ok() {
                    covariances.extend(sigma);
                } else {
                    alive[c] = false;
                    means[c * d..(c + 1) * d].copy_from_slice(&previous.means[c * d..(c + 1) * d]);
                    covariances.extend_from_slice(kept);
                }
            }
            covariances
        }
        Covariance::Tied => {
            // Σ_k Σ_i r_ik (u_i − μ_k)(u_i − μ_k)ᵀ = Σ_i u_i u_iᵀ − Σ_k N_k μ_k μ_kᵀ.
            let mut sigma = vec![0.0; d * d];
            let mut column = 0;
            for a in 0..d {
                for b in a..d {
                    let between: f64 = (0..k)
                        .map(|c| counts[c] * means[c * d + a] * means[c * d + b])
                        .sum();
                    let value = design.second_total[column] - between;
                    sigma[a * d + b] = value;
                    sigma[b * d + a] = value;
                    column += 1;
                }
            }
            let mut sigma: Vec<f64> = sigma.into_iter().map(|v| v / total).collect();
            (0..d).for_each(|j| sigma[j * d + j] += ridge);
            sigma
        }
    };
    if let Some(bad) = covariances
        .iter()
        .chain(&means)
        .position(|v| !v.is_finite())
    {
        return Err(LsmiError::NonFinite {
            what: "EM parameters",
            index: vec![bad],
            value: f64::NAN,
        });
    }
    Ok(State {
        kind: previous.kind,
        kernels: k,
        dim: d,
        weights,
        means,
        covariances,
        ridge,
    })
}

fn not_positive_definite(settings: &Settings) -> LsmiError {
    not_positive_definite_ridge(settings.ridge)
}

fn not_positive_definite_ridge(ridge: f64) -> LsmiError {
    LsmiError::InvalidConfig {
        field: "ridge",
        value: ridge.to_string(),
        reason: "a covariance is not positive definite even after adding the ridge; \
                 raise it (or check the data for duplicated or collinear features)",
    }
}

fn identity(d: usize) -> Vec<f64> {
    (0..d * d)
        .map(|ij| f64::from(u8::from(ij / d == ij % d)))
        .collect()
}

/// `(a + aᵀ) / 2`.
fn symmetrise(a: &[f64], d: usize) -> Vec<f64> {
    (0..d * d)
        .map(|ij| 0.5 * (a[ij] + a[(ij % d) * d + ij / d]))
        .collect()
}

fn host_matrix(values: &[f64], d: usize, device: &Device) -> Tensor<2> {
    host_matrix_rect(values, d, d, device)
}

fn host_matrix_rect(values: &[f64], rows: usize, cols: usize, device: &Device) -> Tensor<2> {
    let values: Vec<f32> = values.iter().map(|&v| v as f32).collect();
    Tensor::from_data(TensorData::new(values, [rows, cols]), device)
}

fn read_f64<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f64>> {
    let n: usize = tensor.dims().iter().product();
    Ok(check::read_f32(tensor.reshape([n]))?
        .into_iter()
        .map(f64::from)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::Entropy;

    /// A random mixture in fit units: means near the rows, covariances
    /// `B Bᵀ + 0.2 I` (full, tied) or uniform variances (diagonal).
    fn random_state(kind: Covariance, kernels: usize, dim: usize, rng: &mut SeededRng) -> State {
        let mut spd = || {
            let b: Vec<f64> = (0..dim * dim).map(|_| 0.5 * rng.normal()).collect();
            let mut a = linalg::matmul(&b, &linalg::transpose(&b, dim), dim);
            (0..dim).for_each(|i| a[i * dim + i] += 0.2);
            a
        };
        let covariances = match kind {
            Covariance::Full => (0..kernels).flat_map(|_| spd()).collect(),
            Covariance::Tied => spd(),
            Covariance::Diagonal => (0..kernels * dim)
                .map(|i| 0.3 + 0.1 * (i % 7) as f64)
                .collect(),
        };
        let raw: Vec<f64> = (0..kernels).map(|k| 1.0 + k as f64).collect();
        let total: f64 = raw.iter().sum();
        State {
            kind,
            kernels,
            dim,
            weights: raw.iter().map(|w| w / total).collect(),
            means: (0..kernels * dim).map(|_| rng.normal()).collect(),
            covariances,
            ridge: 1e-6,
        }
    }

    /// Row-major host copy of a tensor.
    fn host(x: &Tensor<2>) -> Vec<f64> {
        read_f64(x.clone()).expect("readable")
    }

    /// `ln π_k + ln N_k(u)` by the Cholesky route, on the host in `f64`.
    fn log_joint(state: &State, u: &[f64]) -> Vec<f64> {
        let d = state.dim;
        (0..state.kernels)
            .map(|k| {
                let mu = &state.means[k * d..(k + 1) * d];
                let sigma: Vec<f64> = match state.kind {
                    Covariance::Full => state.covariances[k * d * d..(k + 1) * d * d].to_vec(),
                    Covariance::Tied => state.covariances.clone(),
                    Covariance::Diagonal => (0..d * d)
                        .map(|ij| match ij / d == ij % d {
                            true => state.covariances[k * d + ij / d],
                            false => 0.0,
                        })
                        .collect(),
                };
                let c = linalg::cholesky(&sigma, d).expect("positive definite");
                // Solve C y = u − μ by forward substitution.
                let mut y = vec![0.0; d];
                for i in 0..d {
                    let s: f64 = (0..i).map(|j| c[i * d + j] * y[j]).sum();
                    y[i] = (u[i] - mu[i] - s) / c[i * d + i];
                }
                let log_det: f64 = (0..d).map(|j| c[j * d + j].ln()).sum();
                state.weights[k].ln()
                    - 0.5 * y.iter().map(|v| v * v).sum::<f64>()
                    - log_det
                    - 0.5 * d as f64 * TAU.ln()
            })
            .collect()
    }

    /// Rows with a rank-2 signal in 3 clusters plus noise whose level differs
    /// between the `dim` features.
    fn low_rank_rows(rows: usize, dim: usize, seed: u64) -> Vec<f32> {
        let mut rng = SeededRng::new(seed);
        (0..rows)
            .flat_map(|i| {
                let c = (i % 3) as f64;
                let f = [c + 0.5 * rng.normal(), -c + 0.5 * rng.normal()];
                (0..dim)
                    .map(|j| {
                        let load = [1.0 + 0.1 * j as f64, (j % 3) as f64 - 1.0];
                        let noise = (0.05 + 0.03 * j as f64) * rng.normal();
                        (f[0] * load[0] + f[1] * load[1] + noise) as f32
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// The subspace frame's KNIFE (Cholesky factors of the mapped-back `d × d`
    /// covariances) against the density by parts, on the host: the mixture's
    /// `ln p_u(u)`, the isotropic rest of `y = D⁻¹ z` outside `V_r`, and the
    /// Jacobians of the standardisation, of `D` and of `Λ_r^{1/2}`.
    #[test]
    fn subspace_knife_matches_the_density_by_parts() {
        let device = crate::default_device();
        let (rows, dim) = (3_000, 8);
        let x = Tensor::<2>::from_data(
            TensorData::new(low_rank_rows(rows, dim, 3), [rows, dim]),
            &device,
        );
        let fit = x.clone().narrow(0, 0, 2_400);
        let held = x.narrow(0, 2_400, 600);
        let settings = Settings {
            max_iterations: 100,
            tolerance: 1e-6,
            ridge: 1e-6,
            scale_floor: 1e-6,
        };
        let frame = Frame::subspace(&fit, &held, &settings)
            .expect("frame")
            .expect("a rank below d − 1 beats the full covariance");
        let rank = frame.rank().expect("a subspace frame");
        assert!((2..dim - 1).contains(&rank), "rank {rank}");
        let subspace = frame.subspace.clone().expect("subspace");
        let design = Design::new(&frame, &fit).expect("design");
        let (z, u) = frame.to_fit_units(&held);
        let (z, u) = (host(&z), host(&u));
        let log_scale =
            f64::from(check::read_f32(frame.standardizer.log_scale_sum()).expect("readable")[0]);
        for kind in [Covariance::Full, Covariance::Tied] {
            let state = State::seeded(&design, 3, kind, 1).expect("seeded");
            let state = run(&design, state, &settings).expect("EM").state;
            let knife = frame.knife(&state, &device).expect("knife");
            let got = check::read_f32(knife.pointwise_entropy(held.clone()).expect("h"))
                .expect("readable");
            for (i, &got) in got.iter().enumerate() {
                let joint = log_joint(&state, &u[i * rank..(i + 1) * rank]);
                let top = joint.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let log_p_u = top + joint.iter().map(|j| (j - top).exp()).sum::<f64>().ln();
                let y: Vec<f64> = (0..dim)
                    .map(|j| z[i * dim + j] / subspace.feature_scales[j])
                    .collect();
                let along: f64 = (0..rank)
                    .map(|l| {
                        (0..dim)
                            .map(|j| subspace.vectors[j * rank + l] * y[j])
                            .sum::<f64>()
                            .powi(2)
                    })
                    .sum();
                let rest_sq = y.iter().map(|v| v * v).sum::<f64>() - along;
                let expected = log_scale
                    + subspace.feature_scales.iter().map(|v| v.ln()).sum::<f64>()
                    + subspace.scales.iter().map(|v| v.ln()).sum::<f64>()
                    - log_p_u
                    + 0.5
                        * ((dim - rank) as f64 * (TAU * subspace.rest).ln()
                            + rest_sq / subspace.rest);
                assert!(
                    (f64::from(got) - expected).abs() < 2e-3 * expected.abs().max(1.0),
                    "{kind:?} row {i}: knife {got} vs by parts {expected}"
                );
            }
        }
    }

    /// Factor analysis: the Woodbury likelihood against a dense Cholesky one, and
    /// EM on an exact `ΛΛᵀ + Ψ` reaches that matrix's own likelihood.
    #[test]
    fn factor_analysis_likelihood_and_fit() {
        let (d, r) = (9, 2);
        let mut rng = SeededRng::new(5);
        let loadings: Vec<f64> = (0..d * r).map(|_| rng.normal()).collect();
        let psi: Vec<f64> = (0..d).map(|j| 0.1 + 0.05 * j as f64).collect();
        let mut sigma = vec![0.0; d * d];
        for i in 0..d {
            for j in 0..d {
                sigma[i * d + j] = (0..r)
                    .map(|l| loadings[i * r + l] * loadings[j * r + l])
                    .sum::<f64>()
                    + if i == j { psi[i] } else { 0.0 };
            }
        }
        let held: Vec<f64> = {
            let b: Vec<f64> = (0..d * d).map(|_| 0.3 * rng.normal()).collect();
            let mut h = linalg::matmul(&b, &linalg::transpose(&b, d), d);
            (0..d * d).for_each(|ij| h[ij] += sigma[ij]);
            h
        };
        let factors = Factors {
            rank: r,
            loadings,
            psi,
        };
        let woodbury = factors.nll(&held).expect("finite");
        let dense = full_gaussian_nll(&sigma, &held, d).expect("positive definite");
        assert!(
            (woodbury - dense).abs() < 1e-9 * dense.abs(),
            "{woodbury} vs {dense}"
        );

        let (values, vectors) = linalg::symmetric_eigen(&sigma, d);
        let fitted = Factors::fit(&sigma, d, r, &values, &vectors, 1e-9);
        let best = full_gaussian_nll(&sigma, &sigma, d).expect("positive definite");
        let got = fitted.nll(&sigma).expect("finite");
        assert!(got - best < 1e-4 && got >= best - 1e-9, "{got} vs {best}");
    }

    /// The GEMM E-step and the moment M-step against a direct `f64` computation
    /// of the log-likelihood and of the weighted means and covariances.
    #[test]
    fn expectation_and_m_step_match_direct_sums() {
        let device = crate::default_device();
        let (rows, dim, kernels) = (300, 4, 3);
        for (seed, kind) in [Covariance::Full, Covariance::Tied, Covariance::Diagonal]
            .into_iter()
            .enumerate()
        {
            let mut rng = SeededRng::new(seed as u64 + 7);
            let values: Vec<f32> = (0..rows * dim).map(|_| rng.normal() as f32).collect();
            let x = Tensor::<2>::from_data(TensorData::new(values, [rows, dim]), &device);
            let settings = Settings {
                max_iterations: 1,
                tolerance: 0.0,
                ridge: 1e-6,
                scale_floor: 1e-6,
            };
            let frame = Frame::fit(&x, kind, &settings).expect("frame");
            let mut design = Design::new(&frame, &x).expect("design");
            let u = host(&design.u);
            let state = random_state(kind, kernels, dim, &mut rng);
            // Full kernels also by the direct route taken when F is not kept.
            let (total, moments) = design.expectation(&state).expect("E-step");
            if kind == Covariance::Full {
                design.features = None;
                let (direct_total, direct) = design.expectation(&state).expect("direct E-step");
                assert!(
                    (direct_total - total).abs() <= 1e-4 * total.abs(),
                    "direct total"
                );
                let scale = moments.iter().fold(1.0f64, |m, v| m.max(v.abs()));
                assert_eq!(direct.len(), moments.len());
                for (a, b) in direct.iter().zip(&moments) {
                    assert!((a - b).abs() <= 1e-4 * scale, "direct moments {a} vs {b}");
                }
                let nearest: Vec<usize> = (0..rows).map(|i| (i * 7) % kernels).collect();
                let hard = design.hard_moments(&nearest, kernels, kind).expect("hard");
                design.features = Some(
                    design
                        .chunks
                        .iter()
                        .map(|c| design.build(c, design.width()))
                        .collect(),
                );
                let kept = design.hard_moments(&nearest, kernels, kind).expect("hard");
                for (a, b) in hard.iter().zip(&kept) {
                    assert!(
                        (a - b).abs() <= 1e-4 * scale,
                        "direct hard moments {a} vs {b}"
                    );
                }
            }
            let mut expected_total = 0.0;
            let mut resp = vec![0.0; rows * kernels];
            for i in 0..rows {
                let joint = log_joint(&state, &u[i * dim..(i + 1) * dim]);
                let top = joint.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let norm = top + joint.iter().map(|j| (j - top).exp()).sum::<f64>().ln();
                expected_total += norm;
                (0..kernels).for_each(|k| resp[i * kernels + k] = (joint[k] - norm).exp());
            }
            let tol = 1e-4 * expected_total.abs();
            assert!(
                (total - expected_total).abs() <= tol,
                "{kind:?}: total log-likelihood {total} vs {expected_total}"
            );

            let next = m_step(&moments, &state, &design, 0.0).expect("M-step");
            let mut pooled = vec![0.0; dim * dim];
            for k in 0..kernels {
                let n_k: f64 = (0..rows).map(|i| resp[i * kernels + k]).sum();
                assert!(
                    (next.weights[k] - n_k / rows as f64).abs() < 1e-4,
                    "{kind:?} weight"
                );
                let mu: Vec<f64> = (0..dim)
                    .map(|a| {
                        (0..rows)
                            .map(|i| resp[i * kernels + k] * u[i * dim + a])
                            .sum::<f64>()
                            / n_k
                    })
                    .collect();
                for (got, expected) in next.means[k * dim..(k + 1) * dim].iter().zip(&mu) {
                    assert!((got - expected).abs() < 1e-3, "{kind:?} mean");
                }
                for a in 0..dim {
                    for b in 0..dim {
                        let s: f64 = (0..rows)
                            .map(|i| {
                                resp[i * kernels + k]
                                    * (u[i * dim + a] - mu[a])
                                    * (u[i * dim + b] - mu[b])
                            })
                            .sum();
                        pooled[a * dim + b] += s;
                        let got = match kind {
                            Covariance::Full => next.covariances[k * dim * dim + a * dim + b],
                            Covariance::Diagonal if a == b => next.covariances[k * dim + a],
                            _ => continue,
                        };
                        assert!(
                            (got - s / n_k).abs() < 1e-3,
                            "{kind:?} covariance {a},{b}: {got} vs {}",
                            s / n_k
                        );
                    }
                }
            }
            if kind == Covariance::Tied {
                for (ab, (got, sum)) in next.covariances.iter().zip(&pooled).enumerate() {
                    let expected = sum / rows as f64;
                    assert!((got - expected).abs() < 1e-3, "tied covariance {ab}");
                }
            }
        }
    }
}
