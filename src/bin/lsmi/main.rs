//! `lsmi`: per-sample multimodal interactions from the command line.
//!
//! * `lsmi gates` prints the exact decomposition of the built-in logic gates;
//! * `lsmi decompose` turns labels, three classifiers' logits and two entropy
//!   columns into per-sample `r, u1, u2, s` (CSV) and their means (JSON);
//! * `lsmi entropy` fits a KNIFE density model to one modality's features and
//!   writes `h(x) = -ln p(x)` of every sample (CSV);
//! * `lsmi estimate` does it all from features: fits both entropy models and the
//!   three classifiers with cross-fitting and writes what `decompose` writes;
//! * `lsmi score` scores new rows with models saved by `estimate --save-models`;
//! * `lsmi partition` splits the rows of a per-sample CSV at a quantile of one
//!   column (e.g. redundancy-high and redundancy-low halves).
//! * `lsmi pairwise` does what `estimate` does for every pair of M >= 2 views,
//!   with one model per view shared by its pairs.

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod backend;
mod csv;
mod decompose;
mod entropy;
mod estimate;
#[cfg(test)]
mod fuzz;
mod gates;
mod input;
mod json;
mod npy;
mod output;
mod pairwise;
mod partition;
mod progress;
mod report;
mod score;
mod table;

