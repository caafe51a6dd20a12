//! `lsmi pairwise`: the files it writes, the sharing of each view across its
//! pairs, two views against `lsmi estimate`, `--centered` against the library
//! and under a change of units, and its one-line errors.

use std::path::{Path, PathBuf};

use lsmi::{LsmiConfig, SeededRng};
use serde_json::Value;

use crate::cli_support::{
    Dtype, TempDir, as_f64, failed, lsmi, read_json, stdout, text, write_gaussian_inputs, write_npy,
};
use crate::common::{labels, matrix, read};

/// Runs `pairwise` on `views` and `labels` into `out_dir`, then `extra`.
fn run_pairwise(
    views: &[&Path],
    labels: &Path,
    out_dir: &Path,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec!["pairwise".to_string()];
    for view in views {
        args.extend(["--x".to_string(), text(view)]);
    }
    args.extend([
        "--labels".into(),
        text(labels),
        "--out-dir".into(),
        text(out_dir),
    ]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    lsmi(&args)
}

/// The columns of a per-sample CSV by name.
fn csv_columns(path: &Path) -> Vec<(String, Vec<f64>)> {
    let content = std::fs::read_to_string(path).unwrap();
    let mut lines = content.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    let mut columns: Vec<(String, Vec<f64>)> = header.into_iter().map(|h| (h, vec![])).collect();
    for line in lines {
        for (column, value) in columns.iter_mut().zip(line.split(',')) {
            column.1.push(value.parse().unwrap());
        }
    }
    columns
}

fn column<'a>(columns: &'a [(String, Vec<f64>)], name: &str) -> &'a [f64] {
    &columns.iter().find(|(n, _)| n == name).unwrap().1
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// The same `f64`, up to the last bit serde_json's parser may miss.
fn assert_same(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-15 * want.abs().max(1e-300),
        "{what}: {got} vs {want}"
    );
}

fn num(json: &Value, key: &str) -> f64 {
    json[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} in {json}"))
}

#[test]
fn two_views_write_what_estimate_writes() {
    let dir = TempDir::new("pairwise-two");
    let (inputs, _) = write_gaussian_inputs(&dir, 240, 21, Dtype::F32, 1.0);
    let out_dir = dir.path("out");
    let flags = ["--folds", "3", "--seed", "5"];
    stdout(&run_pairwise(
        &[&inputs[0], &inputs[1]],
        &inputs[2],
        &out_dir,
        &flags,
    ));
    let (csv, summary) = (dir.path("estimate.csv"), dir.path("estimate.json"));
    stdout(&crate::cli_support::run_estimate(
        &inputs, &csv, &summary, &flags,
    ));
    assert_eq!(
        std::fs::read_to_string(out_dir.join("pair_0_1.csv")).unwrap(),
        std::fs::read_to_string(&csv).unwrap(),
        "pairwise on two views writes estimate's per-sample CSV"
    );
    let pairwise = read_json(&out_dir.join("summary.json"));
    let estimate = read_json(&summary);
    let pair = &pairwise["pairs"][0];
    assert_eq!((pair["a"].as_u64(), pair["b"].as_u64()), (Some(0), Some(1)));
    for key in ["R", "U1", "U2", "S", "I1", "I2", "I12"] {
        assert_eq!(num(pair, key), num(&estimate, key), "{key}");
    }
    for (view, (h, i)) in [("H1", "I1"), ("H2", "I2")].into_iter().enumerate() {
        assert_eq!(num(&pairwise["views"][view], "H"), num(&estimate, h));
        assert_eq!(num(&pairwise["views"][view], "I"), num(&estimate, i));
    }
}

