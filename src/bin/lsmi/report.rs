//! What `decompose`, `estimate` and `score` share: the options saying how to
//! compute and where to write, the per-sample CSV, the summary JSON, the table
//! of means they print and the warning about a split decided by the
//! surprisals' scale (`pairwise` shares `--centered`, the CSV, the same-minimum
//! fractions of both variants and the warning).

use std::path::{Path, PathBuf};

use lsmi::{ClassSummary, Column, Interactions, LsmiError, PointwiseTerms, Summary};

use crate::backend::DeviceName;
use crate::input::labels_tensor;
use crate::json;
use crate::output::{check_outputs, csv_number, csv_number_f64, write_all};
use crate::table::{Table, fixed};

/// Options that `decompose`, `estimate` and `score` share, flattened into each
/// after their inputs: how to compute (`--adjust`, `--centered`, `--device`) and
/// where to write (`--out`, `--summary`, `--per-class`).
#[derive(Debug, clap::Args)]
pub struct OutputArgs {
    /// Apply the reference adjustment: shift every sample by one constant a chosen
    /// from the means (r + a, u1 - a, u2 - a, s + a); a is reported as adjust_shift.
    #[arg(long)]
    pub adjust: bool,
    /// --centered.
    #[command(flatten)]
    pub centering: CenteringArgs,
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

/// `--centered`, for every subcommand that decomposes (`pairwise` included).
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct CenteringArgs {
    /// Decompose centred surprisals h_k - H_k instead of h_k (the affine-invariant
    /// variant; without it, the paper's definition). H_k is the mean of h_k over
    /// the rows decomposed (decompose), over the training rows (estimate), over
    /// the rows the saved models were fitted on (score; models fitted with
    /// --centered always score centred), or each view's own mean over the
    /// samples, the same in each of its pairs (pairwise). The CSV's h1, h2 are
    /// then the centred values, and the summary JSON records "centered" and the
    /// means subtracted (pairwise: the views' H).
    #[arg(long)]
    pub centered: bool,
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

/// The columns of the per-class CSV after the means: the same-minimum
/// fractions of modality 1 and 2, and `H1 − H2`.
const PER_CLASS_DIAGNOSTICS: [&str; 3] = ["same_min_fraction1", "same_min_fraction2", "mean_h_gap"];

/// The header of the per-class CSV: the class, its count, the means in the
/// order of [`Summary::COLUMNS`] and the diagnostics.
pub fn per_class_header() -> String {
    let mut names = vec!["class".to_string(), "n".to_string()];
    names.extend(Summary::COLUMNS.map(mean_name));
    names.extend(PER_CLASS_DIAGNOSTICS.map(String::from));
    names.join(",")
}

/// The summary JSON: the [`Summary`] (`n`, `R`, …, `I12`,
/// `same_min_fractions`), the diagnostics, the centring, then the shift of
/// `--adjust` and the units.
#[derive(serde::Serialize)]
struct SummaryJson<'a> {
    #[serde(flatten)]
    means: &'a Summary,
    same_min_fraction: f64,
    mean_h_gap: f64,
    centered: bool,
    /// The means subtracted with `--centered`.
    #[serde(skip_serializing_if = "Option::is_none")]
    centering: Option<HMeans>,
    same_min_fractions_by_variant: Variants,
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

/// `H1`, `H2` in the summary JSON.
#[derive(Clone, Copy, serde::Serialize)]
struct HMeans {
    #[serde(rename = "H1")]
    h1: f64,
    #[serde(rename = "H2")]
    h2: f64,
}

/// The same-minimum fractions `[modality 1, modality 2]` of both variants;
/// `centered` is unknown for models saved without their training means.
#[derive(Clone, Copy, serde::Serialize)]
pub struct Variants {
    raw: [f64; 2],
    #[serde(skip_serializing_if = "Option::is_none")]
    centered: Option<[f64; 2]>,
}

/// Whether the interactions are of centred surprisals, and the means `[H1, H2]`
/// that centring subtracts (or would subtract: `None` where unknown).
#[derive(Debug, Clone, Copy)]
pub struct Centring {
    /// The interactions' `h` are centred on `means`.
    pub centered: bool,
    /// The reference `[H1, H2]`; always known when `centered`.
    pub means: Option<[f64; 2]>,
}

impl Variants {
    /// The fractions of the variant other than the one `centered` says, if
    /// known.
    pub fn other(&self, centered: bool) -> Option<[f64; 2]> {
        match centered {
            true => Some(self.raw),
            false => self.centered,
        }
    }

    /// The fractions of both variants from the terms of one of them.
    pub fn of(terms: &PointwiseTerms<Vec<f64>>, centring: Centring) -> lsmi::Result<Self> {
        let Centring { centered, means } = centring;
        Ok(match (centered, means) {
            (true, Some([h1, h2])) => Variants {
                // Back to the raw surprisals: add the means again.
                raw: terms.centered([-h1, -h2])?.same_min_fractions(),
                centered: Some(terms.same_min_fractions()),
            },
            (false, Some(means)) => Variants {
                raw: terms.same_min_fractions(),
                centered: Some(terms.centered(means)?.same_min_fractions()),
            },
            (_, None) => Variants {
                raw: terms.same_min_fractions(),
                centered: None,
            },
        })
    }
}

/// Above this fraction of samples where one modality attains both minima, the
/// tool warns: the split is that modality's `i`, decided by the surprisals.
pub const SAME_MIN_WARNING: f64 = 0.95;

/// The one-line warning when one modality attains both minima in more than
/// [`SAME_MIN_WARNING`] of the samples of `summary` (of the variant `centring`
/// says), saying what that means; `variants` adds the centred fractions to a
/// raw run's warning. `names` are the two views of a pair (`pairwise`), named in
/// the warning.
pub fn same_min_warning(
    summary: &Summary,
    centring: Centring,
    variants: Variants,
    names: Option<[&str; 2]>,
) -> Option<String> {
    let [f1, f2] = summary.same_min_fractions;
    let (k, fraction) = if f1 >= f2 { (1, f1) } else { (2, f2) };
    if fraction <= SAME_MIN_WARNING {
        return None;
    }
    let percent = |f: f64| format!("{:.1}%", 100.0 * f);
    let modality = match names {
        Some([a, b]) => format!("pair {a}+{b}: modality {k} ({})", [a, b][k - 1]),
        None => format!("modality {k}"),
    };
    let head = format!(
        "warning: {modality} attains both minima of r in {} of the samples, where r = i{k} and \
         u{k} = 0",
        percent(fraction)
    );
    Some(match (centring.centered, variants.centered) {
        (false, centred) => {
            let after = centred
                .map(|[c1, c2]| {
                    format!(
                        " (centred: modality 1 in {}, modality 2 in {})",
                        percent(c1),
                        percent(c2)
                    )
                })
                .unwrap_or_default();
            format!(
                "{head}: the split follows the gap between the modalities' surprisals \
                 (mean h1 - h2 = {:.3} nats), which shifts with their units and dimensions \
                 (by ln|det A| under x -> A x + b), not what they say about y; --centered \
                 removes that gap{after}",
                summary.mean_h_gap()
            )
        }
        (true, _) => format!(
            "{head}, even with centred surprisals: the per-sample spread of h1 - h2 exceeds \
             that of i1 - i2 (it grows with the dimension), so the split follows h more than y"
        ),
    })
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
    /// How the surprisals were centred.
    centring: Centring,
    /// The same-minimum fractions of both variants.
    variants: Variants,
}

impl Results {
    /// Reads `raw` back to the host, after the reference adjustment with
    /// `--adjust`, and with `--per-class` the means of each class of `labels`
    /// (in `0..num_classes`), from the same (adjusted) interactions; `centring`
    /// says whether their `h` are centred, and on what.
    pub fn new(
        raw: &Interactions,
        labels: Vec<i64>,
        num_classes: usize,
        output: &OutputArgs,
        centring: Centring,
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
        let variants = Variants::of(host.terms(), centring)?;
        Ok(Self {
            host,
            labels,
            summary,
            per_class,
            shift,
            models: None,
            centring,
            variants,
        })
    }

    /// The one-line warning when one modality attains both minima in more than
    /// [`SAME_MIN_WARNING`] of the samples, saying what that means.
    pub fn warning(&self) -> Option<String> {
        same_min_warning(&self.summary, self.centring, self.variants, None)
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
            let [f1, f2] = m.same_min_fractions;
            for value in m.values().into_iter().chain([f1, f2, m.mean_h_gap()]) {
                text.push(',');
                text.push_str(&csv_number_f64(value));
            }
            text.push('\n');
        }
        text
    }

    /// The means as a JSON object (n, the means in the order of
    /// [`Summary::COLUMNS`], the diagnostics, the centring, adjust_shift, units).
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
        let centering = match self.centring {
            Centring {
                centered: true,
                means: Some([h1, h2]),
            } => Some(HMeans { h1, h2 }),
            _ => None,
        };
        json::pretty(&SummaryJson {
            means: &self.summary,
            same_min_fraction: self.summary.same_min_fraction(),
            mean_h_gap: self.summary.mean_h_gap(),
            centered: self.centring.centered,
            centering,
            same_min_fractions_by_variant: self.variants,
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
        table.render() + &self.diagnostics_line() + "\n"
    }

    /// One line: the variant, how often each modality attains both minima, in
    /// both variants where known, and `H1 − H2`.
    fn diagnostics_line(&self) -> String {
        let pair = |[f1, f2]: [f64; 2]| format!("{:.1}% / {:.1}%", 100.0 * f1, 100.0 * f2);
        let variant = if self.centring.centered {
            "centred"
        } else {
            "raw"
        };
        let mut line = format!(
            "same-min    {variant}: r = i1 / r = i2 in {} of samples",
            pair(self.summary.same_min_fractions)
        );
        let name = if self.centring.centered {
            "raw"
        } else {
            "centred"
        };
        if let Some(fractions) = self.variants.other(self.centring.centered) {
            line.push_str(&format!(" ({name}: {})", pair(fractions)));
        }
        line.push_str(&format!(
            "; mean h1 - h2 = {} nats",
            fixed(self.summary.mean_h_gap())
        ));
        line
    }

    /// Prints [`warning`](Self::warning) on stderr, if there is one.
    pub fn warn(&self) {
        if let Some(line) = self.warning() {
            eprintln!("{line}");
        }
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
    centring: Centring,
    labels: Vec<i64>,
    num_classes: usize,
    output: &OutputArgs,
    models: Vec<Vec<String>>,
    lib: impl Fn(LsmiError) -> String,
    before_writing: impl FnOnce() -> Result<(), String>,
    lines: &[String],
) -> Result<String, String> {
    let mut results = Results::new(raw, labels, num_classes, output, centring).map_err(lib)?;
    results.models = Some(models);
    before_writing()?;
    results.write(output)?;
    results.warn();
    Ok(results.means_table() + &lines.join("\n") + "\n")
}
