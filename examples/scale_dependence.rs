//! How raw LSMI depends on the units of a modality, and what centring does.
//!
//! Exact per-sample terms of Gaussian cases from `lsmi::synthetic` (no models
//! fitted), as they are and with modality 1 in other units (`x1 → 10·x1`, which
//! adds `d·ln 10` to every `h(x1)`). For the raw and the centred variant: the
//! means, the fraction of samples where modality 1 / modality 2 attains both
//! minima of eq. 5 (then `r = i` of that modality), the mean and spread of
//! `h1 − h2`, and the spread of `i1 − i2`.
//!
//! ```text
//! cargo run --release --all-features --example scale_dependence
//! ```

use lsmi::PointwiseTerms;
use lsmi::synthetic::{GaussianFamily, ScaleCase};

/// The population standard deviation of `values`.
fn spread(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt()
}

/// One table row per variant.
fn rows(case: &str, units: &str, terms: &PointwiseTerms<Vec<f64>>) -> lsmi::Result<()> {
    let centred = terms.centered(terms.surprisal_means())?;
    let gaps = |a: &[f64], b: &[f64]| -> Vec<f64> { a.iter().zip(b).map(|(x, y)| x - y).collect() };
    let h_spread = spread(&gaps(terms.h1(), terms.h2()));
    let i_spread = spread(&gaps(terms.i1(), terms.i2()));
    for (variant, t) in [("raw", terms), ("centred", &centred)] {
        let m = t.decompose().summary()?;
        let [f1, f2] = m.same_min_fractions;
        println!(
            "| {case} | {units} | {variant} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} / {:.3} | {:.2} | {:.2} | {:.2} |",
            m.r,
            m.u1,
            m.u2,
            m.s,
            f1,
            f2,
            m.mean_h_gap(),
            h_spread,
            i_spread
        );
    }
    Ok(())
}

fn main() -> lsmi::Result<()> {
    let n = 4000;
    let mut cases = vec![(
        "setting B (C = 2, d = 2)".to_string(),
        GaussianFamily::setting_b(0.5),
    )];
    for name in ["gaussian-c10-d10", "gaussian-c10-d64"] {
        let case = ScaleCase::find(name).expect("a case of the table");
        cases.push((name.to_string(), case.family.base().clone()));
    }
    println!("n = {n} samples per case, seed 1; nats");
    println!();
    println!(
        "| case | x1 units | variant | R | U1 | U2 | S | same-min 1 / 2 | mean h1 − h2 | sd(h1 − h2) | sd(i1 − i2) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for (name, family) in cases {
        let sample = family.sample(n, 1)?;
        let t = sample.exact.terms();
        rows(&name, "as drawn", t)?;
        // x1 → 10·x1: h(x1) grows by d·ln 10; no i changes.
        let shift = family.dim as f64 * 10f64.ln();
        let scaled = PointwiseTerms::from_columns(
            t.h1().iter().map(|h| h + shift).collect(),
            t.h2().clone(),
            t.i1().clone(),
            t.i2().clone(),
            t.i12().clone(),
        )?;
        rows(&name, "× 10", &scaled)?;
    }
    Ok(())
}
