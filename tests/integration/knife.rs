//! KNIFE against closed forms, save/load, determinism and bad input.

use lsmi::burn::tensor::Device;
use lsmi::synthetic::{CorrelatedGaussian, Features, IsotropicMixture};
use lsmi::{Entropy, KnifeConfig, LsmiError};

use crate::common::{cpu_devices, devices, matrix, read};

/// Held-out mean `ĥ` of a model fitted with `config` on `train`.
fn fitted_mean(config: &KnifeConfig, train: &Features, test: &Features, device: &Device) -> f64 {
    let (model, _) = config.fit(train.tensor(device)).unwrap();
    model.entropy(test.tensor(device)).unwrap()
}

fn gaussian_case(dim: usize) {
    let gaussian = CorrelatedGaussian::random(dim, 10.0, 100 + dim as u64);
    let train = gaussian.sample(20_000, 1);
    // 50 000 held-out rows: the surprisal has variance d/2, so the test mean's own
    // Monte-Carlo error is √(d/2 / 50 000) ≈ 0.018 nats at d = 32.
    let test = gaussian.sample(50_000, 2);
    let tolerance = 0.05 + 0.005 * dim as f64;
    for (backend, device) in cpu_devices() {
        let estimate = fitted_mean(&KnifeConfig::new(dim), &train, &test, &device);
        let miss = (estimate - gaussian.entropy()).abs();
        assert!(
            miss <= tolerance,
            "{backend} d = {dim}: ĥ = {estimate:.4}, H = {:.4}, miss {miss:.4} > {tolerance}",
            gaussian.entropy()
        );
    }
}

#[test]
fn gaussian_entropy_d2() {
    gaussian_case(2);
}

#[test]
fn gaussian_entropy_d8() {
    gaussian_case(8);
}

#[test]
fn gaussian_entropy_d32() {
    gaussian_case(32);
}

pub fn two_blobs() -> IsotropicMixture {
    IsotropicMixture {
        means: vec![vec![-4.0, 0.0], vec![4.0, 1.0]],
        weights: vec![0.3, 0.7],
        sigma: 1.0,
    }
}

#[test]
fn mixture_pointwise_surprisal_rmse() {
    let mixture = two_blobs();
    let (train, _) = mixture.sample(20_000, 5);
    let (test, _) = mixture.sample(5_000, 6);
    for (backend, device) in cpu_devices() {
        let (model, _) = KnifeConfig::new(2).fit(train.tensor(&device)).unwrap();
        let estimate = read(&model.pointwise_entropy(test.tensor(&device)).unwrap());
        let mse = (0..test.rows)
            .map(|i| (f64::from(estimate[i]) - mixture.surprisal(test.row(i))).powi(2))
            .sum::<f64>()
            / test.rows as f64;
        assert!(
            mse.sqrt() <= 0.1,
            "{backend}: pointwise RMSE {:.4} > 0.1",
            mse.sqrt()
        );
    }
}

#[test]
fn scaling_the_data_shifts_entropy_by_d_ln_10() {
    let dim = 8;
    let gaussian = CorrelatedGaussian::random(dim, 10.0, 9);
    let (train, test) = (gaussian.sample(20_000, 1), gaussian.sample(5_000, 2));
    for (backend, device) in cpu_devices() {
        let config = KnifeConfig::new(dim);
        let base = fitted_mean(&config, &train, &test, &device);
        let scaled = fitted_mean(&config, &train.scaled(10.0), &test.scaled(10.0), &device);
        let shift = scaled - base;
        let expected = dim as f64 * 10f64.ln();
        assert!(
            (shift - expected).abs() <= 0.02 * dim as f64,
            "{backend}: shift {shift:.4}, expected {expected:.4}"
        );
    }
}

