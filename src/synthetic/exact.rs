//! Exact pointwise terms of synthetic samples and their exact LSMI decomposition.

use crate::error::{LsmiError, Result};
use crate::redundancy::{self, Inputs, Parts};
use crate::summary::{Means, Summary};

/// The exact pointwise terms of LSMI, one entry per sample, in nats.
///
/// Entry `j` of every vector belongs to row `j` of the sample's features.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExactTerms {
    /// `h(x1) = −ln p(x1)`.
    pub h1: Vec<f64>,
    /// `h(x2) = −ln p(x2)`.
    pub h2: Vec<f64>,
    /// `i(x1;y) = ln p(y|x1) − ln p(y)`.
    pub i1: Vec<f64>,
    /// `i(x2;y) = ln p(y|x2) − ln p(y)`.
    pub i2: Vec<f64>,
    /// `i(x1,x2;y) = ln p(y|x1,x2) − ln p(y)`.
    pub i12: Vec<f64>,
}

impl ExactTerms {
    /// The number of samples.
    pub fn len(&self) -> usize {
        self.h1.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.h1.is_empty()
    }

    /// Sample `index` as `[h1, h2, i1, i2, i12]`, or `None` past the end (or
    /// where a column is shorter).
    pub fn row(&self, index: usize) -> Option<[f64; 5]> {
        Some([
            *self.h1.get(index)?,
            *self.h2.get(index)?,
            *self.i1.get(index)?,
            *self.i2.get(index)?,
            *self.i12.get(index)?,
        ])
    }

    /// The exact pointwise interactions (paper eqs. 2, 5, 6), through the same
    /// arithmetic as the estimator.
    pub fn decompose(&self) -> ExactInteractions {
        let mut interactions = ExactInteractions::default();
        for index in 0..self.len() {
            interactions.push(redundancy::split(self.inputs(index)));
        }
        interactions
    }

    /// The unweighted means over the samples of the exact terms and interactions:
    /// Monte-Carlo estimates of `H(X1)`, …, `R`, `U1`, `U2`, `S`.
    pub fn summary(&self) -> Summary {
        self.decompose().summary_of(self)
    }

    /// Appends one sample.
    pub(super) fn push(&mut self, inputs: Inputs<f64>) {
        self.h1.push(inputs.h1);
        self.h2.push(inputs.h2);
        self.i1.push(inputs.i1);
        self.i2.push(inputs.i2);
        self.i12.push(inputs.i12);
    }

    fn inputs(&self, index: usize) -> Inputs<f64> {
        Inputs {
            h1: self.h1[index],
            h2: self.h2[index],
            i1: self.i1[index],
            i2: self.i2[index],
            i12: self.i12[index],
        }
    }
}

/// Exact pointwise interactions, one entry per sample, in nats.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExactInteractions {
    /// Redundancy `r = r⁺ − r⁻`.
    pub r: Vec<f64>,
    /// Uniqueness of modality 1, `u1 = i(x1;y) − r`.
    pub u1: Vec<f64>,
    /// Uniqueness of modality 2, `u2 = i(x2;y) − r`.
    pub u2: Vec<f64>,
    /// Synergy `s = i(x1,x2;y) − r − u1 − u2`.
    pub s: Vec<f64>,
    /// `r⁺ = min(h(x1), h(x2))`.
    pub r_plus: Vec<f64>,
    /// `r⁻ = min(h(x1|y), h(x2|y))`.
    pub r_minus: Vec<f64>,
}

impl ExactInteractions {
    /// The number of samples.
    pub fn len(&self) -> usize {
        self.r.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.r.is_empty()
    }

    /// The unweighted means over the samples of these interactions and of `terms`,
    /// the terms they were computed from.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::LengthMismatch`] if `terms` has another number of samples.
    pub fn summary(&self, terms: &ExactTerms) -> Result<Summary> {
        if terms.len() != self.len() {
            return Err(LsmiError::LengthMismatch {
                what: "terms",
                reference: "interactions",
                expected: self.len(),
                found: terms.len(),
            });
        }
        Ok(self.summary_of(terms))
    }

    /// Appends one sample.
    pub(super) fn push(&mut self, parts: Parts<f64>) {
        self.r.push(parts.r);
        self.u1.push(parts.u1);
        self.u2.push(parts.u2);
        self.s.push(parts.s);
        self.r_plus.push(parts.r_plus);
        self.r_minus.push(parts.r_minus);
    }

    /// [`Self::summary`] for `terms` of the same length.
    fn summary_of(&self, terms: &ExactTerms) -> Summary {
        let mut means = Means::default();
        for j in 0..self.len() {
            means.add(
                1.0,
                [
                    self.r[j],
                    self.u1[j],
                    self.u2[j],
                    self.s[j],
                    terms.i1[j],
                    terms.i2[j],
                    terms.i12[j],
                    terms.h1[j],
                    terms.h2[j],
                ],
            );
        }
        means.finish()
    }
}
