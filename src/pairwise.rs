//! Pairwise LSMI over `M ≥ 2` views (modalities): one entropy model and one
//! classifier per view and one joint classifier per pair, fitted on the same
//! cross-fitting folds, give the interactions of every pair of views.

use std::time::{Duration, Instant};

use burn::tensor::{Int, Tensor};

use crate::decompose::{Decomposer, Lsmi};
use crate::error::{LsmiError, Result};
use crate::estimator::{FitStage, LsmiConfig, Naming, view_pairs};
use crate::pmi::{ClassPrior, LogitPmi};
use crate::pointwise::{Interactions, PointwiseTerms};
use crate::summary::Summary;

/// The data-set means of one view: its width, `H(X_v)` and `I(X_v;Y)`, in nats.
///
/// A view's models are shared by every pair it belongs to, so these are the same
/// numbers as the raw pair summaries' `h1`/`i1` (view `a`) or `h2`/`i2` (view
/// `b`). `H(X_v)` is the mean of the raw `h(x_v)` whether or not the analysis is
/// centred: it is the `H` that centring subtracts from the view's `h` in every
/// pair.
///
/// With the `serde` feature it serialises as `{"dim", "H", "I"}`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ViewSummary {
    /// The number of features `d_v`.
    pub dim: usize,
    /// `H(X_v)`, the mean of the raw `h(x_v)` over the samples (differential: it
    /// depends on the view's units); the centred variant subtracts it.
    #[cfg_attr(feature = "serde", serde(rename = "H"))]
    pub h: f64,
    /// `I(X_v;Y)`, the mean of `i(x_v;y)`.
    #[cfg_attr(feature = "serde", serde(rename = "I"))]
    pub i: f64,
}

/// The interactions of one pair of views `(a, b)`, `a < b`: view `a` is
/// modality 1 (`u1`, `h1`, `i1`) and view `b` modality 2.
#[derive(Debug, Clone)]
pub struct PairInteractions {
    a: usize,
    b: usize,
    /// The pair's terms with the raw surprisals, whatever the variant, so that
    /// [`PairwiseLsmi::with_centering`] starts from them rather than undoing a
    /// centring in `f32`.
    raw: PointwiseTerms,
    interactions: Interactions,
    summary: Summary,
}

impl PairInteractions {
    /// Decomposes the `raw` terms of views `(a, b)`: as they are (eq. 5, as in
    /// the paper), or with each view's `h` centred on that view's `H` in
    /// `views` — the same `H` in every pair the view belongs to.
    fn decompose(
        (a, b): (usize, usize),
        raw: PointwiseTerms,
        views: &[ViewSummary],
        centered: bool,
    ) -> Result<Self> {
        let terms = match centered {
            true => raw.centered([views[a].h, views[b].h])?,
            false => raw.clone(),
        };
        let interactions = Lsmi.decompose(terms)?;
        let summary = interactions.summary()?;
        Ok(Self {
            a,
            b,
            raw,
            interactions,
            summary,
        })
    }

    /// The two views `(a, b)`, `a < b` (0-based, in the order they were given).
    pub fn views(&self) -> (usize, usize) {
        (self.a, self.b)
    }

    /// Per-sample interactions of the pair, every sample scored out of fold.
    pub fn interactions(&self) -> &Interactions {
        &self.interactions
    }

    /// The data-set means of [`interactions`](Self::interactions), with the
    /// scale diagnostics of the pair ([`Summary::same_min_fractions`],
    /// [`Summary::same_min_fraction`], [`Summary::mean_h_gap`]) in the variant
    /// the interactions are of (`mean_h_gap` is 0 up to rounding when centred).
    pub fn summary(&self) -> &Summary {
        &self.summary
    }
}

/// A fitted pairwise analysis of `M ≥ 2` views: per-sample interactions and
/// means of every pair, and the means of every view.
///
/// It fits `M` entropy models, `M` classifiers and `M(M−1)/2` joint classifiers
/// per fold — not five models per pair — on one set of cross-fitting folds, so a
/// view's `h` and `i` are the same numbers in every pair it belongs to. With two
/// views it gives exactly what [`LsmiConfig::fit`] gives with the same
/// configuration.
///
/// With [`LsmiConfig::centered`] every pair is decomposed with centred
/// surprisals `h_v − H_v`, each view centred on its own mean `H_v` over the data
/// ([`ViewSummary::h`]), so a view's centred `h` too is the same in every pair;
/// [`with_centering`](Self::with_centering) gives the other variant from the
/// same fit.
///
/// The models are not kept (use [`LsmiConfig::fit`] on a pair to score new rows
/// or save models).
#[derive(Debug, Clone)]
pub struct PairwiseLsmi {
    views: Vec<ViewSummary>,
    pairs: Vec<PairInteractions>,
    centered: bool,
    prior: ClassPrior,
    descriptions: Vec<Vec<String>>,
    wall_time: Duration,
}

impl PairwiseLsmi {
    /// The number of views `M`.
    pub fn num_views(&self) -> usize {
        self.views.len()
    }

    /// The means of every view, in the order the views were given.
    pub fn views(&self) -> &[ViewSummary] {
        &self.views
    }

    /// Every pair `(a, b)`, `a < b`, in lexicographic order: `(0, 1), (0, 2), …,
    /// (M−2, M−1)`.
    pub fn pairs(&self) -> &[PairInteractions] {
        &self.pairs
    }

    /// The pair of views `a` and `b` (in either order; modality 1 is the smaller
    /// index), or `None` if `a == b` or either is not a view.
    pub fn pair(&self, a: usize, b: usize) -> Option<&PairInteractions> {
        let (a, b) = (a.min(b), a.max(b));
        self.pairs.iter().find(|p| (p.a, p.b) == (a, b))
    }

