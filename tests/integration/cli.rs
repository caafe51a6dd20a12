//! The `lsmi` binary, run as a user would: exact gate tables, `decompose` round
//! trips on files built from the exact oracle, `entropy` against a Gaussian's
//! closed form, and one-line errors that leave no output behind.

use std::path::{Path, PathBuf};
use std::process::Output;

use lsmi::Gate;
use serde_json::Value;

use crate::cli_support::{
    Dtype, TempDir, as_f64, failed, lsmi, npy_bytes, printed_entropy, read_json, run_decompose,
    run_entropy, run_estimate, run_score, stdout, write_gaussian_inputs, write_npy,
};
use crate::common::reference_shift;

const LN2: f64 = std::f64::consts::LN_2;

// ---------------------------------------------------------------- helpers

fn write_csv(path: &Path, header: &str, cols: usize, values: &[f64]) {
    let mut text = format!("{header}\n");
    for row in values.chunks(cols) {
        let row: Vec<String> = row.iter().map(|v| v.to_string()).collect();
        text.push_str(&row.join(","));
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

/// One sample per event of a gate's exact pmf (all built-in gates have
/// equiprobable events, so the samples' label frequencies are the true p(y)).
/// Logits are `ln p(y|·)`, with −30 standing for `ln 0`.
struct GateData {
    n: usize,
    classes: usize,
    labels: Vec<f64>,
    logits1: Vec<f64>,
    logits2: Vec<f64>,
    logits12: Vec<f64>,
    h1: Vec<f64>,
    h2: Vec<f64>,
}

fn gate_data(gate: Gate) -> GateData {
    let exact = gate.pmf().decompose();
    let events = exact.events();
    let rows: Vec<_> = exact.interactions().rows().collect();
    let classes = gate.num_classes();
    let p0 = events[0].p;
    assert!(
        events.iter().all(|e| (e.p - p0).abs() < 1e-12),
        "equiprobable events"
    );
    let log_posterior = |given: &dyn Fn(&lsmi::OracleEvent) -> bool| -> Vec<f64> {
        let mut mass = vec![0.0; classes];
        for e in events.iter().filter(|e| given(e)) {
            mass[e.y] += e.p;
        }
        let total: f64 = mass.iter().sum();
        mass.iter()
            .map(|&m| if m > 0.0 { (m / total).ln() } else { -30.0 })
            .collect()
    };
    let mut data = GateData {
        n: events.len(),
        classes,
        labels: Vec::new(),
        logits1: Vec::new(),
        logits2: Vec::new(),
        logits12: Vec::new(),
        h1: Vec::new(),
        h2: Vec::new(),
    };
    for (e, row) in events.iter().zip(&rows) {
        data.labels.push(e.y as f64);
        data.logits1.extend(log_posterior(&|o| o.x1 == e.x1));
        data.logits2.extend(log_posterior(&|o| o.x2 == e.x2));
        data.logits12
            .extend(log_posterior(&|o| o.x1 == e.x1 && o.x2 == e.x2));
        data.h1.push(*row.terms().h1());
        data.h2.push(*row.terms().h2());
    }
    data
}

/// The six input files of `decompose`, written as `.npy` with the given dtypes.
fn write_inputs_npy(dir: &TempDir, data: &GateData, float: Dtype, label: Dtype) -> Vec<PathBuf> {
    let (n, c) = (data.n, data.classes);
    let files = [
        ("labels.npy", label, vec![n], &data.labels),
        ("logits1.npy", float, vec![n, c], &data.logits1),
        ("logits2.npy", float, vec![n, c], &data.logits2),
        ("logits12.npy", float, vec![n, c], &data.logits12),
        ("h1.npy", float, vec![n], &data.h1),
        ("h2.npy", float, vec![n], &data.h2),
    ];
    files
        .into_iter()
        .map(|(name, dtype, shape, values)| {
            let path = dir.path(name);
            write_npy(&path, dtype, &shape, values);
            path
        })
        .collect()
}

fn write_inputs_csv(dir: &TempDir, data: &GateData) -> Vec<PathBuf> {
    let c = data.classes;
    let header: Vec<String> = (0..c).map(|k| format!("class{k}")).collect();
    let header = header.join(",");
    let files = [
        ("labels.csv", "label", 1, &data.labels),
        ("logits1.csv", header.as_str(), c, &data.logits1),
        ("logits2.csv", header.as_str(), c, &data.logits2),
        ("logits12.csv", header.as_str(), c, &data.logits12),
        ("h1.csv", "h1", 1, &data.h1),
        ("h2.csv", "h2", 1, &data.h2),
    ];
    files
        .into_iter()
        .map(|(name, header, cols, values)| {
            let path = dir.path(name);
            write_csv(&path, header, cols, values);
            path
        })
        .collect()
}

/// The per-sample CSV as (header, rows of numbers).
fn read_per_sample(path: &Path) -> (Vec<String>, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    (header, rows)
}

fn num(value: &Value, key: &str) -> f64 {
    value[key]
        .as_f64()
        .unwrap_or_else(|| panic!("`{key}` is not a number in {value}"))
}

fn assert_close(found: f64, expected: f64, tol: f64, what: &str) {
    assert!(
        (found - expected).abs() <= tol,
        "{what}: found {found}, expected {expected} (tolerance {tol})"
    );
}

/// `keys` occur in `text` (as `"key":`) in this order.
fn assert_key_order(text: &str, keys: &[&str]) {
    let positions: Vec<usize> = keys
        .iter()
        .map(|k| {
            text.find(&format!("\"{k}\":"))
                .unwrap_or_else(|| panic!("{k} missing from {text}"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "order of {keys:?} in {text}"
    );
}

const COLUMNS: [&str; 12] = [
    "r", "u1", "u2", "s", "r_plus", "r_minus", "h1", "h2", "i1", "i2", "i12", "label",
];

/// The keys of the summary JSON of `decompose` and `estimate`, in order.
/// (`centering` follows `centered` only with `--centered`.)
const SUMMARY_KEYS: [&str; 17] = [
    "n",
    "R",
    "U1",
    "U2",
    "S",
    "H1",
    "H2",
    "I1",
    "I2",
    "I12",
    "same_min_fractions",
    "same_min_fraction",
    "mean_h_gap",
    "centered",
    "same_min_fractions_by_variant",
    "adjust_shift",
    "units",
];

// ---------------------------------------------------------------- gates

#[test]
fn gates_json_is_one_object_with_the_exact_means() {
    let text = stdout(&lsmi(&["gates", "--adjust", "--json"]));
    let adjusted: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(adjusted.as_object().unwrap().len(), Gate::ALL.len());
    let names: Vec<&str> = Gate::ALL.iter().map(|g| g.name()).collect();
    assert_key_order(&text, &names);
    let or = &adjusted["OR"];
    for (key, value) in [("R", 0.215762), ("U1", 0.0), ("U2", 0.0), ("S", 0.346574)] {
        assert_close(num(or, key), value, 1e-6, &format!("adjusted OR {key}"));
    }
    assert!(or.get("shift").is_some(), "--adjust reports the shift");

    let raw: Value = serde_json::from_str(&stdout(&lsmi(&["gates", "--json"]))).unwrap();
    let xor = &raw["XOR"];
    for (key, value) in [("R", 0.0), ("U1", 0.0), ("U2", 0.0), ("S", LN2)] {
        assert_close(num(xor, key), value, 1e-6, &format!("raw XOR {key}"));
    }
    // Every gate agrees with the library's oracle.
    for gate in Gate::ALL {
        let oracle = gate.pmf().decompose();
        let m = oracle.summary();
        let entry = &raw[gate.name()];
        for (key, value) in [("R", m.r), ("U1", m.u1), ("U2", m.u2), ("S", m.s)] {
            assert_close(
                num(entry, key),
                value,
                1e-12,
                &format!("{} {key}", gate.name()),
            );
        }
    }
}

#[test]
fn gates_json_events_are_listed_per_gate() {
    let json: Value =
        serde_json::from_str(&stdout(&lsmi(&["gates", "--json", "--events"]))).unwrap();
    for gate in Gate::ALL {
        let events = json[gate.name()]["events"].as_array().unwrap();
        assert_eq!(
            events.len(),
            gate.pmf().decompose().events().len(),
            "{}",
            gate.name()
        );
        for e in events {
            let sum = num(e, "r") + num(e, "u1") + num(e, "u2") + num(e, "s");
            assert_close(sum, num(e, "i12"), 1e-12, "r + u1 + u2 + s = i12");
        }
    }
}

#[test]
fn gates_tables_mention_every_gate() {
    let plain = stdout(&lsmi(&["gates"]));
    let events = stdout(&lsmi(&["gates", "--events"]));
    let adjusted = stdout(&lsmi(&["gates", "--adjust", "--events"]));
    for gate in Gate::ALL {
        for text in [&plain, &events, &adjusted] {
            assert!(
                text.lines()
                    .any(|l| l.split_whitespace().next() == Some(gate.name())),
                "{} missing from\n{text}",
                gate.name()
            );
        }
    }
    assert!(events.contains("i12") && events.contains("x1"), "{events}");
    assert!(adjusted.contains("shift"), "{adjusted}");
    // 6 decimals, aligned: every data line of the plain table has the same width.
    let widths: Vec<usize> = plain.lines().map(str::len).collect();
    assert!(widths.windows(2).all(|w| w[0] == w[1]), "{plain}");
    assert!(plain.contains("0.693147"), "{plain}");
}

#[test]
fn help_describes_the_subcommands() {
    let help = stdout(&lsmi(&["--help"]));
    assert!(
        ["gates", "decompose", "entropy", "estimate"]
            .iter()
            .all(|command| help.contains(command)),
        "{help}"
    );
    let help = stdout(&lsmi(&["entropy", "--help"]));
    for flag in [
        "--x",
        "--kernels",
        "--epochs",
        "--preset",
        "--seed",
        "--device",
        "--out",
    ] {
        assert!(help.contains(flag), "{flag} missing from\n{help}");
    }
    let help = stdout(&lsmi(&["estimate", "--help"]));
    for flag in [
        "--x1",
        "--x2",
        "--labels",
        "--classes",
        "--preset",
        "--folds",
        "--in-sample",
        "--seed",
        "--adjust",
        "--device",
        "--out",
        "--summary",
    ] {
        assert!(help.contains(flag), "{flag} missing from\n{help}");
    }
    let help = stdout(&lsmi(&["decompose", "--help"]));
    for flag in [
        "--labels",
        "--logits12",
        "--h2",
        "--prior",
        "--adjust",
        "--out",
        "--summary",
    ] {
        assert!(help.contains(flag), "{flag} missing from\n{help}");
    }
}

// ---------------------------------------------------------------- decompose

/// Checks identities per row, the oracle values, and that the JSON means are the
/// CSV column means.
fn check_outputs(gate: Gate, out: &Path, summary: &Path, adjust: bool) {
    let exact = gate.pmf().decompose();
    let exact = if adjust { exact.adjusted() } else { exact };
    let (header, rows) = read_per_sample(out);
    assert_eq!(header, COLUMNS);
    assert_eq!(rows.len(), exact.events().len());
    let events = exact.events().iter().zip(exact.interactions().rows());
    for (row, (event, e)) in rows.iter().zip(events) {
        let [r, u1, u2, s, r_plus, r_minus, h1, h2, i1, i2, i12, label] = row[..] else {
            panic!("12 columns")
        };
        let tol = 1e-5;
        assert_close(r + u1, i1, tol, "r + u1 = i1");
        assert_close(r + u2, i2, tol, "r + u2 = i2");
        assert_close(r + u1 + u2 + s, i12, tol, "r + u1 + u2 + s = i12");
        assert_close(
            r_plus - r_minus + if adjust { exact.shift() } else { 0.0 },
            r,
            tol,
            "r",
        );
        for (found, expected, what) in [
            (r, *e.r(), "r"),
            (u1, *e.u1(), "u1"),
            (u2, *e.u2(), "u2"),
            (s, *e.s(), "s"),
            (h1, *e.terms().h1(), "h1"),
            (h2, *e.terms().h2(), "h2"),
            (i1, *e.terms().i1(), "i1"),
            (i2, *e.terms().i2(), "i2"),
            (i12, *e.terms().i12(), "i12"),
            (label, event.y as f64, "label"),
        ] {
            assert_close(
                found,
                expected,
                tol,
                &format!("{} event {what}", gate.name()),
            );
        }
    }
    let json = read_json(summary);
    assert_eq!(json["n"].as_u64(), Some(rows.len() as u64));
    assert_eq!(json["units"].as_str(), Some("nats"));
    let shift = num(&json, "adjust_shift");
    assert_close(
        shift,
        if adjust { exact.shift() } else { 0.0 },
        1e-5,
        "adjust_shift",
    );
    for (key, col) in [
        ("R", 0),
        ("U1", 1),
        ("U2", 2),
        ("S", 3),
        ("H1", 6),
        ("H2", 7),
        ("I1", 8),
        ("I2", 9),
        ("I12", 10),
    ] {
        let mean = rows.iter().map(|r| r[col]).sum::<f64>() / rows.len() as f64;
        assert_close(
            num(&json, key),
            mean,
            1e-6,
            &format!("{key} = mean of the CSV column"),
        );
    }
    let m = exact.summary();
    for (key, value) in [("R", m.r), ("U1", m.u1), ("U2", m.u2), ("S", m.s)] {
        assert_close(
            num(&json, key),
            value,
            1e-5,
            &format!("{} {key}", gate.name()),
        );
    }
}

#[test]
fn decompose_round_trips_every_gate_oracle() {
    for gate in Gate::ALL {
        for adjust in [false, true] {
            let dir = TempDir::new("roundtrip");
            let inputs = write_inputs_npy(&dir, &gate_data(gate), Dtype::F32, Dtype::I64);
            let (out, summary) = (dir.path("per_sample.csv"), dir.path("summary.json"));
            let extra: &[&str] = if adjust { &["--adjust"] } else { &[] };
            let printed = stdout(&run_decompose(&inputs, &out, &summary, extra));
            assert!(printed.contains("adjust_shift"), "{printed}");
            check_outputs(gate, &out, &summary, adjust);
        }
    }
}

#[test]
fn decompose_or_gate_adjusted_matches_the_paper() {
    let dir = TempDir::new("or");
    let inputs = write_inputs_npy(&dir, &gate_data(Gate::Or), Dtype::F32, Dtype::I64);
    let (out, summary) = (dir.path("per_sample.csv"), dir.path("summary.json"));
    stdout(&run_decompose(
        &inputs,
        &out,
        &summary,
        &["--adjust", "--prior", "empirical"],
    ));
    let json = read_json(&summary);
    for (key, value) in [("R", 0.215762), ("U1", 0.0), ("U2", 0.0), ("S", 0.346574)] {
        assert_close(num(&json, key), value, 1e-5, &format!("OR {key}"));
    }
    assert_eq!(json.as_object().unwrap().len(), SUMMARY_KEYS.len());
    assert_key_order(&std::fs::read_to_string(&summary).unwrap(), &SUMMARY_KEYS);
}

#[test]
fn decompose_uniform_prior_keeps_the_identities() {
    // Balanced labels (XOR): the uniform prior equals the empirical one.
    let dir = TempDir::new("uniform");
    let inputs = write_inputs_npy(&dir, &gate_data(Gate::Xor), Dtype::F32, Dtype::I64);
    let (out, summary) = (dir.path("per_sample.csv"), dir.path("summary.json"));
    stdout(&run_decompose(
        &inputs,
        &out,
        &summary,
        &["--prior", "uniform"],
    ));
    check_outputs(Gate::Xor, &out, &summary, false);

    // Unbalanced labels (OR): i(x;y) moves by ln(p_emp(y)·C) but identities hold.
    let dir = TempDir::new("uniform-or");
    let inputs = write_inputs_npy(&dir, &gate_data(Gate::Or), Dtype::F32, Dtype::I64);
    let (out, summary) = (dir.path("per_sample.csv"), dir.path("summary.json"));
    stdout(&run_decompose(
        &inputs,
        &out,
        &summary,
        &["--prior", "uniform"],
    ));
    let (_, rows) = read_per_sample(&out);
    for row in &rows {
        assert_close(row[0] + row[1], row[8], 1e-5, "r + u1 = i1");
        assert_close(row[0] + row[2], row[9], 1e-5, "r + u2 = i2");
        assert_close(
            row[0] + row[1] + row[2] + row[3],
            row[10],
            1e-5,
            "sum = i12",
        );
    }
    let json = read_json(&summary);
    let mean_r = rows.iter().map(|r| r[0]).sum::<f64>() / rows.len() as f64;
    assert_close(num(&json, "R"), mean_r, 1e-6, "R");
}

#[test]
fn decompose_accepts_f64_i32_and_csv_inputs() {
    let data = gate_data(Gate::Copy);
    let reference = {
        let dir = TempDir::new("ref");
        let inputs = write_inputs_npy(&dir, &data, Dtype::F32, Dtype::I64);
        let (out, summary) = (dir.path("a.csv"), dir.path("a.json"));
        stdout(&run_decompose(&inputs, &out, &summary, &[]));
        read_per_sample(&out).1
    };
    type Writer<'a> = Box<dyn Fn(&TempDir) -> Vec<PathBuf> + 'a>;
    let variants: [(&str, Writer); 3] = [
        (
            "f64-i32",
            Box::new(|d| write_inputs_npy(d, &data, Dtype::F64, Dtype::I32)),
        ),
        (
            "f64-i64",
            Box::new(|d| write_inputs_npy(d, &data, Dtype::F64, Dtype::I64)),
        ),
        ("csv", Box::new(|d| write_inputs_csv(d, &data))),
    ];
    for (name, write) in variants {
        let dir = TempDir::new(name);
        let inputs = write(&dir);
        let (out, summary) = (dir.path("b.csv"), dir.path("b.json"));
        stdout(&run_decompose(&inputs, &out, &summary, &[]));
        let rows = read_per_sample(&out).1;
        assert_eq!(rows.len(), reference.len(), "{name}");
        for (a, b) in rows.iter().zip(&reference) {
            for (x, y) in a.iter().zip(b) {
                assert_close(*x, *y, 1e-5, name);
            }
        }
        check_outputs(Gate::Copy, &out, &summary, false);
    }
    // Mixed: CSV labels with npy logits, on every backend of the build by name.
    let dir = TempDir::new("mixed");
    let mut inputs = write_inputs_npy(&dir, &data, Dtype::F32, Dtype::I64);
    inputs[0] = write_inputs_csv(&dir, &data).swap_remove(0);
    for device in lsmi::backends() {
        let (out, summary) = (dir.path("c.csv"), dir.path("c.json"));
        stdout(&run_decompose(
            &inputs,
            &out,
            &summary,
            &["--device", device],
        ));
        check_outputs(Gate::Copy, &out, &summary, false);
    }
}

// ---------------------------------------------------------------- errors

/// Runs `decompose` and checks it fails with one `error:` line containing every
/// needle, printing nothing and writing neither output.
fn assert_fails(inputs: &[PathBuf], dir: &TempDir, needles: &[&str]) -> String {
    let (out, summary) = (dir.path("out.csv"), dir.path("summary.json"));
    let output = run_decompose(inputs, &out, &summary, &[]);
    assert_failed(output, dir, &out, &summary, needles)
}

/// Checks that a run writing `out` and `summary` in `dir` failed (exit status 1)
/// with one `error:` line containing every needle, printing nothing and writing
/// neither output (nor a temporary file); returns the line.
fn assert_failed(
    output: Output,
    dir: &TempDir,
    out: &Path,
    summary: &Path,
    needles: &[&str],
) -> String {
    let stderr = failed(&output, needles);
    assert!(
        !out.exists() && !summary.exists(),
        "no partial output: {stderr}"
    );
    let leftovers: Vec<_> = dir
        .names()
        .into_iter()
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    stderr
}

#[test]
fn decompose_rejects_mismatched_lengths_without_output() {
    let data = gate_data(Gate::Or);
    let dir = TempDir::new("mismatch");
    let inputs = write_inputs_npy(&dir, &data, Dtype::F32, Dtype::I64);
    // logits2 with one sample fewer.
    let c = data.classes;
    write_npy(
        &inputs[2],
        Dtype::F32,
        &[data.n - 1, c],
        &data.logits2[..(data.n - 1) * c],
    );
    assert_fails(&inputs, &dir, &["logits2.npy", "length mismatch", "3", "4"]);
}

#[test]
fn decompose_rejects_bad_files_with_one_line() {
    let data = gate_data(Gate::Or);
    let (n, c) = (data.n, data.classes);
    type Corrupt = Box<dyn Fn(&[PathBuf])>;
    let cases: Vec<(&str, Corrupt, Vec<&str>)> = vec![
        (
            "missing",
            Box::new(|p| std::fs::remove_file(&p[4]).unwrap()),
            vec!["h1.npy", "cannot read"],
        ),
        (
            "bad-header",
            Box::new(|p| std::fs::write(&p[1], b"\x93NUMPY\x01\x00\x08\x00{'descr'").unwrap()),
            vec!["logits1.npy", "bad .npy header"],
        ),
        (
            "not-npy",
            Box::new(|p| std::fs::write(&p[1], b"garbage").unwrap()),
            vec!["logits1.npy", "magic"],
        ),
        (
            "one-d-logits",
            Box::new(move |p| write_npy(&p[3], Dtype::F32, &[n * c], &data_flat(n * c))),
            vec!["logits12.npy", "2-D", "(8,)"],
        ),
        (
            "float-labels",
            Box::new(move |p| write_npy(&p[0], Dtype::F32, &[n], &vec![0.0; n])),
            vec!["labels.npy", "integer dtype", "<f4"],
        ),
        (
            "int-logits",
            Box::new(move |p| write_npy(&p[1], Dtype::I32, &[n, c], &vec![0.0; n * c])),
            vec!["logits1.npy", "float dtype", "<i4"],
        ),
        (
            "fortran",
            Box::new(move |p| {
                let data: Vec<u8> = (0..n * c).flat_map(|_| 0f32.to_le_bytes()).collect();
                std::fs::write(&p[2], npy_bytes("<f4", true, &[n, c], &data)).unwrap()
            }),
            vec!["logits2.npy", "Fortran"],
        ),
        (
            "big-endian",
            Box::new(move |p| {
                let data: Vec<u8> = (0..n).flat_map(|_| 1f64.to_be_bytes()).collect();
                std::fs::write(&p[5], npy_bytes(">f8", false, &[n], &data)).unwrap()
            }),
            vec!["h2.npy", "big-endian"],
        ),
        (
            "nan",
            Box::new(move |p| {
                let mut h = vec![1.0; n];
                h[2] = f64::NAN;
                write_npy(&p[4], Dtype::F64, &[n], &h)
            }),
            vec!["h1.npy", "non-finite", "NaN"],
        ),
        (
            "classes-disagree",
            Box::new(move |p| write_npy(&p[3], Dtype::F32, &[n, c + 1], &vec![0.0; n * (c + 1)])),
            vec!["logits12.npy", "classes"],
        ),
        (
            "one-class",
            Box::new(move |p| write_npy(&p[1], Dtype::F32, &[n, 1], &vec![0.0; n])),
            vec!["logits1.npy", "too few classes"],
        ),
        (
            "truncated",
            Box::new(move |p| {
                let data: Vec<u8> = (0..n - 1).flat_map(|_| 0f32.to_le_bytes()).collect();
                std::fs::write(&p[4], npy_bytes("<f4", false, &[n], &data)).unwrap()
            }),
            vec!["h1.npy", "bytes"],
        ),
    ];
    for (name, corrupt, needles) in cases {
        let dir = TempDir::new(name);
        let inputs = write_inputs_npy(&dir, &data, Dtype::F32, Dtype::I64);
        corrupt(&inputs);
        assert_fails(&inputs, &dir, &needles);
    }
}

fn data_flat(len: usize) -> Vec<f64> {
    (0..len).map(|i| i as f64 * 0.1).collect()
}

#[test]
fn decompose_rejects_out_of_range_labels() {
    let data = gate_data(Gate::Or);
    let dir = TempDir::new("labels");
    let inputs = write_inputs_npy(&dir, &data, Dtype::F32, Dtype::I64);
    write_npy(&inputs[0], Dtype::I64, &[data.n], &[0.0, 1.0, 7.0, 1.0]);
    let stderr = assert_fails(&inputs, &dir, &["labels.npy", "label out of range", "7"]);
    assert!(stderr.contains("2 classes"), "{stderr}");

    write_npy(&inputs[0], Dtype::I32, &[data.n], &[0.0, -1.0, 1.0, 1.0]);
    assert_fails(&inputs, &dir, &["labels.npy", "-1"]);
}

#[test]
fn decompose_refuses_one_file_for_both_outputs() {
    let dir = TempDir::new("same");
    let inputs = write_inputs_npy(&dir, &gate_data(Gate::Or), Dtype::F32, Dtype::I64);
    let out = dir.path("both");
    let output = run_decompose(&inputs, &out, &out, &[]);
    assert!(!output.status.success());
    assert!(!out.exists());
}

// ---------------------------------------------------------------- entropy

/// The `h` column of an `entropy` output.
fn read_h(path: &Path) -> Vec<f64> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("h"), "header of {}", path.display());
    lines.map(|l| l.parse().unwrap()).collect()
}

/// `n` rows of a 2-D Gaussian whose covariance has condition number 10, and its
/// exact entropy.
fn gaussian_sample(n: usize) -> (lsmi::synthetic::Features, f64) {
    let gaussian = lsmi::synthetic::CorrelatedGaussian::random(2, 10.0, 17);
    (gaussian.sample(n, 23), gaussian.entropy())
}

#[test]
fn entropy_of_a_gaussian_matches_the_closed_form() {
    let n = 5000;
    let (sample, exact) = gaussian_sample(n);
    let dir = TempDir::new("entropy");
    let (x, out) = (dir.path("x.npy"), dir.path("h.csv"));
    write_npy(&x, Dtype::F64, &[n, 2], &as_f64(&sample.values));
    let printed = stdout(&run_entropy(&x, &out, &["--epochs", "10", "--seed", "3"]));
    let h = read_h(&out);
    assert_eq!(h.len(), n);
    assert!(h.iter().all(|v| v.is_finite()), "finite h");
    let mean = h.iter().sum::<f64>() / n as f64;
    let big_h = printed_entropy(&printed);
    assert_close(big_h, mean, 1e-5, "printed H = mean of the CSV");
    assert_close(big_h, exact, 0.1, "H of the Gaussian");
    for needle in ["5000", "epochs run", "10", "final loss", "fit time"] {
        assert!(
            printed.contains(needle),
            "{needle:?} missing from\n{printed}"
        );
    }
    // Not a terminal: no progress line on stderr.
    let again = run_entropy(&x, &dir.path("h2.csv"), &["--epochs", "1"]);
    assert!(again.status.success());
    assert!(
        again.stderr.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&again.stderr)
    );
}

#[test]
fn entropy_reference_preset_and_csv_inputs_run() {
    let n = 400;
    let (sample, _) = gaussian_sample(n);
    let dir = TempDir::new("entropy-reference");
    let (x, out) = (dir.path("x.csv"), dir.path("h.csv"));
    write_csv(&x, "a,b", 2, &as_f64(&sample.values));
    let device = lsmi::cpu_devices()[0].0;
    let printed = stdout(&run_entropy(
        &x,
        &out,
        &["--preset", "reference", "--epochs", "1", "--device", device],
    ));
    assert!(printed.contains("reference"), "{printed}");
    let h = read_h(&out);
    assert_eq!(h.len(), n);
    assert!(h.iter().all(|v| v.is_finite()), "finite h");
    assert_close(
        printed_entropy(&printed),
        h.iter().sum::<f64>() / n as f64,
        1e-5,
        "H",
    );

    // One feature: a one-column CSV is an [n, 1] matrix.
    let first: Vec<f64> = sample
        .values
        .iter()
        .step_by(2)
        .map(|&v| f64::from(v))
        .collect();
    write_csv(&x, "a", 1, &first);
    stdout(&run_entropy(&x, &out, &["--epochs", "1", "--kernels", "2"]));
    assert_eq!(read_h(&out).len(), n);
}

/// Runs `entropy` and checks it fails (exit status 1) with one `error:` line
/// containing every needle, printing nothing and writing no output (not even a
/// temporary file).
fn assert_entropy_fails(dir: &TempDir, x: &Path, extra: &[&str], needles: &[&str]) {
    let out = dir.path("h.csv");
    let stderr = failed(&run_entropy(x, &out, extra), needles);
    let names: Vec<_> = dir
        .names()
        .into_iter()
        .filter(|name| name.starts_with(".h.csv") || name == "h.csv")
        .collect();
    assert!(names.is_empty(), "output left behind: {names:?} ({stderr})");
}

#[test]
fn entropy_rejects_nan_naming_file_and_position() {
    let n = 20;
    let (sample, _) = gaussian_sample(n);
    let mut values = as_f64(&sample.values);
    values[7 * 2 + 1] = f64::NAN;
    let dir = TempDir::new("entropy-nan");
    let x = dir.path("x.npy");
    write_npy(&x, Dtype::F32, &[n, 2], &values);
    assert_entropy_fails(&dir, &x, &["--epochs", "1"], &["x.npy", "[7, 1]", "NaN"]);
}

#[test]
fn entropy_rejects_more_kernels_than_rows() {
    let n = 20;
    let (sample, _) = gaussian_sample(n);
    let dir = TempDir::new("entropy-kernels");
    let x = dir.path("x.npy");
    write_npy(&x, Dtype::F64, &[n, 2], &as_f64(&sample.values));
    for preset in ["default", "reference"] {
        assert_entropy_fails(
            &dir,
            &x,
            &["--kernels", "50", "--preset", preset],
            &["x.npy", "20 rows", "--kernels", "50"],
        );
    }
    assert_entropy_fails(&dir, &x, &["--kernels", "0"], &["--kernels 0"]);
    assert_entropy_fails(&dir, &x, &["--epochs", "0"], &["--epochs 0"]);

    // A 1-D array is not a feature matrix.
    write_npy(&x, Dtype::F64, &[n], &as_f64(&sample.values[..n]));
    assert_entropy_fails(&dir, &x, &[], &["x.npy", "2-D", "(20,)", "(n, 1)"]);
}

// ---------------------------------------------------------------- estimate

/// The outputs have `decompose`'s format, the identities hold on every row, the
/// labels are the input's and the JSON means are the CSV's; returns the JSON.
fn check_estimate_outputs(out: &Path, summary: &Path, labels: &[i64], shift: bool) -> Value {
    let (header, rows) = read_per_sample(out);
    assert_eq!(header, COLUMNS);
    assert_eq!(rows.len(), labels.len());
    let json = read_json(summary);
    let text = std::fs::read_to_string(summary).unwrap();
    // `estimate` and `score` also describe each fold's models, last.
    assert_eq!(
        json.as_object().unwrap().len(),
        SUMMARY_KEYS.len() + 1,
        "{text}"
    );
    let mut keys = SUMMARY_KEYS.to_vec();
    keys.push("models");
    assert_key_order(&text, &keys);
    for fold in json["models"].as_array().expect("models per fold") {
        let names: Vec<&String> = fold.as_object().unwrap().keys().collect();
        assert_eq!(names.len(), 5, "{fold}");
        for key in ["h1", "h2", "i1", "i2", "i12"] {
            assert!(fold[key].is_string(), "{key} in {fold}");
        }
    }
    assert_eq!(json["n"].as_u64(), Some(labels.len() as u64));
    assert_eq!(json["units"].as_str(), Some("nats"));
    let a = num(&json, "adjust_shift");
    if shift {
        // The JSON means are adjusted (R + a, U − a, S + a): undo the shift and
        // apply the rule (written out in common.rs) to the raw means.
        let (r, u1, u2, s) = (
            num(&json, "R") - a,
            num(&json, "U1") + a,
            num(&json, "U2") + a,
            num(&json, "S") - a,
        );
        let rule = reference_shift(r, u1, u2, s);
        assert_close(
            a,
            rule,
            1e-9,
            "adjust_shift follows the rule on the raw means",
        );
    } else {
        assert_eq!(a, 0.0, "no --adjust, no shift");
    }
    for (row, &label) in rows.iter().zip(labels) {
        let [r, u1, u2, s, r_plus, r_minus, h1, h2, i1, i2, i12, y] = row[..] else {
            panic!("12 columns")
        };
        let tol = 1e-4;
        assert_close(r + u1, i1, tol, "r + u1 = i1");
        assert_close(r + u2, i2, tol, "r + u2 = i2");
        assert_close(r + u1 + u2 + s, i12, tol, "r + u1 + u2 + s = i12");
        assert_close(r_plus - r_minus + a, r, tol, "r = r+ - r- (+ shift)");
        assert!(h1.is_finite() && h2.is_finite(), "finite entropies");
        assert_eq!(y, label as f64, "label column");
    }
    for (key, col) in [("R", 0), ("U1", 1), ("U2", 2), ("S", 3), ("I12", 10)] {
        let mean = rows.iter().map(|r| r[col]).sum::<f64>() / rows.len() as f64;
        assert_close(num(&json, key), mean, 1e-5, &format!("{key} = CSV mean"));
    }
    json
}

#[test]
fn estimate_recovers_the_redundancy_of_a_gaussian_family() {
    let n = 1500;
    let dir = TempDir::new("estimate");
    let (inputs, sample) = write_gaussian_inputs(&dir, n, 11, Dtype::F32, 1.0);
    let (out, summary) = (dir.path("per_sample.csv"), dir.path("summary.json"));
    let output = run_estimate(&inputs, &out, &summary, &["--folds", "3", "--seed", "5"]);
    let printed = stdout(&output);
    // Not a terminal: no progress bar on stderr.
    assert!(
        output.stderr.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json = check_estimate_outputs(&out, &summary, &sample.labels, false);
    let exact = sample.exact.summary().unwrap();
    for (key, want) in [
        ("R", exact.r),
        ("U1", exact.u1),
        ("U2", exact.u2),
        ("S", exact.s),
        ("I12", exact.i12),
    ] {
        let got = num(&json, key);
        println!("estimate {key}: {got:.4} (exact {want:.4})");
        assert_close(got, want, 0.03, &format!("{key} against the exact {key}"));
    }
    for needle in ["adjust_shift", "1500", "3 folds", "fit time", "default"] {
        assert!(
            printed.contains(needle),
            "{needle:?} missing from\n{printed}"
        );
    }
}

#[test]
fn estimate_reference_preset_in_sample_and_adjust_run() {
    let n = 300;
    let dir = TempDir::new("estimate-reference");
    let (inputs, sample) = write_gaussian_inputs(&dir, n, 12, Dtype::F32, 1.0);
    let (out, summary) = (dir.path("a.csv"), dir.path("a.json"));
    let device = lsmi::cpu_devices()[0].0;
    let printed = stdout(&run_estimate(
        &inputs,
        &out,
        &summary,
        &[
            "--preset",
            "reference",
            "--folds",
            "2",
            "--adjust",
            "--classes",
            "2",
            "--device",
            device,
        ],
    ));
    assert!(printed.contains("reference"), "{printed}");
    check_estimate_outputs(&out, &summary, &sample.labels, true);

    // In-sample: one set of models, --folds 1 allowed.
    let printed = stdout(&run_estimate(
        &inputs,
        &out,
        &summary,
        &["--in-sample", "--folds", "1"],
    ));
    assert!(printed.contains("in-sample"), "{printed}");
    check_estimate_outputs(&out, &summary, &sample.labels, false);
}

#[test]
fn estimate_default_preset_reports_each_folds_searched_models() {
    let dir = TempDir::new("estimate-search");
    let (inputs, sample) = write_gaussian_inputs(&dir, 400, 12, Dtype::F32, 1.0);
    let (out, summary) = (dir.path("s.csv"), dir.path("s.json"));
    let printed = stdout(&run_estimate(&inputs, &out, &summary, &["--folds", "2"]));
    assert!(printed.contains("default"), "{printed}");
    check_estimate_outputs(&out, &summary, &sample.labels, false);
    let json = read_json(&summary);
    let folds = json["models"].as_array().expect("models per fold");
    assert_eq!(folds.len(), 2);
    for fold in folds {
        for key in ["h1", "h2"] {
            let text = fold[key].as_str().unwrap();
            assert!(text.starts_with("mixture K="), "{key}: {text}");
        }
        for key in ["i1", "i2", "i12"] {
            assert!(fold[key].as_str().unwrap().contains("T="), "{key}: {fold}");
        }
    }
    // The fixed preset names its fixed models too.
    stdout(&run_estimate(
        &inputs,
        &out,
        &summary,
        &["--preset", "fixed", "--folds", "2"],
    ));
    let json = read_json(&summary);
    assert_eq!(
        json["models"][1]["h1"].as_str(),
        Some("knife K=4 full (Adam)")
    );
    assert_eq!(json["models"][0]["i12"].as_str(), Some("mlp [64, 64]"));
}

#[test]
fn estimate_rejects_bad_inputs_without_output() {
    let n = 40;
    let dir = TempDir::new("estimate-errors");
    let (inputs, sample) = write_gaussian_inputs(&dir, n, 13, Dtype::F32, 1.0);
    let (out, summary) = (dir.path("out.csv"), dir.path("summary.json"));
    let fails = |extra: &[&str], needles: &[&str]| {
        let output = run_estimate(&inputs, &out, &summary, extra);
        assert_failed(output, &dir, &out, &summary, needles)
    };
    fails(&["--folds", "1"], &["--folds 1", "--in-sample"]);
    fails(&["--folds", "30"], &["x1.npy", "40 rows", "60", "--folds"]);
    fails(&["--classes", "1"], &["--classes 1", "too few classes"]);
    let (x, y) = (&sample.x2, &sample.labels);

    // x2 with one row fewer than x1.
    write_npy(
        &inputs[1],
        Dtype::F32,
        &[n - 1, x.cols],
        &as_f64(&x.values[..(n - 1) * x.cols]),
    );
    fails(&["--folds", "2"], &["x2.npy", "39", "40", "x1.npy"]);
    write_npy(&inputs[1], Dtype::F32, &[n, x.cols], &as_f64(&x.values));

    // Labels: one row fewer, out of range for --classes, negative, all zero.
    let labels: Vec<f64> = y.iter().map(|&v| v as f64).collect();
    let mut bad = labels.clone();
    write_npy(&inputs[2], Dtype::I64, &[n - 1], &bad[..n - 1]);
    fails(&[], &["labels.npy", "39", "40"]);
    bad[3] = 2.0;
    write_npy(&inputs[2], Dtype::I64, &[n], &bad);
    fails(
        &["--classes", "2"],
        &["labels.npy", "labels[3] = 2", "--classes"],
    );
    bad[3] = -1.0;
    write_npy(&inputs[2], Dtype::I64, &[n], &bad);
    fails(&[], &["labels.npy", "labels[3] = -1", "negative"]);
    write_npy(&inputs[2], Dtype::I64, &[n], &vec![0.0; n]);
    fails(&[], &["labels.npy", "at least 2 classes"]);
    bad[3] = 1e6;
    write_npy(&inputs[2], Dtype::I64, &[n], &bad);
    fails(&[], &["labels.npy", "1000001 classes", "--classes"]);
    write_npy(&inputs[2], Dtype::I64, &[n], &labels);

    // NaN in x1, named with its position.
    let mut values = as_f64(&sample.x1.values);
    values[5 * sample.x1.cols + 1] = f64::NAN;
    write_npy(&inputs[0], Dtype::F32, &[n, sample.x1.cols], &values);
    fails(&[], &["x1.npy", "[5, 1]", "NaN"]);

    // One file for both outputs.
    let output = run_estimate(&inputs, &out, &out, &[]);
    assert!(!output.status.success());
    assert!(!out.exists());

    // Enough rows for the folds, too few for KNIFE's 4 data-row kernel means.
    let (inputs, _) = write_gaussian_inputs(&dir, 6, 14, Dtype::F32, 1.0);
    let output = run_estimate(&inputs, &out, &summary, &["--folds", "2"]);
    assert_failed(
        output,
        &dir,
        &out,
        &summary,
        &["x1.npy", "3 rows", "--folds"],
    );
}

// ---------------------------------------------------------------- --per-class

/// The `--per-class` CSV has one row per class that occurs among the labels of
/// the per-sample CSV `out`, in class order, holding the means of that class's
/// rows (adjusted or not, as `out`) and their count.
fn check_per_class(out: &Path, per_class: &Path) {
    let (_, rows) = read_per_sample(out);
    let (header, classes) = read_per_sample(per_class);
    assert_eq!(
        header,
        [
            "class",
            "n",
            "R",
            "U1",
            "U2",
            "S",
            "H1",
            "H2",
            "I1",
            "I2",
            "I12",
            "same_min_fraction1",
            "same_min_fraction2",
            "mean_h_gap"
        ]
    );
    let mut labels: Vec<f64> = rows.iter().map(|r| r[11]).collect();
    labels.sort_by(f64::total_cmp);
    labels.dedup();
    let listed: Vec<f64> = classes.iter().map(|c| c[0]).collect();
    assert_eq!(listed, labels, "one row per class that occurs, in order");
    let total: f64 = classes.iter().map(|c| c[1]).sum();
    assert_eq!(total, rows.len() as f64, "the counts sum to the rows");
    // Per-sample columns of R, U1, U2, S, H1, H2, I1, I2, I12.
    let columns = [0, 1, 2, 3, 6, 7, 8, 9, 10];
    for class in &classes {
        let members: Vec<&Vec<f64>> = rows.iter().filter(|r| r[11] == class[0]).collect();
        assert_eq!(class[1], members.len() as f64, "n of class {}", class[0]);
        for (k, &col) in columns.iter().enumerate() {
            let mean = members.iter().map(|r| r[col]).sum::<f64>() / members.len() as f64;
            assert_close(
                class[2 + k],
                mean,
                1e-6,
                &format!("class {} column {}", class[0], header[2 + k]),
            );
        }
        // The diagnostics, counted here from the rows' h and i.
        let share = |dominates: fn(&[f64]) -> bool| {
            members.iter().filter(|r| dominates(r)).count() as f64 / members.len() as f64
        };
        let first = share(|r| r[6] < r[7] && r[6] - r[8] < r[7] - r[9]);
        let second = share(|r| r[7] < r[6] && r[7] - r[9] < r[6] - r[8]);
        let gap = members.iter().map(|r| r[6] - r[7]).sum::<f64>() / members.len() as f64;
        for (found, want, what) in [
            (class[11], first, "same_min_fraction1"),
            (class[12], second, "same_min_fraction2"),
            (class[13], gap, "mean_h_gap"),
        ] {
            assert_close(found, want, 1e-6, &format!("class {} {what}", class[0]));
        }
    }
}

#[test]
fn decompose_per_class_means_are_the_class_means_of_the_rows() {
    for gate in Gate::ALL {
        for adjust in [false, true] {
            let dir = TempDir::new("per-class");
            let inputs = write_inputs_npy(&dir, &gate_data(gate), Dtype::F32, Dtype::I64);
            let (out, summary) = (dir.path("per_sample.csv"), dir.path("summary.json"));
            let per_class = dir.path("per_class.csv");
            let mut extra = vec!["--per-class", per_class.to_str().unwrap()];
            if adjust {
                extra.push("--adjust");
            }
            stdout(&run_decompose(&inputs, &out, &summary, &extra));
            check_per_class(&out, &per_class);
        }
    }
}

#[test]
fn estimate_and_score_per_class_means_are_the_class_means_of_the_rows() {
    let dir = TempDir::new("estimate-per-class");
    let (inputs, sample) = write_gaussian_inputs(&dir, 200, 15, Dtype::F32, 1.0);
    let (out, summary) = (dir.path("out.csv"), dir.path("summary.json"));
    let (per_class, models) = (dir.path("classes.csv"), dir.path("models"));
    let (per_class_text, models_text) = (per_class.display().to_string(), models.display());
    let models_text = models_text.to_string();
    let extra = [
        "--folds",
        "2",
        "--adjust",
        "--per-class",
        &per_class_text,
        "--save-models",
        &models_text,
    ];
    stdout(&run_estimate(&inputs, &out, &summary, &extra));
    check_estimate_outputs(&out, &summary, &sample.labels, true);
    check_per_class(&out, &per_class);

    // `score` writes the same file for the saved models, without --adjust too.
    std::fs::remove_file(&per_class).unwrap();
    let extra = ["--per-class", per_class_text.as_str()];
    stdout(&run_score(&models, &inputs, &out, &summary, &extra));
    check_per_class(&out, &per_class);
}

#[test]
fn per_class_refuses_an_output_or_input_before_any_work() {
    let dir = TempDir::new("per-class-refused");
    let inputs = write_inputs_npy(&dir, &gate_data(Gate::Or), Dtype::F32, Dtype::I64);
    // A broken input: refusing the outputs must come before reading it.
    std::fs::write(&inputs[1], "not numbers").unwrap();
    let (out, summary) = (dir.path("out.csv"), dir.path("summary.json"));
    let out_text = out.display().to_string();
    let output = run_decompose(&inputs, &out, &summary, &["--per-class", &out_text]);
    assert_failed(
        output,
        &dir,
        &out,
        &summary,
        &["--out and --per-class", "two different files"],
    );
    let input = inputs[0].display().to_string();
    let output = run_decompose(&inputs, &out, &summary, &["--per-class", &input]);
    assert_failed(
        output,
        &dir,
        &out,
        &summary,
        &["--per-class", "is the input --labels", "labels.npy"],
    );
    assert_eq!(
        std::fs::read(&inputs[0]).unwrap(),
        std::fs::read(dir.path("labels.npy")).unwrap()
    );

    // estimate: the same, before reading (here: a broken x1) or fitting.
    let (inputs, _) = write_gaussian_inputs(&dir, 40, 16, Dtype::F32, 1.0);
    let labels_before = std::fs::read(&inputs[2]).unwrap();
    std::fs::write(&inputs[0], "not numbers").unwrap();
    let output = run_estimate(&inputs, &out, &summary, &["--per-class", &out_text]);
    assert_failed(output, &dir, &out, &summary, &["--out and --per-class"]);
    let labels = inputs[2].display().to_string();
    let output = run_estimate(&inputs, &out, &summary, &["--per-class", &labels]);
    assert_failed(
        output,
        &dir,
        &out,
        &summary,
        &["--per-class", "is the input --labels"],
    );
    assert_eq!(std::fs::read(&inputs[2]).unwrap(), labels_before);
    assert!(
        !dir.names()
            .iter()
            .any(|n| n.ends_with(".csv") || n.ends_with(".json")),
        "no output written: {:?}",
        dir.names()
    );
}

// ---------------------------------------------------------------- --centered

/// The column `index` of the per-sample CSV `out`.
fn csv_column(out: &Path, index: usize) -> Vec<f64> {
    read_per_sample(out).1.iter().map(|r| r[index]).collect()
}

fn stderr_text(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// `--centered` on a gate: the JSON records it and the means subtracted (those
/// of the input `h` columns), the CSV's `h` are centred, and the means do not
/// move (both modalities' `h` are equal on every event); raw, the JSON says
/// `"centered": false` without means. Neither run warns: ties count for no
/// modality.
#[test]
fn decompose_centered_records_the_means_and_keeps_the_gates() {
    let data = gate_data(Gate::Or);
    let dir = TempDir::new("centered-gate");
    let inputs = write_inputs_npy(&dir, &data, Dtype::F64, Dtype::I64);
    let run = |name: &str, extra: &[&str]| {
        let (out, summary) = (
            dir.path(&format!("{name}.csv")),
            dir.path(&format!("{name}.json")),
        );
        let output = run_decompose(&inputs, &out, &summary, extra);
        stdout(&output);
        assert_eq!(stderr_text(&output), "", "no warning");
        (
            out,
            read_json(&summary),
            std::fs::read_to_string(&summary).unwrap(),
        )
    };
    let (_, raw, raw_text) = run("raw", &[]);
    let (out, centred, text) = run("centred", &["--centered"]);
    assert_eq!(raw["centered"], false);
    assert!(raw.get("centering").is_none(), "{raw_text}");
    assert_key_order(&raw_text, &SUMMARY_KEYS);
    let mut keys = SUMMARY_KEYS.to_vec();
    keys.insert(14, "centering");
    assert_key_order(&text, &keys);
    assert_eq!(centred.as_object().unwrap().len(), keys.len());
    assert_eq!(centred["centered"], true);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (h1, h2) = (mean(&data.h1), mean(&data.h2));
    // The device holds f32.
    assert_close(num(&centred["centering"], "H1"), h1, 1e-6, "H1");
    assert_close(num(&centred["centering"], "H2"), h2, 1e-6, "H2");
    for (k, (found, input)) in csv_column(&out, 6).iter().zip(&data.h1).enumerate() {
        assert_close(*found, input - h1, 1e-6, &format!("centred h1[{k}]"));
    }
    for key in ["R", "U1", "U2", "S"] {
        assert_close(num(&centred, key), num(&raw, key), 1e-6, key);
    }
    for json in [&raw, &centred] {
        assert_eq!(json["same_min_fractions"], serde_json::json!([0.0, 0.0]));
        assert_eq!(json["same_min_fraction"], 0.0);
    }
}

/// Modality 1's surprisals 20 nats larger (other units): modality 2 attains
/// both minima on every event, so `r = i2`; the JSON says so for the raw
/// variant and not for the centred one, stderr carries one warning line, and
/// `--centered` gives the gate's own means without a warning.
#[test]
fn decompose_warns_when_one_modality_attains_both_minima_everywhere() {
    let gate = Gate::Or;
    let mut data = gate_data(gate);
    data.h1.iter_mut().for_each(|h| *h += 20.0);
    let dir = TempDir::new("centered-warning");
    let inputs = write_inputs_npy(&dir, &data, Dtype::F64, Dtype::I64);
    let (out, summary) = (dir.path("out.csv"), dir.path("summary.json"));
    let output = run_decompose(&inputs, &out, &summary, &[]);
    let printed = stdout(&output);
    assert!(printed.contains("same-min"), "{printed}");
    let warning = stderr_text(&output);
    assert_eq!(warning.lines().count(), 1, "{warning}");
    for needle in [
        "warning: modality 2",
        "100.0%",
        "r = i2",
        "20.000",
        "--centered",
    ] {
        assert!(
            warning.contains(needle),
            "{needle:?} missing from {warning}"
        );
    }
    let json = read_json(&summary);
    assert_eq!(json["same_min_fractions"], serde_json::json!([0.0, 1.0]));
    let variants = &json["same_min_fractions_by_variant"];
    assert_eq!(variants["raw"], serde_json::json!([0.0, 1.0]));
    assert_eq!(variants["centered"], serde_json::json!([0.0, 0.0]));
    assert_close(num(&json, "mean_h_gap"), 20.0, 1e-5, "mean_h_gap");
    let i2 = csv_column(&out, 9);
    for (k, r) in csv_column(&out, 0).iter().enumerate() {
        assert_close(*r, i2[k], 1e-6, &format!("r[{k}] = i2"));
    }

    let output = run_decompose(&inputs, &out, &summary, &["--centered"]);
    stdout(&output);
    assert_eq!(stderr_text(&output), "", "no warning when centred");
    let json = read_json(&summary);
    let exact = gate.pmf().decompose();
    let m = exact.summary();
    for (key, value) in [("R", m.r), ("U1", m.u1), ("U2", m.u2), ("S", m.s)] {
        assert_close(num(&json, key), value, 1e-6, key);
    }
    assert_eq!(
        json["same_min_fractions_by_variant"]["raw"],
        serde_json::json!([0.0, 1.0])
    );
}

/// `estimate` on setting B with modality 1 in other units (× 1000): the raw run
/// warns and its JSON says modality 2 attains both minima nearly everywhere;
/// `--centered` records the training rows' means (those of the raw run's `h`).
#[test]
fn estimate_warns_on_units_and_centres_on_request() {
    let dir = TempDir::new("centered-estimate");
    let (inputs, sample) = write_gaussian_inputs(&dir, 200, 31, Dtype::F32, 1.0);
    let scaled: Vec<f64> = sample
        .x1
        .values
        .iter()
        .map(|&v| f64::from(v) * 1000.0)
        .collect();
    write_npy(&inputs[0], Dtype::F32, &[200, 2], &scaled);
    let (out, summary) = (dir.path("out.csv"), dir.path("summary.json"));
    let flags = ["--folds", "2", "--seed", "1"];
    let output = run_estimate(&inputs, &out, &summary, &flags);
    stdout(&output);
    let warning = stderr_text(&output);
    assert!(warning.contains("warning: modality 2"), "{warning}");
    let raw = read_json(&summary);
    let second = |json: &Value| json[1].as_f64().unwrap();
    assert!(second(&raw["same_min_fractions"]) > 0.95, "{raw}");
    let raw_h1 = csv_column(&out, 6);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;

    let mut centred_flags = flags.to_vec();
    centred_flags.push("--centered");
    stdout(&run_estimate(&inputs, &out, &summary, &centred_flags));
    let centred = read_json(&summary);
    assert_eq!(centred["centered"], true);
    assert_close(num(&centred["centering"], "H1"), mean(&raw_h1), 1e-4, "H1");
    let h1 = csv_column(&out, 6);
    for (k, (c, r)) in h1.iter().zip(&raw_h1).enumerate() {
        assert_close(*c, r - mean(&raw_h1), 1e-3, &format!("centred h1[{k}]"));
    }
    assert_close(
        second(&centred["same_min_fractions_by_variant"]["raw"]),
        second(&raw["same_min_fractions"]),
        0.02,
        "raw fraction seen from the centred run",
    );
}

// ---------------------------------------------------------------- partition

/// A per-sample CSV as `estimate --out` writes it, with `r` and the labels
/// given and every other column 0.
fn write_per_sample(path: &Path, r: &[f64], labels: &[i64]) {
    let mut text = "r,u1,u2,s,r_plus,r_minus,h1,h2,i1,i2,i12,label\n".to_string();
    for (value, label) in r.iter().zip(labels) {
        text.push_str(&format!("{value},0,0,0,0,0,0,0,0,0,0,{label}\n"));
    }
    std::fs::write(path, text).unwrap();
}

fn read_rows(path: &Path) -> Vec<usize> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| line.parse().unwrap())
        .collect()
}

#[test]
fn partition_writes_the_rows_of_each_side() {
    let dir = TempDir::new("partition");
    let csv = dir.path("per_sample.csv");
    // Sorted r: 0,1,2,3,3,3,4,5,6,7; the median (k = 5) falls in the tie of 3s.
    let r = [3.0, 0.0, 7.0, 3.0, 1.0, 5.0, 2.0, 3.0, 6.0, 4.0];
    let labels = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1];
    write_per_sample(&csv, &r, &labels);
    let out = dir.path("split");
    let run = |extra: &[&str]| {
        let (csv, out) = (csv.to_str().unwrap(), out.to_str().unwrap());
        let mut args = vec!["partition", "--per-sample", csv, "--out-dir", out];
        args.extend_from_slice(extra);
        lsmi(&args)
    };
    let printed = stdout(&run(&["--by", "r", "--quantile", "0.5"]));
    assert!(printed.contains("6 low, 4 high"), "{printed}");
    assert_eq!(read_rows(&out.join("low.txt")), vec![0, 1, 3, 4, 6, 7]);
    assert_eq!(read_rows(&out.join("high.txt")), vec![2, 5, 8, 9]);
    // Per class, each at its own median: class 0 = rows 0,2,4,6,8 = 3,7,1,2,6;
    // class 1 = rows 1,3,5,7,9 = 0,3,5,3,4.
    stdout(&run(&["--by", "r", "--quantile", "0.5", "--per-class"]));
    assert_eq!(read_rows(&out.join("low.txt")), vec![0, 1, 3, 4, 6, 7]);
    assert_eq!(read_rows(&out.join("high.txt")), vec![2, 5, 8, 9]);
    stdout(&run(&["--by", "r", "--quantile", "0.3", "--per-class"]));
    // class 0: k = 2 → threshold 2 (rows 4, 6); class 1: k = 2 → 3 (rows 1, 3, 7).
    assert_eq!(read_rows(&out.join("low.txt")), vec![1, 3, 4, 6, 7]);
    // Errors are one line and leave the outputs as they were.
    failed(
        &run(&["--by", "r", "--quantile", "1"]),
        &["--quantile", "between 0 and 1"],
    );
    let other = dir.path("other.csv");
    std::fs::write(&other, "a,b\n1,2\n").unwrap();
    let output = lsmi(&[
        "partition",
        "--per-sample",
        other.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--by",
        "u1",
        "--quantile",
        "0.5",
    ]);
    failed(&output, &["other.csv", "no column \"u1\""]);
    assert_eq!(read_rows(&out.join("low.txt")), vec![1, 3, 4, 6, 7]);
    // An unknown measure is a usage error.
    let output = run(&["--by", "x", "--quantile", "0.5"]);
    assert_eq!(output.status.code(), Some(2));
    // The input is never an output.
    let output = lsmi(&[
        "partition",
        "--per-sample",
        out.join("low.txt").to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--by",
        "r",
        "--quantile",
        "0.5",
    ]);
    failed(&output, &["is the input --per-sample"]);
}
