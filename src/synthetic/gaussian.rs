//! The Gaussian family of the authors' demo generator, with exact
//! per-sample terms and closed-form mutual information.
//!
//! `y ~ π`, `u, v ~ N(0, σ² I_d)`, `x1 = m_y + u`, `x2 = m_y + ρ u + √(1−ρ²) v`.
//! Both modalities are `N(m_y, σ² I)` given `y` and correlated with coefficient
//! `ρ` per coordinate, so every posterior is a softmax of linear scores and every
//! pointwise term is exact.

use std::f64::consts::LN_2;

use super::encode::{FeatureRows, sign};
use super::{
    Features, check_at_least, check_distribution, draw_index, log_normal_isotropic_f64, log_sum_exp,
};
use crate::error::{LsmiError, Result};
use crate::pointwise::{Interactions, PointwiseTerms};
use crate::rng::SeededRng;

/// The layout of the class means `m_k` of a [`GaussianFamily`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClassMeans {
    /// `m_k = e_k`, the `k`-th unit vector (needs `dim ≥ classes`); every pair of
    /// means is `√2` apart.
    OneHot,
    /// `±1` in every coordinate: `m_k[j] = +1` if bit `j mod B` of `k` is set and
    /// `−1` otherwise, with `B = ⌈log₂ classes⌉` bits (needs `dim ≥ B`, which
    /// makes the means distinct). For two classes, `m_0 = (−1, …, −1)` and
    /// `m_1 = (+1, …, +1)`.
    PlusMinusOne,
    /// Points of the integer grid `{0, …, b−1}^dim` with unit spacing, `b` the
    /// smallest base with `b^dim ≥ classes`: `m_k[j]` is digit `j` of `k` in base
    /// `b` (coordinates past the last digit are 0). Works for every `dim ≥ 1`, so
    /// it places many classes in few dimensions (100 classes in `d = 2` form a
    /// 10 × 10 grid) where neighbouring classes overlap at moderate `σ` while
    /// distant ones stay apart: `I(X;Y)` lies well between 0 and `ln C`.
    Grid,
}

impl ClassMeans {
    /// The means `m_0, …, m_{classes−1}`, each of length `dim`.
    pub fn means(self, classes: usize, dim: usize) -> Vec<Vec<f64>> {
        (0..classes)
            .map(|k| match self {
                ClassMeans::OneHot => (0..dim).map(|j| f64::from(u8::from(j == k))).collect(),
                ClassMeans::PlusMinusOne => {
                    let bits = bits_for(classes);
                    (0..dim).map(|j| sign((k >> (j % bits)) & 1)).collect()
                }
                ClassMeans::Grid => {
                    let base = grid_base(classes, dim);
                    let mut rest = k;
                    (0..dim)
                        .map(|_| {
                            let digit = rest % base;
                            rest /= base;
                            digit as f64
                        })
                        .collect()
                }
            })
            .collect()
    }

    /// The smallest dimension that keeps `classes` means distinct.
    fn min_dim(self, classes: usize) -> usize {
        match self {
            ClassMeans::OneHot => classes,
            ClassMeans::PlusMinusOne => bits_for(classes),
            ClassMeans::Grid => 1,
        }
    }
}

/// `⌈log₂ classes⌉` (at least 1).
fn bits_for(classes: usize) -> usize {
    (usize::BITS - classes.saturating_sub(1).leading_zeros()).max(1) as usize
}

/// The smallest base `b ≥ 2` with `b^dim ≥ classes`.
fn grid_base(classes: usize, dim: usize) -> usize {
    let dim = u32::try_from(dim).unwrap_or(u32::MAX);
    (2..)
        .find(|b: &usize| b.saturating_pow(dim) >= classes)
        .unwrap_or(2)
}

