//! What `decompose`, `estimate` and `score` share: the options saying how to
//! compute and where to write, the per-sample CSV, the summary JSON and the
//! table of means they print.

use std::path::{Path, PathBuf};

use lsmi::{ClassSummary, Column, Interactions, LsmiError, Summary};

use crate::backend::DeviceName;
use crate::input::labels_tensor;
use crate::json;
use crate::output::{check_outputs, csv_number, csv_number_f64, write_all};
use crate::table::{Table, fixed};

/// Options that `decompose`, `estimate` and `score` share, flattened into each
/// after their inputs: how to compute (`--adjust`, `--device`) and where to write
/// (`--out`, `--summary`, `--per-class`).
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
    /// (r,u1,u2,s,r_plus,r_minus,h1,h2,i1,i2,i12,label). A file in an existing
    /// folder, not an input; it is replaced only when every output is written.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Where to write the data-set means as JSON (n, R, U1, U2, S, H1, H2, I1, I2,
    /// I12, adjust_shift, units).
    #[arg(long, value_name = "FILE")]
    pub summary: PathBuf,
    /// Also write the means of each class that occurs in the labels as CSV, one
    /// row per class (class,n,R,U1,U2,S,H1,H2,I1,I2,I12; in nats, adjusted with
    /// --adjust). Checked like --out.
    #[arg(long, value_name = "FILE")]
    pub per_class: Option<PathBuf>,
}

impl OutputArgs {
    /// `(flag, path)` of every output file: `--out`, `--summary` and, if given,
    /// `--per-class`.
    pub fn flags(&self) -> Vec<(&'static str, &Path)> {
        let mut flags = vec![("--out", self.out.as_path()), ("--summary", &self.summary)];
        if let Some(path) = &self.per_class {
            flags.push(("--per-class", path));
        }
        flags
    }

    /// Checks the output files before any work: writable file paths, all
    /// different, none one of `inputs` (`(flag, path)` pairs).
    pub fn check(&self, inputs: &[(&str, &Path)]) -> Result<(), String> {
        check_outputs(&self.flags(), inputs)
    }
}

/// The header of the per-sample CSV: every column in the library's order, then
/// the label.
pub fn csv_header() -> String {
    let mut names: Vec<&str> = Column::ALL.iter().map(|c| c.name()).collect();
    names.push("label");
    names.join(",")
}

/// The name of a mean in the summary JSON and the per-class CSV: the column's
/// name in capitals (`R`, `U1`, …, `I12`).
fn mean_name(column: Column) -> String {
    column.name().to_uppercase()
}

/// The header of the per-class CSV: the class, its count and the means in the
/// order of [`Summary::COLUMNS`].
pub fn per_class_header() -> String {
    let mut names = vec!["class".to_string(), "n".to_string()];
    names.extend(Summary::COLUMNS.map(mean_name));
    names.join(",")
}

/// The summary JSON: the [`Summary`] (`n`, `R`, …, `I12`), then the shift of
/// `--adjust` and the units.
#[derive(serde::Serialize)]
struct SummaryJson<'a> {
    #[serde(flatten)]
    means: &'a Summary,
    adjust_shift: f64,
    units: &'static str,
    /// What each fold's five models are (`estimate`, `score`).
    #[serde(skip_serializing_if = "Option::is_none")]
    models: Option<Vec<FoldModels<'a>>>,
}

/// The five models of one fold, described.
#[derive(serde::Serialize)]
struct FoldModels<'a> {
    h1: &'a str,
    h2: &'a str,
    i1: &'a str,
    i2: &'a str,
    i12: &'a str,
}

/// One line per sample (`host` with its label) under [`csv_header`].
pub fn per_sample_csv(host: &Interactions<Vec<f64>>, labels: &[i64]) -> String {
    let columns = host.columns();
    let mut text = String::with_capacity((labels.len() + 1) * 128);
    text.push_str(&csv_header());
    text.push('\n');
    for (index, label) in labels.iter().enumerate() {
        for (_, column) in &columns {
            // The values were read from f32 tensors: printing them as f32
            // gives the shortest text that reads back exactly.
            text.push_str(&csv_number(column[index] as f32));
            text.push(',');
        }
        text.push_str(&label.to_string());
        text.push('\n');
    }
    text
}

