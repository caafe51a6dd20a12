//! Exact benchmark families at the scale of real encoders: many classes,
//! high-dimensional features, a linear embedding, and a non-Gaussian warp.
//!
//! Every family here is built on a [`GaussianFamily`] (the *latent* family) and
//! keeps exact per-sample terms in `f64`:
//!
//! * [`EmbeddedFamily`]: the latent features mapped linearly into `D ≥ d`
//!   dimensions plus a little isotropic noise, `x1' = x1·W1 + ε1`,
//!   `x2' = x2·W2 + ε2`. Given `y` the pair is jointly Gaussian with a low-rank
//!   plus isotropic covariance, so densities and posteriors stay exact; the terms
//!   are those of the embedded variables (the noise loses a little information).
//! * [`WarpedFamily`]: an invertible elementwise map `g(t) = t + a·tanh(b·t)` of
//!   the latent features. Pointwise mutual informations are unchanged and
//!   `h(g(x)) = h(x) + Σ_j ln g'(x_j)`, but the posteriors are no longer softmaxes
//!   of linear scores: a linear classifier is not the true model.
//! * [`ScaleCase`]: the named benchmark cases, [`ScaleCase::table`].

use super::encode::FeatureRows;
use super::gaussian::{Posterior, check_point};
use super::{ClassMeans, GaussianFamily, GaussianSample, check_at_least, log_sum_exp};
use crate::error::{LsmiError, Result};
use crate::pointwise::PointwiseTerms;
use crate::rng::SeededRng;

/// Mixed into the sample seed for the embedding noise, so the latent rows of an
/// embedded sample are those of the latent family's sample with the same seed.
const NOISE_STREAM: u64 = 0xA5C3_17E5_0D1F_4B29;

/// The smallest `τ/σ` an [`EmbeddedFamily`] accepts: below it the latent
/// posterior's precision matrix is too close to singular for `f64`.
pub const MIN_TAU_OVER_SIGMA: f64 = 1e-6;

/// A [`GaussianFamily`] embedded linearly into `D` dimensions per modality.
///
/// `x1' = x1·W1 + ε1`, `x2' = x2·W2 + ε2` with `(x1, x2)` from `base`, fixed
/// `d × D` matrices `W1, W2` of i.i.d. `N(0, 1/d)` entries drawn from
/// `weights_seed` (the same for every sample seed, so samples drawn with
/// different seeds come from one distribution), and `ε1, ε2 ~ N(0, τ² I_D)`.
///
/// Given `y`, `x_k' ~ N(m_y W_k, σ² W_kᵀW_k + τ² I)` and the pair is jointly
/// Gaussian with cross-covariance `ρσ² W1ᵀW2`. The exact terms use the
/// matrix determinant lemma and the Woodbury identity on the latent (rank `d`
/// or `2d`) part, so a row costs `O(d·D + C·D)` after a one-off `O(d³ + C·d·D)`.
///
/// ```
/// use lsmi::synthetic::{ClassMeans, EmbeddedFamily, GaussianFamily};
///
/// # fn main() -> lsmi::Result<()> {
/// let base = GaussianFamily::new(10, 10, 0.5, 0.5, ClassMeans::OneHot);
/// let family = EmbeddedFamily::new(base, 64, 0.01, 7);
/// let sample = family.sample(200, 1)?;
/// assert_eq!((sample.x1.rows, sample.x1.cols), (200, 64));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddedFamily {
    /// The latent family (dimension `d`).
    pub base: GaussianFamily,
    /// The embedding dimension `D ≥ d`.
    pub embed_dim: usize,
    /// The standard deviation `τ > 0` of the embedding noise.
    pub tau: f64,
    /// The seed of `W1` and `W2`.
    pub weights_seed: u64,
}

impl EmbeddedFamily {
    /// `base` embedded into `embed_dim` dimensions with noise `tau`, the matrices
    /// drawn from `weights_seed`.
    pub fn new(base: GaussianFamily, embed_dim: usize, tau: f64, weights_seed: u64) -> Self {
        Self {
            base,
            embed_dim,
            tau,
            weights_seed,
        }
    }

    /// Checks every parameter; an [`LsmiError::InvalidConfig`] names the first bad one.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if `base` is invalid (see
    ///   [`GaussianFamily::validate`]), `embed_dim < base.dim`, or `tau` is not a
    ///   finite number with `tau ≥ MIN_TAU_OVER_SIGMA · σ`.
    pub fn validate(&self) -> Result<()> {
        self.base.validate()?;
        check_at_least(
            "embed_dim",
            self.embed_dim,
            self.base.dim,
            "must be at least the latent dimension dim",
        )?;
        if !(self.tau.is_finite() && self.tau >= MIN_TAU_OVER_SIGMA * self.base.sigma) {
            return LsmiError::invalid_config(
                "tau",
                self.tau,
                "must be finite and at least 1e-6 · sigma (and so > 0)",
            );
        }
        Ok(())
    }

