//! Throughput of the whole estimator (fit + decompose) on one backend, with a
//! baseline backend at a smaller size measured in the same run. `benches/gpu.sh`
//! runs it at n = 1 000 000, d = 256, K = 32, C = 100 on wgpu against ndarray.
//!
//! ```text
//! cargo run --release --features wgpu,ndarray --example gpu_bench -- \
//!     --device wgpu --n 1000000 --dim 256 --kernels 32 --classes 100 \
//!     --baseline-device ndarray --baseline-n 5000
//! ```
//!
//! Options (defaults in brackets): `--device` [wgpu], `--n` [1000000], `--dim`
//! [256] per modality, `--kernels` [32], `--classes` [100], `--folds` [5; 1 scores
//! in-sample], `--batch` [the crate's defaults: 512 KNIFE, 256 classifiers],
//! `--epochs` [the defaults: 40 KNIFE, 30 classifiers], `--baseline-device`
//! [ndarray; `none` skips it], `--baseline-n` [5000], `--seed` [0].
//!
//! Each backend first fits up to 1 000 rows untimed (one epoch), so the timed run
//! does not include one-off costs such as wgpu's kernel compilation.
//!
//! Data: the Gaussian family of the authors' demo generator with `C` classes,
//! one-hot class means, `σ = 1`, `ρ = 0.5`. Timed: `LsmiConfig::fit` (two KNIFE models, three
//! classifiers per fold, scoring and decomposition of every row) and reading the
//! summary back; then `transform` of the same rows (scoring with the fitted
//! models and decomposing). Data generation and the upload are not timed.

use std::collections::BTreeMap;
use std::time::Instant;

use lsmi::burn::tensor::{Device, Int, Tensor, TensorData};
use lsmi::synthetic::{ClassMeans, GaussianFamily};
use lsmi::{FitStage, LsmiConfig};

/// One benchmark run's settings.
#[derive(Clone)]
struct Run {
    device: String,
    n: usize,
    dim: usize,
    kernels: usize,
    classes: usize,
    folds: usize,
    batch: Option<usize>,
    epochs: Option<usize>,
    seed: u64,
}

/// What one run measured.
struct Timing {
    fit_s: f64,
    transform_s: f64,
    by_model: BTreeMap<&'static str, f64>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args(std::env::args().skip(1).collect());
    let run = Run {
        device: args.text("--device", "wgpu"),
        n: args.number("--n", 1_000_000)?,
        dim: args.number("--dim", 256)?,
        kernels: args.number("--kernels", 32)?,
        classes: args.number("--classes", 100)?,
        folds: args.number("--folds", 5)?,
        batch: args.optional("--batch")?,
        epochs: args.optional("--epochs")?,
        seed: args.number("--seed", 0)?,
    };
    let baseline = match args.text("--baseline-device", "ndarray").as_str() {
        "none" => None,
        device => Some(Run {
            device: device.to_string(),
            n: args.number("--baseline-n", 5_000)?,
            ..run.clone()
        }),
    };

