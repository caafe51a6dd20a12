//! `lsmi pairwise`: LSMI of every pair of `M ≥ 2` views, with one entropy model
//! and one classifier per view and one joint classifier per pair, written as one
//! per-sample CSV per pair and one summary JSON.

use std::path::{Path, PathBuf};
use std::time::Instant;

use lsmi::synthetic::Features;
use lsmi::{DiscreteColumn, FitStage, LsmiError, PairInteractions, PairwiseLsmi};

use crate::backend::{self, DeviceName};
use crate::estimate::{FitProgress, ModelArgs, num_classes, stage_text};
use crate::input::{self, Matrix};
use crate::output::{check_outputs, write_all};
use crate::progress::{StatusLine, bar};
use crate::report::{CenteringArgs, Centring, Variants, per_sample_csv, same_min_warning};
use crate::table::{Table, fixed};

/// Options of `lsmi pairwise`.
#[derive(Debug, clap::Args)]
pub struct PairwiseArgs {
    /// Features of one view: [n, d] floats, one sample per row (.npy f4/f8 or
    /// .csv); give --x once per view, at least twice, the same samples in the same
    /// order in every file. Views are numbered 0, 1, … in the order given.
    #[arg(long = "x", value_name = "FILE", required = true)]
    pub views: Vec<PathBuf>,
    /// Names of the views, comma-separated, one per --x (default: each file's
    /// name without its extension).
    #[arg(long, value_name = "A,B,…", value_delimiter = ',')]
    pub names: Option<Vec<String>>,
    /// True class of each sample: [n] integers in 0..C (.npy of any integer dtype, or .csv).
    #[arg(long, value_name = "FILE")]
    pub labels: PathBuf,
    /// --classes and --preset.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Cross-fitting folds k >= 2: each sample is scored by models fitted on the
    /// other k - 1 folds (2M + M(M-1)/2 models per fold for M views).
    #[arg(long, value_name = "K", default_value_t = 5)]
    pub folds: usize,
    /// Seed of the folds, of every model and of the dequantisation noise.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    /// Keep discrete columns as they are. By default a column whose values repeat
    /// on average at least twice (at most n/2 distinct values) gets uniform noise
    /// as wide as its smallest gap between values, so that its entropy model fits
    /// a density rather than point masses; i(x;y) is unchanged by it, and h becomes
    /// that of the dequantised features (the discrete surprisal plus the log of the
    /// widths). The summary lists the columns changed.
    #[arg(long)]
    pub no_dequantize: bool,
    /// --centered.
    #[command(flatten)]
    pub centering: CenteringArgs,
    /// Backend to compute on, if compiled in: flex, ndarray or wgpu (default: the
    /// first CPU backend compiled in, flex if present).
    #[arg(long, value_enum)]
    pub device: Option<DeviceName>,
    /// The folder to write into (created if it does not exist, in an existing
    /// folder): pair_<a>_<b>.csv per pair of views a < b (the per-sample columns of
    /// `estimate`, view a as modality 1) and summary.json. Files of these names
    /// are replaced only once every output is written; no other file is touched.
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
}

/// One view in the summary JSON.
#[derive(serde::Serialize)]
struct ViewJson<'a> {
    name: &'a str,
    dim: usize,
    #[serde(rename = "H")]
    h: f64,
    #[serde(rename = "I")]
    i: f64,
    /// The columns given uniform noise (see `--no-dequantize`).
    dequantized: &'a [DiscreteColumn],
}

/// One pair in the summary JSON: its views, means and scale diagnostics.
#[derive(serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
struct PairJson {
    #[serde(rename = "a")]
    a: usize,
    #[serde(rename = "b")]
    b: usize,
    r: f64,
    u1: f64,
    u2: f64,
    s: f64,
    i1: f64,
    i2: f64,
    i12: f64,
    /// Where view a, and where view b, attains both minima of eq. 5.
    #[serde(rename = "same_min_fractions")]
    same_min_fractions: [f64; 2],
    /// Their sum.
    #[serde(rename = "same_min_fraction")]
    same_min_fraction: f64,
    /// `H1 − H2` of the decomposed (raw or centred) `h`.
    #[serde(rename = "mean_h_gap")]
    mean_h_gap: f64,
    #[serde(rename = "same_min_fractions_by_variant")]
    same_min_fractions_by_variant: Variants,
}

