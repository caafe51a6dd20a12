//! One minibatch loop for every model `lsmi` fits: seeded shuffling, Adam, a
//! step learning-rate schedule, an optional held-out split with early stopping,
//! and progress through a caller-supplied callback.

use std::time::{Duration, Instant};

use burn::config::Config;
use burn::module::Module;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::check;
use crate::error::{LsmiError, Result};
use crate::rng::SeededRng;

/// How a model is fitted: Adam with a step schedule over shuffled minibatches.
#[derive(Config, Debug, PartialEq)]
pub struct FitConfig {
    /// Adam's learning rate at the first epoch.
    #[config(default = 1e-2)]
    pub learning_rate: f64,
    /// Rows per minibatch.
    #[config(default = 512)]
    pub batch_size: usize,
    /// Passes over the training rows (an upper bound when early stopping).
    #[config(default = 40)]
    pub epochs: usize,
    /// The learning rate is multiplied by `lr_gamma` every `lr_step_epochs`
    /// epochs (PyTorch's `StepLR`); 0 keeps it constant.
    #[config(default = 25)]
    pub lr_step_epochs: usize,
    /// The factor of the step schedule.
    #[config(default = 0.1)]
    pub lr_gamma: f64,
    /// Fraction of rows held out (never trained on) to measure the fit and to
    /// stop early; 0 trains on every row.
    #[config(default = 0.0)]
    pub holdout_fraction: f64,
    /// Stop after this many epochs without a better held-out loss, and keep the
    /// best model; 0 never stops early. Needs `holdout_fraction > 0`.
    #[config(default = 0)]
    pub patience: usize,
    /// Seed of the shuffles (and of the model's random initialisation).
    #[config(default = 0)]
    pub seed: u64,
    /// L2 penalty `λ` on every trained parameter (weights and biases), coupled as
    /// in burn's Adam: `λ·θ` is added to the gradient, which is the gradient of
    /// `loss + λ/2 · ‖θ‖²` (not AdamW's decoupled decay). 0 (the default) runs
    /// plain Adam, exactly as without the field.
    #[config(default = 0.0)]
    pub weight_decay: f64,
}

impl FitConfig {
    /// Checks every field once, up front.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if `learning_rate` is not a positive finite number,
    ///   `batch_size` or `epochs` is 0, `lr_gamma` lies outside `(0, 1]`,
    ///   `holdout_fraction` outside `[0, 1)`, `weight_decay` is negative or not finite,
    ///   or `patience > 0` with
    ///   `holdout_fraction == 0`.
    pub fn validate(&self) -> Result<()> {
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return LsmiError::invalid_config(
                "learning_rate",
                self.learning_rate,
                "must be a positive number",
            );
        }
        if self.batch_size == 0 {
            return LsmiError::invalid_config("batch_size", 0, "must be at least 1");
        }
        if self.epochs == 0 {
            return LsmiError::invalid_config("epochs", 0, "must be at least 1");
        }
        if !(self.lr_gamma > 0.0 && self.lr_gamma <= 1.0) {
            return LsmiError::invalid_config("lr_gamma", self.lr_gamma, "must lie in (0, 1]");
        }
        if !(0.0..1.0).contains(&self.holdout_fraction) {
            return LsmiError::invalid_config(
                "holdout_fraction",
                self.holdout_fraction,
                "must lie in [0, 1)",
            );
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return LsmiError::invalid_config(
                "weight_decay",
                self.weight_decay,
                "must be a finite number ≥ 0",
            );
        }
        if self.patience > 0 && self.holdout_fraction == 0.0 {
            return LsmiError::invalid_config(
                "patience",
                self.patience,
                "early stopping needs holdout_fraction > 0",
            );
        }
        Ok(())
    }

    /// The learning rate of `epoch` (0-based) under the step schedule.
    pub fn learning_rate_at(&self, epoch: usize) -> f64 {
        match self.lr_step_epochs {
            0 => self.learning_rate,
            step => self.learning_rate * self.lr_gamma.powi((epoch / step) as i32),
        }
    }
}

/// What one epoch of fitting achieved, handed to the progress callback.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct EpochProgress {
    /// The epoch just finished (1-based).
    pub epoch: usize,
    /// The configured number of epochs.
    pub epochs: usize,
    /// Mean training loss over the epoch's minibatches.
    pub train_loss: f64,
    /// Loss on the held-out rows, if any are held out.
    pub holdout_loss: Option<f64>,
    /// The learning rate used in this epoch.
    pub learning_rate: f64,
}

