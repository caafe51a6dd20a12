//! `lsmi estimate`: end-to-end LSMI from two modalities' features and labels —
//! two KNIFE entropy models and three classifiers per cross-fitting fold — written
//! in the same form as `lsmi decompose`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::ValueEnum;
use lsmi::{FitStage, LsmiConfig, LsmiError};

use crate::input::{self, Matrix};
use crate::progress::{StatusLine, bar};
use crate::report::{self, OutputArgs};
use crate::{backend, output};

/// The features and labels that `estimate` fits on and `score` scores,
/// flattened into both.
#[derive(Debug, clap::Args)]
pub struct DataArgs {
    /// Features of modality 1: [n, d1] floats, one sample per row (.npy f4/f8 or
    /// .csv; a one-feature .npy must have shape (n, 1)).
    #[arg(long, value_name = "FILE")]
    pub x1: PathBuf,
    /// Features of modality 2: [n, d2] floats, the same samples in the same order.
    #[arg(long, value_name = "FILE")]
    pub x2: PathBuf,
    /// True class of each sample: [n] integers in 0..C (.npy of any integer dtype, or .csv).
    #[arg(long, value_name = "FILE")]
    pub labels: PathBuf,
}

impl DataArgs {
    /// `(flag, path)` of every input, for the checks of the outputs.
    pub fn flags(&self) -> [(&'static str, &Path); 3] {
        [
            ("--x1", &self.x1),
            ("--x2", &self.x2),
            ("--labels", &self.labels),
        ]
    }

    /// The file of the input the library calls `what`, if it is one of these.
    fn file(&self, what: &str) -> Option<&Path> {
        Some(match what {
            "x1" => &self.x1,
            "x2" => &self.x2,
            "labels" => &self.labels,
            _ => return None,
        })
    }

    /// `message` about the input `what`, prefixed with its file if it has one.
    pub fn in_file(&self, what: &str, message: String) -> String {
        match self.file(what) {
            Some(path) => input::file_error(path, message),
            None => message,
        }
    }

    /// A library error about one of these inputs as one line naming its file,
    /// with `label_note` after an out-of-range label; `None` for other errors.
    pub fn error(&self, err: &LsmiError, label_note: &str) -> Option<String> {
        Some(match err {
            LsmiError::LengthMismatch {
                what, reference, ..
            } => {
                let note = self
                    .file(reference)
                    .map(|p| format!(" (`{reference}` is {})", p.display()))
                    .unwrap_or_default();
                self.in_file(what, format!("{err}{note}"))
            }
            LsmiError::LabelOutOfRange { what, .. } => {
                self.in_file(what, format!("{err}{label_note}"))
            }
            LsmiError::WidthMismatch { what, .. }
            | LsmiError::Empty { what, .. }
            | LsmiError::NonFinite { what, .. }
            | LsmiError::ZeroPriorClass { what, .. } => self.in_file(what, err.to_string()),
            _ => return None,
        })
    }

    /// Reads one modality's features (`what` is `x1` or `x2`), refusing a
    /// matrix without columns.
    pub fn features(&self, what: &str) -> Result<Matrix, String> {
        let path = self.file(what).unwrap_or(&self.x1);
        let matrix = input::matrix(path, what, input::FEATURES_LAYOUT)?;
        if matrix.cols == 0 {
            return Err(input::file_error(
                path,
                format!("{what} has no features (shape ({}, 0))", matrix.rows),
            ));
        }
        Ok(matrix)
    }
}

/// Options of `lsmi estimate`.
#[derive(Debug, clap::Args)]
pub struct EstimateArgs {
    /// --x1, --x2 and --labels.
    #[command(flatten)]
    pub data: DataArgs,
    /// --classes and --preset.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Cross-fitting folds k >= 2: each sample is scored by models fitted on the
    /// other k - 1 folds (5 models per fold).
    #[arg(long, value_name = "K", default_value_t = 5)]
    pub folds: usize,
    /// Score every sample with one set of models fitted on all samples, itself
    /// included (biased upwards; for comparison only). --folds is then ignored.
    #[arg(long)]
    pub in_sample: bool,
    /// Seed of the folds and of every model.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    /// --adjust, --centered, --device, --out, --summary and --per-class.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Also save the fitted models (one set per fold, and the configuration) into
    /// this folder, for `lsmi score`. It must be new (in an existing folder), empty,
    /// or hold only a model set saved before, which is replaced; a folder holding
    /// other files is refused, before the fit. The models are saved before --out,
    /// --summary and --per-class are written.
    #[arg(long, value_name = "DIR")]
    pub save_models: Option<PathBuf>,
}

/// The classes and the models, as `estimate` and `pairwise` take them.
#[derive(Debug, clap::Args)]
pub struct ModelArgs {
    /// Number of classes C (default: the largest label + 1).
    #[arg(long, value_name = "C")]
    pub classes: Option<usize>,
    /// Hyper-parameters of the entropy models and classifiers: every model chosen
    /// by held-out loss (default), fixed models (fixed), or the LSMI authors'
    /// (reference).
    #[arg(long, value_enum, default_value_t = Preset::Default)]
    pub preset: Preset,
}

/// A set of hyper-parameters for the five models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Preset {
    /// Every model chosen by held-out loss on rows held out inside each fold's
    /// training rows: mixtures of 1 to 64 kernels (full, tied or diagonal
    /// covariance) fitted by EM; LDA, logistic regression or MLP classifiers,
    /// temperature-calibrated. The choices are listed under "models" in the
    /// summary JSON.
    Default,
    /// Fixed models whatever the data: KNIFE with K = 4 means on data rows and
    /// standardised features (Adam 1e-2, batch 512, 40 epochs); 64-64 MLP
    /// classifiers on standardised features, trained on every row without
    /// early stopping (Adam 3e-3, batch 256, 30 epochs).
    Fixed,
    /// The LSMI authors' models: KNIFE with K = 5 random kernels on raw features,
    /// 64-64 MLP classifiers on raw features, all with Adam 1e-3, batch 32, 30
    /// epochs and no early stopping (slow); still scored with cross-fitting.
    Reference,
}

