//! Every kind of bad input gets a typed error whose message names the value.

use lsmi::{ClassPrior, LabelPrior, LogitPmi, LsmiError, Pmi, PointwiseTerms};

use crate::common::{devices, labels, matrix, vector};

fn message_has(err: &LsmiError, needles: &[&str]) {
    let text = err.to_string();
    for needle in needles {
        assert!(text.contains(needle), "`{text}` should mention `{needle}`");
    }
}

fn uniform_pmi(classes: usize) -> LogitPmi {
    LogitPmi::new(LabelPrior::Uniform.resolve(&[0], classes).unwrap())
}

#[test]
fn mismatched_term_lengths_are_rejected() {
    for (_, device) in devices() {
        let err = PointwiseTerms::new(
            vector(&[1.0, 2.0], &device),
            vector(&[1.0, 2.0], &device),
            vector(&[1.0, 2.0, 3.0], &device),
            vector(&[1.0, 2.0], &device),
            vector(&[1.0, 2.0], &device),
        )
        .unwrap_err();
        assert!(matches!(
            err,
            LsmiError::LengthMismatch {
                what: "i1",
                expected: 2,
                found: 3,
                ..
            }
        ));
        message_has(&err, &["i1", "3", "2"]);
    }
}

#[test]
fn mismatched_logits_and_labels_are_rejected() {
    for (_, device) in devices() {
        let err = uniform_pmi(2)
            .pointwise_mi(matrix(&[0.0; 6], 3, 2, &device), labels(&[0, 1], &device))
            .unwrap_err();
        message_has(&err, &["logits", "3", "labels", "2"]);
    }
}

#[test]
fn logits_with_the_wrong_number_of_classes_are_rejected() {
    for (_, device) in devices() {
        let err = uniform_pmi(3)
            .pointwise_mi(matrix(&[0.0; 4], 2, 2, &device), labels(&[0, 1], &device))
            .unwrap_err();
        assert!(matches!(
            err,
            LsmiError::WidthMismatch {
                expected: 3,
                found: 2,
                ..
            }
        ));
        message_has(&err, &["logits", "2 classes", "3"]);
    }
}

#[test]
fn label_out_of_range_is_named() {
    for (_, device) in devices() {
        let err = uniform_pmi(4)
            .pointwise_mi(matrix(&[0.0; 8], 2, 4, &device), labels(&[0, 9], &device))
            .unwrap_err();
        assert_eq!(
            err,
            LsmiError::LabelOutOfRange {
                what: "labels",
                index: 1,
                label: 9,
                num_classes: 4
            }
        );
        message_has(&err, &["labels[1] = 9", "4 classes"]);
    }
    let negative = LabelPrior::Empirical.resolve(&[0, -1], 2).unwrap_err();
    message_has(&negative, &["labels[1] = -1"]);
}

#[test]
fn fewer_than_two_classes_is_rejected() {
    let err = LabelPrior::Uniform.resolve(&[0, 0], 1).unwrap_err();
    assert_eq!(err, LsmiError::TooFewClasses { num_classes: 1 });
    message_has(&err, &["1"]);
}

#[test]
fn empty_input_is_rejected() {
    for (_, device) in devices() {
        let err = PointwiseTerms::from_slices(&[], &[], &[], &[], &[], &device).unwrap_err();
        assert!(matches!(err, LsmiError::Empty { what: "h1", .. }));
        let err = uniform_pmi(2)
            .pointwise_mi(matrix(&[], 0, 2, &device), labels(&[], &device))
            .unwrap_err();
        message_has(&err, &["labels", "no samples"]);
    }
    let err = LabelPrior::Empirical.resolve(&[], 2).unwrap_err();
    message_has(&err, &["labels", "no samples"]);
}

#[test]
fn nan_and_inf_are_located() {
    for (_, device) in devices() {
        let nan = PointwiseTerms::from_slices(
            &[1.0, 1.0],
            &[1.0, 1.0],
            &[0.0, 0.0],
            &[0.0, f64::NAN],
            &[0.0, 0.0],
            &device,
        )
        .unwrap_err();
        message_has(&nan, &["i2[1]", "NaN"]);
        let inf = PointwiseTerms::new(
            vector(&[1.0, f32::INFINITY], &device),
            vector(&[1.0, 1.0], &device),
            vector(&[1.0, 1.0], &device),
            vector(&[1.0, 1.0], &device),
            vector(&[1.0, 1.0], &device),
        )
        .unwrap_err();
        message_has(&inf, &["h1[1]", "inf"]);
        let logits = uniform_pmi(2)
            .pointwise_mi(
                matrix(&[0.0, 0.0, f32::NEG_INFINITY, 0.0], 2, 2, &device),
                labels(&[0, 1], &device),
            )
            .unwrap_err();
        message_has(&logits, &["logits[1, 0]", "-inf"]);
    }
}

#[test]
fn invalid_priors_are_rejected() {
    let negative = ClassPrior::new(vec![1.2, -0.2]).unwrap_err();
    assert_eq!(
        negative,
        LsmiError::PriorNotProbability {
            class: 1,
            value: -0.2
        }
    );
    message_has(&negative, &["y = 1", "-0.2"]);
    let sum = ClassPrior::new(vec![0.5, 0.4]).unwrap_err();
    message_has(&sum, &["0.9", "not 1"]);
    assert!(
        ClassPrior::new(vec![0.5, 0.5 + 5e-7]).is_ok(),
        "1e-6 tolerance"
    );
    let wrong_len = LabelPrior::Given(vec![0.5, 0.5])
        .resolve(&[0], 3)
        .unwrap_err();
    message_has(&wrong_len, &["prior", "2 classes", "3"]);
}

#[test]
fn a_label_with_zero_prior_is_rejected() {
    for (_, device) in devices() {
        let pmi = LogitPmi::new(ClassPrior::new(vec![1.0, 0.0]).unwrap());
        let err = pmi
            .pointwise_mi(
                matrix(&[0.0; 6], 3, 2, &device),
                labels(&[0, 0, 1], &device),
            )
            .unwrap_err();
        assert_eq!(
            err,
            LsmiError::ZeroPriorClass {
                what: "labels",
                index: 2,
                class: 1
            }
        );
        message_has(&err, &["labels[2] = 1", "p(y = 1) = 0"]);
    }
}

#[test]
fn unknown_or_missing_backends_are_named() {
    let err = lsmi::device("cuda").unwrap_err();
    assert!(
        matches!(&err, LsmiError::DeviceUnavailable { name, .. } if name == "cuda"),
        "{err}"
    );
    message_has(&err, &["cuda", "unknown backend", "flex, ndarray, wgpu"]);
    for name in ["flex", "ndarray", "wgpu"] {
        let compiled = lsmi::backends().contains(&name);
        match lsmi::device(name) {
            Ok(_) => assert!(compiled, "{name} is not compiled in but came up"),
            Err(err) => {
                assert!(!compiled, "{name} is compiled in but failed: {err}");
                message_has(&err, &[name, "feature is not enabled"]);
            }
        }
    }
}