/// Per-sample multimodal interactions (LSMI): redundancy r, uniqueness u1 and
/// u2, and synergy s of two modalities about a label, in nats.
///
/// For every sample, r = min(h(x1), h(x2)) - min(h(x1|y), h(x2|y)),
/// u1 = i(x1;y) - r, u2 = i(x2;y) - r and s = i(x1,x2;y) - r - u1 - u2, where
/// i(x;y) = ln p(y|x) - ln p(y) comes from a classifier's logits and
/// h(x) = -ln p(x) from an entropy model.
#[derive(Debug, Parser)]
#[command(name = "lsmi", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the exact LSMI of every built-in logic gate (XOR, OR, AND, RDN, UNQ,
    /// COPY, XOR+NOT) on two fair bits: the means R, U1, U2, S in nats.
    Gates(gates::GatesArgs),
    /// Decompose per-sample information from labels, logits and entropies.
    ///
    /// Inputs are .npy files (little-endian, C order; f4/f8 floats, labels of
    /// any integer dtype) or .csv files (comma-separated numbers, one sample per
    /// line, an optional non-numeric header line; a header whose first field is
    /// empty, as pandas writes for its index column, is refused: save with
    /// to_csv(index=False)). Logits are [n, C] with one column per class; labels,
    /// h1 and h2 have one value per sample.
    ///
    /// Writes the per-sample values to --out (CSV) and the means to --summary
    /// (JSON), both or neither, and prints the means. Output paths are checked
    /// before any work (an existing folder, not an input, not `-`); existing
    /// files are replaced only once both outputs are written.
    Decompose(decompose::DecomposeArgs),
    /// Fit a KNIFE density model to features and write h(x) = -ln p(x) per sample.
    ///
    /// Reads x, [n, d] floats with one sample per row (.npy f4/f8 or .csv), fits
    /// a Gaussian mixture (KNIFE) to it by minimising the mean of -ln p(x), and
    /// writes h of every row to --out (CSV, header `h`, nats), ready for
    /// `decompose --h1/--h2`. Prints the mean H, in nats, and how the fit went.
    /// While fitting, a progress line is drawn on stderr when it is a terminal.
    Entropy(entropy::EntropyArgs),
    /// Estimate per-sample LSMI end to end from two modalities' features and labels.
    ///
    /// Reads x1 [n, d1] and x2 [n, d2] floats (.npy f4/f8 or .csv, one sample per
    /// row, same order) and labels [n] integers. For each of --folds folds, fits
    /// on the other folds a KNIFE entropy model per modality and classifiers for
    /// p(y|x1), p(y|x2) and p(y|x1,x2), then scores the fold's samples with them,
    /// so that no sample is scored by a model that saw it.
    ///
    /// Writes the same files as `decompose`: per-sample values to --out (CSV) and
    /// the means to --summary (JSON), and prints the means and the fit time.
    /// While fitting, a progress bar is drawn on stderr when it is a terminal.
    Estimate(estimate::EstimateArgs),
    /// Estimate LSMI of every pair of M >= 2 views (modalities) end to end.
    ///
    /// Reads one feature file per --x (M >= 2 views, [n, d_v] floats, .npy f4/f8
    /// or .csv, the same samples in the same order) and labels [n] integers. For
    /// each of --folds folds, fits on the other folds one KNIFE entropy model and
    /// one classifier per view and one joint classifier per pair of views, then
    /// scores the fold's samples: 2M + M(M-1)/2 models per fold, shared by the
    /// pairs, so a view's h and i are the same numbers in every pair.
    ///
    /// Writes DIR/pair_<a>_<b>.csv for every pair a < b (views numbered from 0 in
    /// the order of --x; the columns of `estimate`, view a as modality 1) and
    /// DIR/summary.json (per view: name, dim, H, I and the dequantised columns;
    /// per pair: a, b, R, U1, U2, S, I1, I2, I12), and prints both tables.
    Pairwise(pairwise::PairwiseArgs),
    /// Score new rows with models saved by `lsmi estimate --save-models`.
    ///
    /// Reads x1 [m, d1], x2 [m, d2] and labels [m] as `estimate` does, with the
    /// widths d1, d2 and the classes of the saved models, and scores every row with
    /// the mixture of the saved fold models (their mean density and mean class
    /// probabilities) and the label prior of the rows they were fitted on.
    ///
    /// Writes the same files as `estimate`: per-sample values to --out (CSV) and the
    /// means to --summary (JSON), and prints the means. Models fitted with
    /// --centered, or --centered here, centre the rows' surprisals on the means of
    /// the rows the models were fitted on (stored with them).
    Score(score::ScoreArgs),
    /// Split the rows of a per-sample CSV at a quantile of one column.
    ///
    /// Reads the CSV that `estimate`, `score` or `decompose` write with --out and
    /// splits its rows by the column --by (r, u1, u2, s, or any other column) at
    /// the quantile --quantile: low.txt gets the rows whose value is at most the
    /// k-th smallest value, k = ceil(Q n), together with every row tied with it;
    /// high.txt gets the others. Each file holds one 0-based row index per line, in
    /// increasing order. With --per-class each class (the `label` column) is split
    /// at its own quantile. Prints the threshold and the size of each side.
    Partition(partition::PartitionArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version (on stdout) or a usage error (on stderr, exit 2).
        Err(err) => {
            let printed = err.print().and_then(|()| std::io::stdout().lock().flush());
            return match printed {
                Err(e) if !err.use_stderr() => stdout_failed(&e),
                _ => ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(1)),
            };
        }
    };
    let result = match &cli.command {
        Command::Gates(args) => Ok(gates::run(args)),
        Command::Decompose(args) => decompose::run(args),
        Command::Entropy(args) => entropy::run(args),
        Command::Estimate(args) => estimate::run(args),
        Command::Score(args) => score::run(args),
        Command::Partition(args) => partition::run(args),
        Command::Pairwise(args) => pairwise::run(args),
    };
    match result {
        Ok(text) => {
            let mut stdout = std::io::stdout().lock();
            // Any failure to print (a full disk, a closed pipe) is an error: the
            // caller would otherwise take a missing table for success.
            match stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
            {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => stdout_failed(&e),
            }
        }
        Err(message) => {
            // One line, whatever the underlying error looked like.
            let line = message.replace(['\n', '\r'], " ");
            eprintln!("error: {line}");
            ExitCode::FAILURE
        }
    }
}

/// Reports a failed write to stdout in one line; exit status 1.
fn stdout_failed(err: &std::io::Error) -> ExitCode {
    let _ = writeln!(
        std::io::stderr(),
        "error: cannot write to standard output: {err}"
    );
    ExitCode::FAILURE
}
