//! The end-to-end estimator: cross-fitting, determinism, transform, save/load, errors.

use lsmi::burn::tensor::Device;
use lsmi::synthetic::{Features, IsotropicMixture};
use lsmi::{ClassifierConfig, Entropy, FitConfig, KnifeConfig, LsmiConfig, LsmiError};

use crate::common::{
    assert_seed_matters, close, cpu_devices, definitions, devices, labels, quick, read,
};

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

/// `ln N(x; m, I)` for a row `x` and a mean `m` with every coordinate `mean`.
fn ln_unit_normal(x: &[f32], mean: f64) -> f64 {
    x.iter()
        .map(|&v| -0.5 * (2.0 * std::f64::consts::PI).ln() - (f64::from(v) - mean).powi(2) / 2.0)
        .sum()
}

/// The exact means `R, U1, U2, S, I1, I2, I12` of [`two_class_data`], from each
/// sample's exact terms: each modality is `½ N(−1.5·1, I) + ½ N(1.5·1, I)`, and
/// the two are independent given the class.
fn exact_means(data: &(Features, Features, Vec<i64>)) -> [f64; 7] {
    let (x1, x2, y) = data;
    let mut sums = [0.0; 7];
    for (j, &label) in y.iter().enumerate() {
        let (a, b) = (x1.row(j), x2.row(j));
        let ln_lik = |x: &[f32]| [ln_unit_normal(x, -1.5), ln_unit_normal(x, 1.5)];
        let (l1, l2) = (ln_lik(a), ln_lik(b));
        let ln_half_sum = |l: [f64; 2]| (0.5 * l[0].exp() + 0.5 * l[1].exp()).ln();
        let (h1, h2) = (-ln_half_sum(l1), -ln_half_sum(l2));
        let k = label as usize;
        // i(x;y) = ln p(x|y) − ln p(x); the pair: p(y|x1,x2) ∝ p(x1|y) p(x2|y).
        let (i1, i2) = (l1[k] + h1, l2[k] + h2);
        let pair = [l1[0] + l2[0], l1[1] + l2[1]];
        let i12 = pair[k] - ln_half_sum(pair);
        let parts = definitions([h1, h2, i1, i2, i12]);
        for (sum, value) in sums
            .iter_mut()
            .zip([parts[2], parts[3], parts[4], parts[5], i1, i2, i12])
        {
            *sum += value;
        }
    }
    sums.map(|sum| sum / y.len() as f64)
}

/// The fitted means `R, U1, U2, S, I1, I2, I12` within `tol` of `exact`.
fn assert_means_within(fitted: &lsmi::FittedLsmi, exact: [f64; 7], tol: f64, what: &str) {
    let m = fitted.interactions().summary().unwrap();
    let got = [m.r, m.u1, m.u2, m.s, m.i1, m.i2, m.i12];
    for ((name, got), want) in ["R", "U1", "U2", "S", "I1", "I2", "I12"]
        .iter()
        .zip(got)
        .zip(exact)
    {
        close(&format!("{what} {name}"), got, want, tol);
    }
}

