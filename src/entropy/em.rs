//! Expectation–maximisation for the KNIFE mixture.
//!
//! The rows are standardised (as for Adam) and, for full and tied covariances,
//! also whitened by the Cholesky factor `L` of their second-moment matrix, so that
//! every direction has unit variance and `f32` sums resolve thin components (a
//! low-rank-plus-noise covariance has eigenvalues `10⁵` apart in standardised
//! units). Each iteration, on the device and in row chunks:
//!
//! * E-step: the per-kernel terms `ln π_k + ln N_k(u)` (the model's own
//!   [`Knife::log_joint_standardised`]), their log-sum-exp (the log-likelihood)
//!   and the responsibilities `r_ik`;
//! * M-step: `N_k = Σ_i r_ik` and `Σ_i r_ik u_i` (one GEMM), the new means, then
//!   the centred scatter `Σ_i r_ik (u_i − μ_k)(u_i − μ_k)ᵀ` (one batched GEMM).
//!
//! On the host in `f64`: weights `π_k = N_k / n`, a ridge `ε I` on each covariance
//! (shared across components for [`Covariance::Tied`]), and the conversion to
//! KNIFE's precision factor `A_k = C_k⁻¹ L⁻¹` with `C_k Cᵀ_k = Σ_k` (lower
//! triangular with a positive diagonal, `A_kᵀA_k` the precision in standardised
//! units): `s_k = diag(A_k)`, `T_k = A_k diag(s_k)⁻¹` below the diagonal,
//! weight logits `ln π_k`.

use std::time::{Duration, Instant};

use burn::config::Config;
use burn::tensor::{Device, Tensor, TensorData};

use super::knife::{Covariance, Knife, KnifeParts};
use super::linalg;
use crate::check;
use crate::error::{LsmiError, Result};
use crate::ops::log_sum_exp;
use crate::rng::SeededRng;
use crate::standardize::Standardizer;

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
    /// Stop when the training mean log-likelihood `ℓ` changes by at most
    /// `tolerance · max(1, |ℓ|)` between iterations.
    #[config(default = 1e-6)]
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
        let u = frame.to_fit_units(&x);
        let state = State::seeded(&u, self.kernels, self.covariance, self.seed)?;
        let fit = run(&u, state, &self.settings())?;
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
    /// `Σ_j ln σ_j + ln |L|`: `−ln p(x) = offset − ln p_u(u)`.
    pub offset: f64,
    dim: usize,
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

    /// `u` for rows `x` (unchecked).
    pub(crate) fn to_fit_units(&self, x: &Tensor<2>) -> Tensor<2> {
        let z = self.standardizer.apply(x.clone());
        match &self.unwhiten_t {
            Some(t) => z.matmul(t.clone()),
            None => z,
        }
    }

    /// The model in the units of `x` for a state fitted in this frame.
    pub(crate) fn knife(&self, state: &State, device: &Device) -> Result<Knife> {
        let parts = state.parts(self.whitening.as_deref(), self.whitening_inverse.as_deref())?;
        Ok(Knife::from_parts(parts, self.standardizer.clone(), device))
    }

    pub(crate) fn dim(&self) -> usize {
        self.dim
    }
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
    /// k-means++ seeding (`D²` sampling from the rows of `u`), then one M-step
    /// from the hard assignment of every row to its nearest seed.
    pub(crate) fn seeded(
        u: &Tensor<2>,
        kernels: usize,
        kind: Covariance,
        seed: u64,
    ) -> Result<Self> {
        let [rows, dim] = u.dims();
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
            means.extend(row(pick).iter().map(|&v| f64::from(v)));
            for (i, dist) in distances.into_iter().enumerate() {
                if dist < best[i] {
                    best[i] = dist;
                    nearest[i] = k;
                }
            }
        }
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
        let device = u.device();
        let mut hard = vec![0f32; rows * kernels];
        nearest
            .iter()
            .enumerate()
            .for_each(|(i, &k)| hard[i * kernels + k] = 1.0);
        let hard = Tensor::<2>::from_data(TensorData::new(hard, [rows, kernels]), &device);
        let chunk = chunk_rows(kernels, dim);
        let resp: Vec<Tensor<2>> = (0..rows)
            .step_by(chunk)
            .map(|start| hard.clone().narrow(0, start, chunk.min(rows - start)))
            .collect();
        let first_moments = first_moments(u, &resp)?;
        // A ridge of 1e-3 (the data have unit variance) keeps seeds with a
        // single row proper; EM's own ridge takes over from the first iteration.
        m_step(u, &resp, &first_moments, &fallback, 1e-3)
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
                let factor = |sigma: &[f64]| -> Result<(Vec<f32>, Vec<f32>)> {
                    let c = linalg::cholesky(sigma, d).map_err(|_| {
                        not_positive_definite(&Settings {
                            max_iterations: 1,
                            tolerance: 0.0,
                            ridge: self.ridge,
                            scale_floor: 1.0,
                        })
                    })?;
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
                };
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

