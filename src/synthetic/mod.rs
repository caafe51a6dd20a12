//! Seeded synthetic data with exact densities and exact interactions, for testing
//! estimators against closed forms.
//!
//! Everything here runs on the host in `f64` and is deterministic: the same
//! configuration and seed give the same numbers on every platform. Features come
//! back as [`Features`] (row-major `f32`, `[rows, cols]`; call
//! [`Features::tensor`] to move them to a device), labels as `Vec<i64>`, and all
//! information quantities are in nats.
//!
//! | generator | what it is for |
//! |---|---|
//! | [`CorrelatedGaussian`], [`IsotropicMixture`] | entropy estimators: `h(x)` in closed form |
//! | [`GaussianFamily`] | the authors' demo generator: exact pointwise terms and interactions per sample |
//! | [`GateFeatures`] | the logic gates of the paper's Table 1, embedded in continuous features |
//! | [`PresetInteractions`] | samples that each carry one known kind of interaction |
//! | [`ScaleCase`], [`EmbeddedFamily`], [`WarpedFamily`] | benchmarks at scale: many classes, high-dimensional embeddings, a non-Gaussian warp, all with exact terms |

use std::f64::consts::TAU;

use burn::tensor::{Device, Tensor, TensorData};

use crate::error::{LsmiError, Result};
use crate::rng::SeededRng;

mod densities;
mod encode;
mod gates;
mod gaussian;
mod preset;
mod scale;

pub use densities::{CorrelatedGaussian, IsotropicMixture};
pub use gates::{GateFeatures, GateSample};
pub use gaussian::{ClassMeans, GaussianFamily, GaussianSample, binary_mutual_information};
pub use preset::{InteractionKind, PresetInteractions, PresetSample};
pub use scale::{
    EmbeddedFamily, MIN_TAU_OVER_SIGMA, SCALE_RHO, SCALE_SIGMA, SCALE_TAU, SCALE_WARP,
    SCALE_WEIGHTS_SEED, ScaleCase, ScaleFamily, Warp, WarpedFamily,
};

/// A row-major matrix of `f32` features on the host.
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    /// `rows × cols` values, row-major.
    pub values: Vec<f32>,
    /// Number of rows (samples).
    pub rows: usize,
    /// Number of columns (features).
    pub cols: usize,
}

impl Features {
    /// The features as a `[rows, cols]` tensor on `device`.
    pub fn tensor(&self, device: &Device) -> Tensor<2> {
        Tensor::from_data(
            TensorData::new(self.values.clone(), [self.rows, self.cols]),
            device,
        )
    }

    /// Row `index`.
    pub fn row(&self, index: usize) -> &[f32] {
        &self.values[index * self.cols..(index + 1) * self.cols]
    }

    /// Every value multiplied by `factor`.
    pub fn scaled(&self, factor: f32) -> Features {
        Features {
            values: self.values.iter().map(|v| v * factor).collect(),
            ..self.clone()
        }
    }
}

/// `ln N(x; m, σ² I)`.
pub(crate) fn log_normal_isotropic(x: &[f32], mean: &[f64], sigma: f64) -> f64 {
    log_normal_isotropic_f64(x.iter().map(|&a| f64::from(a)), mean, sigma)
}

/// `ln N(x; m, σ² I)` for `x` given as `f64` values.
fn log_normal_isotropic_f64(x: impl Iterator<Item = f64>, mean: &[f64], sigma: f64) -> f64 {
    let d = mean.len() as f64;
    let quad: f64 = x.zip(mean).map(|(a, m)| (a - m).powi(2)).sum();
    -0.5 * d * (TAU * sigma * sigma).ln() - 0.5 * quad / (sigma * sigma)
}

/// `ln Σ exp(v)`, stable.
pub(crate) fn log_sum_exp(values: &[f64]) -> f64 {
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return max;
    }
    max + values.iter().map(|v| (v - max).exp()).sum::<f64>().ln()
}

/// An index drawn with probabilities `weights` (summing to 1).
fn draw_index(weights: &[f64], rng: &mut SeededRng) -> usize {
    let u = rng.uniform();
    let mut acc = 0.0;
    for (k, w) in weights.iter().enumerate() {
        acc += w;
        if u < acc {
            return k;
        }
    }
    weights.len() - 1
}

/// `value ≥ min`, or an [`LsmiError::InvalidConfig`] for `field`.
fn check_at_least(
    field: &'static str,
    value: usize,
    min: usize,
    reason: &'static str,
) -> Result<()> {
    if value < min {
        return LsmiError::invalid_config(field, value, reason);
    }
    Ok(())
}

/// A finite noise standard deviation `≥ 0`.
fn check_noise_std(field: &'static str, value: f64) -> Result<()> {
    if !(value.is_finite() && value >= 0.0) {
        return LsmiError::invalid_config(field, value, "must be finite and ≥ 0");
    }
    Ok(())
}

/// `len` finite, non-negative weights summing to 1 (tolerance 1e-6).
fn check_distribution(field: &'static str, weights: &[f64], len: usize) -> Result<()> {
    if weights.len() != len {
        return LsmiError::invalid_config(
            field,
            format!("{} entries", weights.len()),
            "needs one weight per class",
        );
    }
    if weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) {
        return LsmiError::invalid_config(
            field,
            format!("{weights:?}"),
            "weights must be finite and ≥ 0",
        );
    }
    if (weights.iter().sum::<f64>() - 1.0).abs() > 1e-6 {
        return LsmiError::invalid_config(
            field,
            format!("{weights:?}"),
            "weights must sum to 1 (tolerance 1e-6)",
        );
    }
    Ok(())
}