#[test]
fn three_views_write_every_pair_and_share_each_view() {
    let dir = TempDir::new("pairwise-three");
    let n = 240;
    let (inputs, sample) = write_gaussian_inputs(&dir, n, 22, Dtype::F64, 1.0);
    // A third view: a category code 0..3 (discrete) and a continuous column.
    let third: Vec<f64> = (0..n)
        .flat_map(|r| [(r * 7 % 4) as f64, (r as f64 * 1.7 + 0.3).sin()])
        .collect();
    let x3 = dir.path("codes.npy");
    write_npy(&x3, Dtype::F64, &[n, 2], &third);
    let out_dir = dir.path("out");
    let printed = stdout(&run_pairwise(
        &[&inputs[0], &inputs[1], &x3],
        &inputs[2],
        &out_dir,
        &["--folds", "2", "--names", "first,second,codes"],
    ));
    for needle in [
        "first+second",
        "first+codes",
        "second+codes",
        "1 of 2",
        "fit time",
    ] {
        assert!(
            printed.contains(needle),
            "{needle:?} missing from\n{printed}"
        );
    }
    let mut names: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "pair_0_1.csv",
            "pair_0_2.csv",
            "pair_1_2.csv",
            "summary.json"
        ]
    );

    let json = read_json(&out_dir.join("summary.json"));
    assert_eq!(json["units"], "nats");
    assert_eq!(json["centered"], false);
    assert_eq!(json["n"], n);
    let views = json["views"].as_array().unwrap();
    let expected = [("first", 2), ("second", 2), ("codes", 2)];
    for (view, (name, dim)) in views.iter().zip(expected) {
        assert_eq!(
            (view["name"].as_str(), view["dim"].as_u64()),
            (Some(name), Some(dim))
        );
    }
    assert_eq!(views[0]["dequantized"], Value::Array(vec![]));
    let found = &views[2]["dequantized"];
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    assert_eq!(
        (found[0]["column"].as_u64(), found[0]["levels"].as_u64()),
        (Some(0), Some(4))
    );
    assert_eq!(found[0]["width"], 1.0);

    // Every pair's CSV: labels in order, means as in the JSON, and each view's
    // h and i the same column in both of its pairs.
    let pairs = json["pairs"].as_array().unwrap();
    let mut seen: Vec<Vec<(Vec<f64>, Vec<f64>)>> = vec![vec![]; 3];
    for (pair, (a, b)) in pairs.iter().zip([(0, 1), (0, 2), (1, 2)]) {
        assert_eq!((pair["a"].as_u64(), pair["b"].as_u64()), (Some(a), Some(b)));
        let columns = csv_columns(&out_dir.join(format!("pair_{a}_{b}.csv")));
        let labels: Vec<i64> = column(&columns, "label")
            .iter()
            .map(|&v| v as i64)
            .collect();
        assert_eq!(labels, sample.labels);
        for key in ["r", "u1", "u2", "s", "i12"] {
            let want = num(pair, &key.to_uppercase());
            let got = mean(column(&columns, key));
            assert!(
                (got - want).abs() < 1e-5,
                "pair ({a}, {b}) {key}: {got} vs {want}"
            );
        }
        for (view, h, i) in [(a, "h1", "i1"), (b, "h2", "i2")] {
            seen[view as usize].push((column(&columns, h).to_vec(), column(&columns, i).to_vec()));
        }
    }
    for (view, columns) in seen.iter().enumerate() {
        assert_eq!(
            columns[0], columns[1],
            "view {view}: h, i differ across its pairs"
        );
        let (h, i) = (mean(&columns[0].0), mean(&columns[0].1));
        assert!((h - num(&views[view], "H")).abs() < 1e-5, "view {view} H");
        assert!((i - num(&views[view], "I")).abs() < 1e-5, "view {view} I");
    }
}

#[test]
fn pairwise_errors_are_one_line() {
    let dir = TempDir::new("pairwise-errors");
    let (inputs, _) = write_gaussian_inputs(&dir, 60, 23, Dtype::F32, 1.0);
    let out_dir = dir.path("out");
    let [x1, x2, labels]: [&PathBuf; 3] = [&inputs[0], &inputs[1], &inputs[2]];
    failed(
        &run_pairwise(&[x1], labels, &out_dir, &[]),
        &["--x", "at least 2"],
    );
    failed(
        &run_pairwise(&[x1, x2], labels, &out_dir, &["--names", "a,b,c"]),
        &["--names", "3 names for 2 views"],
    );
    // A view with other rows: named by its file and index.
    let short = dir.path("short.npy");
    write_npy(&short, Dtype::F32, &[50, 1], &[0.5; 50]);
    failed(
        &run_pairwise(&[x1, &short], labels, &out_dir, &["--folds", "2"]),
        &["short.npy", "view 1", "50 entries"],
    );
    // An output folder that is a file, and an input inside the outputs.
    let file = dir.path("file");
    std::fs::write(&file, "x").unwrap();
    failed(
        &run_pairwise(&[x1, x2], labels, &file, &[]),
        &["--out-dir", "not a folder"],
    );
    failed(
        &run_pairwise(&[x1, x2], &dir.path("summary.json"), &dir.0, &[]),
        &["summary.json", "input"],
    );
}

