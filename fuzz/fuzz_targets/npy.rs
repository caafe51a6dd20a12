//! libFuzzer on the CLI's `.npy` reader (`src/bin/lsmi/npy.rs`, included as is).
//!
//! ```text
//! cargo install cargo-fuzz
//! RUSTC_BOOTSTRAP=1 cargo fuzz run npy -- -max_total_time=60
//! ```
//!
//! `RUSTC_BOOTSTRAP=1` lets a stable toolchain take cargo-fuzz's nightly flags
//! (`-Zsanitizer=address` and coverage instrumentation); with nightly it is not
//! needed. A failing input is written under `fuzz/artifacts/npy/`.
#![no_main]

#[path = "../../src/bin/lsmi/npy.rs"]
#[allow(dead_code)]
mod npy;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // Ok or a one-line error without bytes that would reach the terminal raw.
    if let Err(message) = npy::parse(data) {
        assert!(!message.chars().any(char::is_control), "{message:?}");
    }
});
