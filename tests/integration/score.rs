//! Fit once, score other rows: `LsmiModels::save`/`LsmiModels::load` (no
//! configuration needed), and `lsmi estimate --save-models` with `lsmi score`.

use std::path::{Path, PathBuf};

use lsmi::burn::tensor::Device;
use lsmi::synthetic::{GaussianFamily, GaussianSample};
use lsmi::{
    ClassifierConfig, FitConfig, Interactions, KnifeConfig, LsmiConfig, LsmiError, LsmiModels,
};

use crate::cli_support::{
    Dtype, TempDir, failed, read_json, run_estimate, run_score, stdout, write_gaussian_inputs,
    write_npy,
};
use crate::common::{cpu_devices, labels};

/// A small, fast configuration (3 folds, few epochs) that is not the default,
/// so that a load which ignored the stored configuration would fail.
fn quick() -> LsmiConfig {
    LsmiConfig::fixed(2)
        .with_folds(3)
        .with_seed(4)
        .with_knife(
            KnifeConfig::new(1)
                .with_kernels(3)
                .with_fit(FitConfig::new().with_epochs(4)),
        )
        .with_classifier(
            ClassifierConfig::new()
                .with_hidden(vec![12, 6])
                .with_fit(FitConfig::new().with_epochs(6).with_batch_size(64)),
        )
}

fn sample(n: usize, seed: u64) -> GaussianSample {
    GaussianFamily::setting_b(0.5).sample(n, seed).unwrap()
}

/// `config` fitted on all of `data`'s rows on `device`.
fn fit_on(config: &LsmiConfig, data: &GaussianSample, device: &Device) -> lsmi::FittedLsmi {
    config
        .fit(
            data.x1.tensor(device),
            data.x2.tensor(device),
            labels(&data.labels, device),
        )
        .unwrap()
}

/// The models' per-sample values on `rows`, read back to the host.
fn transform(
    models: &LsmiModels,
    rows: &GaussianSample,
    device: &Device,
) -> Interactions<Vec<f64>> {
    models
        .transform(
            rows.x1.tensor(device),
            rows.x2.tensor(device),
            labels(&rows.labels, device),
        )
        .unwrap()
        .to_host()
        .unwrap()
}

/// Every per-sample column, in the order of the CLI's CSV (label left out).
fn columns(host: &Interactions<Vec<f64>>) -> [&Vec<f64>; 11] {
    host.columns().map(|(_, column)| column)
}

fn bits(host: &Interactions<Vec<f64>>) -> Vec<Vec<u64>> {
    columns(host)
        .iter()
        .map(|c| c.iter().map(|v| v.to_bits()).collect())
        .collect()
}

fn record_error(result: lsmi::Result<LsmiModels>, needles: &[&str]) -> String {
    match result {
        Err(LsmiError::Record(message)) => {
            for needle in needles {
                assert!(
                    message.contains(needle),
                    "{needle:?} missing from {message}"
                );
            }
            message
        }
        Err(other) => panic!("expected LsmiError::Record, got {other:?}"),
        Ok(_) => panic!("expected LsmiError::Record, got models"),
    }
}

// ---------------------------------------------------------------- library

#[test]
fn saved_models_load_without_a_config_and_score_bit_identically() {
    let data = sample(240, 1);
    let fresh = sample(60, 2);
    for (backend, device) in cpu_devices() {
        let dir = TempDir::new(&format!("score-lib-{backend}"));
        let config = quick();
        let fitted = fit_on(&config, &data, &device);
        let models_dir = dir.path("models");
        fitted.save(&models_dir).unwrap();

        let loaded = LsmiModels::load(&models_dir, &device).unwrap();
        assert_eq!(loaded.prior(), fitted.prior(), "{backend}");
        assert_eq!(loaded.feature_counts(), (data.x1.cols, data.x2.cols));
        assert_eq!(loaded.num_sets(), 3);
        assert_eq!(
            format!("{}", loaded.config()),
            format!("{config}"),
            "{backend}: the stored configuration"
        );
        let before = transform(fitted.models(), &fresh, &device);
        assert_eq!(before.len(), 60);
        assert_eq!(
            bits(&before),
            bits(&transform(&loaded, &fresh, &device)),
            "{backend}: loaded models score differently"
        );
        // The configuration's own load still works, and agrees.
        let by_config = config.load(&models_dir, &device).unwrap();
        assert_eq!(bits(&before), bits(&transform(&by_config, &fresh, &device)));
        // Saved again from the loaded models: the same files load the same.
        loaded.save(dir.path("again")).unwrap();
        let again = LsmiModels::load(dir.path("again"), &device).unwrap();
        assert_eq!(bits(&before), bits(&transform(&again, &fresh, &device)));
    }
}

