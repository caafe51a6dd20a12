//! Temperature scaling: the one scalar `T > 0` that minimises the mean negative
//! log-likelihood of `softmax(z / T)`, computed on the host in `f64`.

use crate::check;
use crate::error::{LsmiError, Result};

/// The smallest temperature [`fit_temperature`] returns.
pub const MIN_TEMPERATURE: f64 = 0.05;
/// The largest temperature [`fit_temperature`] returns.
pub const MAX_TEMPERATURE: f64 = 20.0;

/// The mean negative log-likelihood, in nats, of `labels` under
/// `softmax(logits / temperature)`; `logits` holds `labels.len()` rows of
/// `num_classes` values, row-major.
///
/// # Errors
///
/// As [`fit_temperature`], and [`LsmiError::InvalidConfig`] if `temperature` is not a
/// positive finite number.
pub fn nll_at_temperature(
    logits: &[f64],
    labels: &[i64],
    num_classes: usize,
    temperature: f64,
) -> Result<f64> {
    check_inputs(logits, labels, num_classes)?;
    if !(temperature.is_finite() && temperature > 0.0) {
        return LsmiError::invalid_config(
            "temperature",
            temperature,
            "must be a positive finite number",
        );
    }
    Ok(moments(logits, labels, num_classes, 1.0 / temperature).0)
}

/// The temperature `T ∈ [MIN_TEMPERATURE, MAX_TEMPERATURE]` minimising the mean
/// negative log-likelihood of `labels` under `softmax(logits / T)`.
///
/// `logits` holds `labels.len()` rows of `num_classes` values, row-major. The
/// loss is convex in `β = 1/T` (a log-sum-exp of `β z` minus a linear term),
/// with derivative `E_p[z] − z_y` and second derivative `Var_p[z]` averaged over
/// rows; a safeguarded Newton iteration on `β` (bisection whenever a step leaves
/// the bracket) finds the root of the derivative to `1e-12` in `β`. When the loss
/// still falls at a bound (rows that are all correct and separated, or logits that
/// carry no information), that bound is returned.
///
/// # Errors
///
/// * [`LsmiError::Empty`] if there are no labels.
/// * [`LsmiError::TooFewClasses`] / [`LsmiError::TooManyClasses`] if `num_classes` is
///   out of range.
/// * [`LsmiError::LengthMismatch`] if `logits` has not `labels.len() · num_classes`
///   entries.
/// * [`LsmiError::LabelOutOfRange`] if a label lies outside `0..num_classes`.
/// * [`LsmiError::NonFinite`] if a logit is NaN or ±∞.
pub fn fit_temperature(logits: &[f64], labels: &[i64], num_classes: usize) -> Result<f64> {
    check_inputs(logits, labels, num_classes)?;
    let slope = |beta: f64| moments(logits, labels, num_classes, beta).1;
    let (mut low, mut high) = (1.0 / MAX_TEMPERATURE, 1.0 / MIN_TEMPERATURE);
    if slope(low) >= 0.0 {
        return Ok(MAX_TEMPERATURE);
    }
    if slope(high) <= 0.0 {
        return Ok(MIN_TEMPERATURE);
    }
    let mut beta = 1.0_f64.clamp(low, high);
    for _ in 0..200 {
        let (_, gradient, curvature) = moments(logits, labels, num_classes, beta);
        if gradient > 0.0 {
            high = beta;
        } else {
            low = beta;
        }
        let newton = beta - gradient / curvature;
        let next = if curvature > 0.0 && newton > low && newton < high {
            newton
        } else {
            0.5 * (low + high)
        };
        let done = (next - beta).abs() < 1e-12 || high - low < 1e-12;
        beta = next;
        if done {
            break;
        }
    }
    Ok((1.0 / beta).clamp(MIN_TEMPERATURE, MAX_TEMPERATURE))
}

fn check_inputs(logits: &[f64], labels: &[i64], num_classes: usize) -> Result<()> {
    check::num_classes(num_classes)?;
    check::non_empty("labels", labels.len())?;
    check::same_length(
        "logits",
        logits.len(),
        "labels × num_classes",
        labels.len() * num_classes,
    )?;
    check::labels_host("labels", labels, num_classes)?;
    if let Some(index) = logits.iter().position(|v| !v.is_finite()) {
        return Err(LsmiError::NonFinite {
            what: "logits",
            index: vec![index / num_classes, index % num_classes],
            value: logits[index],
        });
    }
    Ok(())
}

/// At `β = 1/T`, the mean over rows of the NLL, of its derivative in `β`
/// (`E_p[z] − z_y`) and of its second derivative (`Var_p[z]`).
fn moments(logits: &[f64], labels: &[i64], num_classes: usize, beta: f64) -> (f64, f64, f64) {
    let (mut nll, mut gradient, mut curvature) = (0.0, 0.0, 0.0);
    for (row, &label) in logits.chunks_exact(num_classes).zip(labels) {
        let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (mut total, mut first, mut second) = (0.0, 0.0, 0.0);
        // Moments of z − max, so that the variance loses little to cancellation.
        for &z in row {
            let shifted = z - max;
            let weight = (beta * shifted).exp();
            total += weight;
            first += weight * shifted;
            second += weight * shifted * shifted;
        }
        let mean = first / total;
        let target = row[label as usize] - max;
        nll += total.ln() - beta * target;
        gradient += mean - target;
        curvature += (second / total - mean * mean).max(0.0);
    }
    let n = labels.len() as f64;
    (nll / n, gradient / n, curvature / n)
}

/// Each row's negative log-likelihood of its label under `softmax(logits / T)`
/// (inputs as [`nll_at_temperature`], unchecked).
pub(crate) fn row_losses(
    logits: &[f64],
    labels: &[i64],
    num_classes: usize,
    temperature: f64,
) -> Vec<f64> {
    let beta = 1.0 / temperature;
    logits
        .chunks_exact(num_classes)
        .zip(labels)
        .map(|(row, &label)| {
            let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let total: f64 = row.iter().map(|&z| (beta * (z - max)).exp()).sum();
            total.ln() - beta * (row[label as usize] - max)
        })
        .collect()
}