    /// Whether the pairs are decomposed with centred surprisals (see
    /// [`LsmiConfig::centered`]).
    pub fn centered(&self) -> bool {
        self.centered
    }

    /// The same fit decomposed in the other variant, or the same one: with the
    /// raw surprisals (`centered = false`, the paper's eq. 5) or with each
    /// view's `h` centred on its `H` (`true`). No model is fitted again; the
    /// pairs' terms are the same but for the `h` columns.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::OutOfRange`] if a centred `h` lies beyond
    ///   ±[`MAX_TERM`](crate::MAX_TERM).
    /// * [`LsmiError::Backend`] if the backend fails to read a mean back.
    pub fn with_centering(&self, centered: bool) -> Result<Self> {
        let pairs = self
            .pairs
            .iter()
            .map(|p| PairInteractions::decompose((p.a, p.b), p.raw.clone(), &self.views, centered))
            .collect::<Result<_>>()?;
        Ok(Self {
            pairs,
            centered,
            ..self.clone()
        })
    }

    /// The label prior `p(y)` in use.
    pub fn prior(&self) -> &ClassPrior {
        &self.prior
    }

    /// What each fold's models are, in the order they were fitted: the entropy
    /// model of every view, the classifier of every view, then the joint
    /// classifier of every pair (see [`FitStage::step`]).
    pub fn descriptions(&self) -> &[Vec<String>] {
        &self.descriptions
    }

    /// Wall time of the fit.
    pub fn wall_time(&self) -> Duration {
        self.wall_time
    }
}

impl LsmiConfig {
    /// Fits the pairwise analysis of `views` (`views[v]: [n, d_v]`, the same
    /// samples in the same order) about `labels` (`[n]`, in `0..num_classes`):
    /// see [`PairwiseLsmi`].
    ///
    /// # Errors
    ///
    /// * [`LsmiError::TooFewViews`] if fewer than two views are given.
    /// * [`LsmiError::View`] around the error about one view's features `x`:
    ///   [`Empty`](LsmiError::Empty) if view 0 has no rows,
    ///   [`LengthMismatch`](LsmiError::LengthMismatch) if a view has not as many rows
    ///   as view 0, [`NonFinite`](LsmiError::NonFinite) if it holds NaN or ±∞,
    ///   [`TooFewRows`](LsmiError::TooFewRows) if there are fewer rows than two per
    ///   fold or than a view's entropy model needs; or a model fitted on the view
    ///   failed (a non-finite loss or output).
    /// * Otherwise as [`fit`](Self::fit): the configuration, the labels (whose
    ///   length is compared with `view 0`), a joint classifier's fit, and the terms.
    pub fn fit_pairwise(
        &self,
        views: Vec<Tensor<2>>,
        labels: Tensor<1, Int>,
    ) -> Result<PairwiseLsmi> {
        self.fit_pairwise_with_progress(views, labels, &mut |_| {})
    }

    /// [`fit_pairwise`](Self::fit_pairwise), calling `progress` after every epoch
    /// of every model.
    ///
    /// # Errors
    ///
    /// As [`fit_pairwise`](Self::fit_pairwise).
    pub fn fit_pairwise_with_progress(
        &self,
        views: Vec<Tensor<2>>,
        labels: Tensor<1, Int>,
        progress: &mut dyn FnMut(&FitStage),
    ) -> Result<PairwiseLsmi> {
        let start = Instant::now();
        let m = views.len();
        if m < 2 {
            return Err(LsmiError::TooFewViews { views: m });
        }
        let fit = self.cross_fit(&views, labels.clone(), Naming::Views, progress)?;
        let pmi = LogitPmi::new(fit.prior().clone());
        let (h, log_probs) = (fit.entropies(), fit.log_probs());
        let pairs = view_pairs(m);
        let raw = pairs
            .iter()
            .enumerate()
            .map(|(p, &(a, b))| {
                PointwiseTerms::from_logits(
                    h[a].clone(),
                    h[b].clone(),
                    log_probs[a].clone(),
                    log_probs[b].clone(),
                    log_probs[m + p].clone(),
                    labels.clone(),
                    &pmi,
                )
            })
            .collect::<Result<Vec<_>>>()?;
        // The first M − 1 pairs are (0, 1), …, (0, M − 1): view 0 is modality 1
        // of the first, view v ≥ 1 modality 2 of pair v − 1. `H` is accumulated
        // as `fit` accumulates it, so two views centre on the same numbers.
        let first = |v: usize| (v.max(1) - 1, usize::from(v > 0));
        let mut summaries = Vec::with_capacity(m);
        for (v, x) in views.iter().enumerate() {
            let (pair, modality) = first(v);
            summaries.push(ViewSummary {
                dim: x.dims()[1],
                h: raw[pair].surprisal_means()?[modality],
                i: 0.0,
            });
        }
        let pairs = pairs
            .into_iter()
            .zip(raw)
            .map(|(views, raw)| PairInteractions::decompose(views, raw, &summaries, self.centered))
            .collect::<Result<Vec<_>>>()?;
        for (v, view) in summaries.iter_mut().enumerate() {
            let (pair, modality) = first(v);
            let summary = &pairs[pair].summary;
            view.i = [summary.i1, summary.i2][modality];
        }
        let views = summaries;
        Ok(PairwiseLsmi {
            views,
            pairs,
            centered: self.centered,
            prior: fit.prior().clone(),
            descriptions: fit.descriptions(),
            wall_time: start.elapsed(),
        })
    }
}