#[test]
fn save_and_load_give_bit_identical_entropies() {
    let gaussian = CorrelatedGaussian::random(3, 10.0, 4);
    let data = gaussian.sample(2_000, 1);
    let dir = std::env::temp_dir().join(format!("lsmi-knife-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (backend, device) in devices() {
        let config = KnifeConfig::new(3).with_fit(lsmi::FitConfig::new().with_epochs(3));
        let (model, _) = config.fit(data.tensor(&device)).unwrap();
        let path = dir.join(format!("knife-{backend}.bpk"));
        model.save(&path).unwrap();
        let loaded = config.load(&path, &device).unwrap();
        let before = read(&model.pointwise_entropy(data.tensor(&device)).unwrap());
        let after = read(&loaded.pointwise_entropy(data.tensor(&device)).unwrap());
        let same_bits = before
            .iter()
            .zip(&after)
            .all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(same_bits, "{backend}: loaded model gives different h(x)");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn same_seed_gives_same_numbers() {
    let data = CorrelatedGaussian::random(2, 10.0, 4).sample(1_000, 1);
    for (backend, device) in devices() {
        let config =
            KnifeConfig::new(2).with_fit(lsmi::FitConfig::new().with_epochs(2).with_seed(7));
        let run = || {
            let (model, _) = config.fit(data.tensor(&device)).unwrap();
            read(&model.pointwise_entropy(data.tensor(&device)).unwrap())
        };
        assert_eq!(run(), run(), "{backend}");
    }
}

#[test]
fn progress_is_reported_and_early_stopping_keeps_the_best_epoch() {
    let data = CorrelatedGaussian::random(2, 10.0, 4).sample(2_000, 1);
    for (_, device) in devices() {
        let fit = lsmi::FitConfig::new()
            .with_epochs(6)
            .with_holdout_fraction(0.25)
            .with_patience(2);
        let mut seen = Vec::new();
        let (_, report) = KnifeConfig::new(2)
            .with_fit(fit)
            .fit_with_progress(data.tensor(&device), &mut |p| seen.push(p.epoch))
            .unwrap();
        assert_eq!(seen, (1..=report.epochs_run).collect::<Vec<_>>());
        assert_eq!(report.rows, (1_500, 500));
        assert_eq!(report.holdout_loss.len(), report.epochs_run);
        let best = report.best_holdout_loss().unwrap();
        assert!(report.holdout_loss.iter().all(|&l| l >= best));
    }
}

#[test]
fn reference_preset_fits_too() {
    let gaussian = CorrelatedGaussian::random(2, 10.0, 8);
    let (train, test) = (gaussian.sample(2_000, 1), gaussian.sample(1_000, 2));
    for (_, device) in devices() {
        let mut config = KnifeConfig::reference(2);
        config.fit.epochs = 2;
        let estimate = fitted_mean(&config, &train, &test, &device);
        assert!(estimate.is_finite());
    }
}

#[test]
fn a_constant_feature_gives_finite_entropies() {
    for (backend, device) in devices() {
        let mut values = Vec::new();
        for i in 0..500 {
            values.extend([(i as f32 * 0.37).sin(), 3.0]);
        }
        let x = matrix(&values, 500, 2, &device);
        let config = KnifeConfig::new(2).with_fit(lsmi::FitConfig::new().with_epochs(5));
        let (model, report) = config.fit(x.clone()).unwrap();
        let h = read(&model.pointwise_entropy(x).unwrap());
        assert!(h.iter().all(|v| v.is_finite()), "{backend}: {:?}", &h[..4]);
        assert!(report.train_loss.iter().all(|v| v.is_finite()));
    }
}

#[test]
fn bad_input_gets_typed_errors() {
    for (_, device) in devices() {
        let config = KnifeConfig::new(2).with_kernels(4);
        let nan = matrix(
            &[0.0, 1.0, f32::NAN, 2.0, 0.5, 0.5, 1.0, 1.0, 2.0, 2.0],
            5,
            2,
            &device,
        );
        let err = config.fit(nan).unwrap_err();
        assert!(err.to_string().contains("x[1, 0] = NaN"), "{err}");

        let err = KnifeConfig::new(0)
            .fit(matrix(&[], 3, 0, &device))
            .unwrap_err();
        assert!(err.to_string().contains("dim"), "{err}");

        let few = matrix(&[0.0, 1.0, 2.0, 3.0], 2, 2, &device);
        let err = config.fit(few).unwrap_err();
        assert!(
            matches!(
                err,
                LsmiError::TooFewRows {
                    rows: 2,
                    needed: 4,
                    ..
                }
            ),
            "{err}"
        );

        let err = config.fit(matrix(&[], 0, 2, &device)).unwrap_err();
        assert!(err.to_string().contains("no samples"), "{err}");

        let model = config.init(&device).unwrap();
        let err = model
            .pointwise_entropy(matrix(&[0.0; 6], 2, 3, &device))
            .unwrap_err();
        assert!(
            matches!(
                err,
                LsmiError::WidthMismatch {
                    expected: 2,
                    found: 3,
                    ..
                }
            ),
            "{err}"
        );

        let err = KnifeConfig::new(2)
            .with_init_std(-1.0)
            .init(&device)
            .unwrap_err();
        assert!(err.to_string().contains("init_std"), "{err}");
    }
}
