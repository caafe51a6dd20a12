//! `lsmi score`: per-sample LSMI of new rows from models saved by `lsmi estimate
//! --save-models`, written in the same form as `estimate`.

use std::path::PathBuf;

use lsmi::{Decomposer, Lsmi, LsmiError, LsmiModels};

use crate::backend;
use crate::estimate::DataArgs;
use crate::input;
use crate::report::{self, OutputArgs};

/// Options of `lsmi score`.
#[derive(Debug, clap::Args)]
pub struct ScoreArgs {
    /// The folder of models saved by `lsmi estimate --save-models`.
    #[arg(long, value_name = "DIR")]
    pub models: PathBuf,
    /// --x1, --x2 and --labels.
    #[command(flatten)]
    pub data: DataArgs,
    /// --adjust, --centered, --device, --out, --summary and --per-class.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// A library error as one line, naming the file (or the models) it is about.
fn library_error(err: LsmiError, args: &ScoreArgs, models: &LsmiModels) -> String {
    let dir = args.models.display();
    let note = match &err {
        LsmiError::LabelOutOfRange { .. } => format!(
            " (the models in {dir} were fitted on {} classes)",
            models.config().num_classes
        ),
        _ => String::new(),
    };
    match &err {
        LsmiError::ZeroPriorClass { what, .. } => args.data.in_file(
            what,
            format!(
                "{err} (no sample of that class was among those the models in {dir} were fitted on)"
            ),
        ),
        _ => args
            .data
            .error(&err, &note)
            .unwrap_or_else(|| err.to_string()),
    }
}

/// Runs `lsmi score` and returns what it prints: the means and where the models
/// came from.
pub fn run(args: &ScoreArgs) -> Result<String, String> {
    let mut inputs = args.data.flags().to_vec();
    inputs.push(("--models", &args.models));
    args.output.check(&inputs)?;
    let device = backend::device(args.output.device)?;
    let dir = &args.models;
    let models = LsmiModels::load(dir, &device)
        .map_err(|err| format!("--models {}: {err}", dir.display()))?;
    let lib = |err| library_error(err, args, &models);

    // Widths first, each as soon as its file is read.
    let (d1, d2) = models.feature_counts();
    let read = |what: &'static str, expected: usize| {
        let matrix = args.data.features(what)?;
        if matrix.cols != expected {
            return Err(args.data.in_file(
                what,
                format!(
                    "{what} has {} feature{} but the models in {} were fitted on {expected}",
                    matrix.cols,
                    if matrix.cols == 1 { "" } else { "s" },
                    dir.display()
                ),
            ));
        }
        Ok(matrix.into_tensor(&device))
    };
    let x1 = read("x1", d1)?;
    let x2 = read("x2", d2)?;
    let labels = input::labels(&args.data.labels)?;
    let terms = models
        .terms(x1, x2, input::labels_tensor(&labels, &device))
        .map_err(lib)?;
    // Centred on the training rows' means, as `LsmiModels::transform` does for
    // models fitted centred; `--centered` asks for it with any models.
    let centered = args.output.centering.centered || models.config().centered;
    let means = models.surprisal_means();
    let terms = match (centered, means) {
        (false, _) => terms,
        (true, Some(means)) => terms.centered(means).map_err(lib)?,
        (true, None) => {
            return Err(format!(
                "--centered: the models in {} were saved by an earlier version of lsmi, \
                 without the mean surprisals of their training rows; refit them with \
                 lsmi estimate --save-models",
                dir.display()
            ));
        }
    };
    let raw = Lsmi.decompose(terms).map_err(lib)?;
    let centring = report::Centring { centered, means };

    let lines = [
        format!("classes     {}", models.config().num_classes),
        format!(
            "scoring     mixture of {} saved model sets",
            models.num_sets()
        ),
        format!("models      {}", dir.display()),
    ];
    let classes = models.config().num_classes;
    report::finish(
        &raw,
        centring,
        labels,
        classes,
        &args.output,
        models.descriptions(),
        lib,
        || Ok(()),
        &lines,
    )
}
