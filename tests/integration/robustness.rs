//! Regression tests for inputs a hostile but fair user tried (issue 12, item 1):
//! huge class and fold counts, outputs that would destroy inputs or existing
//! files, badly scaled features, pandas CSVs, overflowing logits, interrupted
//! and concurrent runs, and a full stdout. Library sites first, then the CLI.

use std::panic::{AssertUnwindSafe, catch_unwind};

use lsmi::burn::tensor::Tensor;
use lsmi::{
    Decomposer, Entropy, FitConfig, JointPmf, KnifeConfig, LabelPrior, LogitPmi, Lsmi, LsmiConfig,
    LsmiError, PointwiseTerms,
};

use crate::common::{cpu_devices, devices, labels, matrix, vector};

/// Runs `f`, turning a panic into a failed test with a message naming `what`
/// (so a test that hits the old panic fails with a readable reason).
fn no_panic<T>(what: &str, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| panic!("{what} panicked"))
}

fn message_has(err: &LsmiError, needles: &[&str]) {
    let text = err.to_string();
    for needle in needles {
        assert!(text.contains(needle), "{needle:?} missing from {text:?}");
    }
}

// ------------------------------------------------------------ num_classes

#[test]
fn label_prior_refuses_class_counts_beyond_the_maximum() {
    for huge in [usize::MAX, 1 << 40] {
        for prior in [LabelPrior::Empirical, LabelPrior::Uniform] {
            let result = no_panic("LabelPrior::resolve", || prior.resolve(&[0, 1, 1], huge));
            let err = result.expect_err("a class count far beyond the data is an error");
            message_has(&err, &[&huge.to_string(), "classes"]);
        }
    }
}

#[test]
fn estimator_config_refuses_class_counts_beyond_the_maximum() {
    let err = LsmiConfig::new(1_000_000_000)
        .validate()
        .expect_err("10^9 classes");
    message_has(&err, &["1000000000", "classes"]);
    // The maximum itself is fine.
    LsmiConfig::new(lsmi::MAX_CLASSES).validate().unwrap();
}

#[test]
fn per_class_summary_refuses_huge_class_counts() {
    let device = &cpu_devices()[0].1;
    let terms = PointwiseTerms::from_slices(
        &[1.0, 2.0],
        &[1.5, 1.0],
        &[0.3, 0.1],
        &[0.2, 0.4],
        &[0.9, 0.5],
        device,
    )
    .unwrap();
    let interactions = Lsmi.decompose(terms).unwrap();
    let labels = labels(&[0, 1], device);
    let result = no_panic("per_class", || interactions.per_class(&labels, usize::MAX));
    message_has(&result.unwrap_err(), &[&usize::MAX.to_string()]);
    // A legitimate count still works, and only classes that occur are listed.
    let classes = interactions.per_class(&labels, 1000).unwrap();
    assert_eq!(
        classes.iter().map(|c| c.class).collect::<Vec<_>>(),
        vec![0, 1]
    );
}

// ------------------------------------------------------------ host summary

#[test]
fn host_terms_refuse_columns_of_unequal_length_and_bad_values() {
    let result = no_panic("PointwiseTerms::from_columns", || {
        PointwiseTerms::from_columns(
            vec![0.1, 0.2, 0.3],
            vec![0.1],
            vec![0.0; 3],
            vec![0.0; 3],
            vec![0.0; 3],
        )
    });
    message_has(&result.expect_err("unequal columns"), &["h2", "1", "3"]);
    let empty = PointwiseTerms::from_columns(vec![], vec![], vec![], vec![], vec![]);
    message_has(&empty.expect_err("no samples"), &["no samples"]);
    let nan = PointwiseTerms::from_columns(
        vec![1.0, 2.0],
        vec![1.0; 2],
        vec![0.1, f64::NAN],
        vec![0.1; 2],
        vec![0.2; 2],
    );
    message_has(&nan.expect_err("NaN"), &["i1[1]", "NaN"]);
}

// ------------------------------------------------------------ decompose

