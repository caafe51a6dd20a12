//! KNIFE (Pichler et al., ICML 2022): a Gaussian mixture whose components are
//! parametrised by a lower-triangular factor of their precision, fitted by
//! minimising the mean of `−ln p(x)` with Adam ([`KnifeConfig::fit`]), or by EM
//! ([`EmConfig`](super::EmConfig), [`MixtureSearch`](super::MixtureSearch)).
//!
//! With `K` components in `d` dimensions:
//!
//! ```text
//! s_k = exp(ℓ_k)            (exp(tanh ℓ_k) with the tanh bound)
//! A_k = (I + tril(T_k, −1)) · diag(s_k)
//! ln p(z) = −(d/2) ln 2π + logsumexp_k [ log_softmax(w)_k + Σ_j ln s_kj − ½‖A_k (z − μ_k)‖² ]
//! ```
//!
//! The mixture lives in standardised units `z = (x − m) / σ` (when
//! standardisation is on), and `h(x) = −ln p(z) + Σ_j ln σ_j` is reported in the
//! units of `x`, so results do not depend on the option, up to fit quality.

use std::f64::consts::TAU;
use std::path::Path;

use burn::config::Config;
use burn::module::{Module, Param};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Tensor, TensorData};

use super::Entropy;
use crate::check;
use crate::error::{LsmiError, Result};
use crate::ops::log_sum_exp;
use crate::rng::SeededRng;
use crate::standardize::Standardizer;
use crate::train::{self, EpochProgress, FitConfig, FitReport, Rows};

/// Covariance structure of the mixture components.
#[derive(Config, Debug, Copy, PartialEq, Eq)]
pub enum Covariance {
    /// A full precision factor per component (`d(d−1)/2` extra parameters each).
    Full,
    /// Axis-aligned components.
    Diagonal,
    /// One full covariance shared by every component (fitted by EM only:
    /// [`EmConfig`](super::EmConfig), [`MixtureSearch`](super::MixtureSearch)).
    /// The model stores `K` identical copies of the shared precision factor, so
    /// evaluation, save and load work as for [`Covariance::Full`]; Adam
    /// ([`KnifeConfig::fit`]) does not train it.
    Tied,
}

/// Where component means start.
#[derive(Config, Debug, Copy, PartialEq, Eq)]
pub enum MeanInit {
    /// `K` distinct random rows of the (standardised) training data.
    DataRows,
    /// `init_std · N(0, 1)`, as in the reference code.
    StandardNormal,
}

/// How component shapes (scales and triangular factors) start.
#[derive(Config, Debug, Copy, PartialEq, Eq)]
pub enum ShapeInit {
    /// Spherical components of standard deviation `init_std`: `ℓ = −ln init_std`, `T = 0`.
    Isotropic,
    /// The reference code's draw: `ℓ, T ~ init_std · N(0, 1)`.
    Random,
}

/// Hyper-parameters of a [`Knife`] model and of its fit.
///
/// `KnifeConfig::new(d)` gives this crate's defaults (chosen from the
/// measurements in `docs/entropy.md`); [`KnifeConfig::reference`] reproduces the
/// authors' run.
#[derive(Config, Debug)]
pub struct KnifeConfig {
    /// Number of features `d`.
    pub dim: usize,
    /// Number of mixture components `K`.
    #[config(default = 4)]
    pub kernels: usize,
    /// Full or diagonal covariance.
    #[config(default = "Covariance::Full")]
    pub covariance: Covariance,
    /// Whether the mixture weights are learned (else fixed at `1/K`).
    #[config(default = true)]
    pub learnable_weights: bool,
    /// Bound the log-scales with `tanh` (the reference's option), so each
    /// component's precision scale stays in `[1/e, e]`.
    #[config(default = false)]
    pub tanh_bound: bool,
    /// Initial component standard deviation ([`ShapeInit::Isotropic`]) or the
    /// standard deviation of the random initial parameters (reference).
    #[config(default = 1.0)]
    pub init_std: f64,
    /// Where component means start.
    #[config(default = "MeanInit::DataRows")]
    pub mean_init: MeanInit,
    /// How component shapes start.
    #[config(default = "ShapeInit::Isotropic")]
    pub shape_init: ShapeInit,
    /// Standardise each feature with the training data's mean and standard
    /// deviation before fitting; `h` is still reported in the original units.
    #[config(default = true)]
    pub standardize: bool,
    /// Relative floor of the standardisation scale: feature `j` is divided by at
    /// least `scale_floor · rms_j` (its root mean square; for a feature that is 0
    /// on every row, the largest feature's), never by 0. A constant feature thus
    /// gives finite values (its true differential entropy is −∞), and because the
    /// floor scales with the data, multiplying the features by `c > 0` moves `h`
    /// by exactly `d · ln c` at any magnitude.
    #[config(default = 1e-6)]
    pub scale_floor: f64,
    /// The optimiser, schedule and seed.
    #[config(
        default = "FitConfig::new().with_learning_rate(1e-2).with_batch_size(512).with_epochs(40).with_lr_step_epochs(25)"
    )]
    pub fit: FitConfig,
}