    println!(
        "d = {}, K = {}, C = {}, {}",
        run.dim,
        run.kernels,
        run.classes,
        match run.folds {
            1 => "scored in-sample (one model set)".to_string(),
            k => format!("{k}-fold cross-fitting"),
        }
    );
    println!();
    println!(
        "| backend | n | fit + decompose | samples/s | transform | samples/s | KNIFE | classifiers |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut rows = Vec::new();
    for run in std::iter::once(&run).chain(&baseline) {
        warm_up(run)?;
        rows.push((run, measure(run)?));
    }
    for (run, t) in &rows {
        // A kind of model with no progress report has no timing: say so, not 0.0 s.
        let model_time = |kind: &str| match t.by_model.get(kind) {
            Some(seconds) => format!("{seconds:.1} s"),
            None => "not measured".to_string(),
        };
        println!(
            "| {} | {} | {:.1} s | {:.0} | {:.2} s | {:.0} | {} | {} |",
            run.device,
            run.n,
            t.fit_s,
            run.n as f64 / t.fit_s,
            t.transform_s,
            run.n as f64 / t.transform_s,
            model_time("knife"),
            model_time("classifier"),
        );
    }
    if let [(a, ta), (b, tb)] = rows.as_slice() {
        println!();
        println!(
            "fit + decompose throughput, {} / {}: {:.3}×",
            a.device,
            b.device,
            (a.n as f64 / ta.fit_s) / (b.n as f64 / tb.fit_s)
        );
    }
    Ok(())
}

/// One untimed fit of up to 1 000 rows, so that the timed run does not pay
/// the backend's one-off costs (wgpu compiles its kernels at first use).
fn warm_up(run: &Run) -> Result<(), Box<dyn std::error::Error>> {
    let small = Run {
        n: run.n.min(1_000),
        epochs: Some(1),
        ..run.clone()
    };
    let start = Instant::now();
    measure(&small)?;
    eprintln!(
        "{}: warm-up fit of {} rows took {:.1} s (not counted)",
        run.device,
        small.n,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn measure(run: &Run) -> Result<Timing, Box<dyn std::error::Error>> {
    let device: Device = lsmi::device(&run.device)?;
    let started = Instant::now();
    let family = GaussianFamily::new(run.classes, run.dim, 1.0, 0.5, ClassMeans::OneHot);
    let (x1, x2, labels) = family.sample_features(run.n, run.seed + 1)?;
    let (x1, x2) = (x1.tensor(&device), x2.tensor(&device));
    let labels = Tensor::<1, Int>::from_data(TensorData::new(labels, [run.n]), &device);
    device.sync()?;
    eprintln!(
        "{}: {} rows generated and uploaded in {:.1} s",
        run.device,
        run.n,
        started.elapsed().as_secs_f64()
    );

    let mut config = LsmiConfig::new(run.classes).with_seed(run.seed);
    config.knife.kernels = run.kernels;
    match run.folds {
        1 => config.in_sample = true,
        k => config.folds = k,
    }
    for fit in [&mut config.knife.fit, &mut config.classifier.fit] {
        if let Some(batch) = run.batch {
            fit.batch_size = batch;
        }
        if let Some(epochs) = run.epochs {
            fit.epochs = epochs;
        }
    }

    // Time per kind of model, from the gaps between progress reports (each
    // report reads the epoch's loss back, so the device has finished the epoch).
    let mut by_model: BTreeMap<&'static str, f64> = BTreeMap::new();
    let mut last = Instant::now();
    let start = last;
    let mut on_progress = |stage: &FitStage| {
        let now = Instant::now();
        let kind = match stage.model.starts_with("knife") {
            true => "knife",
            false => "classifier",
        };
        *by_model.entry(kind).or_default() += (now - last).as_secs_f64();
        last = now;
        if stage.epoch.epoch == stage.epoch.epochs {
            eprintln!(
                "{}: fold {}/{} {} done at {:.1} s",
                run.device,
                stage.fold + 1,
                stage.folds,
                stage.model,
                start.elapsed().as_secs_f64()
            );
        }
    };
    let fitted =
        config.fit_with_progress(x1.clone(), x2.clone(), labels.clone(), &mut on_progress)?;
    let summary = fitted.interactions().summary()?;
    let fit_s = start.elapsed().as_secs_f64();
    eprintln!(
        "{}: R {:.4}, U1 {:.4}, U2 {:.4}, S {:.4} nats",
        run.device, summary.r, summary.u1, summary.u2, summary.s
    );

    let start = Instant::now();
    fitted.transform(x1, x2, labels)?.summary()?;
    let transform_s = start.elapsed().as_secs_f64();
    Ok(Timing {
        fit_s,
        transform_s,
        by_model,
    })
}

/// `--name value` pairs from the command line.
struct Args(Vec<String>);

impl Args {
    fn value(&self, name: &str) -> Option<&str> {
        let at = self.0.iter().position(|a| a == name)?;
        self.0.get(at + 1).map(String::as_str)
    }

    fn text(&self, name: &str, default: &str) -> String {
        self.value(name).unwrap_or(default).to_string()
    }

    fn optional<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, String> {
        self.value(name)
            .map(|v| {
                v.parse()
                    .map_err(|_| format!("{name} takes a number, not `{v}`"))
            })
            .transpose()
    }

    fn number<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        Ok(self.optional(name)?.unwrap_or(default))
    }
}