/// The summary JSON of `pairwise`.
#[derive(serde::Serialize)]
struct SummaryJson<'a> {
    n: usize,
    classes: usize,
    folds: usize,
    preset: &'static str,
    views: Vec<ViewJson<'a>>,
    pairs: Vec<PairJson>,
    centered: bool,
    units: &'static str,
}

/// The per-pair CSV of views `a < b`.
fn pair_file(dir: &Path, a: usize, b: usize) -> PathBuf {
    dir.join(format!("pair_{a}_{b}.csv"))
}

/// The views' names: `--names`, or each file's stem.
fn view_names(args: &PairwiseArgs) -> Result<Vec<String>, String> {
    let Some(names) = &args.names else {
        return Ok(args
            .views
            .iter()
            .map(|p| {
                p.file_stem()
                    .map_or_else(|| p.display().to_string(), |s| s.to_string_lossy().into())
            })
            .collect());
    };
    if names.len() != args.views.len() {
        return Err(format!(
            "--names: {} names for {} views (--x); give one name per view",
            names.len(),
            args.views.len()
        ));
    }
    if let Some(index) = names.iter().position(|n| n.trim().is_empty()) {
        return Err(format!("--names: name {index} is empty"));
    }
    Ok(names.iter().map(|n| n.trim().to_string()).collect())
}

/// Creates `dir` if it does not exist (its parent must); says whether it did.
fn ensure_folder(dir: &Path) -> Result<bool, String> {
    let error = |message: String| Err(format!("--out-dir {}: {message}", dir.display()));
    match std::fs::metadata(dir) {
        Ok(metadata) if metadata.is_dir() => Ok(false),
        Ok(_) => error("is not a folder".into()),
        Err(_) => match std::fs::create_dir(dir) {
            Ok(()) => Ok(true),
            Err(e) => error(format!("cannot create the folder: {e}")),
        },
    }
}

/// The progress line: the bar, the fold, and which model of which view.
fn progress_text(
    stage: &FitStage,
    names: &[String],
    done: &mut FitProgress,
    start: Instant,
) -> String {
    let m = names.len();
    let model = match stage.step {
        v if v < m => format!("knife {}", names[v]),
        v if v < 2 * m => format!("classifier {}", names[v - m]),
        p => {
            let pairs = lsmi_pairs(m);
            let (a, b) = pairs.get(p - 2 * m).copied().unwrap_or((0, 1));
            format!("classifier {}+{}", names[a], names[b])
        }
    };
    stage_text(stage, &model, done.update(stage), start.elapsed())
}

/// The pairs `(a, b)`, `a < b`, in the library's order.
fn lsmi_pairs(m: usize) -> Vec<(usize, usize)> {
    (0..m)
        .flat_map(|a| (a + 1..m).map(move |b| (a, b)))
        .collect()
}

/// A library error as one line, naming the file of the view it is about.
fn library_error(err: LsmiError, args: &PairwiseArgs) -> String {
    match &err {
        LsmiError::View { view, source } => match args.views.get(*view) {
            Some(path) => input::file_error(path, format!("view {view}: {source}")),
            None => err.to_string(),
        },
        LsmiError::LengthMismatch { what: "labels", .. }
        | LsmiError::LabelOutOfRange { .. }
        | LsmiError::ZeroPriorClass { .. } => input::file_error(&args.labels, &err),
        LsmiError::InvalidConfig {
            field: "folds",
            value,
            ..
        } => format!("--folds {value}: cross-fitting needs at least 2 folds"),
        _ => err.to_string(),
    }
}

