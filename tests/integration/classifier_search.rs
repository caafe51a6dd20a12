//! The classifier search (held-out selection, temperature calibration), checked
//! against values computed here: the Gaussian family's exact pointwise mutual
//! information, a brute-force grid minimisation of the temperature, and a
//! log-loss written out from the logits.

use std::time::Instant;

use lsmi::SeededRng;
use lsmi::burn::tensor::{Device, Int, Tensor};
use lsmi::synthetic::GateFeatures;
use lsmi::synthetic::{ClassMeans, Features, GaussianFamily, GaussianSample, ScaleCase};
use lsmi::{
    CandidateKind, ClassifierSearch, MAX_TEMPERATURE, MIN_TEMPERATURE, fit_lda, fit_temperature,
};
use lsmi::{Classifier, ClassifierConfig, FitConfig, Gate, LsmiError};

use crate::common::{cpu_devices, labels};

/// The authors' 10-class case: `C = d = 10`, one-hot means, `σ = 0.5`.
fn ten_classes() -> GaussianFamily {
    GaussianFamily::new(10, 10, 0.5, 0.5, ClassMeans::OneHot)
}

fn device() -> Device {
    cpu_devices()[0].1.clone()
}

fn features(sample: &GaussianSample, joint: bool, device: &Device) -> Tensor<2> {
    let x1 = sample.x1.tensor(device);
    if joint {
        Tensor::cat(vec![x1, sample.x2.tensor(device)], 1)
    } else {
        x1
    }
}

fn label_tensor(sample: &GaussianSample, device: &Device) -> Tensor<1, Int> {
    labels(&sample.labels, device)
}

/// Row-wise `ln softmax(z)[y]`, written out here in f64.
fn log_likelihoods(logits: &[f32], labels: &[i64], classes: usize) -> Vec<f64> {
    logits
        .chunks_exact(classes)
        .zip(labels)
        .map(|(row, &y)| {
            let max = row.iter().map(|&v| f64::from(v)).fold(f64::MIN, f64::max);
            let sum: f64 = row.iter().map(|&v| (f64::from(v) - max).exp()).sum();
            f64::from(row[y as usize]) - max - sum.ln()
        })
        .collect()
}

fn host_logits(classifier: &Classifier, x: Tensor<2>) -> Vec<f32> {
    classifier
        .forward(x)
        .expect("forward")
        .try_into_vec_as::<f32>()
        .expect("f32 logits")
}

/// Test log-loss and mean `î − i` (with `ln p(y)` from the training labels'
/// frequencies, as an estimator would) of `classifier` on `test`.
struct Scored {
    log_loss: f64,
    bias: f64,
}

fn score(
    classifier: &Classifier,
    train: &GaussianSample,
    test: &GaussianSample,
    joint: bool,
    classes: usize,
    device: &Device,
) -> Scored {
    let logits = host_logits(classifier, features(test, joint, device));
    let ll = log_likelihoods(&logits, &test.labels, classes);
    let mut counts = vec![0.0; classes];
    for &y in &train.labels {
        counts[y as usize] += 1.0;
    }
    let n = train.labels.len() as f64;
    let exact = if joint {
        test.exact.terms().i12()
    } else {
        test.exact.terms().i1()
    };
    let bias = ll
        .iter()
        .zip(&test.labels)
        .zip(exact)
        .map(|((&l, &y), &i)| l - (counts[y as usize] / n).ln() - i)
        .sum::<f64>()
        / ll.len() as f64;
    Scored {
        log_loss: -ll.iter().sum::<f64>() / ll.len() as f64,
        bias,
    }
}

