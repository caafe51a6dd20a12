//! LSMI inside a training loop: one optimiser step of the two entropy models
//! per minibatch, the batch's interactions back as device tensors, and running
//! summaries of fixed size; saved and restored with the training run
//! ([`OnlineLsmi::save`], [`OnlineLsmi::load`]).

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::Path;

use burn::config::Config;
use burn::module::{Module, Param};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Int, Tensor};

use crate::check;
use crate::decompose::{Decomposer, Lsmi};
use crate::entropy::{Entropy, Knife, KnifeConfig};
use crate::error::{LsmiError, Result};
use crate::pmi::{ClassPrior, pmi_from_logits};
use crate::pointwise::{self, Interactions, PointwiseTerms};
use crate::summary::{ClassSummary, Summary};

/// Settings of [`OnlineLsmi`].
#[derive(Config, Debug)]
pub struct OnlineConfig {
    /// Number of classes `C`.
    pub num_classes: usize,
    /// The entropy model of each modality (`dim` is taken from the first batch;
    /// its `fit` settings are not used: one Adam step per batch at `learning_rate`).
    #[config(default = "KnifeConfig::new(1)")]
    pub knife: KnifeConfig,
    /// Adam's learning rate for the entropy models.
    #[config(default = 1e-3)]
    pub learning_rate: f64,
    /// Decay of the exponential moving averages (per batch).
    #[config(default = 0.99)]
    pub ema_decay: f64,
    /// A fixed prior `p(y)`; without one, the prior is the label frequencies seen
    /// so far, Laplace-smoothed (`(count + 1) / (seen + C)`) so a class not seen
    /// yet has a finite `h(y)`.
    #[config(default = "None")]
    pub fixed_prior: Option<Vec<f64>>,
    /// Whether [`OnlineLsmi::step`] checks values before it changes any state:
    /// features and logits finite, labels in `0..C`. This costs one small host
    /// read per batch (a single boolean from one device-side reduction). With
    /// `false` the step never synchronises, and bad values go unnoticed: NaN
    /// features give NaN interactions and leave the entropy models NaN for
    /// every later batch, and a label outside `0..C` counts for no class.
    #[config(default = true)]
    pub check_values: bool,
}

/// Eleven running columns: the nine of [`Summary::COLUMNS`], in that order,
/// then the same-minimum indicators of modality 1 and 2 (1 where that modality
/// attains both minima of eq. 5).
const COLUMNS: usize = 11;

/// Online LSMI: entropy models and running summaries on the caller's device.
///
/// Per batch, [`step`](Self::step) does one Adam step on each KNIFE model and
/// returns the batch's [`Interactions`]; it reads one boolean back to the host
/// to check the batch's values, and nothing at all with
/// [`OnlineConfig::check_values`] off. Summaries are read only when asked for. The state has a fixed size:
/// it does not grow with the number of batches.
pub struct OnlineLsmi {
    /// The configuration it was built with (`knife.dim` as given, not the batch's).
    config: OnlineConfig,
    knife1: Knife,
    knife2: Knife,
    optimizer1: ModuleOptimizer,
    optimizer2: ModuleOptimizer,
    learning_rate: f64,
    ema_decay: f64,
    num_classes: usize,
    fixed_surprisal: Option<Tensor<1>>,
    /// `[C]` label counts seen.
    class_counts: Tensor<1>,
    /// `[C, 11]` per-class sums of the running columns (see [`COLUMNS`]).
    class_sums: Tensor<2>,
    /// `[1, 11]` exponential moving average of batch means.
    ema: Option<Tensor<2>>,
    batches: usize,
    samples: usize,
    dims: (usize, usize),
    check_values: bool,
}

