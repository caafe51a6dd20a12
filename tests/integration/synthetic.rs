//! The synthetic generators against published and independently computed
//! values: the Gaussian family's exact terms, gates in continuous features, and
//! preset interactions.

use std::f64::consts::LN_2;

use lsmi::synthetic::{
    ClassMeans, Features, GateFeatures, GaussianFamily, InteractionKind, PresetInteractions,
    binary_mutual_information,
};
use lsmi::{Gate, Interactions, LsmiError, Summary};

use crate::common::close;

/// Samples per Monte-Carlo check: the standard error of a mean is about 1e-3.
const N: usize = 200_000;
/// One seed for every ρ: common random numbers make the rows comparable.
const SEED: u64 = 2025;
/// Three Monte-Carlo standard errors at `N` plus the tables' own error.
const TOL: f64 = 3e-3;

/// One row of an ORACLES.md §B table: `ρ, I(X1,X2;Y), raw R, U1, U2, S`.
type Row = (f64, f64, [f64; 4]);

const SETTING_A: [Row; 5] = [
    (-0.8, 0.6909, [0.2255, 0.1112, 0.1111, 0.2430]),
    (-0.4, 0.6047, [0.3506, -0.0138, -0.0137, 0.2813]),
    (0.0, 0.5001, [0.4084, -0.0721, -0.0712, 0.2349]),
    (0.4, 0.4202, [0.4283, -0.0913, -0.0918, 0.1748]),
    (0.8, 0.3609, [0.4075, -0.0708, -0.0707, 0.0948]),
];

const SETTING_B: [Row; 4] = [
    (-0.4, 0.6795, [0.5441, -0.0442, -0.0437, 0.2233]),
    (0.0, 0.6327, [0.5707, -0.0706, -0.0713, 0.2040]),
    (0.4, 0.5767, [0.5722, -0.0727, -0.0723, 0.1491]),
    (0.8, 0.5240, [0.5475, -0.0477, -0.0472, 0.0714]),
];

/// The Monte-Carlo means of `family`'s exact terms against one table row and the
/// closed-form mutual information.
fn check_row(setting: &str, family: &GaussianFamily, (rho, i12, raw): Row) {
    let summary = family.sample(N, SEED).unwrap().exact.summary().unwrap();
    let (exact_i1, exact_i12) = family.mutual_information().unwrap();
    let got = [summary.r, summary.u1, summary.u2, summary.s, summary.i12];
    let want = [raw[0], raw[1], raw[2], raw[3], i12];
    for ((name, got), want) in ["R", "U1", "U2", "S", "I12"].iter().zip(got).zip(want) {
        close(
            &format!("setting {setting} ρ = {rho}: {name}"),
            got,
            want,
            TOL,
        );
    }
    close(
        &format!("setting {setting} ρ = {rho}: I1 closed form"),
        summary.i1,
        exact_i1,
        TOL,
    );
    close(
        &format!("setting {setting} ρ = {rho}: I12 closed form"),
        summary.i12,
        exact_i12,
        TOL,
    );
}

// Measured misses at N = 2·10⁵, SEED = 2025 (|Monte-Carlo mean − table|, largest
// over R, U1, U2, S, I12): setting A 0.84e-3, 1.01e-3, 1.52e-3, 1.28e-3, 1.26e-3
// for ρ = −0.8 … 0.8; setting B 0.73e-3, 1.43e-3, 1.10e-3, 1.29e-3 for ρ = −0.4 … 0.8.
// Against the closed forms: I1 1.38e-3 (A) and 1.34e-3 (B), I12 at most 1.30e-3.
#[test]
fn setting_a_exact_terms_match_the_oracle_table() {
    for row in SETTING_A {
        check_row("A", &GaussianFamily::setting_a(row.0), row);
    }
}

#[test]
fn setting_b_exact_terms_match_the_oracle_table() {
    for row in SETTING_B {
        check_row("B", &GaussianFamily::setting_b(row.0), row);
    }
}