#[test]
fn gaussian_search_picks_a_linear_model_close_to_the_exact_information() {
    let device = device();
    let family = ten_classes();
    let train = family.sample(6_000, 11).unwrap();
    let test = family.sample(3_000, 12).unwrap();
    let (model, choice) = ClassifierSearch::new()
        .fit(
            features(&train, false, &device),
            label_tensor(&train, &device),
            10,
        )
        .unwrap();
    assert!(
        matches!(
            choice.kind,
            CandidateKind::Lda { .. } | CandidateKind::Logistic
        ),
        "{choice}"
    );
    // The held-out loss reported is the chosen candidate's, and no candidate is
    // lower by more than the noise the one-standard-error rule forgoes (larger
    // LDA ridges and MLPs must be clearly better to be chosen).
    let own = choice
        .candidates
        .iter()
        .find(|c| c.kind == choice.kind)
        .map(|c| c.holdout_loss);
    assert_eq!(Some(choice.holdout_loss), own, "{choice}");
    let min = choice
        .candidates
        .iter()
        .map(|c| c.holdout_loss)
        .fold(f64::INFINITY, f64::min);
    assert!(choice.holdout_loss - min < 0.005, "{choice}");
    assert!(choice.calibrated_loss <= choice.holdout_loss + 1e-12);
    assert_eq!(choice.rows, (4_800, 1_200));
    let (default, _) = ClassifierConfig::new()
        .fit(
            features(&train, false, &device),
            label_tensor(&train, &device),
            10,
        )
        .unwrap();
    let searched = score(&model, &train, &test, false, 10, &device);
    let baseline = score(&default, &train, &test, false, 10, &device);
    assert!(
        searched.bias.abs() < 0.02,
        "mean î − i = {} ({choice})",
        searched.bias
    );
    assert!(
        searched.log_loss < baseline.log_loss,
        "search {} vs default MLP {} ({choice})",
        searched.log_loss,
        baseline.log_loss
    );
}

/// Over-confident logits `κ · z` of a known model `softmax(z)`: the fitted
/// temperature is the grid minimiser and lies near `κ`.
#[test]
fn temperature_matches_a_grid_search_on_overconfident_logits() {
    let (rows, classes, kappa) = (4_000, 5, 2.5);
    let mut rng = SeededRng::new(3);
    let mut logits = Vec::with_capacity(rows * classes);
    let mut labels = Vec::with_capacity(rows);
    for _ in 0..rows {
        let z: Vec<f64> = (0..classes).map(|_| 1.5 * rng.normal()).collect();
        let total: f64 = z.iter().map(|v| v.exp()).sum();
        let mut u = rng.uniform() * total;
        let mut y = classes - 1;
        for (k, v) in z.iter().enumerate() {
            u -= v.exp();
            if u <= 0.0 {
                y = k;
                break;
            }
        }
        labels.push(y as i64);
        logits.extend(z.iter().map(|v| kappa * v));
    }
    let nll = |t: f64| -> f64 {
        logits
            .chunks_exact(classes)
            .zip(&labels)
            .map(|(row, &y)| {
                let lse = row.iter().map(|v| (v / t).exp()).sum::<f64>().ln();
                lse - row[y as usize] / t
            })
            .sum::<f64>()
            / rows as f64
    };
    // Brute force: 4001 temperatures, log-spaced over the allowed range.
    let (lo, hi) = (MIN_TEMPERATURE.ln(), MAX_TEMPERATURE.ln());
    let grid = (0..=4000).map(|k| (lo + (hi - lo) * k as f64 / 4000.0).exp());
    let (t_grid, nll_grid) = grid
        .map(|t| (t, nll(t)))
        .fold((0.0, f64::INFINITY), |a, b| if b.1 < a.1 { b } else { a });
    let fitted = fit_temperature(&logits, &labels, classes).unwrap();
    assert!(fitted > 1.0, "T = {fitted}");
    assert!((fitted - kappa).abs() < 0.2, "T = {fitted}, κ = {kappa}");
    let step = (hi - lo) / 4000.0;
    assert!(
        (fitted.ln() - t_grid.ln()).abs() <= step,
        "T = {fitted}, grid {t_grid}"
    );
    assert!(
        nll(fitted) <= nll_grid + 1e-12,
        "{} vs {nll_grid}",
        nll(fitted)
    );
    // Under-confident logits: T < 1.
    let soft: Vec<f64> = logits.iter().map(|v| v / (2.0 * kappa)).collect();
    let fitted = fit_temperature(&soft, &labels, classes).unwrap();
    assert!((fitted - 0.5).abs() < 0.05, "T = {fitted}");
}

