//! Property tests for the decomposition's definitions and identities, the
//! adjustment and the label prior, on every backend of the build.

use lsmi::burn::tensor::Device;
use lsmi::{
    Decomposer, HostInteractions, Interactions, LabelPrior, LogitPmi, Lsmi, Pmi, PointwiseTerms,
};
use proptest::prelude::*;

use crate::common::{definitions, devices, labels, matrix, read, reference_shift};

/// f32 rounding after a handful of operations, relative to the largest input
/// of the sample (a fitted `h` reaches tens of nats; the strategy goes to 1e3).
fn tolerance(row: &[f64; 5]) -> f64 {
    let largest = row.iter().fold(0f64, |m, v| m.max(v.abs()));
    32.0 * f64::from(f32::EPSILON) * (1.0 + largest)
}

/// One pointwise value: mostly realistic, sometimes large, sometimes a value
/// that recurs (so that ties happen), always exactly representable in `f32`.
fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -10.0f64..10.0,
        2 => -1e3f64..1e3,
        1 => prop::sample::select(vec![-1.0, 0.0, 0.5, 2.0]),
    ]
    .prop_map(|v| f64::from(v as f32))
}

/// `(h1, h2, i1, i2, i12)` of one sample; a quarter of the samples tie in
/// `h(x1) = h(x2)` and a quarter in `h(x1|y) = h(x2|y)`.
fn row_strategy() -> impl Strategy<Value = [f64; 5]> {
    (prop::array::uniform5(value()), 0u8..4).prop_map(|([h1, h2, i1, i2, i12], tie)| match tie {
        0 => [h1, h1, i1, i2, i12],
        1 => [h1, h2, i1, f64::from((h2 - h1 + i1) as f32), i12],
        _ => [h1, h2, i1, i2, i12],
    })
}

/// `n` samples of `(h1, h2, i1, i2, i12)`.
fn terms_strategy() -> impl Strategy<Value = Vec<[f64; 5]>> {
    prop::collection::vec(row_strategy(), 1..40)
}

fn column(rows: &[[f64; 5]], k: usize) -> Vec<f64> {
    rows.iter().map(|row| row[k]).collect()
}

fn decompose(rows: &[[f64; 5]], device: &Device) -> Interactions {
    let terms = PointwiseTerms::from_slices(
        &column(rows, 0),
        &column(rows, 1),
        &column(rows, 2),
        &column(rows, 3),
        &column(rows, 4),
        device,
    )
    .unwrap();
    Lsmi.decompose(terms).unwrap()
}

fn host(rows: &[[f64; 5]], device: &Device) -> HostInteractions {
    decompose(rows, device).to_host().unwrap()
}

/// `a[k]` and `b[k]` agree within the tolerance of sample `k` of `rows`.
fn assert_close(what: &str, rows: &[[f64; 5]], a: &[f32], b: &[f32]) -> Result<(), TestCaseError> {
    assert_close_at(what, rows, 0.0, a, b)
}

/// [`assert_close`] for values that also carry a data-set constant of magnitude
/// `extra` (the adjustment's shift): f32 rounds `r + a` relative to `|a|` too.
fn assert_close_at(
    what: &str,
    rows: &[[f64; 5]],
    extra: f64,
    a: &[f32],
    b: &[f32],
) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.len(), rows.len(), "{}: length", what);
    prop_assert_eq!(b.len(), rows.len(), "{}: length", what);
    for (k, ((x, y), row)) in a.iter().zip(b).zip(rows).enumerate() {
        let miss = (f64::from(*x) - f64::from(*y)).abs();
        let tol = tolerance(row).max(tolerance(&[extra; 5]));
        prop_assert!(miss <= tol, "{what}[{k}]: {x} vs {y} for {row:?}");
    }
    Ok(())
}