/// Rows evaluated at once at inference, bounded so `[rows, K·d]` stays small.
const INFERENCE_ELEMENTS: usize = 1 << 22;

impl KnifeConfig {
    /// The authors' run (K = 5, N(0,1) means, init std 1, tanh bound, random
    /// shapes, no standardisation, full covariance, Adam 1e-3, batch 32, 30
    /// epochs, step schedule 20 × 0.1), for comparison with their numbers.
    pub fn reference(dim: usize) -> Self {
        KnifeConfig::new(dim)
            .with_kernels(5)
            .with_mean_init(MeanInit::StandardNormal)
            .with_shape_init(ShapeInit::Random)
            .with_init_std(1.0)
            .with_tanh_bound(true)
            .with_standardize(false)
            .with_fit(
                FitConfig::new()
                    .with_learning_rate(1e-3)
                    .with_batch_size(32)
                    .with_epochs(30)
                    .with_lr_step_epochs(20)
                    .with_lr_gamma(0.1),
            )
    }

    /// Checks every field once, up front.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if `dim` or `kernels` is 0, `init_std` or
    ///   `scale_floor` is not a positive finite number, or a field of `fit` is out of range
    ///   (see [`FitConfig::validate`]).
    pub fn validate(&self) -> Result<()> {
        if self.dim == 0 {
            return LsmiError::invalid_config("dim", 0, "KNIFE needs at least one feature");
        }
        if self.kernels == 0 {
            return LsmiError::invalid_config("kernels", 0, "KNIFE needs at least one kernel");
        }
        if !(self.init_std.is_finite() && self.init_std > 0.0) {
            return LsmiError::invalid_config(
                "init_std",
                self.init_std,
                "must be a positive number",
            );
        }
        if !(self.scale_floor.is_finite() && self.scale_floor > 0.0) {
            return LsmiError::invalid_config(
                "scale_floor",
                self.scale_floor,
                "must be a positive number",
            );
        }
        self.fit.validate()
    }