#[test]
fn device_terms_are_checked_when_built() {
    for (_, device) in devices() {
        let tensors = |values: [&[f32]; 5]| values.map(|v| vector(v, &device));
        let [h1, h2, i1, i2, i12] = tensors([
            &[1.0, 2.0, 3.0],
            &[1.0, 2.0],
            &[0.1; 3],
            &[0.1; 3],
            &[0.2; 3],
        ]);
        let result = no_panic("unequal terms", || PointwiseTerms::new(h1, h2, i1, i2, i12));
        message_has(&result.unwrap_err(), &["h2", "2", "3"]);

        let [h1, h2, i1, i2, i12] = tensors([&[], &[], &[], &[], &[]]);
        let result = no_panic("empty terms", || PointwiseTerms::new(h1, h2, i1, i2, i12));
        message_has(&result.unwrap_err(), &["no samples"]);

        let [h1, h2, i1, i2, i12] = tensors([
            &[1.0, 2.0],
            &[1.0, 2.0],
            &[0.1, f32::NAN],
            &[0.1; 2],
            &[0.2; 2],
        ]);
        let result = no_panic("NaN terms", || PointwiseTerms::new(h1, h2, i1, i2, i12));
        message_has(&result.unwrap_err(), &["i1[1]", "NaN"]);
    }
    // Terms on two devices (when the build has two backends).
    let devices = devices();
    if let [(_, a), (_, b), ..] = &devices[..] {
        let (on_a, on_b) = (vector(&[1.0, 2.0], a), vector(&[1.0, 2.0], b));
        let result = no_panic("terms on two devices", || {
            PointwiseTerms::new(on_a.clone(), on_b, on_a.clone(), on_a.clone(), on_a)
        });
        message_has(&result.unwrap_err(), &["h2", "device"]);
    }
}

#[test]
fn terms_whose_decomposition_would_overflow_f32_are_refused() {
    let device = &cpu_devices()[0].1;
    // Every term is an f32, but h(x1|y) = h1 − i1 = 6e38 is not.
    let big: [&[f32]; 5] = [
        &[1.0, 3e38],
        &[1.0, 3e38],
        &[0.0, -3e38],
        &[0.0, -3e38],
        &[0.0, 0.0],
    ];
    let wide = big.map(|v| v.iter().map(|&x| f64::from(x)).collect::<Vec<f64>>());
    let result =
        PointwiseTerms::from_slices(&wide[0], &wide[1], &wide[2], &wide[3], &wide[4], device);
    message_has(&result.unwrap_err(), &["h1[1]", "out of range"]);
    let [h1, h2, i1, i2, i12] = big.map(|v| vector(v, device));
    let result = PointwiseTerms::new(h1, h2, i1, i2, i12);
    message_has(&result.unwrap_err(), &["h1[1]", "out of range"]);
}

#[test]
fn from_slices_refuses_values_beyond_f32() {
    let device = &cpu_devices()[0].1;
    let result = PointwiseTerms::from_slices(
        &[1.0, 2.0],
        &[1.0, 1e39],
        &[0.0, 0.0],
        &[0.0, 0.0],
        &[0.0, 0.0],
        device,
    );
    let err = result.expect_err("1e39 is not an f32");
    message_has(&err, &["h2[1]", "1e39"]);
}

#[test]
fn from_logits_reports_pmi_that_overflows() {
    let device = &cpu_devices()[0].1;
    let prior = LabelPrior::Uniform.resolve(&[0, 1], 2).unwrap();
    let pmi = LogitPmi::new(prior);
    let ok = matrix(&[0.0, 0.0, 0.0, 0.0, 0.0, 0.0], 3, 2, device);
    // Row 2: ln p(y = 1 | x) = −3e38 − 3e38 = −∞ in f32.
    let huge = matrix(&[0.0, 0.0, 1.0, -1.0, 3e38, -3e38], 3, 2, device);
    let result = PointwiseTerms::from_logits(
        vector(&[1.0; 3], device),
        vector(&[1.0; 3], device),
        ok.clone(),
        huge,
        ok,
        labels(&[0, 1, 1], device),
        &pmi,
    );
    let err = result.expect_err("an infinite i(x2;y) is an error");
    message_has(&err, &["logits2", "[2]"]);
}

// ------------------------------------------------------------ oracle

#[test]
fn joint_pmf_is_zero_outside_its_alphabets() {
    let pmf = lsmi::Gate::Xor.pmf(); // 2 × 2 symbols, 2 classes
    // (x1, x2, y) = (0, 2, 0) used to alias the entry of (1, 0, 0) = 1/4.
    assert_eq!(pmf.p(1, 0, 1), 0.25);
    assert_eq!(no_panic("p(0, 2, 0)", || pmf.p(0, 2, 0)), 0.0);
    assert_eq!(no_panic("p(0, 0, 2)", || pmf.p(0, 0, 2)), 0.0);
    assert_eq!(no_panic("p(9, 9, 9)", || pmf.p(9, 9, 9)), 0.0);
    assert_eq!(
        no_panic("p(usize::MAX, …)", || pmf.p(usize::MAX, usize::MAX, 0)),
        0.0
    );
}

