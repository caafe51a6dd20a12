//! Helpers for the tests that run the `lsmi` binary (`cli.rs`, `score.rs` and the
//! CLI part of `robustness.rs`): temporary folders, `.npy` writers, argument builders and
//! checks of a run's outcome.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

// ---------------------------------------------------------------- files

/// A fresh folder under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A new empty folder whose name holds `name`, the process id and a counter.
    pub fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let unique = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("lsmi-test-{name}-{}-{unique}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }

    /// Every name in the folder, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Names of hidden temporary files (`.NAME.PID.tmp` and the like).
    pub fn hidden(&self) -> Vec<String> {
        self.names()
            .into_iter()
            .filter(|n| n.starts_with('.'))
            .collect()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The bytes of a version-1 `.npy` file.
pub fn npy_bytes(descr: &str, fortran: bool, shape: &[usize], data: &[u8]) -> Vec<u8> {
    let shape = match shape {
        [d] => format!("({d},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let fortran = if fortran { "True" } else { "False" };
    let mut header =
        format!("{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header.as_bytes());
    out.extend(data);
    out
}

/// Element types the tests write.
#[derive(Clone, Copy)]
pub enum Dtype {
    F32,
    F64,
    I32,
    I64,
}

/// Writes `values` (converted to `dtype`, which for f32 values and small
/// integers is exact) as a C-order `.npy` file of the given shape.
pub fn write_npy(path: &Path, dtype: Dtype, shape: &[usize], values: &[f64]) {
    let (descr, data): (&str, Vec<u8>) = match dtype {
        Dtype::F32 => (
            "<f4",
            values
                .iter()
                .flat_map(|&v| (v as f32).to_le_bytes())
                .collect(),
        ),
        Dtype::F64 => (
            "<f8",
            values.iter().flat_map(|&v| v.to_le_bytes()).collect(),
        ),
        Dtype::I32 => (
            "<i4",
            values
                .iter()
                .flat_map(|&v| (v as i32).to_le_bytes())
                .collect(),
        ),
        Dtype::I64 => (
            "<i8",
            values
                .iter()
                .flat_map(|&v| (v as i64).to_le_bytes())
                .collect(),
        ),
    };
    std::fs::write(path, npy_bytes(descr, false, shape, &data)).unwrap();
}

pub fn as_f64(values: &[f32]) -> Vec<f64> {
    values.iter().map(|&v| f64::from(v)).collect()
}

/// `x1.npy`, `x2.npy` (of dtype `float`, the features multiplied by `scale`) and
/// `labels.npy` (i64) of a setting-B sample of `n` rows, and the sample.
pub fn write_gaussian_inputs(
    dir: &TempDir,
    n: usize,
    seed: u64,
    float: Dtype,
    scale: f64,
) -> ([PathBuf; 3], lsmi::synthetic::GaussianSample) {
    let sample = lsmi::synthetic::GaussianFamily::setting_b(0.5)
        .sample(n, seed)
        .unwrap();
    let paths = [
        dir.path("x1.npy"),
        dir.path("x2.npy"),
        dir.path("labels.npy"),
    ];
    for (path, x) in paths.iter().zip([&sample.x1, &sample.x2]) {
        let values: Vec<f64> = x.values.iter().map(|&v| f64::from(v) * scale).collect();
        write_npy(path, float, &[x.rows, x.cols], &values);
    }
    let labels: Vec<f64> = sample.labels.iter().map(|&y| y as f64).collect();
    write_npy(&paths[2], Dtype::I64, &[n], &labels);
    (paths, sample)
}

pub fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

// ---------------------------------------------------------------- runs

pub fn text(path: &Path) -> String {
    path.display().to_string()
}

/// The `lsmi` binary with `args`, not yet run.
pub fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lsmi"));
    command.args(args);
    command
}

pub fn lsmi(args: &[&str]) -> Output {
    command(args).output().expect("the lsmi binary runs")
}

/// The arguments of `estimate` on `inputs` (x1, x2, labels), then `extra`.
pub fn estimate_args(
    inputs: &[PathBuf; 3],
    out: &Path,
    summary: &Path,
    extra: &[&str],
) -> Vec<String> {
    let mut args = vec!["estimate".to_string()];
    for (flag, path) in [
        ("--x1", inputs[0].as_path()),
        ("--x2", &inputs[1]),
        ("--labels", &inputs[2]),
        ("--out", out),
        ("--summary", summary),
    ] {
        args.push(flag.into());
        args.push(text(path));
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

pub fn run_estimate(inputs: &[PathBuf; 3], out: &Path, summary: &Path, extra: &[&str]) -> Output {
    let args = estimate_args(inputs, out, summary, extra);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    lsmi(&args)
}

/// Runs `score` with the models in `models` on `inputs` (x1, x2, labels), then
/// `extra`.
pub fn run_score(
    models: &Path,
    inputs: &[PathBuf; 3],
    out: &Path,
    summary: &Path,
    extra: &[&str],
) -> Output {
    let mut args = estimate_args(inputs, out, summary, extra);
    args[0] = "score".into();
    args.splice(1..1, ["--models".to_string(), text(models)]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    lsmi(&args)
}

/// The arguments of `decompose` on `inputs` (labels, logits1, logits2,
/// logits12, h1, h2), then `extra`.
pub fn decompose_args(
    inputs: &[PathBuf],
    out: &Path,
    summary: &Path,
    extra: &[&str],
) -> Vec<String> {
    let flags = [
        "--labels",
        "--logits1",
        "--logits2",
        "--logits12",
        "--h1",
        "--h2",
    ];
    let mut args = vec!["decompose".to_string()];
    for (flag, path) in flags.iter().zip(inputs) {
        args.push(flag.to_string());
        args.push(text(path));
    }
    for (flag, path) in [("--out", out), ("--summary", summary)] {
        args.push(flag.into());
        args.push(text(path));
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

pub fn decompose_command(
    inputs: &[PathBuf],
    out: &Path,
    summary: &Path,
    extra: &[&str],
) -> Command {
    let args = decompose_args(inputs, out, summary, extra);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    command(&args)
}

pub fn run_decompose(inputs: &[PathBuf], out: &Path, summary: &Path, extra: &[&str]) -> Output {
    decompose_command(inputs, out, summary, extra)
        .output()
        .expect("the lsmi binary runs")
}

pub fn run_entropy(x: &Path, out: &Path, extra: &[&str]) -> Output {
    let (x, out) = (text(x), text(out));
    let mut args = vec!["entropy", "--x", &x, "--out", &out];
    args.extend_from_slice(extra);
    lsmi(&args)
}

// ---------------------------------------------------------------- outcomes

/// The run succeeded; returns its standard output.
pub fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "lsmi failed ({:?}): {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// The run failed with exit status 1 (not a panic's 101 or an abort), printed
/// nothing on stdout and one `error:` line holding every needle; returns the line.
pub fn failed(output: &Output, needles: &[&str]) -> String {
    let stderr = String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8");
    assert_eq!(
        output.status.code(),
        Some(1),
        "exit status (expected failure); stderr: {stderr}"
    );
    assert!(output.stdout.is_empty(), "nothing on stdout: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "{needle:?} missing from {stderr}");
    }
    stderr
}

/// The `H = … nats` that `entropy` prints.
pub fn printed_entropy(text: &str) -> f64 {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("H = "))
        .unwrap_or_else(|| panic!("no `H = ` line in\n{text}"));
    let value = line
        .strip_suffix(" nats")
        .unwrap_or_else(|| panic!("no unit in {line:?}"));
    value.parse().unwrap()
}