/// The Gaussian family of the authors' demo generator.
///
/// `y ~ π` (uniform when `class_weights` is `None`), `u, v ~ N(0, σ² I_d)`,
/// `x1 = m_y + u`, `x2 = m_y + ρ u + √(1−ρ²) v`.
///
/// ```
/// use lsmi::synthetic::GaussianFamily;
///
/// # fn main() -> lsmi::Result<()> {
/// let family = GaussianFamily::setting_a(0.4);
/// let sample = family.sample(1_000, 7)?;
/// assert_eq!((sample.x1.rows, sample.x1.cols), (1_000, 1));
/// let means = sample.exact.summary()?; // Monte-Carlo means of the exact terms
/// let (i1, _i12) = family.mutual_information().unwrap();
/// assert!((means.i1 - i1).abs() < 0.05);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianFamily {
    /// The number of classes `C ≥ 2`.
    pub classes: usize,
    /// The dimension `d ≥ 1` of each modality.
    pub dim: usize,
    /// The noise standard deviation `σ > 0` (same units as the means).
    pub sigma: f64,
    /// The correlation `ρ ∈ [−1, 1]` between the two modalities' noise.
    pub rho: f64,
    /// The layout of the class means.
    pub means: ClassMeans,
    /// The class prior `π` (`C` non-negative weights summing to 1), or `None`
    /// for uniform.
    pub class_weights: Option<Vec<f64>>,
}

/// Above this squared Mahalanobis distance the two classes are separated to
/// double precision: `ln 2 − I < Φ(−√D / 2) · √D ≈ 1e-500`.
const SEPARATED: f64 = 1e4;

impl GaussianFamily {
    /// A family with a uniform class prior.
    pub fn new(classes: usize, dim: usize, sigma: f64, rho: f64, means: ClassMeans) -> Self {
        Self {
            classes,
            dim,
            sigma,
            rho,
            means,
            class_weights: None,
        }
    }

    /// The same family with class prior `weights`.
    pub fn with_class_weights(self, weights: Vec<f64>) -> Self {
        Self {
            class_weights: Some(weights),
            ..self
        }
    }

    /// Setting A: `C = 2, d = 1, m = ∓1, σ = 1`.
    pub fn setting_a(rho: f64) -> Self {
        Self::new(2, 1, 1.0, rho, ClassMeans::PlusMinusOne)
    }

    /// Setting B: `C = 2, d = 2, m_y = onehot(y), σ = 0.5` (the authors' demo uses
    /// `ρ = 0.5`).
    pub fn setting_b(rho: f64) -> Self {
        Self::new(2, 2, 0.5, rho, ClassMeans::OneHot)
    }

    /// Checks every parameter; an [`LsmiError::InvalidConfig`] names the first bad one.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if `classes < 2`, `dim` is 0 or too small for `means`
    ///   (one-hot: `dim ≥ classes`; ±1: `dim ≥ ⌈log₂ classes⌉`), `sigma` is not a positive
    ///   finite number, `rho` lies outside `[−1, 1]`, or `class_weights` are not `classes`
    ///   finite, non-negative weights summing to 1 within 1e-6.
    pub fn validate(&self) -> Result<()> {
        check_at_least("classes", self.classes, 2, "at least 2 classes are needed")?;
        check_at_least("dim", self.dim, 1, "features need at least one dimension")?;
        if !(self.sigma.is_finite() && self.sigma > 0.0) {
            return LsmiError::invalid_config("sigma", self.sigma, "must be finite and > 0");
        }
        if !(-1.0..=1.0).contains(&self.rho) {
            return LsmiError::invalid_config("rho", self.rho, "must lie in [−1, 1]");
        }
        check_at_least(
            "dim",
            self.dim,
            self.means.min_dim(self.classes),
            "too small to keep the class means distinct (one-hot: dim ≥ classes; ±1: dim ≥ ⌈log₂ classes⌉)",
        )?;
        match &self.class_weights {
            Some(weights) => check_distribution("class_weights", weights, self.classes),
            None => Ok(()),
        }
    }

    /// The class means `m_k`, `classes` vectors of length `dim`.
    pub fn class_means(&self) -> Vec<Vec<f64>> {
        self.means.means(self.classes, self.dim)
    }

    /// The class prior `π`, `classes` entries.
    pub fn class_prior(&self) -> Vec<f64> {
        self.class_weights
            .clone()
            .unwrap_or_else(|| vec![1.0 / self.classes as f64; self.classes])
    }