    /// `[W1, W2]`, each row-major `dim × embed_dim`.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if a parameter is invalid (see
    ///   [`validate`](Self::validate)).
    pub fn weights(&self) -> Result<[Vec<f64>; 2]> {
        self.validate()?;
        Ok(self.draw_weights())
    }

    fn draw_weights(&self) -> [Vec<f64>; 2] {
        let mut rng = SeededRng::new(self.weights_seed);
        let scale = 1.0 / (self.base.dim as f64).sqrt();
        let len = self.base.dim * self.embed_dim;
        let w1 = (0..len).map(|_| scale * rng.normal()).collect();
        let w2 = (0..len).map(|_| scale * rng.normal()).collect();
        [w1, w2]
    }

    /// `n` samples drawn from `seed`, `[n, embed_dim]` per modality, with their
    /// exact pointwise terms.
    ///
    /// The latent rows and labels are those of `base.sample(n, seed)`; the noise
    /// comes from a separate stream of the same seed. The exact terms are computed
    /// from the `f64` features before they are rounded to `f32`.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if a parameter is invalid (see
    ///   [`validate`](Self::validate)).
    pub fn sample(&self, n: usize, seed: u64) -> Result<GaussianSample> {
        self.validate()?;
        let [w1, w2] = self.draw_weights();
        let model = EmbeddedModel::new(self, &w1, &w2);
        let mut noise = SeededRng::new(seed ^ NOISE_STREAM);
        let mut rows1 = FeatureRows::new(self.embed_dim, n);
        let mut rows2 = FeatureRows::new(self.embed_dim, n);
        let mut exact = PointwiseTerms::unchecked(vec![], vec![], vec![], vec![], vec![]);
        let (_, _, labels) = self.base.draw(n, seed, |x1, x2, y| {
            let e1 = self.embed(x1, &w1, &mut noise);
            let e2 = self.embed(x2, &w2, &mut noise);
            exact.push(model.terms(&e1, &e2, y));
            rows1.push(&e1);
            rows2.push(&e2);
        });
        Ok(GaussianSample {
            x1: rows1.finish(),
            x2: rows2.finish(),
            labels,
            exact: exact.decompose(),
        })
    }

    /// `x·W + τ ε`.
    fn embed(&self, x: &[f64], w: &[f64], noise: &mut SeededRng) -> Vec<f64> {
        let mut out = mat_vec(x, w, self.embed_dim);
        out.iter_mut().for_each(|v| *v += self.tau * noise.normal());
        out
    }

    /// The exact terms (nats) of the embedded pair `(x1', x2')`
    /// with label `y`. Builds the model afresh (`O(d³ + C·d·D)`); use
    /// [`sample`](Self::sample) for many rows.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if a parameter is invalid (see
    ///   [`validate`](Self::validate)).
    /// * [`LsmiError::WidthMismatch`] if `x1` or `x2` does not have `embed_dim` entries.
    /// * [`LsmiError::LabelOutOfRange`] if `y ≥ classes`.
    pub fn terms(&self, x1: &[f64], x2: &[f64], y: usize) -> Result<PointwiseTerms<f64>> {
        self.validate()?;
        check_point(x1, x2, self.embed_dim, y, self.base.classes)?;
        let [w1, w2] = self.draw_weights();
        Ok(EmbeddedModel::new(self, &w1, &w2).terms(x1, x2, y))
    }

    /// [`terms`](Self::terms) for every label `y = 0, …, C−1` in turn, building
    /// the model once.
    ///
    /// # Errors
    ///
    /// As [`terms`](Self::terms), but never [`LsmiError::LabelOutOfRange`].
    pub fn terms_per_label(&self, x1: &[f64], x2: &[f64]) -> Result<Vec<PointwiseTerms<f64>>> {
        self.validate()?;
        check_point(x1, x2, self.embed_dim, 0, self.base.classes)?;
        let [w1, w2] = self.draw_weights();
        let model = EmbeddedModel::new(self, &w1, &w2);
        Ok((0..self.base.classes)
            .map(|y| model.terms(x1, x2, y))
            .collect())
    }
}

/// `x·W` for a row `x` of length `d` and `W` row-major `d × cols`.
fn mat_vec(x: &[f64], w: &[f64], cols: usize) -> Vec<f64> {
    let mut out = vec![0.0; cols];
    for (xa, row) in x.iter().zip(w.chunks_exact(cols)) {
        out.iter_mut().zip(row).for_each(|(o, r)| *o += xa * r);
    }
    out
}

/// The three mixtures of an embedded family: `x1'`, `x2'`, and the pair.
struct EmbeddedModel {
    single1: LowRankMixture,
    single2: LowRankMixture,
    joint: LowRankMixture,
}

