//! The applications: candidate-label interactions (against exact per-label terms
//! and against the fitted decomposition), partitions, distillation weights and
//! the interaction-weighted ensemble.

use lsmi::burn::tensor::{Tensor, TensorData};
use lsmi::synthetic::{ClassMeans, GaussianFamily};
use lsmi::{
    CandidateInteractions, ClassPrior, Column, LsmiError, MAX_CANDIDATE_ENTRIES, Partition,
    PointwiseTerms, ensemble_log_probs, ensemble_weights, partition_per_class,
};

use crate::common::{cpu_devices, labels, matrix, quick, read, vector};

/// Rows `[n, C]` of a matrix tensor, on the host.
fn read_matrix(tensor: &Tensor<2>) -> Vec<Vec<f64>> {
    let [_, c] = tensor.dims();
    tensor
        .clone()
        .try_into_vec_as::<f32>()
        .unwrap()
        .chunks(c)
        .map(|row| row.iter().map(|&v| f64::from(v)).collect())
        .collect()
}

/// A three-class family with unequal class weights and correlated modalities.
fn family() -> GaussianFamily {
    GaussianFamily::new(3, 3, 0.8, 0.3, ClassMeans::OneHot).with_class_weights(vec![0.5, 0.3, 0.2])
}

#[test]
fn candidates_from_exact_posteriors_are_the_exact_per_label_decomposition() {
    let family = family();
    let sample = family.sample(40, 5).unwrap();
    let (n, c) = (sample.labels.len(), family.classes);
    let log_prior: Vec<f64> = family.class_prior().iter().map(|p| p.ln()).collect();
    // Exact terms of every row for every label y', computed in f64 by the oracle.
    let exact: Vec<Vec<PointwiseTerms<f64>>> = (0..n)
        .map(|j| {
            let x1: Vec<f64> = sample.x1.row(j).iter().map(|&v| f64::from(v)).collect();
            let x2: Vec<f64> = sample.x2.row(j).iter().map(|&v| f64::from(v)).collect();
            (0..c).map(|y| family.terms(&x1, &x2, y).unwrap()).collect()
        })
        .collect();
    // ln q(y'|x) = i(x;y') + ln p(y').
    let logits = |k: usize| -> Vec<f32> {
        let mut values = Vec::with_capacity(n * c);
        for row in &exact {
            for (y, lp) in log_prior.iter().enumerate() {
                values.push((row[y].values()[2 + k] + lp) as f32);
            }
        }
        values
    };
    let h = |k: usize| -> Vec<f32> { exact.iter().map(|row| row[0].values()[k] as f32).collect() };
    let prior = ClassPrior::new(family.class_prior()).unwrap();
    for (name, device) in cpu_devices() {
        let candidates = CandidateInteractions::from_logits(
            vector(&h(0), &device),
            vector(&h(1), &device),
            matrix(&logits(0), n, c, &device),
            matrix(&logits(1), n, c, &device),
            matrix(&logits(2), n, c, &device),
            &prior,
        )
        .unwrap();
        assert_eq!((candidates.len(), candidates.num_classes()), (n, c));
        let posterior = read_matrix(&candidates.posterior());
        let expected = candidates.expected().to_host().unwrap();
        for column in Column::ALL {
            let got = read_matrix(candidates.candidates().column(column));
            for j in 0..n {
                let mut mean = 0.0;
                for y in 0..c {
                    let want = *exact[j][y].decompose().column(column);
                    assert!(
                        (got[j][y] - want).abs() < 2e-4 * (1.0 + want.abs()),
                        "{name}: {column}[{j}, {y}] = {} but exactly {want}",
                        got[j][y]
                    );
                    // Weighted by the exact posterior p(y'|x1,x2).
                    mean += (exact[j][y].values()[4] + log_prior[y]).exp() * want;
                }
                let found = expected.column(column)[j];
                assert!(
                    (found - mean).abs() < 2e-4 * (1.0 + mean.abs()),
                    "{name}: expected {column}[{j}] = {found} but Σ p m = {mean}"
                );
            }
        }
        for (j, row) in posterior.iter().enumerate() {
            let sum: f64 = row.iter().sum();
            assert!(
                (sum - 1.0).abs() < 1e-5,
                "{name}: posterior row {j} sums to {sum}"
            );
            // The posterior is the exact p(y'|x1,x2).
            for y in 0..c {
                let exact_p = (exact[j][y].values()[4] + log_prior[y]).exp();
                assert!((row[y] - exact_p).abs() < 1e-5, "{name}: p({y}|x{j})");
            }
        }
        // Identities hold for the expectations, and E i12 = KL(posterior ‖ prior) ≥ 0.
        for row in expected.rows() {
            assert!((row.r() + row.u1() - row.terms().i1()).abs() < 1e-5);
            assert!((row.r() + row.u2() - row.terms().i2()).abs() < 1e-5);
            let total = row.r() + row.u1() + row.u2() + row.s();
            assert!((total - row.terms().i12()).abs() < 1e-5);
            assert!(*row.terms().i12() > -1e-5, "E i12 = {}", row.terms().i12());
        }
        // The shift at the true labels is the exact labelled decomposition minus
        // the exact posterior expectation.
        let shift = candidates
            .shift_at_labels(labels(&sample.labels, &device))
            .unwrap()
            .to_host()
            .unwrap();
        for (j, &y) in sample.labels.iter().enumerate() {
            for column in Column::ALL {
                let mean: f64 = (0..c)
                    .map(|k| {
                        (exact[j][k].values()[4] + log_prior[k]).exp()
                            * exact[j][k].decompose().column(column)
                    })
                    .sum();
                let want = exact[j][y as usize].decompose().column(column) - mean;
                let found = shift.column(column)[j];
                assert!(
                    (found - want).abs() < 4e-4 * (1.0 + want.abs()),
                    "{name}: shift of {column}[{j}] = {found} but exactly {want}"
                );
            }
        }
        // Shifts at labels average to zero under the posterior.
        let mut weighted = vec![[0.0f64; 11]; n];
        for y in 0..c as i64 {
            let shift = candidates
                .shift_at_labels(labels(&vec![y; n], &device))
                .unwrap()
                .to_host()
                .unwrap();
            for (j, row) in shift.rows().enumerate() {
                for (acc, value) in weighted[j].iter_mut().zip(row.values()) {
                    *acc += posterior[j][y as usize] * value;
                }
            }
        }
        for (j, row) in weighted.iter().enumerate() {
            for (column, value) in Column::ALL.iter().zip(row) {
                assert!(
                    value.abs() < 1e-4,
                    "{name}: Σ p shift of {column}[{j}] = {value}"
                );
            }
        }
    }
}

