//! What `decompose`, `estimate` and `score` share: the options saying how to
//! compute and where to write, the per-sample CSV, the summary JSON and the
//! table of means they print.

use std::path::{Path, PathBuf};

use lsmi::{HostInteractions, Interactions, LsmiError, Summary};

use crate::backend::DeviceName;
use crate::json::Json;
use crate::output::{check_outputs, csv_number, write_all};
use crate::table::{Table, fixed};

/// Options that `decompose` and `estimate` share, flattened into both after
/// their inputs: how to compute (`--adjust`, `--device`) and where to write
/// (`--out`, `--summary`).
#[derive(Debug, clap::Args)]
pub struct OutputArgs {
    /// Apply the reference adjustment: shift every sample by one constant a chosen
    /// from the means (r + a, u1 - a, u2 - a, s + a); a is reported as adjust_shift.
    #[arg(long)]
    pub adjust: bool,
    /// Backend to compute on, if compiled in: flex, ndarray or wgpu (default: the
    /// first CPU backend compiled in, flex if present).
    #[arg(long, value_enum)]
    pub device: Option<DeviceName>,
    /// Where to write the per-sample CSV
    /// (r,u1,u2,s,r_plus,r_minus,i1,i2,i12,h1,h2,label). A file in an existing
    /// folder, not an input; it is replaced only when every output is written.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Where to write the data-set means as JSON (n, R, U1, U2, S, I1, I2, I12,
    /// adjust_shift, units).
    #[arg(long, value_name = "FILE")]
    pub summary: PathBuf,
}

impl OutputArgs {
    /// Checks `--out` and `--summary` before any work: writable file paths,
    /// two different files, neither one of `inputs` (`(flag, path)` pairs).
    pub fn check(&self, inputs: &[(&str, &Path)]) -> Result<(), String> {
        check_outputs(
            &[("--out", &self.out), ("--summary", &self.summary)],
            inputs,
        )
    }
}

/// The columns of the per-sample CSV, in order.
pub const CSV_HEADER: &str = "r,u1,u2,s,r_plus,r_minus,i1,i2,i12,h1,h2,label";

/// Per-sample interactions with their labels and means, ready to be written.
pub struct Results {
    host: HostInteractions,
    labels: Vec<i64>,
    summary: Summary,
    /// The constant added to every `r` by `--adjust` (0 without it).
    shift: f64,
}

impl Results {
    /// Reads `raw` back to the host, after the reference adjustment when `adjust`.
    pub fn new(raw: &Interactions, labels: Vec<i64>, adjust: bool) -> lsmi::Result<Self> {
        let (host, summary, shift) = if adjust {
            let adjusted = raw.adjust()?;
            let host = adjusted.interactions.to_host()?;
            (host, adjusted.summary(), adjusted.shift)
        } else {
            let host = raw.to_host()?;
            let summary = host.summary()?;
            (host, summary, 0.0)
        };
        Ok(Self {
            host,
            labels,
            summary,
            shift,
        })
    }

    /// One line per sample under [`CSV_HEADER`].
    pub fn per_sample_csv(&self) -> String {
        let h = &self.host;
        let mut text = String::with_capacity((self.labels.len() + 1) * 128);
        text.push_str(CSV_HEADER);
        text.push('\n');
        for (index, label) in self.labels.iter().enumerate() {
            let columns = [
                &h.r, &h.u1, &h.u2, &h.s, &h.r_plus, &h.r_minus, &h.i1, &h.i2, &h.i12, &h.h1, &h.h2,
            ];
            for column in columns {
                text.push_str(&csv_number(column[index]));
                text.push(',');
            }
            text.push_str(&label.to_string());
            text.push('\n');
        }
        text
    }

    /// The means as a JSON object (n, R, U1, U2, S, I1, I2, I12, adjust_shift, units).
    pub fn summary_json(&self) -> String {
        let m = &self.summary;
        Json::object([
            ("n", Json::Count(m.n)),
            ("R", Json::Num(m.r)),
            ("U1", Json::Num(m.u1)),
            ("U2", Json::Num(m.u2)),
            ("S", Json::Num(m.s)),
            ("I1", Json::Num(m.i1)),
            ("I2", Json::Num(m.i2)),
            ("I12", Json::Num(m.i12)),
            ("adjust_shift", Json::Num(self.shift)),
            ("units", Json::Str("nats".into())),
        ])
        .pretty()
    }

    /// The means as a one-row table, for stdout.
    pub fn means_table(&self) -> String {
        let m = &self.summary;
        let mut table = Table::new(&["n", "R", "U1", "U2", "S", "I1", "I2", "I12", "adjust_shift"])
            .right_aligned();
        let mut row = vec![m.n.to_string()];
        row.extend([m.r, m.u1, m.u2, m.s, m.i1, m.i2, m.i12, self.shift].map(fixed));
        table.push(row);
        table.render()
    }

    /// Writes the per-sample CSV to `--out` and the JSON to `--summary`, both or
    /// neither.
    pub fn write(&self, output: &OutputArgs) -> Result<(), String> {
        write_all(&[
            (&output.out, self.per_sample_csv()),
            (&output.summary, self.summary_json()),
        ])
    }
}

/// What `estimate` and `score` do once the interactions are computed: reads
/// them back (adjusted with `--adjust`), runs `before_writing` (saving the
/// models), writes `--out` and `--summary`, and returns what to print: the
/// table of means, then `lines`.
pub fn finish(
    raw: &Interactions,
    labels: Vec<i64>,
    output: &OutputArgs,
    lib: impl Fn(LsmiError) -> String,
    before_writing: impl FnOnce() -> Result<(), String>,
    lines: &[String],
) -> Result<String, String> {
    let results = Results::new(raw, labels, output.adjust).map_err(lib)?;
    before_writing()?;
    results.write(output)?;
    Ok(results.means_table() + &lines.join("\n") + "\n")
}