/// How a fit went.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FitReport {
    /// Mean training loss of each epoch, in the model's units (nats for KNIFE).
    pub train_loss: Vec<f64>,
    /// Held-out loss after each epoch (empty without a held-out split).
    pub holdout_loss: Vec<f64>,
    /// The epoch (1-based) whose model was returned.
    pub best_epoch: usize,
    /// Epochs actually run (fewer than configured after an early stop).
    pub epochs_run: usize,
    /// Rows trained on and rows held out.
    pub rows: (usize, usize),
    /// Wall-clock time of the fit.
    pub wall_time: Duration,
}

impl FitReport {
    /// The last epoch's mean training loss.
    pub fn final_train_loss(&self) -> f64 {
        *self.train_loss.last().expect("at least one epoch runs")
    }

    /// The held-out loss of the returned model, if there was a held-out split.
    pub fn best_holdout_loss(&self) -> Option<f64> {
        self.holdout_loss.get(self.best_epoch - 1).copied()
    }
}

/// Rows of training data: features and, for classifiers, labels.
#[derive(Debug, Clone)]
pub(crate) struct Rows {
    pub x: Tensor<2>,
    pub labels: Option<Tensor<1, Int>>,
}

impl Rows {
    pub(crate) fn len(&self) -> usize {
        self.x.dims()[0]
    }

    /// The rows at `index` (host indices, placed on the data's device).
    pub(crate) fn select(&self, index: &[usize]) -> Rows {
        let device = self.x.device();
        let index = index_tensor(index, &device);
        Rows {
            x: self.x.clone().select(0, index.clone()),
            labels: self.labels.clone().map(|y| y.select(0, index)),
        }
    }
}

/// Host indices as an Int tensor on `device`.
pub(crate) fn index_tensor(index: &[usize], device: &Device) -> Tensor<1, Int> {
    let values: Vec<i64> = index.iter().map(|&i| i as i64).collect();
    Tensor::from_data(TensorData::new(values, [index.len()]), device)
}

/// Minimises `loss` over minibatches of `rows` with Adam.
///
/// `model` may live on a plain device: it is switched to training (autodiff) here
/// and returned without autodiff, ready for inference. `loss(model, batch)` must
/// return the mean loss of the batch as a one-element tensor. The held-out loss is
/// the mean over held-out rows (weighted by batch size).
pub(crate) fn fit<M: Module>(
    model: M,
    rows: &Rows,
    config: &FitConfig,
    loss: impl Fn(&M, &Rows) -> Tensor<1>,
    progress: &mut dyn FnMut(&EpochProgress),
) -> Result<(M, FitReport)> {
    config.validate()?;
    let start = Instant::now();
    let mut rng = SeededRng::new(config.seed ^ 0x05EE_DF17);
    let order = rng.permutation(rows.len());
    let held = (rows.len() as f64 * config.holdout_fraction).floor() as usize;
    let (holdout_index, train_index) = order.split_at(held);
    check::non_empty("training rows", train_index.len())?;
    let holdout = (held > 0).then(|| rows.select(holdout_index));
    fit_split(
        model,
        rows,
        train_index,
        holdout.as_ref(),
        &mut rng,
        config,
        start,
        loss,
        progress,
    )
}

