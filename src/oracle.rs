//! Exact LSMI for discrete distributions: the ground truth the estimator is
//! tested against.
//!
//! Given a joint pmf `p(x1, x2, y)` over finite alphabets, every pointwise term is
//! exact (`h(x) = −ln p(x)` is a discrete surprisal here) and the decomposition
//! runs through the same arithmetic as the device path. [`Gate`] ships the gates
//! of the paper's Table 1 and a few more.

use crate::error::{LsmiError, Result};
use crate::pointwise::{Interactions, PointwiseTerms};
use crate::summary::Summary;

/// The most entries a [`JointPmf`] may have, `n1 · n2 · num_classes ≤ 2²⁴`
/// (16 777 216): an exact oracle is for small alphabets, and its decomposition
/// keeps a record per event.
pub const MAX_ENTRIES: usize = 1 << 24;

/// `n1 · n2 · num_classes`, refused when it overflows or exceeds [`MAX_ENTRIES`].
fn table_size(n1: usize, n2: usize, num_classes: usize) -> Result<usize> {
    n1.checked_mul(n2)
        .and_then(|v| v.checked_mul(num_classes))
        .filter(|&size| size <= MAX_ENTRIES)
        .ok_or_else(|| LsmiError::InvalidConfig {
            field: "n1 · n2 · num_classes",
            value: format!("{n1} · {n2} · {num_classes}"),
            reason: "a joint pmf has at most oracle::MAX_ENTRIES = 2^24 entries",
        })
}

/// A joint probability mass function `p(x1, x2, y)` on
/// `0..n1 × 0..n2 × 0..num_classes`.
#[derive(Debug, Clone, PartialEq)]
pub struct JointPmf {
    n1: usize,
    n2: usize,
    num_classes: usize,
    probs: Vec<f64>,
}

impl JointPmf {
    /// `probs[(x1 · n2 + x2) · num_classes + y] = p(x1, x2, y)`; the entries must be
    /// probabilities summing to 1 within 1e-9.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if `n1`, `n2` or `num_classes` is 0, or
    ///   `n1 · n2 · num_classes` exceeds [`MAX_ENTRIES`].
    /// * [`LsmiError::LengthMismatch`] if `probs` has not `n1 · n2 · num_classes` entries.
    /// * [`LsmiError::PriorNotProbability`] if an entry is negative or not finite (`class`
    ///   is its index in `probs`).
    /// * [`LsmiError::PriorSum`] if the entries do not sum to 1 within 1e-9.
    pub fn new(n1: usize, n2: usize, num_classes: usize, probs: Vec<f64>) -> Result<Self> {
        for (what, size) in [("n1", n1), ("n2", n2), ("num_classes", num_classes)] {
            if size == 0 {
                return Err(LsmiError::InvalidConfig {
                    field: what,
                    value: "0".into(),
                    reason: "an alphabet needs at least one symbol",
                });
            }
        }
        let expected = table_size(n1, n2, num_classes)?;
        if probs.len() != expected {
            return Err(LsmiError::LengthMismatch {
                what: "probs",
                reference: "n1 · n2 · num_classes",
                expected,
                found: probs.len(),
            });
        }
        if let Some((index, &value)) = probs
            .iter()
            .enumerate()
            .find(|&(_, &p)| !(p.is_finite() && p >= 0.0))
        {
            return Err(LsmiError::PriorNotProbability {
                class: index,
                value,
            });
        }
        let sum: f64 = probs.iter().sum();
        if (sum - 1.0).abs() > 1e-9 {
            return Err(LsmiError::PriorSum { sum });
        }
        Ok(Self {
            n1,
            n2,
            num_classes,
            probs,
        })
    }

    /// The pmf with `p(x1, x2, y) = weight(x1, x2, y)`, for weights that already
    /// sum to 1. The size is checked (at most [`MAX_ENTRIES`]) before `weight`
    /// is called.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if `n1`, `n2` or `num_classes` is 0, or
    ///   `n1 · n2 · num_classes` exceeds [`MAX_ENTRIES`].
    /// * [`LsmiError::PriorNotProbability`] if a weight is negative or not finite.
    /// * [`LsmiError::PriorSum`] if the weights do not sum to 1 within 1e-9.
    pub fn from_fn(
        n1: usize,
        n2: usize,
        num_classes: usize,
        weight: impl Fn(usize, usize, usize) -> f64,
    ) -> Result<Self> {
        let mut probs = Vec::with_capacity(table_size(n1, n2, num_classes)?);
        for x1 in 0..n1 {
            for x2 in 0..n2 {
                for y in 0..num_classes {
                    probs.push(weight(x1, x2, y));
                }
            }
        }
        Self::new(n1, n2, num_classes, probs)
    }

