//! The one error type of the crate.
//!
//! Every public function that can meet bad input returns [`LsmiError`]; each variant
//! names what was wrong and where, so that a message such as
//! `labels[17] = 9, but there are only 4 classes` can be shown to a user as it is.

use thiserror::Error;

/// Everything that can go wrong in `lsmi`, each with the offending value.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum LsmiError {
    /// Two inputs that must have one entry per sample do not.
    #[error("length mismatch: {what} has {found} entries but {reference} has {expected}")]
    LengthMismatch {
        /// The input whose length is wrong.
        what: &'static str,
        /// The input it was compared with.
        reference: &'static str,
        /// The length of `reference`.
        expected: usize,
        /// The length of `what`.
        found: usize,
    },
    /// A tensor has the wrong number of columns (classes or features).
    #[error("shape mismatch: {what} has {found} {axis} but {expected} were expected")]
    WidthMismatch {
        /// The input whose shape is wrong.
        what: &'static str,
        /// What the columns are ("classes", "features").
        axis: &'static str,
        /// The expected number of columns.
        expected: usize,
        /// The number of columns found.
        found: usize,
    },
    /// An input has no samples (or no features).
    #[error("empty input: {what} has no {unit}")]
    Empty {
        /// The input that is empty.
        what: &'static str,
        /// What it has none of ("samples", "features").
        unit: &'static str,
    },
    /// An input holds NaN or ±∞.
    #[error("non-finite value: {what}[{}] = {value}", join(index))]
    NonFinite {
        /// The input that holds the value.
        what: &'static str,
        /// The index of the first non-finite entry (`[sample]` or `[row, column]`).
        index: Vec<usize>,
        /// The value found (NaN, inf or -inf).
        value: f64,
    },
    /// A label is negative or not smaller than the number of classes.
    #[error(
        "label out of range: {what}[{index}] = {label}, but there are only {num_classes} classes (0..{num_classes})"
    )]
    LabelOutOfRange {
        /// The label input.
        what: &'static str,
        /// The sample index.
        index: usize,
        /// The label found.
        label: i64,
        /// The number of classes.
        num_classes: usize,
    },
    /// Fewer than two classes: no label can carry information.
    #[error("too few classes: {num_classes} (at least 2 are needed)")]
    TooFewClasses {
        /// The number of classes given.
        num_classes: usize,
    },
    /// More classes than [`MAX_CLASSES`](crate::MAX_CLASSES): every per-class
    /// table (prior, counts, output layer) would be that long.
    #[error("too many classes: {num_classes} (at most {max} are supported)")]
    TooManyClasses {
        /// The number of classes given.
        num_classes: usize,
        /// The largest number supported, [`MAX_CLASSES`](crate::MAX_CLASSES).
        max: usize,
    },
    /// A pointwise term is finite but beyond
    /// [`MAX_TERM`](crate::MAX_TERM) in magnitude, or one computed from
    /// logits is not finite or beyond it: `r, u1, u2, s` would not stay finite in `f32`.
    #[error(
        "value out of range: {what}[{index}] = {value:e}{}; pointwise terms must lie within ±{limit:e} nats",
        computed(computed_from, *index)
    )]
    OutOfRange {
        /// The term (`h1`, …, `i12`).
        what: &'static str,
        /// The sample index.
        index: usize,
        /// The value found (or computed).
        value: f64,
        /// The input it was computed from (`logits1`, …), if it was computed.
        computed_from: Option<&'static str>,
        /// The largest magnitude allowed, [`MAX_TERM`](crate::MAX_TERM).
        limit: f64,
    },
    /// Tensors that must be on one device are not.
    #[error("device mismatch: {what} is not on the device of {reference}")]
    DeviceMismatch {
        /// The input on another device.
        what: &'static str,
        /// The input it was compared with.
        reference: &'static str,
    },
    /// A prior probability is negative or not finite.
    #[error("invalid prior: p(y = {class}) = {value} is not a probability")]
    PriorNotProbability {
        /// The class.
        class: usize,
        /// The value given.
        value: f64,
    },
    /// The prior does not sum to one.
    #[error("invalid prior: probabilities sum to {sum}, not 1 (tolerance 1e-6)")]
    PriorSum {
        /// The sum of the given probabilities.
        sum: f64,
    },
    /// A label occurs whose prior probability is zero, so `h(y)` would be infinite.
    #[error("zero prior: {what}[{index}] = {class}, but p(y = {class}) = 0 in the prior")]
    ZeroPriorClass {
        /// The label input.
        what: &'static str,
        /// The first sample index with that label.
        index: usize,
        /// The class.
        class: usize,
    },
    /// Too few rows for what was asked (e.g. fewer rows than kernels to initialise
    /// kernel means from data rows).
    #[error("too few rows: {what} has {rows} rows but {needed} are needed ({reason})")]
    TooFewRows {
        /// The input.
        what: &'static str,
        /// Its number of rows.
        rows: usize,
        /// The number needed.
        needed: usize,
        /// What they are needed for.
        reason: &'static str,
    },
    /// Something is wrong with one view of a
    /// [pairwise](crate::LsmiConfig::fit_pairwise) analysis (its features, or a
    /// model fitted on them); `source` says what, naming the view's features `x`.
    #[error("view {view}: {source}")]
    View {
        /// The view (0-based, the order the views were given in).
        view: usize,
        /// What was wrong with it.
        source: Box<LsmiError>,
    },
    /// A [pairwise](crate::LsmiConfig::fit_pairwise) analysis was given fewer
    /// than two views.
    #[error("too few views: {views} (a pairwise analysis needs at least 2)")]
    TooFewViews {
        /// The number of views given.
        views: usize,
    },
    /// A hyper-parameter is out of its valid range.
    #[error("invalid configuration: {field} = {value}: {reason}")]
    InvalidConfig {
        /// The field of the configuration.
        field: &'static str,
        /// Its value, printed.
        value: String,
        /// Why it is rejected.
        reason: &'static str,
    },
    /// Saving or loading a model record failed.
    #[error("record error: {0}")]
    Record(String),
    /// A backend is not compiled into this build, or its device cannot start.
    #[error("device `{name}` is not available: {reason}")]
    DeviceUnavailable {
        /// The backend asked for.
        name: String,
        /// Why it is unavailable.
        reason: String,
    },
    /// A result would hold more entries than the crate allocates at once (e.g.
    /// candidate-label interactions of `n` rows and `C` classes); split the rows
    /// into chunks.
    #[error(
        "too large: {what} would hold {entries} entries per matrix (at most {max}); pass fewer rows at a time"
    )]
    TooLarge {
        /// What would be too large.
        what: &'static str,
        /// The number of entries it would hold (`n · C`), saturated at `usize::MAX`.
        entries: usize,
        /// The largest number allowed.
        max: usize,
    },
    /// Rows passed as the ones an estimator was fitted on are not those rows: a
    /// model of the fit scores them differently from the fit.
    #[error(
        "not the fitted rows: {what}[{index}] gives {found} where the fit gave {fitted}; pass the rows the estimator was fitted on, in the same order"
    )]
    NotFittedRows {
        /// The term that differs (`h1` or `h2`, from `x1` or `x2`).
        what: &'static str,
        /// The first row where it differs.
        index: usize,
        /// The value the fit recorded.
        fitted: f64,
        /// The value the rows give now.
        found: f64,
    },
    /// The backend failed to execute or read back a tensor.
    #[error("backend error: {0}")]
    Backend(String),
}

impl LsmiError {
    /// An [`LsmiError::InvalidConfig`] as an `Err`, for validators.
    pub(crate) fn invalid_config<T>(
        field: &'static str,
        value: impl ToString,
        reason: &'static str,
    ) -> Result<T> {
        Err(LsmiError::InvalidConfig {
            field,
            value: value.to_string(),
            reason,
        })
    }
}

/// Shorthand for `Result<T, LsmiError>`.
pub type Result<T, E = LsmiError> = std::result::Result<T, E>;

fn computed(from: &Option<&'static str>, index: usize) -> String {
    match from {
        Some(input) => {
            format!(" (computed from row {index} of {input}: its values are too far apart for f32)")
        }
        None => String::new(),
    }
}

fn join(index: &[usize]) -> String {
    index
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