#[test]
fn loading_a_missing_incomplete_or_corrupt_folder_is_a_record_error() {
    let (_, device) = cpu_devices().remove(0);
    let data = sample(120, 3);
    let dir = TempDir::new("score-corrupt");
    let config = quick();
    let fitted = fit_on(&config, &data, &device);
    let load = |path: &Path| LsmiModels::load(path, &device);

    record_error(
        load(&dir.path("no-such-folder")),
        &["lsmi.json", "not found"],
    );
    record_error(load(&dir.0), &["lsmi.json", "not found"]);

    let models = dir.path("models");
    let fresh = || {
        let _ = std::fs::remove_dir_all(&models);
        fitted.save(&models).unwrap();
    };
    let meta = models.join("lsmi.json");

    // A save that did not finish leaves no lsmi.json.
    fresh();
    std::fs::remove_file(&meta).unwrap();
    record_error(load(&models), &["lsmi.json", "not found"]);
    record_error(config.load(&models, &device), &["lsmi.json"]);

    // Corrupt metadata.
    fresh();
    std::fs::write(&meta, "{ not json").unwrap();
    record_error(load(&models), &["lsmi.json", "metadata"]);
    std::fs::write(&meta, "").unwrap();
    record_error(load(&models), &["lsmi.json"]);

    // A missing record, and a truncated one.
    fresh();
    std::fs::remove_file(models.join("fold1_classifier2.bpk")).unwrap();
    record_error(load(&models), &[]);
    fresh();
    let record = models.join("fold2_knife1.bpk");
    let bytes = std::fs::read(&record).unwrap();
    std::fs::write(&record, &bytes[..bytes.len() / 2]).unwrap();
    record_error(load(&models), &[]);
    std::fs::write(&record, b"garbage").unwrap();
    record_error(load(&models), &[]);

    // Saved by an earlier version, without the configuration: only
    // `LsmiConfig::load` can bring it back.
    fresh();
    let mut json: serde_json::Value = read_json(&meta);
    json.as_object_mut().unwrap().remove("config").unwrap();
    std::fs::write(&meta, json.to_string()).unwrap();
    record_error(load(&models), &["configuration", "LsmiConfig::load"]);
    config.load(&models, &device).unwrap();

    // A stored configuration whose classes disagree with the prior.
    fresh();
    let mut json: serde_json::Value = read_json(&meta);
    json["config"]["num_classes"] = 3.into();
    std::fs::write(&meta, json.to_string()).unwrap();
    record_error(load(&models), &["prior has 2 classes", "configuration 3"]);
}

