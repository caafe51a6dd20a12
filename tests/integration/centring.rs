//! The scale diagnostics and the centred (affine-invariant) variant, against
//! exact terms: an affine map of one modality, computed here from the mapped
//! densities, shifts raw `h` by `ln|det A|` and leaves centred LSMI unchanged;
//! centred terms keep identities 1–5; the gates do not move.

use lsmi::burn::tensor::Device;
use lsmi::synthetic::{GaussianFamily, ScaleCase};
use lsmi::testing::{self, Identity};
use lsmi::{Decomposer, Gate, Interactions, Lsmi, PointwiseTerms};
use proptest::prelude::*;

use crate::common::devices;

/// `ln N(x; μ, Σ)` for a 2-D Gaussian, with the inverse and determinant of `Σ`
/// written out.
fn log_normal_2d(x: [f64; 2], mean: [f64; 2], cov: [[f64; 2]; 2]) -> f64 {
    let det = cov[0][0] * cov[1][1] - cov[0][1] * cov[1][0];
    let (d0, d1) = (x[0] - mean[0], x[1] - mean[1]);
    let quad =
        (cov[1][1] * d0 * d0 - (cov[0][1] + cov[1][0]) * d0 * d1 + cov[0][0] * d1 * d1) / det;
    -(2.0 * std::f64::consts::PI).ln() - 0.5 * det.ln() - 0.5 * quad
}

/// `ln N(x; μ, s² I)` in any dimension.
fn log_normal_isotropic(x: &[f64], mean: &[f64], s: f64) -> f64 {
    let quad: f64 = x.iter().zip(mean).map(|(a, m)| (a - m).powi(2)).sum();
    let d = x.len() as f64;
    -0.5 * d * (2.0 * std::f64::consts::PI * s * s).ln() - 0.5 * quad / (s * s)
}

/// `(h(x), i(x;y))` of a mixture with component log-densities `log_components`
/// and prior `prior`: `h = −ln Σ π_c p_c`, `i = ln π_y p_y − ln Σ π_c p_c − ln π_y`.
fn surprisal_and_pmi(log_components: &[f64], prior: &[f64], y: usize) -> (f64, f64) {
    let joint: Vec<f64> = log_components
        .iter()
        .zip(prior)
        .map(|(l, p)| l + p.ln())
        .collect();
    let top = joint.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let log_px = top + joint.iter().map(|j| (j - top).exp()).sum::<f64>().ln();
    (-log_px, joint[y] - log_px - prior[y].ln())
}

/// A sample of `family`: its exact terms (those of the generator, at the `f32`
/// features) and the features as `f64` rows.
struct Exact {
    terms: PointwiseTerms<Vec<f64>>,
    x1: Vec<Vec<f64>>,
    labels: Vec<usize>,
}

fn exact(family: &GaussianFamily, n: usize, seed: u64) -> Exact {
    let sample = family.sample(n, seed).unwrap();
    let row = |f: &lsmi::synthetic::Features, k: usize| -> Vec<f64> {
        f.row(k).iter().map(|&v| f64::from(v)).collect()
    };
    let rows: Vec<PointwiseTerms<f64>> = (0..n)
        .map(|k| {
            let y = sample.labels[k] as usize;
            family
                .terms(&row(&sample.x1, k), &row(&sample.x2, k), y)
                .unwrap()
        })
        .collect();
    Exact {
        terms: PointwiseTerms::from_rows(&rows).unwrap(),
        x1: (0..n).map(|k| row(&sample.x1, k)).collect(),
        labels: sample.labels.iter().map(|&y| y as usize).collect(),
    }
}

/// The exact terms after modality 1 is mapped (`h1`, `i1` from the mapped
/// density `mapped(x1)`, giving per class the log-density of the image of
/// `x1`); `h2`, `i2`, `i12` are unchanged (an invertible map of one modality
/// keeps every posterior).
fn remapped(
    base: &Exact,
    prior: &[f64],
    mapped: impl Fn(&[f64]) -> Vec<f64>,
) -> PointwiseTerms<Vec<f64>> {
    let (h1, i1): (Vec<f64>, Vec<f64>) = base
        .x1
        .iter()
        .zip(&base.labels)
        .map(|(x, &y)| surprisal_and_pmi(&mapped(x), prior, y))
        .unzip();
    let t = &base.terms;
    PointwiseTerms::from_columns(h1, t.h2().clone(), i1, t.i2().clone(), t.i12().clone()).unwrap()
}