/// Three views as f32 `.npy`, named by their files `x1`, `x2`, `noise`: setting
/// B's `x1` multiplied by `units` and `x2`, then two columns of `N(0, 1)` noise
/// independent of everything; the labels last. Returns the paths, the features
/// of each view as written (`[n, 2]`, f32) and the labels.
fn write_three_views(
    dir: &TempDir,
    n: usize,
    seed: u64,
    units: f32,
) -> ([PathBuf; 4], [Vec<f32>; 3], Vec<i64>) {
    let (inputs, sample) = write_gaussian_inputs(dir, n, seed, Dtype::F32, 1.0);
    let x1: Vec<f32> = sample.x1.values.iter().map(|v| v * units).collect();
    write_npy(&inputs[0], Dtype::F32, &[n, 2], &as_f64(&x1));
    let mut rng = SeededRng::new(seed + 100);
    let noise: Vec<f32> = (0..2 * n).map(|_| rng.normal() as f32).collect();
    let x3 = dir.path("noise.npy");
    write_npy(&x3, Dtype::F32, &[n, 2], &as_f64(&noise));
    let [x1_path, x2_path, labels_path] = inputs;
    (
        [x1_path, x2_path, x3, labels_path],
        [x1, sample.x2.values, noise],
        sample.labels,
    )
}

/// `--centered` writes what `LsmiConfig::fit_pairwise` gives with `centered`
/// on the same features: the per-sample CSVs (centred `h`) value for value,
/// the views' `H` (the means subtracted), each pair's means and scale
/// diagnostics; the raw fractions beside them are those of the raw variant of
/// the same fit.
#[test]
fn centered_pairwise_is_the_library_centred_pairwise() {
    let dir = TempDir::new("pairwise-centred");
    let n = 240;
    let (paths, features, y) = write_three_views(&dir, n, 24, 1.0);
    let out_dir = dir.path("out");
    stdout(&run_pairwise(
        &[&paths[0], &paths[1], &paths[2]],
        &paths[3],
        &out_dir,
        &[
            "--centered",
            "--folds",
            "2",
            "--seed",
            "3",
            "--preset",
            "reference",
        ],
    ));
    let device = lsmi::default_device();
    let mut config = LsmiConfig::reference(2).with_folds(2).with_seed(3);
    config.centered = true;
    let fitted = config
        .fit_pairwise(
            features.iter().map(|x| matrix(x, n, 2, &device)).collect(),
            labels(&y, &device),
        )
        .unwrap();
    let raw = fitted.with_centering(false).unwrap();

    let json = read_json(&out_dir.join("summary.json"));
    assert_eq!(json["centered"], true);
    for (view, want) in json["views"].as_array().unwrap().iter().zip(fitted.views()) {
        assert_same(num(view, "H"), want.h, "the H subtracted");
    }
    let pairs = json["pairs"].as_array().unwrap();
    for ((pair, want), raw_pair) in pairs.iter().zip(fitted.pairs()).zip(raw.pairs()) {
        let (a, b) = want.views();
        let columns = csv_columns(&out_dir.join(format!("pair_{a}_{b}.csv")));
        for (name, values) in want.interactions().columns() {
            let found: Vec<f32> = column(&columns, name.name())
                .iter()
                .map(|&v| v as f32)
                .collect();
            assert_eq!(found, read(values), "pair ({a}, {b}) {name}");
        }
        let m = want.summary();
        for (key, value) in [
            ("R", m.r),
            ("U1", m.u1),
            ("U2", m.u2),
            ("S", m.s),
            ("I12", m.i12),
            ("mean_h_gap", m.mean_h_gap()),
            ("same_min_fraction", m.same_min_fraction()),
        ] {
            assert_same(num(pair, key), value, &format!("pair ({a}, {b}) {key}"));
        }
        let fractions = serde_json::json!(m.same_min_fractions);
        assert_eq!(pair["same_min_fractions"], fractions);
        let variants = &pair["same_min_fractions_by_variant"];
        assert_eq!(variants["centered"], fractions);
        // Raw again from the centred CSV values (the means added back in f64):
        // a sample within f32 rounding of a tie may count otherwise.
        for (k, want) in raw_pair.summary().same_min_fractions.iter().enumerate() {
            let got = variants["raw"][k].as_f64().unwrap();
            assert!(
                (got - want).abs() <= 1.0 / n as f64,
                "pair ({a}, {b}) raw {k}"
            );
        }
    }
}

