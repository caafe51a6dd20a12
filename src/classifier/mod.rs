//! Discriminators `p(y|x)`: small MLP classifiers whose logits feed [`LogitPmi`](crate::LogitPmi).
//!
//! [`ClassifierConfig`] fits one architecture; [`ClassifierSearch`] picks among a
//! linear model (closed-form [LDA](fit_lda) and logistic regression) and two
//! weight-decayed MLPs by held-out log-loss, and calibrates the chosen one's
//! temperature ([`fit_temperature`]).

mod calibrate;
mod lda;
mod search;

pub use calibrate::{MAX_TEMPERATURE, MIN_TEMPERATURE, fit_temperature, nll_at_temperature};
pub use lda::{MAX_LDA_FEATURES, fit_lda};
pub use search::{CandidateKind, CandidateReport, ClassifierChoice, ClassifierSearch};

use std::path::Path;

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::store::ModuleRecord;
use burn::tensor::activation::{log_softmax, relu};
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::check;
use crate::error::{LsmiError, Result};
use crate::rng::SeededRng;
use crate::standardize::Standardizer;
use crate::train::{self, EpochProgress, FitConfig, FitReport, Rows};

/// Hyper-parameters of an MLP classifier and of its fit.
#[derive(Config, Debug, PartialEq)]
pub struct ClassifierConfig {
    /// Widths of the hidden layers (ReLU after each).
    #[config(default = "vec![64, 64]")]
    pub hidden: Vec<usize>,
    /// Standardise inputs with the training data's mean and standard deviation.
    #[config(default = true)]
    pub standardize: bool,
    /// The optimiser, schedule, held-out split and seed.
    #[config(
        default = "FitConfig::new().with_learning_rate(3e-3).with_batch_size(256).with_epochs(30).with_lr_step_epochs(20)"
    )]
    pub fit: FitConfig,
}

impl ClassifierConfig {
    /// The authors' discriminator: `Linear(d,64)-ReLU-Linear(64,64)-ReLU-Linear(64,C)`,
    /// Adam 1e-3, batch 32, 30 epochs, step schedule 15 × 0.1, raw inputs.
    pub fn reference() -> Self {
        ClassifierConfig::new().with_standardize(false).with_fit(
            FitConfig::new()
                .with_learning_rate(1e-3)
                .with_batch_size(32)
                .with_epochs(30)
                .with_lr_step_epochs(15)
                .with_lr_gamma(0.1),
        )
    }

    /// Checks every field once, up front.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if a hidden layer has no units, or a field of `fit`
    ///   is out of range (see [`FitConfig::validate`]).
    pub fn validate(&self) -> Result<()> {
        if let Some(index) = self.hidden.iter().position(|&w| w == 0) {
            return LsmiError::invalid_config(
                "hidden",
                format!("{:?} (layer {index})", self.hidden),
                "every hidden layer needs at least one unit",
            );
        }
        self.fit.validate()
    }

