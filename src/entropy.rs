//! Differential entropy of one modality's features, `h(x) = −ln p(x)`.
//!
//! The model is KNIFE ([`Knife`]), a Gaussian mixture fitted either by Adam
//! ([`KnifeConfig::fit`]) or by expectation–maximisation ([`EmConfig::fit`]);
//! [`MixtureSearch`] chooses its number of kernels and covariance kind by held-out
//! likelihood:
//!
//! ```no_run
//! # fn main() -> lsmi::Result<()> {
//! use lsmi::Entropy;
//! use lsmi::MixtureSearch;
//! # let device = lsmi::default_device();
//! # let x = lsmi::burn::tensor::Tensor::<2>::zeros([1000, 3], &device);
//! let (knife, choice) = MixtureSearch::new().fit(x.clone())?;
//! println!("{}: held-out mean h = {:.3} nats", choice.description, choice.holdout_nll);
//! let h = knife.pointwise_entropy(x)?; // [n], nats
//! # Ok(())
//! # }
//! ```

use burn::tensor::Tensor;

use crate::check;
use crate::error::Result;

mod em;
mod knife;
mod linalg;
mod search;
pub use em::{EmConfig, EmReport};
pub use knife::{Covariance, Knife, KnifeConfig, MeanInit, ShapeInit};
pub use search::{MixtureCandidate, MixtureChoice, MixtureSearch};

/// A density model that gives the pointwise surprisal of feature vectors.
///
/// LSMI needs `h(x1)` and `h(x2)` for every sample; any model that implements
/// this trait (KNIFE, a flow, an exact density in a test) can supply them.
pub trait Entropy {
    /// The number of features `d` the model expects.
    fn dim(&self) -> usize;

    /// `h(x) = −ln p(x)` for each row.
    ///
    /// * `x`: `[n, d]` features;
    /// * returns `[n]`, nats, on the device of `x`.
    ///
    /// # Errors
    ///
    /// Up to the implementation; [`Knife`] returns:
    ///
    /// * [`LsmiError::Empty`](crate::LsmiError::Empty) if `x` has no features or no rows.
    /// * [`LsmiError::WidthMismatch`](crate::LsmiError::WidthMismatch) if `x` has not
    ///   [`dim`](Self::dim) features.
    /// * [`LsmiError::NonFinite`](crate::LsmiError::NonFinite) if `x` holds NaN or ±∞.
    /// * [`LsmiError::Backend`](crate::LsmiError::Backend) if the backend fails to read a
    ///   tensor back.
    fn pointwise_entropy(&self, x: Tensor<2>) -> Result<Tensor<1>>;

    /// `H(X)`, the mean of `h(x)` over the rows of `x` (`[n, d]`), in nats,
    /// accumulated in `f64` on the host.
    ///
    /// # Errors
    ///
    /// * The errors of [`pointwise_entropy`](Self::pointwise_entropy).
    /// * [`LsmiError::Backend`](crate::LsmiError::Backend) if the backend fails to read a
    ///   tensor back.
    fn entropy(&self, x: Tensor<2>) -> Result<f64> {
        let values = check::read_f32(self.pointwise_entropy(x)?)?;
        Ok(values.iter().map(|&h| f64::from(h)).sum::<f64>() / values.len() as f64)
    }
}
