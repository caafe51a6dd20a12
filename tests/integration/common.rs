//! Helpers shared by the integration tests.

use lsmi::burn::tensor::{Device, Int, Tensor, TensorData};

/// Every CPU device this build enables; each backend-independent test runs on all.
pub fn devices() -> Vec<(&'static str, Device)> {
    let devices = lsmi::device::cpu_devices();
    assert!(
        !devices.is_empty(),
        "the tests need a CPU backend (flex or ndarray)"
    );
    devices
}

pub fn vector(values: &[f32], device: &Device) -> Tensor<1> {
    Tensor::from_data(TensorData::new(values.to_vec(), [values.len()]), device)
}

pub fn matrix(values: &[f32], rows: usize, cols: usize, device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(values.to_vec(), [rows, cols]), device)
}

pub fn labels(values: &[i64], device: &Device) -> Tensor<1, Int> {
    Tensor::from_data(TensorData::new(values.to_vec(), [values.len()]), device)
}

pub fn read(tensor: &Tensor<1>) -> Vec<f32> {
    tensor
        .clone()
        .try_into_vec_as::<f32>()
        .expect("readable tensor")
}

/// Asserts `|a − b| ≤ tol` with a message naming the quantity.
pub fn close(what: &str, actual: f64, expected: f64, tol: f64) {
    assert!(
        (actual - expected).abs() <= tol,
        "{what}: got {actual}, expected {expected} (tolerance {tol}, miss {:e})",
        (actual - expected).abs()
    );
}
