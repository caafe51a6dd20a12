//! The crate's integration tests, in one binary (burn test binaries are large).

mod common;
mod errors;
mod estimator;
mod gates;
mod knife;
mod online;
#[cfg(all(feature = "wgpu", feature = "ndarray"))]
mod parity;
mod properties;
mod synthetic;

#[cfg(feature = "cli")]
mod cli;