    /// A model with no data seen: no standardisation, means from
    /// `init_std · N(0, 1)` (there are no data rows to draw from).
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if a field is out of range (see
    ///   [`validate`](Self::validate)).
    pub fn init(&self, device: &Device) -> Result<Knife> {
        self.validate()?;
        let mut rng = SeededRng::new(self.fit.seed);
        let means = self.normal_means(&mut rng, device);
        Ok(self.assemble(
            means,
            Standardizer::identity(self.dim, device),
            &mut rng,
            device,
        ))
    }

    /// Fits a model to the rows of `x` (`[n, d]`, on any device; fitting runs on
    /// its autodiff twin). Returns the model, without autodiff, and how the fit went.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if a field is out of range (see
    ///   [`validate`](Self::validate)), or `covariance` is [`Covariance::Tied`]
    ///   (which only EM fits).
    /// * [`LsmiError::Empty`] if `x` has no features or no rows.
    /// * [`LsmiError::WidthMismatch`] if `x` has not `dim` features.
    /// * [`LsmiError::NonFinite`] if `x` holds NaN or ±∞, or an epoch's training loss is
    ///   not finite.
    /// * [`LsmiError::TooFewRows`] if `x` has fewer rows than `kernels` with
    ///   [`MeanInit::DataRows`].
    /// * [`LsmiError::Backend`] if the backend fails to read a tensor back.
    pub fn fit(&self, x: Tensor<2>) -> Result<(Knife, FitReport)> {
        self.fit_with_progress(x, &mut |_| {})
    }

    /// An untrained model initialised from the rows of `x` (`[n, d]`): the
    /// standardisation is fitted on them and, with [`MeanInit::DataRows`], the
    /// component means are `K` distinct rows. [`fit`](Self::fit) starts here.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if a field is out of range (see
    ///   [`validate`](Self::validate)), or `covariance` is [`Covariance::Tied`]
    ///   (which only EM fits).
    /// * [`LsmiError::Empty`] if `x` has no features or no rows.
    /// * [`LsmiError::WidthMismatch`] if `x` has not `dim` features.
    /// * [`LsmiError::NonFinite`] if `x` holds NaN or ±∞.
    /// * [`LsmiError::TooFewRows`] if `x` has fewer rows than `kernels` with
    ///   [`MeanInit::DataRows`].
    /// * [`LsmiError::Backend`] if the backend fails to read a tensor back.
    pub fn init_from_data(&self, x: &Tensor<2>) -> Result<Knife> {
        self.validate()?;
        if self.covariance == Covariance::Tied {
            return LsmiError::invalid_config(
                "covariance",
                "Tied",
                "Adam trains Full or Diagonal kernels; tied covariance is fitted by EM \
                 (EmConfig, MixtureSearch)",
            );
        }
        let [rows, dim] = x.dims();
        check::features("x", dim, self.dim)?;
        check::non_empty("x", rows)?;
        check::finite("x", x)?;
        let device = x.device();
        let mut rng = SeededRng::new(self.fit.seed);

        let standardizer = if self.standardize {
            Standardizer::fit(x, self.scale_floor)?
        } else {
            Standardizer::identity(dim, &device)
        };
        let means = match self.mean_init {
            MeanInit::DataRows => {
                if rows < self.kernels {
                    return Err(LsmiError::TooFewRows {
                        what: "x",
                        rows,
                        needed: self.kernels,
                        reason: "one distinct data row per kernel to initialise its mean",
                    });
                }
                let picked = &rng.permutation(rows)[..self.kernels];
                let rows_picked = x.clone().select(0, train::index_tensor(picked, &device));
                standardizer.apply(rows_picked)
            }
            MeanInit::StandardNormal => self.normal_means(&mut rng, &device),
        };
        Ok(self.assemble(means, standardizer, &mut rng, &device))
    }

    /// [`fit`](Self::fit), calling `progress` after every epoch.
    ///
    /// # Errors
    ///
    /// As [`fit`](Self::fit).
    pub fn fit_with_progress(
        &self,
        x: Tensor<2>,
        progress: &mut dyn FnMut(&EpochProgress),
    ) -> Result<(Knife, FitReport)> {
        let model = self.init_from_data(&x)?;
        train::fit(
            model,
            &Rows { x, labels: None },
            &self.fit,
            |model: &Knife, batch: &Rows| model.surprisal(batch.x.clone()).mean(),
            progress,
        )
    }

    /// Loads a model saved with [`Knife::save`]; `self` must be the configuration
    /// it was built with.
    ///
    /// # Errors
    ///
    /// * The errors of [`init`](Self::init).
    /// * [`LsmiError::Record`] if the record at `path` cannot be read or does not fit this
    ///   model.
    pub fn load(&self, path: impl AsRef<Path>, device: &Device) -> Result<Knife> {
        self.init(device)?
            .try_load_file(path)
            .map_err(|err| LsmiError::Record(err.to_string()))
    }

    fn normal_means(&self, rng: &mut SeededRng, device: &Device) -> Tensor<2> {
        let values = (0..self.kernels * self.dim)
            .map(|_| (self.init_std * rng.normal()) as f32)
            .collect();
        Tensor::from_data(TensorData::new(values, [self.kernels, self.dim]), device)
    }

    fn assemble(
        &self,
        means: Tensor<2>,
        standardizer: Standardizer,
        rng: &mut SeededRng,
        device: &Device,
    ) -> Knife {
        let (k, d) = (self.kernels, self.dim);
        let mut draw = |len: usize, isotropic: f32| -> Vec<f32> {
            match self.shape_init {
                ShapeInit::Isotropic => vec![isotropic; len],
                ShapeInit::Random => (0..len)
                    .map(|_| (self.init_std * rng.normal()) as f32)
                    .collect(),
            }
        };
        let log_scales = draw(k * d, -(self.init_std.ln()) as f32);
        let lower = match self.covariance {
            Covariance::Full | Covariance::Tied => Some(Param::from_tensor(
                Tensor::<3>::from_data(TensorData::new(draw(k * d * d, 0.0), [k, d, d]), device),
            )),
            Covariance::Diagonal => None,
        };
        Knife {
            weights: Param::from_tensor(Tensor::<1>::zeros([k], device))
                .set_require_grad(self.learnable_weights),
            means: Param::from_tensor(means),
            log_scales: Param::from_tensor(Tensor::from_data(
                TensorData::new(log_scales, [k, d]),
                device,
            )),
            lower,
            standardizer,
            tanh_bound: self.tanh_bound,
            kernels: k,
            dim: d,
        }
    }
}

/// Host parameters of a [`Knife`] (see [`Knife::from_parts`]).
#[derive(Debug, Clone)]
pub(crate) struct KnifeParts {
    pub kernels: usize,
    pub dim: usize,
    pub weight_logits: Vec<f32>,
    pub means: Vec<f32>,
    pub log_scales: Vec<f32>,
    pub lower: Option<Vec<f32>>,
}

/// A fitted (or freshly initialised) KNIFE density model; see the module docs.
#[derive(Module, Debug)]
pub struct Knife {
    /// Mixture weight logits `w`, `[K]`.
    weights: Param<Tensor<1>>,
    /// Component means `μ`, `[K, d]`, in standardised units.
    means: Param<Tensor<2>>,
    /// Log-scales `ℓ`, `[K, d]`.
    log_scales: Param<Tensor<2>>,
    /// `T`, `[K, d, d]`; only its strictly lower triangle is used. `None` for
    /// diagonal covariance.
    lower: Option<Param<Tensor<3>>>,
    /// Standardisation of the inputs (fixed at fit time).
    standardizer: Standardizer,
    tanh_bound: bool,
    kernels: usize,
    dim: usize,
}

impl Knife {
    /// A model from host parameters in standardised units (no `tanh` bound):
    /// weight logits `[K]`, means `[K·d]`, log-scales `ℓ` `[K·d]` and, for full
    /// factors, `T` `[K·d·d]` (row-major, strictly lower part used).
    pub(crate) fn from_parts(
        parts: KnifeParts,
        standardizer: Standardizer,
        device: &Device,
    ) -> Knife {
        let KnifeParts {
            kernels: k,
            dim: d,
            weight_logits,
            means,
            log_scales,
            lower,
        } = parts;
        Knife {
            weights: Param::from_tensor(Tensor::from_data(
                TensorData::new(weight_logits, [k]),
                device,
            )),
            means: Param::from_tensor(Tensor::from_data(TensorData::new(means, [k, d]), device)),
            log_scales: Param::from_tensor(Tensor::from_data(
                TensorData::new(log_scales, [k, d]),
                device,
            )),
            lower: lower.map(|t| {
                Param::from_tensor(Tensor::from_data(TensorData::new(t, [k, d, d]), device))
            }),
            standardizer,
            tanh_bound: false,
            kernels: k,
            dim: d,
        }
    }

