//! Choosing the backend a subcommand computes on (`--device`).

use clap::ValueEnum;
use lsmi::burn::tensor::Device;

/// A burn backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeviceName {
    /// burn's flex backend on the CPU (the crate's default).
    Flex,
    /// burn's ndarray backend on the CPU (needs the `ndarray` feature).
    Ndarray,
    /// A GPU through wgpu, or Mesa's software Vulkan (needs the `wgpu` feature).
    Wgpu,
}

impl DeviceName {
    fn name(self) -> &'static str {
        match self {
            DeviceName::Flex => "flex",
            DeviceName::Ndarray => "ndarray",
            DeviceName::Wgpu => "wgpu",
        }
    }
}

/// The device `choice` names, or the first backend compiled in.
pub fn device(choice: Option<DeviceName>) -> Result<Device, String> {
    let name = match choice {
        Some(choice) => choice.name(),
        None => lsmi::backends()
            .first()
            .copied()
            .ok_or("this build has no backend (enable `flex`, `ndarray` or `wgpu`)")?,
    };
    lsmi::device(name).map_err(|err| err.to_string())
}