fn sum(columns: &[&[f32]]) -> Vec<f32> {
    (0..columns[0].len())
        .map(|k| columns.iter().map(|c| c[k]).sum())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// `r⁺ = min(h1, h2)` per sample, against an independent `f64` computation:
    /// fails if that `min` becomes a `max`.
    #[test]
    fn r_plus_is_the_smaller_surprisal(rows in terms_strategy()) {
        for (backend, device) in devices() {
            let h = host(&rows, &device);
            let want: Vec<f32> = rows.iter().map(|row| definitions(*row)[0] as f32).collect();
            assert_close(&format!("{backend} r_plus"), &rows, &h.r_plus, &want)?;
        }
    }

    /// `r⁻ = min(h1 − i1, h2 − i2)` per sample, against an independent `f64`
    /// computation: fails if that `min` becomes a `max`.
    #[test]
    fn r_minus_is_the_smaller_conditional_surprisal(rows in terms_strategy()) {
        for (backend, device) in devices() {
            let h = host(&rows, &device);
            let want: Vec<f32> = rows.iter().map(|row| definitions(*row)[1] as f32).collect();
            assert_close(&format!("{backend} r_minus"), &rows, &h.r_minus, &want)?;
        }
    }

    /// `r, u1, u2, s` per sample against the definitions, computed independently.
    #[test]
    fn interactions_follow_the_definitions(rows in terms_strategy()) {
        for (backend, device) in devices() {
            let h = host(&rows, &device);
            for (k, (name, column)) in [("r", &h.r), ("u1", &h.u1), ("u2", &h.u2), ("s", &h.s)]
                .into_iter()
                .enumerate()
            {
                let want: Vec<f32> =
                    rows.iter().map(|row| definitions(*row)[k + 2] as f32).collect();
                assert_close(&format!("{backend} {name}"), &rows, column, &want)?;
            }
        }
    }

    /// Identity 1: r + u1 = i1, r + u2 = i2, r + u1 + u2 + s = i12.
    #[test]
    fn parts_add_up_to_the_pmi(rows in terms_strategy()) {
        for (backend, device) in devices() {
            let h = host(&rows, &device);
            assert_close(&format!("{backend} r+u1"), &rows, &sum(&[&h.r, &h.u1]), &h.i1)?;
            assert_close(&format!("{backend} r+u2"), &rows, &sum(&[&h.r, &h.u2]), &h.i2)?;
            assert_close(
                &format!("{backend} r+u1+u2+s"),
                &rows,
                &sum(&[&h.r, &h.u1, &h.u2, &h.s]),
                &h.i12,
            )?;
        }
    }

    /// Identity 2: swapping modalities swaps u1 ↔ u2 and keeps r, s, r⁺, r⁻.
    #[test]
    fn swapping_modalities_swaps_uniqueness(rows in terms_strategy()) {
        for (_, device) in devices() {
            let forward = decompose(&rows, &device);
            let swapped = Lsmi.decompose(forward.terms.swapped()).unwrap();
            let (a, b) = (forward.to_host().unwrap(), swapped.to_host().unwrap());
            assert_close("u1 ↔ u2", &rows, &a.u1, &b.u2)?;
            assert_close("u2 ↔ u1", &rows, &a.u2, &b.u1)?;
            assert_close("r", &rows, &a.r, &b.r)?;
            assert_close("s", &rows, &a.s, &b.s)?;
            assert_close("r_plus", &rows, &a.r_plus, &b.r_plus)?;
            assert_close("r_minus", &rows, &a.r_minus, &b.r_minus)?;
        }
    }

    /// Identity 3: a common constant added to h(x1) and h(x2) shifts r⁺ and r⁻
    /// by that constant and leaves r, u1, u2, s unchanged.
    #[test]
    fn common_entropy_offset_cancels(rows in terms_strategy(), offset in -50.0f64..50.0) {
        let offset = f64::from(offset as f32);
        let shifted: Vec<[f64; 5]> = rows
            .iter()
            .map(|&[h1, h2, i1, i2, i12]| [h1 + offset, h2 + offset, i1, i2, i12])
            .collect();
        for (_, device) in devices() {
            let (a, b) = (host(&rows, &device), host(&shifted, &device));
            assert_close("r", &shifted, &a.r, &b.r)?;
            assert_close("u1", &shifted, &a.u1, &b.u1)?;
            assert_close("u2", &shifted, &a.u2, &b.u2)?;
            assert_close("s", &shifted, &a.s, &b.s)?;
            let plus: Vec<f32> = a.r_plus.iter().map(|v| v + offset as f32).collect();
            let minus: Vec<f32> = a.r_minus.iter().map(|v| v + offset as f32).collect();
            assert_close("r_plus", &shifted, &plus, &b.r_plus)?;
            assert_close("r_minus", &shifted, &minus, &b.r_minus)?;
        }
    }

    /// Identity 4: min(i1, i2) ≤ r ≤ max(i1, i2); one unique term ≤ 0, the other ≥ 0.
    #[test]
    fn redundancy_lies_between_the_two_pmis(rows in terms_strategy()) {
        for (_, device) in devices() {
            let h = host(&rows, &device);
            for (k, row) in rows.iter().enumerate() {
                let tol = tolerance(row) as f32;
                prop_assert!(h.r[k] >= h.i1[k].min(h.i2[k]) - tol, "r[{k}] below min");
                prop_assert!(h.r[k] <= h.i1[k].max(h.i2[k]) + tol, "r[{k}] above max");
                prop_assert!(h.u1[k].min(h.u2[k]) <= tol && h.u1[k].max(h.u2[k]) >= -tol);
            }
        }
    }

    /// Identity 5: h(x1) ≤ h(x2) and h(x1|y) ≤ h(x2|y) ⇒ r = i(x1;y), u1 = 0.
    #[test]
    fn dominant_modality_gives_its_pmi_as_redundancy(rows in terms_strategy()) {
        // Order each sample so that modality 1 has the smaller h and h(x|y)
        // (ties included). Where f32 rounding flips a near-tie, r moves by a
        // rounding error only, which the tolerance covers.
        let ordered: Vec<[f64; 5]> = rows
            .iter()
            .map(|&[a, b, i1, i2, i12]| {
                let (h1, h2) = (a.min(b), a.max(b));
                let (c1, c2) = ((h1 - i1).min(h2 - i2), (h1 - i1).max(h2 - i2));
                let f = |v: f64| f64::from(v as f32);
                [h1, h2, f(h1 - c1), f(h2 - c2), i12]
            })
            .collect();
        for (_, device) in devices() {
            let h = host(&ordered, &device);
            assert_close("r = i1", &ordered, &h.r, &h.i1)?;
            assert_close("u1 = 0", &ordered, &h.u1, &vec![0.0; h.len()])?;
        }
    }

    /// The adjustment keeps identity 1 for every sample, follows the rule, and
    /// leaves the raw values as they were.
    #[test]
    fn adjustment_keeps_identities_and_follows_the_rule(rows in terms_strategy()) {
        for (_, device) in devices() {
            let raw = decompose(&rows, &device);
            let raw_before = raw.to_host().unwrap();
            let adjusted = raw.adjust().unwrap();
            let a = adjusted.shift;
            let h = adjusted.interactions.to_host().unwrap();
            assert_close_at("adjusted r+u1", &rows, a, &sum(&[&h.r, &h.u1]), &h.i1)?;
            assert_close_at("adjusted r+u2", &rows, a, &sum(&[&h.r, &h.u2]), &h.i2)?;
            assert_close_at("adjusted sum", &rows, a, &sum(&[&h.r, &h.u1, &h.u2, &h.s]), &h.i12)?;

            // The rule, written out independently of the crate (in common.rs).
            let m = raw.summary().unwrap();
            let expected = reference_shift(m.r, m.u1, m.u2, m.s);
            prop_assert_eq!(a, expected);
            // Every sample moves by exactly the shift: r + a, u − a, s + a.
            let moved = |v: &[f32], sign: f32| v.iter().map(|x| x + sign * a as f32).collect::<Vec<_>>();
            assert_close_at("r + a", &rows, a, &h.r, &moved(&raw_before.r, 1.0))?;
            assert_close_at("u1 − a", &rows, a, &h.u1, &moved(&raw_before.u1, -1.0))?;
            assert_close_at("u2 − a", &rows, a, &h.u2, &moved(&raw_before.u2, -1.0))?;
            assert_close_at("s + a", &rows, a, &h.s, &moved(&raw_before.s, 1.0))?;
            // The shift moves the offending mean(s) to exactly 0.
            let after = adjusted.interactions.summary().unwrap();
            let scale = rows.iter().map(tolerance).fold(tolerance(&[a; 5]), f64::max);
            if m.r < 0.0 || m.s < 0.0 {
                prop_assert!(after.r.min(after.s).abs() <= scale, "min(R, S) → 0: {after:?}");
            } else if expected != 0.0 {
                prop_assert!(after.u1.min(after.u2).abs() <= scale, "min(U1, U2) → 0: {after:?}");
            }
            // The raw values are untouched by adjust().
            prop_assert_eq!(&raw.to_host().unwrap(), &raw_before, "raw values changed");
        }
    }

    /// The empirical prior sums to 1 and matches label frequencies.
    #[test]
    fn empirical_prior_sums_to_one(labels in prop::collection::vec(0i64..5, 1..200)) {
        let prior = LabelPrior::Empirical.resolve(&labels, 5).unwrap();
        let total: f64 = prior.probs().iter().sum();
        prop_assert!((total - 1.0).abs() < 1e-12);
        for (class, p) in prior.probs().iter().enumerate() {
            let count = labels.iter().filter(|&&l| l == class as i64).count();
            prop_assert!((p - count as f64 / labels.len() as f64).abs() < 1e-15);
        }
    }

    /// i(x;y) does not change when a constant is added to a row of logits.
    #[test]
    fn pmi_is_invariant_to_row_offsets(
        rows in prop::collection::vec((prop::array::uniform3(-20.0f32..20.0), 0i64..3, -50.0f32..50.0), 1..30)
    ) {
        let n = rows.len();
        let logits: Vec<f32> = rows.iter().flat_map(|(l, _, _)| *l).collect();
        let moved: Vec<f32> = rows.iter().flat_map(|(l, _, c)| l.map(|v| v + c)).collect();
        let ys: Vec<i64> = rows.iter().map(|(_, y, _)| *y).collect();
        let pmi = LogitPmi::new(LabelPrior::Uniform.resolve(&ys, 3).unwrap());
        for (_, device) in devices() {
            let a = pmi.pointwise_mi(matrix(&logits, n, 3, &device), labels(&ys, &device)).unwrap();
            let b = pmi.pointwise_mi(matrix(&moved, n, 3, &device), labels(&ys, &device)).unwrap();
            let tol = 1e-4f32;
            for (k, (x, y)) in read(&a).iter().zip(read(&b)).enumerate() {
                prop_assert!((x - y).abs() <= tol, "pmi[{k}]: {x} vs {y}");
            }
        }
    }
}