#[test]
fn joint_pmf_refuses_sizes_that_overflow() {
    let result = no_panic("JointPmf::new", || {
        JointPmf::new(usize::MAX, 2, 2, vec![1.0])
    });
    message_has(&result.unwrap_err(), &[&usize::MAX.to_string()]);
    let result = no_panic("JointPmf::from_fn", || {
        JointPmf::from_fn(1 << 20, 1 << 20, 2, |_, _, _| 0.0)
    });
    message_has(&result.unwrap_err(), &["1048576"]);
}

// ------------------------------------------------------------ scale (D6)

/// A 2-D Gaussian sample and the same rows multiplied by `c`.
fn gaussian(n: usize) -> lsmi::synthetic::Features {
    lsmi::synthetic::CorrelatedGaussian::random(2, 10.0, 17).sample(n, 23)
}

#[test]
fn knife_entropy_shifts_by_d_ln_c_when_features_are_scaled() {
    let device = &cpu_devices()[0].1;
    let x = gaussian(1000);
    let config = KnifeConfig::new(2).with_fit(FitConfig::new().with_epochs(10).with_seed(3));
    let entropy = |x: &lsmi::synthetic::Features| -> f64 {
        let tensor = x.tensor(device);
        let (model, _) = config.fit(tensor.clone()).unwrap();
        let h: Tensor<1> = model.pointwise_entropy(tensor).unwrap();
        f64::from(h.mean().into_scalar::<f32>())
    };
    let base = entropy(&x);
    for c in [1e-8f32, 1e-20] {
        let scaled = entropy(&x.scaled(c));
        let expected = base + 2.0 * f64::from(c).ln();
        assert!(
            (scaled - expected).abs() < 1e-2,
            "c = {c:e}: H = {scaled}, expected H(x) + d ln c = {expected}"
        );
    }
}

// ================================================================ the CLI

#[cfg(feature = "cli")]
mod command_line {
    use std::path::{Path, PathBuf};
    use std::process::{Child, Stdio};
    use std::time::{Duration, Instant, SystemTime};

    use serde_json::Value;

    use crate::cli_support::{
        Dtype, TempDir, as_f64, command, decompose_command, failed, lsmi, printed_entropy,
        read_json, run_decompose, run_entropy, run_estimate, stdout, text, write_gaussian_inputs,
        write_npy,
    };

    // ------------------------------------------------------------ helpers

    /// `x1.npy`, `x2.npy` (f64) and `labels.npy` of a setting-B sample, the
    /// features multiplied by `scale`.
    fn write_estimate_inputs(dir: &TempDir, n: usize, scale: f64) -> [PathBuf; 3] {
        write_gaussian_inputs(dir, n, 11, Dtype::F64, scale).0
    }

    /// The six inputs of `decompose` for `n` samples of two classes, with small
    /// logits; returns their paths in the order of the flags.
    fn write_decompose_inputs(dir: &TempDir, n: usize) -> Vec<PathBuf> {
        let labels: Vec<f64> = (0..n).map(|i| (i % 2) as f64).collect();
        let logits: Vec<f32> = (0..2 * n).map(|i| (i % 5) as f32 * 0.3 - 0.6).collect();
        let h: Vec<f32> = (0..n).map(|i| 1.0 + 0.1 * i as f32).collect();
        let paths: Vec<PathBuf> = [
            "labels.npy",
            "logits1.npy",
            "logits2.npy",
            "logits12.npy",
            "h1.npy",
            "h2.npy",
        ]
        .iter()
        .map(|name| dir.path(name))
        .collect();
        write_npy(&paths[0], Dtype::I64, &[n], &labels);
        for path in &paths[1..4] {
            write_npy(path, Dtype::F32, &[n, 2], &as_f64(&logits));
        }
        write_npy(&paths[4], Dtype::F32, &[n], &as_f64(&h));
        write_npy(&paths[5], Dtype::F32, &[n], &as_f64(&h));
        paths
    }