    /// The number of mixture components `K`.
    pub fn kernels(&self) -> usize {
        self.kernels
    }

    /// Saves the parameters (a burn record, burnpack format) to `path`.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Record`] if the record cannot be written to `path`.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.clone()
            .save_file(path)
            .map_err(|err| LsmiError::Record(err.to_string()))
    }

    /// `ln π_k + ln N_k(z)` for standardised rows `z` (`[n, d]` → `[n, K]`): the
    /// per-kernel terms whose log-sum-exp over `K` is `ln p(z)` (EM's E-step
    /// normalises them into log-responsibilities). Works under autodiff.
    pub(crate) fn log_joint_standardised(&self, z: Tensor<2>) -> Tensor<2> {
        let [n, d] = z.dims();
        let k = self.kernels;
        let device = z.device();
        let ell = match self.tanh_bound {
            true => self.log_scales.val().tanh(),
            false => self.log_scales.val(),
        };
        let s = ell.clone().exp(); // [K, d]
        let means = self.means.val();
        let quad = match &self.lower {
            Some(lower) => {
                // A_kᵀ = diag(s_k)(I + L_k)ᵀ, laid side by side as one [d, K·d]
                // matrix so that all K products A_k z are one GEMM.
                let eye = Tensor::<2>::eye(d, &device)
                    .reshape([1, d, d])
                    .expand([k, d, d]);
                let unit_lower = lower.val().tril(-1) + eye;
                let a_t = unit_lower.swap_dims(1, 2) * s.reshape([k, d, 1]);
                let a_mu = means
                    .reshape([k, 1, d])
                    .matmul(a_t.clone())
                    .reshape([1, k * d]);
                let w = a_t.permute([1, 0, 2]).reshape([d, k * d]);
                let projected = z.matmul(w) - a_mu; // A_k (z − μ_k), [n, K·d]
                projected
                    .square()
                    .reshape([n, k, d])
                    .sum_dim(2)
                    .reshape([n, k])
            }
            None => {
                let diff = z.reshape([n, 1, d]) - means.reshape([1, k, d]);
                (diff * s.reshape([1, k, d]))
                    .square()
                    .sum_dim(2)
                    .reshape([n, k])
            }
        };
        let log_weights = log_softmax(self.weights.val().reshape([1, k]), 1);
        let log_det = ell.sum_dim(1).reshape([1, k]);
        (log_weights + log_det - quad.mul_scalar(0.5)).sub_scalar(0.5 * d as f64 * TAU.ln())
    }