impl OnlineConfig {
    /// Checks every field once, up front.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::TooFewClasses`] if `num_classes < 2`.
    /// * [`LsmiError::TooManyClasses`] if `num_classes >`
    ///   [`MAX_CLASSES`](crate::MAX_CLASSES).
    /// * [`LsmiError::InvalidConfig`] if `learning_rate` is not a positive finite number,
    ///   `ema_decay` lies outside `[0, 1)`, or a field of `knife` is out of range (see
    ///   [`KnifeConfig::validate`]).
    /// * [`LsmiError::LengthMismatch`] if `fixed_prior` has not `num_classes` entries.
    /// * [`LsmiError::PriorNotProbability`] if an entry of `fixed_prior` is negative or not
    ///   finite.
    /// * [`LsmiError::PriorSum`] if `fixed_prior` does not sum to 1 within 1e-6.
    pub fn validate(&self) -> Result<()> {
        check::num_classes(self.num_classes)?;
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return LsmiError::invalid_config(
                "learning_rate",
                self.learning_rate,
                "must be a positive number",
            );
        }
        if !(0.0..1.0).contains(&self.ema_decay) {
            return LsmiError::invalid_config("ema_decay", self.ema_decay, "must lie in [0, 1)");
        }
        if let Some(prior) = &self.fixed_prior {
            check::same_length("fixed_prior", prior.len(), "num_classes", self.num_classes)?;
            ClassPrior::new(prior.clone())?;
        }
        self.knife.validate()
    }

    /// The online estimator, with entropy models initialised from a first batch
    /// (`x1: [b, d1]`, `x2: [b, d2]`: standardisation and kernel means). Training
    /// happens on the autodiff twin of their device.
    ///
    /// # Errors
    ///
    /// * The errors of [`validate`](Self::validate).
    /// * [`LsmiError::InvalidConfig`] if `x1` or `x2` has no features (KNIFE's `dim`).
    /// * [`LsmiError::Empty`] if `x1` or `x2` has no rows.
    /// * [`LsmiError::NonFinite`] if `x1` or `x2` holds NaN or ±∞.
    /// * [`LsmiError::TooFewRows`] if `x1` or `x2` has fewer rows than `knife.kernels` with
    ///   [`MeanInit::DataRows`](crate::MeanInit::DataRows).
    /// * [`LsmiError::Backend`] if the backend fails to read a tensor back.
    pub fn init(&self, x1: &Tensor<2>, x2: &Tensor<2>) -> Result<OnlineLsmi> {
        self.validate()?;
        let knife = |x: &Tensor<2>, seed: u64| {
            let mut config = self.knife.clone();
            config.dim = x.dims()[1];
            config.fit.seed = config.fit.seed.wrapping_add(seed);
            config.init_from_data(x)
        };
        Ok(self.assemble(
            [knife(x1, 0)?.train(), knife(x2, 1)?.train()],
            [AdamConfig::new().init(), AdamConfig::new().init()],
            &x1.device(),
        ))
    }

    /// A fresh estimator around these models and optimisers: nothing counted yet.
    fn assemble(
        &self,
        [knife1, knife2]: [Knife; 2],
        [optimizer1, optimizer2]: [ModuleOptimizer; 2],
        device: &Device,
    ) -> OnlineLsmi {
        let device = device.clone().without_autodiff();
        let c = self.num_classes;
        let fixed_surprisal = self
            .fixed_prior
            .as_ref()
            .map(|probs| check::vector(probs.iter().map(|p| -p.ln() as f32).collect(), &device));
        let dims = (knife1.dim(), knife2.dim());
        OnlineLsmi {
            config: self.clone(),
            knife1,
            knife2,
            optimizer1,
            optimizer2,
            learning_rate: self.learning_rate,
            ema_decay: self.ema_decay,
            num_classes: c,
            fixed_surprisal,
            class_counts: Tensor::zeros([c], &device),
            class_sums: Tensor::zeros([c, COLUMNS], &device),
            ema: None,
            batches: 0,
            samples: 0,
            dims,
            check_values: self.check_values,
        }
    }
}

impl std::fmt::Debug for OnlineLsmi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnlineLsmi")
            .field("dims", &self.dims)
            .field("num_classes", &self.num_classes)
            .field("batches", &self.batches)
            .field("samples", &self.samples)
            .finish_non_exhaustive()
    }
}