/// The mean of `values`, summed here.
fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// The centred variant: the training rows' interactions carry `h − H`, `H` the
/// mean of the raw cross-fitted `h` (stored with the models); new rows are
/// centred on the training rows' means, not on their own; saving keeps both, and
/// a folder saved before the means were stored loads as the raw variant.
#[test]
fn centred_models_centre_new_rows_on_the_training_means() {
    let (_, device) = cpu_devices().remove(0);
    let data = sample(120, 5);
    let fresh = sample(50, 6);
    let raw = fit_on(&quick(), &data, &device);
    let centred = fit_on(&quick().with_centered(true), &data, &device);
    let raw_host = raw.interactions().to_host().unwrap();
    let training = [mean(raw_host.terms().h1()), mean(raw_host.terms().h2())];
    for models in [raw.models(), centred.models()] {
        let stored = models.surprisal_means().unwrap();
        assert!((stored[0] - training[0]).abs() < 1e-9 && (stored[1] - training[1]).abs() < 1e-9);
    }
    // The training rows: centred h, and LSMI of them.
    let host = centred.interactions().to_host().unwrap();
    let expected = raw_host.terms().centered(training).unwrap().decompose();
    for ((column, found), (_, want)) in host.columns().into_iter().zip(expected.columns()) {
        for (k, (a, b)) in found.iter().zip(want.iter()).enumerate() {
            assert!((a - b).abs() < 1e-4, "training {column}[{k}]: {a} vs {b}");
        }
    }
    // New rows: centred on the training means.
    let raw_new = transform(raw.models(), &fresh, &device);
    let centred_new = transform(centred.models(), &fresh, &device);
    for k in 0..centred_new.len() {
        for (found, raw_h, h_mean) in [
            (
                centred_new.terms().h1()[k],
                raw_new.terms().h1()[k],
                training[0],
            ),
            (
                centred_new.terms().h2()[k],
                raw_new.terms().h2()[k],
                training[1],
            ),
        ] {
            assert!(
                (found - (raw_h - h_mean)).abs() < 1e-4,
                "new row {k}: {found} vs {raw_h} - {h_mean}"
            );
        }
    }
    // The new rows' own mean differs from the training rows' (else the check
    // above could not tell the two references apart).
    assert!((mean(raw_new.terms().h1()) - training[0]).abs() > 1e-3);
    let by_hand = raw_new.terms().centered(training).unwrap().decompose();
    for (found, want) in centred_new.r().iter().zip(by_hand.r()) {
        assert!((found - want).abs() < 1e-4, "new r: {found} vs {want}");
    }

    let dir = TempDir::new("score-centred");
    let models = dir.path("models");
    centred.save(&models).unwrap();
    let loaded = LsmiModels::load(&models, &device).unwrap();
    assert!(loaded.config().centered);
    assert_eq!(loaded.surprisal_means(), centred.models().surprisal_means());
    assert_eq!(
        bits(&centred_new),
        bits(&transform(&loaded, &fresh, &device))
    );

    // Saved before `centered` and the means were stored: the raw variant.
    let meta = models.join("lsmi.json");
    let mut json: serde_json::Value = read_json(&meta);
    json["config"]
        .as_object_mut()
        .unwrap()
        .remove("centered")
        .unwrap();
    json.as_object_mut()
        .unwrap()
        .remove("surprisal_means")
        .unwrap();
    std::fs::write(&meta, json.to_string()).unwrap();
    let old = LsmiModels::load(&models, &device).unwrap();
    assert!(!old.config().centered && old.surprisal_means().is_none());
    assert_eq!(bits(&raw_new), bits(&transform(&old, &fresh, &device)));
    // A centred configuration without the means cannot score.
    json["config"]["centered"] = true.into();
    std::fs::write(&meta, json.to_string()).unwrap();
    record_error(
        LsmiModels::load(&models, &device),
        &["mean surprisals", "refit"],
    );
    json.as_object_mut()
        .unwrap()
        .insert("surprisal_means".into(), serde_json::json!([1.0]));
    std::fs::write(&meta, json.to_string()).unwrap();
    record_error(LsmiModels::load(&models, &device), &["surprisal_means"]);
}

#[test]
fn saving_over_a_larger_model_set_removes_its_records_and_nothing_else() {
    let (_, device) = cpu_devices().remove(0);
    let data = sample(120, 5);
    let dir = TempDir::new("score-resave");
    let fit = |folds: usize| fit_on(&quick().with_folds(folds), &data, &device);
    let models = dir.path("models");
    fit(3).save(&models).unwrap();
    std::fs::write(models.join("notes.txt"), "mine").unwrap();
    fit(2).save(&models).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(&models)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert!(names.contains(&"notes.txt".to_string()), "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with("fold2_")), "{names:?}");
    assert_eq!(names.len(), 2 * 5 + 2, "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| n == "notes.txt" || LsmiModels::is_saved_file(n))
    );
    assert_eq!(LsmiModels::load(&models, &device).unwrap().num_sets(), 2);
    for name in ["lsmi.json", "fold0_knife1.bpk", "fold12_classifier12.bpk"] {
        assert!(LsmiModels::is_saved_file(name), "{name}");
    }
    for name in [
        "notes.txt",
        "fold_knife1.bpk",
        "foldx_knife1.bpk",
        "fold0_knife3.bpk",
    ] {
        assert!(!LsmiModels::is_saved_file(name), "{name}");
    }
}

// ---------------------------------------------------------------- command line

/// The per-sample CSV as columns of numbers, and its labels.
fn read_csv(path: &Path) -> (Vec<Vec<f64>>, Vec<i64>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "r,u1,u2,s,r_plus,r_minus,h1,h2,i1,i2,i12,label"
    );
    let mut columns = vec![Vec::new(); 11];
    let mut labels = Vec::new();
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), 12, "{line}");
        for (column, field) in columns.iter_mut().zip(&fields) {
            column.push(field.parse().unwrap());
        }
        labels.push(fields[11].parse().unwrap());
    }
    (columns, labels)
}