#[test]
fn closed_form_mutual_information_matches_the_tables() {
    let (a1, _) = GaussianFamily::setting_a(0.0).mutual_information().unwrap();
    let (b1, _) = GaussianFamily::setting_b(0.0).mutual_information().unwrap();
    close("setting A I(X1;Y)", a1, 0.3368, 1e-4);
    close("setting B I(X1;Y)", b1, 0.5001, 1e-4);
    // D = 4 and D = 8 (|Δm|²/σ²), the two settings' single-modality distances.
    close("D = 4", binary_mutual_information(4.0), a1, 1e-15);
    close("D = 8", binary_mutual_information(8.0), b1, 1e-15);
    // The tables' I(X1,X2;Y) are Monte-Carlo values rounded to 1e-4; the closed
    // form misses them by at most 5e-5.
    let rows = SETTING_A.map(|row| (GaussianFamily::setting_a(row.0), row));
    let rows = rows
        .into_iter()
        .chain(SETTING_B.map(|row| (GaussianFamily::setting_b(row.0), row)));
    for (family, (rho, i12, _)) in rows {
        let (_, exact) = family.mutual_information().unwrap();
        close(&format!("I(X1,X2;Y) at ρ = {rho}"), exact, i12, 1e-4);
    }
}

#[test]
fn adjusted_means_of_setting_a_match_the_oracle_table() {
    let raw = exact_summary(&GaussianFamily::setting_a(-0.4));
    let adjusted = raw.adjusted();
    let got = [adjusted.r, adjusted.u1, adjusted.u2, adjusted.s];
    for ((name, got), want) in ["R", "U1", "U2", "S"]
        .iter()
        .zip(got)
        .zip([0.3368, 0.0, 0.0, 0.2676])
    {
        close(&format!("adjusted {name}"), got, want, TOL);
    }
}

fn exact_summary(family: &GaussianFamily) -> Summary {
    family.sample(N, SEED).unwrap().exact.summary().unwrap()
}

fn assert_finite(exact: &Interactions<Vec<f64>>) {
    for (column, values) in exact.columns() {
        assert!(values.iter().all(|v| v.is_finite()), "{column}");
    }
}

#[test]
fn perfectly_correlated_pair_says_what_one_modality_says() {
    let sample = GaussianFamily::setting_b(1.0).sample(2_000, 5).unwrap();
    assert_eq!(sample.x1, sample.x2);
    assert_finite(&sample.exact);
    assert_eq!(sample.exact.terms().i12(), sample.exact.terms().i1());
    assert_eq!(
        GaussianFamily::setting_b(1.0)
            .mutual_information()
            .map(|m| m.0 - m.1),
        Some(0.0)
    );
}

#[test]
fn anti_correlated_pair_reveals_the_label() {
    let family = GaussianFamily::setting_a(-1.0).with_class_weights(vec![0.3, 0.7]);
    let sample = family.sample(2_000, 5).unwrap();
    assert_finite(&sample.exact);
    for (i12, &y) in sample.exact.terms().i12().iter().zip(&sample.labels) {
        assert_eq!(*i12, -[0.3_f64, 0.7][y as usize].ln());
    }
    let balanced = GaussianFamily::setting_a(-1.0)
        .mutual_information()
        .unwrap();
    assert_eq!(balanced.1, LN_2);
}

/// `ln` of a sum of exponentials, written here for the test.
fn lse(values: &[f64]) -> f64 {
    let top = values.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
    top + values.iter().map(|v| (v - top).exp()).sum::<f64>().ln()
}

/// `ln N(x; mean, variance)` of one coordinate.
fn ln_normal(x: f64, mean: f64, variance: f64) -> f64 {
    -0.5 * (2.0 * std::f64::consts::PI * variance).ln() - (x - mean).powi(2) / (2.0 * variance)
}