    /// An untrained classifier from `d_input` features to `num_classes` logits,
    /// with weights drawn from `fit.seed` (PyTorch's default `U(±1/√fan_in)`).
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if a field is out of range (see
    ///   [`validate`](Self::validate)).
    /// * [`LsmiError::TooFewClasses`] if `num_classes < 2`.
    /// * [`LsmiError::TooManyClasses`] if `num_classes >`
    ///   [`MAX_CLASSES`](crate::MAX_CLASSES).
    /// * [`LsmiError::Empty`] if `d_input` is 0.
    pub fn init(&self, d_input: usize, num_classes: usize, device: &Device) -> Result<Classifier> {
        self.validate()?;
        check::num_classes(num_classes)?;
        if d_input == 0 {
            return Err(LsmiError::Empty {
                what: "x",
                unit: "features",
            });
        }
        Ok(self.assemble(
            Standardizer::identity(d_input, device),
            d_input,
            num_classes,
            device,
        ))
    }

    /// Fits a classifier to `x` (`[n, d]`) and `labels` (`[n]`, in `0..num_classes`)
    /// by minimising cross-entropy. Returns it without autodiff, and how the fit went
    /// (losses in nats).
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if a field is out of range (see
    ///   [`validate`](Self::validate)).
    /// * [`LsmiError::Empty`] if `x` has no rows.
    /// * [`LsmiError::NonFinite`] if `x` holds NaN or ±∞, or an epoch's training loss is
    ///   not finite.
    /// * [`LsmiError::TooFewClasses`] if `num_classes < 2`.
    /// * [`LsmiError::TooManyClasses`] if `num_classes >`
    ///   [`MAX_CLASSES`](crate::MAX_CLASSES).
    /// * [`LsmiError::LabelOutOfRange`] if a label lies outside `0..num_classes`.
    /// * [`LsmiError::LengthMismatch`] if `labels` has not one entry per row of `x`.
    /// * [`LsmiError::Backend`] if the backend fails to read a tensor back.
    pub fn fit(
        &self,
        x: Tensor<2>,
        labels: Tensor<1, Int>,
        num_classes: usize,
    ) -> Result<(Classifier, FitReport)> {
        self.fit_with_progress(x, labels, num_classes, &mut |_| {})
    }

    /// [`fit`](Self::fit), calling `progress` after every epoch.
    ///
    /// # Errors
    ///
    /// As [`fit`](Self::fit).
    pub fn fit_with_progress(
        &self,
        x: Tensor<2>,
        labels: Tensor<1, Int>,
        num_classes: usize,
        progress: &mut dyn FnMut(&EpochProgress),
    ) -> Result<(Classifier, FitReport)> {
        self.validate()?;
        let [rows, d_input] = x.dims();
        check::non_empty("x", rows)?;
        check::finite("x", &x)?;
        let host_labels = check::labels("labels", &labels, num_classes)?;
        check::same_length("labels", host_labels.len(), "x", rows)?;
        let device = x.device();
        let standardizer = if self.standardize {
            Standardizer::fit(&x, 1e-6)?
        } else {
            Standardizer::identity(d_input, &device)
        };
        let model = self.assemble(standardizer, d_input, num_classes, &device);
        train::fit(
            model,
            &Rows {
                x,
                labels: Some(labels),
            },
            &self.fit,
            |model: &Classifier, batch: &Rows| {
                let labels = batch.labels.clone().expect("classifier rows carry labels");
                cross_entropy(model.logits(batch.x.clone()), labels)
            },
            progress,
        )
    }

    /// Loads a classifier saved with [`Classifier::save`]; the arguments must be
    /// those it was built with.
    ///
    /// # Errors
    ///
    /// * The errors of [`init`](Self::init) for these arguments.
    /// * [`LsmiError::Record`] if the record at `path` cannot be read or does not fit this
    ///   classifier.
    ///
    /// A record saved before classifiers had a temperature loads with `T = 1`.
    pub fn load(
        &self,
        path: impl AsRef<Path>,
        d_input: usize,
        num_classes: usize,
        device: &Device,
    ) -> Result<Classifier> {
        let model = self.init(d_input, num_classes, device)?;
        let path = path.as_ref();
        let record = ModuleRecord::load(path).map_err(|err| LsmiError::Record(err.to_string()))?;
        match model.clone().try_load_record(record) {
            Ok(loaded) => Ok(loaded),
            Err(err) => {
                // An older record has every tensor but the temperature: it loads
                // strictly into the model without one, and then gets T = 1.
                let legacy = Classifier {
                    temperature: None,
                    ..model
                };
                let record =
                    ModuleRecord::load(path).map_err(|err| LsmiError::Record(err.to_string()))?;
                let loaded = legacy
                    .try_load_record(record)
                    .map_err(|_| LsmiError::Record(err.to_string()))?;
                Ok(Classifier {
                    temperature: Some(temperature_param(1.0, device)),
                    ..loaded
                })
            }
        }
    }

    fn assemble(
        &self,
        standardizer: Standardizer,
        d_input: usize,
        num_classes: usize,
        device: &Device,
    ) -> Classifier {
        let mut rng = SeededRng::new(self.fit.seed ^ 0xC1A5_51F1);
        let mut widths = vec![d_input];
        widths.extend(&self.hidden);
        widths.push(num_classes);
        let layers = widths
            .windows(2)
            .map(|pair| linear(pair[0], pair[1], &mut rng, device))
            .collect();
        Classifier {
            standardizer,
            layers,
            temperature: Some(temperature_param(1.0, device)),
            d_input,
        }
    }
}

/// A `Linear(fan_in, fan_out)` with weights and bias `U(±1/√fan_in)` from `rng`.
fn linear(fan_in: usize, fan_out: usize, rng: &mut SeededRng, device: &Device) -> Linear {
    let bound = 1.0 / (fan_in as f64).sqrt();
    let mut draw = |len: usize| -> Vec<f32> {
        (0..len)
            .map(|_| (bound * (2.0 * rng.uniform() - 1.0)) as f32)
            .collect()
    };
    let weight = Tensor::from_data(
        TensorData::new(draw(fan_in * fan_out), [fan_in, fan_out]),
        device,
    );
    let bias = check::vector(draw(fan_out), device);
    Linear {
        weight: Param::from_tensor(weight),
        bias: Some(Param::from_tensor(bias)),
    }
}

/// Mean cross-entropy `−ln p(y|x)` in nats, with log-softmax: `logits: [n, C]`,
/// `labels: [n]` → `[1]`. Works under autodiff (it is the classifiers' training loss).
pub fn cross_entropy(logits: Tensor<2>, labels: Tensor<1, Int>) -> Tensor<1> {
    let n = labels.dims()[0];
    log_softmax(logits, 1)
        .gather(1, labels.reshape([n, 1]))
        .mean()
        .neg()
}

/// A fixed (never trained) one-element temperature.
fn temperature_param(value: f64, device: &Device) -> Param<Tensor<1>> {
    Param::from_tensor(check::vector(vec![value as f32], device)).set_require_grad(false)
}

/// An MLP classifier: standardisation, then `Linear-ReLU-…-Linear` to logits,
/// divided by a temperature `T > 0` (1 unless [calibrated](Classifier::calibrate)).
#[derive(Module, Debug)]
pub struct Classifier {
    standardizer: Standardizer,
    layers: Vec<Linear>,
    /// `T`, `[1]`; part of the record. `None` only while loading a record saved
    /// before the field existed.
    temperature: Option<Param<Tensor<1>>>,
    d_input: usize,
}

impl Classifier {
    /// The number of input features.
    pub fn d_input(&self) -> usize {
        self.d_input
    }

    /// The number of classes (logits per row).
    pub fn num_classes(&self) -> usize {
        self.layers
            .last()
            .map_or(0, |layer| layer.weight.val().dims()[1])
    }

    /// The widths of the hidden layers (empty for a linear model).
    pub fn hidden(&self) -> Vec<usize> {
        let last = self.layers.len().saturating_sub(1);
        self.layers[..last]
            .iter()
            .map(|layer| layer.weight.val().dims()[1])
            .collect()
    }

    /// The temperature `T` that divides the logits (1 unless calibrated).
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Backend`] if the backend fails to read the value back.
    pub fn temperature(&self) -> Result<f64> {
        match &self.temperature {
            Some(param) => Ok(f64::from(check::read_f32(param.val())?[0])),
            None => Ok(1.0),
        }
    }

    /// The same classifier with temperature `T` (replacing any earlier one).
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if `temperature` is not a positive finite number
    ///   that `f32` represents as such.
    pub fn with_temperature(self, temperature: f64) -> Result<Classifier> {
        let as_f32 = temperature as f32;
        if !(temperature.is_finite() && as_f32.is_finite() && as_f32 > 0.0) {
            return LsmiError::invalid_config(
                "temperature",
                temperature,
                "must be a positive finite number",
            );
        }
        let device = self.layers[0].weight.val().device();
        Ok(Classifier {
            temperature: Some(temperature_param(temperature, &device)),
            ..self
        })
    }

    /// Fits the temperature on `x` (`[n, d]`) and `labels` (`[n]`): the `T` in
    /// `[MIN_TEMPERATURE, MAX_TEMPERATURE]` minimising the mean negative
    /// log-likelihood of `softmax(z / T)`, with `z` the classifier's logits before
    /// any temperature ([`fit_temperature`]). Use rows the classifier was not
    /// trained on. Returns the classifier with that `T`, and `T`.
    ///
    /// # Errors
    ///
    /// * The errors of [`forward`](Self::forward) for `x`.
    /// * [`LsmiError::LabelOutOfRange`] if a label lies outside `0..C`.
    /// * [`LsmiError::LengthMismatch`] if `labels` has not one entry per row of `x`.
    pub fn calibrate(self, x: Tensor<2>, labels: Tensor<1, Int>) -> Result<(Classifier, f64)> {
        let uncalibrated = self.with_temperature(1.0)?;
        let logits = uncalibrated.forward(x)?;
        let [rows, classes] = logits.dims();
        let host_labels = check::labels("labels", &labels, classes)?;
        check::same_length("labels", host_labels.len(), "x", rows)?;
        let host: Vec<f64> = check::read_f32(logits)?
            .into_iter()
            .map(f64::from)
            .collect();
        let temperature = fit_temperature(&host, &host_labels, classes)?;
        Ok((uncalibrated.with_temperature(temperature)?, temperature))
    }

    /// Logits for `x` (`[n, d]` → `[n, C]`), checked.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::WidthMismatch`] if `x` has not [`d_input`](Self::d_input) columns.
    /// * [`LsmiError::Empty`] if `x` has no rows.
    /// * [`LsmiError::NonFinite`] if `x` holds NaN or ±∞.
    /// * [`LsmiError::Backend`] if the backend fails to read a tensor back.
    pub fn forward(&self, x: Tensor<2>) -> Result<Tensor<2>> {
        let [rows, d] = x.dims();
        if d != self.d_input {
            return Err(LsmiError::WidthMismatch {
                what: "x",
                axis: "features",
                expected: self.d_input,
                found: d,
            });
        }
        check::non_empty("x", rows)?;
        check::finite("x", &x)?;
        Ok(self.logits(x))
    }

    /// Saves the parameters (a burn record) to `path`.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Record`] if the record cannot be written to `path`.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.clone()
            .save_file(path)
            .map_err(|err| LsmiError::Record(err.to_string()))
    }

