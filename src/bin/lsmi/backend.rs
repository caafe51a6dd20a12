//! Choosing the CPU backend a subcommand computes on (`--device`).

use clap::ValueEnum;
use lsmi::burn::tensor::Device;

/// A CPU backend of burn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeviceName {
    /// burn's flex backend (the crate's default).
    Flex,
    /// burn's ndarray backend (needs the `ndarray` feature).
    Ndarray,
}

impl DeviceName {
    fn name(self) -> &'static str {
        match self {
            DeviceName::Flex => "flex",
            DeviceName::Ndarray => "ndarray",
        }
    }
}

/// The device `choice` names, or the first one compiled in.
pub fn device(choice: Option<DeviceName>) -> Result<Device, String> {
    let available = lsmi::device::cpu_devices();
    let names: Vec<&str> = available.iter().map(|(name, _)| *name).collect();
    let found = match choice {
        Some(choice) => available
            .into_iter()
            .find(|(name, _)| *name == choice.name()),
        None => available.into_iter().next(),
    };
    found.map(|(_, device)| device).ok_or_else(|| {
        let wanted = choice.map_or("a CPU device".to_string(), |c| format!("device `{}`", c.name()));
        if names.is_empty() {
            format!("{wanted} is not available: this build has no CPU backend (enable the `flex` or `ndarray` feature)")
        } else {
            format!("{wanted} is not compiled into this build (available: {})", names.join(", "))
        }
    })
}