    /// The number of data rows of a per-sample CSV and the `n` of its JSON.
    fn rows_and_n(out: &Path, summary: &Path) -> (usize, u64) {
        let rows = std::fs::read_to_string(out).unwrap().lines().count() - 1;
        (rows, read_json(summary)["n"].as_u64().unwrap())
    }

    fn wait_until(what: &str, child: &mut Child, done: impl Fn() -> bool) {
        let start = Instant::now();
        while !done() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("lsmi exited ({status}) before {what}");
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "timed out: {what}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    // ------------------------------------------------------------ D1, D2, D3

    #[test]
    fn huge_class_counts_are_one_line_errors() {
        let dir = TempDir::new("classes");
        let inputs = write_estimate_inputs(&dir, 200, 1.0);
        let (out, summary) = (dir.path("o.csv"), dir.path("s.json"));
        for classes in ["18446744073709551615", "1000000000", "201"] {
            let output = run_estimate(
                &inputs,
                &out,
                &summary,
                &["--folds", "2", "--classes", classes],
            );
            failed(&output, &[&format!("--classes {classes}"), "200"]);
            assert!(!out.exists() && !summary.exists());
        }
    }

    #[test]
    fn huge_fold_counts_are_one_line_errors() {
        let dir = TempDir::new("folds");
        let inputs = write_estimate_inputs(&dir, 200, 1.0);
        let (out, summary) = (dir.path("o.csv"), dir.path("s.json"));
        for folds in ["9223372036854775808", "18446744073709551615", "101"] {
            let output = run_estimate(&inputs, &out, &summary, &["--folds", folds]);
            let line = failed(&output, &[&format!("--folds {folds}"), "200 rows"]);
            // 2 · folds, computed without wrapping.
            assert!(
                !line.contains("18446744073709551614") && !line.contains(" 0 rows"),
                "{line}"
            );
            assert!(!out.exists() && !summary.exists());
        }
    }

    // ------------------------------------------------------------ D4

    #[test]
    fn an_existing_output_survives_a_summary_that_is_a_directory() {
        let dir = TempDir::new("dir-summary");
        let inputs = write_estimate_inputs(&dir, 200, 1.0);
        let out = dir.path("out.csv");
        let sumdir = dir.path("sumdir");
        std::fs::create_dir(&sumdir).unwrap();
        std::fs::write(&out, "OLD\n").unwrap();
        let output = run_estimate(&inputs, &out, &sumdir, &["--folds", "2"]);
        failed(&output, &["sumdir", "directory"]);
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "OLD\n");
        assert!(dir.hidden().is_empty(), "{:?}", dir.hidden());

        let dir = TempDir::new("dir-summary-decompose");
        let inputs = write_decompose_inputs(&dir, 6);
        let out = dir.path("out.csv");
        let sumdir = dir.path("sumdir");
        std::fs::create_dir(&sumdir).unwrap();
        std::fs::write(&out, "OLD\n").unwrap();
        failed(
            &run_decompose(&inputs, &out, &sumdir, &[]),
            &["sumdir", "directory"],
        );
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "OLD\n");
        assert!(dir.hidden().is_empty(), "{:?}", dir.hidden());
        // A trailing slash names the directory too.
        let slash = PathBuf::from(format!("{}/", sumdir.display()));
        failed(&run_decompose(&inputs, &out, &slash, &[]), &["sumdir"]);
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "OLD\n");
    }

    #[test]
    fn output_paths_are_checked_before_the_fit() {
        let dir = TempDir::new("before-fit");
        let inputs = write_estimate_inputs(&dir, 200, 1.0);
        // x1 holds a NaN, which only the fit finds: the output problem must be
        // reported first.
        let mut values = vec![0.5f32; 200 * 2];
        values[7] = f32::NAN;
        write_npy(&inputs[0], Dtype::F32, &[200, 2], &as_f64(&values));
        let summary = dir.path("s.json");
        let missing = dir.path("no-such-folder").join("o.csv");
        let line = failed(
            &run_estimate(&inputs, &missing, &summary, &["--folds", "2"]),
            &["no-such-folder"],
        );
        assert!(!line.contains("NaN"), "{line}");
        let sumdir = dir.path("sumdir");
        std::fs::create_dir(&sumdir).unwrap();
        let line = failed(
            &run_estimate(&inputs, &dir.path("o.csv"), &sumdir, &["--folds", "2"]),
            &["sumdir"],
        );
        assert!(!line.contains("NaN"), "{line}");

        // `--out -` is refused, and no file named `-` appears.
        let inputs = write_decompose_inputs(&dir, 6);
        let mut run = decompose_command(&inputs, Path::new("-"), Path::new("s.json"), &[]);
        let output = run.current_dir(&dir.0).output().unwrap();
        failed(&output, &["--out", "-"]);
        assert!(!dir.path("-").exists() && !dir.path("s.json").exists());
        let x = text(&dir.path("x1.npy"));
        let output = command(&["entropy", "--x", &x, "--out", "-"])
            .current_dir(&dir.0)
            .output()
            .unwrap();
        failed(&output, &["--out", "-"]);
        assert!(!dir.path("-").exists());
    }

    // ------------------------------------------------------------ D5

    #[test]
    fn an_output_that_is_an_input_is_refused() {
        let dir = TempDir::new("same-as-input");
        let inputs = write_estimate_inputs(&dir, 200, 1.0);
        let before: Vec<Vec<u8>> = inputs.iter().map(|p| std::fs::read(p).unwrap()).collect();
        let unchanged = || {
            for (path, bytes) in inputs.iter().zip(&before) {
                assert_eq!(&std::fs::read(path).unwrap(), bytes, "{}", path.display());
            }
        };
        let (out, summary) = (dir.path("o.csv"), dir.path("s.json"));
        // The same path, another spelling of it, a symlink and a hard link.
        let spelled = dir.0.join(".").join("x2.npy");
        std::os::unix::fs::symlink(&inputs[2], dir.path("link.json")).unwrap();
        std::fs::hard_link(&inputs[0], dir.path("hard.csv")).unwrap();
        for (o, s, input) in [
            (inputs[0].clone(), summary.clone(), "x1.npy"),
            (out.clone(), spelled.clone(), "x2.npy"),
            (out.clone(), dir.path("link.json"), "labels.npy"),
            (dir.path("hard.csv"), summary.clone(), "x1.npy"),
        ] {
            let output = run_estimate(&inputs, &o, &s, &["--folds", "2"]);
            failed(&output, &["input", input]);
            unchanged();
        }

        let other = TempDir::new("same-as-input-decompose");
        let inputs = write_decompose_inputs(&other, 6);
        let h1 = std::fs::read(&inputs[4]).unwrap();
        failed(
            &run_decompose(&inputs, &out, &inputs[4], &[]),
            &["--summary", "h1.npy"],
        );
        assert_eq!(std::fs::read(&inputs[4]).unwrap(), h1);

        let x = text(&dir.path("x1.npy"));
        let output = lsmi(&["entropy", "--x", &x, "--out", &x, "--epochs", "1"]);
        failed(&output, &["--out", "x1.npy"]);
        unchanged();
    }

    // ------------------------------------------------------------ D6

    #[test]
    fn entropy_of_scaled_features_shifts_by_d_ln_c() {
        let dir = TempDir::new("entropy-scale");
        let x = lsmi::synthetic::CorrelatedGaussian::random(2, 10.0, 17).sample(1000, 23);
        let entropy = |scale: f64| -> f64 {
            let path = dir.path("x.npy");
            let values: Vec<f64> = x.values.iter().map(|&v| f64::from(v) * scale).collect();
            write_npy(&path, Dtype::F64, &[1000, 2], &values);
            let args = ["--epochs", "10", "--seed", "3"];
            printed_entropy(&stdout(&run_entropy(&path, &dir.path("h.csv"), &args)))
        };
        let base = entropy(1.0);
        for c in [1e-8, 1e-20] {
            let expected = base + 2.0 * f64::ln(c);
            let found = entropy(c);
            assert!(
                (found - expected).abs() < 1e-2,
                "c = {c:e}: H = {found}, expected H(x) + d ln c = {expected}"
            );
        }
    }

    #[test]
    fn estimate_of_scaled_features_keeps_i_and_shifts_h() {
        let read = |scale: f64| -> (Value, f64) {
            let dir = TempDir::new("estimate-scale");
            let inputs = write_estimate_inputs(&dir, 200, scale);
            let (out, summary) = (dir.path("o.csv"), dir.path("s.json"));
            stdout(&run_estimate(&inputs, &out, &summary, &["--folds", "2"]));
            let json = read_json(&summary);
            let csv = std::fs::read_to_string(&out).unwrap();
            let h1: Vec<f64> = csv
                .lines()
                .skip(1)
                .map(|l| l.split(',').nth(6).unwrap().parse().unwrap())
                .collect();
            (json, h1.iter().sum::<f64>() / h1.len() as f64)
        };
        let (base, base_h1) = read(1.0);
        let (scaled, scaled_h1) = read(1e-8);
        for key in ["I1", "I2", "I12"] {
            let (a, b) = (base[key].as_f64().unwrap(), scaled[key].as_f64().unwrap());
            assert!(
                (a - b).abs() < 1e-2,
                "{key}: {a} unscaled, {b} scaled by 1e-8"
            );
        }
        let d1 = 2.0; // setting B: two features per modality
        let expected = base_h1 + d1 * f64::ln(1e-8);
        assert!(
            (scaled_h1 - expected).abs() < 1e-2,
            "H1: {scaled_h1}, expected {expected}"
        );
    }

    // ------------------------------------------------------------ D7

    #[test]
    fn a_pandas_index_column_is_refused_with_the_fix() {
        let dir = TempDir::new("pandas");
        let inputs = write_estimate_inputs(&dir, 200, 1.0);
        let sample = lsmi::synthetic::GaussianFamily::setting_b(0.5)
            .sample(200, 11)
            .unwrap();
        let x1 = dir.path("x1.csv");
        let mut csv = String::from(",a,b\n");
        for (index, row) in sample.x1.values.chunks(2).enumerate() {
            csv.push_str(&format!("{index},{},{}\n", row[0], row[1]));
        }
        std::fs::write(&x1, csv).unwrap();
        let inputs = [x1, inputs[1].clone(), inputs[2].clone()];
        let (out, summary) = (dir.path("o.csv"), dir.path("s.json"));
        failed(
            &run_estimate(&inputs, &out, &summary, &["--folds", "2"]),
            &["x1.csv", "index", "index=False"],
        );
        assert!(!out.exists() && !summary.exists());
    }

    // ------------------------------------------------------------ D8

    #[test]
    fn overflowing_logits_are_an_error_naming_file_and_row() {
        let dir = TempDir::new("huge-logits");
        let inputs = write_decompose_inputs(&dir, 6);
        let mut logits: Vec<f32> = vec![0.1; 12];
        logits[2 * 3] = 3e38; // row 3, label 1: ln p(y|x) = −∞ in f32
        logits[2 * 3 + 1] = -3e38;
        write_npy(&inputs[2], Dtype::F32, &[6, 2], &as_f64(&logits));
        let (out, summary) = (dir.path("o.csv"), dir.path("s.json"));
        failed(
            &run_decompose(&inputs, &out, &summary, &[]),
            &["logits2.npy", "[3]"],
        );
        assert!(!out.exists() && !summary.exists());
    }

    // ------------------------------------------------------------ D9

    #[test]
    fn a_killed_run_leaves_the_old_outputs_and_the_next_run_tidies_up() {
        let dir = TempDir::new("killed");
        let inputs = write_decompose_inputs(&dir, 6);
        let (out, summary) = (dir.path("o.csv"), dir.path("s.json"));
        std::fs::write(&out, "OLD CSV\n").unwrap();
        std::fs::write(&summary, "OLD JSON\n").unwrap();
        let mut child = decompose_command(&inputs, &out, &summary, &[])
            .env("LSMI_TEST_PAUSE_BEFORE_RENAME_MS", "20000")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Both temporary files written: kill it (SIGKILL) before the renames.
        wait_until("the temporary files", &mut child, || {
            dir.hidden().iter().filter(|n| n.ends_with(".tmp")).count() == 2
        });
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "OLD CSV\n");
        assert_eq!(std::fs::read_to_string(&summary).unwrap(), "OLD JSON\n");
        // The killed run's leftovers, once old enough, are removed by the next run.
        let leftovers = dir.hidden();
        assert_eq!(leftovers.len(), 2, "{leftovers:?}");
        for name in &leftovers {
            let file = std::fs::File::options()
                .write(true)
                .open(dir.path(name))
                .unwrap();
            file.set_modified(SystemTime::now() - Duration::from_secs(3600))
                .unwrap();
        }
        stdout(&run_decompose(&inputs, &out, &summary, &[]));
        assert!(dir.hidden().is_empty(), "{:?}", dir.hidden());
        assert_eq!(rows_and_n(&out, &summary), (6, 6));
    }

    #[test]
    fn concurrent_runs_to_the_same_outputs_do_not_mix() {
        let dir = TempDir::new("concurrent");
        let first = TempDir::new("concurrent-a");
        let second = TempDir::new("concurrent-b");
        let inputs_a = write_decompose_inputs(&first, 4);
        let inputs_b = write_decompose_inputs(&second, 6);
        let (out, summary) = (dir.path("o.csv"), dir.path("s.json"));
        // A stops between its two renames; B runs to the end meanwhile.
        let mut a = decompose_command(&inputs_a, &out, &summary, &[])
            .env("LSMI_TEST_PAUSE_BETWEEN_RENAMES_MS", "1500")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        wait_until("A's first rename", &mut a, || out.exists());
        let b = run_decompose(&inputs_b, &out, &summary, &[]);
        stdout(&b);
        assert!(a.wait().unwrap().success());
        let (rows, n) = rows_and_n(&out, &summary);
        assert_eq!(rows as u64, n, "the CSV and the JSON come from one run");
        assert_eq!(rows, 6, "B finished last");
        assert!(dir.hidden().is_empty(), "{:?}", dir.hidden());
    }

    // ------------------------------------------------------------ D10

    #[test]
    #[cfg(target_os = "linux")]
    fn stdout_write_errors_exit_1() {
        let full = || std::fs::File::create("/dev/full").unwrap();
        for args in [
            &["gates"][..],
            &["gates", "--json"],
            &["--help"],
            &["--version"],
        ] {
            let output = command(args)
                .stdout(full())
                .stderr(Stdio::piped())
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
            assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
            assert!(
                stderr.starts_with("error: ") && stderr.contains("standard output"),
                "{args:?}: {stderr}"
            );
        }
        // The files are written before the means are printed: they stay.
        let dir = TempDir::new("full");
        let inputs = write_decompose_inputs(&dir, 6);
        let (out, summary) = (dir.path("o.csv"), dir.path("s.json"));
        let output = decompose_command(&inputs, &out, &summary, &[])
            .stdout(full())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        assert_eq!(rows_and_n(&out, &summary), (6, 6));
    }
}