/// The family's exact terms against Bayes' rule evaluated here on the stored
/// features: marginals `Σ_c π_c N(x; m_c, σ²I)`, and the pair through the
/// conditional `x2 | x1, y ~ N(m_y + ρ(x1 − m_y), σ²(1 − ρ²) I)`, not through the
/// closed-form posterior the generator uses.
#[test]
fn exact_terms_match_bayes_rule_on_the_features() {
    let families = [
        GaussianFamily::setting_b(0.3),
        GaussianFamily::setting_a(-0.4).with_class_weights(vec![0.3, 0.7]),
        GaussianFamily::new(3, 3, 0.8, 0.6, ClassMeans::OneHot),
    ];
    for family in families {
        let (c, d, sigma, rho) = (family.classes, family.dim, family.sigma, family.rho);
        let means = family.means.means(c, d);
        let prior = family
            .class_weights
            .clone()
            .unwrap_or_else(|| vec![1.0 / c as f64; c]);
        let sample = family.sample(2_000, 9).unwrap();
        let variance = sigma * sigma;
        for j in 0..sample.labels.len() {
            let x1: Vec<f64> = sample.x1.row(j).iter().map(|&v| f64::from(v)).collect();
            let x2: Vec<f64> = sample.x2.row(j).iter().map(|&v| f64::from(v)).collect();
            let y = sample.labels[j] as usize;
            let class_terms = |x: &[f64]| -> Vec<f64> {
                (0..c)
                    .map(|k| {
                        prior[k].ln()
                            + (0..d)
                                .map(|t| ln_normal(x[t], means[k][t], variance))
                                .sum::<f64>()
                    })
                    .collect()
            };
            let joint: Vec<f64> = (0..c)
                .map(|k| {
                    prior[k].ln()
                        + (0..d)
                            .map(|t| {
                                let m = means[k][t];
                                ln_normal(x1[t], m, variance)
                                    + ln_normal(
                                        x2[t],
                                        m + rho * (x1[t] - m),
                                        variance * (1.0 - rho * rho),
                                    )
                            })
                            .sum::<f64>()
                })
                .collect();
            let (a1, a2) = (class_terms(&x1), class_terms(&x2));
            let ln_prior = prior[y].ln();
            let want = [
                -lse(&a1),
                -lse(&a2),
                a1[y] - lse(&a1) - ln_prior,
                a2[y] - lse(&a2) - ln_prior,
                joint[y] - lse(&joint) - ln_prior,
            ];
            let e = &sample.exact;
            let got = [
                e.terms().h1()[j],
                e.terms().h2()[j],
                e.terms().i1()[j],
                e.terms().i2()[j],
                e.terms().i12()[j],
            ];
            for (name, (g, w)) in ["h1", "h2", "i1", "i2", "i12"]
                .iter()
                .zip(got.iter().zip(want))
            {
                // The stored features are f32; the generator's terms use the f64 draw.
                close(&format!("{family:?} sample {j} {name}"), *g, w, 1e-4);
            }
        }
    }
}

#[test]
fn exact_interactions_are_the_decomposition_of_the_exact_terms() {
    let exact = GaussianFamily::setting_a(0.4).sample(50, 1).unwrap().exact;
    assert_eq!(exact.terms().decompose(), exact);
    let weights = vec![1.0; 49];
    let error = exact.weighted_summary(&weights).unwrap_err();
    assert!(matches!(error, LsmiError::LengthMismatch { .. }), "{error}");
}

