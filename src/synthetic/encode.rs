//! Shared building blocks of the generators: rows collected into [`Features`], and
//! a fixed random linear embedding of a discrete code plus Gaussian noise.

use super::Features;
use crate::rng::SeededRng;

/// A feature matrix filled one row at a time, rounded to `f32` on the way in.
#[derive(Debug)]
pub(super) struct FeatureRows {
    values: Vec<f32>,
    rows: usize,
    cols: usize,
}

impl FeatureRows {
    /// An empty matrix with `cols` columns and room for `capacity` rows.
    pub(super) fn new(cols: usize, capacity: usize) -> Self {
        Self {
            values: Vec::with_capacity(cols * capacity),
            rows: 0,
            cols,
        }
    }

    /// Appends one row of length `cols`.
    pub(super) fn push(&mut self, row: &[f64]) {
        debug_assert_eq!(row.len(), self.cols);
        self.values.extend(row.iter().map(|&v| v as f32));
        self.rows += 1;
    }

    /// The `[rows, cols]` features.
    pub(super) fn finish(self) -> Features {
        Features {
            values: self.values,
            rows: self.rows,
            cols: self.cols,
        }
    }
}

/// A fixed `dim × inputs` matrix `W`, drawn once per data set: a code `s ∈ R^inputs`
/// becomes the feature row `W · s + noise_std · ε`, `ε ~ N(0, I_dim)`.
#[derive(Debug, Clone)]
pub(super) struct Embedding {
    /// Row-major `dim × inputs`.
    weights: Vec<f64>,
    inputs: usize,
}

impl Embedding {
    /// Entries i.i.d. `N(0, scale²)`.
    pub(super) fn random(dim: usize, inputs: usize, scale: f64, rng: &mut SeededRng) -> Self {
        let weights = (0..dim * inputs).map(|_| scale * rng.normal()).collect();
        Self { weights, inputs }
    }

    /// `W · code + noise_std · ε`, one feature row of length `dim`.
    pub(super) fn encode(&self, code: &[f64], noise_std: f64, rng: &mut SeededRng) -> Vec<f64> {
        debug_assert_eq!(code.len(), self.inputs);
        self.weights
            .chunks_exact(self.inputs)
            .map(|row| {
                let signal: f64 = row.iter().zip(code).map(|(w, s)| w * s).sum();
                signal + noise_std * rng.normal()
            })
            .collect()
    }
}

/// `e_index ∈ R^len`.
pub(super) fn one_hot(index: usize, len: usize) -> Vec<f64> {
    (0..len).map(|k| f64::from(u8::from(k == index))).collect()
}

/// `±1` for a bit: `2b − 1`.
pub(super) fn sign(bit: usize) -> f64 {
    if bit == 0 { -1.0 } else { 1.0 }
}