/// The invariance `--centered` is for, through the CLI: view 0 in other units
/// (× 1000, which adds `2 ln 1000 ≈ 13.8` nats to its `h`) changes the raw
/// pairs it is in — `h` shifts by exactly that, view 1 or 2 now attains both
/// minima nearly everywhere, stderr warns naming the pair — and leaves the pair
/// without it untouched; centred, no pair changes beyond the rounding of the
/// f32 features and of the CSV (the models standardise their inputs, so they
/// fit the scaled view as they fit the original one: the largest per-sample
/// difference seen is a few f32 steps (1.7e-6 nats with the fixed models);
/// 1e-5 relative leaves room, while any raw pair with view 0 moves by 13.8
/// nats in `h`).
#[test]
fn other_units_move_raw_pairs_and_not_centred_ones() {
    let n = 240;
    let run = |units: f32, centred: bool| {
        let dir = TempDir::new(&format!("pairwise-units-{units}-{centred}"));
        let (paths, _, _) = write_three_views(&dir, n, 25, units);
        let out_dir = dir.path("out");
        let mut flags = vec!["--folds", "2", "--seed", "6"];
        if centred {
            flags.push("--centered");
        }
        let output = run_pairwise(
            &[&paths[0], &paths[1], &paths[2]],
            &paths[3],
            &out_dir,
            &flags,
        );
        stdout(&output);
        let pairs: Vec<_> = ["pair_0_1", "pair_0_2", "pair_1_2"]
            .map(|p| csv_columns(&out_dir.join(format!("{p}.csv"))))
            .into();
        let json = read_json(&out_dir.join("summary.json"));
        let stderr = String::from_utf8(output.stderr).unwrap();
        (pairs, json, stderr)
    };
    let (raw, raw_json, quiet) = run(1.0, false);
    let (scaled, scaled_json, warning) = run(1000.0, false);
    assert!(!quiet.contains("warning"), "{quiet}");
    let shift = 2.0 * 1000f64.ln();
    for (p, (a, b)) in [(0, (0, 1)), (1, (0, 2))] {
        for (k, (moved, base)) in column(&scaled[p], "h1")
            .iter()
            .zip(column(&raw[p], "h1"))
            .enumerate()
        {
            let tol = 1e-5 * (1.0 + base.abs());
            assert!(
                (moved - base - shift).abs() < tol,
                "raw pair ({a}, {b}) h1[{k}]: {moved} vs {base} + {shift}"
            );
        }
        let (before, after) = (&raw_json["pairs"][p], &scaled_json["pairs"][p]);
        // View b now attains both minima on nearly every sample (there r = i2
        // and u2 = 0, whatever y says); before, on well under all of them.
        let view_b = |json: &Value| json["same_min_fractions"][1].as_f64().unwrap();
        assert!(
            view_b(after) > 0.95,
            "raw pair ({a}, {b}) in other units: {after}"
        );
        assert!(view_b(before) < 0.8, "raw pair ({a}, {b}): {before}");
        let names = ["x1+x2: modality 2 (x2)", "x1+noise: modality 2 (noise)"][p];
        assert!(
            warning.contains(&format!("warning: pair {names}")),
            "{warning}"
        );
    }
    assert_eq!(raw[2], scaled[2], "raw pair (1, 2) does not involve view 0");

    let (centred, centred_json, _) = run(1.0, true);
    let (centred_scaled, centred_scaled_json, _) = run(1000.0, true);
    for (p, pair) in centred.iter().enumerate() {
        for (name, values) in pair {
            for (k, (moved, base)) in column(&centred_scaled[p], name)
                .iter()
                .zip(values)
                .enumerate()
            {
                let tol = 1e-5 * (1.0 + base.abs());
                assert!(
                    (moved - base).abs() < tol,
                    "centred pair {p} {name}[{k}]: {moved} vs {base}"
                );
            }
        }
        for key in ["R", "U1", "U2", "S", "same_min_fraction"] {
            let (moved, base) = (
                num(&centred_scaled_json["pairs"][p], key),
                num(&centred_json["pairs"][p], key),
            );
            assert!(
                (moved - base).abs() < 1e-6,
                "centred pair {p} {key}: {moved} vs {base}"
            );
        }
    }
}
