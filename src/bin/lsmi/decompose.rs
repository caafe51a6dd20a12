//! `lsmi decompose`: per-sample LSMI from labels, three classifiers' logits and
//! two entropy columns.

use std::path::{Path, PathBuf};

use clap::ValueEnum;
use lsmi::burn::tensor::{Device, Tensor, TensorData};
use lsmi::{Decomposer, LabelPrior, LogitPmi, Lsmi, LsmiError, PointwiseTerms};

use crate::backend;
use crate::input::{self, Matrix};
use crate::report::{Centring, OutputArgs, Results};

/// Options of `lsmi decompose`.
#[derive(Debug, clap::Args)]
pub struct DecomposeArgs {
    /// True class of each sample: [n] integers in 0..C (.npy of any integer dtype, or .csv).
    #[arg(long, value_name = "FILE")]
    pub labels: PathBuf,
    /// Logits of the classifier on modality 1, for p(y|x1): [n, C] floats.
    #[arg(long, value_name = "FILE")]
    pub logits1: PathBuf,
    /// Logits of the classifier on modality 2, for p(y|x2): [n, C] floats.
    #[arg(long, value_name = "FILE")]
    pub logits2: PathBuf,
    /// Logits of the classifier on both modalities, for p(y|x1,x2): [n, C] floats.
    #[arg(long, value_name = "FILE")]
    pub logits12: PathBuf,
    /// h(x1) = -ln p(x1) of each sample, in nats: [n] floats (e.g. from KNIFE).
    #[arg(long, value_name = "FILE")]
    pub h1: PathBuf,
    /// h(x2) = -ln p(x2) of each sample, in nats: [n] floats.
    #[arg(long, value_name = "FILE")]
    pub h2: PathBuf,
    /// Label prior p(y) used for h(y): the label frequencies of --labels, or 1/C.
    #[arg(long, value_enum, default_value_t = Prior::Empirical)]
    pub prior: Prior,
    /// --adjust, --centered, --device, --out, --summary and --per-class.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The label prior.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Prior {
    /// p(y) = frequency of y among the labels.
    Empirical,
    /// p(y) = 1/C.
    Uniform,
}

/// Prefixes a library error with the file its input came from.
fn library_error(err: LsmiError, args: &DecomposeArgs) -> String {
    let file = |what: &str| -> Option<&Path> {
        Some(match what {
            "labels" => &args.labels,
            "logits1" => &args.logits1,
            "logits2" => &args.logits2,
            "logits12" => &args.logits12,
            "h1" => &args.h1,
            "h2" => &args.h2,
            _ => return None,
        })
    };
    let (what, note) = match &err {
        LsmiError::LengthMismatch {
            what, reference, ..
        } => (
            Some(*what),
            file(reference).map(|p| format!(" (`{reference}` is {})", p.display())),
        ),
        LsmiError::LabelOutOfRange { what, .. } => (
            Some(*what),
            Some(format!(
                " (the number of classes is the width of the logits in {})",
                args.logits1.display()
            )),
        ),
        LsmiError::WidthMismatch { what, .. }
        | LsmiError::Empty { what, .. }
        | LsmiError::NonFinite { what, .. }
        | LsmiError::ZeroPriorClass { what, .. } => (Some(*what), None),
        // i(x;y) out of range names the logits it came from.
        LsmiError::OutOfRange {
            what,
            computed_from,
            ..
        } => (Some(computed_from.unwrap_or(what)), None),
        // The number of classes is the width of logits1.
        LsmiError::TooFewClasses { .. } => (Some("logits1"), None),
        _ => (None, None),
    };
    let note = note.unwrap_or_default();
    match what.and_then(file) {
        Some(path) => input::file_error(path, format!("{err}{note}")),
        None => format!("{err}{note}"),
    }
}

/// The six inputs of `decompose` as read from their files, before the
/// library's checks.
pub struct Inputs {
    pub labels: Vec<i64>,
    pub logits1: Matrix,
    pub logits2: Matrix,
    pub logits12: Matrix,
    pub h1: Vec<f32>,
    pub h2: Vec<f32>,
}

impl Inputs {
    /// Reads the files named in `args`.
    fn load(args: &DecomposeArgs) -> Result<Self, String> {
        Ok(Self {
            labels: input::labels(&args.labels)?,
            logits1: input::matrix(&args.logits1, "logits1", input::LOGITS_LAYOUT)?,
            logits2: input::matrix(&args.logits2, "logits2", input::LOGITS_LAYOUT)?,
            logits12: input::matrix(&args.logits12, "logits12", input::LOGITS_LAYOUT)?,
            h1: input::vector(&args.h1, "h1")?,
            h2: input::vector(&args.h2, "h2")?,
        })
    }
}

fn compute(args: &DecomposeArgs) -> Result<Results, String> {
    let device = backend::device(args.output.device)?;
    compute_from(args, Inputs::load(args)?, &device)
}

/// Checks `inputs` and decomposes them on `device`; `args` gives the prior,
/// `--adjust` and the file names for messages.
pub fn compute_from(
    args: &DecomposeArgs,
    inputs: Inputs,
    device: &Device,
) -> Result<Results, String> {
    let Inputs {
        labels,
        logits1,
        logits2,
        logits12,
        h1,
        h2,
    } = inputs;
    let lib = |err| library_error(err, args);

    let num_classes = logits1.cols;
    let prior = match args.prior {
        Prior::Empirical => LabelPrior::Empirical,
        Prior::Uniform => LabelPrior::Uniform,
    }
    .resolve(&labels, num_classes)
    .map_err(lib)?;
    let pmi = LogitPmi::new(prior);

    let matrix = |m: Matrix| m.into_tensor(device);
    let vector = |v: Vec<f32>| {
        let n = v.len();
        Tensor::<1>::from_data(TensorData::new(v, [n]), device)
    };
    let label_tensor = input::labels_tensor(&labels, device);
    let terms = PointwiseTerms::from_logits(
        vector(h1),
        vector(h2),
        matrix(logits1),
        matrix(logits2),
        matrix(logits12),
        label_tensor,
        &pmi,
    )
    .map_err(lib)?;
    let means = terms.surprisal_means().map_err(lib)?;
    let centered = args.output.centering.centered;
    let terms = match centered {
        true => terms.centered(means).map_err(lib)?,
        false => terms,
    };
    let raw = Lsmi.decompose(terms).map_err(lib)?;
    let centring = Centring {
        centered,
        means: Some(means),
    };
    Results::new(&raw, labels, num_classes, &args.output, centring).map_err(lib)
}

/// Runs `lsmi decompose` and returns what it prints: the means, as a table.
pub fn run(args: &DecomposeArgs) -> Result<String, String> {
    args.output.check(&[
        ("--labels", &args.labels),
        ("--logits1", &args.logits1),
        ("--logits2", &args.logits2),
        ("--logits12", &args.logits12),
        ("--h1", &args.h1),
        ("--h2", &args.h2),
    ])?;
    let results = compute(args)?;
    results.write(&args.output)?;
    results.warn();
    Ok(results.means_table())
}