/// EM iterations from `state` on the rows `u` (fit units).
pub(crate) fn run(u: &Tensor<2>, mut state: State, settings: &Settings) -> Result<Fitted> {
    let [rows, dim] = u.dims();
    let device = u.device();
    let chunk = chunk_rows(state.kernels, dim);
    let chunks: Vec<Tensor<2>> = (0..rows)
        .step_by(chunk)
        .map(|start| u.clone().narrow(0, start, chunk.min(rows - start)))
        .collect();
    let mut history = Vec::new();
    let mut converged = false;
    for iteration in 0..settings.max_iterations {
        let model = Knife::from_parts(
            state.parts(None, None)?,
            Standardizer::identity(dim, &device),
            &device,
        );
        let mut total = Tensor::<1>::zeros([1], &device);
        let mut resp = Vec::with_capacity(chunks.len());
        for part in &chunks {
            let joint = model.log_joint_standardised(part.clone());
            let norm = log_sum_exp(joint.clone(), 1);
            total = total + norm.clone().sum();
            resp.push((joint - norm).exp());
        }
        let mean = f64::from(check::read_f32(total)?[0]) / rows as f64;
        if !mean.is_finite() {
            return Err(LsmiError::NonFinite {
                what: "EM training log-likelihood",
                index: vec![iteration],
                value: mean,
            });
        }
        let previous = history.last().copied();
        history.push(mean);
        let moments = first_moments_chunked(&chunks, &resp)?;
        state = m_step_chunked(&chunks, &resp, &moments, &state, settings.ridge)?;
        if let Some(previous) = previous
            && (mean - previous).abs() <= settings.tolerance * mean.abs().max(1.0)
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

/// Rows per chunk so that `[K, rows, d]` and `[rows, K·d]` stay small.
fn chunk_rows(kernels: usize, dim: usize) -> usize {
    (CHUNK_ELEMENTS / (kernels * dim)).max(1)
}

/// `N_k` and `Σ_i r_ik u_i`, host.
struct FirstMoments {
    counts: Vec<f64>,
    sums: Vec<f64>,
}

/// The rows of `u` cut as the responsibility chunks `resp` are.
fn row_chunks(u: &Tensor<2>, resp: &[Tensor<2>]) -> Vec<Tensor<2>> {
    let mut start = 0;
    let chunks = resp
        .iter()
        .map(|r| {
            let len = r.dims()[0];
            let part = u.clone().narrow(0, start, len);
            start += len;
            part
        })
        .collect();
    debug_assert_eq!(start, u.dims()[0]);
    chunks
}

fn first_moments(u: &Tensor<2>, resp: &[Tensor<2>]) -> Result<FirstMoments> {
    first_moments_chunked(&row_chunks(u, resp), resp)
}

fn first_moments_chunked(chunks: &[Tensor<2>], resp: &[Tensor<2>]) -> Result<FirstMoments> {
    let mut counts: Option<Tensor<2>> = None;
    let mut sums: Option<Tensor<2>> = None;
    for (u, r) in chunks.iter().zip(resp) {
        let c = r.clone().sum_dim(0); // [1, K]
        let s = r.clone().transpose().matmul(u.clone()); // [K, d]
        counts = Some(counts.map_or(c.clone(), |acc| acc + c));
        sums = Some(sums.map_or(s.clone(), |acc| acc + s));
    }
    let (Some(counts), Some(sums)) = (counts, sums) else {
        return Err(LsmiError::Empty {
            what: "x",
            unit: "samples",
        });
    };
    Ok(FirstMoments {
        counts: read_f64(counts)?,
        sums: read_f64(sums)?,
    })
}

fn m_step(
    u: &Tensor<2>,
    resp: &[Tensor<2>],
    moments: &FirstMoments,
    previous: &State,
    ridge: f64,
) -> Result<State> {
    m_step_chunked(&row_chunks(u, resp), resp, moments, previous, ridge)
}

/// New weights and means from the first moments, then covariances from the
/// centred scatter around the new means.
fn m_step_chunked(
    chunks: &[Tensor<2>],
    resp: &[Tensor<2>],
    moments: &FirstMoments,
    previous: &State,
    ridge: f64,
) -> Result<State> {
    let (k, d) = (previous.kernels, previous.dim);
    let rows: f64 = chunks.iter().map(|c| c.dims()[0] as f64).sum();
    let device = chunks[0].device();
    let alive: Vec<bool> = moments.counts.iter().map(|&n| n > DEAD_COMPONENT).collect();
    let floor = 1e-12 * rows;
    let total: f64 = moments.counts.iter().map(|&n| n.max(floor)).sum();
    let weights: Vec<f64> = moments
        .counts
        .iter()
        .map(|&n| n.max(floor) / total)
        .collect();
    let means: Vec<f64> = (0..k * d)
        .map(|kj| {
            let c = kj / d;
            match alive[c] {
                true => moments.sums[kj] / moments.counts[c],
                false => previous.means[kj],
            }
        })
        .collect();
    let mu = host_matrix_rect(&means, k, d, &device).reshape([k, 1, d]);
    let diagonal = previous.kind == Covariance::Diagonal;
    let mut scatter: Option<Tensor<3>> = None;
    for (u, r) in chunks.iter().zip(resp) {
        let n = u.dims()[0];
        let centred = u.clone().reshape([1, n, d]) - mu.clone(); // [K, n, d]
        let weight = r.clone().transpose().reshape([k, n, 1]);
        let s = if diagonal {
            (centred.square() * weight).sum_dim(1) // [K, 1, d]
        } else {
            (centred.clone() * weight).swap_dims(1, 2).matmul(centred) // [K, d, d]
        };
        scatter = Some(scatter.map_or(s.clone(), |acc| acc + s));
    }
    let scatter = match scatter {
        Some(s) => read_f64(s)?,
        None => {
            return Err(LsmiError::Empty {
                what: "x",
                unit: "samples",
            });
        }
    };
    let covariances = match previous.kind {
        Covariance::Diagonal => (0..k * d)
            .map(|kj| {
                let c = kj / d;
                match alive[c] {
                    true => scatter[kj] / moments.counts[c] + ridge,
                    false => previous.covariances[kj],
                }
            })
            .collect(),
        Covariance::Full => (0..k)
            .flat_map(|c| {
                let block = &scatter[c * d * d..(c + 1) * d * d];
                let mut sigma: Vec<f64> = match alive[c] {
                    true => symmetrise(block, d)
                        .into_iter()
                        .map(|v| v / moments.counts[c])
                        .collect(),
                    false => previous.covariances[c * d * d..(c + 1) * d * d].to_vec(),
                };
                if alive[c] {
                    (0..d).for_each(|j| sigma[j * d + j] += ridge);
                }
                sigma
            })
            .collect(),
        Covariance::Tied => {
            let mut sum = vec![0.0; d * d];
            for c in 0..k {
                sum.iter_mut()
                    .zip(&scatter[c * d * d..(c + 1) * d * d])
                    .for_each(|(a, b)| *a += b);
            }
            let mut sigma: Vec<f64> = symmetrise(&sum, d).into_iter().map(|v| v / rows).collect();
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
    LsmiError::InvalidConfig {
        field: "ridge",
        value: settings.ridge.to_string(),
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
