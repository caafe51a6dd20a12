//! Tensor operations burn 0.22 does not have.

use burn::tensor::Tensor;

/// `ln Σ_j exp(v_j)` along `dim`, keeping it (size 1), stable: the detached
/// maximum is subtracted before `exp` and added back. Works under autodiff.
pub(crate) fn log_sum_exp<const D: usize>(values: Tensor<D>, dim: usize) -> Tensor<D> {
    let max = values.clone().detach().max_dim(dim);
    (values - max.clone()).exp().sum_dim(dim).log() + max
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
}
