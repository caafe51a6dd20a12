//! # lsmi: per-sample multimodal interactions
//!
//! For every sample of a two-modality data set, `lsmi` measures how much of what
//! the features say about the label is **redundant** across modalities (`r`),
//! **unique** to one of them (`u1`, `u2`), or present only in the pair
//! (**synergy**, `s`). It implements LSMI (Yang, Wang, Hu, ICML 2025): in nats,
//!
//! | quantity | definition |
//! |---|---|
//! | `i(x;y)` | `ln p(y|x) − ln p(y)` |
//! | `h(x|y)` | `h(x) − i(x;y)` |
//! | `r⁺`, `r⁻` | `min(h(x1), h(x2))`, `min(h(x1|y), h(x2|y))` |
//! | `r` | `r⁺ − r⁻` |
//! | `u1`, `u2` | `i(x1;y) − r`, `i(x2;y) − r` |
//! | `s` | `i(x1,x2;y) − r − u1 − u2` |
//!
//! The entropies `h(x)` come from an [`Entropy`] model, the pointwise mutual
//! information from classifier logits through [`Pmi`]; [`Lsmi`] turns the five
//! terms into [`Interactions`], which summarise to a [`Summary`], per class, and
//! optionally under the reference [adjustment](Interactions::adjust).
//!
//! The crate never names a burn backend: tensors and their [`Device`](burn::tensor::Device)
//! come from the caller (flex or ndarray on the CPU, wgpu on the GPU).
//!
//! ```
//! use lsmi::{Decomposer, Lsmi, PointwiseTerms};
//!
//! # fn main() -> lsmi::Result<()> {
//! let device = lsmi::default_device();
//! // Two samples: h(x1), h(x2), i(x1;y), i(x2;y), i(x1,x2;y), in nats.
//! let terms = PointwiseTerms::from_slices(
//!     &[1.0, 2.0], &[1.5, 1.0], &[0.3, 0.1], &[0.2, 0.4], &[0.9, 0.5], &device,
//! )?;
//! let interactions = Lsmi.decompose(terms)?;
//! let summary = interactions.summary()?;
//! assert!((summary.r + summary.u1 - summary.i1).abs() < 1e-6);
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]
#![warn(clippy::missing_errors_doc)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use burn;

mod applications;
mod candidates;
mod check;
mod classifier;
mod decompose;
mod dequantize;
mod device;
mod entropy;
mod error;
mod estimator;
mod online;
mod ops;
mod oracle;
mod pairwise;
mod parallel;
mod pmi;
mod pointwise;
mod rng;
mod standardize;
mod summary;
pub mod synthetic;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
mod train;

pub use applications::{
    ClassPartition, DistillationWeights, Partition, ensemble_log_probs, ensemble_weights,
    partition_per_class,
};
pub use candidates::{CandidateInteractions, MAX_CANDIDATE_ENTRIES};
pub use classifier::{
    CandidateKind, CandidateReport, Classifier, ClassifierChoice, ClassifierConfig,
    ClassifierSearch, MAX_LDA_FEATURES, MAX_TEMPERATURE, MIN_TEMPERATURE, fit_lda, fit_temperature,
    nll_at_temperature,
};
pub use decompose::{Adjusted, Decomposer, Lsmi};
pub use dequantize::{DiscreteColumn, dequantize};
#[doc(hidden)]
pub use device::cpu_devices;
#[cfg(any(feature = "flex", feature = "ndarray"))]
pub use device::default_device;
#[cfg(feature = "wgpu")]
pub use device::wgpu_device;
pub use device::{backends, device};
pub use entropy::{
    Covariance, EmConfig, EmReport, Entropy, Knife, KnifeConfig, MeanInit, MixtureCandidate,
    MixtureChoice, MixtureSearch, ShapeInit,
};
pub use error::{LsmiError, Result};
pub use estimator::{FitStage, FittedLsmi, LsmiConfig, LsmiModels};
pub use online::{OnlineConfig, OnlineLsmi};
pub use oracle::{Gate, JointPmf, MAX_ENTRIES, OracleDecomposition, OracleEvent};
pub use pairwise::{PairInteractions, PairwiseLsmi, ViewSummary};
pub use pmi::{ClassPrior, LabelPrior, LogitPmi, MAX_CLASSES, Pmi};
pub use pointwise::{Column, Interactions, MAX_TERM, PointwiseTerms};
#[doc(hidden)]
pub use rng::SeededRng;
pub use summary::{ClassSummary, Summary};
pub use train::{EpochProgress, FitConfig, FitReport};

/// The README's code blocks, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// The testing guide's code blocks, compiled as doc tests.
#[cfg(all(doctest, feature = "testing"))]
#[doc = include_str!("../docs/testing.md")]
struct TestingDoctests;

/// The applications page's code blocks, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../docs/applications.md")]
struct ApplicationsDoctests;

/// The guide's code blocks, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../docs/guide.md")]
struct GuideDoctests;
