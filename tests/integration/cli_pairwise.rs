//! `lsmi pairwise`: the files it writes, the sharing of each view across its
//! pairs, two views against `lsmi estimate`, and its one-line errors.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cli_support::{
    Dtype, TempDir, failed, lsmi, read_json, stdout, text, write_gaussian_inputs, write_npy,
};

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