/// The centred decomposition of `terms`, centred on their own means.
fn centred(terms: &PointwiseTerms<Vec<f64>>) -> Interactions<Vec<f64>> {
    terms.centered(terms.surprisal_means()).unwrap().decompose()
}

/// Every per-sample column of `a` and `b` within `tol`.
fn assert_same(what: &str, a: &Interactions<Vec<f64>>, b: &Interactions<Vec<f64>>, tol: f64) {
    for ((column, x), (_, y)) in a.columns().into_iter().zip(b.columns()) {
        for (k, (u, v)) in x.iter().zip(y.iter()).enumerate() {
            assert!(
                (u - v).abs() <= tol,
                "{what}: {column}[{k}] = {u} vs {v} (tolerance {tol})"
            );
        }
    }
}

/// The image of the point `x` (2-D) under `x → A·x + b`.
fn affine(a: [[f64; 2]; 2], b: [f64; 2], x: &[f64]) -> [f64; 2] {
    [
        a[0][0] * x[0] + a[0][1] * x[1] + b[0],
        a[1][0] * x[0] + a[1][1] * x[1] + b[1],
    ]
}

/// An invertible 2 × 2 matrix, `|det A| ≥ 0.05`, and an offset.
fn affine_map() -> impl Strategy<Value = ([[f64; 2]; 2], [f64; 2])> {
    (
        prop::array::uniform4(-3.0f64..3.0),
        prop::array::uniform2(-5.0f64..5.0),
    )
        .prop_filter("invertible", |([a, b, c, d], _)| {
            (a * d - b * c).abs() >= 0.05
        })
        .prop_map(|([a, b, c, d], offset)| ([[a, b], [c, d]], offset))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Setting B (`d = 2`) with modality 1 mapped by `x → A·x + b`: the exact
    /// `h1` of the mapped features (a Gaussian mixture with means `A·m_c + b` and
    /// covariance `σ²·A·Aᵀ`) is `h1 + ln|det A|` for every sample, `i1` does not
    /// move, and centred LSMI is unchanged to 1e-6 on every column.
    #[test]
    fn an_affine_map_of_one_modality_shifts_raw_h_and_leaves_centred_lsmi(
        (a, b) in affine_map(),
        rho in -0.9f64..0.9,
        seed in 0u64..1000,
    ) {
        let family = GaussianFamily::setting_b(rho);
        let base = exact(&family, 120, seed);
        let sigma = family.sigma;
        let aat = [
            [a[0][0] * a[0][0] + a[0][1] * a[0][1], a[0][0] * a[1][0] + a[0][1] * a[1][1]],
            [a[1][0] * a[0][0] + a[1][1] * a[0][1], a[1][0] * a[1][0] + a[1][1] * a[1][1]],
        ];
        let cov = aat.map(|row| row.map(|v| sigma * sigma * v));
        let means = family.class_means();
        let mapped = remapped(&base, &family.class_prior(), |x| {
            let image = affine(a, b, x);
            means
                .iter()
                .map(|m| log_normal_2d(image, affine(a, b, m), cov))
                .collect()
        });
        let shift = (a[0][0] * a[1][1] - a[0][1] * a[1][0]).abs().ln();
        for k in 0..base.terms.len() {
            let moved = mapped.h1()[k] - base.terms.h1()[k];
            prop_assert!((moved - shift).abs() < 1e-9, "h1[{k}] moved by {moved}, not {shift}");
            prop_assert!((mapped.i1()[k] - base.terms.i1()[k]).abs() < 1e-9);
        }
        let [h1, _] = mapped.surprisal_means();
        let [h1_before, _] = base.terms.surprisal_means();
        prop_assert!((h1 - h1_before - shift).abs() < 1e-9);
        assert_same("centred, mapped vs not", &centred(&mapped), &centred(&base.terms), 1e-6);
    }

    /// The authors' case (`C = d = 10`) with modality 1 scaled by `c > 0`: the
    /// exact `h1` of the scaled features (means `c·m_c`, noise `c·σ`) is
    /// `h1 + 10·ln c`, and centred LSMI is unchanged to 1e-6.
    #[test]
    fn scaling_one_modality_shifts_raw_h_by_d_ln_c_and_leaves_centred_lsmi(
        log10_c in -3.0f64..3.0,
        seed in 0u64..1000,
    ) {
        let family = ScaleCase::find("gaussian-c10-d10").unwrap().family.base().clone();
        let c = 10f64.powf(log10_c);
        let base = exact(&family, 60, seed);
        let means = family.class_means();
        let mapped = remapped(&base, &family.class_prior(), |x| {
            let image: Vec<f64> = x.iter().map(|v| c * v).collect();
            means
                .iter()
                .map(|m| {
                    let scaled: Vec<f64> = m.iter().map(|v| c * v).collect();
                    log_normal_isotropic(&image, &scaled, c * family.sigma)
                })
                .collect()
        });
        let shift = family.dim as f64 * c.ln();
        for k in 0..base.terms.len() {
            let moved = mapped.h1()[k] - base.terms.h1()[k];
            prop_assert!((moved - shift).abs() < 1e-9, "h1[{k}] moved by {moved}, not {shift}");
        }
        assert_same("centred, scaled vs not", &centred(&mapped), &centred(&base.terms), 1e-6);
    }

    /// Identities 1–5 hold on centred terms, and the interactions carry the
    /// centred `h` they were computed from (identity 5 read off what is returned).
    #[test]
    fn centred_terms_keep_identities_one_to_five(terms in testing::terms()) {
        let centred_terms = terms.centered(terms.surprisal_means()).unwrap();
        for (backend, device) in devices() {
            let report = testing::check_decomposer(&Lsmi, &centred_terms, &device).unwrap();
            for identity in Identity::DECOMPOSITION {
                prop_assert!(report.holds(identity), "{backend}: {report}");
            }
            let out = centred_on_device(&terms, &device);
            for k in 0..out.len() {
                let t = out.terms().row(k).unwrap();
                let [h1, h2, i1, i2, _] = t.values();
                let tol = testing::tolerance(&t.values());
                prop_assert!((h1 - centred_terms.h1()[k]).abs() <= tol, "{backend}: h1[{k}]");
                prop_assert!((h2 - centred_terms.h2()[k]).abs() <= tol, "{backend}: h2[{k}]");
                if h1 <= h2 && h1 - i1 <= h2 - i2 {
                    prop_assert!((out.r()[k] - i1).abs() <= tol, "{backend}: r[{k}] != i1");
                }
            }
        }
    }
}