#[test]
fn fitted_candidates_at_the_true_labels_are_the_fitted_decomposition() {
    let family = family();
    let sample = family.sample(240, 9).unwrap();
    let n = sample.labels.len();
    for (name, device) in cpu_devices() {
        // Centred: the candidates are centred as the interactions are.
        for config in [
            quick(3),
            quick(3).with_in_sample(true),
            quick(3).with_centered(true),
        ] {
            let (x1, x2) = (sample.x1.tensor(&device), sample.x2.tensor(&device));
            let y = labels(&sample.labels, &device);
            let fitted = config.fit(x1.clone(), x2.clone(), y.clone()).unwrap();
            let candidates = fitted.candidates(x1.clone(), x2.clone()).unwrap();
            let at = candidates.at_labels(y.clone()).unwrap().to_host().unwrap();
            let want = fitted.interactions().to_host().unwrap();
            for column in Column::ALL {
                for (j, (a, b)) in at
                    .column(column)
                    .iter()
                    .zip(want.column(column))
                    .enumerate()
                {
                    assert!(
                        (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
                        "{name}: {column}[{j}] = {a} from the candidates, {b} fitted"
                    );
                }
            }
            let sums: Vec<f32> = read(&candidates.posterior().sum_dim(1).reshape([n]));
            assert!(
                sums.iter().all(|s| (s - 1.0).abs() < 1e-5),
                "{name}: {sums:?}"
            );

            // Other rows than the fitted ones are refused.
            let reversed = |x: &Tensor<2>| x.clone().flip([0]);
            let err = fitted.candidates(reversed(&x1), reversed(&x2)).unwrap_err();
            assert!(
                matches!(err, LsmiError::NotFittedRows { what: "h1", .. }),
                "{err}"
            );
            let err = fitted
                .candidates(
                    x1.clone().narrow(0, 0, n - 1),
                    x2.clone().narrow(0, 0, n - 1),
                )
                .unwrap_err();
            assert!(matches!(err, LsmiError::LengthMismatch { .. }), "{err}");
            // New rows go through the fold mixture, like transform.
            let new = fitted.models().candidates(x1.clone(), x2.clone()).unwrap();
            let labelled = fitted.transform(x1.clone(), x2.clone(), y.clone()).unwrap();
            let a = new.at_labels(y.clone()).unwrap().to_host().unwrap();
            let b = labelled.to_host().unwrap();
            for column in Column::ALL {
                for (p, q) in a.column(column).iter().zip(b.column(column)) {
                    assert!((p - q).abs() <= 1e-4 * (1.0 + q.abs()), "{name}: {column}");
                }
            }
        }
    }
}

#[test]
fn candidate_inputs_are_checked() {
    let device = &cpu_devices()[0].1;
    let prior = ClassPrior::new(vec![0.5, 0.5]).unwrap();
    let h = || vector(&[1.0, 2.0], device);
    let logits = || matrix(&[0.0, 1.0, 2.0, 0.5], 2, 2, device);
    let refused = |logits1, logits2, prior: &ClassPrior| {
        CandidateInteractions::from_logits(h(), h(), logits1, logits2, logits(), prior).unwrap_err()
    };
    let err = refused(matrix(&[0.0; 6], 2, 3, device), logits(), &prior);
    assert!(
        matches!(
            err,
            LsmiError::WidthMismatch {
                what: "logits1",
                ..
            }
        ),
        "{err}"
    );
    let zero = ClassPrior::new(vec![1.0, 0.0]).unwrap();
    let err = refused(logits(), logits(), &zero);
    assert!(
        matches!(err, LsmiError::ZeroPriorClass { class: 1, .. }),
        "{err}"
    );
    let nan = matrix(&[0.0, f32::NAN, 0.0, 0.0], 2, 2, device);
    let err = refused(logits(), nan, &prior);
    assert!(
        matches!(
            err,
            LsmiError::NonFinite {
                what: "logits2",
                ..
            }
        ),
        "{err}"
    );
    // n · C above the cap: refused before any value is read.
    let classes = 1 << 20;
    let rows = MAX_CANDIDATE_ENTRIES / classes + 1;
    let wide = ClassPrior::new(vec![1.0 / classes as f64; classes]).unwrap();
    let zeros = || Tensor::<2>::zeros([rows, classes], device);
    let hs = || Tensor::<1>::zeros([rows], device);
    let err = CandidateInteractions::from_logits(hs(), hs(), zeros(), zeros(), zeros(), &wide)
        .unwrap_err();
    assert!(matches!(err, LsmiError::TooLarge { .. }), "{err}");
    // Labels are checked.
    let candidates =
        CandidateInteractions::from_logits(h(), h(), logits(), logits(), logits(), &prior).unwrap();
    let err = candidates.at_labels(labels(&[0, 2], device)).unwrap_err();
    assert!(
        matches!(err, LsmiError::LabelOutOfRange { index: 1, .. }),
        "{err}"
    );
    let err = candidates.at_labels(labels(&[0], device)).unwrap_err();
    assert!(matches!(err, LsmiError::LengthMismatch { .. }), "{err}");
}

#[test]
fn partitions_have_the_documented_sizes_and_ties() {
    // 10 rows; sorted: 0,1,2,3,3,3,4,5,6,7.
    let values = [3.0, 0.0, 7.0, 3.0, 1.0, 5.0, 2.0, 3.0, 6.0, 4.0];
    let part = Partition::of(&values, 0.3).unwrap();
    // k = ⌈0.3 · 10⌉ = 3 (not 4 from 3.0000000000000004): threshold 2.
    assert_eq!(part.threshold(), 2.0);
    assert_eq!(part.low(), &[1, 4, 6]);
    assert_eq!(part.high(), &[0, 2, 3, 5, 7, 8, 9]);
    // k = 5 lands in a tie of three 3s: all of them go low.
    let part = Partition::of(&values, 0.5).unwrap();
    assert_eq!(part.threshold(), 3.0);
    assert_eq!(part.low(), &[0, 1, 3, 4, 6, 7]);
    assert_eq!(part.high().len(), 4);
    // k = ⌈0.05 · 10⌉ = 1 and ⌈0.99 · 10⌉ = 10.
    assert_eq!(Partition::of(&values, 0.05).unwrap().low(), &[1]);
    assert!(Partition::of(&values, 0.99).unwrap().high().is_empty());
    // All equal: everything is low.
    let flat = Partition::of(&[1.0; 4], 0.5).unwrap();
    assert_eq!((flat.low().len(), flat.high().len()), (4, 0));
    for q in [0.0, 1.0, -0.5, f64::NAN, f64::INFINITY] {
        let err = Partition::of(&values, q).unwrap_err();
        assert!(
            matches!(
                err,
                LsmiError::InvalidConfig {
                    field: "quantile",
                    ..
                }
            ),
            "{q}: {err}"
        );
    }
    assert!(matches!(
        Partition::of(&[], 0.5).unwrap_err(),
        LsmiError::Empty { .. }
    ));
    let err = Partition::of(&[1.0, f64::NAN], 0.5).unwrap_err();
    assert!(matches!(err, LsmiError::NonFinite { .. }), "{err}");

    // Per class: each class at its own median; indices of the whole set.
    let labels = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1];
    let parts = partition_per_class(&values, 0.5, &labels, 2).unwrap();
    assert_eq!(parts.len(), 2);
    // class 0: rows 0,2,4,6,8 = 3,7,1,2,6 → k = 3, threshold 3.
    assert_eq!((parts[0].class, parts[0].partition.threshold()), (0, 3.0));
    assert_eq!(parts[0].partition.low(), &[0, 4, 6]);
    assert_eq!(parts[0].partition.high(), &[2, 8]);
    // class 1: rows 1,3,5,7,9 = 0,3,5,3,4 → threshold 3, ties 3 and 7 both low.
    assert_eq!(parts[1].partition.low(), &[1, 3, 7]);
    let err = partition_per_class(&values, 0.5, &labels[..9], 2).unwrap_err();
    assert!(matches!(err, LsmiError::LengthMismatch { .. }), "{err}");
    let err = partition_per_class(&values, 0.5, &[2; 10], 2).unwrap_err();
    assert!(matches!(err, LsmiError::LabelOutOfRange { .. }), "{err}");

    // Through the interactions: by name.
    let terms = PointwiseTerms::from_columns(
        vec![1.0, 2.0, 1.0, 3.0],
        vec![2.0, 1.0, 2.0, 1.0],
        vec![0.1, 0.5, 0.9, -0.2],
        vec![0.3, 0.2, 0.1, 0.4],
        vec![1.0, 1.0, 1.0, 1.0],
    )
    .unwrap();
    let interactions = terms.decompose();
    let by_i1 = interactions.partition(Column::I1, 0.5).unwrap();
    assert_eq!((by_i1.low(), by_i1.high()), (&[0, 3][..], &[1, 2][..]));
}

