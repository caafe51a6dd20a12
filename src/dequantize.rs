//! Uniform dequantisation of discrete feature columns, so that an entropy model
//! sees a density rather than point masses.

use crate::check;
use crate::error::{LsmiError, Result};
use crate::rng::SeededRng;
use crate::synthetic::Features;

/// A column that [`dequantize`] found discrete, and the noise it added.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DiscreteColumn {
    /// The column index (0-based).
    pub column: usize,
    /// The number of distinct values it took.
    pub levels: usize,
    /// The width `w` of the uniform noise added: the smallest gap between two of
    /// its distinct values (1 for a constant column).
    pub width: f64,
}

/// Finds the discrete columns of `x` and adds uniform noise to them, in place:
/// `x̃ = x + w·(u − ½)`, `u ~ U[0, 1)` drawn from `seed`, with `w` the column's
/// smallest gap between distinct values. Returns the columns changed, in order.
///
/// **Which columns.** A column is discrete when its values repeat on average
/// at least twice (at most `rows / 2` distinct values): continuous features
/// repeat with probability zero, while pixel intensities, counts or category
/// codes take a handful of values. A density model fitted to such a column
/// puts ever narrower kernels on its atoms and its `h` runs off to −∞; the
/// noise turns each atom into a cell of width `w` that it can fit.
///
/// **What it does to the terms.** The cells are disjoint (no two values lie
/// closer than `w`), so `x̃` determines `x`, and the noise is independent of
/// the label: `p(y|x̃) = p(y|x)`, so every `i(x;y)` is that of the original
/// features. The density of `x̃` is that of `x` spread evenly over its cell:
/// for a wholly discrete view, `h(x̃) = −ln P(x) + Σ_j ln w_j`, the discrete
/// surprisal plus a constant (zero for unit-width integer grids); with
/// continuous columns too, `−ln P(x_discrete | x_continuous) + h(x_continuous)`
/// plus the same constant. The entropy model estimates `h(x̃)`.
///
/// Deterministic: the same `x` and `seed` give the same values. The noise is
/// drawn row by row over the discrete columns, in `f64`, and stored as `f32`
/// (fine while `w` is large against the `f32` spacing of the values).
///
/// # Errors
///
/// * [`LsmiError::LengthMismatch`] if `x.values` does not hold `rows × cols`
///   values.
/// * [`LsmiError::NonFinite`] if a value is NaN or ±∞.
pub fn dequantize(x: &mut Features, seed: u64) -> Result<Vec<DiscreteColumn>> {
    let (rows, cols) = (x.rows, x.cols);
    let expected = rows.saturating_mul(cols);
    check::same_length("values", x.values.len(), "rows × cols", expected)?;
    if let Some(index) = x.values.iter().position(|v| !v.is_finite()) {
        return Err(LsmiError::NonFinite {
            what: "x",
            index: vec![index / cols, index % cols],
            value: f64::from(x.values[index]),
        });
    }
    let mut discrete = Vec::new();
    for column in 0..cols {
        let mut levels: Vec<f32> = (0..rows).map(|r| x.values[r * cols + column]).collect();
        levels.sort_by(f32::total_cmp);
        levels.dedup();
        if rows == 0 || levels.len() > rows / 2 {
            continue;
        }
        let width = levels
            .windows(2)
            .map(|pair| f64::from(pair[1]) - f64::from(pair[0]))
            .fold(f64::INFINITY, f64::min);
        discrete.push(DiscreteColumn {
            column,
            levels: levels.len(),
            width: if width.is_finite() { width } else { 1.0 },
        });
    }
    let mut rng = SeededRng::new(seed);
    for row in 0..rows {
        for found in &discrete {
            let value = &mut x.values[row * cols + found.column];
            *value = (f64::from(*value) + found.width * (rng.uniform() - 0.5)) as f32;
        }
    }
    Ok(discrete)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(values: Vec<f32>, cols: usize) -> Features {
        Features {
            rows: values.len() / cols,
            cols,
            values,
        }
    }

    #[test]
    fn only_repeating_columns_get_noise_within_their_cells() {
        // Column 0: levels {0, 2, 5} (gap 2); column 1: all distinct;
        // column 2: constant.
        let original: Vec<f32> = (0..12)
            .flat_map(|r| [[0.0, 2.0, 5.0][r % 3], r as f32 * 0.37 + 0.1, 7.0])
            .collect();
        let mut x = features(original.clone(), 3);
        let found = dequantize(&mut x, 3).unwrap();
        assert_eq!(
            found,
            [
                DiscreteColumn {
                    column: 0,
                    levels: 3,
                    width: 2.0
                },
                DiscreteColumn {
                    column: 2,
                    levels: 1,
                    width: 1.0
                },
            ]
        );
        for (k, (&new, &old)) in x.values.iter().zip(&original).enumerate() {
            match k % 3 {
                1 => assert_eq!(new, old),
                c => {
                    let half = if c == 0 { 1.0 } else { 0.5 };
                    assert!(
                        (new - old).abs() <= half && new != old,
                        "{k}: {old} → {new}"
                    );
                }
            }
        }
        // Rounding back to the nearest level recovers every value: x̃ determines x.
        for r in 0..12 {
            let nearest = [0.0f32, 2.0, 5.0]
                .into_iter()
                .min_by(|a, b| {
                    (a - x.values[3 * r])
                        .abs()
                        .total_cmp(&(b - x.values[3 * r]).abs())
                })
                .unwrap();
            assert_eq!(nearest, original[3 * r]);
        }
        let mut again = features(original.clone(), 3);
        dequantize(&mut again, 3).unwrap();
        assert_eq!(again, x, "same seed, same noise");
        let mut other = features(original, 3);
        dequantize(&mut other, 4).unwrap();
        assert_ne!(other, x, "another seed, other noise");
    }

    #[test]
    fn bad_shapes_and_values_are_errors() {
        let mut x = Features {
            values: vec![1.0; 5],
            rows: 2,
            cols: 3,
        };
        assert!(matches!(
            dequantize(&mut x, 0),
            Err(LsmiError::LengthMismatch {
                found: 5,
                expected: 6,
                ..
            })
        ));
        let mut x = features(vec![1.0, 2.0, f32::NAN, 4.0], 2);
        assert_eq!(
            dequantize(&mut x, 0).unwrap_err().to_string(),
            "non-finite value: x[1, 0] = NaN"
        );
        let mut empty = features(vec![], 2);
        assert_eq!(dequantize(&mut empty, 0).unwrap(), []);
    }
}