/// `E[p(y)/p(y|x)] = 1` for every joint distribution: a check of the posteriors
/// that needs no closed form, here for three unbalanced classes in 2 dimensions.
#[test]
fn posteriors_of_many_classes_are_normalised() {
    let family = GaussianFamily::new(3, 2, 1.0, 0.5, ClassMeans::PlusMinusOne)
        .with_class_weights(vec![0.2, 0.3, 0.5]);
    let sample = family.sample(N / 2, 4).unwrap();
    let mean_inverse = |pmi: &[f64]| pmi.iter().map(|i| (-i).exp()).sum::<f64>() / pmi.len() as f64;
    close(
        "E exp(−i1)",
        mean_inverse(sample.exact.terms().i1()),
        1.0,
        0.02,
    );
    close(
        "E exp(−i12)",
        mean_inverse(sample.exact.terms().i12()),
        1.0,
        0.02,
    );
    let share = |class| {
        sample.labels.iter().filter(|&&y| y == class).count() as f64 / sample.labels.len() as f64
    };
    close("share of class 2", share(2), 0.5, 0.01);
    assert_eq!(family.mutual_information(), None);
}

#[test]
fn generators_are_deterministic_in_the_seed() {
    let family = GaussianFamily::setting_b(0.5);
    assert_eq!(
        family.sample(100, 1).unwrap(),
        family.sample(100, 1).unwrap()
    );
    assert_ne!(
        family.sample(100, 1).unwrap().x1,
        family.sample(100, 2).unwrap().x1
    );
    // Features only: the same rows and labels, without the exact terms.
    let full = GaussianFamily::new(3, 5, 0.7, -0.3, ClassMeans::OneHot)
        .sample(200, 4)
        .unwrap();
    let (x1, x2, labels) = GaussianFamily::new(3, 5, 0.7, -0.3, ClassMeans::OneHot)
        .sample_features(200, 4)
        .unwrap();
    assert_eq!((&x1, &x2, &labels), (&full.x1, &full.x2, &full.labels));

    let gates = GateFeatures::new(Gate::XorNot, 4, 0.1);
    let (a, b, c) = (
        gates.sample(100, 1).unwrap(),
        gates.sample(100, 1).unwrap(),
        gates.sample(100, 2).unwrap(),
    );
    assert_eq!(
        (&a.x1, &a.x2, &a.labels, &a.events),
        (&b.x1, &b.x2, &b.labels, &b.events)
    );
    assert_ne!(a.x1, c.x1);

    let preset = PresetInteractions::new(3, 4, 0.1, [0.25; 4]);
    assert_eq!(
        preset.sample(100, 1).unwrap(),
        preset.sample(100, 1).unwrap()
    );
    assert_ne!(
        preset.sample(100, 1).unwrap().x2,
        preset.sample(100, 2).unwrap().x2
    );
}

fn invalid_field<T: std::fmt::Debug>(result: lsmi::Result<T>) -> &'static str {
    match result {
        Err(LsmiError::InvalidConfig { field, .. }) => field,
        other => panic!("expected InvalidConfig, got {other:?}"),
    }
}

#[test]
fn invalid_gaussian_families_name_the_field() {
    let base = GaussianFamily::setting_b(0.0);
    let cases = [
        (
            GaussianFamily {
                classes: 1,
                ..base.clone()
            },
            "classes",
        ),
        (
            GaussianFamily {
                dim: 0,
                ..base.clone()
            },
            "dim",
        ),
        (
            GaussianFamily {
                dim: 1,
                ..base.clone()
            },
            "dim",
        ), // one-hot needs dim ≥ classes
        (
            GaussianFamily::new(5, 2, 1.0, 0.0, ClassMeans::PlusMinusOne),
            "dim",
        ),
        (
            GaussianFamily {
                sigma: 0.0,
                ..base.clone()
            },
            "sigma",
        ),
        (
            GaussianFamily {
                sigma: f64::NAN,
                ..base.clone()
            },
            "sigma",
        ),
        (
            GaussianFamily {
                rho: 1.5,
                ..base.clone()
            },
            "rho",
        ),
        (
            GaussianFamily {
                rho: f64::NAN,
                ..base.clone()
            },
            "rho",
        ),
        (base.clone().with_class_weights(vec![1.0]), "class_weights"),
        (
            base.clone().with_class_weights(vec![1.2, -0.2]),
            "class_weights",
        ),
        (
            base.clone().with_class_weights(vec![0.5, 0.4]),
            "class_weights",
        ),
    ];
    for (family, field) in cases {
        assert_eq!(invalid_field(family.validate()), field, "{family:?}");
        assert_eq!(invalid_field(family.sample(10, 0)), field);
        assert_eq!(family.mutual_information(), None);
    }
}