impl EmbeddedModel {
    fn new(family: &EmbeddedFamily, w1: &[f64], w2: &[f64]) -> Self {
        let base = &family.base;
        let (d, big) = (base.dim, family.embed_dim);
        let means = base.class_means();
        let means1: Vec<Vec<f64>> = means.iter().map(|m| mat_vec(m, w1, big)).collect();
        let means2: Vec<Vec<f64>> = means.iter().map(|m| mat_vec(m, w2, big)).collect();
        let log_prior: Vec<f64> = base.class_prior().iter().map(|p| p.ln()).collect();
        // The pair is [u, v]·B + ε with B = [[W1, ρW2], [0, √(1−ρ²)W2]] (2d × 2D).
        let spread = (1.0 - base.rho * base.rho).max(0.0).sqrt();
        let mut joint_basis = Vec::with_capacity(4 * d * big);
        for a in 0..d {
            joint_basis.extend_from_slice(&w1[a * big..(a + 1) * big]);
            joint_basis.extend(w2[a * big..(a + 1) * big].iter().map(|w| base.rho * w));
        }
        for a in 0..d {
            joint_basis.extend(std::iter::repeat_n(0.0, big));
            joint_basis.extend(w2[a * big..(a + 1) * big].iter().map(|w| spread * w));
        }
        let joint_means = means1
            .iter()
            .zip(&means2)
            .map(|(a, b)| [a.as_slice(), b.as_slice()].concat())
            .collect();
        let (sigma, tau) = (base.sigma, family.tau);
        Self {
            single1: LowRankMixture::new(means1, w1.to_vec(), sigma, tau, log_prior.clone()),
            single2: LowRankMixture::new(means2, w2.to_vec(), sigma, tau, log_prior.clone()),
            joint: LowRankMixture::new(joint_means, joint_basis, sigma, tau, log_prior),
        }
    }

    fn terms(&self, x1: &[f64], x2: &[f64], y: usize) -> PointwiseTerms<f64> {
        let (h1, i1) = self.single1.surprisal_and_pmi(x1, y);
        let (h2, i2) = self.single2.surprisal_and_pmi(x2, y);
        let (_, i12) = self.joint.surprisal_and_pmi(&[x1, x2].concat(), y);
        PointwiseTerms::unchecked(h1, h2, i1, i2, i12)
    }
}

/// `Σ_c π_c N(μ_c, σ² BᵀB + τ² I_N)` for a `k × N` basis `B`: the law of
/// `μ_c + ξ·B + ε` with `ξ ~ N(0, σ² I_k)`, `ε ~ N(0, τ² I_N)`.
///
/// The quadratic form is evaluated as the minimum of the joint energy,
/// `(z−μ)ᵀΣ⁻¹(z−μ) = |r|²/τ² + |ξ*|²/σ²` with `ξ* = M⁻¹ B (z−μ)`,
/// `M = BBᵀ + (τ²/σ²) I_k` and the residual `r = (z−μ) − ξ*·B` (Woodbury), a sum
/// of squares with no cancellation; `ln|Σ| = N ln τ² + k ln(σ²/τ²) + ln|M|`
/// (matrix determinant lemma). `ξ*` and `r` are linear in `z`, so those of the
/// means are computed once.
struct LowRankMixture {
    dim: usize,
    rank: usize,
    /// `B`, row-major `k × N`.
    basis: Vec<f64>,
    /// The lower Cholesky factor of `M`, row-major `k × k`.
    chol: Vec<f64>,
    inv_var_latent: f64,
    inv_var_noise: f64,
    mean_latent: Vec<Vec<f64>>,
    mean_residual: Vec<Vec<f64>>,
    /// `ln π_c − ½ (N ln 2π + ln|Σ|)`.
    log_weight: Vec<f64>,
    log_prior: Vec<f64>,
}

impl LowRankMixture {
    fn new(
        means: Vec<Vec<f64>>,
        basis: Vec<f64>,
        sigma: f64,
        tau: f64,
        log_prior: Vec<f64>,
    ) -> Self {
        let dim = means[0].len();
        let rank = basis.len() / dim;
        let (var_latent, var_noise) = (sigma * sigma, tau * tau);
        let mut gram = vec![0.0; rank * rank];
        for a in 0..rank {
            for b in 0..=a {
                let dot = dot(
                    &basis[a * dim..(a + 1) * dim],
                    &basis[b * dim..(b + 1) * dim],
                );
                gram[a * rank + b] = dot;
                gram[b * rank + a] = dot;
            }
            gram[a * rank + a] += var_noise / var_latent;
        }
        let chol = cholesky(&gram, rank);
        let log_det_m: f64 = 2.0 * (0..rank).map(|a| chol[a * rank + a].ln()).sum::<f64>();
        let log_det =
            dim as f64 * var_noise.ln() + rank as f64 * (var_latent / var_noise).ln() + log_det_m;
        let log_norm = -0.5 * (dim as f64 * std::f64::consts::TAU.ln() + log_det);
        let mut model = Self {
            dim,
            rank,
            basis,
            chol,
            inv_var_latent: 1.0 / var_latent,
            inv_var_noise: 1.0 / var_noise,
            mean_latent: Vec::new(),
            mean_residual: Vec::new(),
            log_weight: log_prior.iter().map(|lp| lp + log_norm).collect(),
            log_prior,
        };
        let (latent, residual) = means.iter().map(|m| model.project(m)).unzip();
        model.mean_latent = latent;
        model.mean_residual = residual;
        model
    }

