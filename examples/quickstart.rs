//! The crate's main job on built-in data: the exact per-sample decomposition of
//! the logic gates, computed on the host (f64) and again through the device
//! decomposer that real data goes through, with the largest disagreement.
//!
//! `cargo run --release --example quickstart`

use std::time::Instant;

use lsmi::{Decomposer, Gate, Lsmi};

fn main() -> lsmi::Result<()> {
    let start = Instant::now();
    let device = lsmi::default_device();
    println!("Exact LSMI of two-bit logic gates (nats), device decomposer on {device:?}\n");
    println!(
        "{:<8} {:>9} {:>9} {:>9} {:>9}   {:>9} {:>9} {:>9} {:>9}  {:>10}",
        "gate", "R", "U1", "U2", "S", "adj R", "adj U1", "adj U2", "adj S", "max |Δ|"
    );
    for gate in Gate::ALL {
        let exact = gate.pmf().decompose();
        // Each event's exact terms, decomposed again on the device in f32.
        let on_device = Lsmi.decompose(exact.terms_on(&device)?)?.to_host()?;
        let max_diff = exact
            .events
            .iter()
            .enumerate()
            .flat_map(|(k, e)| {
                [
                    (e.r(), on_device.r[k]),
                    (e.u1(), on_device.u1[k]),
                    (e.u2(), on_device.u2[k]),
                    (e.s(), on_device.s[k]),
                ]
            })
            .map(|(a, b)| (a - f64::from(b)).abs())
            .fold(0.0, f64::max);
        let (raw, adj) = (exact.summary, exact.adjusted().summary);
        println!(
            "{:<8} {:>9.6} {:>9.6} {:>9.6} {:>9.6}   {:>9.6} {:>9.6} {:>9.6} {:>9.6}  {:>10.2e}",
            gate.name(),
            raw.r,
            raw.u1,
            raw.u2,
            raw.s,
            adj.r,
            adj.u1,
            adj.u2,
            adj.s,
            max_diff
        );
    }
    println!("\nDone in {:.2?}.", start.elapsed());
    Ok(())
}