    pub(crate) fn logits(&self, x: Tensor<2>) -> Tensor<2> {
        let last = self.layers.len() - 1;
        let mut hidden = self.standardizer.apply(x);
        for (index, layer) in self.layers.iter().enumerate() {
            hidden = layer.forward(hidden);
            if index < last {
                hidden = relu(hidden);
            }
        }
        match &self.temperature {
            Some(temperature) => hidden / temperature.val().reshape([1, 1]),
            None => hidden,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(any(feature = "flex", feature = "ndarray"))]
    #[test]
    fn a_record_without_temperature_loads_with_t_one() {
        let device = crate::default_device();
        let config = ClassifierConfig::new().with_hidden(vec![3]);
        let model = config.init(2, 2, &device).unwrap();
        let legacy = Classifier {
            temperature: None,
            ..model.clone()
        };
        let dir = std::env::temp_dir().join(format!("lsmi-legacy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("old");
        legacy.save(&path).unwrap();
        let loaded = config.load(&path, 2, 2, &device).unwrap();
        assert_eq!(loaded.temperature().unwrap(), 1.0);
        let calibrated = model.with_temperature(2.5).unwrap();
        let x = Tensor::<2>::from_data(TensorData::new(vec![0.5f32, -1.0], [1, 2]), &device);
        let legacy_logits = check::read_f32(loaded.logits(x.clone())).unwrap();
        let scaled = check::read_f32(calibrated.logits(x)).unwrap();
        for (a, b) in legacy_logits.iter().zip(&scaled) {
            assert!((a / 2.5 - b).abs() < 1e-6, "{a} {b}");
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}
