//! The CPU devices this build can run on.
//!
//! `lsmi` never names a backend type: every function takes tensors and a
//! [`Device`] from the caller. These helpers only pick a device for callers who
//! have none yet (the examples, the CLI, the tests).

use burn::tensor::Device;

/// The preferred CPU device of this build: flex when the `flex` feature is on,
/// else ndarray.
#[cfg(any(feature = "flex", feature = "ndarray"))]
pub fn default_device() -> Device {
    cpu_devices()
        .into_iter()
        .next()
        .map(|(_, device)| device)
        .expect("the cfg guarantees at least one CPU backend")
}

/// Every CPU backend compiled into this build, by name (`"flex"`, `"ndarray"`).
///
/// The tests run each backend-independent check on every entry.
pub fn cpu_devices() -> Vec<(&'static str, Device)> {
    [
        #[cfg(feature = "flex")]
        ("flex", Device::flex()),
        #[cfg(feature = "ndarray")]
        #[allow(deprecated)]
        // burn deprecates ndarray in favour of flex; users asked for it.
        ("ndarray", Device::ndarray()),
    ]
    .into_iter()
    .collect()
}

/// The device named `name` (`"flex"` or `"ndarray"`), if this build has it.
pub fn cpu_device(name: &str) -> Option<Device> {
    cpu_devices()
        .into_iter()
        .find(|(known, _)| *known == name)
        .map(|(_, device)| device)
}