/// Per-sample interactions with their labels and means, ready to be written.
pub struct Results {
    host: Interactions<Vec<f64>>,
    labels: Vec<i64>,
    summary: Summary,
    /// The means of each class that occurs, when `--per-class` asks for them.
    per_class: Option<Vec<ClassSummary>>,
    /// The constant added to every `r` by `--adjust` (0 without it).
    shift: f64,
    /// The description of each fold's models `h1, h2, i1, i2, i12`, if any.
    models: Option<Vec<Vec<String>>>,
}

impl Results {
    /// Reads `raw` back to the host, after the reference adjustment with
    /// `--adjust`, and with `--per-class` the means of each class of `labels`
    /// (in `0..num_classes`), from the same (adjusted) interactions.
    pub fn new(
        raw: &Interactions,
        labels: Vec<i64>,
        num_classes: usize,
        output: &OutputArgs,
    ) -> lsmi::Result<Self> {
        let adjusted = if output.adjust {
            Some(raw.adjust()?)
        } else {
            None
        };
        let interactions = adjusted.as_ref().map_or(raw, |a| a.interactions());
        let host = interactions.to_host()?;
        let (summary, shift) = match &adjusted {
            Some(adjusted) => (adjusted.summary(), adjusted.shift()),
            None => (host.summary()?, 0.0),
        };
        let per_class = match output.per_class {
            Some(_) => {
                let tensor = labels_tensor(&labels, &interactions.r().device());
                Some(interactions.per_class(&tensor, num_classes)?)
            }
            None => None,
        };
        Ok(Self {
            host,
            labels,
            summary,
            per_class,
            shift,
            models: None,
        })
    }

    /// One line per sample under [`csv_header`].
    pub fn per_sample_csv(&self) -> String {
        per_sample_csv(&self.host, &self.labels)
    }

    /// One line per class that occurs under [`per_class_header`] (only the
    /// header without `--per-class`).
    pub fn per_class_csv(&self) -> String {
        let mut text = per_class_header();
        text.push('\n');
        for class in self.per_class.iter().flatten() {
            let m = &class.summary;
            text.push_str(&format!("{},{}", class.class, m.n));
            for value in m.values() {
                text.push(',');
                text.push_str(&csv_number_f64(value));
            }
            text.push('\n');
        }
        text
    }

    /// The means as a JSON object (n, the means in the order of
    /// [`Summary::COLUMNS`], adjust_shift, units).
    pub fn summary_json(&self) -> String {
        let models = self.models.as_ref().map(|sets| {
            sets.iter()
                .filter_map(|set| match &set[..] {
                    [h1, h2, i1, i2, i12] => Some(FoldModels {
                        h1,
                        h2,
                        i1,
                        i2,
                        i12,
                    }),
                    _ => None,
                })
                .collect()
        });
        json::pretty(&SummaryJson {
            means: &self.summary,
            adjust_shift: self.shift,
            units: "nats",
            models,
        })
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

    /// Writes the per-sample CSV to `--out`, the JSON to `--summary` and, if
    /// given, the per-class CSV to `--per-class`: all or none.
    pub fn write(&self, output: &OutputArgs) -> Result<(), String> {
        let mut outputs = vec![
            (output.out.as_path(), self.per_sample_csv()),
            (output.summary.as_path(), self.summary_json()),
        ];
        if let Some(path) = &output.per_class {
            outputs.push((path.as_path(), self.per_class_csv()));
        }
        write_all(&outputs)
    }
}

/// What `estimate` and `score` do once the interactions are computed: reads
/// them back (adjusted with `--adjust`), runs `before_writing` (saving the
/// models), writes `--out`, `--summary` and `--per-class` (labels in
/// `0..num_classes`; the summary JSON lists `models`, the description of each
/// fold's five models), and returns what to print: the table of means, then
/// `lines`.
#[allow(clippy::too_many_arguments)]
pub fn finish(
    raw: &Interactions,
    labels: Vec<i64>,
    num_classes: usize,
    output: &OutputArgs,
    models: Vec<Vec<String>>,
    lib: impl Fn(LsmiError) -> String,
    before_writing: impl FnOnce() -> Result<(), String>,
    lines: &[String],
) -> Result<String, String> {
    let mut results = Results::new(raw, labels, num_classes, output).map_err(lib)?;
    results.models = Some(models);
    before_writing()?;
    results.write(output)?;
    Ok(results.means_table() + &lines.join("\n") + "\n")
}