    /// `n` samples drawn from `seed`, with their exact pointwise terms.
    ///
    /// Per sample the generator draws `y`, then the `d` entries of `u`, then
    /// those of `v` (also when `|ρ| = 1`), so one seed gives the same `y, u, v`
    /// for every `ρ`. The exact terms are computed from the `f64` features before
    /// they are rounded to `f32` for [`Features`] (a difference of about 1e-7
    /// relative).
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if a parameter is invalid (see
    ///   [`validate`](Self::validate)).
    pub fn sample(&self, n: usize, seed: u64) -> Result<GaussianSample> {
        self.validate()?;
        let posterior = Posterior::new(self);
        let mut exact = PointwiseTerms::unchecked(vec![], vec![], vec![], vec![], vec![]);
        let (x1, x2, labels) =
            self.draw(n, seed, |x1, x2, y| exact.push(posterior.terms(x1, x2, y)));
        Ok(GaussianSample {
            x1,
            x2,
            labels,
            exact: exact.decompose(),
        })
    }

    /// The exact terms (nats) of one sample `(x1, x2)` with label `y`, in `f64`:
    /// the terms [`sample`](Self::sample) records, for any point.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if a parameter is invalid (see
    ///   [`validate`](Self::validate)).
    /// * [`LsmiError::WidthMismatch`] if `x1` or `x2` does not have `dim` entries.
    /// * [`LsmiError::LabelOutOfRange`] if `y ≥ classes`.
    pub fn terms(&self, x1: &[f64], x2: &[f64], y: usize) -> Result<PointwiseTerms<f64>> {
        self.validate()?;
        check_point(x1, x2, self.dim, y, self.classes)?;
        Ok(Posterior::new(self).terms(x1, x2, y))
    }

    /// The rows and labels of [`sample`](Self::sample) (the same for the same
    /// seed) without the exact terms, whose cost grows with `C·d` per sample:
    /// for large synthetic sets such as benchmarks.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if a parameter is invalid (see
    ///   [`validate`](Self::validate)).
    pub fn sample_features(&self, n: usize, seed: u64) -> Result<(Features, Features, Vec<i64>)> {
        self.validate()?;
        Ok(self.draw(n, seed, |_, _, _| {}))
    }

    /// Draws `n` samples of a validated family, calling `each` with every
    /// sample's `f64` features and label.
    pub(super) fn draw(
        &self,
        n: usize,
        seed: u64,
        mut each: impl FnMut(&[f64], &[f64], usize),
    ) -> (Features, Features, Vec<i64>) {
        let means = self.class_means();
        let prior = self.class_prior();
        let mut rng = SeededRng::new(seed);
        let mut x1_rows = FeatureRows::new(self.dim, n);
        let mut x2_rows = FeatureRows::new(self.dim, n);
        let mut labels = Vec::with_capacity(n);
        for _ in 0..n {
            let y = draw_index(&prior, &mut rng);
            let (x1, x2) = self.draw_pair(&means[y], &mut rng);
            each(&x1, &x2, y);
            x1_rows.push(&x1);
            x2_rows.push(&x2);
            labels.push(y as i64);
        }
        (x1_rows.finish(), x2_rows.finish(), labels)
    }

    /// `x1 = m + u`, `x2 = m + ρ u + √(1−ρ²) v` for the class mean `m`.
    fn draw_pair(&self, mean: &[f64], rng: &mut SeededRng) -> (Vec<f64>, Vec<f64>) {
        let u: Vec<f64> = (0..self.dim).map(|_| self.sigma * rng.normal()).collect();
        let v: Vec<f64> = (0..self.dim).map(|_| self.sigma * rng.normal()).collect();
        let spread = (1.0 - self.rho * self.rho).max(0.0).sqrt();
        let x1 = mean.iter().zip(&u).map(|(m, u)| m + u).collect();
        let x2 = (0..self.dim)
            .map(|j| mean[j] + self.rho * u[j] + spread * v[j])
            .collect();
        (x1, x2)
    }

    /// The exact `(I(X1;Y), I(X1,X2;Y))` in nats, for two classes with equal
    /// weights; `None` for any other (or an invalid) family.
    ///
    /// With `|Δm|²` the squared distance between the two means,
    /// `I(X1;Y) = binary_mutual_information(|Δm|²/σ²)` and
    /// `I(X1,X2;Y) = binary_mutual_information(2|Δm|²/(σ²(1+ρ)))`; at `ρ = −1`
    /// the pair reveals `y` (`ln 2`), at `ρ = 1` it is `I(X1;Y)`.
    /// `I(X2;Y) = I(X1;Y)` by symmetry.
    pub fn mutual_information(&self) -> Option<(f64, f64)> {
        let balanced = self.class_prior().iter().all(|w| (w - 0.5).abs() < 1e-12);
        if self.validate().is_err() || self.classes != 2 || !balanced {
            return None;
        }
        let means = self.class_means();
        let gap_sq: f64 = means[0]
            .iter()
            .zip(&means[1])
            .map(|(a, b)| (a - b).powi(2))
            .sum();
        let variance = self.sigma * self.sigma;
        let single = binary_mutual_information(gap_sq / variance);
        let joint = if self.rho == -1.0 {
            LN_2
        } else {
            binary_mutual_information(2.0 * gap_sq / (variance * (1.0 + self.rho)))
        };
        Some((single, joint))
    }
}

/// `x1` and `x2` of length `dim` and `y < classes`, for the `terms` functions.
pub(super) fn check_point(
    x1: &[f64],
    x2: &[f64],
    dim: usize,
    y: usize,
    classes: usize,
) -> Result<()> {
    for (what, x) in [("x1", x1), ("x2", x2)] {
        if x.len() != dim {
            return Err(LsmiError::WidthMismatch {
                what,
                axis: "features",
                expected: dim,
                found: x.len(),
            });
        }
    }
    if y >= classes {
        return Err(LsmiError::LabelOutOfRange {
            what: "y",
            index: 0,
            label: i64::try_from(y).unwrap_or(i64::MAX),
            num_classes: classes,
        });
    }
    Ok(())
}

/// Samples of a [`GaussianFamily`] (or of a family built on one, such as the
/// scale benchmark's embedded and warped families) with their exact pointwise terms.
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianSample {
    /// Modality 1, `[n, dim]`.
    pub x1: Features,
    /// Modality 2, `[n, dim]`.
    pub x2: Features,
    /// The labels `y`, `n` entries in `0..classes`.
    pub labels: Vec<i64>,
    /// The exact pointwise terms and interactions of every sample, in nats
    /// (`exact.terms()` holds `h(x1), h(x2), i(x1;y), i(x2;y), i(x1,x2;y)`).
    pub exact: Interactions<Vec<f64>>,
}

/// The exact densities and posteriors of a validated family.
pub(super) struct Posterior {
    means: Vec<Vec<f64>>,
    log_prior: Vec<f64>,
    sigma: f64,
    rho: f64,
}

impl Posterior {
    pub(super) fn new(family: &GaussianFamily) -> Self {
        Self {
            means: family.class_means(),
            log_prior: family.class_prior().iter().map(|p| p.ln()).collect(),
            sigma: family.sigma,
            rho: family.rho,
        }
    }

