//! Reading the CLI's inputs from `.npy` or `.csv` files into host vectors.

use std::path::Path;

use lsmi::burn::tensor::{Device, Int, Tensor, TensorData};

use crate::csv;
use crate::npy::{self, Array, Values};

/// A float matrix `[rows, cols]`, row-major, as `f32` for the device.
#[derive(Debug, Clone)]
pub struct Matrix {
    pub rows: usize,
    pub cols: usize,
    pub values: Vec<f32>,
}

impl Matrix {
    /// The matrix as a `[rows, cols]` tensor on `device`.
    pub fn into_tensor(self, device: &Device) -> Tensor<2> {
        Tensor::from_data(TensorData::new(self.values, [self.rows, self.cols]), device)
    }
}

/// Labels as an `[n]` integer tensor on `device`.
pub fn labels_tensor(labels: &[i64], device: &Device) -> Tensor<1, Int> {
    Tensor::from_data(TensorData::new(labels.to_vec(), [labels.len()]), device)
}

/// An error about one input file: printed as `<path>: <message>`.
pub fn file_error(path: &Path, message: impl std::fmt::Display) -> String {
    format!("{}: {message}", path.display())
}

/// Reads `path` as `.npy` (by extension or magic string) or else as CSV.
fn load(path: &Path) -> Result<Array, String> {
    let bytes = std::fs::read(path).map_err(|e| file_error(path, format!("cannot read: {e}")))?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    decode(bytes, ext.as_deref() == Some("npy")).map_err(|e| file_error(path, e))
}

/// Decodes a file's bytes: as `.npy` when `npy_extension` or the magic string
/// says so, else as CSV. Errors are one line, without the file name.
pub fn decode(bytes: Vec<u8>, npy_extension: bool) -> Result<Array, String> {
    if npy_extension || npy::is_npy(&bytes) {
        npy::parse(&bytes)
    } else {
        let text = String::from_utf8(bytes)
            .map_err(|_| "not a .npy file and not UTF-8 text (CSV)".to_string())?;
        csv::parse(&text)
    }
}

/// The length of a per-sample array: shape `[n]` or `[n, 1]`.
fn column_len(path: &Path, array: &Array, what: &str) -> Result<usize, String> {
    match array.shape[..] {
        [n] | [n, 1] => Ok(n),
        _ => Err(file_error(
            path,
            format!(
                "{what} must be a 1-D array with one value per sample, found shape {}",
                npy::shape_text(&array.shape)
            ),
        )),
    }
}

fn non_empty(path: &Path, n: usize) -> Result<(), String> {
    if n == 0 {
        return Err(file_error(path, "empty input: no samples"));
    }
    Ok(())
}

/// Labels: one integer per sample (any integer dtype; integral floats in CSV).
pub fn labels(path: &Path) -> Result<Vec<i64>, String> {
    labels_of(path, load(path)?)
}

/// [`labels`] from the decoded `array` of `path`.
pub fn labels_of(path: &Path, array: Array) -> Result<Vec<i64>, String> {
    let n = column_len(path, &array, "labels")?;
    non_empty(path, n)?;
    match array.values {
        Values::Int(values) => Ok(values),
        Values::Float(values) if array.dtype == "csv" => values
            .iter()
            .enumerate()
            .map(|(index, &v)| {
                if v.fract() == 0.0 && v.abs() < 2f64.powi(53) {
                    Ok(v as i64)
                } else {
                    Err(file_error(
                        path,
                        format!("labels[{index}] = {v} is not an integer class"),
                    ))
                }
            })
            .collect(),
        Values::Float(_) => Err(file_error(
            path,
            format!("labels must have an integer dtype, found {}", array.dtype),
        )),
    }
}

/// Float values as `f32`, rejecting integer `.npy` dtypes and finite values
/// beyond the `f32` range (NaN and ±∞ pass through for the library to report).
fn floats(path: &Path, array: Array, what: &str) -> Result<Vec<f32>, String> {
    let values = match array.values {
        Values::Float(values) => values,
        Values::Int(values) if array.dtype == "csv" => {
            values.into_iter().map(|v| v as f64).collect()
        }
        Values::Int(_) => {
            return Err(file_error(
                path,
                format!(
                    "{what} must have a float dtype (<f4 or <f8), found {}",
                    array.dtype
                ),
            ));
        }
    };
    values
        .iter()
        .enumerate()
        .map(|(index, &v)| {
            if v.is_finite() && v.abs() > f64::from(f32::MAX) {
                Err(file_error(
                    path,
                    format!("{what}[{index}] = {v} does not fit in f32"),
                ))
            } else {
                Ok(v as f32)
            }
        })
        .collect()
}

/// One float per sample, e.g. `h(x)`.
pub fn vector(path: &Path, what: &str) -> Result<Vec<f32>, String> {
    vector_of(path, load(path)?, what)
}

/// [`vector`] from the decoded `array` of `path`.
pub fn vector_of(path: &Path, array: Array, what: &str) -> Result<Vec<f32>, String> {
    let n = column_len(path, &array, what)?;
    non_empty(path, n)?;
    floats(path, array, what)
}

/// The layout of logits, for [`matrix`]'s messages.
pub const LOGITS_LAYOUT: &str = "[n samples, C classes]";

/// The layout of features, for [`matrix`]'s messages.
pub const FEATURES_LAYOUT: &str = "[n samples, d features] (one feature: shape (n, 1))";

/// A 2-D float array, e.g. logits `[n, C]` or features `[n, d]`; `layout`
/// describes the expected shape in the message when it is not 2-D.
pub fn matrix(path: &Path, what: &str, layout: &str) -> Result<Matrix, String> {
    matrix_of(path, load(path)?, what, layout)
}

/// [`matrix`] from the decoded `array` of `path`.
pub fn matrix_of(path: &Path, array: Array, what: &str, layout: &str) -> Result<Matrix, String> {
    let (rows, cols) = match array.shape[..] {
        [rows, cols] => (rows, cols),
        _ => {
            return Err(file_error(
                path,
                format!(
                    "{what} must be a 2-D array {layout}, found shape {}",
                    npy::shape_text(&array.shape)
                ),
            ));
        }
    };
    non_empty(path, rows)?;
    Ok(Matrix {
        rows,
        cols,
        values: floats(path, array, what)?,
    })
}