/// [`fit`] on a split made by the caller: trains on `rows[train_index]`, measures
/// (and, with `config.patience > 0`, stops early) on `holdout`, shuffling with
/// `rng`. `config.holdout_fraction` is not used to split here; it must still be
/// positive for `patience > 0` to validate. `start` is when the wall time began.
#[allow(clippy::too_many_arguments)]
pub(crate) fn fit_split<M: Module>(
    model: M,
    rows: &Rows,
    train_index: &[usize],
    holdout: Option<&Rows>,
    rng: &mut SeededRng,
    config: &FitConfig,
    start: Instant,
    loss: impl Fn(&M, &Rows) -> Tensor<1>,
    progress: &mut dyn FnMut(&EpochProgress),
) -> Result<(M, FitReport)> {
    config.validate()?;
    check::non_empty("training rows", train_index.len())?;
    let held = holdout.map_or(0, Rows::len);

    let mut model = model.train();
    let mut adam = AdamConfig::new();
    if config.weight_decay > 0.0 {
        adam = adam.with_weight_decay(Some(WeightDecayConfig::new(config.weight_decay as f32)));
    }
    let mut optimizer = adam.init();
    let mut report = FitReport {
        train_loss: Vec::new(),
        holdout_loss: Vec::new(),
        best_epoch: 1,
        epochs_run: 0,
        rows: (train_index.len(), held),
        wall_time: Duration::ZERO,
    };
    let mut best: Option<(f64, M)> = None;
    let mut since_best = 0;

    for epoch in 0..config.epochs {
        let learning_rate = config.learning_rate_at(epoch);
        let mut shuffled: Vec<usize> = train_index.to_vec();
        rng.shuffle(&mut shuffled);
        // Sum batch losses on the device; one read per epoch.
        let mut epoch_loss: Option<Tensor<1>> = None;
        for batch_index in shuffled.chunks(config.batch_size) {
            let batch = rows.select(batch_index);
            let batch_loss = loss(&model, &batch);
            let weight = batch_index.len() as f64;
            let grads = GradientsParams::from_grads(batch_loss.backward(), &model);
            model = optimizer.step(learning_rate, model, grads);
            let weighted = batch_loss.detach().without_autodiff().mul_scalar(weight);
            epoch_loss = Some(match epoch_loss {
                Some(sum) => sum + weighted,
                None => weighted,
            });
        }
        let total = epoch_loss.expect("at least one batch per epoch");
        let train_loss = read_scalar(total)? / train_index.len() as f64;
        check::finite_host("training loss", &[train_loss])?;
        report.train_loss.push(train_loss);
        report.epochs_run = epoch + 1;

        let holdout_loss = match holdout {
            Some(held_rows) => {
                let value = mean_loss(
                    &model.valid(),
                    held_rows,
                    config.batch_size.max(4096),
                    &loss,
                )?;
                report.holdout_loss.push(value);
                Some(value)
            }
            None => None,
        };
        progress(&EpochProgress {
            epoch: epoch + 1,
            epochs: config.epochs,
            train_loss,
            holdout_loss,
            learning_rate,
        });

        if let (Some(value), true) = (holdout_loss, config.patience > 0) {
            if best.as_ref().is_none_or(|(b, _)| value < *b) {
                best = Some((value, model.clone()));
                report.best_epoch = epoch + 1;
                since_best = 0;
            } else {
                since_best += 1;
                if since_best >= config.patience {
                    break;
                }
            }
        } else {
            report.best_epoch = epoch + 1;
        }
    }
    let model = match best {
        Some((_, best_model)) => best_model,
        None => model,
    };
    report.wall_time = start.elapsed();
    Ok((model.valid(), report))
}

/// The mean of `loss` over all `rows`, evaluated in chunks of `chunk` rows.
pub(crate) fn mean_loss<M>(
    model: &M,
    rows: &Rows,
    chunk: usize,
    loss: &impl Fn(&M, &Rows) -> Tensor<1>,
) -> Result<f64> {
    let n = rows.len();
    let mut total = 0.0;
    let all: Vec<usize> = (0..n).collect();
    for part in all.chunks(chunk) {
        let batch = if part.len() == n {
            rows.clone()
        } else {
            rows.select(part)
        };
        total += read_scalar(loss(model, &batch))? * part.len() as f64;
    }
    Ok(total / n as f64)
}

fn read_scalar(tensor: Tensor<1>) -> Result<f64> {
    Ok(f64::from(check::read_f32(tensor)?[0]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_schedule_matches_steplr() {
        let config = FitConfig::new()
            .with_learning_rate(1e-3)
            .with_lr_step_epochs(20)
            .with_lr_gamma(0.1);
        assert_eq!(config.learning_rate_at(0), 1e-3);
        assert_eq!(config.learning_rate_at(19), 1e-3);
        assert!((config.learning_rate_at(20) - 1e-4).abs() < 1e-18);
    }

    #[test]
    fn patience_without_holdout_is_rejected() {
        let err = FitConfig::new().with_patience(3).validate().unwrap_err();
        assert!(err.to_string().contains("patience"), "{err}");
    }
}

#[cfg(all(test, feature = "serde"))]
mod serde_tests {
    use super::*;

    #[test]
    fn epoch_progress_round_trips() {
        for holdout_loss in [None, Some(1.25)] {
            let progress = EpochProgress {
                epoch: 3,
                epochs: 30,
                train_loss: 2.5,
                holdout_loss,
                learning_rate: 1e-3,
            };
            let text = serde_json::to_string(&progress).unwrap();
            let back: EpochProgress = serde_json::from_str(&text).unwrap();
            assert_eq!(back, progress, "{text}");
        }
    }

    #[test]
    fn fit_report_round_trips() {
        let report = FitReport {
            train_loss: vec![3.0, 2.5, 2.125],
            holdout_loss: vec![3.5, 2.75, 2.875],
            best_epoch: 2,
            epochs_run: 3,
            rows: (90, 10),
            wall_time: Duration::new(4, 250_000_000),
        };
        let text = serde_json::to_string(&report).unwrap();
        assert!(text.contains("\"rows\":[90,10]"), "{text}");
        assert!(
            text.contains("\"wall_time\":{\"secs\":4,\"nanos\":250000000}"),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<FitReport>(&text).unwrap(), report);
    }
}