/// `terms` centred on their own means and decomposed on `device`.
fn centred_on_device(terms: &PointwiseTerms<Vec<f64>>, device: &Device) -> Interactions<Vec<f64>> {
    let on_device = terms.to_device(device).unwrap();
    let means = on_device.surprisal_means().unwrap();
    Lsmi.decompose(on_device.centered(means).unwrap())
        .unwrap()
        .to_host()
        .unwrap()
}

/// Modality 1 of setting B scaled by 1000 (`h1 + 2·ln 1000 ≈ h1 + 13.8`, far
/// beyond the spread of `h1 − h2`): raw LSMI degenerates to `r = i2` on every
/// sample, modality 2's same-minimum fraction says so, and the centred variant, on the
/// device as on the host, gives what it gave before the scaling.
#[test]
fn a_large_scale_makes_raw_lsmi_degenerate_and_centring_undoes_it() {
    let family = GaussianFamily::setting_b(0.5);
    let base = exact(&family, 400, 3);
    let shift = 2.0 * 1000f64.ln();
    let t = &base.terms;
    let scaled = PointwiseTerms::from_columns(
        t.h1().iter().map(|h| h + shift).collect(),
        t.h2().clone(),
        t.i1().clone(),
        t.i2().clone(),
        t.i12().clone(),
    )
    .unwrap();
    let raw = scaled.decompose();
    for k in 0..raw.len() {
        assert_eq!(
            scaled.row(k).unwrap().dominant_modality(),
            Some(2),
            "row {k}"
        );
        assert!((raw.r()[k] - t.i2()[k]).abs() < 1e-12, "r[{k}] is i2");
    }
    let summary = raw.summary().unwrap();
    assert_eq!(summary.same_min_fractions, [0.0, 1.0]);
    assert!(
        (summary.mean_h_gap() - (t.surprisal_means()[0] - t.surprisal_means()[1] + shift)).abs()
            < 1e-9
    );

    let before = base.terms.decompose().summary().unwrap();
    // Unscaled, the two modalities share the samples they dominate.
    let most = |s: &lsmi::Summary| s.same_min_fractions[0].max(s.same_min_fractions[1]);
    assert!(most(&before) < 0.6, "{before:?}");
    let centred_scaled = centred(&scaled);
    assert_same("centred", &centred_scaled, &centred(&base.terms), 1e-9);
    let centred_summary = centred_scaled.summary().unwrap();
    assert!(centred_summary.mean_h_gap().abs() < 1e-9);
    assert!(most(&centred_summary) < 0.6, "{centred_summary:?}");
    for (backend, device) in devices() {
        let on_device = centred_on_device(&scaled, &device);
        for ((column, x), (_, y)) in on_device
            .columns()
            .into_iter()
            .zip(centred_scaled.columns())
        {
            for (k, (u, v)) in x.iter().zip(y.iter()).enumerate() {
                // f32: the raw h reach about 20 nats before centring.
                assert!((u - v).abs() < 2e-5, "{backend} {column}[{k}]: {u} vs {v}");
            }
        }
    }
}

