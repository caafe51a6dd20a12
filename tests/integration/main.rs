//! The crate's integration tests, in one binary (burn test binaries are large).

mod common;
mod errors;
mod gates;
mod knife;
mod properties;

#[cfg(feature = "cli")]
mod cli;
