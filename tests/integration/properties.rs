//! Property tests for the decomposition's definitions and identities, the
//! adjustment and the label prior, on every backend of the build. The identity
//! checks run through `lsmi::testing`, the kit users get with the `testing`
//! feature; the definitions are checked against values computed here.

use lsmi::burn::tensor::Device;
use lsmi::testing::{self, Identity};
use lsmi::{Decomposer, Interactions, LabelPrior, LogitPmi, Lsmi, Pmi, PointwiseTerms};
use proptest::prelude::*;

use crate::common::{definitions, devices, labels, matrix, read};

/// The samples of `terms` as rows `[h1, h2, i1, i2, i12]`.
fn rows(terms: &PointwiseTerms<Vec<f64>>) -> Vec<[f64; 5]> {
    (0..terms.len())
        .map(|k| terms.row(k).unwrap().values())
        .collect()
}

fn decompose(terms: &PointwiseTerms<Vec<f64>>, device: &Device) -> Interactions {
    Lsmi.decompose(terms.to_device(device).unwrap()).unwrap()
}

fn host(terms: &PointwiseTerms<Vec<f64>>, device: &Device) -> Interactions<Vec<f64>> {
    decompose(terms, device).to_host().unwrap()
}

/// Column `column` of the LSMI definitions (`r⁺, r⁻, r, u1, u2, s`), computed
/// here in f64, against the device's values, per sample within the kit's f32
/// tolerance of that sample.
fn assert_definition(
    what: &str,
    terms: &PointwiseTerms<Vec<f64>>,
    column: usize,
    found: &[f64],
) -> Result<(), TestCaseError> {
    let rows = rows(terms);
    prop_assert_eq!(found.len(), rows.len(), "{}: length", what);
    for (k, (row, value)) in rows.iter().zip(found).enumerate() {
        let want = definitions(*row)[column];
        let miss = (value - want).abs();
        let tol = testing::tolerance(row);
        prop_assert!(miss <= tol, "{what}[{k}]: {value} vs {want} for {row:?}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// `r⁺ = min(h1, h2)` per sample: fails if that `min` becomes a `max`.
    #[test]
    fn r_plus_is_the_smaller_surprisal(terms in testing::terms()) {
        for (backend, device) in devices() {
            let h = host(&terms, &device);
            assert_definition(&format!("{backend} r_plus"), &terms, 0, h.r_plus())?;
        }
    }

    /// `r⁻ = min(h1 − i1, h2 − i2)` per sample: fails if that `min` becomes a `max`.
    #[test]
    fn r_minus_is_the_smaller_conditional_surprisal(terms in testing::terms()) {
        for (backend, device) in devices() {
            let h = host(&terms, &device);
            assert_definition(&format!("{backend} r_minus"), &terms, 1, h.r_minus())?;
        }
    }

    /// `r, u1, u2, s` per sample against the definitions.
    #[test]
    fn interactions_follow_the_definitions(terms in testing::terms()) {
        for (backend, device) in devices() {
            let h = host(&terms, &device);
            for (k, (name, column)) in [("r", &h.r()), ("u1", &h.u1()), ("u2", &h.u2()), ("s", &h.s())]
                .into_iter()
                .enumerate()
            {
                assert_definition(&format!("{backend} {name}"), &terms, k + 2, column)?;
            }
        }
    }

    /// Identities 1–5 and the adjustment, through the kit.
    #[test]
    fn lsmi_keeps_every_identity(terms in testing::terms()) {
        for (backend, device) in devices() {
            let report = testing::check_decomposer(&Lsmi, &terms, &device).unwrap();
            prop_assert_eq!(report.checked(), &Identity::DECOMPOSITION[..]);
            prop_assert!(report.all_hold(), "{}:\n{}", backend, report);
        }
    }

    /// The same on the exact terms of random discrete distributions.
    #[test]
    fn lsmi_keeps_every_identity_on_exact_discrete_terms(pmf in testing::joint_pmf()) {
        let terms = pmf.decompose().interactions().terms().clone();
        for (backend, device) in devices() {
            let report = testing::check_decomposer(&Lsmi, &terms, &device).unwrap();
            prop_assert!(report.all_hold(), "{}:\n{}", backend, report);
        }
    }

    /// The same on exact terms of random Gaussian families.
    #[test]
    fn lsmi_keeps_every_identity_on_gaussian_family_terms(
        family in testing::gaussian_family(),
        seed in any::<u64>(),
    ) {
        let sample = family.sample(50, seed).unwrap();
        for (backend, device) in devices() {
            let report = testing::check_decomposer(&Lsmi, sample.exact.terms(), &device).unwrap();
            prop_assert!(report.all_hold(), "{} {:?}:\n{}", backend, family, report);
        }
    }

    /// `adjust()` returns a shifted copy; the raw interactions keep their values.
    #[test]
    fn adjust_leaves_the_raw_values_untouched(terms in testing::terms()) {
        for (_, device) in devices() {
            let raw = decompose(&terms, &device);
            let before = raw.to_host().unwrap();
            let _adjusted = raw.adjust().unwrap();
            prop_assert_eq!(&raw.to_host().unwrap(), &before, "raw values changed");
        }
    }

    /// i(x;y) does not change when a constant is added to a row of logits.
    #[test]
    fn pmi_is_invariant_to_row_offsets((logits, ys, offsets) in testing::logits(3)) {
        let pmi = LogitPmi::new(LabelPrior::Uniform.resolve(&ys, 3).unwrap());
        for (backend, device) in devices() {
            let report = testing::check_pmi(&pmi, &logits, 3, &ys, &offsets, &device).unwrap();
            prop_assert!(report.holds(Identity::PmiRowOffset), "{}:\n{}", backend, report);
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

/// LSMI with a planted error: `r⁻` takes the larger `h(x|y)` (a `max` for the
/// `min`).
struct MaxForMin;

impl Decomposer for MaxForMin {
    fn decompose(&self, terms: PointwiseTerms) -> lsmi::Result<Interactions> {
        let r_plus = terms.h1().clone().min_pair(terms.h2().clone());
        let given_y1 = terms.h1().clone() - terms.i1().clone();
        let given_y2 = terms.h2().clone() - terms.i2().clone();
        Interactions::from_redundancy(terms, r_plus, given_y1.max_pair(given_y2))
    }
}

/// Pointwise minimum mutual information, `r = min(i1, i2)`.
struct Mmi;

impl Decomposer for Mmi {
    fn decompose(&self, terms: PointwiseTerms) -> lsmi::Result<Interactions> {
        let r = terms.i1().clone().min_pair(terms.i2().clone());
        let zeros = r.zeros_like();
        Interactions::from_redundancy(terms, r, zeros)
    }
}

#[test]
fn the_kit_names_the_identity_the_sample_and_the_miss() {
    // Sample 0: r⁺ = min(1, 1.5) = 1, r⁻ = min(0.7, 1.3) = 0.7, so LSMI's r = 0.3
    // and u2 = 0.2 − 0.3 = −0.1; sample 1 has u2 = 0.
    let terms = PointwiseTerms::from_columns(
        vec![1.0, 2.0],
        vec![1.5, 1.0],
        vec![0.3, 0.1],
        vec![0.2, 0.4],
        vec![0.9, 0.5],
    )
    .unwrap();
    for (backend, device) in devices() {
        let report = testing::check_decomposer(&MaxForMin, &terms, &device).unwrap();
        // Built through `from_redundancy`, identity 1 holds whatever r is.
        assert!(report.holds(Identity::PartsAddUp), "{backend}:\n{report}");
        // With the max, sample 0 has r = 1 − max(0.7, 1.3) = −0.3, below
        // min(i1, i2) = 0.2 by 0.5; sample 1 has r = 1 − 1.9 = −0.9.
        let v = report.first(Identity::Bounds).expect("identity 4 broken");
        assert_eq!(
            (v.sample, v.quantity),
            (0, "min(i1, i2) − r"),
            "{backend}: {v}"
        );
        assert!((v.found - 0.5).abs() < 1e-6, "{backend}: {v}");
        assert!((v.miss() - 0.5).abs() < 1e-6, "{backend}: {v}");
        let samples: Vec<usize> = report
            .violations()
            .iter()
            .filter(|v| v.identity == Identity::Bounds)
            .map(|v| v.sample)
            .collect();
        assert_eq!(samples, vec![0, 1], "{backend}:\n{report}");

        // MMI keeps identities 1–4 and the adjustment but not identity 5: with
        // modality 1 dominant on sample 0, r = min(0.3, 0.2) = 0.2, not i1 = 0.3.
        let report = testing::check_decomposer(&Mmi, &terms, &device).unwrap();
        assert_eq!(
            report.broken(),
            vec![Identity::Dominance],
            "{backend}:\n{report}"
        );
        let v = report.first(Identity::Dominance).unwrap();
        assert_eq!((v.sample, v.quantity), (0, "r"), "{backend}: {v}");
        assert!(
            (v.found - 0.2).abs() < 1e-6 && (v.expected - 0.3).abs() < 1e-6,
            "{backend}: {v}"
        );
    }
}
