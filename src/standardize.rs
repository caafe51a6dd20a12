//! Per-feature standardisation `z = (x − m) / σ`, fitted once on training data
//! and recorded with the model that uses it (KNIFE, the classifiers).

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};

use crate::check;
use crate::error::Result;

/// A fixed (never trained) affine map `z = (x − m) / σ` on `d` features.
#[derive(Module, Debug)]
pub struct Standardizer {
    /// The shift `m`, `[d]`.
    loc: Param<Tensor<1>>,
    /// The scale `σ`, `[d]`.
    scale: Param<Tensor<1>>,
}

impl Standardizer {
    /// The identity map on `dim` features (`m = 0`, `σ = 1`).
    pub fn identity(dim: usize, device: &Device) -> Self {
        Self::from_host(vec![0.0; dim], vec![1.0; dim], device)
    }

    /// The per-feature mean and standard deviation of `x` (`[n, d]`), the latter
    /// floored at `floor` so a constant feature gives finite values.
    pub fn fit(x: &Tensor<2>, floor: f64) -> Result<Self> {
        let loc = check::read_f32(x.clone().mean_dim(0))?;
        let var = check::read_f32(x.clone().var_bias(0))?;
        let scale = var
            .iter()
            .map(|&v| f64::from(v).max(0.0).sqrt().max(floor) as f32)
            .collect();
        Ok(Self::from_host(loc, scale, &x.device()))
    }

    fn from_host(loc: Vec<f32>, scale: Vec<f32>, device: &Device) -> Self {
        let constant = |values: Vec<f32>| {
            Param::from_tensor(check::vector(values, device)).set_require_grad(false)
        };
        Self {
            loc: constant(loc),
            scale: constant(scale),
        }
    }

    /// `z = (x − m) / σ` for `x: [n, d]`; no gradient flows into `m` or `σ`.
    pub fn apply(&self, x: Tensor<2>) -> Tensor<2> {
        let d = x.dims()[1];
        let loc = self.loc.val().detach().reshape([1, d]);
        let scale = self.scale.val().detach().reshape([1, d]);
        (x - loc) / scale
    }

    /// `Σ_j ln σ_j` as a one-element tensor: what standardising subtracts from a
    /// differential entropy.
    pub fn log_scale_sum(&self) -> Tensor<1> {
        self.scale.val().detach().log().sum()
    }
}