impl Preset {
    /// The configuration of the preset for `classes` classes.
    pub fn config(self, classes: usize) -> LsmiConfig {
        match self {
            Preset::Default => LsmiConfig::new(classes),
            Preset::Reference => LsmiConfig::reference(classes),
            Preset::Fixed => LsmiConfig::fixed(classes),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Preset::Default => "default",
            Preset::Reference => "reference",
            Preset::Fixed => "fixed",
        }
    }
}

/// How far a fit is: for every model of every fold, the fraction of its epochs
/// done, 1 once it reports `finished` (models of several folds may be fitted at
/// once, and early stopping may end a model before its last epoch).
#[derive(Debug, Default)]
pub struct FitProgress {
    done: Vec<f64>,
}

impl FitProgress {
    /// Records `stage` and returns the fraction of all models done.
    pub fn update(&mut self, stage: &FitStage) -> f64 {
        let steps = stage.steps.max(1);
        let total = stage.folds.max(1) * steps;
        if self.done.len() != total {
            self.done = vec![0.0; total];
        }
        let within = match (stage.finished, stage.epoch.epochs) {
            (true, _) | (false, 0) => 1.0,
            (false, epochs) => (stage.epoch.epoch as f64 / epochs as f64).min(1.0),
        };
        let index = (stage.fold * steps + stage.step.min(steps - 1)).min(total - 1);
        self.done[index] = self.done[index].max(within);
        self.done.iter().sum::<f64>() / total as f64
    }
}

/// The progress line after one report, `elapsed` into the fit: a bar over all
/// models of all folds, where the fit is, then the time (see [`timing_text`]).
fn progress_text(stage: &FitStage, done: &mut FitProgress, elapsed: Duration) -> String {
    stage_text(stage, stage.model, done.update(stage), elapsed)
}

