//! Helpers shared by the integration tests.

use lsmi::burn::tensor::{Device, Int, Tensor, TensorData};

/// Every device this build enables, wgpu included: the backend-independent
/// checks (decomposition, PMI, KNIFE density and fitting steps, the online API,
/// input validation) run on all of them.
pub fn devices() -> Vec<(&'static str, Device)> {
    // Pushed to only with wgpu.
    #[cfg_attr(not(feature = "wgpu"), allow(unused_mut))]
    let mut devices = cpu_devices();
    #[cfg(feature = "wgpu")]
    devices.push(("wgpu", wgpu()));
    devices
}

/// The CPU devices only: for tests that fit models for many epochs, which on
/// software Vulkan would take minutes each.
pub fn cpu_devices() -> Vec<(&'static str, Device)> {
    let devices = lsmi::cpu_devices();
    assert!(
        !devices.is_empty(),
        "the tests need a CPU backend (flex or ndarray)"
    );
    devices
}

/// The wgpu device; a build with the `wgpu` feature fails its tests without one.
#[cfg(feature = "wgpu")]
pub fn wgpu() -> Device {
    lsmi::wgpu_device().unwrap_or_else(|err| {
        panic!(
            "{err}\nThe wgpu tests need a Vulkan driver. Without a GPU, install Mesa's \
             software driver (apt-get install -y mesa-vulkan-drivers libvulkan1), or \
             test without the feature (cargo test --features ndarray,cli)."
        )
    })
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

/// `[r⁺, r⁻, r, u1, u2, s]` of one sample from `[h1, h2, i1, i2, i12]`, written
/// out from the definitions here, independently of the crate's arithmetic.
pub fn definitions([h1, h2, i1, i2, i12]: [f64; 5]) -> [f64; 6] {
    let r_plus = h1.min(h2);
    let r_minus = (h1 - i1).min(h2 - i2);
    let r = r_plus - r_minus;
    [r_plus, r_minus, r, i1 - r, i2 - r, i12 - i1 - i2 + r]
}

/// The reference adjustment's shift `a` for the means `R`, `U1`, `U2`, `S`,
/// written out here independently of the crate: if a redundancy or synergy
/// mean is negative, `a = −min(R, S)` (lifting the lower of the two to 0);
/// otherwise, if a unique mean is negative, `a = min(U1, U2)` (lowering the
/// other side of identity 1 until the lower unique is 0); otherwise `a = 0`.
/// The adjusted means are `R + a`, `U1 − a`, `U2 − a`, `S + a`.
pub fn reference_shift(r: f64, u1: f64, u2: f64, s: f64) -> f64 {
    if r < 0.0 || s < 0.0 {
        -r.min(s)
    } else if u1 < 0.0 || u2 < 0.0 {
        u1.min(u2)
    } else {
        0.0
    }
}

/// Asserts that `run` is a function of its seed: `run(seed)` gives the same
/// numbers twice, and `run(other)` gives others. `what` (e.g. the backend)
/// names the case in the messages.
pub fn assert_seed_matters(what: &str, run: impl Fn(u64) -> Vec<f32>, seed: u64, other: u64) {
    let first = run(seed);
    assert_eq!(first, run(seed), "{what}: same seed");
    assert_ne!(
        first,
        run(other),
        "{what}: another seed gave the same numbers"
    );
}

/// A small, fast estimator configuration for tests: 3 folds, fixed models:
/// two-kernel KNIFE models (5 epochs), one-hidden-layer classifiers (10 epochs).
pub fn quick(classes: usize) -> lsmi::LsmiConfig {
    use lsmi::{ClassifierConfig, FitConfig, KnifeConfig, LsmiConfig};
    LsmiConfig::fixed(classes)
        .with_folds(3)
        .with_knife(
            KnifeConfig::new(1)
                .with_kernels(2)
                .with_fit(FitConfig::new().with_epochs(5)),
        )
        .with_classifier(
            ClassifierConfig::new()
                .with_hidden(vec![16])
                .with_fit(FitConfig::new().with_epochs(10).with_batch_size(64)),
        )
}
