//! Densities with closed-form entropies, for testing entropy estimators.

use std::f64::consts::{E, TAU};

use super::{Features, draw_index, log_normal_isotropic, log_sum_exp};
use crate::rng::SeededRng;

/// `N(μ, Σ)` with `Σ = Q diag(λ) Qᵀ`, `Q` a random rotation and `λ`
/// log-spaced from 1 to `condition`.
#[derive(Debug, Clone)]
pub struct CorrelatedGaussian {
    mean: Vec<f64>,
    /// `Q diag(√λ)`, row-major `d × d`: `x = μ + factor · ε`.
    factor: Vec<f64>,
    /// `Q`, row-major.
    rotation: Vec<f64>,
    eigenvalues: Vec<f64>,
}

impl CorrelatedGaussian {
    /// A random Gaussian in `dim` dimensions whose covariance has condition
    /// number `condition` (≥ 1), drawn from `seed`.
    pub fn random(dim: usize, condition: f64, seed: u64) -> Self {
        let mut rng = SeededRng::new(seed);
        let rotation = random_rotation(dim, &mut rng);
        let eigenvalues: Vec<f64> = (0..dim)
            .map(|j| {
                let t = if dim > 1 {
                    j as f64 / (dim - 1) as f64
                } else {
                    0.0
                };
                condition.powf(t)
            })
            .collect();
        let mean = (0..dim).map(|_| rng.normal()).collect();
        let factor = (0..dim * dim)
            .map(|ij| rotation[ij] * eigenvalues[ij % dim].sqrt())
            .collect();
        Self {
            mean,
            factor,
            rotation,
            eigenvalues,
        }
    }

    /// The dimension `d`.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// `H(X) = ½ ln((2πe)^d |Σ|)`, in nats.
    pub fn entropy(&self) -> f64 {
        let d = self.dim() as f64;
        0.5 * (d * (TAU * E).ln() + self.eigenvalues.iter().map(|l| l.ln()).sum::<f64>())
    }

    /// `n` independent rows, drawn from `seed`.
    pub fn sample(&self, n: usize, seed: u64) -> Features {
        let d = self.dim();
        let mut rng = SeededRng::new(seed);
        let mut values = Vec::with_capacity(n * d);
        let mut eps = vec![0.0; d];
        for _ in 0..n {
            eps.iter_mut().for_each(|e| *e = rng.normal());
            for i in 0..d {
                let dot: f64 = (0..d).map(|j| self.factor[i * d + j] * eps[j]).sum();
                values.push((self.mean[i] + dot) as f32);
            }
        }
        Features {
            values,
            rows: n,
            cols: d,
        }
    }

    /// `−ln p(x)` of one row, in nats.
    pub fn surprisal(&self, x: &[f32]) -> f64 {
        let d = self.dim();
        // Mahalanobis distance in the eigenbasis: Σ_j (Qᵀ(x − μ))_j² / λ_j.
        let centred: Vec<f64> = (0..d).map(|i| f64::from(x[i]) - self.mean[i]).collect();
        let quad: f64 = (0..d)
            .map(|j| {
                let proj: f64 = (0..d).map(|i| self.rotation[i * d + j] * centred[i]).sum();
                proj * proj / self.eigenvalues[j]
            })
            .sum();
        let log_det: f64 = self.eigenvalues.iter().map(|l| l.ln()).sum();
        0.5 * (d as f64 * TAU.ln() + log_det + quad)
    }
}

/// A random rotation (Gram–Schmidt on a Gaussian matrix), row-major.
fn random_rotation(dim: usize, rng: &mut SeededRng) -> Vec<f64> {
    let mut columns: Vec<Vec<f64>> = Vec::with_capacity(dim);
    while columns.len() < dim {
        let mut v: Vec<f64> = (0..dim).map(|_| rng.normal()).collect();
        for c in &columns {
            let dot: f64 = v.iter().zip(c).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(c).for_each(|(a, b)| *a -= dot * b);
        }
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        if norm > 1e-6 {
            columns.push(v.into_iter().map(|a| a / norm).collect());
        }
    }
    (0..dim * dim)
        .map(|ij| columns[ij % dim][ij / dim])
        .collect()
}

/// A mixture of isotropic Gaussians `Σ_k π_k N(m_k, σ² I)`.
#[derive(Debug, Clone, PartialEq)]
pub struct IsotropicMixture {
    /// Component means, each of length `d`.
    pub means: Vec<Vec<f64>>,
    /// Component weights `π_k` (summing to 1).
    pub weights: Vec<f64>,
    /// The common standard deviation `σ`.
    pub sigma: f64,
}

impl IsotropicMixture {
    /// `n` rows with their component indices, drawn from `seed`.
    pub fn sample(&self, n: usize, seed: u64) -> (Features, Vec<usize>) {
        let d = self.means[0].len();
        let mut rng = SeededRng::new(seed);
        let mut values = Vec::with_capacity(n * d);
        let mut components = Vec::with_capacity(n);
        for _ in 0..n {
            let component = draw_index(&self.weights, &mut rng);
            for &m in &self.means[component] {
                values.push((m + self.sigma * rng.normal()) as f32);
            }
            components.push(component);
        }
        let features = Features {
            values,
            rows: n,
            cols: d,
        };
        (features, components)
    }

    /// `−ln p(x)` of one row under the whole mixture, in nats.
    pub fn surprisal(&self, x: &[f32]) -> f64 {
        let log_terms: Vec<f64> = self
            .means
            .iter()
            .zip(&self.weights)
            .map(|(m, w)| w.ln() + log_normal_isotropic(x, m, self.sigma))
            .collect();
        -log_sum_exp(&log_terms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_is_orthogonal() {
        let q = random_rotation(6, &mut SeededRng::new(1));
        for a in 0..6 {
            for b in 0..6 {
                let dot: f64 = (0..6).map(|i| q[i * 6 + a] * q[i * 6 + b]).sum();
                assert!((dot - f64::from(u8::from(a == b))).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn gaussian_entropy_is_mean_surprisal() {
        let g = CorrelatedGaussian::random(4, 10.0, 3);
        let x = g.sample(20_000, 4);
        let mean = (0..x.rows).map(|i| g.surprisal(x.row(i))).sum::<f64>() / x.rows as f64;
        // Monte-Carlo: the surprisal has variance d/2 = 2, so the standard error is 0.01.
        assert!(
            (mean - g.entropy()).abs() < 0.04,
            "{mean} vs {}",
            g.entropy()
        );
    }
}
