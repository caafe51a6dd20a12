//! Closed-form linear discriminant analysis: class means and a pooled,
//! ridge-regularised covariance, computed with GEMMs on the device and one
//! `d × d` Cholesky solve on the host in `f64`.

use burn::module::Param;
use burn::nn::Linear;
use burn::tensor::{Int, Tensor, TensorData};

use super::{Classifier, temperature_param};
use crate::check;
use crate::error::{LsmiError, Result};
use crate::standardize::Standardizer;

/// The most features [`fit_lda`] accepts (its host solve costs `d³`).
pub const MAX_LDA_FEATURES: usize = 4096;

/// A linear classifier fitted in closed form by linear discriminant analysis.
///
/// Inputs are standardised as [`ClassifierConfig`](super::ClassifierConfig) does (`z = (x − m)/σ`); in
/// those units the class means `μ_k`, the pooled within-class covariance
/// `S = Σ_k Σ_{y=k} (z − μ_k)(z − μ_k)ᵀ / (n − C)` and the prior
/// `π_k = (n_k + ½)/(n + C/2)` give the posterior of Gaussian class-conditionals
/// `N(μ_k, S)`: logits `zᵀ A_k − ½ μ_kᵀ A_k + ln π_k` with `A = (S + λ I)⁻¹ Mᵀ`,
/// `λ = ridge · tr(S)/d`. This is the true posterior's form when the classes are
/// Gaussian with one shared covariance, and a cheap, deterministic starting point
/// otherwise. A class absent from `labels` gets the overall mean and a small prior.
/// The result has no hidden layer and temperature 1.
///
/// # Errors
///
/// * [`LsmiError::Empty`] if `x` has no rows or no columns.
/// * [`LsmiError::NonFinite`] if `x` holds NaN or ±∞.
/// * [`LsmiError::TooFewClasses`] / [`LsmiError::TooManyClasses`] if `num_classes` is
///   out of range.
/// * [`LsmiError::LabelOutOfRange`] if a label lies outside `0..num_classes`.
/// * [`LsmiError::LengthMismatch`] if `labels` has not one entry per row of `x`.
/// * [`LsmiError::InvalidConfig`] if `ridge` is negative or not finite, or `x` has
///   more than [`MAX_LDA_FEATURES`] columns.
/// * [`LsmiError::Backend`] if the backend fails to read a tensor back.
pub fn fit_lda(
    x: Tensor<2>,
    labels: Tensor<1, Int>,
    num_classes: usize,
    ridge: f64,
) -> Result<Classifier> {
    let mut path = fit_lda_path(x, labels, num_classes, &[ridge])?;
    path.pop().ok_or(LsmiError::Empty {
        what: "ridge",
        unit: "values",
    })
}