/// Fitted models saved by `estimate --save-models` (2 folds, seed 3) in
/// `dir/models`, and the rows they were fitted on.
fn estimate_and_save(dir: &TempDir) -> (PathBuf, GaussianSample) {
    let train = TempDir::new("score-train");
    let (inputs, sample) = write_gaussian_inputs(&train, 200, 21, Dtype::F32, 1.0);
    let models = dir.path("models");
    let (out, summary) = (train.path("fit.csv"), train.path("fit.json"));
    let printed = stdout(&run_estimate(
        &inputs,
        &out,
        &summary,
        &[
            "--folds",
            "2",
            "--seed",
            "3",
            "--save-models",
            &models.display().to_string(),
        ],
    ));
    assert!(printed.contains("saved in"), "{printed}");
    assert!(out.exists() && summary.exists());
    (models, sample)
}

#[test]
fn score_gives_the_library_values_and_the_same_bytes_twice() {
    let dir = TempDir::new("score-cli");
    let (models, train) = estimate_and_save(&dir);
    let rows = TempDir::new("score-rows");
    let (inputs, fresh) = write_gaussian_inputs(&rows, 80, 22, Dtype::F32, 1.0);
    let (out, summary) = (dir.path("per_sample.csv"), dir.path("summary.json"));

    let printed = stdout(&run_score(&models, &inputs, &out, &summary, &[]));
    for needle in ["R", "adjust_shift", "80", "mixture of 2 saved model sets"] {
        assert!(
            printed.contains(needle),
            "{needle:?} missing from\n{printed}"
        );
    }
    let (csv, json) = (
        std::fs::read(&out).unwrap(),
        std::fs::read(&summary).unwrap(),
    );
    stdout(&run_score(&models, &inputs, &out, &summary, &[]));
    assert_eq!(csv, std::fs::read(&out).unwrap(), "CSV bytes differ");
    assert_eq!(json, std::fs::read(&summary).unwrap(), "JSON bytes differ");

    // The library on the same rows: with the models the CLI saved, and with the
    // models of its own fit of the CLI's configuration (the default preset, 2
    // folds, seed 3) on the same training rows, which never went through a file.
    let device = lsmi::device(lsmi::backends()[0]).unwrap();
    let loaded = LsmiModels::load(&models, &device).unwrap();
    let fitted = fit_on(
        &LsmiConfig::new(2).with_folds(2).with_seed(3),
        &train,
        &device,
    );
    let (found, found_labels) = read_csv(&out);
    assert_eq!(found_labels, fresh.labels);
    let names = [
        "r", "u1", "u2", "s", "r_plus", "r_minus", "h1", "h2", "i1", "i2", "i12",
    ];
    for (source, models) in [("saved", &loaded), ("fitted", fitted.models())] {
        let want = transform(models, &fresh, &device);
        for ((name, column), expected) in names.iter().zip(&found).zip(columns(&want)) {
            assert_eq!(column.len(), 80, "{name}");
            for (row, (&got, &exact)) in column.iter().zip(expected).enumerate() {
                let miss = (got - exact).abs();
                assert!(
                    miss <= 1e-6,
                    "{name}[{row}]: CSV {got}, {source} models {exact}"
                );
            }
        }
    }
    let summary_json = read_json(&summary);
    assert_eq!(summary_json["n"], 80);
    let mean_r = found[0].iter().sum::<f64>() / 80.0;
    assert!((summary_json["R"].as_f64().unwrap() - mean_r).abs() < 1e-5);

    // --adjust shifts every row by the reported constant.
    let (out2, summary2) = (dir.path("adjusted.csv"), dir.path("adjusted.json"));
    stdout(&run_score(
        &models,
        &inputs,
        &out2,
        &summary2,
        &["--adjust"],
    ));
    let shift = read_json(&summary2)["adjust_shift"].as_f64().unwrap();
    let (adjusted, _) = read_csv(&out2);
    for (a, r) in adjusted[0].iter().zip(&found[0]) {
        assert!((a - (r + shift)).abs() < 1e-5, "{a} vs {r} + {shift}");
    }
}

