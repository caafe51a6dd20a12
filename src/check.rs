//! Validation of inputs and reading tensors back to the host.
//!
//! Shapes are checked without touching the device; values (finiteness, label
//! ranges) need one small reduction and are read in full only to name the
//! offending entry.

use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::MAX_CLASSES;
use crate::error::{LsmiError, Result};
use crate::pointwise::MAX_TERM;

fn backend(err: impl std::fmt::Display) -> LsmiError {
    LsmiError::Backend(err.to_string())
}

/// Reads a float tensor of any rank to the host, row-major.
pub(crate) fn read_f32<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>> {
    tensor.try_into_vec_as::<f32>().map_err(backend)
}

/// Reads an integer tensor to the host.
pub(crate) fn read_i64<const D: usize>(tensor: Tensor<D, Int>) -> Result<Vec<i64>> {
    tensor.try_into_vec_as::<i64>().map_err(backend)
}

/// Fails with [`LsmiError::Empty`] when `len == 0`.
pub(crate) fn non_empty(what: &'static str, len: usize) -> Result<()> {
    if len == 0 {
        return Err(LsmiError::Empty {
            what,
            unit: "samples",
        });
    }
    Ok(())
}

/// Fails with [`LsmiError::LengthMismatch`] unless `found == expected`.
pub(crate) fn same_length(
    what: &'static str,
    found: usize,
    reference: &'static str,
    expected: usize,
) -> Result<()> {
    if found != expected {
        return Err(LsmiError::LengthMismatch {
            what,
            reference,
            expected,
            found,
        });
    }
    Ok(())
}

/// Fails with [`LsmiError::NonFinite`] naming the first NaN or ±∞ of `tensor`.
pub(crate) fn finite<const D: usize>(what: &'static str, tensor: &Tensor<D>) -> Result<()> {
    let any_bad = tensor
        .clone()
        .is_finite()
        .bool_not()
        .any()
        .try_into_scalar::<bool>()
        .map_err(backend)?;
    if !any_bad {
        return Ok(());
    }
    let values = read_f32(tensor.clone())?;
    let row_len: usize = tensor.dims()[1..].iter().product();
    finite_host(what, &values).map_err(|err| match err {
        LsmiError::NonFinite { what, index, value } if D == 2 => LsmiError::NonFinite {
            what,
            index: vec![index[0] / row_len, index[0] % row_len],
            value,
        },
        other => other,
    })
}

/// Host-side twin of [`finite`], for data that is already on the host.
pub(crate) fn finite_host<T: Copy + Into<f64>>(what: &'static str, values: &[T]) -> Result<()> {
    match values
        .iter()
        .map(|&v| v.into())
        .enumerate()
        .find(|(_, v)| !v.is_finite())
    {
        Some((index, value)) => Err(LsmiError::NonFinite {
            what,
            index: vec![index],
            value,
        }),
        None => Ok(()),
    }
}

/// Fails unless there are at least two classes and at most [`MAX_CLASSES`].
pub(crate) fn num_classes(num_classes: usize) -> Result<()> {
    if num_classes < 2 {
        return Err(LsmiError::TooFewClasses { num_classes });
    }
    if num_classes > MAX_CLASSES {
        return Err(LsmiError::TooManyClasses {
            num_classes,
            max: MAX_CLASSES,
        });
    }
    Ok(())
}

/// Fails with [`LsmiError::NonFinite`] for NaN or ±∞ and [`LsmiError::OutOfRange`]
/// for a finite value beyond [`MAX_TERM`], naming the first such entry of a
/// pointwise term (one device reduction when all is well).
pub(crate) fn term(what: &'static str, tensor: &Tensor<1>) -> Result<()> {
    if !any_out_of_range(tensor)? {
        return Ok(());
    }
    term_host(what, &read_f32(tensor.clone())?)
}

/// Host-side twin of [`term`].
pub(crate) fn term_host<T: Copy + Into<f64>>(what: &'static str, values: &[T]) -> Result<()> {
    finite_host(what, values)?;
    match first_out_of_range(values) {
        Some((index, value)) => Err(LsmiError::OutOfRange {
            what,
            index,
            value,
            computed_from: None,
            limit: MAX_TERM,
        }),
        None => Ok(()),
    }
}

/// Like [`term`] for a term computed from the input `from` (e.g. `i1` from
/// `logits1`): NaN and ±∞ are [`LsmiError::OutOfRange`] too, naming `from`.
pub(crate) fn computed_term(
    what: &'static str,
    from: &'static str,
    tensor: &Tensor<1>,
) -> Result<()> {
    if !any_out_of_range(tensor)? {
        return Ok(());
    }
    match first_out_of_range(&read_f32(tensor.clone())?) {
        Some((index, value)) => Err(LsmiError::OutOfRange {
            what,
            index,
            value,
            computed_from: Some(from),
            limit: MAX_TERM,
        }),
        None => Ok(()),
    }
}

/// Whether any entry is NaN, ±∞ or beyond [`MAX_TERM`] in magnitude.
fn any_out_of_range(tensor: &Tensor<1>) -> Result<bool> {
    tensor
        .clone()
        .is_finite()
        .bool_not()
        .bool_or(tensor.clone().abs().greater_elem(MAX_TERM))
        .any()
        .try_into_scalar::<bool>()
        .map_err(backend)
}

/// The first entry that is not a number within ±[`MAX_TERM`].
fn first_out_of_range<T: Copy + Into<f64>>(values: &[T]) -> Option<(usize, f64)> {
    values
        .iter()
        .map(|&v| v.into())
        .enumerate()
        .find(|(_, v)| v.is_nan() || v.abs() > MAX_TERM)
}

/// Fails with [`LsmiError::DeviceMismatch`] unless `found == expected`.
pub(crate) fn same_device(
    what: &'static str,
    found: &Device,
    reference: &'static str,
    expected: &Device,
) -> Result<()> {
    if found != expected {
        return Err(LsmiError::DeviceMismatch { what, reference });
    }
    Ok(())
}

/// Reads `labels` to the host and checks each lies in `0..num_classes`.
pub(crate) fn labels(
    what: &'static str,
    labels: &Tensor<1, Int>,
    num_classes: usize,
) -> Result<Vec<i64>> {
    let host = read_i64(labels.clone())?;
    labels_host(what, &host, num_classes)?;
    Ok(host)
}

/// Host-side twin of [`labels`].
pub(crate) fn labels_host(what: &'static str, labels: &[i64], num_classes: usize) -> Result<()> {
    self::num_classes(num_classes)?;
    match labels
        .iter()
        .enumerate()
        .find(|&(_, &label)| label < 0 || label as u64 >= num_classes as u64)
    {
        Some((index, &label)) => Err(LsmiError::LabelOutOfRange {
            what,
            index,
            label,
            num_classes,
        }),
        None => Ok(()),
    }
}

/// A host vector as a `[len]` float tensor on `device`.
pub(crate) fn vector(values: Vec<f32>, device: &Device) -> Tensor<1> {
    let len = values.len();
    Tensor::from_data(TensorData::new(values, [len]), device)
}

/// Fails with [`LsmiError::Empty`] for no features and with
/// [`LsmiError::WidthMismatch`] unless `found == expected`.
pub(crate) fn features(what: &'static str, found: usize, expected: usize) -> Result<()> {
    if found == 0 {
        return Err(LsmiError::Empty {
            what,
            unit: "features",
        });
    }
    if found != expected {
        return Err(LsmiError::WidthMismatch {
            what,
            axis: "features",
            expected,
            found,
        });
    }
    Ok(())
}