/// The progress line after one report about the model `model` (its name as
/// shown), `elapsed` into the fit with `fraction` of all models done: a bar,
/// where the fit is, then the time.
pub fn stage_text(stage: &FitStage, model: &str, fraction: f64, elapsed: Duration) -> String {
    let epoch = &stage.epoch;
    format!(
        "{}  fold {}/{} {model} epoch {}/{}  {}",
        bar(fraction, 30),
        stage.fold + 1,
        stage.folds,
        epoch.epoch,
        epoch.epochs,
        timing_text(elapsed, fraction)
    )
}

/// The time part of the progress line: `0:42 elapsed, ~1:10 left`, the time
/// left extrapolated from the `fraction` of all epochs done in `elapsed`; only
/// the elapsed time while nothing is done yet (or the fraction is not a number).
pub fn timing_text(elapsed: Duration, fraction: f64) -> String {
    let spent = clock(elapsed.as_secs_f64());
    if fraction.is_nan() || fraction <= 0.0 {
        return format!("{spent} elapsed");
    }
    let left = elapsed.as_secs_f64() * (1.0 - fraction.min(1.0)) / fraction;
    format!("{spent} elapsed, ~{} left", clock(left))
}

/// Whole seconds as `m:ss`, or `h:mm:ss` from an hour on.
fn clock(seconds: f64) -> String {
    let total = if seconds.is_finite() {
        seconds.max(0.0).round() as u64
    } else {
        0
    };
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    match h {
        0 => format!("{m}:{s:02}"),
        _ => format!("{h}:{m:02}:{s:02}"),
    }
}

/// A library error as one line, naming the flag or the file it is about.
fn library_error(err: LsmiError, args: &EstimateArgs) -> String {
    let data = &args.data;
    match &err {
        LsmiError::InvalidConfig {
            field: "folds",
            value,
            ..
        } => format!(
            "--folds {value}: cross-fitting needs at least 2 folds \
             (or --in-sample, to score every sample with models fitted on all of them)"
        ),
        LsmiError::InvalidConfig { .. } => format!("{err} (preset {})", args.model.preset.name()),
        LsmiError::TooFewClasses { num_classes } => match args.model.classes {
            Some(_) => format!("--classes {num_classes}: {err}"),
            None => data.in_file("labels", format!("{err}")),
        },
        LsmiError::TooFewRows { what: "x1", .. } => data.in_file("x1", format!("{err}; lower --folds")),
        // KNIFE's data-row initialisation, on one fold's training rows.
        LsmiError::TooFewRows {
            what: "x",
            rows,
            needed,
            ..
        } => data.in_file(
            "x1",
            format!(
                "too few rows: the entropy models of a fold are fitted on {rows} rows but need \
                 at least {needed} (one data row per kernel mean); use more samples or fewer --folds"
            ),
        ),
        _ => {
            let note = match args.model.classes {
                Some(c) => format!(" (--classes is {c})"),
                None => String::new(),
            };
            data.error(&err, &note).unwrap_or_else(|| err.to_string())
        }
    }
}

/// The number of classes: `--classes` (`classes`), or the largest label + 1
/// of `labels`, read from `path`.
pub fn num_classes(classes: Option<usize>, path: &Path, labels: &[i64]) -> Result<usize, String> {
    let error = |message: String| input::file_error(path, message);
    if let Some((index, label)) = labels.iter().enumerate().find(|&(_, &l)| l < 0) {
        return Err(error(format!(
            "labels[{index}] = {label} is negative: classes are numbered 0..C"
        )));
    }
    if let Some(classes) = classes {
        // More classes than samples leaves some without any; far more (a typo
        // such as 1000000000) would only make huge output layers.
        if classes > labels.len() {
            return Err(format!(
                "--classes {classes}: more classes than the {} samples of {}; \
                 give at most one class per sample",
                labels.len(),
                path.display()
            ));
        }
        return Ok(classes); // the library checks the labels against it
    }
    let Some((index, &largest)) = labels.iter().enumerate().max_by_key(|&(_, &l)| l) else {
        return Err(error("empty input: no samples".into()));
    };
    if largest == 0 {
        return Err(error(
            "every label is 0: at least 2 classes are needed (pass --classes if some have no samples)"
                .into(),
        ));
    }
    // A stray large label would make a huge output layer; a class count above
    // the number of samples is more likely a mistake than a data set.
    if largest as u64 >= labels.len() as u64 {
        return Err(error(format!(
            "labels[{index}] = {largest} would make {} classes for {} samples; \
             number the classes 0..C or pass --classes",
            largest as u64 + 1,
            labels.len()
        )));
    }
    Ok(largest as usize + 1)
}