    /// `(ξ*, r)` of `z`: `ξ* = M⁻¹ B z`, `r = z − ξ*·B`.
    fn project(&self, z: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let rows = || self.basis.chunks_exact(self.dim);
        let projected: Vec<f64> = rows().map(|row| dot(row, z)).collect();
        let latent = cholesky_solve(&self.chol, self.rank, projected);
        let mut residual = z.to_vec();
        for (xi, row) in latent.iter().zip(rows()) {
            residual.iter_mut().zip(row).for_each(|(r, b)| *r -= xi * b);
        }
        (latent, residual)
    }

    /// `(−ln p(z), ln p(y|z) − ln p(y))`.
    fn surprisal_and_pmi(&self, z: &[f64], y: usize) -> (f64, f64) {
        let (latent, residual) = self.project(z);
        let log_joint: Vec<f64> = (0..self.log_weight.len())
            .map(|c| {
                let quad = squared_distance(&residual, &self.mean_residual[c]) * self.inv_var_noise
                    + squared_distance(&latent, &self.mean_latent[c]) * self.inv_var_latent;
                self.log_weight[c] - 0.5 * quad
            })
            .collect();
        let log_pz = log_sum_exp(&log_joint);
        (-log_pz, log_joint[y] - log_pz - self.log_prior[y])
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// The lower Cholesky factor of a symmetric positive definite `n × n` matrix
/// (row-major).
fn cholesky(a: &[f64], n: usize) -> Vec<f64> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let s = a[i * n + j] - dot(&l[i * n..i * n + j], &l[j * n..j * n + j]);
            l[i * n + j] = if i == j { s.sqrt() } else { s / l[j * n + j] };
        }
    }
    l
}

/// `x` with `L Lᵀ x = b`.
fn cholesky_solve(l: &[f64], n: usize, mut b: Vec<f64>) -> Vec<f64> {
    for i in 0..n {
        b[i] = (b[i] - dot(&l[i * n..i * n + i], &b[..i])) / l[i * n + i];
    }
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|p| l[p * n + i] * b[p]).sum();
        b[i] = (b[i] - s) / l[i * n + i];
    }
    b
}

/// The elementwise map `g(t) = t + a·tanh(b·t)` with `a ≥ 0`, `b > 0`.
///
/// Strictly increasing (`1 ≤ g' ≤ 1 + ab`) and so invertible, smooth, and within
/// `a` of the identity: features keep Gaussian-like scale and tails, but the
/// centre `|t| ≲ 1/b` is stretched by up to `1 + ab`, which bends the class
/// boundaries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Warp {
    /// The amplitude `a ≥ 0`.
    pub amplitude: f64,
    /// The rate `b > 0`.
    pub rate: f64,
}

impl Warp {
    /// `g(t) = t + amplitude·tanh(rate·t)`.
    pub fn new(amplitude: f64, rate: f64) -> Self {
        Self { amplitude, rate }
    }

    /// Checks both parameters.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if `amplitude` is not finite and `≥ 0` or
    ///   `rate` is not finite and `> 0`.
    pub fn validate(&self) -> Result<()> {
        if !(self.amplitude.is_finite() && self.amplitude >= 0.0) {
            return LsmiError::invalid_config(
                "amplitude",
                self.amplitude,
                "must be finite and ≥ 0",
            );
        }
        if !(self.rate.is_finite() && self.rate > 0.0) {
            return LsmiError::invalid_config("rate", self.rate, "must be finite and > 0");
        }
        Ok(())
    }

    /// `g(t)`.
    pub fn apply(&self, t: f64) -> f64 {
        t + self.amplitude * (self.rate * t).tanh()
    }

    /// `ln g'(t) = ln(1 + ab·sech²(bt))`.
    pub fn log_derivative(&self, t: f64) -> f64 {
        let sech = 1.0 / (self.rate * t).cosh();
        (self.amplitude * self.rate * sech * sech).ln_1p()
    }