impl OnlineLsmi {
    /// One minibatch: an Adam step on each entropy model, and the batch's
    /// interactions (`[b]` tensors; `h` from the models before this step).
    ///
    /// * `x1: [b, d1]`, `x2: [b, d2]`: features (detached from the caller's graph here);
    /// * `labels: [b]` in `0..C`;
    /// * `logits1`, `logits2`, `logits12`: `[b, C]`, the caller's three heads.
    ///
    /// Shapes are always checked. Values are checked too (one small host read)
    /// unless [`OnlineConfig::check_values`] is off; a batch with bad values is
    /// refused before any state changes.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Empty`] if `labels` is empty.
    /// * [`LsmiError::LengthMismatch`] if `x1`, `x2` or a logits matrix has not one row per
    ///   label.
    /// * [`LsmiError::WidthMismatch`] if `x1` or `x2` has not the feature count of the
    ///   first batch, or a logits matrix has not `C` columns.
    /// * [`LsmiError::NonFinite`] (value checks on) naming the first NaN or ±∞ of an input.
    /// * [`LsmiError::LabelOutOfRange`] (value checks on) if a label lies outside `0..C`.
    /// * [`LsmiError::Backend`] (value checks on) if the backend fails to read a tensor
    ///   back.
    pub fn step(
        &mut self,
        x1: Tensor<2>,
        x2: Tensor<2>,
        labels: Tensor<1, Int>,
        logits1: Tensor<2>,
        logits2: Tensor<2>,
        logits12: Tensor<2>,
    ) -> Result<Interactions> {
        let b = labels.dims()[0];
        check::non_empty("labels", b)?;
        self.check_shapes(&x1, &x2, b, [&logits1, &logits2, &logits12])?;
        if self.check_values {
            self.check_values(&x1, &x2, &labels, [&logits1, &logits2, &logits12])?;
        }
        let plain = |t: Tensor<2>| t.detach().without_autodiff();
        let labels = labels.without_autodiff();

        let h1 = step_knife(
            &mut self.knife1,
            &mut self.optimizer1,
            plain(x1),
            self.learning_rate,
        );
        let h2 = step_knife(
            &mut self.knife2,
            &mut self.optimizer2,
            plain(x2),
            self.learning_rate,
        );

        let one_hot = labels.clone().one_hot(self.num_classes).float();
        self.class_counts =
            self.class_counts.clone() + one_hot.clone().sum_dim(0).reshape([self.num_classes]);
        let surprisal = self.class_surprisal();
        let pmi =
            |logits: Tensor<2>| pmi_from_logits(plain(logits), labels.clone(), surprisal.clone());
        let terms = PointwiseTerms::unchecked(h1, h2, pmi(logits1), pmi(logits2), pmi(logits12));
        let interactions = Lsmi.decompose(terms)?;
        self.accumulate(&interactions, one_hot);
        Ok(interactions)
    }

    fn check_shapes(
        &self,
        x1: &Tensor<2>,
        x2: &Tensor<2>,
        b: usize,
        logits: [&Tensor<2>; 3],
    ) -> Result<()> {
        for (what, x, d) in [("x1", x1, self.dims.0), ("x2", x2, self.dims.1)] {
            let [rows, cols] = x.dims();
            check::same_length(what, rows, "labels", b)?;
            if cols != d {
                return Err(LsmiError::WidthMismatch {
                    what,
                    axis: "features",
                    expected: d,
                    found: cols,
                });
            }
        }
        for (what, l) in ["logits1", "logits2", "logits12"].into_iter().zip(logits) {
            let [rows, classes] = l.dims();
            check::same_length(what, rows, "labels", b)?;
            if classes != self.num_classes {
                return Err(LsmiError::WidthMismatch {
                    what,
                    axis: "classes",
                    expected: self.num_classes,
                    found: classes,
                });
            }
        }
        Ok(())
    }

