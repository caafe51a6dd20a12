//! `lsmi gates`: the exact LSMI of every built-in logic gate.

use crate::json::Json;
use crate::table::{Table, fixed};
use lsmi::{Gate, OracleDecomposition};

/// Options of `lsmi gates`.
#[derive(Debug, clap::Args)]
pub struct GatesArgs {
    /// Apply the reference adjustment (shift every event by one constant `a`
    /// chosen from the means) and report `a` as `shift`.
    #[arg(long)]
    pub adjust: bool,
    /// Print one JSON object keyed by gate name instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also list every event (x1, x2, y) with its probability and pointwise terms.
    #[arg(long)]
    pub events: bool,
}

fn decomposition(gate: Gate, adjust: bool) -> OracleDecomposition {
    let exact = gate.pmf().decompose();
    if adjust { exact.adjusted() } else { exact }
}

/// The text `lsmi gates` prints.
pub fn run(args: &GatesArgs) -> String {
    let gates: Vec<(Gate, OracleDecomposition)> = Gate::ALL
        .iter()
        .map(|&gate| (gate, decomposition(gate, args.adjust)))
        .collect();
    if args.json {
        json_text(&gates, args)
    } else {
        table_text(&gates, args)
    }
}

const EVENT_COLUMNS: [&str; 11] = [
    "x1", "x2", "y", "p", "r", "u1", "u2", "s", "i1", "i2", "i12",
];

fn event_values(e: &lsmi::oracle::OracleEvent) -> [f64; 8] {
    [e.r(), e.u1(), e.u2(), e.s(), e.i1(), e.i2(), e.i12(), e.p]
}

fn json_text(gates: &[(Gate, OracleDecomposition)], args: &GatesArgs) -> String {
    let entries = gates.iter().map(|(gate, d)| {
        let m = &d.summary;
        let mut entry = vec![
            ("R", Json::Num(m.r)),
            ("U1", Json::Num(m.u1)),
            ("U2", Json::Num(m.u2)),
            ("S", Json::Num(m.s)),
        ];
        if args.adjust {
            entry.push(("shift", Json::Num(d.shift)));
        }
        if args.events {
            let events = d.events.iter().map(|e| {
                let [r, u1, u2, s, i1, i2, i12, p] = event_values(e);
                Json::object([
                    ("x1", Json::Count(e.x1)),
                    ("x2", Json::Count(e.x2)),
                    ("y", Json::Count(e.y)),
                    ("p", Json::Num(p)),
                    ("r", Json::Num(r)),
                    ("u1", Json::Num(u1)),
                    ("u2", Json::Num(u2)),
                    ("s", Json::Num(s)),
                    ("i1", Json::Num(i1)),
                    ("i2", Json::Num(i2)),
                    ("i12", Json::Num(i12)),
                ])
            });
            entry.push(("events", Json::Arr(events.collect())));
        }
        (gate.name(), Json::object(entry))
    });
    Json::object(entries).pretty()
}

fn table_text(gates: &[(Gate, OracleDecomposition)], args: &GatesArgs) -> String {
    let mut headers = vec!["gate", "R", "U1", "U2", "S"];
    if args.adjust {
        headers.push("shift");
    }
    let summary_row = |gate: Gate, d: &OracleDecomposition| {
        let m = &d.summary;
        let mut row = vec![gate.name().to_string()];
        row.extend([m.r, m.u1, m.u2, m.s].map(fixed));
        if args.adjust {
            row.push(fixed(d.shift));
        }
        row
    };
    if !args.events {
        let mut table = Table::new(&headers);
        for (gate, d) in gates {
            table.push(summary_row(*gate, d));
        }
        return table.render();
    }
    let mut text = String::new();
    for (index, (gate, d)) in gates.iter().enumerate() {
        if index > 0 {
            text.push('\n');
        }
        let mut summary = Table::new(&headers);
        summary.push(summary_row(*gate, d));
        text.push_str(&summary.render());
        let mut events = Table::new(&EVENT_COLUMNS).right_aligned();
        for e in &d.events {
            let [r, u1, u2, s, i1, i2, i12, p] = event_values(e);
            let mut row = vec![e.x1.to_string(), e.x2.to_string(), e.y.to_string()];
            row.extend([p, r, u1, u2, s, i1, i2, i12].map(fixed));
            events.push(row);
        }
        text.push_str(&events.render());
    }
    text
}