    /// `g⁻¹(x)`, by bisection on `[x − a, x + a]` to the last bit.
    pub fn invert(&self, x: f64) -> f64 {
        let (mut lo, mut hi) = (x - self.amplitude, x + self.amplitude);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if mid <= lo || mid >= hi {
                break;
            }
            if self.apply(mid) < x {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    }
}

/// A [`GaussianFamily`] whose features pass through a [`Warp`], coordinate by
/// coordinate: `x1'' = g(x1)`, `x2'' = g(x2)`.
///
/// `g` is invertible, so `i(x1'';y) = i(x1;y)` (and likewise `i2`, `i12`), while
/// `p(g(x)) = p(x) / Π_j g'(x_j)` gives `h(x'') = h(x) + Σ_j ln g'(x_j)`. The
/// posterior `p(y|x'')` is a softmax of scores linear in `g⁻¹(x'')`, not in
/// `x''`, and the marginals are non-Gaussian: a linear classifier or a Gaussian
/// density model is misspecified.
///
/// ```
/// use lsmi::synthetic::{ClassMeans, GaussianFamily, Warp, WarpedFamily};
///
/// # fn main() -> lsmi::Result<()> {
/// let base = GaussianFamily::new(10, 10, 0.5, 0.5, ClassMeans::OneHot);
/// let warped = WarpedFamily::new(base.clone(), Warp::new(2.0, 2.0)).sample(100, 3)?;
/// let plain = base.sample(100, 3)?;
/// assert_eq!(warped.exact.terms().i12(), plain.exact.terms().i12()); // i is invariant
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct WarpedFamily {
    /// The latent family.
    pub base: GaussianFamily,
    /// The map applied to every coordinate of both modalities.
    pub warp: Warp,
}

impl WarpedFamily {
    /// `base` through `warp`.
    pub fn new(base: GaussianFamily, warp: Warp) -> Self {
        Self { base, warp }
    }

    /// Checks every parameter.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if `base` or `warp` is invalid (see
    ///   [`GaussianFamily::validate`], [`Warp::validate`]).
    pub fn validate(&self) -> Result<()> {
        self.base.validate()?;
        self.warp.validate()
    }

    /// `n` samples drawn from `seed`, with their exact pointwise terms. The latent
    /// rows and labels are those of `base.sample(n, seed)`.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if a parameter is invalid (see
    ///   [`validate`](Self::validate)).
    pub fn sample(&self, n: usize, seed: u64) -> Result<GaussianSample> {
        self.validate()?;
        let posterior = Posterior::new(&self.base);
        let mut rows1 = FeatureRows::new(self.base.dim, n);
        let mut rows2 = FeatureRows::new(self.base.dim, n);
        let mut exact = PointwiseTerms::unchecked(vec![], vec![], vec![], vec![], vec![]);
        let (_, _, labels) = self.base.draw(n, seed, |x1, x2, y| {
            exact.push(self.warped_terms(posterior.terms(x1, x2, y), x1, x2));
            rows1.push(&x1.iter().map(|&t| self.warp.apply(t)).collect::<Vec<_>>());
            rows2.push(&x2.iter().map(|&t| self.warp.apply(t)).collect::<Vec<_>>());
        });
        Ok(GaussianSample {
            x1: rows1.finish(),
            x2: rows2.finish(),
            labels,
            exact: exact.decompose(),
        })
    }

    /// The latent terms with `h` shifted by the log-Jacobian at the latent point.
    fn warped_terms(
        &self,
        latent: PointwiseTerms<f64>,
        x1: &[f64],
        x2: &[f64],
    ) -> PointwiseTerms<f64> {
        let log_jacobian = |x: &[f64]| x.iter().map(|&t| self.warp.log_derivative(t)).sum::<f64>();
        let [h1, h2, i1, i2, i12] = latent.values();
        PointwiseTerms::unchecked(h1 + log_jacobian(x1), h2 + log_jacobian(x2), i1, i2, i12)
    }