// ------------------------------------------------------------ transform

#[test]
fn transform_checks_shapes_before_joining_the_modalities() {
    let gaussian = lsmi::synthetic::GaussianFamily::setting_b(0.5);
    let sample = gaussian.sample(40, 3).unwrap();
    let fewer = gaussian.sample(30, 4).unwrap();
    let wide =
        lsmi::synthetic::GaussianFamily::new(3, 3, 0.5, 0.5, lsmi::synthetic::ClassMeans::OneHot)
            .sample(40, 5)
            .unwrap();
    let config = LsmiConfig::fixed(2)
        .with_folds(2)
        .with_knife(lsmi::KnifeConfig::new(1).with_fit(lsmi::FitConfig::new().with_epochs(1)))
        .with_classifier(
            lsmi::ClassifierConfig::new().with_fit(lsmi::FitConfig::new().with_epochs(1)),
        );
    for (backend, device) in cpu_devices() {
        let y = labels(&sample.labels, &device);
        let fitted = config
            .fit(
                sample.x1.tensor(&device),
                sample.x2.tensor(&device),
                y.clone(),
            )
            .unwrap();
        // x2 with fewer rows than x1: an error, not a panic inside `cat`.
        let err = no_panic("transform with fewer x2 rows", || {
            fitted.transform(
                sample.x1.tensor(&device),
                fewer.x2.tensor(&device),
                y.clone(),
            )
        })
        .unwrap_err();
        assert!(
            matches!(
                err,
                LsmiError::LengthMismatch {
                    what: "x2",
                    expected: 40,
                    found: 30,
                    ..
                }
            ),
            "{backend}: {err}"
        );
        // Labels of another length.
        let err = fitted
            .transform(
                sample.x1.tensor(&device),
                sample.x2.tensor(&device),
                labels(&fewer.labels, &device),
            )
            .unwrap_err();
        assert!(
            matches!(err, LsmiError::LengthMismatch { what: "labels", .. }),
            "{backend}: {err}"
        );
        // x1 of another width than the models were fitted on.
        let err = no_panic("transform with wider x1", || {
            fitted.transform(
                wide.x1.tensor(&device),
                sample.x2.tensor(&device),
                y.clone(),
            )
        })
        .unwrap_err();
        assert!(
            matches!(
                err,
                LsmiError::WidthMismatch {
                    what: "x1",
                    expected: 2,
                    found: 3,
                    ..
                }
            ),
            "{backend}: {err}"
        );
    }
}