    /// `ln p(z)` for standardised rows `z` (`[n, d]` → `[n]`), works under autodiff.
    fn log_density_standardised(&self, z: Tensor<2>) -> Tensor<1> {
        let n = z.dims()[0];
        log_sum_exp(self.log_joint_standardised(z), 1).reshape([n])
    }

    /// `h(x)` in original units for unchecked rows (`[n, d]` → `[n]`), under autodiff too.
    pub(crate) fn surprisal(&self, x: Tensor<2>) -> Tensor<1> {
        // Σ_j ln σ_j brings h back to the units of x.
        let z = self.standardizer.apply(x);
        self.log_density_standardised(z).neg() + self.standardizer.log_scale_sum()
    }
}

impl Entropy for Knife {
    fn dim(&self) -> usize {
        self.dim
    }

    fn pointwise_entropy(&self, x: Tensor<2>) -> Result<Tensor<1>> {
        let [rows, dim] = x.dims();
        check::features("x", dim, self.dim)?;
        check::non_empty("x", rows)?;
        check::finite("x", &x)?;
        let chunk = (INFERENCE_ELEMENTS / (self.kernels * self.dim)).max(1);
        if rows <= chunk {
            return Ok(self.surprisal(x));
        }
        let parts = (0..rows)
            .step_by(chunk)
            .map(|start| self.surprisal(x.clone().narrow(0, start, chunk.min(rows - start))))
            .collect();
        Ok(Tensor::cat(parts, 0))
    }
}