    /// The exact terms (nats) of the warped pair `(x1'', x2'')`
    /// with label `y` (inverting the warp numerically).
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if a parameter is invalid (see
    ///   [`validate`](Self::validate)).
    /// * [`LsmiError::WidthMismatch`] if `x1` or `x2` does not have `dim` entries.
    /// * [`LsmiError::LabelOutOfRange`] if `y ≥ classes`.
    pub fn terms(&self, x1: &[f64], x2: &[f64], y: usize) -> Result<PointwiseTerms<f64>> {
        self.validate()?;
        check_point(x1, x2, self.base.dim, y, self.base.classes)?;
        let invert = |x: &[f64]| x.iter().map(|&v| self.warp.invert(v)).collect::<Vec<_>>();
        let (t1, t2) = (invert(x1), invert(x2));
        let latent = Posterior::new(&self.base).terms(&t1, &t2, y);
        Ok(self.warped_terms(latent, &t1, &t2))
    }

    /// [`terms`](Self::terms) for every label `y = 0, …, C−1` in turn.
    ///
    /// # Errors
    ///
    /// As [`terms`](Self::terms), but never [`LsmiError::LabelOutOfRange`].
    pub fn terms_per_label(&self, x1: &[f64], x2: &[f64]) -> Result<Vec<PointwiseTerms<f64>>> {
        (0..self.base.classes.max(1))
            .map(|y| self.terms(x1, x2, y))
            .collect()
    }
}

/// One family of the scale benchmark.
#[derive(Debug, Clone, PartialEq)]
pub enum ScaleFamily {
    /// The latent Gaussian family itself.
    Gaussian(GaussianFamily),
    /// A linear embedding of it.
    Embedded(EmbeddedFamily),
    /// An elementwise warp of it.
    Warped(WarpedFamily),
}

impl ScaleFamily {
    /// The latent Gaussian family.
    pub fn base(&self) -> &GaussianFamily {
        match self {
            ScaleFamily::Gaussian(family) => family,
            ScaleFamily::Embedded(family) => &family.base,
            ScaleFamily::Warped(family) => &family.base,
        }
    }

    /// Checks every parameter.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] naming the first bad parameter.
    pub fn validate(&self) -> Result<()> {
        match self {
            ScaleFamily::Gaussian(family) => family.validate(),
            ScaleFamily::Embedded(family) => family.validate(),
            ScaleFamily::Warped(family) => family.validate(),
        }
    }

    /// `n` samples drawn from `seed`, with their exact pointwise terms.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if a parameter is invalid.
    pub fn sample(&self, n: usize, seed: u64) -> Result<GaussianSample> {
        match self {
            ScaleFamily::Gaussian(family) => family.sample(n, seed),
            ScaleFamily::Embedded(family) => family.sample(n, seed),
            ScaleFamily::Warped(family) => family.sample(n, seed),
        }
    }

    /// The exact terms (nats) of one observed pair with label `y`.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if a parameter is invalid.
    /// * [`LsmiError::WidthMismatch`] if `x1` or `x2` does not have
    ///   [`feature_dim`](Self::feature_dim) entries.
    /// * [`LsmiError::LabelOutOfRange`] if `y ≥ classes`.
    pub fn terms(&self, x1: &[f64], x2: &[f64], y: usize) -> Result<PointwiseTerms<f64>> {
        match self {
            ScaleFamily::Gaussian(family) => family.terms(x1, x2, y),
            ScaleFamily::Embedded(family) => family.terms(x1, x2, y),
            ScaleFamily::Warped(family) => family.terms(x1, x2, y),
        }
    }

    /// [`terms`](Self::terms) for every label `y = 0, …, C−1` in turn (for the
    /// embedded family, building its model once).
    ///
    /// # Errors
    ///
    /// As [`terms`](Self::terms), but never [`LsmiError::LabelOutOfRange`].
    pub fn terms_per_label(&self, x1: &[f64], x2: &[f64]) -> Result<Vec<PointwiseTerms<f64>>> {
        match self {
            ScaleFamily::Gaussian(family) => (0..family.classes.max(1))
                .map(|y| family.terms(x1, x2, y))
                .collect(),
            ScaleFamily::Embedded(family) => family.terms_per_label(x1, x2),
            ScaleFamily::Warped(family) => family.terms_per_label(x1, x2),
        }
    }

    /// The number of features per modality of the samples.
    pub fn feature_dim(&self) -> usize {
        match self {
            ScaleFamily::Embedded(family) => family.embed_dim,
            _ => self.base().dim,
        }
    }
}

/// The noise `σ` of every scale case (the authors' demo value).
pub const SCALE_SIGMA: f64 = 0.5;
/// The correlation `ρ` of every scale case (the authors' demo value).
pub const SCALE_RHO: f64 = 0.5;
/// The embedding noise `τ` of the embedded scale cases.
pub const SCALE_TAU: f64 = 0.01;
/// The seed of the embedding matrices of the embedded scale cases.
pub const SCALE_WEIGHTS_SEED: u64 = 20_240_607;
/// The warp of the non-Gaussian scale case: `g(t) = t + 2·tanh(2t)`.
pub const SCALE_WARP: Warp = Warp {
    amplitude: 2.0,
    rate: 2.0,
};

/// A named case of the scale benchmark.
///
/// Every case has a uniform class prior, `σ = 0.5` and `ρ = 0.5`
/// ([`SCALE_SIGMA`], [`SCALE_RHO`]); the class means are one-hot where `d ≥ C`
/// (every pair `√2` apart) and on the unit grid ([`ClassMeans::Grid`]) otherwise.
///
/// ```
/// use lsmi::synthetic::ScaleCase;
///
/// # fn main() -> lsmi::Result<()> {
/// let case = ScaleCase::find("embedded-c10-d10-D64").unwrap();
/// let sample = case.sample(500, 1)?;
/// assert_eq!(sample.x1.cols, 64);
/// let means = sample.exact.summary()?; // Monte-Carlo means of the exact terms
/// assert!(means.i12 > means.i1);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleCase {
    /// A short unique name, e.g. `gaussian-c100-d2` or `embedded-c10-d10-D64`.
    pub name: String,
    /// The family.
    pub family: ScaleFamily,
}

impl ScaleCase {
    /// The latent Gaussian family of a case with `classes` classes in `dim`
    /// dimensions (see the type's description).
    pub fn latent(classes: usize, dim: usize) -> GaussianFamily {
        let means = if dim >= classes {
            ClassMeans::OneHot
        } else {
            ClassMeans::Grid
        };
        GaussianFamily::new(classes, dim, SCALE_SIGMA, SCALE_RHO, means)
    }

