//! A redundancy measure of your own, tested with `lsmi::testing`: pointwise
//! minimum mutual information, `r = min(i(x1;y), i(x2;y))`, beside LSMI.
//!
//! Runs the kit's identity checks on 500 random term sets (ties and magnitudes
//! up to 1e3 included), on the exact terms of 200 random discrete
//! distributions, and prints which identities each decomposition keeps and the
//! worst violation of each one it breaks.
//!
//! `cargo run --release --example custom_decomposer --features testing`

use lsmi::testing::{self, Identity, Report};
use lsmi::{Decomposer, Interactions, Lsmi, PointwiseTerms};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

/// Pointwise minimum mutual information: the smaller of the two modalities'
/// pointwise mutual informations is redundant.
struct Mmi;

impl Decomposer for Mmi {
    fn decompose(&self, terms: PointwiseTerms) -> lsmi::Result<Interactions> {
        let r = terms.i1().clone().min_pair(terms.i2().clone());
        let zeros = r.zeros_like();
        Interactions::from_redundancy(terms, r, zeros)
    }
}

/// Every identity's outcome over many term sets, and its worst violation.
#[derive(Default)]
struct Tally {
    runs: usize,
    broken_in: Vec<(Identity, usize, Option<String>, f64)>,
}

impl Tally {
    fn add(&mut self, report: &Report) {
        self.runs += 1;
        for identity in Identity::DECOMPOSITION {
            let entry = match self.broken_in.iter_mut().find(|e| e.0 == identity) {
                Some(entry) => entry,
                None => {
                    self.broken_in.push((identity, 0, None, 0.0));
                    self.broken_in.last_mut().expect("just pushed")
                }
            };
            if let Some(worst) = report.worst(identity) {
                entry.1 += 1;
                if worst.miss() > entry.3 {
                    entry.3 = worst.miss();
                    entry.2 = Some(worst.to_string());
                }
            }
        }
    }

    fn print(&self, name: &str) {
        println!("{name}:");
        for (identity, broken, worst, _) in &self.broken_in {
            match worst {
                None => println!("  holds in {}/{}   {identity}", self.runs, self.runs),
                Some(worst) => println!(
                    "  BROKEN in {broken}/{}  {identity}\n      worst: {worst}",
                    self.runs
                ),
            }
        }
    }
}

fn main() -> lsmi::Result<()> {
    let device = lsmi::default_device();
    let mut runner = TestRunner::deterministic();
    for (name, decomposer) in [("LSMI", &Lsmi as &dyn Decomposer), ("MMI", &Mmi)] {
        let mut random = Tally::default();
        let mut discrete = Tally::default();
        for _ in 0..500 {
            let terms = testing::terms()
                .new_tree(&mut runner)
                .expect("strategy")
                .current();
            random.add(&testing::check_decomposer(decomposer, &terms, &device)?);
        }
        for _ in 0..200 {
            let pmf = testing::joint_pmf()
                .new_tree(&mut runner)
                .expect("strategy")
                .current();
            let terms = pmf.decompose().interactions().terms().clone();
            discrete.add(&testing::check_decomposer(decomposer, &terms, &device)?);
        }
        random.print(&format!("{name}, random terms"));
        discrete.print(&format!(
            "{name}, exact terms of random discrete distributions"
        ));
    }
    Ok(())
}