#[test]
fn pmi_stays_finite_for_huge_logits() {
    for (backend, device) in devices() {
        let pmi = LogitPmi::new(LabelPrior::Uniform.resolve(&[0, 1], 2).unwrap());
        let logits = matrix(&[1e4, -1e4, 1e4, -1e4], 2, 2, &device);
        let values = read(&pmi.pointwise_mi(logits, labels(&[0, 1], &device)).unwrap());
        // Label 0 is certain: ln 1 + ln 2. Label 1 has ln p = −2e4, still finite.
        assert!(
            (values[0] - std::f32::consts::LN_2).abs() < 1e-6,
            "{backend}: {values:?}"
        );
        assert!(
            values[1].is_finite() && (values[1] + 2e4).abs() < 1.0,
            "{backend}: {values:?}"
        );
    }
}

#[test]
fn pmi_uses_the_prior_not_ln_c() {
    for (_, device) in devices() {
        // An uninformative classifier (equal logits) gives i = ln p(y|x) − ln p(y)
        // = ln(1/2) − ln p(y): with prior (0.75, 0.25) that is ln(2/3) and ln 2.
        let prior = LabelPrior::Given(vec![0.75, 0.25])
            .resolve(&[0, 1], 2)
            .unwrap();
        let pmi = LogitPmi::new(prior);
        let values = read(
            &pmi.pointwise_mi(matrix(&[0.0; 4], 2, 2, &device), labels(&[0, 1], &device))
                .unwrap(),
        );
        assert!((values[0] - (2.0f32 / 3.0).ln()).abs() < 1e-6);
        assert!((values[1] - std::f32::consts::LN_2).abs() < 1e-6);
    }
}
