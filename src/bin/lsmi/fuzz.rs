//! Fuzzing the readers: the `.npy` and CSV parsers and `decompose`'s input
//! checks, with proptest over arbitrary bytes and over structured files that
//! are valid or corrupted (random dtypes, shapes, header lengths, data lengths;
//! random separators, quotes, NaN, huge numbers, blank lines, a BOM).
//!
//! The property: whatever the bytes, reading returns `Ok` or an error message.
//! It never panics (proptest catches and shrinks a panic), never aborts (the
//! test binary would die), and makes no allocation out of proportion to the
//! input (every parse is measured by a per-thread allocation tracker, the
//! global allocator of this test binary). Valid files read back as written,
//! and clean inputs to `decompose` decompose.
//!
//! `cargo test --all-features` runs every property on a bounded number of
//! inputs (`DEFAULT_CASES` per reader property, `DEFAULT_DECOMPOSE_CASES` for
//! `decompose`: about a second). `LSMI_FUZZ_CASES` sets the number for every
//! property; the long run, 1 000 000 inputs for each of the seven properties:
//!
//! ```text
//! LSMI_FUZZ_CASES=1000000 cargo test --features cli --bin lsmi fuzz:: \
//!     -- --nocapture --test-threads 2
//! ```
//!
//! It takes 7–8 minutes of CPU with the test profile, whose dependencies are
//! optimised: 4 min 32 s to 11 min 22 s of wall time on 2 shared cores
//! (`--release` works too, after its own build of the burn stack).
//!
//! Coverage-guided fuzzing of the two parsers, for local runs (it needs
//! cargo-fuzz and nightly flags, so CI runs this file instead), is in `fuzz/`:
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run npy` (or `csv`) from the repository root.
//!
//! Each property prints how many inputs it ran, its seed and how long it
//! took. The seed is random unless `LSMI_FUZZ_SEED=<u64>` sets it (to replay a
//! run); a failure prints the seed and the shrunk failing input. Inputs that
//! once failed are the named tests in `regressions` at the end of this file.

use std::cell::Cell;
use std::path::Path;
use std::time::Instant;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRng, TestRunner};

use crate::decompose::{self, DecomposeArgs, Inputs, Prior};
use crate::input;
use crate::npy::{self, Values};
use crate::report::{CenteringArgs, OutputArgs};

/// Inputs per property in the ordinary test run.
const DEFAULT_CASES: u32 = 10_000;

/// Inputs per property for `decompose`, which computes on a device, in the
/// ordinary test run.
const DEFAULT_DECOMPOSE_CASES: u32 = 2_000;

/// The number of inputs per property: `LSMI_FUZZ_CASES`, else `default`.
fn cases(default: u32) -> u32 {
    match std::env::var("LSMI_FUZZ_CASES") {
        Ok(text) => text
            .trim()
            .replace('_', "")
            .parse()
            .unwrap_or_else(|_| panic!("LSMI_FUZZ_CASES={text:?} is not a count")),
        Err(_) => default,
    }
}

/// The seed of every property: `LSMI_FUZZ_SEED`, else a random one.
fn seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    match std::env::var("LSMI_FUZZ_SEED") {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("LSMI_FUZZ_SEED={text:?} is not a u64")),
        Err(_) => std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish(),
    }
}

/// Runs `test` on `cases` inputs from `strategy`; panics with the seed and the
/// shrunk input when one fails, and prints the count and the time otherwise.
fn fuzz<S: Strategy>(
    name: &str,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let seed = seed();
    let config = Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        // Shrinking a failure should not take minutes.
        max_shrink_iters: 10_000,
        // Failures become named tests in `regressions`, not files.
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let count = Cell::new(0u64);
    let start = Instant::now();
    let result = runner.run(&strategy, |value| {
        count.set(count.get() + 1);
        test(value)
    });
    if let Err(err) = result {
        panic!("fuzz {name} (LSMI_FUZZ_SEED={seed}): {err}");
    }
    eprintln!(
        "fuzz {name}: {} inputs, no failure, seed {seed}, {:.1} s",
        count.get(),
        start.elapsed().as_secs_f64()
    );
}

/// The largest single allocation each thread made since it was last reset.
mod tracker {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    thread_local! {
        static LARGEST: Cell<usize> = const { Cell::new(0) };
    }

    fn note(size: usize) {
        // A const-initialised `Cell` has no destructor: this never allocates
        // and never fails, even while the thread exits.
        let _ = LARGEST.try_with(|largest| largest.set(largest.get().max(size)));
    }

    /// The system allocator, noting the size of every request.
    struct Tracking;

    // SAFETY: every call is forwarded unchanged to `System`.
    unsafe impl GlobalAlloc for Tracking {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            note(layout.size());
            // SAFETY: the caller's contract is `System::alloc`'s.
            unsafe { System.alloc(layout) }
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            note(layout.size());
            // SAFETY: as for `alloc`.
            unsafe { System.alloc_zeroed(layout) }
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            note(new_size);
            // SAFETY: `ptr` came from `System` through this allocator.
            unsafe { System.realloc(ptr, layout, new_size) }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: `ptr` came from `System` through this allocator.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    #[global_allocator]
    static GLOBAL: Tracking = Tracking;

    /// Runs `f` and returns its value with the largest single allocation it
    /// made on this thread, in bytes.
    pub fn largest_allocation<T>(f: impl FnOnce() -> T) -> (T, usize) {
        LARGEST.with(|largest| largest.set(0));
        let value = f();
        (value, LARGEST.with(Cell::get))
    }
}

/// Decodes `bytes` as `input::decode` does and checks what every result must
/// satisfy: an `Ok` array holds as many values as its shape says, an error is
/// one non-empty line, and no allocation exceeds 64 bytes per input byte
/// (plus 4 KiB).
fn decode_checked(
    bytes: &[u8],
    npy_extension: bool,
) -> Result<Result<npy::Array, String>, TestCaseError> {
    let limit = 64 * bytes.len() + 4096;
    let (result, largest) =
        tracker::largest_allocation(|| input::decode(bytes.to_vec(), npy_extension));
    prop_assert!(
        largest <= limit,
        "an allocation of {largest} bytes for {} input bytes",
        bytes.len()
    );
    match &result {
        Ok(array) => {
            let len = match &array.values {
                Values::Float(v) => v.len(),
                Values::Int(v) => v.len(),
            };
            prop_assert_eq!(array.shape.iter().product::<usize>(), len);
        }
        Err(message) => {
            // One line, and no control character from the file reaches the
            // terminal.
            prop_assert!(!message.is_empty());
            prop_assert!(
                !message.chars().any(char::is_control),
                "a control character in {message:?}"
            );
        }
    }
    Ok(result)
}

// ---------------------------------------------------------------- .npy files

const MAGIC: &[u8] = b"\x93NUMPY";

/// A `.npy` file of format `version` around `header`, with `header_len` in the
/// length field when given (else the true length).
fn npy_file(version: u8, header: &str, header_len: Option<u32>, data: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend([version, 0]);
    let len = header_len.unwrap_or(header.len() as u32);
    if version == 1 {
        out.extend((len as u16).to_le_bytes());
    } else {
        out.extend(len.to_le_bytes());
    }
    out.extend(header.as_bytes());
    out.extend(data);
    out
}

/// A header as NumPy writes it, padded so the data starts at a multiple of 64.
fn npy_header(descr: &str, shape: &[usize]) -> String {
    let mut header = format!(
        "{{'descr': '{descr}', 'fortran_order': False, 'shape': {}, }}",
        npy::shape_text(shape)
    );
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    header
}

fn descr() -> impl Strategy<Value = String> {
    const READABLE: &[&str] = &[
        "<f4", "<f8", "<i1", "<i2", "<i4", "<i8", "|u1", "<u1", "<u2", "<u4", "<u8", "|i1", ">u1",
        "=f8", "=i4",
    ];
    const UNREADABLE: &[&str] = &[
        ">f8", ">i4", "|f4", "<f2", "<f16", "<c8", "<c16", "|b1", "?", "<U5", "|S3", "|O",
        "<M8[ns]", "<f", "f8", "<f04", "<f+4", "<i0", "<u3", "<", "", "<f4 ", "<\u{e9}4",
    ];
    prop_oneof![
        12 => select(READABLE).prop_map(String::from),
        3 => select(UNREADABLE).prop_map(String::from),
        1 => "[<>|=]?[a-zA-Z][0-9]{0,3}",
        1 => any::<String>(),
    ]
}

fn dimension() -> impl Strategy<Value = String> {
    const ODD: &[&str] = &[
        "1000000000000",
        "4294967296",
        "18446744073709551615",
        "18446744073709551616",
        "99999999999999999999999",
        "3L",
        "0L",
        "-1",
        "",
        "1.5",
        "0x10",
        "1_0",
        "1e3",
        "None",
        "(2,)",
        "2 3",
    ];
    prop_oneof![
        16 => (0usize..6).prop_map(|d| d.to_string()),
        2 => (0usize..100_000).prop_map(|d| d.to_string()),
        1 => select(ODD).prop_map(String::from),
    ]
}

/// A header dictionary: shuffled, sometimes missing or doubling keys, with
/// either quote, odd values and odd spacing.
fn npy_dictionary() -> impl Strategy<Value = String> {
    let shape =
        (vec(dimension(), 0..4), any::<bool>(), 0..16u8).prop_map(|(dims, trailing, form)| {
            let body = dims.join(", ");
            let trailing = if trailing || dims.len() == 1 { "," } else { "" };
            match form {
                0 => format!("[{body}]"),
                1 => body,
                _ => format!("({body}{trailing})"),
            }
        });
    let fortran = prop_oneof![
        12 => Just("False"),
        1 => select(&["True", "false", "0", "None", "''", "(False)"][..]),
    ];
    (
        descr(),
        fortran,
        shape,
        select(&["'", "'", "\""][..]),
        vec(0..6usize, 0..6),
        prop_oneof![12 => Just(vec![0usize, 1, 2]), 1 => vec(0..4usize, 0..5)],
        any::<bool>(),
        select(&["", " ", "  ", "\t", "\n"][..]),
    )
        .prop_map(|(descr, fortran, shape, q, perm, keys, trailing, space)| {
            let mut entries: Vec<String> = keys
                .iter()
                .map(|&key| match key {
                    0 => format!("{q}descr{q}:{space}{q}{descr}{q}"),
                    1 => format!("{q}fortran_order{q}: {fortran}"),
                    2 => format!("{q}shape{q}:{space}{shape}"),
                    _ => format!("{q}extra{q}: {q}x{q}"),
                })
                .collect();
            // A few swaps shuffle the keys.
            for (step, &with) in perm.iter().enumerate() {
                let len = entries.len();
                if len > 1 {
                    entries.swap(step % len, with % len);
                }
            }
            let comma = if trailing { ", " } else { "" };
            format!("{{{}{comma}}}", entries.join(&format!(",{space}")))
        })
}

/// The number of data bytes `header` asks for, when it is small and readable.
fn expected_data_len(header: &str) -> Option<usize> {
    let file = npy_file(1, header, None, &[]);
    match npy::parse(&file) {
        Err(message) => {
            let needed = message.rsplit("needs ").next()?;
            needed.parse().ok().filter(|&n: &usize| n <= 1 << 16)
        }
        Ok(_) => Some(0),
    }
}

/// Applies up to three random corruptions: a flipped byte, a truncation, an
/// inserted byte, a deleted range, a duplicated range.
fn corrupt(mut bytes: Vec<u8>, rng: &mut impl RngExt) -> Vec<u8> {
    for _ in 0..rng.random_range(1..=3) {
        let len = bytes.len();
        match rng.random_range(0..5) {
            0 if len > 0 => {
                let at = rng.random_range(0..len);
                bytes[at] ^= 1 << rng.random_range(0..8);
            }
            1 => bytes.truncate(rng.random_range(0..=len)),
            2 => bytes.insert(rng.random_range(0..=len), rng.random()),
            3 if len > 0 => {
                let start = rng.random_range(0..len);
                let end = rng.random_range(start..=len.min(start + 16));
                bytes.drain(start..end);
            }
            4 if len > 0 => {
                let start = rng.random_range(0..len);
                let end = rng.random_range(start..=len.min(start + 16));
                let copy = bytes[start..end].to_vec();
                let at = rng.random_range(0..=bytes.len());
                bytes.splice(at..at, copy);
            }
            _ => {}
        }
    }
    bytes
}

/// `.npy` files from random header dictionaries: the data has the length the
/// header asks for (or not), the header length field is true (or not), and some
/// files are corrupted.
fn npy_structured() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![20 => 1u8..=3, 1 => any::<u8>()],
        npy_dictionary(),
        0..64usize,
        select(&["\n", "\n", "", " \n", "\r\n", "\0"][..]),
        prop_oneof![
            16 => Just(None),
            1 => any::<u32>().prop_map(Some),
            1 => (0u32..4).prop_map(Some),
        ],
        prop_oneof![8 => Just(0i64), 2 => -9i64..9, 1 => any::<i16>().prop_map(i64::from)],
        prop_oneof![3 => Just(false), 1 => Just(true)],
    )
        .prop_perturb(
            |(version, dictionary, pad, end, header_len, delta, corrupted), mut rng| {
                let header = format!("{dictionary}{}{end}", " ".repeat(pad));
                let wanted = expected_data_len(&header).unwrap_or(16);
                let len = (wanted as i64 + delta).clamp(0, 1 << 17) as usize;
                let mut data = vec![0u8; len];
                rng.fill_bytes(&mut data);
                // Off-by-one header lengths for some files.
                let header_len = header_len.map(|h| {
                    if h < 4 {
                        (header.len() as u32).wrapping_add(h).wrapping_sub(2)
                    } else {
                        h
                    }
                });
                let file = npy_file(version, &header, header_len, &data);
                if corrupted {
                    corrupt(file, &mut rng)
                } else {
                    file
                }
            },
        )
}

/// A valid `.npy` array: the dtype, the shape, the data, and the values the
/// reader must return.
#[derive(Debug, Clone)]
struct ValidNpy {
    file: Vec<u8>,
    shape: Vec<usize>,
    values: Result<Values, ()>,
}

fn npy_valid() -> impl Strategy<Value = ValidNpy> {
    let float = prop_oneof![
        4 => -1e6f64..1e6,
        1 => select(&[0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, f64::MAX, f64::MIN_POSITIVE, 1e-310][..]),
        1 => any::<u64>().prop_map(f64::from_bits),
    ];
    let int = prop_oneof![
        4 => -300i64..300,
        1 => any::<i64>(),
        1 => select(&[i64::MIN, i64::MAX, -1, 0, 255, 256, 65535, 65536][..]),
    ];
    let values = prop_oneof![
        vec(float, 0..40).prop_map(Ok),
        vec(int, 0..40).prop_map(Err),
    ];
    (values, 0..20u8, 1..=3u8, 0..3u8).prop_map(|(values, dtype, version, rank)| {
        let (descr, data, expected) = match values {
            Ok(floats) if dtype % 2 == 0 => {
                let data: Vec<u8> = floats.iter().flat_map(|v| v.to_le_bytes()).collect();
                ("<f8", data, Ok(Values::Float(floats)))
            }
            Ok(floats) => {
                let narrow: Vec<f32> = floats.iter().map(|&v| v as f32).collect();
                let data = narrow.iter().flat_map(|v| v.to_le_bytes()).collect();
                let wide = narrow.iter().map(|&v| f64::from(v)).collect();
                ("<f4", data, Ok(Values::Float(wide)))
            }
            Err(ints) => {
                let (descr, size, signed) = [
                    ("<i1", 1, true),
                    ("<i2", 2, true),
                    ("<i4", 4, true),
                    ("<i8", 8, true),
                    ("|u1", 1, false),
                    ("<u2", 2, false),
                    ("<u4", 4, false),
                    ("<u8", 8, false),
                ][usize::from(dtype % 8)];
                let data: Vec<u8> = ints
                    .iter()
                    .flat_map(|v| v.to_le_bytes()[..size].to_vec())
                    .collect();
                let expected: Result<Vec<i64>, ()> = ints
                    .iter()
                    .map(|&v| {
                        let bits = 64 - 8 * size as u32;
                        if signed {
                            Ok(v.wrapping_shl(bits).wrapping_shr(bits))
                        } else {
                            i64::try_from((v as u64).wrapping_shl(bits).wrapping_shr(bits))
                                .map_err(|_| ())
                        }
                    })
                    .collect();
                (descr, data, expected.map(Values::Int))
            }
        };
        let n = match &expected {
            Ok(Values::Float(v)) => v.len(),
            Ok(Values::Int(v)) => v.len(),
            Err(()) => data.len() / descr[2..].parse::<usize>().unwrap(),
        };
        let shape = match rank {
            0 if n == 1 => vec![],
            2 if n % 2 == 0 => vec![n / 2, 2],
            2 => vec![1, n],
            _ => vec![n],
        };
        let file = npy_file(version, &npy_header(descr, &shape), None, &data);
        ValidNpy {
            file,
            shape,
            values: expected,
        }
    })
}

// ----------------------------------------------------------------- CSV files

fn csv_field() -> impl Strategy<Value = String> {
    const ODD: &[&str] = &[
        "NaN",
        "nan",
        "-nan",
        "inf",
        "-inf",
        "+inf",
        "Infinity",
        "1e400",
        "-1e400",
        "1e-400",
        "1e38",
        "3.5e38",
        "1e39",
        "-0",
        "-0.0",
        "+1",
        "1.",
        ".5",
        ".",
        "e5",
        "1e",
        "0x1F",
        "1_000",
        "99999999999999999999",
        "-9223372036854775808",
        "9223372036854775807",
        "9223372036854775808",
        "9007199254740993",
        "",
        " ",
        "\"1\"",
        "'2'",
        "\"a,b\"",
        "a",
        "Unnamed: 0",
        "1;2",
        "1\t2",
        "\u{feff}1",
        "\u{a0}1",
        "1\u{3000}",
        "١",
        "true",
    ];
    prop_oneof![
        6 => (-20i64..20).prop_map(|v| v.to_string()),
        3 => (-1e3f64..1e3).prop_map(|v| v.to_string()),
        1 => any::<i64>().prop_map(|v| v.to_string()),
        1 => any::<u64>().prop_map(|bits| format!("{:e}", f64::from_bits(bits))),
        1 => "[0-9]{30,400}(\\.[0-9]{0,400})?(e[+-]?[0-9]{1,5})?",
        4 => select(ODD).prop_map(String::from),
        1 => "[a-z_ ]{1,6}",
        1 => any::<String>(),
    ]
}

/// CSV text: rows of fields (ragged or not) with random separators, line
/// endings, blank lines, a header, a BOM; some files are corrupted.
fn csv_structured() -> impl Strategy<Value = Vec<u8>> {
    (
        1..5usize,
        vec(vec(csv_field(), 1..5), 0..8),
        prop_oneof![6 => Just(","), 1 => select(&[";", "\t", " ", ", ", ",,", "\"", ""][..])],
        select(&["\n", "\n", "\r\n", "\r", "\n\n", "\n \n", "\n\t\n"][..]),
        prop_oneof![3 => Just(None), 1 => vec("[a-zA-Z0-9_: ]{0,6}", 1..5).prop_map(Some)],
        prop_oneof![4 => Just(""), 1 => Just("\u{feff}"), 1 => Just("\u{feff}\u{feff}"), 1 => Just("\n\n")],
        any::<bool>(),
        prop_oneof![4 => Just(false), 1 => Just(true)],
    )
        .prop_perturb(
            |(cols, rows, sep, newline, header, prefix, final_newline, corrupted), mut rng| {
                let mut text = String::from(prefix);
                if let Some(header) = header {
                    text.push_str(&header.join(sep));
                    text.push_str(newline);
                }
                for (index, mut row) in rows.into_iter().enumerate() {
                    // Mostly rectangular tables.
                    if !rng.random_ratio(1, 8) {
                        row.resize(cols, "0".into());
                    }
                    text.push_str(&row.join(sep));
                    if index > 0 || final_newline {
                        text.push_str(newline);
                    }
                }
                let bytes = text.into_bytes();
                if corrupted {
                    corrupt(bytes, &mut rng)
                } else {
                    bytes
                }
            },
        )
}

/// A valid CSV table, with the values the reader must return.
#[derive(Debug, Clone)]
struct ValidCsv {
    text: String,
    shape: Vec<usize>,
    values: Values,
}

fn csv_valid() -> impl Strategy<Value = ValidCsv> {
    let value = prop_oneof![
        4 => (-1000i64..1000).prop_map(|v| v.to_string()),
        1 => any::<i64>().prop_map(|v| v.to_string()),
        2 => any::<f64>().prop_map(|v| v.to_string()),
        1 => select(&["NaN", "inf", "-inf", "1e400", "-0"][..]).prop_map(String::from),
    ];
    let name =
        "[a-z_][a-z0-9_]{0,5}".prop_filter("a name, not a number", |s| s.parse::<f64>().is_err());
    (
        1..5usize,
        1..8usize,
        vec(value, 40),
        prop::option::of(vec(name, 5)),
        any::<bool>(),
        select(&["\n", "\r\n"][..]),
        any::<bool>(),
    )
        .prop_map(|(cols, rows, values, header, bom, newline, spaces)| {
            let values = &values[..rows * cols];
            let mut text = String::from(if bom { "\u{feff}" } else { "" });
            let sep = if spaces { " , " } else { "," };
            if let Some(names) = header {
                text.push_str(&names[..cols].join(sep));
                text.push_str(newline);
            }
            for row in values.chunks(cols) {
                text.push_str(&row.join(sep));
                text.push_str(newline);
            }
            let ints: Option<Vec<i64>> = values.iter().map(|v| v.parse().ok()).collect();
            let values = match ints {
                Some(ints) => Values::Int(ints),
                None => Values::Float(values.iter().map(|v| v.parse().unwrap()).collect()),
            };
            ValidCsv {
                text,
                shape: vec![rows, cols],
                values,
            }
        })
}

/// Values equal bit for bit (NaN equals NaN).
fn same_values(a: &Values, b: &Values) -> bool {
    match (a, b) {
        (Values::Int(a), Values::Int(b)) => a == b,
        (Values::Float(a), Values::Float(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
        }
        _ => false,
    }
}

// ------------------------------------------------------- decompose's inputs

/// One input file of `decompose`: its bytes and whether it is named `.npy`.
#[derive(Debug, Clone)]
struct File {
    bytes: Vec<u8>,
    npy_extension: bool,
}

/// The six files of one `decompose` call, its options, and whether the inputs
/// are clean (consistent, finite, moderate, every class present), so that the
/// decomposition must succeed.
#[derive(Debug, Clone)]
struct DecomposeCase {
    files: [File; 6],
    prior: Prior,
    adjust: bool,
    centered: bool,
    clean: bool,
}

/// `count` moderate numbers, one of them now and then replaced by something
/// the checks refuse (or might).
fn elements(count: usize, rng: &mut impl RngExt, clean: &mut bool) -> Vec<f64> {
    const ODD: [f64; 10] = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1e30,
        -1e31,
        3.5e38,
        1e39,
        -1e300,
        f64::MAX,
        f64::MIN_POSITIVE,
    ];
    let mut values: Vec<f64> = (0..count).map(|_| rng.random_range(-20.0..20.0)).collect();
    if count > 0 && rng.random_ratio(1, 12) {
        *clean = false;
        values[rng.random_range(0..count)] = ODD[rng.random_range(0..ODD.len())];
    }
    values
}

/// Writes `values` (`rows × cols`, `cols` 0 for a 1-D array) as a file: `.npy`
/// of a random dtype or CSV, with or without a header.
fn write_file(
    values: &[f64],
    rows: usize,
    cols: usize,
    ints: bool,
    rng: &mut impl RngExt,
    clean: &mut bool,
) -> File {
    let shape = if cols == 0 {
        if rng.random_bool(0.5) {
            vec![rows]
        } else {
            vec![rows, 1]
        }
    } else {
        vec![rows, cols]
    };
    if rng.random_bool(0.5) {
        // Float labels and integer logits, now and then.
        let wrong_kind = rng.random_ratio(1, 20);
        let (descr, data): (&str, Vec<u8>) = match (ints != wrong_kind, rng.random_range(0..4)) {
            (true, 0) => ("|u1", values.iter().map(|&v| v as u8).collect()),
            (true, 1) => (
                "<i4",
                values
                    .iter()
                    .flat_map(|&v| (v as i32).to_le_bytes())
                    .collect(),
            ),
            (true, _) => (
                "<i8",
                values
                    .iter()
                    .flat_map(|&v| (v as i64).to_le_bytes())
                    .collect(),
            ),
            (false, 0) => (
                "<f4",
                values
                    .iter()
                    .flat_map(|&v| (v as f32).to_le_bytes())
                    .collect(),
            ),
            (false, _) => ("<f8", values.iter().flat_map(|v| v.to_le_bytes()).collect()),
        };
        // Float labels and integer logits are refused; u1 wraps negatives.
        let odd =
            wrong_kind || (descr == "|u1" && values.iter().any(|&v| !(0.0..256.0).contains(&v)));
        if odd {
            *clean = false;
        }
        let shape = if rng.random_ratio(1, 30) {
            *clean = false;
            vec![rows + 1]
        } else {
            shape
        };
        File {
            bytes: npy_file(1, &npy_header(descr, &shape), None, &data),
            npy_extension: rng.random_bool(0.5),
        }
    } else {
        let mut text = String::new();
        let width = cols.max(1);
        if rng.random_bool(0.5) {
            let names: Vec<String> = (0..width).map(|j| format!("c{j}")).collect();
            text.push_str(&names.join(","));
            text.push('\n');
        }
        for row in values.chunks(width) {
            let fields: Vec<String> = row
                .iter()
                .map(|&v| {
                    if ints && rng.random_bool(0.2) {
                        format!("{v:.1}")
                    } else {
                        v.to_string()
                    }
                })
                .collect();
            text.push_str(&fields.join(","));
            text.push('\n');
        }
        File {
            bytes: text.into_bytes(),
            npy_extension: false,
        }
    }
}

fn decompose_case() -> impl Strategy<Value = DecomposeCase> {
    (
        prop_oneof![20 => 1..8usize, 2 => 8..100usize, 1 => Just(0usize)],
        prop_oneof![20 => 2..5usize, 2 => 5..40usize, 1 => 0..2usize],
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop_oneof![10 => Just(false), 1 => Just(true)],
    )
        .prop_perturb(
            |(n, classes, uniform, adjust, centered, corrupted), mut rng| {
                let mut clean = n > 0 && classes >= 2 && !corrupted;
                // Now and then one file's length or width differs.
                let size = |base: usize, rng: &mut TestRng, clean: &mut bool| {
                    if rng.random_ratio(1, 25) {
                        *clean = false;
                        (base + rng.random_range(1..3)) % 9
                    } else {
                        base
                    }
                };
                let label_count = size(n, &mut rng, &mut clean);
                let mut labels: Vec<f64> = (0..label_count)
                    .map(|i| {
                        if classes > 0 && i < classes && label_count >= classes {
                            i as f64
                        } else {
                            rng.random_range(0..classes.max(1)) as f64
                        }
                    })
                    .collect();
                if label_count < classes && !uniform {
                    clean = false; // a class without samples
                }
                if rng.random_ratio(1, 12) && !labels.is_empty() {
                    clean = false;
                    let at = rng.random_range(0..labels.len());
                    labels[at] = [-1.0, classes as f64, 0.5, 9.007e15, 1e19, -1e19, f64::NAN]
                        [rng.random_range(0..7)];
                }
                let mut files = Vec::with_capacity(6);
                files.push(write_file(
                    &labels,
                    label_count,
                    0,
                    true,
                    &mut rng,
                    &mut clean,
                ));
                for _ in 0..3 {
                    let rows = size(n, &mut rng, &mut clean);
                    let cols = size(classes, &mut rng, &mut clean);
                    let values = elements(rows * cols, &mut rng, &mut clean);
                    files.push(write_file(&values, rows, cols, false, &mut rng, &mut clean));
                }
                for _ in 0..2 {
                    let rows = size(n, &mut rng, &mut clean);
                    let values = elements(rows, &mut rng, &mut clean);
                    files.push(write_file(&values, rows, 0, false, &mut rng, &mut clean));
                }
                if corrupted {
                    let at = rng.random_range(0..6);
                    let file: &mut File = &mut files[at];
                    file.bytes = corrupt(std::mem::take(&mut file.bytes), &mut rng);
                }
                DecomposeCase {
                    files: files.try_into().expect("six files"),
                    prior: if uniform {
                        Prior::Uniform
                    } else {
                        Prior::Empirical
                    },
                    adjust,
                    centered,
                    clean,
                }
            },
        )
}

/// `decompose` from the files of `case`, as the CLI reads and checks them, up
/// to the text it would write.
fn run_decompose(
    case: &DecomposeCase,
    device: &lsmi::burn::tensor::Device,
) -> Result<(usize, String), String> {
    let args = DecomposeArgs {
        labels: "labels.csv".into(),
        logits1: "logits1.npy".into(),
        logits2: "logits2.npy".into(),
        logits12: "logits12.npy".into(),
        h1: "h1.csv".into(),
        h2: "h2.csv".into(),
        prior: case.prior,
        output: OutputArgs {
            adjust: case.adjust,
            centering: CenteringArgs {
                centered: case.centered,
            },
            device: None,
            out: "out.csv".into(),
            summary: "summary.json".into(),
            per_class: None,
        },
    };
    let decode = |file: &File, path: &Path| {
        input::decode(file.bytes.clone(), file.npy_extension)
            .map_err(|e| input::file_error(path, e))
    };
    let [labels, logits1, logits2, logits12, h1, h2] = &case.files;
    let layout = input::LOGITS_LAYOUT;
    let inputs = Inputs {
        labels: input::labels_of(&args.labels, decode(labels, &args.labels)?)?,
        logits1: input::matrix_of(
            &args.logits1,
            decode(logits1, &args.logits1)?,
            "logits1",
            layout,
        )?,
        logits2: input::matrix_of(
            &args.logits2,
            decode(logits2, &args.logits2)?,
            "logits2",
            layout,
        )?,
        logits12: input::matrix_of(
            &args.logits12,
            decode(logits12, &args.logits12)?,
            "logits12",
            layout,
        )?,
        h1: input::vector_of(&args.h1, decode(h1, &args.h1)?, "h1")?,
        h2: input::vector_of(&args.h2, decode(h2, &args.h2)?, "h2")?,
    };
    let n = inputs.labels.len();
    let results = decompose::compute_from(&args, inputs, device)?;
    let text = results.per_sample_csv() + &results.summary_json() + &results.means_table();
    Ok((n, text))
}

// ------------------------------------------------------------------ the runs

#[test]
fn npy_arbitrary_bytes() {
    let bytes = prop_oneof![
        vec(any::<u8>(), 0..600),
        // Past the magic string, into the version and the header length.
        vec(any::<u8>(), 0..600).prop_map(|tail| [MAGIC, &tail].concat()),
        (1u8..=3, vec(any::<u8>(), 0..600)).prop_map(|(version, tail)| {
            let mut file = MAGIC.to_vec();
            file.extend([version, 0]);
            file.extend(tail);
            file
        }),
    ];
    fuzz(
        "npy: arbitrary bytes",
        cases(DEFAULT_CASES),
        bytes,
        |bytes| decode_checked(&bytes, true).map(drop),
    );
}

#[test]
fn npy_structured_and_corrupted() {
    fuzz(
        "npy: structured, corrupted",
        cases(DEFAULT_CASES),
        npy_structured(),
        |bytes| decode_checked(&bytes, true).map(drop),
    );
}

#[test]
fn npy_valid_files_read_back() {
    fuzz(
        "npy: valid files",
        cases(DEFAULT_CASES),
        npy_valid(),
        |valid| {
            let result = decode_checked(&valid.file, false)?;
            match (result, &valid.values) {
                (Ok(array), Ok(values)) => {
                    prop_assert_eq!(&array.shape, &valid.shape);
                    prop_assert!(
                        same_values(&array.values, values),
                        "{:?} != {values:?}",
                        array.values
                    );
                }
                (Err(message), Err(())) => {
                    prop_assert!(message.contains("does not fit in i64"), "{message}")
                }
                (result, _) => prop_assert!(false, "{result:?} for {valid:?}"),
            }
            Ok(())
        },
    );
}

#[test]
fn csv_arbitrary_bytes() {
    let bytes = prop_oneof![
        vec(any::<u8>(), 0..600),
        any::<String>().prop_map(String::into_bytes),
        "[0-9eE.,+\\-naNifINF \t\r\n\"';_x\u{feff}\u{a0}]{0,300}".prop_map(String::into_bytes),
    ];
    fuzz(
        "csv: arbitrary bytes",
        cases(DEFAULT_CASES),
        bytes,
        |bytes| decode_checked(&bytes, false).map(drop),
    );
}

#[test]
fn csv_structured_and_corrupted() {
    fuzz(
        "csv: structured, corrupted",
        cases(DEFAULT_CASES),
        csv_structured(),
        |bytes| decode_checked(&bytes, false).map(drop),
    );
}

#[test]
fn csv_valid_files_read_back() {
    fuzz(
        "csv: valid files",
        cases(DEFAULT_CASES),
        csv_valid(),
        |valid| {
            let array = decode_checked(valid.text.as_bytes(), false)?
                .map_err(|e| TestCaseError::fail(format!("{e} for {valid:?}")))?;
            prop_assert_eq!(&array.shape, &valid.shape);
            prop_assert!(
                same_values(&array.values, &valid.values),
                "{:?} != {:?}",
                array.values,
                valid.values
            );
            Ok(())
        },
    );
}

#[test]
fn decompose_inputs() {
    let device = crate::backend::device(None).expect("a CPU backend");
    let ok = Cell::new(0u64);
    fuzz(
        "decompose: inputs",
        cases(DEFAULT_DECOMPOSE_CASES),
        decompose_case(),
        |case| {
            match run_decompose(&case, &device) {
                Ok((n, text)) => {
                    ok.set(ok.get() + 1);
                    // One line per sample and a header, then the JSON and the table.
                    prop_assert_eq!(
                        text.lines().take_while(|l| !l.starts_with('{')).count(),
                        n + 1
                    );
                    prop_assert!(!text.contains("NaN") && !text.contains("inf"), "{text}");
                }
                Err(message) => {
                    prop_assert!(!case.clean, "clean inputs failed: {message}\n{case:?}");
                    prop_assert!(
                        !message.is_empty() && !message.chars().any(char::is_control),
                        "{message:?}"
                    );
                }
            }
            Ok(())
        },
    );
    eprintln!("fuzz decompose: inputs: {} decomposed", ok.get());
}

// ----------------------------------------------------------- named inputs

/// A header claiming a huge shape is refused before anything is allocated for
/// it: the largest allocation stays under 64 KiB.
#[test]
fn huge_npy_shapes_are_refused_without_allocating() {
    for (shape, data, expected) in [
        ("(1000000000000, 1000000000000)", 0, "too large"),
        ("(18446744073709551615, 2)", 8, "too large"),
        ("(1000000, 1000000)", 8, "needs 8000000000000"),
        ("(4294967296,)", 0, "needs 34359738368"),
        ("(0, 1000000000000000000)", 8, "needs 0"),
    ] {
        let header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}\n");
        let file = npy_file(1, &header, None, &vec![0; data]);
        let (result, largest) = tracker::largest_allocation(|| npy::parse(&file));
        let err = result.unwrap_err();
        assert!(err.contains(expected), "{shape}: {err}");
        assert!(
            largest < 64 << 10,
            "{shape}: an allocation of {largest} bytes"
        );
    }
    // A header length field of 4 GiB over a short file.
    let mut file = MAGIC.to_vec();
    file.extend([2, 0, 0xff, 0xff, 0xff, 0xff]);
    let (result, largest) = tracker::largest_allocation(|| npy::parse(&file));
    assert!(result.unwrap_err().contains("truncated"));
    assert!(largest < 64 << 10, "an allocation of {largest} bytes");
}

/// The tracker sees allocations: the bound above is not vacuous.
#[test]
fn the_allocation_tracker_sees_allocations() {
    let (v, largest) = tracker::largest_allocation(|| vec![0u8; 1 << 20]);
    assert_eq!(v.len(), 1 << 20);
    assert!(largest >= 1 << 20);
}

/// Inputs the fuzzer found, each a test of its own.
mod regressions {
    use super::*;

    /// Found by `npy_structured_and_corrupted`: a version-2 header whose `{`
    /// had become DEL (0x7f) was quoted raw in the error, so an ESC in a header
    /// reached the terminal. The message now escapes the character.
    #[test]
    fn a_control_character_in_an_npy_header_is_escaped() {
        let mut header =
            b"{'descr': '<f4', 'fortran_order': True, 'sescr': '<fhape': (0,), }".to_vec();
        header.resize(120, b' ');
        header.push(b'\n');
        for first in [0x7f, 0x1b, 0x07, 0] {
            header[0] = first;
            let mut file = MAGIC.to_vec();
            file.extend([2, 0]);
            file.extend((header.len() as u32).to_le_bytes());
            file.extend(&header);
            file.extend([67, 140, 16, 79]);
            let err = npy::parse(&file).unwrap_err();
            assert!(!err.chars().any(char::is_control), "{err:?}");
            assert!(err.contains("expected '{' at offset 0, found '\\"), "{err}");
        }
    }
}