#[test]
fn every_sample_is_scored_and_the_means_match_the_exact_ones() {
    let data = two_class_data(600, 2, 1);
    let exact = exact_means(&data);
    for (backend, device) in cpu_devices() {
        let fitted = fit_on(&quick(2), &data, &device);
        let host = fitted.interactions().to_host().unwrap();
        assert_eq!(host.len(), 600, "{backend}");
        for k in 0..host.len() {
            assert!((host.r()[k] + host.u1()[k] - host.terms().i1()[k]).abs() < 1e-4);
            assert!(
                (host.r()[k] + host.u1()[k] + host.u2()[k] + host.s()[k] - host.terms().i12()[k])
                    .abs()
                    < 1e-4
            );
        }
        assert_means_within(&fitted, exact, 0.05, backend);
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
        let i12 = read(fitted.interactions().terms().i12());
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
fn same_seed_same_numbers_other_seed_other_numbers() {
    let data = two_class_data(150, 2, 5);
    for (backend, device) in cpu_devices() {
        let run = |seed: u64| {
            read(
                fit_on(&quick(2).with_seed(seed), &data, &device)
                    .interactions()
                    .r(),
            )
        };
        assert_seed_matters(backend, run, 9, 10);
    }
}

/// `ln` of the mean of `exp(values)`, in `f64`.
fn ln_mean_exp(values: &[f64]) -> f64 {
    let top = values.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
    top + (values.iter().map(|v| (v - top).exp()).sum::<f64>() / values.len() as f64).ln()
}

#[test]
fn transform_is_the_fold_mixture_and_survives_save_load() {
    let data = two_class_data(200, 2, 7);
    let fresh = two_class_data(50, 2, 70);
    let (x1, x2, y) = &fresh;
    let dir = std::env::temp_dir().join(format!("lsmi-estimator-{}", std::process::id()));
    for (backend, device) in cpu_devices() {
        let config = quick(2);
        let fitted = fit_on(&config, &data, &device);
        let transform = |model: &lsmi::LsmiModels| {
            let out = model
                .transform(x1.tensor(&device), x2.tensor(&device), labels(y, &device))
                .unwrap();
            let t = &out.terms();
            [
                read(t.h1()),
                read(t.h2()),
                read(t.i1()),
                read(t.i2()),
                read(t.i12()),
                read(out.s()),
            ]
        };
        let before = transform(fitted.models());
        assert_eq!(before[0].len(), 50);
        let path = dir.join(backend);
        fitted.save(&path).unwrap();
        let loaded = config.load(&path, &device).unwrap();
        assert_eq!(loaded.prior(), fitted.prior());
        assert_eq!(
            before,
            transform(&loaded),
            "{backend}: loaded estimator scores differently"
        );

        // The same terms, computed here from each fold's saved models:
        // h = −ln mean_f exp(−h_f), i = ln mean_f p_f(y|x) − ln p(y).
        let folds = 3;
        let knife = KnifeConfig::new(2).with_kernels(2);
        let classifier = ClassifierConfig::new().with_hidden(vec![16]);
        let joint =
            lsmi::burn::tensor::Tensor::cat(vec![x1.tensor(&device), x2.tensor(&device)], 1);
        let mut h = [vec![], vec![]];
        let mut ln_p = [vec![], vec![], vec![]];
        for fold in 0..folds {
            let file = |name: &str| path.join(format!("fold{fold}_{name}.bpk"));
            for (k, (name, x)) in [("knife1", x1), ("knife2", x2)].into_iter().enumerate() {
                let model = knife.load(file(name), &device).unwrap();
                h[k].push(read(&model.pointwise_entropy(x.tensor(&device)).unwrap()));
            }
            for (k, (name, x, d)) in [
                ("classifier1", x1.tensor(&device), 2),
                ("classifier2", x2.tensor(&device), 2),
                ("classifier12", joint.clone(), 4),
            ]
            .into_iter()
            .enumerate()
            {
                let model = classifier.load(file(name), d, 2, &device).unwrap();
                let logits = model.forward(x).unwrap();
                let values: Vec<f32> = logits.try_into_vec_as::<f32>().unwrap();
                // ln p_f(y|x) = logit_y − ln Σ exp(logits), per row, in f64.
                let rows: Vec<f64> = y
                    .iter()
                    .enumerate()
                    .map(|(j, &label)| {
                        let row: Vec<f64> = values[2 * j..2 * j + 2]
                            .iter()
                            .map(|&v| f64::from(v))
                            .collect();
                        row[label as usize] - ln_mean_exp(&row) - 2f64.ln()
                    })
                    .collect();
                ln_p[k].push(rows);
            }
        }
        let prior = fitted.prior().probs();
        for j in 0..y.len() {
            let per_fold = |columns: &[Vec<f64>]| columns.iter().map(|c| c[j]).collect::<Vec<_>>();
            let mut want = [0.0; 5];
            for k in 0..2 {
                let neg_h: Vec<f64> = h[k].iter().map(|c| -f64::from(c[j])).collect();
                want[k] = -ln_mean_exp(&neg_h);
            }
            for k in 0..3 {
                want[2 + k] = ln_mean_exp(&per_fold(&ln_p[k])) - prior[y[j] as usize].ln();
            }
            for (k, name) in ["h1", "h2", "i1", "i2", "i12"].iter().enumerate() {
                close(
                    &format!("{backend} row {j} {name}"),
                    f64::from(before[k][j]),
                    want[k],
                    1e-4,
                );
            }
            let s = definitions([want[0], want[1], want[2], want[3], want[4]])[5];
            close(
                &format!("{backend} row {j} s"),
                f64::from(before[5][j]),
                s,
                1e-4,
            );
        }
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
        // An absurd fold count is an error, not an overflow.
        let err = quick(2)
            .with_folds(usize::MAX)
            .fit(x1.tensor(&device), x2.tensor(&device), labels(&y, &device))
            .unwrap_err();
        assert!(matches!(err, LsmiError::TooFewRows { .. }), "{err}");
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

/// The search preset: every model chosen on rows held out inside the training
/// folds; the choices are reported per fold and saved with the models, so a
/// loaded set scores bit for bit as the fitted one.
#[test]
fn searched_models_are_reported_saved_and_match_the_exact_means() {
    let data = two_class_data(600, 2, 1);
    let exact = exact_means(&data);
    let device = &cpu_devices()[0].1;
    let config = LsmiConfig::new(2).with_folds(2).with_seed(5);
    let fitted = fit_on(&config, &data, device);
    let descriptions = fitted.models().descriptions();
    assert_eq!(descriptions.len(), 2);
    for set in &descriptions {
        assert_eq!(set.len(), 5);
        assert!(
            set[0].starts_with("mixture K=") && set[1].starts_with("mixture K="),
            "{set:?}"
        );
        assert!(set[2..].iter().all(|d| d.contains("T=")), "{set:?}");
    }
    assert_means_within(&fitted, exact, 0.05, "searched");
    let dir = std::env::temp_dir().join(format!("lsmi-searched-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    fitted.save(&dir).unwrap();
    let loaded = lsmi::LsmiModels::load(&dir, device).unwrap();
    assert_eq!(loaded.descriptions(), descriptions);
    let (x1, x2, y) = &data;
    let score = |models: &lsmi::LsmiModels| {
        let out = models
            .transform(x1.tensor(device), x2.tensor(device), labels(y, device))
            .unwrap()
            .to_host()
            .unwrap();
        out.columns()
            .map(|(_, c)| c.iter().map(|v| v.to_bits()).collect::<Vec<u64>>())
    };
    assert_eq!(score(&loaded), score(fitted.models()));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Folds and models fitted on several threads give the same interactions, bit
/// for bit, as on one, and report the same progress (in another order).
#[test]
fn threads_do_not_change_the_result() {
    let data = two_class_data(300, 2, 4);
    let device = &cpu_devices()[0].1;
    let run = |threads: usize| {
        let (x1, x2, y) = &data;
        let mut stages = Vec::new();
        let fitted = quick(2)
            .with_threads(threads)
            .fit_with_progress(
                x1.tensor(device),
                x2.tensor(device),
                labels(y, device),
                &mut |stage| stages.push((stage.fold, stage.step, stage.epoch.epoch)),
            )
            .unwrap();
        stages.sort();
        let columns: Vec<Vec<u64>> = fitted
            .interactions()
            .to_host()
            .unwrap()
            .columns()
            .map(|(_, c)| c.iter().map(|v| v.to_bits()).collect())
            .to_vec();
        (columns, stages, fitted.models().descriptions())
    };
    let one = run(1);
    assert!(!one.1.is_empty());
    for threads in [2, 3] {
        assert_eq!(run(threads), one, "{threads} threads");
    }
}
