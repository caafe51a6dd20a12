//! The devices this build can run on.
//!
//! `lsmi` never names a backend type: every function takes tensors and a
//! [`Device`] from the caller. These helpers only pick a device for callers who
//! have none yet (the examples, the CLI, the tests).
//!
//! Backends are cargo features: `flex` (default), `ndarray`, and `wgpu` (a GPU
//! through Vulkan, Metal or DX12; Mesa's software Vulkan where there is no GPU).
//! All device arithmetic of this crate is `f32`, the one float type that is
//! exact on every backend (burn's wgpu silently miscomputes `f64`).

use burn::tensor::Device;

use crate::error::{LsmiError, Result};

/// Every backend this crate knows, whether compiled in or not.
const KNOWN: [&str; 3] = ["flex", "ndarray", "wgpu"];

/// The preferred CPU device of this build: flex when the `flex` feature is on,
/// else ndarray.
#[cfg(any(feature = "flex", feature = "ndarray"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "flex", feature = "ndarray"))))]
pub fn default_device() -> Device {
    cpu_devices()
        .into_iter()
        .next()
        .map(|(_, device)| device)
        .expect("the cfg guarantees at least one CPU backend")
}

/// Every CPU backend compiled into this build, by name (`"flex"`, `"ndarray"`).
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

/// The names of the backends compiled into this build, CPU ones first.
pub fn backends() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = cpu_devices().into_iter().map(|(name, _)| name).collect();
    if cfg!(feature = "wgpu") {
        names.push("wgpu");
    }
    names
}

/// The device of the backend `name` (`"flex"`, `"ndarray"` or `"wgpu"`).
///
/// # Errors
///
/// * [`LsmiError::DeviceUnavailable`] if `name` is not a backend compiled into this build,
///   or (wgpu) no adapter comes up or burn's runtime cannot be registered.
pub fn device(name: &str) -> Result<Device> {
    if let Some((_, device)) = cpu_devices().into_iter().find(|(known, _)| *known == name) {
        return Ok(device);
    }
    #[cfg(feature = "wgpu")]
    if name == "wgpu" {
        return wgpu_device();
    }
    let reason = match KNOWN.contains(&name) {
        true => format!("the `{name}` feature is not enabled in this build"),
        false => format!("unknown backend (known: {})", KNOWN.join(", ")),
    };
    Err(LsmiError::DeviceUnavailable {
        name: name.to_string(),
        reason: format!("{reason}; this build has: {}", backends().join(", ")),
    })
}

/// The default wgpu device (a high-performance GPU if there is one), initialised
/// once per process.
///
/// Unlike burn's lazy `Device::wgpu`, which panics at the first tensor when no
/// adapter exists, this asks for the adapter up front and returns
/// [`LsmiError::DeviceUnavailable`] with the driver's reason. Without a GPU,
/// Mesa's software Vulkan driver (`apt-get install mesa-vulkan-drivers
/// libvulkan1` on Debian) provides one.
///
/// If the process already started burn's default wgpu runtime itself (a tensor
/// made on `Device::wgpu(Default::default())`), that runtime is returned. Any
/// other failure, including any other failure to register the runtime, is
/// returned as [`LsmiError::DeviceUnavailable`] with burn's message.
///
/// # Errors
///
/// * [`LsmiError::DeviceUnavailable`] if no adapter comes up or burn's runtime cannot be
///   registered; the first call's failure is kept and returned by every later call.
///
/// # Examples
///
/// ```no_run
/// # fn main() -> lsmi::Result<()> {
/// use lsmi::burn::tensor::{Tensor, TensorData};
///
/// let device = lsmi::wgpu_device()?;
/// let x = Tensor::<2>::from_data(TensorData::new(vec![0.5f32; 6], [3, 2]), &device);
/// # let _ = x;
/// # Ok(())
/// # }
/// ```
#[cfg(feature = "wgpu")]
#[cfg_attr(docsrs, doc(cfg(feature = "wgpu")))]
pub fn wgpu_device() -> Result<Device> {
    use std::sync::OnceLock;
    static DEVICE: OnceLock<std::result::Result<Device, String>> = OnceLock::new();
    DEVICE
        .get_or_init(|| {
            Device::wgpu_options().init().or_else(|err| match err {
                // The caller's own tensors already started the default runtime:
                // registering a second one fails, and the running one is the device.
                // burn says so only in the message, so any other registration
                // failure (or a reworded one) is reported, not papered over.
                burn::tensor::wgpu::WgpuInitError::Registration { ref message }
                    if message.contains("already initialized") =>
                {
                    Ok(Device::wgpu(Default::default()))
                }
                other => Err(other.to_string()),
            })
        })
        .clone()
        .map_err(|reason| LsmiError::DeviceUnavailable {
            name: "wgpu".to_string(),
            reason,
        })
}