    /// One device-side reduction over every input, read as one boolean; only
    /// when it reports a problem are the inputs read in full to name it.
    fn check_values(
        &self,
        x1: &Tensor<2>,
        x2: &Tensor<2>,
        labels: &Tensor<1, Int>,
        logits: [&Tensor<2>; 3],
    ) -> Result<()> {
        let non_finite = |t: &Tensor<2>| t.clone().is_finite().bool_not().any();
        let out_of_range = labels
            .clone()
            .lower_elem(0)
            .bool_or(labels.clone().greater_equal_elem(self.num_classes as i64))
            .any();
        let any_bad = [x1, x2, logits[0], logits[1], logits[2]]
            .into_iter()
            .fold(out_of_range, |acc, t| acc.bool_or(non_finite(t)));
        let any_bad = any_bad
            .try_into_scalar::<bool>()
            .map_err(|err| LsmiError::Backend(err.to_string()))?;
        if any_bad {
            check::finite("x1", x1)?;
            check::finite("x2", x2)?;
            for (what, l) in ["logits1", "logits2", "logits12"].into_iter().zip(logits) {
                check::finite(what, l)?;
            }
            check::labels("labels", labels, self.num_classes)?;
        }
        Ok(())
    }

    /// `h(y) = −ln p(y)` per class under the prior in use (fixed or smoothed).
    fn class_surprisal(&self) -> Tensor<1> {
        match &self.fixed_surprisal {
            Some(fixed) => fixed.clone(),
            None => self.smoothed_surprisal(),
        }
    }

    /// `−ln((count + 1) / (seen + C))` per class, on the device (the counts
    /// already include the current batch).
    fn smoothed_surprisal(&self) -> Tensor<1> {
        let c = self.num_classes;
        let total = self.class_counts.clone().sum().add_scalar(c as f64);
        (self.class_counts.clone().add_scalar(1.0) / total.expand([c]))
            .log()
            .neg()
    }

    fn accumulate(&mut self, interactions: &Interactions, one_hot: Tensor<2>) {
        let mut columns: Vec<Tensor<1>> = Summary::COLUMNS
            .iter()
            .map(|&column| interactions.column(column).clone())
            .collect();
        columns.extend(pointwise::same_min(interactions.terms()));
        let columns = columns
            .into_iter()
            .map(|column| column.detach().without_autodiff())
            .collect();
        let values = Tensor::stack::<2>(columns, 1); // [b, COLUMNS]
        let b = values.dims()[0];
        self.class_sums = self.class_sums.clone() + one_hot.transpose().matmul(values.clone());
        let batch_mean = values.mean_dim(0);
        self.ema = Some(match self.ema.take() {
            Some(ema) => {
                ema.mul_scalar(self.ema_decay) + batch_mean.mul_scalar(1.0 - self.ema_decay)
            }
            None => batch_mean,
        });
        self.batches += 1;
        self.samples += b;
    }

    /// The number of batches seen.
    pub fn batches(&self) -> usize {
        self.batches
    }