/// Reads every view, dequantising discrete columns unless `--no-dequantize`.
fn read_views(args: &PairwiseArgs) -> Result<Vec<(Matrix, Vec<DiscreteColumn>)>, String> {
    args.views
        .iter()
        .enumerate()
        .map(|(v, path)| {
            let matrix = input::matrix(path, "x", input::FEATURES_LAYOUT)?;
            if matrix.cols == 0 {
                return Err(input::file_error(
                    path,
                    format!("view {v} has no features (shape ({}, 0))", matrix.rows),
                ));
            }
            if args.no_dequantize {
                return Ok((matrix, Vec::new()));
            }
            let mut features = Features {
                values: matrix.values,
                rows: matrix.rows,
                cols: matrix.cols,
            };
            // One noise stream per view, all from --seed.
            let seed = args.seed.wrapping_add(v as u64).wrapping_mul(0x9E37_79B9);
            let found = lsmi::dequantize(&mut features, seed)
                .map_err(|e| input::file_error(path, format!("view {v}: {e}")))?;
            let matrix = Matrix {
                values: features.values,
                rows: features.rows,
                cols: features.cols,
            };
            Ok((matrix, found))
        })
        .collect()
}

/// Runs `lsmi pairwise` and returns what it prints: the views, the pairs and the
/// fit time.
pub fn run(args: &PairwiseArgs) -> Result<String, String> {
    let m = args.views.len();
    if m < 2 {
        return Err(format!(
            "--x: {m} view given; a pairwise analysis needs at least 2 (give --x once per view)"
        ));
    }
    let names = view_names(args)?;
    let created = ensure_folder(&args.out_dir)?;
    let pairs = lsmi_pairs(m);
    let pair_files: Vec<PathBuf> = pairs
        .iter()
        .map(|&(a, b)| pair_file(&args.out_dir, a, b))
        .collect();
    let summary_file = args.out_dir.join("summary.json");
    let outputs: Vec<(&str, &Path)> = pair_files
        .iter()
        .chain([&summary_file])
        .map(|p| ("--out-dir", p.as_path()))
        .collect();
    let inputs: Vec<(&str, &Path)> = args
        .views
        .iter()
        .map(|p| ("--x", p.as_path()))
        .chain([("--labels", args.labels.as_path())])
        .collect();
    if let Err(e) = check_outputs(&outputs, &inputs) {
        if created {
            let _ = std::fs::remove_dir(&args.out_dir);
        }
        return Err(e);
    }

    let device = backend::device(args.device)?;
    let views = read_views(args)?;
    let labels = input::labels(&args.labels)?;
    let classes = num_classes(args.model.classes, &args.labels, &labels)?;
    let mut config = args.model.preset.config(classes);
    config.folds = args.folds;
    config.seed = args.seed;
    config.centered = args.centering.centered;

    let tensors = views
        .iter()
        .map(|(matrix, _)| matrix.clone().into_tensor(&device))
        .collect();
    let mut progress = StatusLine::new();
    let mut done = FitProgress::default();
    let start = Instant::now();
    let fitted = config.fit_pairwise_with_progress(
        tensors,
        input::labels_tensor(&labels, &device),
        &mut |stage: &FitStage| progress.draw(&progress_text(stage, &names, &mut done, start)),
    );
    if fitted.is_ok() {
        let models = args.folds * (2 * m + pairs.len());
        progress.draw(&format!("{}  {models} models fitted", bar(1.0, 30)));
    }
    progress.finish();
    let fitted = fitted.map_err(|e| library_error(e, args))?;

    let dequantized: Vec<&[DiscreteColumn]> = views.iter().map(|(_, d)| &d[..]).collect();
    let mut files = Vec::with_capacity(pairs.len() + 1);
    let mut variants = Vec::with_capacity(pairs.len());
    for (pair, path) in fitted.pairs().iter().zip(&pair_files) {
        let host = pair
            .interactions()
            .to_host()
            .map_err(|e| library_error(e, args))?;
        variants.push(
            Variants::of(host.terms(), pair_centring(&fitted, pair))
                .map_err(|e| library_error(e, args))?,
        );
        files.push((path.as_path(), per_sample_csv(&host, &labels)));
    }
    let json = summary_json(&fitted, &names, &dequantized, &variants, classes, args);
    files.push((summary_file.as_path(), crate::json::pretty(&json)));
    write_all(&files)?;
    for (pair, variants) in fitted.pairs().iter().zip(&variants) {
        let (a, b) = pair.views();
        let names = Some([names[a].as_str(), names[b].as_str()]);
        let centring = pair_centring(&fitted, pair);
        if let Some(line) = same_min_warning(pair.summary(), centring, *variants, names) {
            eprintln!("{line}");
        }
    }
    Ok(text(&fitted, &names, &dequantized, &variants, args))
}

