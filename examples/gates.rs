//! Prints the exact LSMI decomposition of every built-in logic gate as a
//! Markdown table (raw and reference-adjusted means, in nats).
//!
//! `cargo run --example gates`

use lsmi::Gate;

fn main() {
    println!(
        "| gate | R | U1 | U2 | S | adjusted R | adjusted U1 | adjusted U2 | adjusted S | shift a |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for gate in Gate::ALL {
        let raw = gate.pmf().decompose();
        let adjusted = raw.adjusted();
        let (m, a) = (raw.summary(), adjusted.summary());
        println!(
            "| {} | {:.6} | {:.6} | {:.6} | {:.6} | {:.6} | {:.6} | {:.6} | {:.6} | {:.6} |",
            gate.name(),
            m.r,
            m.u1,
            m.u2,
            m.s,
            a.r,
            a.u1,
            a.u2,
            a.s,
            adjusted.shift()
        );
    }
}