    /// The exact pointwise terms of one sample with label `y`.
    pub(super) fn terms(&self, x1: &[f64], x2: &[f64], y: usize) -> PointwiseTerms<f64> {
        let (h1, i1) = self.single(x1, y);
        let (h2, i2) = self.single(x2, y);
        let i12 = if self.rho == 1.0 {
            // x2 = x1: the pair says what x1 says.
            i1
        } else if self.rho == -1.0 {
            // x1 + x2 = 2 m_y: the pair reveals y, p(y|x1,x2) = 1.
            -self.log_prior[y]
        } else {
            self.joint_pmi(x1, x2, y)
        };
        PointwiseTerms::unchecked(h1, h2, i1, i2, i12)
    }

    /// `(h(x), i(x;y))` for either modality, whose marginal is
    /// `Σ_c π_c N(m_c, σ² I)`: with `a_c = ln π_c + ln N(x; m_c, σ² I)`,
    /// `h(x) = −lse(a)` and `ln p(y|x) = a_y − lse(a)`.
    fn single(&self, x: &[f64], y: usize) -> (f64, f64) {
        let log_joint: Vec<f64> = self
            .means
            .iter()
            .zip(&self.log_prior)
            .map(|(m, lp)| lp + log_normal_isotropic_f64(x.iter().copied(), m, self.sigma))
            .collect();
        let log_px = log_sum_exp(&log_joint);
        (-log_px, log_joint[y] - log_px - self.log_prior[y])
    }

