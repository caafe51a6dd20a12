//! The end-to-end estimator: cross-fitting, determinism, transform, save/load, errors.

use lsmi::burn::tensor::Device;
use lsmi::synthetic::{Features, IsotropicMixture};
use lsmi::{ClassifierConfig, FitConfig, KnifeConfig, LsmiConfig, LsmiError};

use crate::common::{cpu_devices, devices, labels, read};

/// Two classes, well separated in `dim` dimensions; both modalities see the class.
fn two_class_data(n: usize, dim: usize, seed: u64) -> (Features, Features, Vec<i64>) {
    let mean = |sign: f64| vec![sign * 1.5; dim];
    let mixture = IsotropicMixture {
        means: vec![mean(-1.0), mean(1.0)],
        weights: vec![0.5, 0.5],
        sigma: 1.0,
    };
    let (x1, classes) = mixture.sample(n, seed);
    let (x2_all, classes2) = mixture.sample(4 * n, seed + 1);
    // x2: a fresh draw of the same class for every sample.
    let mut by_class = [Vec::new(), Vec::new()];
    for (i, &c) in classes2.iter().enumerate() {
        by_class[c].push(i);
    }
    let mut values = Vec::with_capacity(n * dim);
    for (i, &c) in classes.iter().enumerate() {
        values.extend_from_slice(x2_all.row(by_class[c][i]));
    }
    let x2 = Features {
        values,
        rows: n,
        cols: dim,
    };
    (x1, x2, classes.iter().map(|&c| c as i64).collect())
}

/// A small, fast configuration for tests.
fn quick(classes: usize) -> LsmiConfig {
    LsmiConfig::new(classes)
        .with_folds(3)
        .with_knife(
            KnifeConfig::new(1)
                .with_kernels(2)
                .with_fit(FitConfig::new().with_epochs(5)),
        )
        .with_classifier(
            ClassifierConfig::new()
                .with_hidden(vec![16])
                .with_fit(FitConfig::new().with_epochs(10).with_batch_size(64)),
        )
}

fn fit_on(
    config: &LsmiConfig,
    data: &(Features, Features, Vec<i64>),
    device: &Device,
) -> lsmi::FittedLsmi {
    let (x1, x2, y) = data;
    config
        .fit(x1.tensor(device), x2.tensor(device), labels(y, device))
        .unwrap()
}

#[test]
fn every_sample_is_scored_and_the_identities_hold() {
    let data = two_class_data(300, 2, 1);
    for (backend, device) in cpu_devices() {
        let fitted = fit_on(&quick(2), &data, &device);
        let host = fitted.interactions().to_host().unwrap();
        assert_eq!(host.len(), 300, "{backend}");
        for k in 0..host.len() {
            assert!((host.r[k] + host.u1[k] - host.i1[k]).abs() < 1e-4);
            assert!((host.r[k] + host.u1[k] + host.u2[k] + host.s[k] - host.i12[k]).abs() < 1e-4);
        }
        // Both modalities see the class: the joint information is clearly positive.
        let summary = fitted.interactions().summary().unwrap();
        assert!(summary.i12 > 0.3, "{backend}: {summary:?}");
    }
}

#[test]
fn flipped_labels_score_negative_out_of_sample_but_positive_in_sample() {
    // High-dimensional, few rows: an over-fitting classifier memorises flipped labels.
    let (x1, x2, mut y) = two_class_data(200, 32, 3);
    let flipped: Vec<usize> = (0..200).step_by(10).collect();
    for &i in &flipped {
        y[i] = 1 - y[i];
    }
    let data = (x1, x2, y);
    let overfit = ClassifierConfig::new()
        .with_hidden(vec![128, 128])
        .with_fit(
            FitConfig::new()
                .with_epochs(150)
                .with_batch_size(32)
                .with_lr_step_epochs(0),
        );
    let mean_flipped_i12 = |config: LsmiConfig, device: &Device| {
        let fitted = fit_on(&config.with_classifier(overfit.clone()), &data, device);
        let i12 = read(&fitted.interactions().terms.i12);
        flipped.iter().map(|&i| f64::from(i12[i])).sum::<f64>() / flipped.len() as f64
    };
    for (backend, device) in cpu_devices() {
        let cross_fitted = mean_flipped_i12(quick(2).with_folds(5), &device);
        let in_sample = mean_flipped_i12(quick(2).with_in_sample(true), &device);
        assert!(
            cross_fitted < 0.0,
            "{backend}: out-of-sample i12 of flipped rows {cross_fitted}"
        );
        assert!(
            in_sample > 0.0,
            "{backend}: in-sample i12 of flipped rows {in_sample}"
        );
    }
}

#[test]
fn same_seed_same_numbers() {
    let data = two_class_data(150, 2, 5);
    for (backend, device) in cpu_devices() {
        let run = || {
            read(
                &fit_on(&quick(2).with_seed(9), &data, &device)
                    .interactions()
                    .r,
            )
        };
        assert_eq!(run(), run(), "{backend}");
    }
}

#[test]
fn transform_and_save_load_agree() {
    let data = two_class_data(200, 2, 7);
    let fresh = two_class_data(50, 2, 70);
    let dir = std::env::temp_dir().join(format!("lsmi-estimator-{}", std::process::id()));
    for (backend, device) in cpu_devices() {
        let config = quick(2);
        let fitted = fit_on(&config, &data, &device);
        let score = |model: &lsmi::LsmiModels| {
            let (x1, x2, y) = &fresh;
            read(
                &model
                    .transform(x1.tensor(&device), x2.tensor(&device), labels(y, &device))
                    .unwrap()
                    .s,
            )
        };
        let before = score(fitted.models());
        assert_eq!(before.len(), 50);
        let path = dir.join(backend);
        fitted.save(&path).unwrap();
        let loaded = config.load(&path, &device).unwrap();
        assert_eq!(loaded.prior(), fitted.prior());
        assert_eq!(
            before,
            score(&loaded),
            "{backend}: loaded estimator scores differently"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_input_is_rejected() {
    let (x1, x2, y) = two_class_data(40, 2, 11);
    for (_, device) in devices() {
        let short = Features {
            values: x2.values[..20].to_vec(),
            rows: 10,
            cols: 2,
        };
        let err = quick(2)
            .fit(
                x1.tensor(&device),
                short.tensor(&device),
                labels(&y, &device),
            )
            .unwrap_err();
        assert!(
            matches!(err, LsmiError::LengthMismatch { what: "x2", .. }),
            "{err}"
        );
        let err = quick(2)
            .with_folds(1)
            .fit(x1.tensor(&device), x2.tensor(&device), labels(&y, &device))
            .unwrap_err();
        assert!(err.to_string().contains("folds"), "{err}");
        let mut bad = y.clone();
        bad[3] = 5;
        let err = quick(2)
            .fit(
                x1.tensor(&device),
                x2.tensor(&device),
                labels(&bad, &device),
            )
            .unwrap_err();
        assert!(err.to_string().contains("labels[3] = 5"), "{err}");
    }
}