#[test]
fn score_refuses_inputs_that_do_not_fit_the_models_without_output() {
    let dir = TempDir::new("score-cli-errors");
    let (models, _) = estimate_and_save(&dir);
    let rows = TempDir::new("score-bad-rows");
    let (inputs, fresh) = write_gaussian_inputs(&rows, 30, 23, Dtype::F32, 1.0);
    let (out, summary) = (dir.path("out.csv"), dir.path("out.json"));
    let no_output = || assert!(!out.exists() && !summary.exists(), "an output was written");
    let d1 = fresh.x1.cols;

    // x1 one feature wider than the models take.
    let wide: Vec<f64> = (0..30 * (d1 + 1)).map(|i| (i % 7) as f64 * 0.1).collect();
    write_npy(&inputs[0], Dtype::F32, &[30, d1 + 1], &wide);
    let line = failed(
        &run_score(&models, &inputs, &out, &summary, &[]),
        &[
            "x1.npy",
            &format!("{} features", d1 + 1),
            &format!("fitted on {d1}"),
        ],
    );
    assert!(line.contains(&models.display().to_string()), "{line}");
    no_output();
    let x1: Vec<f64> = fresh.x1.values.iter().map(|&v| f64::from(v)).collect();
    write_npy(&inputs[0], Dtype::F32, &[30, d1], &x1);

    // A label beyond the models' 2 classes.
    let mut y: Vec<f64> = fresh.labels.iter().map(|&v| v as f64).collect();
    y[4] = 2.0;
    write_npy(&inputs[2], Dtype::I64, &[30], &y);
    failed(
        &run_score(&models, &inputs, &out, &summary, &[]),
        &["labels.npy", "labels[4] = 2", "2 classes"],
    );
    no_output();

    // Not a folder of saved models.
    failed(
        &run_score(&rows.0, &inputs, &out, &summary, &[]),
        &["--models", "lsmi.json", "not found"],
    );
    no_output();
}