    /// Means over every sample seen (reads the device).
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Backend`] if the backend fails to read the state back.
    pub fn summary(&self) -> Result<Summary> {
        let sums = check::read_f32(self.class_sums.clone().sum_dim(0))?;
        Ok(summary_from(&sums, self.samples))
    }

    /// Exponential moving average of the batch means (reads the device).
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Backend`] if the backend fails to read the state back.
    pub fn ema_summary(&self) -> Result<Option<Summary>> {
        match &self.ema {
            Some(ema) => Ok(Some(summary_from_means(
                &check::read_f32(ema.clone())?,
                self.batches,
            ))),
            None => Ok(None),
        }
    }

    /// Means per class seen, in class order (reads the device).
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Backend`] if the backend fails to read the state back.
    pub fn per_class(&self) -> Result<Vec<ClassSummary>> {
        let counts = check::read_f32(self.class_counts.clone())?;
        let sums = check::read_f32(self.class_sums.clone())?;
        Ok(counts
            .iter()
            .enumerate()
            .filter(|&(_, &count)| count > 0.0)
            .map(|(class, &count)| {
                let row = &sums[class * COLUMNS..(class + 1) * COLUMNS];
                let means: Vec<f32> = row.iter().map(|v| v / count).collect();
                ClassSummary {
                    class,
                    summary: summary_from_means(&means, count as usize),
                }
            })
            .collect())
    }

    /// The prior `p(y)` in use now (reads the device).
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Backend`] if the backend fails to read the state back.
    pub fn prior(&self) -> Result<Vec<f64>> {
        let surprisal = self.class_surprisal();
        Ok(check::read_f32(surprisal)?
            .iter()
            .map(|&h| (-f64::from(h)).exp())
            .collect())
    }

    /// The device the running state lives on.
    pub fn device(&self) -> Device {
        self.class_counts.device()
    }

    /// Saves everything a resumed run needs into the folder `dir` (created if
    /// missing): the configuration (`config.json`), both KNIFE models
    /// (`knife1.bpk`, `knife2.bpk`, burn records that
    /// [`KnifeConfig::load`] also reads), both Adam states (`adam1.bpk`,
    /// `adam2.bpk`), the running sums, counts and EMA (`state.bpk`), and last
    /// `manifest.json`: the counters, the feature counts, and the size and
    /// FNV-1a hash of every other file. [`load`](Self::load) then continues
    /// exactly where this estimator is: the same further batches give
    /// bit-identical interactions and summaries.
    ///
    /// A save into a folder that holds an earlier one first removes the old
    /// manifest, and the new one is renamed into place only after every other
    /// file is written and flushed, so a save that fails or is interrupted leaves
    /// a folder that [`load`](Self::load) refuses, never one that loads a mix of
    /// two saves. Reads the device (the state and the optimiser moments).
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Record`] if `dir` cannot be created, or a file in it cannot be
    ///   written, flushed or read back.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        fs::create_dir_all(dir).map_err(|err| record_error(dir, err))?;
        let manifest_path = dir.join(MANIFEST);
        match fs::remove_file(&manifest_path) {
            Err(err) if err.kind() != ErrorKind::NotFound => {
                return Err(record_error(&manifest_path, err));
            }
            _ => {}
        }
        let file = |name: &str| dir.join(name);
        let config = self
            .config
            .clone()
            .with_learning_rate(self.learning_rate)
            .with_ema_decay(self.ema_decay)
            .with_check_values(self.check_values);
        config
            .save(file(CONFIG))
            .map_err(|err| record_error(&file(CONFIG), err))?;
        self.knife1.save(file(KNIFE1))?;
        self.knife2.save(file(KNIFE2))?;
        for (name, optimizer) in [(ADAM1, &self.optimizer1), (ADAM2, &self.optimizer2)] {
            optimizer
                .save(file(name))
                .map_err(|err| record_error(&file(name), err))?;
        }
        RunningState {
            class_counts: Param::from_tensor(self.class_counts.clone()),
            class_sums: Param::from_tensor(self.class_sums.clone()),
            ema: Param::from_tensor(
                self.ema
                    .clone()
                    .unwrap_or_else(|| Tensor::zeros([1, COLUMNS], &self.device())),
            ),
        }
        .save_file(file(STATE))
        .map_err(|err| record_error(&file(STATE), err))?;

        let files = FILES
            .iter()
            .map(|name| fingerprint_and_flush(dir, name))
            .collect::<Result<Vec<_>>>()?;
        let manifest = Manifest {
            format: FORMAT.to_string(),
            d1: self.dims.0,
            d2: self.dims.1,
            batches: self.batches,
            samples: self.samples,
            has_ema: self.ema.is_some(),
            files,
        };
        let scratch = dir.join(MANIFEST_SCRATCH);
        write_flushed(&scratch, burn::config::config_to_json(&manifest).as_bytes())?;
        fs::rename(&scratch, &manifest_path).map_err(|err| record_error(&manifest_path, err))?;
        // Make the rename itself durable where the platform allows syncing a folder.
        if let Ok(folder) = File::open(dir) {
            let _ = folder.sync_all();
        }
        Ok(())
    }

    /// Restores an estimator saved with [`save`](Self::save) onto `device` (its
    /// entropy models train on the autodiff twin of `device`, as with
    /// [`OnlineConfig::init`]). Nothing else is needed: the configuration is read
    /// from the folder. Every file is checked against the manifest's sizes and
    /// hashes before any is parsed.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Record`] if `dir` has no `manifest.json` (not a saved
    ///   estimator, or a save that did not finish), the manifest cannot be parsed or is
    ///   of another format, a file it lists is missing or does not match its size or
    ///   hash, or a record does not fit the model it is loaded into.
    /// * The errors of [`OnlineConfig::validate`] if the saved configuration is out of
    ///   range, and [`LsmiError::InvalidConfig`] if a saved feature count is 0.
    pub fn load(dir: impl AsRef<Path>, device: &Device) -> Result<OnlineLsmi> {
        let dir = dir.as_ref();
        let manifest_path = dir.join(MANIFEST);
        let manifest_bytes = fs::read(&manifest_path).map_err(|err| {
            LsmiError::Record(format!(
                "{}: {err} (not a folder written by OnlineLsmi::save, or its save did not finish)",
                manifest_path.display()
            ))
        })?;
        let manifest = Manifest::load_binary(&manifest_bytes)
            .map_err(|err| record_error(&manifest_path, err))?;
        if manifest.format != FORMAT {
            return Err(LsmiError::Record(format!(
                "{}: format `{}`, expected `{FORMAT}` (saved by another version of lsmi, \
                 whose running sums this version cannot continue)",
                manifest_path.display(),
                manifest.format
            )));
        }
        let mut config_bytes = Vec::new();
        for name in FILES {
            let bytes = manifest.verify(dir, name)?;
            if name == CONFIG {
                config_bytes = bytes;
            }
        }
        let config = OnlineConfig::load_binary(&config_bytes)
            .map_err(|err| record_error(&dir.join(CONFIG), err))?;
        config.validate()?;
        for (field, d) in [("d1", manifest.d1), ("d2", manifest.d2)] {
            if d == 0 {
                return LsmiError::invalid_config(
                    field,
                    0,
                    "a saved feature count must be positive",
                );
            }
        }

        let device = device.clone().without_autodiff();
        let file = |name: &str| dir.join(name);
        let knife = |dim: usize, name: &str| -> Result<Knife> {
            let mut knife = config.knife.clone();
            knife.dim = dim;
            Ok(knife.load(file(name), &device)?.train())
        };
        let optimizer = |name: &str| -> Result<ModuleOptimizer> {
            AdamConfig::new()
                .init()
                .load(file(name))
                .map_err(|err| record_error(&file(name), err))
        };
        let mut online = config.assemble(
            [knife(manifest.d1, KNIFE1)?, knife(manifest.d2, KNIFE2)?],
            [optimizer(ADAM1)?, optimizer(ADAM2)?],
            &device,
        );
        let c = online.num_classes;
        let state = RunningState {
            class_counts: Param::from_tensor(Tensor::zeros([c], &device)),
            class_sums: Param::from_tensor(Tensor::zeros([c, COLUMNS], &device)),
            ema: Param::from_tensor(Tensor::zeros([1, COLUMNS], &device)),
        }
        .try_load_file(file(STATE))
        .map_err(|err| record_error(&file(STATE), err))?;
        online.class_counts = state.class_counts.val();
        online.class_sums = state.class_sums.val();
        online.ema = manifest.has_ema.then(|| state.ema.val());
        online.batches = manifest.batches;
        online.samples = manifest.samples;
        Ok(online)
    }
}

