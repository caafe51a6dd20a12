//! `lsmi partition`: split the rows of a per-sample CSV at a quantile of one
//! column, writing the row indices of each side.

use std::path::{Path, PathBuf};

use lsmi::{Column, Partition};

use crate::csv;
use crate::input::file_error;
use crate::npy::Values;
use crate::output::{check_outputs, csv_number_f64, write_all};
use crate::table::Table;

/// Options of `lsmi partition`.
#[derive(Debug, clap::Args)]
pub struct PartitionArgs {
    /// The per-sample CSV written by `estimate`, `score` or `decompose` (--out): a
    /// header naming the columns, one row per sample.
    #[arg(long, value_name = "FILE")]
    pub per_sample: PathBuf,
    /// The column to split by.
    #[arg(long, value_name = "COLUMN", value_parser = clap::builder::PossibleValuesParser::new(Column::ALL.map(Column::name)))]
    pub by: String,
    /// The quantile Q, strictly between 0 and 1: low.txt gets the rows whose value
    /// is at most the k-th smallest, k = ceil(Q n) (rows tied with it included),
    /// high.txt the others.
    #[arg(long, value_name = "Q")]
    pub quantile: f64,
    /// Split within each class (the CSV's `label` column) at the class's own
    /// quantile; high.txt and low.txt hold the union over the classes.
    #[arg(long)]
    pub per_class: bool,
    /// The folder to write high.txt and low.txt into (one 0-based row index per
    /// line, increasing); created if missing, in an existing folder. Existing
    /// files are replaced only when both are written.
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
}

/// The index of `name` among the header fields of `text`'s first non-blank line.
fn column_index(path: &Path, text: &str, name: &str) -> Result<usize, String> {
    let header = text
        .trim_start_matches('\u{feff}')
        .lines()
        .find(|line| !line.trim().is_empty())
        .ok_or_else(|| file_error(path, "is empty"))?;
    let fields: Vec<&str> = header.split(',').map(str::trim).collect();
    fields.iter().position(|f| *f == name).ok_or_else(|| {
        file_error(
            path,
            format!(
                "has no column {name:?} (its first line is {:?}); give the per-sample CSV that \
                 `lsmi estimate --out` writes",
                fields.join(",")
            ),
        )
    })
}

/// Runs `lsmi partition` and returns what it prints: the threshold and the size of
/// each side (per class with `--per-class`).
pub fn run(args: &PartitionArgs) -> Result<String, String> {
    if !(args.quantile > 0.0 && args.quantile < 1.0) {
        return Err(format!(
            "--quantile {}: must lie strictly between 0 and 1",
            args.quantile
        ));
    }
    let dir = &args.out_dir;
    if !dir.is_dir() && !dir.exists() {
        let parent = dir.parent().filter(|p| !p.as_os_str().is_empty());
        if parent.is_none_or(Path::is_dir) {
            std::fs::create_dir(dir)
                .map_err(|e| format!("--out-dir {}: cannot create: {e}", dir.display()))?;
        }
    }
    let (high_path, low_path) = (dir.join("high.txt"), dir.join("low.txt"));
    check_outputs(
        &[("--out-dir", &high_path), ("--out-dir", &low_path)],
        &[("--per-sample", &args.per_sample)],
    )?;
    let path = &args.per_sample;
    let text =
        std::fs::read_to_string(path).map_err(|e| file_error(path, format!("cannot read: {e}")))?;
    let by = column_index(path, &text, &args.by)?;
    let table = csv::parse(&text).map_err(|e| file_error(path, e))?;
    let (rows, cols) = (table.shape[0], table.shape[1]);
    let value = |row: usize, col: usize| match &table.values {
        Values::Float(v) => v[row * cols + col],
        Values::Int(v) => v[row * cols + col] as f64,
    };
    let values: Vec<f64> = (0..rows).map(|row| value(row, by)).collect();
    let lib = |e: lsmi::LsmiError| file_error(path, format!("column {}: {e}", args.by));
    let mut report = Table::new(&["class", "n", "threshold", "low", "high"]).right_aligned();
    let (mut high, mut low) = (Vec::new(), Vec::new());
    let mut add = |class: String, partition: &Partition, report: &mut Table| {
        let n = partition.low().len() + partition.high().len();
        report.push(vec![
            class,
            n.to_string(),
            csv_number_f64(partition.threshold()),
            partition.low().len().to_string(),
            partition.high().len().to_string(),
        ]);
        high.extend_from_slice(partition.high());
        low.extend_from_slice(partition.low());
    };
    if args.per_class {
        let label = column_index(path, &text, "label")?;
        let labels = (0..rows)
            .map(|row| {
                let v = value(row, label);
                match v.fract() == 0.0 && (0.0..=i64::MAX as f64).contains(&v) {
                    true => Ok(v as i64),
                    false => Err(file_error(
                        path,
                        format!("line {}: label {v} is not a class index", row + 2),
                    )),
                }
            })
            .collect::<Result<Vec<i64>, String>>()?;
        let classes = labels.iter().max().map_or(2, |&m| (m as usize + 1).max(2));
        let parts =
            lsmi::partition_per_class(&values, args.quantile, &labels, classes).map_err(lib)?;
        for part in &parts {
            add(part.class.to_string(), &part.partition, &mut report);
        }
        high.sort_unstable();
        low.sort_unstable();
    } else {
        let partition = Partition::of(&values, args.quantile).map_err(lib)?;
        add("all".into(), &partition, &mut report);
    }
    let lines = |rows: &[usize]| rows.iter().map(|r| format!("{r}\n")).collect::<String>();
    write_all(&[(&high_path, lines(&high)), (&low_path, lines(&low))])?;
    Ok(format!(
        "{}split by {} at quantile {}: {} low, {} high rows\nwrote {} and {}\n",
        report.render(),
        args.by,
        args.quantile,
        low.len(),
        high.len(),
        high_path.display(),
        low_path.display()
    ))
}