#[test]
fn distillation_weights_are_positive_parts_with_mean_one() {
    // r = i of the modality with the smaller h and h(x|y) (identity 5) here.
    let terms = PointwiseTerms::from_columns(
        vec![1.0, 1.0, 1.0, 1.0],
        vec![2.0, 2.0, 2.0, 2.0],
        vec![0.4, -0.2, 0.1, 0.8],
        vec![0.1, 0.1, 0.1, 0.1],
        vec![1.0, 0.5, 0.1, 0.8],
    )
    .unwrap();
    let interactions = terms.decompose();
    let weights = interactions.distillation_weights().unwrap();
    for (column, w) in [
        (Column::R, &weights.redundancy),
        (Column::U1, &weights.unique1),
        (Column::U2, &weights.unique2),
        (Column::S, &weights.synergy),
    ] {
        let values = interactions.column(column);
        // Values within 1e-5 nats of 0 (rounding) count as 0.
        let kept = |v: f64| if v > 1e-5 { v } else { 0.0 };
        let positive: f64 = values.iter().map(|&v| kept(v)).sum();
        let sum: f64 = w.iter().sum();
        match positive > 0.0 {
            true => assert!((sum - 4.0).abs() < 1e-12, "{column}: weights sum to {sum}"),
            false => assert_eq!(sum, 0.0, "{column}: no positive value, no weight"),
        }
        for (value, weight) in values.iter().zip(w) {
            assert!(*weight >= 0.0);
            if kept(*value) == 0.0 {
                assert_eq!(*weight, 0.0, "{column}: {value} must get no weight");
            } else {
                assert!((weight - value * 4.0 / positive).abs() < 1e-12, "{column}");
            }
        }
    }
    // Here u1 = 0 everywhere (identity 5; up to rounding): that component is off.
    assert!(weights.unique1.iter().all(|w| *w == 0.0));
    assert!(weights.redundancy[1] == 0.0 && weights.redundancy[3] > weights.redundancy[0]);
}