#[test]
fn invalid_gates_and_presets_name_the_field() {
    assert_eq!(
        invalid_field(GateFeatures::new(Gate::Or, 0, 0.1).sample(10, 0)),
        "dim"
    );
    assert_eq!(
        invalid_field(GateFeatures::new(Gate::Or, 2, -0.1).sample(10, 0)),
        "noise_std"
    );
    let base = PresetInteractions::new(3, 4, 0.1, [0.25; 4]);
    let cases = [
        (PresetInteractions { classes: 1, ..base }, "classes"),
        (PresetInteractions { dim: 0, ..base }, "dim"),
        (
            PresetInteractions {
                noise_std: f64::INFINITY,
                ..base
            },
            "noise_std",
        ),
        (
            PresetInteractions {
                proportions: [0.5, 0.5, 0.5, -0.5],
                ..base
            },
            "proportions",
        ),
        (
            PresetInteractions {
                proportions: [0.5; 4],
                ..base
            },
            "proportions",
        ),
    ];
    for (preset, field) in cases {
        assert_eq!(invalid_field(preset.sample(10, 0)), field, "{preset:?}");
    }
}

/// Every row of `features` is nearer to the centroid of its own code than to any
/// other code's, and within `radius` of it.
fn assert_clusters(features: &Features, codes: &[usize], radius: f64) {
    let num_codes = 1 + codes.iter().max().unwrap();
    let mut centroids = vec![vec![0.0; features.cols]; num_codes];
    let mut counts = vec![0.0; num_codes];
    for (j, &code) in codes.iter().enumerate() {
        counts[code] += 1.0;
        for (c, &x) in centroids[code].iter_mut().zip(features.row(j)) {
            *c += f64::from(x);
        }
    }
    for (centroid, count) in centroids.iter_mut().zip(&counts) {
        centroid.iter_mut().for_each(|c| *c /= count);
    }
    let distance = |j: usize, centroid: &[f64]| -> f64 {
        features
            .row(j)
            .iter()
            .zip(centroid)
            .map(|(&x, c)| (f64::from(x) - c).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    for (j, &code) in codes.iter().enumerate() {
        let own = distance(j, &centroids[code]);
        assert!(own < radius, "row {j}: {own} from its centroid");
        for (other, centroid) in centroids.iter().enumerate().filter(|&(k, _)| k != code) {
            assert!(
                distance(j, centroid) > 2.0 * own,
                "row {j} is near code {other}"
            );
        }
    }
}

#[test]
fn gate_labels_follow_the_gate() {
    for gate in Gate::ALL {
        let sample = GateFeatures::new(gate, 3, 0.5).sample(2_000, 11).unwrap();
        assert_eq!(sample.labels.len(), 2_000);
        for (j, &label) in sample.labels.iter().enumerate() {
            let event = sample.event(j);
            let (b1, b2, op) = (event.x1 % 2, event.x2 % 2, event.x1 / 2);
            assert_eq!(
                event.x2 / 2,
                op,
                "{}: both modalities see the operation",
                gate.name()
            );
            assert_eq!(label as usize, gate.output(b1, b2, op), "{}", gate.name());
            assert!(gate != Gate::Rdn || b1 == b2);
        }
        let ones = sample
            .events
            .iter()
            .filter(|&&e| sample.oracle.events()[e].x1 % 2 == 1)
            .count();
        close(
            &format!("{} share of b1 = 1", gate.name()),
            ones as f64 / 2_000.0,
            0.5,
            0.05,
        );
    }
}

#[test]
fn gate_truth_is_the_oracle_event() {
    for gate in Gate::ALL {
        let sample = GateFeatures::new(gate, 3, 0.5).sample(1_000, 12).unwrap();
        let parts = &sample.exact;
        let oracle_rows: Vec<_> = sample.oracle.interactions().rows().collect();
        for j in 0..sample.labels.len() {
            let e = sample.event(j);
            let position = sample.events[j];
            assert_eq!(sample.oracle.events()[position], *e);
            let want = oracle_rows[position].values();
            let got = parts.row(j).unwrap().values();
            assert_eq!(got, want, "{} sample {j}", gate.name());
            assert_eq!(sample.labels[j], e.y as i64);
        }
        assert_eq!(&parts.terms().decompose(), parts);
        // Events are equiprobable, so the sample means estimate the exact means:
        // each within three standard errors of the sample's own spread.
        let oracle = gate.pmf().decompose();
        let exact = oracle.summary();
        let n = sample.labels.len() as f64;
        for (name, column, want) in [
            ("R", parts.r(), exact.r),
            ("U1", parts.u1(), exact.u1),
            ("U2", parts.u2(), exact.u2),
            ("S", parts.s(), exact.s),
        ] {
            let mean = column.iter().sum::<f64>() / n;
            let variance = column.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
            let standard_error = (variance / n).sqrt();
            close(
                &format!("{} mean {name}", gate.name()),
                mean,
                want,
                3.0 * standard_error + 1e-12,
            );
        }
    }
}

#[test]
fn gate_features_cluster_by_bit() {
    for gate in [Gate::Or, Gate::Rdn, Gate::Copy, Gate::XorNot] {
        let sample = GateFeatures::new(gate, 4, 0.01).sample(1_000, 13).unwrap();
        let codes1: Vec<usize> = (0..1_000).map(|j| sample.event(j).x1).collect();
        let codes2: Vec<usize> = (0..1_000).map(|j| sample.event(j).x2).collect();
        assert_clusters(&sample.x1, &codes1, 0.1);
        assert_clusters(&sample.x2, &codes2, 0.1);
    }
}

#[test]
fn preset_kinds_follow_the_proportions_and_their_definitions() {
    let classes = 5;
    let proportions = [0.1, 0.2, 0.3, 0.4];
    let sample = PresetInteractions::new(classes, 6, 0.01, proportions)
        .sample(20_000, 14)
        .unwrap();
    for (kind, want) in InteractionKind::ALL.into_iter().zip(proportions) {
        let share = sample.kinds.iter().filter(|&&k| k == kind).count() as f64 / 20_000.0;
        close(&format!("share of {kind:?}"), share, want, 0.015);
    }
    let mut synergy_b1_is_y = 0;
    for j in 0..20_000 {
        let (y, b1, b2) = (
            sample.labels[j] as usize,
            sample.codes1[j],
            sample.codes2[j],
        );
        match sample.kinds[j] {
            InteractionKind::Redundant => assert_eq!((b1, b2), (y, y)),
            InteractionKind::Unique1 => assert_eq!(b1, y),
            InteractionKind::Unique2 => assert_eq!(b2, y),
            InteractionKind::Synergy => {
                assert_eq!((b1 + b2) % classes, y);
                synergy_b1_is_y += usize::from(b1 == y);
            }
        }
    }
    // Under synergy x1 alone says nothing: b1 = y by chance only (1/C of ~8 000).
    close(
        "synergy P(b1 = y)",
        synergy_b1_is_y as f64 / 8_000.0,
        1.0 / classes as f64,
        0.03,
    );
    assert_clusters(&sample.x1, &sample.codes1, 0.1);
    assert_clusters(&sample.x2, &sample.codes2, 0.1);
}