/// `Classifier::calibrate` on a classifier made over-confident by hand recovers
/// a temperature above 1, the grid minimiser of its own logits' NLL, and
/// `forward` applies it.
#[test]
fn calibrate_divides_the_logits_by_the_fitted_temperature() {
    let device = device();
    let family = ten_classes();
    let train = family.sample(3_000, 21).unwrap();
    let held = family.sample(2_000, 22).unwrap();
    let lda = fit_lda(
        features(&train, false, &device),
        label_tensor(&train, &device),
        10,
        1e-4,
    )
    .unwrap();
    // Sharpen the logits threefold: T = 1/3 on top of LDA's.
    let sharp = lda.clone().with_temperature(1.0 / 3.0).unwrap();
    let raw = host_logits(&lda, features(&held, false, &device));
    let sharp_logits = host_logits(&sharp, features(&held, false, &device));
    for (a, b) in raw.iter().zip(&sharp_logits) {
        assert!((3.0 * a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{a} {b}");
    }
    let x = features(&held, false, &device);
    let (calibrated, t) = sharp
        .calibrate(x.clone(), label_tensor(&held, &device))
        .unwrap();
    let grid_nll = |t: f64| {
        let scaled: Vec<f32> = raw.iter().map(|&v| (f64::from(v) / t) as f32).collect();
        -log_likelihoods(&scaled, &held.labels, 10)
            .iter()
            .sum::<f64>()
            / held.labels.len() as f64
    };
    let t_grid = (0..=2000)
        .map(|k| 0.5 + k as f64 / 2000.0)
        .map(|t| (t, grid_nll(t)))
        .fold((0.0, f64::INFINITY), |a, b| if b.1 < a.1 { b } else { a })
        .0;
    assert!((t - t_grid).abs() < 2e-3, "T = {t}, grid {t_grid}");
    assert!((calibrated.temperature().unwrap() - t).abs() < 1e-6);
    let out = host_logits(&calibrated, x);
    for (a, b) in raw.iter().zip(&out) {
        assert!(
            (f64::from(*a) / t - f64::from(*b)).abs() <= 1e-4 * (1.0 + f64::from(b.abs())),
            "{a} / {t} vs {b}"
        );
    }
    // calibrate fits T to the logits before any temperature, so the hand-set
    // 1/3 is replaced by LDA's own temperature, near 1.
    assert!(t > 0.8 && t < 1.25, "T = {t}");
    // Over-confident logits handed in directly give T near 3·T_lda > 1.
    let held_labels = held.labels.clone();
    let sharp_host: Vec<f64> = sharp_logits.iter().map(|&v| f64::from(v)).collect();
    let t_sharp = fit_temperature(&sharp_host, &held_labels, 10).unwrap();
    assert!(
        (t_sharp - 3.0 * t).abs() < 0.01 * t_sharp,
        "{t_sharp} vs 3·{t}"
    );
}

#[test]
fn save_and_load_keep_the_temperature() {
    let device = device();
    let family = ten_classes();
    let train = family.sample(1_000, 31).unwrap();
    let (model, choice) = ClassifierSearch::new()
        .with_mlp_hidden(vec![])
        .fit(
            features(&train, false, &device),
            label_tensor(&train, &device),
            10,
        )
        .unwrap();
    let model = model.with_temperature(1.75).unwrap();
    let dir = std::env::temp_dir().join(format!("lsmi-clf-search-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("classifier");
    model.save(&path).unwrap();
    let loaded = choice.config.load(&path, 10, 10, &device).unwrap();
    assert_eq!(loaded.temperature().unwrap(), 1.75_f32 as f64);
    let x = features(&train, false, &device);
    assert_eq!(host_logits(&model, x.clone()), host_logits(&loaded, x));
    // The default architecture does not fit the record of a linear model.
    let err = ClassifierConfig::new()
        .load(&path, 10, 10, &device)
        .unwrap_err();
    assert!(matches!(err, LsmiError::Record(_)), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn same_seed_gives_the_same_model() {
    let device = device();
    let family = GaussianFamily::new(3, 4, 0.8, 0.0, ClassMeans::OneHot);
    let train = family.sample(600, 41).unwrap();
    let search = ClassifierSearch::new()
        .with_mlp_hidden(vec![vec![8]])
        .with_exhaustive(true)
        .with_refit(true);
    let run = |search: &ClassifierSearch| {
        let (model, choice) = search
            .fit(
                features(&train, false, &device),
                label_tensor(&train, &device),
                3,
            )
            .unwrap();
        let losses: Vec<f64> = choice.candidates.iter().map(|c| c.holdout_loss).collect();
        (
            host_logits(&model, features(&train, false, &device)),
            losses,
            choice.temperature,
        )
    };
    let first = run(&search);
    assert_eq!(first, run(&search));
    assert_eq!(first.1.len(), 6, "four LDA ridges, logistic and one MLP");
    let other = run(&search.clone().with_seed(7));
    assert_ne!(first.1, other.1);
}

#[test]
fn bad_input_gives_typed_errors() {
    let device = device();
    let x = Features {
        values: (0..40).map(|v| v as f32 * 0.1).collect(),
        rows: 20,
        cols: 2,
    };
    let y: Vec<i64> = (0..20).map(|i| i % 2).collect();
    let fit = |search: ClassifierSearch, x: Tensor<2>, y: &[i64], c: usize| {
        search
            .fit(x, labels(y, &device), c)
            .map(|_| ())
            .unwrap_err()
    };
    let search = || ClassifierSearch::new().with_mlp_hidden(vec![]);
    let err = fit(
        search().with_holdout_fraction(0.0),
        x.tensor(&device),
        &y,
        2,
    );
    assert!(
        matches!(
            err,
            LsmiError::InvalidConfig {
                field: "holdout_fraction",
                ..
            }
        ),
        "{err}"
    );
    let err = fit(
        search().with_lda(false).with_logistic(false),
        x.tensor(&device),
        &y,
        2,
    );
    assert!(matches!(err, LsmiError::InvalidConfig { .. }), "{err}");
    let err = fit(
        search().with_mlp_hidden(vec![vec![0]]),
        x.tensor(&device),
        &y,
        2,
    );
    assert!(
        matches!(
            err,
            LsmiError::InvalidConfig {
                field: "hidden",
                ..
            }
        ),
        "{err}"
    );
    let err = fit(
        search().with_mlp_weight_decay(-1.0),
        x.tensor(&device),
        &y,
        2,
    );
    assert!(matches!(err, LsmiError::InvalidConfig { .. }), "{err}");
    let mut bad_y = y.clone();
    bad_y[3] = 2;
    let err = fit(search(), x.tensor(&device), &bad_y, 2);
    assert!(
        matches!(err, LsmiError::LabelOutOfRange { index: 3, .. }),
        "{err}"
    );
    let err = fit(search(), x.tensor(&device), &y[..19], 2);
    assert!(matches!(err, LsmiError::LengthMismatch { .. }), "{err}");
    let err = fit(search(), x.tensor(&device), &y, 1);
    assert!(matches!(err, LsmiError::TooFewClasses { .. }), "{err}");
    let mut nan = x.clone();
    nan.values[5] = f32::NAN;
    let err = fit(search(), nan.tensor(&device), &y, 2);
    assert!(matches!(err, LsmiError::NonFinite { .. }), "{err}");
    let tiny = Features {
        values: vec![0.0, 1.0, 2.0, 3.0],
        rows: 2,
        cols: 2,
    };
    let err = fit(search(), tiny.tensor(&device), &[0, 1], 2);
    assert!(matches!(err, LsmiError::TooFewRows { .. }), "{err}");

    // Temperatures.
    let err = fit_temperature(&[], &[], 2).unwrap_err();
    assert!(matches!(err, LsmiError::Empty { .. }), "{err}");
    let err = fit_temperature(&[0.0, 1.0, 2.0], &[0, 1], 2).unwrap_err();
    assert!(matches!(err, LsmiError::LengthMismatch { .. }), "{err}");
    let err = fit_temperature(&[0.0, f64::NAN], &[0], 2).unwrap_err();
    assert!(matches!(err, LsmiError::NonFinite { .. }), "{err}");
    let err = fit_temperature(&[0.0, 1.0], &[2], 2).unwrap_err();
    assert!(matches!(err, LsmiError::LabelOutOfRange { .. }), "{err}");
    let model = fit_lda(x.tensor(&device), labels(&y, &device), 2, 1e-3).unwrap();
    for t in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e300] {
        let err = model.clone().with_temperature(t).unwrap_err();
        assert!(
            matches!(
                err,
                LsmiError::InvalidConfig {
                    field: "temperature",
                    ..
                }
            ),
            "{t}: {err}"
        );
    }
    let err = fit_lda(x.tensor(&device), labels(&y, &device), 2, -1.0).unwrap_err();
    assert!(matches!(err, LsmiError::InvalidConfig { .. }), "{err}");
    let err = FitConfig::new()
        .with_weight_decay(f64::NAN)
        .validate()
        .unwrap_err();
    assert!(
        matches!(
            err,
            LsmiError::InvalidConfig {
                field: "weight_decay",
                ..
            }
        ),
        "{err}"
    );
}

/// On the XOR gate's joint features no linear model does better than chance:
/// the search goes on to an MLP and chooses it.
#[test]
fn xor_search_picks_an_mlp() {
    let device = device();
    let sample = GateFeatures::new(Gate::Xor, 2, 0.3)
        .sample(3_000, 51)
        .unwrap();
    let x = Tensor::cat(
        vec![sample.x1.tensor(&device), sample.x2.tensor(&device)],
        1,
    );
    let (_, choice) = ClassifierSearch::new()
        .with_mlp_hidden(vec![vec![32, 32], vec![64, 64]])
        .fit(x, labels(&sample.labels, &device), 2)
        .unwrap();
    assert!(matches!(choice.kind, CandidateKind::Mlp { .. }), "{choice}");
    let linear = choice.candidates[0].holdout_loss;
    assert!(
        (linear - std::f64::consts::LN_2).abs() < 0.05,
        "a linear model cannot beat chance on XOR: {choice}"
    );
    assert!(choice.holdout_loss < 0.3, "{choice}");
}

/// The 64-D embedding of the authors' ten-class case: LDA is the true model, but
/// its 64 × 64 pooled covariance has 54 directions of tiny noise where the
/// estimated class means are mostly estimation error; a larger ridge damps them.
/// The search must pick that ridge by its held-out loss, clearly below the
/// smallest ridge's.
#[test]
fn many_dimensions_choose_a_larger_lda_ridge() {
    let device = device();
    let case = ScaleCase::find("embedded-c10-d10-D64").unwrap();
    let sample = case.sample(8_000, 3).unwrap();
    let (_, choice) = ClassifierSearch::new()
        .fit(
            features(&sample, false, &device),
            label_tensor(&sample, &device),
            10,
        )
        .unwrap();
    let loss = |ridge: f64| {
        choice
            .candidates
            .iter()
            .find(|c| c.kind == CandidateKind::Lda { ridge })
            .map(|c| c.holdout_loss)
            .unwrap()
    };
    let CandidateKind::Lda { ridge } = choice.kind else {
        panic!("a linear discriminant is the true model here: {choice}");
    };
    assert!(
        ridge > 1e-4 && loss(ridge) < loss(1e-4) - 0.003,
        "{choice}: {:#?}",
        choice.candidates
    );
}

/// In one dimension the LDA ridge makes no real difference, and which of the
/// ridges has the lowest held-out loss follows noise; the search keeps the first
/// (smallest) ridge unless a larger one is clearly better. Over these seeds a
/// larger ridge is lower on some held-out split, and is still not chosen.
#[test]
fn low_dimensions_keep_the_first_lda_ridge() {
    let device = device();
    let mut lower_elsewhere = 0;
    for seed in 0..6 {
        let sample = GaussianFamily::setting_a(0.4).sample(4_000, seed).unwrap();
        let (_, choice) = ClassifierSearch::new()
            .with_seed(seed)
            .with_mlp_hidden(vec![])
            .fit(
                features(&sample, false, &device),
                label_tensor(&sample, &device),
                2,
            )
            .unwrap();
        let loss = |ridge: f64| {
            choice
                .candidates
                .iter()
                .find(|c| c.kind == CandidateKind::Lda { ridge })
                .map(|c| c.holdout_loss)
                .unwrap()
        };
        if [1e-3, 1e-2, 1e-1].iter().any(|&r| loss(r) < loss(1e-4)) {
            lower_elsewhere += 1;
        }
        assert!(
            matches!(choice.kind, CandidateKind::Lda { ridge } if ridge == 1e-4)
                || choice.kind == CandidateKind::Logistic,
            "seed {seed}: {choice}"
        );
    }
    assert!(lower_elsewhere > 0, "no seed tested the rule");
}

/// Setting A at ρ = −0.8: the joint posterior is linear and nearly deterministic
/// (held-out loss ≈ 0.004 nats), so the candidates' losses differ by noise. The
/// one-standard-error rule keeps a linear model and `T = 1`: without it, MLPs and
/// temperatures between 0.7 and 1.2 were chosen on noise, and rows far on the
/// wrong side got `i12` off by more than a nat.
#[test]
fn near_separable_data_keep_a_linear_model_and_unit_temperature() {
    let device = device();
    for seed in 0..3 {
        let sample = GaussianFamily::setting_a(-0.8).sample(4_000, seed).unwrap();
        let (_, choice) = ClassifierSearch::new()
            .with_seed(seed)
            .fit(
                features(&sample, true, &device),
                label_tensor(&sample, &device),
                2,
            )
            .unwrap();
        assert!(
            matches!(
                choice.kind,
                CandidateKind::Lda { .. } | CandidateKind::Logistic
            ),
            "seed {seed}: {choice}"
        );
        assert_eq!(choice.temperature, 1.0, "seed {seed}: {choice}");
    }
}

/// Figures for `docs/classifiers.md`: on the `C = d = 10` Gaussian case with
/// 16 000 training and 4 000 test rows, for `x1` and `[x1, x2]`, the default MLP
/// against the search: mean `î − i` on the test rows, test log-loss, fit time;
/// and the test log-loss on the XOR gate's joint features (16 000 / 4 000 rows
/// of one sample), where a linear model is not the true one.
///
/// `cargo test --all-features --test integration classifier_search::measure -- --ignored --nocapture`
#[test]
#[ignore = "prints figures; takes about a minute"]
fn measure() {
    let device = device();
    let family = ten_classes();
    let train = family.sample(16_000, 101).unwrap();
    let test = family.sample(4_000, 102).unwrap();
    let searches = || {
        [
            ("search (default: refit)", ClassifierSearch::new()),
            (
                "search, T = 1",
                ClassifierSearch::new().with_calibrate(false),
            ),
            (
                "search, no refit",
                ClassifierSearch::new().with_refit(false),
            ),
            (
                "search, no refit, T = 1",
                ClassifierSearch::new()
                    .with_refit(false)
                    .with_calibrate(false),
            ),
            (
                "search, exhaustive",
                ClassifierSearch::new().with_exhaustive(true),
            ),
        ]
    };
    for joint in [false, true] {
        let name = if joint { "[x1, x2]" } else { "x1" };
        let x = || features(&train, joint, &device);
        let y = || label_tensor(&train, &device);
        let begin = Instant::now();
        let (default, _) = ClassifierConfig::new().fit(x(), y(), 10).unwrap();
        let elapsed = begin.elapsed();
        let s = score(&default, &train, &test, joint, 10, &device);
        println!(
            "gauss {name}: default MLP [64, 64]: mean î − i = {:+.4}, test log-loss {:.4}, {:.1?}",
            s.bias, s.log_loss, elapsed
        );
        for (label, search) in searches() {
            let begin = Instant::now();
            let (model, choice) = search.fit(x(), y(), 10).unwrap();
            let elapsed = begin.elapsed();
            let s = score(&model, &train, &test, joint, 10, &device);
            println!(
                "gauss {name}: {label}: {}: mean î − i = {:+.4}, test log-loss {:.4}, {:.1?}\n    {choice}",
                choice.describe(),
                s.bias,
                s.log_loss,
                elapsed
            );
        }
    }
    // x1 · W + N(0, 0.01²) in 64 dimensions: a rank-10 signal (exact i about i1).
    let mut rng = SeededRng::new(77);
    let w: Vec<f64> = (0..10 * 64).map(|_| rng.normal() / 10f64.sqrt()).collect();
    let embed = |f: &Features, rng: &mut SeededRng| -> Tensor<2> {
        let values: Vec<f32> = (0..f.rows)
            .flat_map(|r| {
                let row = f.row(r);
                (0..64)
                    .map(|j| {
                        let dot: f64 = (0..10).map(|k| f64::from(row[k]) * w[k * 64 + j]).sum();
                        (dot + 0.01 * rng.normal()) as f32
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        Features {
            values,
            rows: f.rows,
            cols: 64,
        }
        .tensor(&device)
    };
    let (train_e, test_e) = (embed(&train.x1, &mut rng), embed(&test.x1, &mut rng));
    let bias_and_loss = |model: &Classifier| {
        let logits = host_logits(model, test_e.clone());
        let ll = log_likelihoods(&logits, &test.labels, 10);
        let bias = ll
            .iter()
            .zip(test.exact.terms().i1())
            .map(|(l, i)| l + 10f64.ln() - i)
            .sum::<f64>()
            / ll.len() as f64;
        (bias, -ll.iter().sum::<f64>() / ll.len() as f64)
    };
    let begin = Instant::now();
    let (default, _) = ClassifierConfig::new()
        .fit(train_e.clone(), label_tensor(&train, &device), 10)
        .unwrap();
    let (bias, loss) = bias_and_loss(&default);
    println!(
        "gauss x1·W (64-D): default MLP [64, 64]: mean î − i = {bias:+.4} (ln p(y) = −ln 10), test log-loss {loss:.4}, {:.1?}",
        begin.elapsed()
    );
    for (label, search) in searches() {
        let begin = Instant::now();
        let (model, choice) = search
            .fit(train_e.clone(), label_tensor(&train, &device), 10)
            .unwrap();
        let (bias, loss) = bias_and_loss(&model);
        println!(
            "gauss x1·W (64-D): {label}: {}: mean î − i = {bias:+.4}, test log-loss {loss:.4}, {:.1?}\n    {choice}",
            choice.describe(),
            begin.elapsed()
        );
    }

    let sample = GateFeatures::new(Gate::Xor, 2, 0.6)
        .sample(20_000, 5)
        .unwrap();
    let joint = Tensor::cat(
        vec![sample.x1.tensor(&device), sample.x2.tensor(&device)],
        1,
    );
    let x = || joint.clone().narrow(0, 0, 16_000);
    let y = || labels(&sample.labels[..16_000], &device);
    let test_x = joint.clone().narrow(0, 16_000, 4_000);
    let test_y = &sample.labels[16_000..];
    let log_loss = |model: &Classifier| {
        let logits = host_logits(model, test_x.clone());
        -log_likelihoods(&logits, test_y, 2).iter().sum::<f64>() / test_y.len() as f64
    };
    let begin = Instant::now();
    let (default, _) = ClassifierConfig::new().fit(x(), y(), 2).unwrap();
    println!(
        "xor [x1, x2]: default MLP [64, 64]: test log-loss {:.4}, {:.1?}",
        log_loss(&default),
        begin.elapsed()
    );
    for (label, search) in searches() {
        let begin = Instant::now();
        let (model, choice) = search.fit(x(), y(), 2).unwrap();
        println!(
            "xor [x1, x2]: {label}: {}: test log-loss {:.4}, {:.1?}\n    {choice}",
            choice.describe(),
            log_loss(&model),
            begin.elapsed()
        );
    }
}