    /// `i(x1,x2;y)` for `|ρ| < 1`:
    /// `p(y=c|x1,x2) ∝ π_c exp(((x1+x2)·m_c − |m_c|²) / (σ²(1+ρ)))`.
    fn joint_pmi(&self, x1: &[f64], x2: &[f64], y: usize) -> f64 {
        let scale = self.sigma * self.sigma * (1.0 + self.rho);
        let scores: Vec<f64> = self
            .means
            .iter()
            .zip(&self.log_prior)
            .map(|(m, lp)| {
                let projection: f64 = (0..m.len()).map(|j| (x1[j] + x2[j] - m[j]) * m[j]).sum();
                lp + projection / scale
            })
            .collect();
        scores[y] - log_sum_exp(&scores) - self.log_prior[y]
    }
}

/// `I(X;Y)` in nats for `Y` uniform on two classes and `X|Y` Gaussian with a common
/// covariance, from the squared Mahalanobis distance `D` between the class means:
/// `I = ln 2 − E_{L ~ N(D/2, D)} ln(1 + e^{−L})` (`L` is the log-likelihood ratio).
///
/// Computed by the trapezoid rule over ±12 standard deviations with a step fine
/// enough for both the Gaussian and `ln(1 + e^{−L})` (whose nearest poles lie
/// `π` off the real axis), so the error is far below 1e-10. Returns `ln 2` for
/// `D > 10⁴` (exact to double precision), 0 for `D = 0`, and NaN for a negative
/// or NaN `D`.
pub fn binary_mutual_information(mahalanobis_sq: f64) -> f64 {
    if mahalanobis_sq.is_nan() || mahalanobis_sq < 0.0 {
        return f64::NAN;
    }
    if mahalanobis_sq > SEPARATED {
        return LN_2;
    }
    if mahalanobis_sq == 0.0 {
        return 0.0;
    }
    let std = mahalanobis_sq.sqrt();
    let step = (1.0 / 8.0_f64).min(0.1 / std);
    let half = (12.0 / step).ceil() as i64;
    let expectation: f64 = (-half..=half)
        .map(|k| {
            let z = k as f64 * step;
            let density = (-0.5 * z * z).exp() / std::f64::consts::TAU.sqrt();
            density * softplus(-(0.5 * mahalanobis_sq + std * z))
        })
        .sum::<f64>()
        * step;
    LN_2 - expectation
}

/// `ln(1 + e^t)`, stable for either sign of `t`.
fn softplus(t: f64) -> f64 {
    t.max(0.0) + (-t.abs()).exp().ln_1p()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_minus_one_means_are_distinct_sign_patterns() {
        let means = ClassMeans::PlusMinusOne.means(5, 3);
        assert_eq!(means[0], vec![-1.0, -1.0, -1.0]);
        assert_eq!(means[1], vec![1.0, -1.0, -1.0]);
        assert_eq!(means[4], vec![-1.0, -1.0, 1.0]);
        for a in 0..5 {
            for b in 0..a {
                assert_ne!(means[a], means[b]);
            }
        }
    }

    #[test]
    fn two_plus_minus_one_means_are_constant_vectors() {
        let means = ClassMeans::PlusMinusOne.means(2, 3);
        assert_eq!(means, vec![vec![-1.0; 3], vec![1.0; 3]]);
    }

    #[test]
    fn bits_cover_the_classes() {
        assert_eq!([2, 3, 4, 5, 8, 9].map(bits_for), [1, 2, 2, 3, 3, 4]);
    }

    #[test]
    fn binary_mutual_information_matches_an_independent_quadrature() {
        // Reference: composite Simpson on 2·10⁶ panels over L ∈ [D/2 ± 14√D],
        // computed separately in double precision.
        for (d, expected) in REFERENCE {
            let got = binary_mutual_information(d);
            assert!(
                (got - expected).abs() < 1e-10,
                "D = {d}: {got} vs {expected}"
            );
        }
    }

    #[test]
    fn binary_mutual_information_limits() {
        assert_eq!(binary_mutual_information(0.0), 0.0);
        assert!((binary_mutual_information(1e-8) - 1e-8 / 8.0).abs() < 1e-14);
        assert!((binary_mutual_information(9_999.0) - LN_2).abs() < 1e-15);
        assert_eq!(binary_mutual_information(f64::INFINITY), LN_2);
        assert!(binary_mutual_information(-1.0).is_nan());
    }

    const REFERENCE: [(f64, f64); 7] = [
        (0.1, 0.012346276736120987),
        (1.0, 0.11142148218473613),
        (4.0, 0.3368308203468316),
        (8.0, 0.5000721360668449),
        (16.0, 0.6327201937368669),
        (50.0, 0.6925543460661725),
        (400.0, LN_2), // 0.6931471805599453: separated to double precision
    ];
}
