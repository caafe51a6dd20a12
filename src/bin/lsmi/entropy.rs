//! `lsmi entropy`: fit a KNIFE density model to one modality's features and
//! write `h(x) = −ln p(x)` of every row.

use std::path::PathBuf;

use clap::ValueEnum;
use lsmi::{Entropy, EpochProgress, KnifeConfig, LsmiError};

use crate::backend::{self, DeviceName};
use crate::input;
use crate::output::{check_outputs, csv_number, write_all};
use crate::progress::StatusLine;
use crate::table::fixed;

/// Options of `lsmi entropy`.
#[derive(Debug, clap::Args)]
pub struct EntropyArgs {
    /// Features of one modality: [n, d] floats, one sample per row (.npy f4/f8 or
    /// .csv; a one-feature .npy must have shape (n, 1)).
    #[arg(long, value_name = "FILE")]
    pub x: PathBuf,
    /// Number of mixture components K (default: the preset's, 4 or 5).
    #[arg(long, value_name = "K")]
    pub kernels: Option<usize>,
    /// Passes over the data (default: the preset's, 40 or 30).
    #[arg(long, value_name = "E")]
    pub epochs: Option<usize>,
    /// Hyper-parameters: this crate's defaults, or the KNIFE authors' run.
    #[arg(long, value_enum, default_value_t = Preset::Default)]
    pub preset: Preset,
    /// Seed of the initialisation and of the minibatch shuffles.
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Backend to compute on, if compiled in: flex, ndarray or wgpu (default: the
    /// first CPU backend compiled in, flex if present).
    #[arg(long, value_enum)]
    pub device: Option<DeviceName>,
    /// Where to write h(x) of every row (CSV with the header `h`, in nats).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// A starting set of KNIFE hyper-parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Preset {
    /// The authors' run: K = 5, random initialisation, tanh bound, no
    /// standardisation, Adam 1e-3, batch 32, 30 epochs.
    Reference,
    /// This crate's defaults: K = 4, means on data rows, standardised features,
    /// Adam 1e-2, batch 512, 40 epochs.
    Default,
}

impl Preset {
    fn name(self) -> &'static str {
        match self {
            Preset::Reference => "reference",
            Preset::Default => "default",
        }
    }
}

fn config(args: &EntropyArgs, dim: usize) -> KnifeConfig {
    let mut config = match args.preset {
        Preset::Reference => KnifeConfig::reference(dim),
        Preset::Default => KnifeConfig::new(dim),
    };
    if let Some(kernels) = args.kernels {
        config.kernels = kernels;
    }
    if let Some(epochs) = args.epochs {
        config.fit.epochs = epochs;
    }
    if let Some(seed) = args.seed {
        config.fit.seed = seed;
    }
    config
}

/// A library error as one line, naming the flag or the file it is about.
fn library_error(err: LsmiError, args: &EntropyArgs) -> String {
    match &err {
        LsmiError::InvalidConfig {
            field,
            value,
            reason,
        } => match *field {
            "kernels" | "epochs" | "seed" => format!("--{field} {value}: {reason}"),
            _ => format!("{err} (preset {})", args.preset.name()),
        },
        LsmiError::TooFewRows { .. } => {
            input::file_error(&args.x, format!("{err}; lower --kernels"))
        }
        LsmiError::Backend(_) | LsmiError::Record(_) => err.to_string(),
        _ => input::file_error(&args.x, err),
    }
}

/// The text of the progress line after one epoch.
fn progress_text(p: &EpochProgress) -> String {
    let holdout = p
        .holdout_loss
        .map_or(String::new(), |h| format!("  held-out {h:.4}"));
    format!(
        "epoch {}/{}  loss {:.4}{holdout}",
        p.epoch, p.epochs, p.train_loss
    )
}

/// Runs `lsmi entropy` and returns what it prints: H and how the fit went.
pub fn run(args: &EntropyArgs) -> Result<String, String> {
    check_outputs(&[("--out", &args.out)], &[("--x", &args.x)])?;
    let device = backend::device(args.device)?;
    let features = input::matrix(&args.x, "x", input::FEATURES_LAYOUT)?;
    let (rows, cols) = (features.rows, features.cols);
    let config = config(args, cols);
    let lib = |err| library_error(err, args);
    config.validate().map_err(lib)?;
    if rows < config.kernels {
        return Err(input::file_error(
            &args.x,
            format!(
                "x has {rows} rows but --kernels is {}: KNIFE needs at least one row per kernel; lower --kernels",
                config.kernels
            ),
        ));
    }

    let x = features.into_tensor(&device);
    let mut progress = StatusLine::new();
    let fitted = config.fit_with_progress(x.clone(), &mut |p: &EpochProgress| {
        progress.draw(&progress_text(p));
    });
    progress.finish();
    let (model, report) = fitted.map_err(lib)?;
    let h = model
        .pointwise_entropy(x)
        .map_err(lib)?
        .try_into_vec_as::<f32>()
        .map_err(|e| format!("backend error: cannot read h back: {e}"))?;
    if let Some((row, value)) = h.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(input::file_error(
            &args.x,
            format!(
                "the fitted model gives h = {value} for row {row}; try more --epochs or another --seed"
            ),
        ));
    }

    let mut text = String::with_capacity(h.len() * 12 + 2);
    text.push_str("h\n");
    for &value in &h {
        text.push_str(&csv_number(value));
        text.push('\n');
    }
    write_all(&[(&args.out, text)])?;

    let mean = h.iter().map(|&v| f64::from(v)).sum::<f64>() / h.len() as f64;
    let lines = [
        format!("H = {} nats", fixed(mean)),
        format!("n           {rows}"),
        format!("d           {cols}"),
        format!("K           {}", config.kernels),
        format!("preset      {}", args.preset.name()),
        format!("epochs run  {} of {}", report.epochs_run, config.fit.epochs),
        format!(
            "final loss  {} nats (mean training -ln p)",
            fixed(report.final_train_loss())
        ),
        format!("fit time    {:.2} s", report.wall_time.as_secs_f64()),
    ];
    Ok(lines.join("\n") + "\n")
}