    /// `p(x1, x2, y)`; 0 for a symbol outside its alphabet (`x1 ≥ n1`,
    /// `x2 ≥ n2` or `y ≥ num_classes`), which is outside the support.
    pub fn p(&self, x1: usize, x2: usize, y: usize) -> f64 {
        if x1 >= self.n1 || x2 >= self.n2 || y >= self.num_classes {
            return 0.0;
        }
        self.probs[(x1 * self.n2 + x2) * self.num_classes + y]
    }

    /// The number of classes of `y`.
    pub fn num_classes(&self) -> usize {
        self.num_classes
    }

    /// The alphabet sizes `(n1, n2, num_classes)` of `x1`, `x2` and `y`.
    pub fn shape(&self) -> (usize, usize, usize) {
        (self.n1, self.n2, self.num_classes)
    }

    /// Exact pointwise terms and LSMI for every event with `p > 0`, and their
    /// probability-weighted means.
    pub fn decompose(&self) -> OracleDecomposition {
        let (n1, n2, ny) = (self.n1, self.n2, self.num_classes);
        let mut p_x1 = vec![0.0; n1];
        let mut p_x2 = vec![0.0; n2];
        let mut p_y = vec![0.0; ny];
        let mut p_x1_y = vec![0.0; n1 * ny];
        let mut p_x2_y = vec![0.0; n2 * ny];
        let mut p_x1_x2 = vec![0.0; n1 * n2];
        for x1 in 0..n1 {
            for x2 in 0..n2 {
                for y in 0..ny {
                    let p = self.p(x1, x2, y);
                    p_x1[x1] += p;
                    p_x2[x2] += p;
                    p_y[y] += p;
                    p_x1_y[x1 * ny + y] += p;
                    p_x2_y[x2 * ny + y] += p;
                    p_x1_x2[x1 * n2 + x2] += p;
                }
            }
        }
        let mut events = Vec::new();
        let mut terms = PointwiseTerms::unchecked(vec![], vec![], vec![], vec![], vec![]);
        for x1 in 0..n1 {
            for x2 in 0..n2 {
                for y in 0..ny {
                    let p = self.p(x1, x2, y);
                    if p == 0.0 {
                        continue;
                    }
                    // i(x;y) = ln p(x,y) − ln p(x) − ln p(y)
                    terms.push(PointwiseTerms::unchecked(
                        -p_x1[x1].ln(),
                        -p_x2[x2].ln(),
                        (p_x1_y[x1 * ny + y] / (p_x1[x1] * p_y[y])).ln(),
                        (p_x2_y[x2 * ny + y] / (p_x2[x2] * p_y[y])).ln(),
                        (p / (p_x1_x2[x1 * n2 + x2] * p_y[y])).ln(),
                    ));
                    events.push(OracleEvent { x1, x2, y, p });
                }
            }
        }
        OracleDecomposition::new(events, terms.decompose(), 0.0)
    }
}

/// One event `(x1, x2, y)` of a [`JointPmf`] with `p > 0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OracleEvent {
    /// The value of modality 1.
    pub x1: usize,
    /// The value of modality 2.
    pub x2: usize,
    /// The label.
    pub y: usize,
    /// `p(x1, x2, y)`.
    pub p: f64,
}

/// The exact decomposition of a [`JointPmf`]: its events, their exact
/// per-sample interactions (one entry per event, same order) and their
/// probability-weighted means.
#[derive(Debug, Clone)]
pub struct OracleDecomposition {
    events: Vec<OracleEvent>,
    interactions: Interactions<Vec<f64>>,
    summary: Summary,
    shift: f64,
}

