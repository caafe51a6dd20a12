//! Property tests for the identities of DESIGN.md §2, the adjustment and the
//! label prior, on every CPU backend of the build.

use lsmi::burn::tensor::Device;
use lsmi::{
    Decomposer, HostInteractions, Interactions, LabelPrior, LogitPmi, Lsmi, Pmi, PointwiseTerms,
};
use proptest::prelude::*;

use crate::common::{devices, labels, matrix, read};

/// f32 rounding on values of magnitude ≤ 20, after a handful of operations.
const TOL: f32 = 1e-4;

/// `n` samples of `(h1, h2, i1, i2, i12)`, each finite and in a realistic range.
fn terms_strategy() -> impl Strategy<Value = Vec<[f64; 5]>> {
    prop::collection::vec(prop::array::uniform5(-10.0f64..10.0), 1..40)
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

fn assert_close(what: &str, a: &[f32], b: &[f32]) -> Result<(), TestCaseError> {
    for (k, (x, y)) in a.iter().zip(b).enumerate() {
        prop_assert!((x - y).abs() <= TOL, "{what}[{k}]: {x} vs {y}");
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

    /// Identity 1: r + u1 = i1, r + u2 = i2, r + u1 + u2 + s = i12.
    #[test]
    fn parts_add_up_to_the_pmi(rows in terms_strategy()) {
        for (backend, device) in devices() {
            let h = host(&rows, &device);
            assert_close(&format!("{backend} r+u1"), &sum(&[&h.r, &h.u1]), &h.i1)?;
            assert_close(&format!("{backend} r+u2"), &sum(&[&h.r, &h.u2]), &h.i2)?;
            assert_close(&format!("{backend} r+u1+u2+s"), &sum(&[&h.r, &h.u1, &h.u2, &h.s]), &h.i12)?;
        }
    }

    /// Identity 2: swapping modalities swaps u1 ↔ u2 and keeps r, s, r⁺, r⁻.
    #[test]
    fn swapping_modalities_swaps_uniqueness(rows in terms_strategy()) {
        for (_, device) in devices() {
            let forward = decompose(&rows, &device);
            let swapped = Lsmi.decompose(forward.terms.swapped()).unwrap();
            let (a, b) = (forward.to_host().unwrap(), swapped.to_host().unwrap());
            assert_close("u1 ↔ u2", &a.u1, &b.u2)?;
            assert_close("u2 ↔ u1", &a.u2, &b.u1)?;
            assert_close("r", &a.r, &b.r)?;
            assert_close("s", &a.s, &b.s)?;
            assert_close("r_plus", &a.r_plus, &b.r_plus)?;
            assert_close("r_minus", &a.r_minus, &b.r_minus)?;
        }
    }

    /// Identity 3: a common constant added to h(x1) and h(x2) shifts r⁺ and r⁻
    /// by that constant and leaves r, u1, u2, s unchanged.
    #[test]
    fn common_entropy_offset_cancels(rows in terms_strategy(), offset in -5.0f64..5.0) {
        let shifted: Vec<[f64; 5]> = rows
            .iter()
            .map(|&[h1, h2, i1, i2, i12]| [h1 + offset, h2 + offset, i1, i2, i12])
            .collect();
        for (_, device) in devices() {
            let (a, b) = (host(&rows, &device), host(&shifted, &device));
            assert_close("r", &a.r, &b.r)?;
            assert_close("u1", &a.u1, &b.u1)?;
            assert_close("u2", &a.u2, &b.u2)?;
            assert_close("s", &a.s, &b.s)?;
            let plus: Vec<f32> = a.r_plus.iter().map(|v| v + offset as f32).collect();
            let minus: Vec<f32> = a.r_minus.iter().map(|v| v + offset as f32).collect();
            assert_close("r_plus", &plus, &b.r_plus)?;
            assert_close("r_minus", &minus, &b.r_minus)?;
        }
    }

    /// Identity 4: min(i1, i2) ≤ r ≤ max(i1, i2); one unique term ≤ 0, the other ≥ 0.
    #[test]
    fn redundancy_lies_between_the_two_pmis(rows in terms_strategy()) {
        for (_, device) in devices() {
            let h = host(&rows, &device);
            for k in 0..h.len() {
                prop_assert!(h.r[k] >= h.i1[k].min(h.i2[k]) - TOL, "r[{k}] below min");
                prop_assert!(h.r[k] <= h.i1[k].max(h.i2[k]) + TOL, "r[{k}] above max");
                prop_assert!(h.u1[k].min(h.u2[k]) <= TOL && h.u1[k].max(h.u2[k]) >= -TOL);
            }
        }
    }

    /// Identity 5: h(x1) ≤ h(x2) and h(x1|y) ≤ h(x2|y) ⇒ r = i(x1;y), u1 = 0.
    #[test]
    fn dominant_modality_gives_its_pmi_as_redundancy(rows in terms_strategy()) {
        // Order each sample so that modality 1 has the smaller h and h(x|y).
        let ordered: Vec<[f64; 5]> = rows
            .iter()
            .map(|&[a, b, i1, i2, i12]| {
                let (h1, h2) = (a.min(b), a.max(b));
                let (c1, c2) = ((h1 - i1).min(h2 - i2), (h1 - i1).max(h2 - i2));
                [h1, h2, h1 - c1, h2 - c2, i12]
            })
            .collect();
        for (_, device) in devices() {
            let h = host(&ordered, &device);
            assert_close("r = i1", &h.r, &h.i1)?;
            assert_close("u1 = 0", &h.u1, &vec![0.0; h.len()])?;
        }
    }

    /// The adjustment keeps identity 1 for every sample and follows the rule.
    #[test]
    fn adjustment_keeps_identities_and_follows_the_rule(rows in terms_strategy()) {
        for (_, device) in devices() {
            let raw = decompose(&rows, &device);
            let adjusted = raw.adjust().unwrap();
            let h = adjusted.interactions.to_host().unwrap();
            assert_close("adjusted r+u1", &sum(&[&h.r, &h.u1]), &h.i1)?;
            assert_close("adjusted r+u2", &sum(&[&h.r, &h.u2]), &h.i2)?;
            assert_close("adjusted sum", &sum(&[&h.r, &h.u1, &h.u2, &h.s]), &h.i12)?;

            // The rule, written out independently of the crate.
            let m = raw.summary().unwrap();
            let expected = if m.r < 0.0 || m.s < 0.0 {
                -m.r.min(m.s)
            } else if m.u1 < 0.0 || m.u2 < 0.0 {
                m.u1.min(m.u2)
            } else {
                0.0
            };
            prop_assert_eq!(adjusted.shift, expected);
            // The shift moves the offending mean(s) to exactly 0.
            let after = adjusted.interactions.summary().unwrap();
            if m.r < 0.0 || m.s < 0.0 {
                prop_assert!(after.r.min(after.s).abs() < 1e-4, "min(R, S) → 0: {after:?}");
            } else if expected != 0.0 {
                prop_assert!(after.u1.min(after.u2).abs() < 1e-4, "min(U1, U2) → 0: {after:?}");
            }
            // Raw values are untouched.
            assert_close("raw r kept", &read(&raw.r), &raw.to_host().unwrap().r)?;
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
            assert_close("pmi", &read(&a), &read(&b))?;
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
