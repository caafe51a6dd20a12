//! Discriminators `p(y|x)`: small MLP classifiers whose logits feed [`LogitPmi`](crate::LogitPmi).

use std::path::Path;

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::activation::{log_softmax, relu};
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::check;
use crate::error::{LsmiError, Result};
use crate::rng::SeededRng;
use crate::standardize::Standardizer;
use crate::train::{self, EpochProgress, FitConfig, FitReport, Rows};

/// Hyper-parameters of an MLP classifier and of its fit.
#[derive(Config, Debug)]
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
    pub fn load(
        &self,
        path: impl AsRef<Path>,
        d_input: usize,
        num_classes: usize,
        device: &Device,
    ) -> Result<Classifier> {
        self.init(d_input, num_classes, device)?
            .try_load_file(path)
            .map_err(|err| LsmiError::Record(err.to_string()))
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

/// An MLP classifier: standardisation, then `Linear-ReLU-…-Linear` to logits.
#[derive(Module, Debug)]
pub struct Classifier {
    standardizer: Standardizer,
    layers: Vec<Linear>,
    d_input: usize,
}

impl Classifier {
    /// The number of input features.
    pub fn d_input(&self) -> usize {
        self.d_input
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
        hidden
    }
}
