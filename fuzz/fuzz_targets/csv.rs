//! libFuzzer on the CLI's CSV reader (`src/bin/lsmi/csv.rs`, included as is).
//!
//! ```text
//! cargo install cargo-fuzz
//! RUSTC_BOOTSTRAP=1 cargo fuzz run csv -- -max_total_time=60
//! ```
//!
//! `RUSTC_BOOTSTRAP=1` lets a stable toolchain take cargo-fuzz's nightly flags
//! (`-Zsanitizer=address` and coverage instrumentation); with nightly it is not
//! needed. A failing input is written under `fuzz/artifacts/csv/`.
#![no_main]

#[path = "../../src/bin/lsmi/npy.rs"]
#[allow(dead_code)]
mod npy;

#[path = "../../src/bin/lsmi/csv.rs"]
mod csv;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // The CLI reads a file that is not `.npy` as UTF-8 text.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match csv::parse(text) {
        Ok(array) => {
            let len = match &array.values {
                npy::Values::Float(v) => v.len(),
                npy::Values::Int(v) => v.len(),
            };
            assert_eq!(array.shape.iter().product::<usize>(), len);
        }
        Err(message) => assert!(!message.chars().any(char::is_control), "{message:?}"),
    }
});