/// Refuses more folds than `rows` can fill with two rows each, counting in
/// `u128` so that no fold count wraps.
fn check_folds(args: &EstimateArgs, rows: usize) -> Result<(), String> {
    let needed = 2 * args.folds as u128;
    if args.in_sample || rows as u128 >= needed {
        return Ok(());
    }
    Err(input::file_error(
        &args.data.x1,
        format!(
            "--folds {}: too few rows: x1 has {rows} rows but {needed} are needed \
             (two rows per cross-fitting fold); lower --folds",
            args.folds
        ),
    ))
}

/// Runs `lsmi estimate` and returns what it prints: the means and the fit time.
pub fn run(args: &EstimateArgs) -> Result<String, String> {
    let inputs = args.data.flags();
    args.output.check(&inputs)?;
    if let Some(dir) = &args.save_models {
        let outputs = args.output.flags();
        let others: Vec<_> = inputs.iter().chain(&outputs).copied().collect();
        output::check_model_folder("--save-models", dir, &others)?;
    }
    let device = backend::device(args.output.device)?;
    let x1 = args.data.features("x1")?;
    check_folds(args, x1.rows)?;
    let x2 = args.data.features("x2")?;
    let labels = input::labels(&args.data.labels)?;
    let classes = num_classes(args.model.classes, &args.data.labels, &labels)?;
    let mut config = args.model.preset.config(classes);
    config.folds = args.folds;
    config.in_sample = args.in_sample;
    config.seed = args.seed;
    config.centered = args.output.centering.centered;
    let lib = |err| library_error(err, args);

    let mut progress = StatusLine::new();
    let mut done = FitProgress::default();
    let start = Instant::now();
    let fitted = config.fit_with_progress(
        x1.into_tensor(&device),
        x2.into_tensor(&device),
        input::labels_tensor(&labels, &device),
        &mut |stage: &FitStage| progress.draw(&progress_text(stage, &mut done, start.elapsed())),
    );
    if fitted.is_ok() {
        let sets = if args.in_sample { 1 } else { args.folds };
        let models = sets * 5;
        progress.draw(&format!("{}  {models} models fitted", bar(1.0, 30)));
    }
    progress.finish();
    let fitted = fitted.map_err(lib)?;

    let scoring = if args.in_sample {
        "in-sample (models fitted on all samples)".to_string()
    } else {
        format!("{} folds, cross-fitted", args.folds)
    };
    let mut lines = vec![
        format!("classes     {classes}"),
        format!("scoring     {scoring}"),
        format!("preset      {}", args.model.preset.name()),
        format!("fit time    {:.2} s", fitted.wall_time().as_secs_f64()),
    ];
    if let Some(dir) = &args.save_models {
        lines.push(format!("models      saved in {}", dir.display()));
    }
    let save_models = || match &args.save_models {
        Some(dir) => fitted
            .save(dir)
            .map_err(|err| format!("--save-models {}: {err}", dir.display())),
        None => Ok(()),
    };
    let centring = report::Centring {
        centered: config.centered,
        means: fitted.models().surprisal_means(),
    };
    report::finish(
        fitted.interactions(),
        centring,
        labels,
        classes,
        &args.output,
        fitted.models().descriptions(),
        lib,
        save_models,
        &lines,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsmi::EpochProgress;

    fn stage(
        fold: usize,
        folds: usize,
        model: &'static str,
        epoch: usize,
        epochs: usize,
    ) -> FitStage {
        let step = [
            "knife1",
            "knife2",
            "classifier1",
            "classifier2",
            "classifier12",
        ]
        .iter()
        .position(|&m| m == model)
        .unwrap();
        FitStage {
            fold,
            folds,
            model,
            step,
            steps: 5,
            epoch: EpochProgress {
                epoch,
                epochs,
                train_loss: 0.5,
                holdout_loss: None,
                learning_rate: 1e-3,
            },
            finished: false,
        }
    }

    /// The reports of every model before `(fold, model)` (each finished,
    /// some early), then `epoch` of `epochs` of that model.
    fn run_to(
        folds: usize,
        fold: usize,
        model: &'static str,
        epoch: usize,
        epochs: usize,
    ) -> FitProgress {
        let names = [
            "knife1",
            "knife2",
            "classifier1",
            "classifier2",
            "classifier12",
        ];
        let mut done = FitProgress::default();
        let target = stage(fold, folds, model, epoch, epochs);
        for f in 0..folds {
            for name in names {
                let mut early = stage(f, folds, name, 3, epochs);
                if (f, early.step) >= (fold, target.step) {
                    return done;
                }
                done.update(&early);
                early.finished = true;
                done.update(&early);
            }
        }
        done
    }

    #[test]
    fn progress_counts_every_model_of_every_fold() {
        let secs = Duration::from_secs;
        // Fold 3 of 5 (index 2): 10 models done, then 4 and 7/30 of the fifth.
        let mut done = run_to(5, 2, "classifier12", 7, 30);
        let text = progress_text(&stage(2, 5, "classifier12", 7, 30), &mut done, secs(42));
        let fraction = (2.0 * 5.0 + 4.0 + 7.0 / 30.0) / 25.0;
        assert!(text.starts_with(&bar(fraction, 30)), "{text}");
        assert!(text.contains(" 56%"), "{text}");
        assert!(
            text.contains("  fold 3/5 classifier12 epoch 7/30  0:42 elapsed, ~"),
            "{text}"
        );
        assert!(text.ends_with(&timing_text(secs(42), fraction)), "{text}");
        let mut fresh = FitProgress::default();
        let first = progress_text(&stage(0, 3, "knife1", 1, 40), &mut fresh, secs(1));
        assert!(
            first.contains("   0%") && first.contains("fold 1/3 knife1"),
            "{first}"
        );
        // Every model finished, the last one early: 100 %.
        let mut all = run_to(3, 2, "classifier12", 1, 30);
        let mut end = stage(2, 3, "classifier12", 21, 30);
        end.finished = true;
        let last = progress_text(&end, &mut all, secs(75));
        assert!(last.contains("100%"), "{last}");
        assert!(last.ends_with("1:15 elapsed, ~0:00 left"), "{last}");
        // Reports of two folds interleaved (two threads): each counts for its own model.
        let mut both = FitProgress::default();
        both.update(&stage(0, 2, "knife1", 20, 40));
        let fraction = both.update(&stage(1, 2, "knife1", 10, 40));
        assert!((fraction - (0.5 + 0.25) / 10.0).abs() < 1e-12, "{fraction}");
        // In-sample: one set of models.
        let mut single = FitProgress::default();
        let one = progress_text(&stage(0, 1, "classifier1", 15, 30), &mut single, secs(10));
        assert!(one.contains("fold 1/1") && one.contains("  10%"), "{one}");
    }

    #[test]
    fn timing_extrapolates_from_the_fraction_done() {
        let secs = Duration::from_secs;
        assert_eq!(timing_text(secs(42), 0.375), "0:42 elapsed, ~1:10 left");
        assert_eq!(timing_text(secs(30), 0.5), "0:30 elapsed, ~0:30 left");
        assert_eq!(timing_text(secs(90), 1.0), "1:30 elapsed, ~0:00 left");
        assert_eq!(
            timing_text(secs(1800), 0.25),
            "30:00 elapsed, ~1:30:00 left"
        );
        assert_eq!(
            timing_text(Duration::from_millis(4_600), 0.1),
            "0:05 elapsed, ~0:41 left"
        );
        // Nothing done yet: no estimate.
        assert_eq!(timing_text(secs(3), 0.0), "0:03 elapsed");
        assert_eq!(timing_text(secs(3), f64::NAN), "0:03 elapsed");
        assert_eq!(timing_text(secs(3725), 0.0), "1:02:05 elapsed");
    }
}