    /// Every case of the benchmark:
    ///
    /// | name | latent | features |
    /// |---|---|---|
    /// | `gaussian-c{C}-d{d}` | `C ∈ {2, 10, 100}`, `d ∈ {2, 10, 64}` (9 cases) | the latent `d` |
    /// | `embedded-c10-d10-D64`, `embedded-c10-d10-D256` | the authors' case `C = d = 10` | `D = 64, 256`, `τ = 0.01` |
    /// | `embedded-c100-d64-D256` | `C = 100`, `d = 64` | `D = 256`, `τ = 0.01` |
    /// | `warped-c10-d10` | `C = d = 10` | `g(t) = t + 2·tanh(2t)` per coordinate |
    ///
    /// `gaussian-c10-d10` is the authors' case.
    ///
    /// Reference values: Monte-Carlo means of the exact terms and interactions,
    /// `case.sample(20_000, 1)?.exact.summary()`, in nats. Their standard errors
    /// are 0.002–0.010 for the `I`, `R`, `U` and `S` columns and 0.003–0.08 for
    /// `H` (largest for the 256-dimensional embeddings); for two classes,
    /// [`mutual_information`](Self::mutual_information) gives `I1` and `I12` in
    /// closed form. `τ = 0.01` keeps nearly all information (`I` changes in the
    /// fourth decimal) but makes the embedded densities concentrate near a
    /// `d`-dimensional subspace, hence the large negative `H`; `R`, `U`, `S`
    /// change under the embedding and the warp although `I` does not, because
    /// `r` compares the two modalities' surprisals.
    ///
    /// | case | I1 | I2 | I12 | H1 | H2 | R | U1 | U2 | S |
    /// |---|---|---|---|---|---|---|---|---|---|
    /// | `gaussian-c2-d2` | 0.503 | 0.501 | 0.563 | 1.956 | 1.952 | 0.571 | -0.068 | -0.069 | 0.129 |
    /// | `gaussian-c2-d10` | 0.498 | 0.499 | 0.562 | 7.766 | 7.741 | 0.523 | -0.026 | -0.024 | 0.088 |
    /// | `gaussian-c2-d64` | 0.492 | 0.494 | 0.556 | 46.887 | 46.977 | 0.505 | -0.013 | -0.010 | 0.075 |
    /// | `gaussian-c10-d2` | 1.353 | 1.351 | 1.535 | 2.806 | 2.801 | 1.562 | -0.209 | -0.211 | 0.394 |
    /// | `gaussian-c10-d10` | 1.319 | 1.338 | 1.586 | 8.587 | 8.580 | 1.429 | -0.111 | -0.091 | 0.359 |
    /// | `gaussian-c10-d64` | 1.344 | 1.343 | 1.604 | 47.739 | 47.826 | 1.379 | -0.035 | -0.036 | 0.296 |
    /// | `gaussian-c100-d2` | 3.298 | 3.301 | 3.553 | 4.752 | 4.752 | 3.656 | -0.357 | -0.355 | 0.609 |
    /// | `gaussian-c100-d10` | 2.282 | 2.271 | 2.719 | 9.550 | 9.513 | 2.443 | -0.161 | -0.172 | 0.609 |
    /// | `gaussian-c100-d64` | 2.250 | 2.280 | 2.715 | 48.645 | 48.763 | 2.326 | -0.076 | -0.046 | 0.512 |
    /// | `embedded-c10-d10-D64` | 1.318 | 1.338 | 1.586 | -154.9 | -155.1 | 1.364 | -0.046 | -0.026 | 0.294 |
    /// | `embedded-c10-d10-D256` | 1.319 | 1.338 | 1.586 | -759.4 | -759.5 | 1.344 | -0.025 | -0.005 | 0.273 |
    /// | `embedded-c100-d64-D256` | 2.250 | 2.280 | 2.715 | -524.4 | -524.0 | 2.297 | -0.047 | -0.017 | 0.482 |
    /// | `warped-c10-d10` | 1.319 | 1.338 | 1.586 | 19.340 | 19.341 | 1.499 | -0.181 | -0.161 | 0.429 |
    pub fn table() -> Vec<ScaleCase> {
        let mut cases = Vec::new();
        for classes in [2, 10, 100] {
            for dim in [2, 10, 64] {
                cases.push(ScaleCase {
                    name: format!("gaussian-c{classes}-d{dim}"),
                    family: ScaleFamily::Gaussian(Self::latent(classes, dim)),
                });
            }
        }
        for (classes, dim, embed_dim) in [(10, 10, 64), (10, 10, 256), (100, 64, 256)] {
            let family = EmbeddedFamily::new(
                Self::latent(classes, dim),
                embed_dim,
                SCALE_TAU,
                SCALE_WEIGHTS_SEED,
            );
            cases.push(ScaleCase {
                name: format!("embedded-c{classes}-d{dim}-D{embed_dim}"),
                family: ScaleFamily::Embedded(family),
            });
        }
        cases.push(ScaleCase {
            name: "warped-c10-d10".to_owned(),
            family: ScaleFamily::Warped(WarpedFamily::new(Self::latent(10, 10), SCALE_WARP)),
        });
        cases
    }

