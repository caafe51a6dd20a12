//! Redundancy and the split of information into `r, u1, u2, s` (paper eqs. 2, 5, 6).
//!
//! The arithmetic is written once, generically, and serves both the device path
//! (`Tensor<1>`, one entry per sample) and the exact host oracle (`f64`, one
//! event at a time), so the two cannot drift apart.

use std::ops::Sub;

use burn::tensor::Tensor;

/// The values LSMI's arithmetic runs on: a device tensor of samples or one `f64`.
pub(crate) trait Pointwise: Clone + Sub<Output = Self> {
    /// Element-wise minimum.
    fn minimum(self, other: Self) -> Self;
    /// Adds a constant to every element.
    fn plus(self, shift: f64) -> Self;
}

impl Pointwise for f64 {
    fn minimum(self, other: Self) -> Self {
        self.min(other)
    }
    fn plus(self, shift: f64) -> Self {
        self + shift
    }
}

impl Pointwise for Tensor<1> {
    fn minimum(self, other: Self) -> Self {
        self.min_pair(other)
    }
    fn plus(self, shift: f64) -> Self {
        self.add_scalar(shift)
    }
}

/// The five pointwise inputs of the decomposition, in nats.
#[derive(Debug, Clone)]
pub(crate) struct Inputs<T> {
    pub h1: T,
    pub h2: T,
    pub i1: T,
    pub i2: T,
    pub i12: T,
}

/// The six pointwise outputs, in nats.
#[derive(Debug, Clone)]
pub(crate) struct Parts<T> {
    pub r: T,
    pub u1: T,
    pub u2: T,
    pub s: T,
    pub r_plus: T,
    pub r_minus: T,
}

/// LSMI for one sample (or a tensor of samples).
///
/// * eq. 5: `r⁺ = min(h(x1), h(x2))`, `r⁻ = min(h(x1|y), h(x2|y))` with
///   `h(x|y) = h(x) − i(x;y)` (eq. 8);
/// * eq. 6: `r = r⁺ − r⁻`;
/// * eq. 2: `u_k = i(x_k;y) − r`, `s = i(x1,x2;y) − r − u1 − u2`.
pub(crate) fn split<T: Pointwise>(inputs: Inputs<T>) -> Parts<T> {
    let Inputs {
        h1,
        h2,
        i1,
        i2,
        i12,
    } = inputs;
    let h1_given_y = h1.clone() - i1.clone();
    let h2_given_y = h2.clone() - i2.clone();
    let r_plus = h1.minimum(h2);
    let r_minus = h1_given_y.minimum(h2_given_y);
    parts_from(r_plus, r_minus, i1, i2, i12)
}

/// Eqs. 6 and 2 for any redundancy written as `r = r⁺ − r⁻`:
/// `u_k = i(x_k;y) − r`, `s = i(x1,x2;y) − r − u1 − u2`.
pub(crate) fn parts_from<T: Pointwise>(r_plus: T, r_minus: T, i1: T, i2: T, i12: T) -> Parts<T> {
    let r = r_plus.clone() - r_minus.clone();
    let u1 = i1 - r.clone();
    let u2 = i2 - r.clone();
    let s = i12 - r.clone() - u1.clone() - u2.clone();
    Parts {
        r,
        u1,
        u2,
        s,
        r_plus,
        r_minus,
    }
}

/// The reference adjustment: `r += a, s += a, u1 −= a, u2 −= a`.
///
/// It leaves `r + u_k = i(x_k;y)` and `r + u1 + u2 + s = i(x1,x2;y)` intact for
/// every sample; `r⁺` and `r⁻` are not shifted.
pub(crate) fn shift<T: Pointwise>(parts: Parts<T>, a: f64) -> Parts<T> {
    Parts {
        r: parts.r.plus(a),
        u1: parts.u1.plus(-a),
        u2: parts.u2.plus(-a),
        s: parts.s.plus(a),
        r_plus: parts.r_plus,
        r_minus: parts.r_minus,
    }
}

/// The shift `a` of the reference adjustment, chosen from the data-set means.
///
/// If `R̄ < 0` or `S̄ < 0` then `a = −min(R̄, S̄)`; else if `Ū1 < 0` or `Ū2 < 0`
/// then `a = min(Ū1, Ū2)`; else `a = 0`.
pub fn adjustment_shift(r: f64, u1: f64, u2: f64, s: f64) -> f64 {
    if r < 0.0 || s < 0.0 {
        -r.min(s)
    } else if u1 < 0.0 || u2 < 0.0 {
        u1.min(u2)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(h1: f64, h2: f64, i1: f64, i2: f64, i12: f64) -> Parts<f64> {
        split(Inputs {
            h1,
            h2,
            i1,
            i2,
            i12,
        })
    }

    #[test]
    fn redundancy_is_the_pmi_of_the_dominant_modality_even_when_larger() {
        // identity 5: h1 ≤ h2 and h1 − i1 ≤ h2 − i2 ⇒ r = i1, u1 = 0.
        let parts = one(1.0, 2.0, 0.3, 0.1, 0.9);
        assert!((parts.r - 0.3).abs() < 1e-12);
        assert!(parts.u1.abs() < 1e-12);
    }

    #[test]
    fn shift_prefers_negative_redundancy_or_synergy() {
        assert_eq!(adjustment_shift(-0.2, -0.5, 0.1, 0.3), 0.2);
        assert_eq!(adjustment_shift(0.4, -0.1, -0.3, 0.5), -0.3);
        assert_eq!(adjustment_shift(0.4, 0.1, 0.3, 0.5), 0.0);
    }
}