/// One Adam step on `knife` for the rows `x`; returns their `h` before the step.
fn step_knife(
    knife: &mut Knife,
    optimizer: &mut ModuleOptimizer,
    x: Tensor<2>,
    learning_rate: f64,
) -> Tensor<1> {
    let h = knife.surprisal(x);
    let grads = GradientsParams::from_grads(h.clone().mean().backward(), knife);
    *knife = optimizer.step(learning_rate, knife.clone(), grads);
    h.detach().without_autodiff()
}

fn summary_from(sums: &[f32], n: usize) -> Summary {
    let means: Vec<f32> = sums.iter().map(|v| v / n.max(1) as f32).collect();
    summary_from_means(&means, n)
}

/// A summary from the means of the running columns (see [`COLUMNS`]).
fn summary_from_means(m: &[f32], n: usize) -> Summary {
    Summary::from_values(
        n,
        std::array::from_fn(|k| f64::from(m[k])),
        [f64::from(m[COLUMNS - 2]), f64::from(m[COLUMNS - 1])],
    )
}

/// The file [`OnlineLsmi::save`] writes last and [`OnlineLsmi::load`] requires.
const MANIFEST: &str = "manifest.json";
/// Where the manifest is written before it is renamed into place.
const MANIFEST_SCRATCH: &str = "manifest.json.partial";
/// The `format` of the manifest this version writes and reads.
/// (`lsmi-online-3` added the same-minimum columns to the running sums.)
const FORMAT: &str = "lsmi-online-3";
const CONFIG: &str = "config.json";
const KNIFE1: &str = "knife1.bpk";
const KNIFE2: &str = "knife2.bpk";
const ADAM1: &str = "adam1.bpk";
const ADAM2: &str = "adam2.bpk";
const STATE: &str = "state.bpk";
/// Every file the manifest vouches for.
const FILES: [&str; 6] = [CONFIG, KNIFE1, KNIFE2, ADAM1, ADAM2, STATE];