impl OracleDecomposition {
    fn new(events: Vec<OracleEvent>, interactions: Interactions<Vec<f64>>, shift: f64) -> Self {
        let weights: Vec<f64> = events.iter().map(|e| e.p).collect();
        let summary = interactions
            .weighted_summary(&weights)
            .expect("a pmf has an event with p > 0 and one weight per event");
        Self {
            events,
            interactions,
            summary,
            shift,
        }
    }

    /// Every event with `p > 0`, in `(x1, x2, y)` order.
    pub fn events(&self) -> &[OracleEvent] {
        &self.events
    }

    /// The exact terms and interactions of every event, in the order of
    /// [`events`](Self::events).
    pub fn interactions(&self) -> &Interactions<Vec<f64>> {
        &self.interactions
    }

    /// The probability-weighted means (`n` = number of events).
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// The shift applied to the events (0 for the raw decomposition).
    pub fn shift(&self) -> f64 {
        self.shift
    }

    /// The reference adjustment applied to every event (see [`Summary::adjustment_shift`]).
    pub fn adjusted(&self) -> OracleDecomposition {
        let shift = self.summary.adjustment_shift();
        OracleDecomposition::new(
            self.events.clone(),
            crate::pointwise::shifted(&self.interactions, shift),
            self.shift + shift,
        )
    }
}

/// Logic gates on two fair, independent bits (those of the paper's Table 1 among them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gate {
    /// `y = x1 ⊕ x2`: pure synergy.
    Xor,
    /// `y = x1 ∨ x2`.
    Or,
    /// `y = x1 ∧ x2`.
    And,
    /// `x1 = x2 = y`: pure redundancy.
    Rdn,
    /// `y = x1`, `x2` independent noise.
    Unq,
    /// `y = (x1, x2)`, four classes (where LSMI and BROJA differ).
    Copy,
    /// Half the samples `y = x1 ⊕ x2`, half `y = ¬x2`; the operation is part of
    /// both modalities (`x_k = b_k + 2·op`).
    XorNot,
}

impl Gate {
    /// Every built-in gate: XOR, OR, AND, RDN, UNQ, COPY, XOR+NOT.
    pub const ALL: [Gate; 7] = [
        Gate::Xor,
        Gate::Or,
        Gate::And,
        Gate::Rdn,
        Gate::Unq,
        Gate::Copy,
        Gate::XorNot,
    ];

    /// The gate's name in upper case (`"XOR"`, …, `"XOR+NOT"`).
    pub fn name(self) -> &'static str {
        match self {
            Gate::Xor => "XOR",
            Gate::Or => "OR",
            Gate::And => "AND",
            Gate::Rdn => "RDN",
            Gate::Unq => "UNQ",
            Gate::Copy => "COPY",
            Gate::XorNot => "XOR+NOT",
        }
    }

    /// The gate's output for the bits `b1`, `b2` and the operation bit `op`
    /// (only [`Gate::XorNot`] reads `op`).
    pub fn output(self, b1: usize, b2: usize, op: usize) -> usize {
        match self {
            Gate::Xor => b1 ^ b2,
            Gate::Or => b1 | b2,
            Gate::And => b1 & b2,
            Gate::Rdn | Gate::Unq => b1,
            Gate::Copy => 2 * b1 + b2,
            Gate::XorNot if op == 0 => b1 ^ b2,
            Gate::XorNot => 1 - b2,
        }
    }

    /// The number of classes of `y`.
    pub fn num_classes(self) -> usize {
        if self == Gate::Copy { 4 } else { 2 }
    }

    /// The exact joint pmf of `(x1, x2, y)`.
    pub fn pmf(self) -> JointPmf {
        let ops = if self == Gate::XorNot { 2 } else { 1 };
        let size = 2 * ops;
        let classes = self.num_classes();
        JointPmf::from_fn(size, size, classes, |x1, x2, y| {
            let (b1, op1, b2, op2) = (x1 % 2, x1 / 2, x2 % 2, x2 / 2);
            let valid = op1 == op2 && (self != Gate::Rdn || b1 == b2);
            if !valid || self.output(b1, b2, op1) != y {
                return 0.0;
            }
            // RDN has 2 equiprobable events, the others 4 per operation.
            let events = if self == Gate::Rdn {
                2.0
            } else {
                4.0 * ops as f64
            };
            1.0 / events
        })
        .expect("built-in gates are valid pmfs")
    }
}