#[test]
fn ensemble_weights_follow_the_information_each_model_adds() {
    let device = &cpu_devices()[0].1;
    // Row 0: modality 1 informative, row 1: modality 2; row 2: synergy.
    let terms = PointwiseTerms::from_slices(
        &[1.0, 1.0, 1.0],
        &[2.0, 2.0, 2.0],
        &[1.0, 0.0, 0.0],
        &[0.0, 1.0, 0.0],
        &[1.0, 1.0, 2.0],
        device,
    )
    .unwrap();
    let interactions = lsmi::Decomposer::decompose(&lsmi::Lsmi, terms).unwrap();
    let equal = ensemble_weights(&interactions, 0.0).unwrap();
    let weights = ensemble_weights(&interactions, 2.0).unwrap();
    let equal = read_matrix(&equal);
    let w = read_matrix(&weights);
    for (row, e) in w.iter().zip(&equal) {
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-6);
        assert!(e.iter().all(|v| (v - 1.0 / 3.0).abs() < 1e-6));
    }
    // By hand: row 0 has h1 < h2 and h1 − i1 < h2 − i2, so r = i1 = 1, u1 = 0,
    // u2 = −1 (modality 2 misinforms), s = 1; weights softmax(2 · (0, −1, 1)).
    let z = 1.0 + (-2.0f64).exp() + 2.0f64.exp();
    let want = [1.0 / z, (-2.0f64).exp() / z, 2.0f64.exp() / z];
    for (found, want) in w[0].iter().zip(want) {
        assert!(
            (found - want).abs() < 1e-5,
            "row 0: {:?} against {want:?}",
            w[0]
        );
    }
    assert!(w[0][0] > w[0][1], "the misinforming modality loses weight");
    // Row 1: u2 = 1 (unique to x2): x2's model leads; row 2: synergy: the joint.
    assert!(w[1][1] > w[1][0] && w[1][1] > w[1][2], "{:?}", w[1]);
    assert!(w[2][2] > w[2][0] && w[2][2] > w[2][1], "{:?}", w[2]);
    assert!(ensemble_weights(&interactions, -1.0).is_err());

    // The mixture's log-probabilities, by hand.
    let lp = |p: [f32; 6]| {
        let values: Vec<f32> = p.iter().map(|v| v.ln()).collect();
        Tensor::<2>::from_data(TensorData::new(values, [3, 2]), device)
    };
    let models = [
        lp([0.9, 0.1, 0.5, 0.5, 0.2, 0.8]),
        lp([0.3, 0.7, 0.6, 0.4, 0.5, 0.5]),
        lp([0.5, 0.5, 0.1, 0.9, 0.7, 0.3]),
    ];
    let pooled = read_matrix(&ensemble_log_probs(&models, &weights).unwrap());
    let probs: Vec<Vec<Vec<f64>>> = models
        .iter()
        .map(|m| read_matrix(&m.clone().exp()))
        .collect();
    for j in 0..3 {
        for y in 0..2 {
            let want: f64 = (0..3).map(|k| w[j][k] * probs[k][j][y]).sum::<f64>().ln();
            assert!((pooled[j][y] - want).abs() < 1e-5, "row {j}, class {y}");
        }
    }
    let bad = matrix(&[0.5, 0.5, 0.5, 0.2, 0.2, 0.6, 0.1, 0.1, 0.8], 3, 3, device);
    let err = ensemble_log_probs(&models, &bad).unwrap_err();
    assert!(
        matches!(
            err,
            LsmiError::InvalidConfig {
                field: "weights",
                ..
            }
        ),
        "{err}"
    );
    let err = ensemble_log_probs(&models[..2], &weights).unwrap_err();
    assert!(
        matches!(
            err,
            LsmiError::WidthMismatch {
                what: "weights",
                ..
            }
        ),
        "{err}"
    );
}