/// The running state as a module, so that it is saved as a burn record
/// (binary `f32`, exact, NaN included). `ema` is zeros when there is none yet;
/// the manifest says which.
#[derive(Module, Debug)]
struct RunningState {
    class_counts: Param<Tensor<1>>,
    class_sums: Param<Tensor<2>>,
    ema: Param<Tensor<2>>,
}

/// What [`OnlineLsmi::save`] writes last: the counters, and what every other
/// file must be.
#[derive(Config, Debug)]
struct Manifest {
    format: String,
    d1: usize,
    d2: usize,
    batches: usize,
    samples: usize,
    has_ema: bool,
    files: Vec<SavedFile>,
}

/// One file of a saved folder: its name, length and FNV-1a (64-bit) hash.
#[derive(Config, Debug)]
struct SavedFile {
    name: String,
    bytes: u64,
    fnv1a: u64,
}

impl Manifest {
    /// Reads `dir/name` and checks it against its entry; returns its bytes.
    fn verify(&self, dir: &Path, name: &str) -> Result<Vec<u8>> {
        let path = dir.join(name);
        let entry = self
            .files
            .iter()
            .find(|file| file.name == name)
            .ok_or_else(|| {
                LsmiError::Record(format!(
                    "{}: the manifest does not list {name}",
                    dir.join(MANIFEST).display()
                ))
            })?;
        let bytes = fs::read(&path).map_err(|err| record_error(&path, err))?;
        let (length, hash) = (bytes.len() as u64, fnv1a(&bytes));
        if (length, hash) != (entry.bytes, entry.fnv1a) {
            return Err(LsmiError::Record(format!(
                "{}: {length} bytes with hash {hash:016x}, but the manifest recorded {} bytes \
                 with hash {:016x} (changed or damaged since it was saved)",
                path.display(),
                entry.bytes,
                entry.fnv1a
            )));
        }
        Ok(bytes)
    }
}

/// Flushes `dir/name` to disk and returns its manifest entry.
fn fingerprint_and_flush(dir: &Path, name: &str) -> Result<SavedFile> {
    let path = dir.join(name);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|err| record_error(&path, err))?;
    file.sync_all().map_err(|err| record_error(&path, err))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|err| record_error(&path, err))?;
    Ok(SavedFile {
        name: name.to_string(),
        bytes: bytes.len() as u64,
        fnv1a: fnv1a(&bytes),
    })
}

/// Writes `bytes` to `path` and flushes them to disk.
fn write_flushed(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = File::create(path).map_err(|err| record_error(path, err))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|err| record_error(path, err))
}

/// FNV-1a, 64-bit: a fixed, dependency-free hash to catch damaged files (not
/// tampering).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn record_error(path: &Path, err: impl std::fmt::Display) -> LsmiError {
    LsmiError::Record(format!("{}: {err}", path.display()))
}