/// Every gate's two modalities have the same `h` on every event, so centring
/// subtracts one constant from both: the centred means are the raw ones (the
/// table in the theory notes), and no event has one modality attaining both
/// minima (ties do not count).
#[test]
fn centring_leaves_the_gates_unchanged() {
    for gate in Gate::ALL {
        let oracle = gate.pmf().decompose();
        let weights: Vec<f64> = oracle.events().iter().map(|e| e.p).collect();
        let terms = oracle.interactions().terms();
        let raw = oracle.summary();
        let centred = centred(terms).weighted_summary(&weights).unwrap();
        for (what, a, b) in [
            ("R", centred.r, raw.r),
            ("U1", centred.u1, raw.u1),
            ("U2", centred.u2, raw.u2),
            ("S", centred.s, raw.s),
        ] {
            assert!((a - b).abs() < 1e-12, "{} {what}: {a} vs {b}", gate.name());
        }
        assert_eq!(raw.same_min_fractions, [0.0, 0.0], "{}", gate.name());
        assert_eq!(centred.same_min_fractions, [0.0, 0.0], "{}", gate.name());
        assert_eq!(raw.mean_h_gap(), 0.0, "{}", gate.name());
        // Two rows of the table (`cargo run --example gates`).
        let table = match gate {
            Gate::Or => [0.389048, -0.173287, -0.173287, 0.519860],
            Gate::XorNot => [0.346574, -0.346574, 0.0, std::f64::consts::LN_2],
            _ => continue,
        };
        for (found, want) in [centred.r, centred.u1, centred.u2, centred.s]
            .iter()
            .zip(table)
        {
            assert!(
                (found - want).abs() < 1e-6,
                "{}: {found} vs {want}",
                gate.name()
            );
        }
    }
}

/// `[f1, f2]` counted here: modality `k` has the strictly smaller `h` and the
/// strictly smaller `h − i`, over the samples `rows`.
fn fractions(terms: &PointwiseTerms<Vec<f64>>, rows: &[usize]) -> [f64; 2] {
    let mut counts = [0.0; 2];
    for &k in rows {
        let [h1, h2, i1, i2, _] = terms.row(k).unwrap().values();
        if h1 < h2 && h1 - i1 < h2 - i2 {
            counts[0] += 1.0;
        }
        if h2 < h1 && h2 - i2 < h1 - i1 {
            counts[1] += 1.0;
        }
    }
    counts.map(|c| c / rows.len() as f64)
}

fn assert_fractions(what: &str, found: [f64; 2], want: [f64; 2]) {
    for k in 0..2 {
        assert!(
            (found[k] - want[k]).abs() < 1e-12,
            "{what}: same-minimum fractions {found:?}, counted {want:?}"
        );
    }
}

