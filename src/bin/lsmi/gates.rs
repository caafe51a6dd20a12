//! `lsmi gates`: the exact LSMI of every built-in logic gate.

use serde::Serialize;

use crate::json::{self, Ordered};
use crate::table::{Table, fixed};
use lsmi::{Column, Gate, OracleDecomposition, OracleEvent, Summary};

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

/// The per-event columns: the event, its probability and its exact values in
/// the order of [`Summary::COLUMNS`].
fn event_columns() -> Vec<&'static str> {
    let mut names = vec!["x1", "x2", "y", "p"];
    names.extend(Summary::COLUMNS.map(|c| c.name()));
    names
}

/// Every event with its exact values in the order of [`Summary::COLUMNS`].
fn events_with_values(d: &OracleDecomposition) -> impl Iterator<Item = (&OracleEvent, [f64; 9])> {
    d.events()
        .iter()
        .zip(d.interactions().rows())
        .map(|(e, row)| (e, Summary::COLUMNS.map(|c| *row.column(c))))
}

/// One gate in `--json`: its means, the shift with `--adjust` and the events
/// with `--events`.
#[derive(Serialize)]
struct GateJson {
    #[serde(rename = "R")]
    r: f64,
    #[serde(rename = "U1")]
    u1: f64,
    #[serde(rename = "U2")]
    u2: f64,
    #[serde(rename = "S")]
    s: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    shift: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    events: Option<Vec<EventJson>>,
}

/// One event in `--json --events`: `x1, x2, y, p`, then its exact values named
/// by column (`r`, `u1`, …, `i12`) in the order of [`Summary::COLUMNS`].
#[derive(Serialize)]
struct EventJson {
    x1: usize,
    x2: usize,
    y: usize,
    p: f64,
    #[serde(flatten)]
    values: Ordered<Column, f64>,
}

/// One object keyed by gate name, in the order of [`Gate::ALL`].
fn json_text(gates: &[(Gate, OracleDecomposition)], args: &GatesArgs) -> String {
    let entries = gates.iter().map(|(gate, d)| {
        let m = d.summary();
        let events = args.events.then(|| {
            events_with_values(d)
                .map(|(e, values)| EventJson {
                    x1: e.x1,
                    x2: e.x2,
                    y: e.y,
                    p: e.p,
                    values: Ordered(Summary::COLUMNS.into_iter().zip(values).collect()),
                })
                .collect()
        });
        let entry = GateJson {
            r: m.r,
            u1: m.u1,
            u2: m.u2,
            s: m.s,
            shift: args.adjust.then(|| d.shift()),
            events,
        };
        (gate.name(), entry)
    });
    json::pretty(&Ordered(entries.collect()))
}

fn table_text(gates: &[(Gate, OracleDecomposition)], args: &GatesArgs) -> String {
    let mut headers = vec!["gate", "R", "U1", "U2", "S"];
    if args.adjust {
        headers.push("shift");
    }
    let summary_row = |gate: Gate, d: &OracleDecomposition| {
        let m = d.summary();
        let mut row = vec![gate.name().to_string()];
        row.extend([m.r, m.u1, m.u2, m.s].map(fixed));
        if args.adjust {
            row.push(fixed(d.shift()));
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
        let mut events = Table::new(&event_columns()).right_aligned();
        for (e, values) in events_with_values(d) {
            let mut row = vec![e.x1.to_string(), e.x2.to_string(), e.y.to_string()];
            row.push(fixed(e.p));
            row.extend(values.map(fixed));
            events.push(row);
        }
        text.push_str(&events.render());
    }
    text
}