#[test]
fn save_models_is_checked_before_the_fit() {
    let dir = TempDir::new("score-save-check");
    let (mut inputs, _) = write_gaussian_inputs(&dir, 40, 24, Dtype::F32, 1.0);
    // Missing labels: a run that read its inputs would fail on them.
    inputs[2] = dir.path("no-labels.npy");
    let (out, summary) = (dir.path("out.csv"), dir.path("out.json"));
    let save = |path: &Path| {
        let path = path.display().to_string();
        run_estimate(&inputs, &out, &summary, &["--save-models", &path])
    };

    let file = dir.path("a-file");
    std::fs::write(&file, "keep").unwrap();
    failed(&save(&file), &["--save-models", "a-file", "is a file"]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep");

    let other = dir.path("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "keep").unwrap();
    failed(
        &save(&other),
        &[
            "--save-models",
            "notes.txt",
            "not a file of a saved model set",
        ],
    );
    assert_eq!(
        std::fs::read_to_string(other.join("notes.txt")).unwrap(),
        "keep"
    );

    failed(
        &save(&dir.path("missing/models")),
        &["--save-models", "does not exist"],
    );
    failed(
        &save(&dir.0),
        &["--save-models", "not a file of a saved model set"],
    );

    // Acceptable folders get past the check, to the missing labels.
    let empty = dir.path("empty");
    std::fs::create_dir(&empty).unwrap();
    for ok in [dir.path("new"), empty] {
        failed(&save(&ok), &["no-labels.npy"]);
    }
    assert!(!out.exists() && !summary.exists());
}

#[test]
fn save_models_replaces_a_previous_model_set() {
    let dir = TempDir::new("score-resave-cli");
    let (models, _) = estimate_and_save(&dir);
    let train = TempDir::new("score-retrain");
    let (inputs, _) = write_gaussian_inputs(&train, 120, 25, Dtype::F32, 1.0);
    let (out, summary) = (train.path("fit.csv"), train.path("fit.json"));
    let models_arg = models.display().to_string();
    stdout(&run_estimate(
        &inputs,
        &out,
        &summary,
        &["--in-sample", "--save-models", &models_arg],
    ));
    let (_, device) = cpu_devices().remove(0);
    assert_eq!(LsmiModels::load(&models, &device).unwrap().num_sets(), 1);
    let names = std::fs::read_dir(&models).unwrap().count();
    assert_eq!(names, 5 + 1, "the second fold's records are gone");
}

#[test]
fn help_lists_score_and_save_models() {
    let help = stdout(&crate::cli_support::lsmi(&["--help"]));
    assert!(help.contains("score"), "{help}");
    let help = stdout(&crate::cli_support::lsmi(&["estimate", "--help"]));
    assert!(help.contains("--save-models"), "{help}");
    let help = stdout(&crate::cli_support::lsmi(&["score", "--help"]));
    for flag in [
        "--models",
        "--x1",
        "--x2",
        "--labels",
        "--adjust",
        "--device",
        "--out",
        "--summary",
    ] {
        assert!(help.contains(flag), "{flag} missing from\n{help}");
    }
}

/// `estimate --centered --save-models`, then `score`: new rows are centred on
/// the training rows' means (the estimate's `"centering"`), whether the models
/// were fitted centred or `score --centered` asks it of raw models of the same
/// fit (then the files are the same bytes); models saved without the means
/// refuse `--centered` in one line.
#[test]
fn score_centres_new_rows_on_the_training_means() {
    let dir = TempDir::new("score-centred-cli");
    let (raw_models, _) = estimate_and_save(&dir);
    // The same fit as `estimate_and_save`, centred.
    let train = TempDir::new("score-centred-train");
    let (inputs, _) = write_gaussian_inputs(&train, 200, 21, Dtype::F32, 1.0);
    let centred_models = dir.path("centred-models");
    let (fit_out, fit_summary) = (train.path("fit.csv"), train.path("fit.json"));
    let centred_text = centred_models.display().to_string();
    stdout(&run_estimate(
        &inputs,
        &fit_out,
        &fit_summary,
        &[
            "--folds",
            "2",
            "--seed",
            "3",
            "--centered",
            "--save-models",
            &centred_text,
        ],
    ));
    let fit = read_json(&fit_summary);
    let training = [&fit["centering"]["H1"], &fit["centering"]["H2"]].map(|v| v.as_f64().unwrap());
    let device = lsmi::device(lsmi::backends()[0]).unwrap();
    assert_eq!(
        LsmiModels::load(&centred_models, &device)
            .unwrap()
            .surprisal_means(),
        Some(training)
    );

    let rows = TempDir::new("score-centred-rows");
    let (fresh, _) = write_gaussian_inputs(&rows, 80, 22, Dtype::F32, 1.0);
    let score = |models: &Path, name: &str, extra: &[&str]| {
        let (out, summary) = (
            dir.path(&format!("{name}.csv")),
            dir.path(&format!("{name}.json")),
        );
        stdout(&run_score(models, &fresh, &out, &summary, extra));
        (
            std::fs::read(&out).unwrap(),
            read_csv(&out).0,
            read_json(&summary),
        )
    };
    let (bytes, centred, json) = score(&centred_models, "centred", &[]);
    assert_eq!(json["centered"], true);
    assert_eq!(json["centering"], fit["centering"]);
    let (asked_bytes, _, asked_json) = score(&raw_models, "asked", &["--centered"]);
    assert_eq!(
        bytes, asked_bytes,
        "score --centered with the raw models of the same fit"
    );
    assert_eq!(asked_json["centering"], fit["centering"]);
    let (_, raw, raw_json) = score(&raw_models, "raw", &[]);
    assert_eq!(raw_json["centered"], false);
    for (column, h_mean) in [(6, training[0]), (7, training[1])] {
        for (k, (c, r)) in centred[column].iter().zip(&raw[column]).enumerate() {
            assert!(
                (c - (r - h_mean)).abs() < 1e-4,
                "column {column} row {k}: {c} vs {r} - {h_mean}"
            );
        }
    }

    // Saved before the means were stored.
    let meta = raw_models.join("lsmi.json");
    let mut old: serde_json::Value = read_json(&meta);
    old.as_object_mut()
        .unwrap()
        .remove("surprisal_means")
        .unwrap();
    std::fs::write(&meta, old.to_string()).unwrap();
    let (out, summary) = (dir.path("old.csv"), dir.path("old.json"));
    failed(
        &run_score(&raw_models, &fresh, &out, &summary, &["--centered"]),
        &["--centered", "earlier version", "refit"],
    );
    let (_, _, old_json) = score(&raw_models, "old-raw", &[]);
    assert!(
        old_json["same_min_fractions_by_variant"]
            .get("centered")
            .is_none()
    );
}