/// The fractions reach every summary: host, device, weighted, per class, the
/// reference adjustment (raw and adjusted means) and the online sums (total, per
/// class, moving average); swapping the modalities swaps them.
#[test]
fn every_summary_carries_the_same_minimum_fractions() {
    // Setting B with modality 1 scaled by 3 (h1 + 2·ln 3): neither modality
    // dominates every sample, nor none.
    let base = exact(&GaussianFamily::setting_b(0.3), 300, 8);
    let t = &base.terms;
    let f32_exact = |v: &Vec<f64>| v.iter().map(|&x| f64::from(x as f32)).collect::<Vec<_>>();
    let terms = PointwiseTerms::from_columns(
        f32_exact(&t.h1().iter().map(|h| h + 2.0 * 3f64.ln()).collect()),
        f32_exact(t.h2()),
        f32_exact(t.i1()),
        f32_exact(t.i2()),
        f32_exact(t.i12()),
    )
    .unwrap();
    let all: Vec<usize> = (0..terms.len()).collect();
    let want = fractions(&terms, &all);
    assert!(want[0] > 0.01 && want[1] > 0.3, "{want:?}");
    assert_fractions("terms", terms.same_min_fractions(), want);
    let host = terms.decompose();
    assert_fractions("host", host.summary().unwrap().same_min_fractions, want);
    assert_fractions(
        "weighted",
        host.weighted_summary(&vec![2.0; host.len()])
            .unwrap()
            .same_min_fractions,
        want,
    );
    let swapped = terms.swapped().decompose().summary().unwrap();
    assert_fractions("swapped", swapped.same_min_fractions, [want[1], want[0]]);
    let gap = terms.surprisal_means()[0] - terms.surprisal_means()[1];
    assert!((host.summary().unwrap().mean_h_gap() - gap).abs() < 1e-12);

    let labels = &base.labels;
    for (backend, device) in devices() {
        let on_device = Lsmi.decompose(terms.to_device(&device).unwrap()).unwrap();
        let summary = on_device.summary().unwrap();
        assert_fractions(backend, summary.same_min_fractions, want);
        let adjusted = on_device.adjust().unwrap();
        assert_fractions("adjusted raw", adjusted.raw().same_min_fractions, want);
        assert_fractions("adjusted", adjusted.summary().same_min_fractions, want);
        let ys: Vec<i64> = labels.iter().map(|&y| y as i64).collect();
        let per_class = on_device
            .per_class(&crate::common::labels(&ys, &device), 2)
            .unwrap();
        for class in per_class {
            let rows: Vec<usize> = all
                .iter()
                .copied()
                .filter(|&k| labels[k] == class.class)
                .collect();
            assert_fractions(
                &format!("{backend} class {}", class.class),
                class.summary.same_min_fractions,
                fractions(&terms, &rows),
            );
        }
    }
}

/// The online sums count the same-minimum samples of every batch: total, per
/// class and (one batch) the moving average, against a count of the batches'
/// returned terms.
#[test]
fn online_summaries_carry_the_same_minimum_fractions() {
    use crate::common::{labels, matrix};
    for (backend, device) in devices() {
        let sample = |seed| GaussianFamily::setting_a(0.2).sample(64, seed).unwrap();
        let first = sample(1);
        // Modality 1 in other units (× 30): its h is larger by ln 30.
        let x1 = |s: &lsmi::synthetic::GaussianSample| s.x1.scaled(30.0).tensor(&device);
        let mut online = lsmi::OnlineConfig::new(2)
            .init(&x1(&first), &first.x2.tensor(&device))
            .unwrap();
        let close = |what: &str, found: [f64; 2], want: [f64; 2]| {
            for k in 0..2 {
                assert!(
                    (found[k] - want[k]).abs() < 1e-6,
                    "{backend} {what}: {found:?} vs {want:?}"
                );
            }
        };
        let mut seen: Vec<(PointwiseTerms<Vec<f64>>, Vec<usize>)> = Vec::new();
        for seed in 2..4 {
            let b = sample(seed);
            let logits = |x: &lsmi::synthetic::Features| {
                let v: Vec<f32> = x.values.iter().flat_map(|&v| [-v, v]).collect();
                matrix(&v, 64, 2, &device)
            };
            let out = online
                .step(
                    x1(&b),
                    b.x2.tensor(&device),
                    labels(&b.labels, &device),
                    logits(&b.x1),
                    logits(&b.x2),
                    logits(&b.x2),
                )
                .unwrap();
            let ys = b.labels.iter().map(|&y| y as usize).collect();
            seen.push((out.terms().to_host().unwrap(), ys));
            if seed == 2 {
                let (terms, _) = &seen[0];
                let want = fractions(terms, &(0..64).collect::<Vec<_>>());
                let ema = online.ema_summary().unwrap().unwrap();
                close("moving average", ema.same_min_fractions, want);
            }
        }
        let count = |class: Option<usize>| {
            let mut counts = [0.0; 2];
            let mut n = 0.0;
            for (terms, ys) in &seen {
                let rows: Vec<usize> = (0..ys.len())
                    .filter(|&k| class.is_none_or(|c| ys[k] == c))
                    .collect();
                let f = fractions(terms, &rows);
                for k in 0..2 {
                    counts[k] += f[k] * rows.len() as f64;
                }
                n += rows.len() as f64;
            }
            counts.map(|c| c / n)
        };
        let total = count(None);
        assert!(total[1] > 0.5, "{backend}: modality 2 dominates, {total:?}");
        close("total", online.summary().unwrap().same_min_fractions, total);
        for class in online.per_class().unwrap() {
            close(
                "class",
                class.summary.same_min_fractions,
                count(Some(class.class)),
            );
        }
    }
}
