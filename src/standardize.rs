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

    /// The per-feature mean `m` and standard deviation `σ` of `x` (`[n, d]`, `n ≥ 1`).
    ///
    /// `floor` is relative to the data, never absolute: feature `j`'s scale is at
    /// least `floor · rms_j`, with `rms_j = √(m_j² + σ_j²)` its root mean square
    /// (so a constant feature gets finite values, and a spread below what `f32`
    /// resolves of the offset is not blown up), and a feature that is 0 on every
    /// row gets `floor` times the largest `rms` (1 when all of `x` is 0). Hence
    /// `fit(c · x)` has every scale multiplied by `c > 0`: standardised values do
    /// not depend on the units, and an entropy in original units moves by exactly
    /// `d · ln c`. Features of magnitude `1e-20` and `1e30` alike are divided by a
    /// power of two near their largest magnitude first, so neither the mean nor
    /// the variance under- or overflows in `f32`.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Backend`](crate::LsmiError::Backend) if the backend fails to read a
    ///   tensor back.
    pub fn fit(x: &Tensor<2>, floor: f64) -> Result<Self> {
        let [_, d] = x.dims();
        let device = x.device();
        let unit: Vec<f32> = check::read_f32(x.clone().abs().max_dim(0))?
            .into_iter()
            .map(power_of_two_below)
            .collect();
        let y = x.clone() / check::vector(unit.clone(), &device).reshape([1, d]);
        let mean = check::read_f32(y.clone().mean_dim(0))?;
        let var = check::read_f32(y.var_bias(0))?;
        let moments: Vec<(f64, f64, f64)> = unit
            .iter()
            .zip(mean.iter().zip(&var))
            .map(|(&u, (&m, &v))| {
                let (u, m, v) = (f64::from(u), f64::from(m), f64::from(v).max(0.0));
                (m * u, v.sqrt() * u, (m * m + v).sqrt() * u)
            })
            .collect();
        let largest_rms = moments.iter().map(|&(_, _, rms)| rms).fold(0.0, f64::max);
        let fallback = if largest_rms > 0.0 { largest_rms } else { 1.0 };
        let (loc, scale) = moments
            .into_iter()
            .map(|(loc, sigma, rms)| {
                let reference = if rms > 0.0 { rms } else { fallback };
                let scale = sigma
                    .max(floor * reference)
                    .clamp(f64::from(f32::MIN_POSITIVE), f64::from(f32::MAX));
                (loc as f32, scale as f32)
            })
            .unzip();
        Ok(Self::from_host(loc, scale, &device))
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

/// The largest power of two not above `magnitude` (1 for 0, subnormals and
/// non-finite values), as a divisor that is exact in `f32`.
fn power_of_two_below(magnitude: f32) -> f32 {
    if !(magnitude.is_finite() && magnitude >= f32::MIN_POSITIVE) {
        return 1.0;
    }
    2f32.powi(magnitude.log2().floor() as i32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::CorrelatedGaussian;

    /// Multiplying the features by `c` moves `Σ ln σ` by exactly `d · ln c`, at
    /// any magnitude (the floor scales with the data).
    #[test]
    fn scale_follows_the_data() {
        let device = &crate::device::cpu_devices()[0].1;
        let x = CorrelatedGaussian::random(2, 10.0, 17).sample(500, 23);
        let sum = |standardizer: Standardizer| {
            f64::from(standardizer.log_scale_sum().into_scalar::<f32>())
        };
        let base = sum(Standardizer::fit(&x.tensor(device), 1e-6).unwrap());
        for c in [1e-8f32, 1e-20, 1e20] {
            let scaled = sum(Standardizer::fit(&x.scaled(c).tensor(device), 1e-6).unwrap());
            let expected = base + 2.0 * f64::from(c).ln();
            assert!(
                (scaled - expected).abs() < 1e-3,
                "c = {c:e}: Σ ln σ = {scaled}, expected {expected}"
            );
        }
    }
}
