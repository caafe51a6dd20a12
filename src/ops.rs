//! Tensor operations burn 0.22 does not have.

use burn::tensor::Tensor;

/// `ln Σ_j exp(v_j)` along `dim`, keeping it (size 1), stable: the detached
/// maximum is subtracted before `exp` and added back. Works under autodiff.
pub(crate) fn log_sum_exp<const D: usize>(values: Tensor<D>, dim: usize) -> Tensor<D> {
    let max = values.clone().detach().max_dim(dim);
    (values - max.clone()).exp().sum_dim(dim).log() + max
}

/// Whether the per-row losses `candidate` are lower than `incumbent` (the same
/// rows) by more than twice the standard error of their mean paired difference:
/// the "one-standard-error" guard against choosing a more complex model, or a
/// temperature, on noise in the held-out loss.
pub(crate) fn clearly_better(candidate: &[f64], incumbent: &[f64]) -> bool {
    let n = candidate.len().min(incumbent.len());
    if n < 2 {
        return false;
    }
    let differences: Vec<f64> = candidate
        .iter()
        .zip(incumbent)
        .map(|(a, b)| a - b)
        .collect();
    let mean = differences.iter().sum::<f64>() / n as f64;
    let variance = differences.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    mean < -2.0 * (variance / n as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_sum_exp_is_stable_for_large_values() {
        for (_, device) in crate::device::cpu_devices() {
            let values = Tensor::<2>::from_floats([[1000.0, 1000.0], [-1000.0, 0.0]], &device);
            let result = crate::check::read_f32(log_sum_exp(values, 1)).unwrap();
            assert!((result[0] - (1000.0 + std::f32::consts::LN_2)).abs() < 1e-3);
            assert!(result[1].abs() < 1e-6);
        }
    }

    #[test]
    fn clearly_better_needs_two_standard_errors() {
        let incumbent: Vec<f64> = (0..100).map(|i| 1.0 + 0.01 * (i % 7) as f64).collect();
        assert!(!clearly_better(&incumbent, &incumbent), "equal losses");
        // Lower by 0.05 on every row: the paired difference has no spread.
        let lower: Vec<f64> = incumbent.iter().map(|l| l - 0.05).collect();
        assert!(clearly_better(&lower, &incumbent));
        assert!(
            !clearly_better(&incumbent, &lower),
            "higher is never better"
        );
        // Lower by 0.05 on average, but ±1 per row: mean −0.05, standard error 0.1.
        let noisy: Vec<f64> = incumbent
            .iter()
            .enumerate()
            .map(|(i, l)| l - 0.05 + if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        assert!(!clearly_better(&noisy, &incumbent), "within the noise");
        assert!(
            !clearly_better(&[0.0], &[1.0]),
            "one row has no standard error"
        );
    }
}
