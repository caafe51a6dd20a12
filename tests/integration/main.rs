//! The crate's integration tests, in one binary (burn test binaries are large).

mod applications;
mod centring;
mod classifier_search;
mod common;
mod em;
mod errors;
mod estimator;
mod gates;
mod knife;
mod online;
mod pairwise;
#[cfg(all(feature = "wgpu", feature = "ndarray"))]
mod parity;
mod properties;
mod robustness;
mod scale;
mod synthetic;

#[cfg(feature = "cli")]
mod cli;
#[cfg(feature = "cli")]
mod cli_pairwise;
#[cfg(feature = "cli")]
mod cli_support;
#[cfg(feature = "cli")]
mod score;

/// Without the feature the CLI tests are not compiled; say so in the test
/// output rather than passing silently.
#[cfg(not(feature = "cli"))]
#[test]
#[ignore = "the CLI tests need `--features cli`; `cargo test --all-features` runs every test"]
fn cli_tests_need_the_cli_feature() {}

/// The wgpu-vs-ndarray parity tests need both backends.
#[cfg(not(all(feature = "wgpu", feature = "ndarray")))]
#[test]
#[ignore = "the parity tests need `--features wgpu,ndarray`; `cargo test --all-features` runs every test"]
fn parity_tests_need_wgpu_and_ndarray() {}