    /// The case of [`table`](Self::table) called `name`.
    pub fn find(name: &str) -> Option<ScaleCase> {
        Self::table().into_iter().find(|case| case.name == name)
    }

    /// The number of classes `C`.
    pub fn classes(&self) -> usize {
        self.family.base().classes
    }

    /// The latent dimension `d`.
    pub fn dim(&self) -> usize {
        self.family.base().dim
    }

    /// The embedding dimension `D` of an embedded case.
    pub fn embed_dim(&self) -> Option<usize> {
        match &self.family {
            ScaleFamily::Embedded(family) => Some(family.embed_dim),
            _ => None,
        }
    }

    /// Whether the features are a non-linear map of the Gaussian ones.
    pub fn nonlinear(&self) -> bool {
        matches!(self.family, ScaleFamily::Warped(_))
    }

    /// `n` samples drawn from `seed`, with their exact pointwise terms
    /// ([`ScaleFamily::sample`]).
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if a parameter is invalid (only for a case
    ///   edited by hand: the table's are valid).
    pub fn sample(&self, n: usize, seed: u64) -> Result<GaussianSample> {
        self.family.sample(n, seed)
    }

    /// The exact population `(I(X1;Y), I(X1,X2;Y))` in nats where a closed form is
    /// known: two balanced classes, latent or warped (mutual information is
    /// invariant under the warp). `None` otherwise; the Monte-Carlo means of
    /// `sample(n, seed).exact.summary()` estimate every population mean, with a
    /// standard error of the terms' standard deviation over `√n`.
    pub fn mutual_information(&self) -> Option<(f64, f64)> {
        match &self.family {
            ScaleFamily::Gaussian(family) => family.mutual_information(),
            ScaleFamily::Warped(family) => family.base.mutual_information(),
            ScaleFamily::Embedded(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves() {
        let a = [4.0, 2.0, 0.4, 2.0, 5.0, 1.0, 0.4, 1.0, 3.0];
        let l = cholesky(&a, 3);
        let x = cholesky_solve(&l, 3, vec![1.0, -2.0, 0.5]);
        for i in 0..3 {
            let got: f64 = (0..3).map(|j| a[i * 3 + j] * x[j]).sum();
            assert!((got - [1.0, -2.0, 0.5][i]).abs() < 1e-12);
        }
    }

    #[test]
    fn warp_inverts() {
        let warp = SCALE_WARP;
        for t in [-3.0, -0.4, 0.0, 1e-9, 0.3, 2.5, 40.0] {
            assert!((warp.invert(warp.apply(t)) - t).abs() < 1e-12, "{t}");
        }
    }

    #[test]
    fn grid_means_fill_a_grid() {
        let means = ClassMeans::Grid.means(100, 2);
        assert_eq!(means[0], vec![0.0, 0.0]);
        assert_eq!(means[37], vec![7.0, 3.0]);
        assert_eq!(means[99], vec![9.0, 9.0]);
        let bits = ClassMeans::Grid.means(100, 64);
        assert_eq!(bits[5][..4], [1.0, 0.0, 1.0, 0.0]);
        assert!(bits.iter().all(|m| m[7..].iter().all(|&v| v == 0.0)));
    }

    #[test]
    fn table_names_are_unique_and_cases_valid() {
        let table = ScaleCase::table();
        for (k, case) in table.iter().enumerate() {
            case.family.validate().unwrap();
            assert!(table[..k].iter().all(|other| other.name != case.name));
        }
    }
}