/// The variant of `pair` and the means of its views that centring subtracts.
fn pair_centring(fitted: &PairwiseLsmi, pair: &PairInteractions) -> Centring {
    let (a, b) = pair.views();
    Centring {
        centered: fitted.centered(),
        means: Some([fitted.views()[a].h, fitted.views()[b].h]),
    }
}

fn summary_json<'a>(
    fitted: &PairwiseLsmi,
    names: &'a [String],
    dequantized: &[&'a [DiscreteColumn]],
    variants: &[Variants],
    classes: usize,
    args: &PairwiseArgs,
) -> SummaryJson<'a> {
    SummaryJson {
        n: fitted.pairs()[0].summary().n,
        classes,
        folds: args.folds,
        preset: args.model.preset.name(),
        views: fitted
            .views()
            .iter()
            .zip(names)
            .zip(dequantized)
            .map(|((view, name), dequantized)| ViewJson {
                name,
                dim: view.dim,
                h: view.h,
                i: view.i,
                dequantized,
            })
            .collect(),
        pairs: fitted
            .pairs()
            .iter()
            .zip(variants)
            .map(|(pair, variants)| {
                let (a, b) = pair.views();
                let m = pair.summary();
                PairJson {
                    a,
                    b,
                    r: m.r,
                    u1: m.u1,
                    u2: m.u2,
                    s: m.s,
                    i1: m.i1,
                    i2: m.i2,
                    i12: m.i12,
                    same_min_fractions: m.same_min_fractions,
                    same_min_fraction: m.same_min_fraction(),
                    mean_h_gap: m.mean_h_gap(),
                    same_min_fractions_by_variant: *variants,
                }
            })
            .collect(),
        centered: fitted.centered(),
        units: "nats",
    }
}

/// What `pairwise` prints: a table of the views, a table of the pairs, the fit.
fn text(
    fitted: &PairwiseLsmi,
    names: &[String],
    dequantized: &[&[DiscreteColumn]],
    variants: &[Variants],
    args: &PairwiseArgs,
) -> String {
    let mut views = Table::new(&["view", "name", "dim", "H", "I", "dequantized"]);
    for (v, ((view, name), discrete)) in fitted
        .views()
        .iter()
        .zip(names)
        .zip(dequantized)
        .enumerate()
    {
        views.push(vec![
            v.to_string(),
            name.clone(),
            view.dim.to_string(),
            fixed(view.h),
            fixed(view.i),
            format!("{} of {}", discrete.len(), view.dim),
        ]);
    }
    // The same-minimum fraction (both modalities together) of the variant
    // decomposed, then of the other one.
    let (this, other) = match fitted.centered() {
        true => ("same-min centred", "same-min raw"),
        false => ("same-min raw", "same-min centred"),
    };
    let mut pairs = Table::new(&["pair", "R", "U1", "U2", "S", "I12", this, other]);
    let percent = |[f1, f2]: [f64; 2]| format!("{:.1}%", 100.0 * (f1 + f2));
    for (pair, variants) in fitted.pairs().iter().zip(variants) {
        let (a, b) = pair.views();
        let m = pair.summary();
        let mut row = vec![format!("{}+{}", names[a], names[b])];
        row.extend([m.r, m.u1, m.u2, m.s, m.i12].map(fixed));
        row.push(percent(m.same_min_fractions));
        row.push(
            variants
                .other(fitted.centered())
                .map_or("-".into(), percent),
        );
        pairs.push(row);
    }
    format!(
        "{}\n{}\nvariant     {}\nclasses     {}\nscoring     {} folds, cross-fitted\npreset      {}\nfit time    {:.2} s\nwritten     {}\n",
        views.render(),
        pairs.render(),
        match fitted.centered() {
            true => "centred: each view's h - H (--centered)",
            false => "raw: the paper's h (eq. 5)",
        },
        fitted.prior().num_classes(),
        args.folds,
        args.model.preset.name(),
        fitted.wall_time().as_secs_f64(),
        args.out_dir.display()
    )
}