/// [`fit_lda`] for every ridge of `ridges`, in order, sharing the class means and
/// the pooled covariance (one pass over the rows); the errors are `fit_lda`'s.
pub(crate) fn fit_lda_path(
    x: Tensor<2>,
    labels: Tensor<1, Int>,
    num_classes: usize,
    ridges: &[f64],
) -> Result<Vec<Classifier>> {
    let [rows, d] = x.dims();
    check::num_classes(num_classes)?;
    check::non_empty("x", rows)?;
    if d == 0 {
        return Err(LsmiError::Empty {
            what: "x",
            unit: "features",
        });
    }
    if let Some(&ridge) = ridges.iter().find(|r| !(r.is_finite() && **r >= 0.0)) {
        return LsmiError::invalid_config("ridge", ridge, "must be a finite number ≥ 0");
    }
    if d > MAX_LDA_FEATURES {
        return LsmiError::invalid_config(
            "x",
            format!("{d} features"),
            "LDA solves a d × d system on the host: at most 4096 features",
        );
    }
    check::finite("x", &x)?;
    let host_labels = check::labels("labels", &labels, num_classes)?;
    check::same_length("labels", host_labels.len(), "x", rows)?;
    let device = x.device();
    let standardizer = Standardizer::fit(&x, 1e-6)?;
    let z = standardizer.apply(x);

    let c = num_classes;
    let mut counts = vec![0usize; c];
    let mut one_hot = vec![0f32; rows * c];
    for (row, &label) in host_labels.iter().enumerate() {
        counts[label as usize] += 1;
        one_hot[row * c + label as usize] = 1.0;
    }
    let one_hot: Tensor<2> = Tensor::from_data(TensorData::new(one_hot, [rows, c]), &device);
    // Class sums on the device; the means, in f64, on the host.
    let sums = check::read_f32(one_hot.clone().transpose().matmul(z.clone()))?;
    let overall: Vec<f64> = (0..d)
        .map(|j| (0..c).map(|k| f64::from(sums[k * d + j])).sum::<f64>() / rows as f64)
        .collect();
    let means: Vec<Vec<f64>> = (0..c)
        .map(|k| match counts[k] {
            0 => overall.clone(),
            n_k => (0..d)
                .map(|j| f64::from(sums[k * d + j]) / n_k as f64)
                .collect(),
        })
        .collect();
    let means_f32: Vec<f32> = means.iter().flatten().map(|&v| v as f32).collect();
    let means_tensor: Tensor<2> = Tensor::from_data(TensorData::new(means_f32, [c, d]), &device);
    let centred = z - one_hot.matmul(means_tensor);
    let scatter = check::read_f32(centred.clone().transpose().matmul(centred))?;
    let dof = rows.saturating_sub(c).max(1) as f64;
    let mut covariance: Vec<f64> = scatter.iter().map(|&v| f64::from(v) / dof).collect();
    // Symmetrise (the f32 GEMM need not be exactly symmetric).
    for i in 0..d {
        for j in 0..i {
            let mean = 0.5 * (covariance[i * d + j] + covariance[j * d + i]);
            covariance[i * d + j] = mean;
            covariance[j * d + i] = mean;
        }
    }
    let trace: f64 = (0..d).map(|i| covariance[i * d + i]).sum::<f64>() / d as f64;
    let scale = if trace > 0.0 { trace } else { 1.0 };
    let smoothed = rows as f64 + 0.5 * c as f64;
    let mut path = Vec::with_capacity(ridges.len());
    for &ridge in ridges {
        let mut lambda = ridge * scale;
        let mut attempts = 0;
        let factor = loop {
            let mut shifted = covariance.clone();
            for i in 0..d {
                shifted[i * d + i] += lambda;
            }
            if let Some(factor) = cholesky(&shifted, d) {
                break factor;
            }
            // Singular within float precision: add a ridge until it factors.
            attempts += 1;
            if attempts > 40 {
                return Err(LsmiError::Backend(
                    "LDA: the pooled covariance could not be factorised".into(),
                ));
            }
            lambda = if lambda > 0.0 {
                lambda * 10.0
            } else {
                1e-9 * scale
            };
        };
        // A = (S + λI)⁻¹ Mᵀ, column k solved for class k.
        let mut weight = vec![0f32; d * c];
        let mut bias = vec![0f32; c];
        for k in 0..c {
            let column = cholesky_solve(&factor, d, &means[k]);
            let quadratic: f64 = column.iter().zip(&means[k]).map(|(a, m)| a * m).sum();
            for j in 0..d {
                weight[j * c + k] = column[j] as f32;
            }
            let prior = (counts[k] as f64 + 0.5) / smoothed;
            bias[k] = (prior.ln() - 0.5 * quadratic) as f32;
        }
        let layer = Linear {
            weight: Param::from_tensor(Tensor::from_data(TensorData::new(weight, [d, c]), &device)),
            bias: Some(Param::from_tensor(check::vector(bias, &device))),
        };
        path.push(Classifier {
            standardizer: standardizer.clone(),
            layers: vec![layer],
            temperature: Some(temperature_param(1.0, &device)),
            d_input: d,
        });
    }
    Ok(path)
}

/// The lower-triangular `L` with `L Lᵀ = a` (`n × n`, row-major), or `None` if `a`
/// is not positive definite.
fn cholesky(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let dot: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            let value = a[i * n + j] - dot;
            if i == j {
                if !(value > 0.0 && value.is_finite()) {
                    return None;
                }
                l[i * n + i] = value.sqrt();
            } else {
                l[i * n + j] = value / l[j * n + j];
            }
        }
    }
    Some(l)
}

/// Solves `L Lᵀ x = b` by forward and back substitution.
fn cholesky_solve(l: &[f64], n: usize, b: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; n];
    for i in 0..n {
        let dot: f64 = (0..i).map(|k| l[i * n + k] * y[k]).sum();
        y[i] = (b[i] - dot) / l[i * n + i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let dot: f64 = (i + 1..n).map(|k| l[k * n + i] * x[k]).sum();
        x[i] = (y[i] - dot) / l[i * n + i];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves_a_small_system() {
        let a = [4.0, 2.0, 0.6, 2.0, 5.0, 1.0, 0.6, 1.0, 3.0];
        let l = cholesky(&a, 3).expect("positive definite");
        let b = [1.0, -2.0, 0.5];
        let x = cholesky_solve(&l, 3, &b);
        for i in 0..3 {
            let row: f64 = (0..3).map(|j| a[i * 3 + j] * x[j]).sum();
            assert!((row - b[i]).abs() < 1e-12, "{row} vs {}", b[i]);
        }
        assert!(cholesky(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
    }
}
