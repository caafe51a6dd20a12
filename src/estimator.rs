//! End-to-end LSMI from features: two KNIFE models and three classifiers,
//! fitted with k-fold cross-fitting so every sample is scored by models that
//! never saw it.

use std::path::Path;
use std::time::{Duration, Instant};

use burn::config::Config;
use burn::tensor::{Device, Int, Tensor};

use crate::check;
use crate::classifier::{Classifier, ClassifierConfig, ClassifierSearch};
use crate::decompose::{Decomposer, Lsmi};
use crate::entropy::{Covariance, Entropy, Knife, KnifeConfig, MixtureSearch};
use crate::error::{LsmiError, Result};
use crate::ops::log_sum_exp;
use crate::parallel;
use crate::pmi::{ClassPrior, LabelPrior, LogitPmi};
use crate::pointwise::{Interactions, PointwiseTerms};
use crate::rng::SeededRng;
use crate::train::{self, EpochProgress};

/// Hyper-parameters of the whole estimator.
#[derive(Config, Debug)]
pub struct LsmiConfig {
    /// Number of classes `C` of the labels.
    pub num_classes: usize,
    /// The entropy model of each modality (`dim` is taken from the data).
    #[config(default = "KnifeConfig::new(1)")]
    pub knife: KnifeConfig,
    /// The three classifiers `p(y|x1)`, `p(y|x2)`, `p(y|x1,x2)`.
    #[config(default = "ClassifierConfig::new()")]
    pub classifier: ClassifierConfig,
    /// Cross-fitting folds `k ≥ 2`: each sample is scored by models fitted on the
    /// other `k − 1` folds.
    #[config(default = 5)]
    pub folds: usize,
    /// Score every sample with models fitted on all samples, itself included.
    /// Biased (over-fitted classifiers make `i` look larger); for comparison only.
    #[config(default = false)]
    pub in_sample: bool,
    /// Use `p(y) = 1/C` instead of the label frequencies.
    #[config(default = false)]
    pub uniform_prior: bool,
    /// Seed of the folds and of every model.
    #[config(default = 0)]
    pub seed: u64,
    /// Choose each modality's entropy model by held-out likelihood (EM fits of
    /// mixtures of several sizes and covariance kinds, on rows held out inside the
    /// training folds), the default; `None` fits `knife` instead (see
    /// [`LsmiConfig::fixed`]).
    #[config(default = "Some(MixtureSearch::new())")]
    pub entropy_search: Option<MixtureSearch>,
    /// Choose each classifier by held-out log-loss (LDA, logistic regression, MLPs),
    /// temperature-calibrated, the default; `None` fits `classifier` instead.
    #[config(default = "Some(ClassifierSearch::new())")]
    pub classifier_search: Option<ClassifierSearch>,
    /// Folds fitted at the same time, each on its own thread (0: as many as the
    /// machine has cores, at most `folds`). The folds are independent, so the
    /// result is the same, bit for bit, for every value; progress reports of
    /// different folds then interleave.
    #[config(default = 0)]
    pub threads: usize,
    /// Decompose centred surprisals `h_k − H_k` instead of `h_k` (the
    /// affine-invariant variant; the paper's definition is the default, `false`).
    /// `H_k` is the mean of the cross-fitted `h_k` over the training rows
    /// ([`LsmiModels::surprisal_means`]), both for the training rows'
    /// interactions and when [`LsmiModels::transform`] scores new rows. The
    /// interactions then carry the centred `h` columns. See
    /// [`PointwiseTerms::centered`]. [`fit_pairwise`](Self::fit_pairwise)
    /// centres each view's `h` on that view's own mean, the same in every pair.
    #[config(default = false)]
    pub centered: bool,
}

/// How the five models of one set were built, to describe them and to load them
/// back: the architecture each record needs, and a short description.
#[derive(Config, Debug)]
struct Architecture {
    /// `knife1`, `knife2`.
    knives: Vec<KnifeConfig>,
    /// `classifier1`, `classifier2`, `classifier12`.
    classifiers: Vec<ClassifierConfig>,
    /// One description per model, in the order of [`LsmiModels::MODELS`].
    descriptions: Vec<String>,
}

/// Which model of which fold a progress report is about.
///
/// With the `serde` feature it serialises (only: its `model` is `&'static str`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FitStage {
    /// The fold (0-based) whose complement is being fitted.
    pub fold: usize,
    /// The number of model sets (`folds`, or 1 in-sample).
    pub folds: usize,
    /// `"knife1"`, `"knife2"`, `"classifier1"`, `"classifier2"` or `"classifier12"`;
    /// in a [pairwise](LsmiConfig::fit_pairwise) fit `"knife"`, `"classifier"` or
    /// `"joint classifier"` (`step` says of which view or pair).
    pub model: &'static str,
    /// The model's place (0-based) among the `steps` models of its set, in the
    /// order they are fitted: the entropy model of every view, then the classifier
    /// of every view, then the joint classifier of every pair of views (pairs
    /// `(a, b)`, `a < b`, in lexicographic order). For two modalities, the order
    /// of `model`'s five names.
    pub step: usize,
    /// The number of models of a set: `2M + M(M−1)/2` for `M` views (5 for two).
    pub steps: usize,
    /// The epoch just finished. A model chosen by a search
    /// ([`LsmiConfig::entropy_search`], [`LsmiConfig::classifier_search`]) reports
    /// once, when chosen: epoch 1 of 1, both losses the chosen candidate's
    /// held-out loss, learning rate 0.
    pub epoch: EpochProgress,
    /// Whether the model is fitted: every model's last report, which repeats the
    /// epoch it stopped at (early stopping may end a fit before its last epoch).
    /// Models of different folds may be fitted at the same time (see
    /// [`LsmiConfig::threads`]): count these to know how many are done.
    pub finished: bool,
}

/// The models fitted on one training split, for `M` views (modalities): an
/// entropy model and a classifier per view, and a joint classifier per pair of
/// views, pairs in the order of [`view_pairs`]. For two modalities: `knife1`,
/// `knife2`; `classifier1`, `classifier2`, `classifier12`.
#[derive(Debug, Clone)]
struct Models {
    /// One per view.
    knives: Vec<Knife>,
    /// One per view, then one per pair of views.
    classifiers: Vec<Classifier>,
    architecture: Architecture,
}

/// One fitted model of a set, with its architecture and description.
#[allow(clippy::large_enum_variant)] // a handful per fit
enum Fitted {
    Knife(Knife, KnifeConfig, String),
    Classifier(Classifier, ClassifierConfig, String),
}

impl Models {
    /// The set from its models in step order (see `LsmiConfig::fit_model`).
    fn assemble(fitted: impl Iterator<Item = Fitted>, views: usize) -> Models {
        let mut knives = Vec::with_capacity(views);
        let mut classifiers = Vec::new();
        let mut architecture = Architecture {
            knives: Vec::with_capacity(views),
            classifiers: Vec::new(),
            descriptions: Vec::new(),
        };
        for model in fitted {
            match model {
                Fitted::Knife(knife, config, description) => {
                    knives.push(knife);
                    architecture.knives.push(config);
                    architecture.descriptions.push(description);
                }
                Fitted::Classifier(classifier, config, description) => {
                    classifiers.push(classifier);
                    architecture.classifiers.push(config);
                    architecture.descriptions.push(description);
                }
            }
        }
        Models {
            knives,
            classifiers,
            architecture,
        }
    }
}

/// Every pair `(a, b)`, `a < b`, of `views` views, in lexicographic order: the
/// order of the joint classifiers of a [`Models`].
pub(crate) fn view_pairs(views: usize) -> Vec<(usize, usize)> {
    (0..views)
        .flat_map(|a| (a + 1..views).map(move |b| (a, b)))
        .collect()
}

/// A short description of a KNIFE fitted by Adam with `config`.
fn describe_knife(config: &KnifeConfig) -> String {
    let kind = match config.covariance {
        Covariance::Full => "full",
        Covariance::Tied => "tied",
        Covariance::Diagonal => "diagonal",
    };
    format!("knife K={} {kind} (Adam)", config.kernels)
}

/// A short description of a classifier fitted with `config`.
fn describe_classifier(config: &ClassifierConfig) -> String {
    match config.hidden.is_empty() {
        true => "linear".to_string(),
        false => format!("mlp {:?}", config.hidden),
    }
}

/// Each model's per-sample outputs on some rows: `h` of every view, and the
/// log-probabilities `ln q(y|·)` of every classifier, in the order of
/// [`Models::classifiers`].
pub(crate) struct Scores {
    pub(crate) h: Vec<Tensor<1>>,
    pub(crate) log_probs: Vec<Tensor<2>>,
}

/// The rows each cross-fitting set scores: the rows in a seeded random order,
/// cut into `sets` contiguous blocks (one block of every row for `sets = 1`).
/// The same seed and `n` give the same folds, so the folds of a fit can be
/// rebuilt from its configuration.
pub(crate) fn fold_rows(seed: u64, n: usize, sets: usize) -> Vec<Vec<usize>> {
    let mut folds = vec![Vec::new(); sets];
    for (rank, row) in SeededRng::new(seed).permutation(n).into_iter().enumerate() {
        folds[rank * sets / n].push(row);
    }
    folds
}

/// Every row of `views` scored by the set of models of its fold (`folds` from
/// [`fold_rows`], one fold per set), in the order of the input rows.
fn held_out_scores(sets: &[Models], folds: &[Vec<usize>], views: &[Tensor<2>]) -> Result<Scores> {
    let device = views[0].device();
    let n = views[0].dims()[0];
    let parts = sets
        .iter()
        .zip(folds)
        .map(|(set, rows)| {
            let index = train::index_tensor(rows, &device);
            let picked: Vec<Tensor<2>> = views
                .iter()
                .map(|x| x.clone().select(0, index.clone()))
                .collect();
            set.score(&picked)
        })
        .collect::<Result<Vec<_>>>()?;
    // Put the fold outputs back in the order of the input rows.
    let mut inverse = vec![0; n];
    for (position, &row) in folds.iter().flatten().enumerate() {
        inverse[row] = position;
    }
    let back = train::index_tensor(&inverse, &device);
    fn gather<const D: usize>(parts: Vec<Tensor<D>>, back: &Tensor<1, Int>) -> Tensor<D> {
        Tensor::cat(parts, 0).select(0, back.clone())
    }
    let h = (0..views.len())
        .map(|v| gather(parts.iter().map(|s| s.h[v].clone()).collect(), &back))
        .collect();
    let log_probs = (0..parts[0].log_probs.len())
        .map(|k| {
            gather(
                parts.iter().map(|s| s.log_probs[k].clone()).collect(),
                &back,
            )
        })
        .collect();
    Ok(Scores { h, log_probs })
}

impl Scores {
    /// The pointwise terms of two scored modalities at `labels`, against the prior
    /// of `pmi`.
    fn terms(self, labels: Tensor<1, Int>, pmi: &LogitPmi) -> Result<PointwiseTerms> {
        let (h, p) = (&self.h, &self.log_probs);
        PointwiseTerms::from_logits(
            h[0].clone(),
            h[1].clone(),
            p[0].clone(),
            p[1].clone(),
            p[2].clone(),
            labels,
            pmi,
        )
    }
}

impl Models {
    /// The record names of a two-modality set, in the order of the knives, then
    /// the classifiers.
    const NAMES: [&'static str; 5] = [
        "knife1",
        "knife2",
        "classifier1",
        "classifier2",
        "classifier12",
    ];

    /// Scores the same rows of every view (`views[v]: [m, d_v]`).
    fn score(&self, views: &[Tensor<2>]) -> Result<Scores> {
        let h = self
            .knives
            .iter()
            .zip(views)
            .map(|(knife, x)| knife.pointwise_entropy(x.clone()))
            .collect::<Result<Vec<_>>>()?;
        let inputs = views.iter().cloned().chain(joint_inputs(views));
        let log_probs = self
            .classifiers
            .iter()
            .zip(inputs)
            .map(|(classifier, x)| Ok(log_softmax_rows(classifier.forward(x)?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Scores { h, log_probs })
    }
}

/// The joint classifiers' inputs `[x_a, x_b]`, one per pair of [`view_pairs`].
fn joint_inputs(views: &[Tensor<2>]) -> impl Iterator<Item = Tensor<2>> + '_ {
    view_pairs(views.len())
        .into_iter()
        .map(|(a, b)| Tensor::cat(vec![views[a].clone(), views[b].clone()], 1))
}

fn log_softmax_rows(logits: Tensor<2>) -> Tensor<2> {
    burn::tensor::activation::log_softmax(logits, 1)
}

/// How the inputs of a cross-fit are named in its errors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Naming {
    /// The two modalities of [`LsmiConfig::fit`]: `x1`, `x2`.
    TwoModalities,
    /// Views by index: errors about one view are wrapped in [`LsmiError::View`].
    Views,
}

impl Naming {
    /// The name of view `v` in a check's error.
    fn name(self, v: usize) -> &'static str {
        match self {
            Naming::TwoModalities => ["x1", "x2"][v.min(1)],
            Naming::Views => "x",
        }
    }

    /// The name of the view the others are compared with.
    fn reference(self) -> &'static str {
        match self {
            Naming::TwoModalities => "x1",
            Naming::Views => "view 0",
        }
    }

    /// `err`, about view `v`, as it is reported.
    fn about(self, v: usize, err: LsmiError) -> LsmiError {
        match self {
            Naming::TwoModalities => err,
            Naming::Views => LsmiError::View {
                view: v,
                source: Box::new(err),
            },
        }
    }
}

/// What cross-fitting gives: the models of every set, and every row's scores by
/// the set that did not see it (rows in input order).
pub(crate) struct CrossFit {
    models: Vec<Models>,
    scores: Scores,
    prior: ClassPrior,
}

impl CrossFit {
    /// `h` of every view, per row.
    pub(crate) fn entropies(&self) -> &[Tensor<1>] {
        &self.scores.h
    }

    /// `ln q(y|·)` of every classifier (one per view, then one per pair).
    pub(crate) fn log_probs(&self) -> &[Tensor<2>] {
        &self.scores.log_probs
    }

    /// The label prior fitted on the labels.
    pub(crate) fn prior(&self) -> &ClassPrior {
        &self.prior
    }

    /// What each set's models are, in the order they were fitted.
    pub(crate) fn descriptions(&self) -> Vec<Vec<String>> {
        self.models
            .iter()
            .map(|m| m.architecture.descriptions.clone())
            .collect()
    }
}

impl LsmiConfig {
    /// The authors' hyper-parameters (KNIFE and classifier presets), scored with
    /// our cross-fitting (their in-sample scoring is a known defect).
    pub fn reference(num_classes: usize) -> Self {
        LsmiConfig::fixed(num_classes)
            .with_knife(KnifeConfig::reference(1))
            .with_classifier(ClassifierConfig::reference())
    }

    /// Fixed models instead of searched ones: `knife` (a KNIFE mixture of 4 full
    /// kernels fitted by Adam) and `classifier` (a 64-64 MLP), whatever the data.
    /// Faster than the default on small problems, but biased where the data have
    /// many modes, thin shapes or linear class boundaries (see the accuracy
    /// tables in the crate's documentation); for comparison and for models of
    /// your own choosing (`with_knife`, `with_classifier`).
    ///
    /// `LsmiConfig::new(C)` chooses every model by held-out loss on rows held
    /// out inside each fold's training rows: the entropy models by
    /// [`MixtureSearch`], the classifiers by [`ClassifierSearch`] (calibrated);
    /// [`LsmiModels::descriptions`] says what was chosen.
    pub fn fixed(num_classes: usize) -> Self {
        LsmiConfig::new(num_classes)
            .with_entropy_search(None)
            .with_classifier_search(None)
    }

    /// Checks every field once, up front.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::TooFewClasses`] if `num_classes < 2`.
    /// * [`LsmiError::TooManyClasses`] if `num_classes >`
    ///   [`MAX_CLASSES`](crate::MAX_CLASSES).
    /// * [`LsmiError::InvalidConfig`] if `folds < 2` without `in_sample`, or a field of
    ///   `knife` or `classifier` is out of range (see [`KnifeConfig::validate`] and
    ///   [`ClassifierConfig::validate`]).
    pub fn validate(&self) -> Result<()> {
        check::num_classes(self.num_classes)?;
        if !self.in_sample && self.folds < 2 {
            return LsmiError::invalid_config(
                "folds",
                self.folds,
                "cross-fitting needs at least 2 folds (or set in_sample)",
            );
        }
        self.knife.validate()?;
        self.classifier.validate()?;
        if let Some(search) = &self.entropy_search {
            search.validate()?;
        }
        if let Some(search) = &self.classifier_search {
            search.validate()?;
        }
        Ok(())
    }

    /// Fits every model and returns per-sample interactions for every row.
    ///
    /// * `x1`: `[n, d1]`, `x2`: `[n, d2]` features of the two modalities;
    /// * `labels`: `[n]`, in `0..num_classes`.
    ///
    /// Fitting runs on the autodiff twin of the inputs' device.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`] if a field is out of range (see
    ///   [`validate`](Self::validate)).
    /// * [`LsmiError::TooFewClasses`] if `num_classes < 2`.
    /// * [`LsmiError::TooManyClasses`] if `num_classes >`
    ///   [`MAX_CLASSES`](crate::MAX_CLASSES).
    /// * [`LsmiError::Empty`] if `x1` has no rows.
    /// * [`LsmiError::LengthMismatch`] if `x2` has not as many rows as `x1`, or `labels`
    ///   not one entry per row.
    /// * [`LsmiError::LabelOutOfRange`] if a label lies outside `0..num_classes`.
    /// * [`LsmiError::TooFewRows`] if `n < 2 · folds` (cross-fitting), or the rows a set of
    ///   models is fitted on are fewer than `knife.kernels` with
    ///   [`MeanInit::DataRows`](crate::MeanInit::DataRows).
    /// * [`LsmiError::NonFinite`] if `x1` or `x2` holds NaN or ±∞, or a model's training
    ///   loss or output is not finite.
    /// * [`LsmiError::OutOfRange`] if a term computed from the models lies beyond
    ///   ±[`MAX_TERM`](crate::MAX_TERM).
    /// * [`LsmiError::Backend`] if the backend fails to read a tensor back.
    pub fn fit(&self, x1: Tensor<2>, x2: Tensor<2>, labels: Tensor<1, Int>) -> Result<FittedLsmi> {
        self.fit_with_progress(x1, x2, labels, &mut |_| {})
    }

    /// [`fit`](Self::fit), calling `progress` after every epoch of every model.
    ///
    /// # Errors
    ///
    /// As [`fit`](Self::fit).
    pub fn fit_with_progress(
        &self,
        x1: Tensor<2>,
        x2: Tensor<2>,
        labels: Tensor<1, Int>,
        progress: &mut dyn FnMut(&FitStage),
    ) -> Result<FittedLsmi> {
        let start = Instant::now();
        let dims = (x1.dims()[1], x2.dims()[1]);
        let fit = self.cross_fit(&[x1, x2], labels.clone(), Naming::TwoModalities, progress)?;
        let pmi = LogitPmi::new(fit.prior.clone());
        let terms = fit.scores.terms(labels, &pmi)?;
        let models = LsmiModels {
            sets: fit.models,
            pmi,
            dims,
            config: self.clone(),
            surprisal_means: Some(terms.surprisal_means()?),
        };
        Ok(FittedLsmi {
            interactions: Lsmi.decompose(models.centered_if_asked(terms)?)?,
            models,
            wall_time: start.elapsed(),
        })
    }

    /// Checks the configuration and the inputs, then fits, for every
    /// cross-fitting fold (or once, in-sample), an entropy model and a classifier
    /// per view and a joint classifier per pair of views, and scores the fold's
    /// rows with them: the machinery [`fit`](Self::fit) and
    /// [`fit_pairwise`](Self::fit_pairwise) share. With two views it is exactly
    /// what [`fit`](Self::fit) fits (same folds, same seeds).
    pub(crate) fn cross_fit(
        &self,
        views: &[Tensor<2>],
        labels: Tensor<1, Int>,
        naming: Naming,
        progress: &mut dyn FnMut(&FitStage),
    ) -> Result<CrossFit> {
        self.validate()?;
        let n = views.first().map_or(0, |x| x.dims()[0]);
        check::non_empty(naming.name(0), n).map_err(|e| naming.about(0, e))?;
        for (v, x) in views.iter().enumerate().skip(1) {
            check::same_length(naming.name(v), x.dims()[0], naming.reference(), n)
                .map_err(|e| naming.about(v, e))?;
        }
        for (v, x) in views.iter().enumerate() {
            check::finite(naming.name(v), x).map_err(|e| naming.about(v, e))?;
        }
        let host_labels = check::labels("labels", &labels, self.num_classes)?;
        check::same_length("labels", host_labels.len(), naming.reference(), n)?;
        let prior = match self.uniform_prior {
            true => LabelPrior::Uniform,
            false => LabelPrior::Empirical,
        }
        .resolve(&host_labels, self.num_classes)?;
        let device = views[0].device();

        let sets = if self.in_sample { 1 } else { self.folds };
        // Two rows per fold, counted without wrapping for absurd fold counts.
        let needed = self.folds.saturating_mul(2);
        if !self.in_sample && n < needed {
            return Err(naming.about(
                0,
                LsmiError::TooFewRows {
                    what: naming.name(0),
                    rows: n,
                    needed,
                    reason: "two rows per cross-fitting fold",
                },
            ));
        }
        // Every fold's scored rows, and the rows its models are fitted on: the
        // other folds' (in the seeded order), or every row in-sample.
        let folds = fold_rows(self.seed, n, sets);
        let splits: Vec<Vec<usize>> = (0..sets)
            .map(|fold| match self.in_sample {
                true => folds[0].clone(),
                false => folds
                    .iter()
                    .enumerate()
                    .filter(|&(other, _)| other != fold)
                    .flat_map(|(_, rows)| rows.iter().copied())
                    .collect(),
            })
            .collect();
        let pairs = view_pairs(views.len());
        let steps = 2 * views.len() + pairs.len();
        // One job per model of every fold, fold by fold: the models are
        // independent, so any number of threads gives the same models.
        let fit_one = |job: usize, progress: &mut dyn FnMut(&FitStage)| -> Result<Fitted> {
            let (fold, step) = (job / steps, job % steps);
            let rows = train::index_tensor(&splits[fold], &device);
            let pick = |v: usize| views[v].clone().select(0, rows.clone());
            let input = match step {
                s if s < views.len() => pick(s),
                s if s < 2 * views.len() => pick(s - views.len()),
                s => {
                    let (a, b) = pairs[s - 2 * views.len()];
                    Tensor::cat(vec![pick(a), pick(b)], 1)
                }
            };
            let labels = labels.clone().select(0, rows.clone());
            self.fit_model(
                (fold, sets),
                step,
                views.len(),
                input,
                labels,
                naming,
                progress,
            )
        };
        let mut fitted = parallel::run(
            sets * steps,
            self.worker_threads(sets * steps),
            &fit_one,
            progress,
        )?
        .into_iter();
        let models: Vec<Models> = (0..sets)
            .map(|_| Models::assemble(fitted.by_ref().take(steps), views.len()))
            .collect();
        let scores = held_out_scores(&models, &folds, views)?;
        Ok(CrossFit {
            models,
            scores,
            prior,
        })
    }

    /// The number of folds fitted at once (see [`threads`](Self::threads)).
    fn worker_threads(&self, sets: usize) -> usize {
        let threads = match self.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            t => t,
        };
        threads.clamp(1, sets.max(1))
    }

    /// The architecture of a set fitted without searches.
    fn fixed_architecture(&self, d1: usize, d2: usize) -> Architecture {
        let knives = vec![self.knife_for(d1), self.knife_for(d2)];
        let classifiers = vec![self.classifier.clone(); 3];
        let mut descriptions: Vec<String> = knives.iter().map(describe_knife).collect();
        descriptions.extend(classifiers.iter().map(describe_classifier));
        Architecture {
            knives,
            classifiers,
            descriptions,
        }
    }

    /// The KNIFE configuration for a modality with `dim` features.
    fn knife_for(&self, dim: usize) -> KnifeConfig {
        let mut config = self.knife.clone();
        config.dim = dim;
        config
    }

    /// Fits the models of one set (`fold` of `folds`) on the training rows of
    /// every view.
    /// Fits model `step` of the set of fold `fold` (of `folds`) on `x`: for
    /// `M = views` views, steps `0..M` are the views' entropy models, `M..2M`
    /// their classifiers, the rest the joint classifiers of the pairs of views.
    #[allow(clippy::too_many_arguments)]
    fn fit_model(
        &self,
        (fold, folds): (usize, usize),
        step: usize,
        views: usize,
        x: Tensor<2>,
        labels: Tensor<1, Int>,
        naming: Naming,
        progress: &mut dyn FnMut(&FitStage),
    ) -> Result<Fitted> {
        let steps = 2 * views + view_pairs(views).len();
        // Distinct, reproducible seeds for every model of every fold (the stride
        // of 10 per fold is that of two modalities' five models).
        let stride = steps.max(10) as u64;
        let seed = self
            .seed
            .wrapping_mul(1_000_003)
            .wrapping_add(stride.wrapping_mul(fold as u64))
            .wrapping_add(step as u64);
        let model = match naming {
            Naming::TwoModalities => Models::NAMES[step.min(4)],
            Naming::Views if step < views => "knife",
            Naming::Views if step < 2 * views => "classifier",
            Naming::Views => "joint classifier",
        };
        let stage = |epoch: &EpochProgress, finished: bool| FitStage {
            fold,
            folds,
            model,
            step,
            steps,
            epoch: *epoch,
            finished,
        };
        // Errors of a view's own models name the view.
        let about = |e| match step < 2 * views {
            true => naming.about(step % views, e),
            false => e,
        };
        // The last epoch reported by a trained model; a searched one reports once,
        // when chosen, as epoch 1 of 1 with the chosen candidate's held-out loss.
        let mut last: Option<EpochProgress> = None;
        let mut epoch = |e: &EpochProgress| {
            last = Some(*e);
            progress(&stage(e, false));
        };
        let chosen = |loss: f64| EpochProgress {
            epoch: 1,
            epochs: 1,
            train_loss: loss,
            holdout_loss: Some(loss),
            learning_rate: 0.0,
        };
        let c = self.num_classes;
        let dim = x.dims()[1];
        let (fitted, search_loss) =
            match (step < views, &self.entropy_search, &self.classifier_search) {
                (true, Some(search), _) => {
                    let (knife, choice) = search.clone().with_seed(seed).fit(x).map_err(about)?;
                    let loss = choice.holdout_nll;
                    (
                        Fitted::Knife(knife, choice.knife_config(dim), choice.description),
                        Some(loss),
                    )
                }
                (true, None, _) => {
                    let mut config = self.knife_for(dim);
                    config.fit.seed = seed;
                    let (knife, _) = config.fit_with_progress(x, &mut epoch).map_err(about)?;
                    let description = describe_knife(&config);
                    (Fitted::Knife(knife, config, description), None)
                }
                (false, _, Some(search)) => {
                    let (model, choice) = search
                        .clone()
                        .with_seed(seed)
                        .fit(x, labels, c)
                        .map_err(about)?;
                    let loss = choice.calibrated_loss;
                    (
                        Fitted::Classifier(model, choice.config.clone(), choice.describe()),
                        Some(loss),
                    )
                }
                (false, _, None) => {
                    let mut config = self.classifier.clone();
                    config.fit.seed = seed;
                    let (model, _) = config
                        .fit_with_progress(x, labels, c, &mut epoch)
                        .map_err(about)?;
                    let description = describe_classifier(&config);
                    (Fitted::Classifier(model, config, description), None)
                }
            };
        let end = match search_loss {
            Some(loss) => chosen(loss),
            None => last.unwrap_or(chosen(f64::NAN)),
        };
        progress(&stage(&end, true));
        Ok(fitted)
    }

    /// Loads the models saved with [`FittedLsmi::save`] (or [`LsmiModels::save`])
    /// into `device`, rebuilding them with `self`; `self` must be the configuration
    /// they were fitted with (at least its `num_classes`, `knife` and `classifier`
    /// architecture). The configuration stored in the folder, if any, is not read:
    /// this also loads folders saved before the configuration was stored.
    /// [`LsmiModels::load`] needs no configuration.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Record`] if `lsmi.json` or a model record in `dir` is missing
    ///   or cannot be read (a save that did not finish leaves no `lsmi.json`), the
    ///   saved prior has not `num_classes` entries, or a record does not fit its model.
    /// * [`LsmiError::InvalidConfig`] if a field of `knife` or `classifier` is out of
    ///   range, or a saved feature count is 0.
    /// * [`LsmiError::TooFewClasses`] if `num_classes` or the saved prior has fewer than 2
    ///   classes.
    /// * [`LsmiError::TooManyClasses`] if either has more than
    ///   [`MAX_CLASSES`](crate::MAX_CLASSES).
    /// * [`LsmiError::PriorNotProbability`] if a saved probability is negative or not
    ///   finite.
    /// * [`LsmiError::PriorSum`] if the saved prior does not sum to 1 within 1e-6.
    pub fn load(&self, dir: impl AsRef<Path>, device: &Device) -> Result<LsmiModels> {
        let dir = dir.as_ref();
        self.load_saved(dir, SavedMeta::read(dir)?, device)
    }

    /// Rebuilds the models described by `meta` from the records in `dir`.
    fn load_saved(&self, dir: &Path, meta: SavedMeta, device: &Device) -> Result<LsmiModels> {
        let (d1, d2) = (meta.d1, meta.d2);
        let c = self.num_classes;
        if meta.prior.len() != c {
            return Err(record_error(
                &dir.join(META_FILE),
                format!(
                    "the saved prior has {} classes but the configuration {c}",
                    meta.prior.len()
                ),
            ));
        }
        if meta.sets == 0 {
            return Err(record_error(
                &dir.join(META_FILE),
                "no model set (`sets` is 0)",
            ));
        }
        if let Some(saved) = &meta.architectures
            && (saved.len() != meta.sets
                || saved
                    .iter()
                    .any(|a| a.knives.len() != 2 || a.classifiers.len() != 3))
        {
            return Err(record_error(
                &dir.join(META_FILE),
                "the saved architectures do not describe every model of every set",
            ));
        }
        let models = (0..meta.sets)
            .map(|set| {
                let file = |name: &str| dir.join(model_file(set, name));
                // Folders saved before the architectures were stored hold models
                // of the configuration's fixed architecture.
                let architecture = match &meta.architectures {
                    Some(saved) => saved[set].clone(),
                    None => self.fixed_architecture(d1, d2),
                };
                let [k1, k2] = [0, 1].map(|k| architecture.knives[k].clone());
                let [c1, c2, c12] = [0, 1, 2].map(|k| architecture.classifiers[k].clone());
                Ok(Models {
                    knives: vec![
                        k1.load(file("knife1"), device)?,
                        k2.load(file("knife2"), device)?,
                    ],
                    classifiers: vec![
                        c1.load(file("classifier1"), d1, c, device)?,
                        c2.load(file("classifier2"), d2, c, device)?,
                        c12.load(file("classifier12"), d1 + d2, c, device)?,
                    ],
                    architecture,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let surprisal_means = match meta.surprisal_means.as_deref() {
            None => None,
            Some(&[h1, h2]) if h1.is_finite() && h2.is_finite() => Some([h1, h2]),
            Some(_) => {
                return Err(record_error(
                    &dir.join(META_FILE),
                    "`surprisal_means` is not two finite numbers",
                ));
            }
        };
        if self.centered && surprisal_means.is_none() {
            return Err(record_error(
                &dir.join(META_FILE),
                "saved without the training rows' mean surprisals (by an earlier version of \
                 lsmi), which the centred variant needs: refit the models",
            ));
        }
        Ok(LsmiModels {
            sets: models,
            pmi: LogitPmi::new(ClassPrior::new(meta.prior)?),
            dims: (d1, d2),
            config: self.clone(),
            surprisal_means,
        })
    }
}

/// The metadata file of a saved model set, written last.
const META_FILE: &str = "lsmi.json";

/// The temporary file `lsmi.json` is written to before it is renamed into place.
const META_TEMP: &str = ".lsmi.json.tmp";

/// The record of model `name` of set `set`: `fold{set}_{name}.bpk`.
fn model_file(set: usize, name: &str) -> String {
    format!("fold{set}_{name}.bpk")
}

/// An [`LsmiError::Record`] about `path`.
fn record_error(path: &Path, message: impl std::fmt::Display) -> LsmiError {
    LsmiError::Record(format!("{}: {message}", path.display()))
}

/// What [`LsmiModels::save`] writes beside the model records, as `lsmi.json`.
#[derive(Config, Debug)]
struct SavedMeta {
    d1: usize,
    d2: usize,
    sets: usize,
    prior: Vec<f64>,
    /// The configuration the models were fitted with; absent in folders saved
    /// before it was stored (those load with [`LsmiConfig::load`] only).
    config: Option<LsmiConfig>,
    /// The architecture of every model of every set; absent in folders saved
    /// before it was stored (their models have the configuration's fixed one).
    architectures: Option<Vec<Architecture>>,
    /// `[H1, H2]`, the training rows' mean cross-fitted surprisals (the centring
    /// reference); absent in folders saved before it was stored.
    surprisal_means: Option<Vec<f64>>,
}

impl SavedMeta {
    /// Reads `dir/lsmi.json`.
    fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(META_FILE);
        let bytes = std::fs::read(&path).map_err(|e| {
            let why = match e.kind() {
                std::io::ErrorKind::NotFound => format!(
                    "not found: {} holds no complete saved model set (a save that did not \
                     finish leaves none)",
                    dir.display()
                ),
                _ => format!("cannot read: {e}"),
            };
            record_error(&path, why)
        })?;
        let not_meta = |e: serde_json::Error| {
            record_error(&path, format!("not a saved model set's metadata: {e}"))
        };
        let mut json: serde_json::Value = serde_json::from_slice(&bytes).map_err(not_meta)?;
        // Configurations saved before `centered` existed are of the raw variant.
        if let Some(config) = json.get_mut("config").and_then(|c| c.as_object_mut()) {
            config.entry("centered").or_insert(false.into());
        }
        serde_json::from_value(json).map_err(not_meta)
    }

    /// Writes `dir/lsmi.json` through a temporary file renamed into place, so
    /// that the file is whole or absent.
    fn write(&self, dir: &Path) -> Result<()> {
        let temp = dir.join(META_TEMP);
        let path = dir.join(META_FILE);
        let text = burn::config::config_to_json(self);
        let written = std::fs::File::create(&temp).and_then(|mut file| {
            std::io::Write::write_all(&mut file, text.as_bytes())?;
            file.sync_all()
        });
        if let Err(e) = written.and_then(|()| std::fs::rename(&temp, &path)) {
            let _ = std::fs::remove_file(&temp);
            return Err(record_error(&path, format!("cannot write: {e}")));
        }
        Ok(())
    }
}

/// A fitted estimator: the per-sample interactions of its training rows, and the
/// models to score new rows.
#[derive(Debug)]
pub struct FittedLsmi {
    interactions: Interactions,
    models: LsmiModels,
    wall_time: Duration,
}

impl FittedLsmi {
    /// Per-sample interactions of the training rows, each scored out of sample
    /// (unless the configuration asked for in-sample scoring); with
    /// [`LsmiConfig::centered`], of the surprisals centred on their means
    /// ([`LsmiModels::surprisal_means`]).
    pub fn interactions(&self) -> &Interactions {
        &self.interactions
    }

    /// The fitted models (one set per fold), to score new rows or save.
    pub fn models(&self) -> &LsmiModels {
        &self.models
    }

    /// The label prior `p(y)` in use.
    pub fn prior(&self) -> &ClassPrior {
        self.models.prior()
    }

    /// Wall time of the fit.
    pub fn wall_time(&self) -> Duration {
        self.wall_time
    }

    /// Scores new rows: see [`LsmiModels::transform`].
    ///
    /// # Errors
    ///
    /// As [`LsmiModels::transform`].
    pub fn transform(
        &self,
        x1: Tensor<2>,
        x2: Tensor<2>,
        labels: Tensor<1, Int>,
    ) -> Result<Interactions> {
        self.models.transform(x1, x2, labels)
    }

    /// Saves the models: see [`LsmiModels::save`].
    ///
    /// # Errors
    ///
    /// As [`LsmiModels::save`].
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        self.models.save(dir)
    }
}

/// The models of a fitted estimator (two KNIFE models and three classifiers per
/// fold), its label prior and its configuration: what [`LsmiModels::load`] and
/// [`LsmiConfig::load`] give back.
#[derive(Debug)]
pub struct LsmiModels {
    sets: Vec<Models>,
    pmi: LogitPmi,
    dims: (usize, usize),
    config: LsmiConfig,
    /// `[H1, H2]` of the training rows; `None` only for sets saved by an
    /// earlier version (never with `config.centered`).
    surprisal_means: Option<[f64; 2]>,
}

impl LsmiModels {
    /// The five models of a set by the term they give: `h1`, `h2` (entropy
    /// models), `i1`, `i2`, `i12` (classifiers).
    pub const MODELS: [&'static str; 5] = ["h1", "h2", "i1", "i2", "i12"];

    /// The names of the five model records of a set, `fold{k}_{name}.bpk`.
    const RECORDS: [&'static str; 5] = Models::NAMES;

    /// Loads a model set saved with [`save`](Self::save) into `device`, with the
    /// configuration stored beside it: nothing else is needed.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Record`] if `lsmi.json` or a model record in `dir` is missing or
    ///   cannot be read (a save that did not finish leaves no `lsmi.json`), the folder
    ///   was saved without its configuration (by an earlier version: load it with
    ///   [`LsmiConfig::load`]), or a record does not fit its model.
    /// * Otherwise as [`LsmiConfig::load`], for a stored configuration or prior out of
    ///   range.
    pub fn load(dir: impl AsRef<Path>, device: &Device) -> Result<LsmiModels> {
        let dir = dir.as_ref();
        let mut meta = SavedMeta::read(dir)?;
        let Some(config) = meta.config.take() else {
            return Err(record_error(
                &dir.join(META_FILE),
                "saved without its configuration (by an earlier version of lsmi): \
                 load it with LsmiConfig::load on the configuration it was fitted with",
            ));
        };
        config.validate()?;
        config.load_saved(dir, meta, device)
    }

    /// Whether `name` is a file that [`save`](Self::save) writes into its folder (or
    /// removes there, left by a previous model set): `lsmi.json`, its temporary
    /// `.lsmi.json.tmp`, or a model record `fold{k}_{model}.bpk`.
    pub fn is_saved_file(name: &str) -> bool {
        if name == META_FILE || name == META_TEMP {
            return true;
        }
        let Some(rest) = name
            .strip_prefix("fold")
            .and_then(|r| r.strip_suffix(".bpk"))
        else {
            return false;
        };
        let Some((set, model)) = rest.split_once('_') else {
            return false;
        };
        !set.is_empty() && set.bytes().all(|b| b.is_ascii_digit()) && Self::RECORDS.contains(&model)
    }

    /// The models of each set (fold), in the order of [`LsmiModels::MODELS`]:
    /// what was fitted (`"knife K=4 full (Adam)"`, `"mlp [64, 64]"`) or what the
    /// searches chose (`"mixture K=16 tied"`, `"linear (LDA, ridge 1e-2), T=1.030"`).
    pub fn descriptions(&self) -> Vec<Vec<String>> {
        self.sets
            .iter()
            .map(|m| m.architecture.descriptions.clone())
            .collect()
    }

    /// The configuration the models were fitted with (or loaded with).
    pub fn config(&self) -> &LsmiConfig {
        &self.config
    }

    /// The number of features `(d1, d2)` of the two modalities the models take.
    pub fn feature_counts(&self) -> (usize, usize) {
        self.dims
    }

    /// The number of model sets: the cross-fitting folds, or 1 in-sample.
    pub fn num_sets(&self) -> usize {
        self.sets.len()
    }

    /// The label prior `p(y)` in use.
    pub fn prior(&self) -> &ClassPrior {
        self.pmi.prior()
    }

    /// `[H1, H2]`: the means of the cross-fitted `h1`, `h2` over the rows the
    /// models were fitted on, in nats. The centred variant
    /// ([`LsmiConfig::centered`]) subtracts them, from the training rows and
    /// from every new row [`transform`](Self::transform) scores; pass them to
    /// [`PointwiseTerms::centered`] to centre terms yourself. `None` for a model
    /// set saved by an earlier version of lsmi, which did not store them.
    pub fn surprisal_means(&self) -> Option<[f64; 2]> {
        self.surprisal_means
    }

    /// `terms`, centred on the training rows' means if the configuration asks
    /// for the centred variant.
    fn centered_if_asked(&self, terms: PointwiseTerms) -> Result<PointwiseTerms> {
        match self.centring()? {
            None => Ok(terms),
            Some(means) => terms.centered(means),
        }
    }

    /// The means `[H1, H2]` the interactions are centred on, if the configuration
    /// asks for centring.
    fn centring(&self) -> Result<Option<[f64; 2]>> {
        match (self.config.centered, self.surprisal_means) {
            (false, _) => Ok(None),
            (true, Some(means)) => Ok(Some(means)),
            // Not reachable: loading refuses a centred set without its means.
            (true, None) => Err(LsmiError::Record(
                "centred models without the training rows' mean surprisals".into(),
            )),
        }
    }

    /// `scores` with each modality's `h` centred, if the configuration asks for
    /// centring (as [`centered_if_asked`](Self::centered_if_asked) does to terms).
    pub(crate) fn centered_scores(&self, mut scores: Scores) -> Result<Scores> {
        if let Some(means) = self.centring()? {
            for (h, mean) in scores.h.iter_mut().zip(means) {
                *h = h.clone().sub_scalar(mean);
            }
        }
        Ok(scores)
    }

    /// Per-sample interactions of new rows (`x1: [m, d1]`, `x2: [m, d2]`,
    /// `labels: [m]`), scored by the average of the fold models' densities and
    /// class probabilities (a proper mixture: `p = mean_f p_f`).
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Empty`] if `x1` or `x2` has no features or no rows, or `labels` is
    ///   empty.
    /// * [`LsmiError::WidthMismatch`] if `x1` or `x2` has features, but not as many as the
    ///   models were fitted on.
    /// * [`LsmiError::NonFinite`] if `x1` or `x2` holds NaN or ±∞, or a model's output is
    ///   not finite.
    /// * [`LsmiError::LengthMismatch`] if `x2` or `labels` has not one entry per row of `x1`.
    /// * [`LsmiError::LabelOutOfRange`] if a label lies outside `0..C`.
    /// * [`LsmiError::ZeroPriorClass`] if a label's class has probability 0 in the prior (a
    ///   class absent from the fitting labels).
    /// * [`LsmiError::OutOfRange`] if a term computed from the models lies beyond
    ///   ±[`MAX_TERM`](crate::MAX_TERM).
    /// * [`LsmiError::Backend`] if the backend fails to read a tensor back.
    pub fn transform(
        &self,
        x1: Tensor<2>,
        x2: Tensor<2>,
        labels: Tensor<1, Int>,
    ) -> Result<Interactions> {
        let terms = self.terms(x1, x2, labels)?;
        Lsmi.decompose(self.centered_if_asked(terms)?)
    }

    /// The pointwise terms of new rows as [`transform`](Self::transform) scores
    /// them, before any centring: `h` from the mixture of the fold models'
    /// densities, `i` from their mean class probabilities.
    ///
    /// # Errors
    ///
    /// As [`transform`](Self::transform).
    pub fn terms(
        &self,
        x1: Tensor<2>,
        x2: Tensor<2>,
        labels: Tensor<1, Int>,
    ) -> Result<PointwiseTerms> {
        // Shapes first: the joint classifier's input is `cat([x1, x2])`, which
        // must not see row counts that differ.
        let [rows, d1] = x1.dims();
        let [rows2, d2] = x2.dims();
        check::non_empty("x1", rows)?;
        check::same_length("x2", rows2, "x1", rows)?;
        check::same_length("labels", labels.dims()[0], "x1", rows)?;
        check::features("x1", d1, self.dims.0)?;
        check::features("x2", d2, self.dims.1)?;
        self.mixture_scores(x1, x2)?.terms(labels, &self.pmi)
    }

    /// New rows (shapes already checked) scored by the mixture of the sets: the
    /// mean of their densities and of their class probabilities.
    pub(crate) fn mixture_scores(&self, x1: Tensor<2>, x2: Tensor<2>) -> Result<Scores> {
        let scores = self
            .sets
            .iter()
            .map(|m| m.score(&[x1.clone(), x2.clone()]))
            .collect::<Result<Vec<_>>>()?;
        let sets = scores.len() as f64;
        // −ln mean_f exp(−h_f) and ln mean_f p_f(y|x), stable.
        let mean_density = |v: usize| {
            let stacked =
                Tensor::stack::<2>(scores.iter().map(|s| s.h[v].clone().neg()).collect(), 1);
            let m = stacked.dims()[0];
            log_sum_exp(stacked, 1)
                .reshape([m])
                .sub_scalar(sets.ln())
                .neg()
        };
        let mean_probs = |k: usize| {
            let stacked =
                Tensor::stack::<3>(scores.iter().map(|s| s.log_probs[k].clone()).collect(), 2);
            let [m, c, _] = stacked.dims();
            log_sum_exp(stacked, 2)
                .reshape([m, c])
                .sub_scalar(sets.ln())
        };
        Ok(Scores {
            h: vec![mean_density(0), mean_density(1)],
            log_probs: vec![mean_probs(0), mean_probs(1), mean_probs(2)],
        })
    }

    /// The rows a fit with these models' configuration was given (shapes already
    /// checked), each scored by the set that did not see it: the folds of
    /// [`fold_rows`] rebuilt from the configuration's seed.
    pub(crate) fn held_out_scores(&self, x1: &Tensor<2>, x2: &Tensor<2>) -> Result<Scores> {
        let folds = fold_rows(self.config.seed, x1.dims()[0], self.sets.len());
        held_out_scores(&self.sets, &folds, &[x1.clone(), x2.clone()])
    }

    /// Saves every model (burn records), the prior and the configuration into the
    /// folder `dir`, created if needed; [`LsmiModels::load`] brings them back.
    ///
    /// The metadata file `lsmi.json` (feature counts, prior, configuration) is
    /// removed first and written last, through a temporary file renamed into place,
    /// so a save that fails or is interrupted leaves a folder that does not load
    /// (an error, not a half-written model set). Records of a previous, larger model
    /// set in `dir` (`fold{k}_{model}.bpk` beyond the new sets) are removed; no other
    /// file in `dir` is touched.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::Record`] if `dir` cannot be created, or a model record or
    ///   `lsmi.json` cannot be written or replaced.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| record_error(dir, e))?;
        let remove = |path: &Path| match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(record_error(path, format!("cannot remove: {e}")))
            }
            _ => Ok(()),
        };
        remove(&dir.join(META_FILE))?;
        for (set, models) in self.sets.iter().enumerate() {
            let file = |name: &str| dir.join(model_file(set, name));
            let [knife1, knife2, classifier1, classifier2, classifier12] = Self::RECORDS;
            models.knives[0].save(file(knife1))?;
            models.knives[1].save(file(knife2))?;
            models.classifiers[0].save(file(classifier1))?;
            models.classifiers[1].save(file(classifier2))?;
            models.classifiers[2].save(file(classifier12))?;
            for name in Self::RECORDS {
                // On disk before `lsmi.json` names them.
                let path = file(name);
                std::fs::File::open(&path)
                    .and_then(|f| f.sync_all())
                    .map_err(|e| record_error(&path, e))?;
            }
        }
        // The records of a previous model set with more folds.
        for set in self.sets.len().. {
            let stale: Vec<_> = Self::RECORDS
                .iter()
                .map(|name| dir.join(model_file(set, name)))
                .filter(|path| path.exists())
                .collect();
            if stale.is_empty() {
                break;
            }
            for path in &stale {
                remove(path)?;
            }
        }
        SavedMeta {
            d1: self.dims.0,
            d2: self.dims.1,
            sets: self.sets.len(),
            prior: self.pmi.prior().probs().to_vec(),
            config: Some(self.config.clone()),
            architectures: Some(self.sets.iter().map(|m| m.architecture.clone()).collect()),
            surprisal_means: self.surprisal_means.map(Vec::from),
        }
        .write(dir)
    }
}

#[cfg(all(test, feature = "serde"))]
mod serde_tests {
    use super::*;

    #[test]
    fn fit_stage_serialises_with_its_fields() {
        let stage = FitStage {
            fold: 1,
            folds: 5,
            model: "knife2",
            step: 1,
            steps: 5,
            epoch: EpochProgress {
                epoch: 2,
                epochs: 30,
                train_loss: 0.75,
                holdout_loss: None,
                learning_rate: 3e-3,
            },
            finished: true,
        };
        let json: serde_json::Value = serde_json::to_value(stage).unwrap();
        assert_eq!(json["finished"], true);
        assert_eq!(json["fold"], 1);
        assert_eq!(json["folds"], 5);
        assert_eq!(json["model"], "knife2");
        let epoch: EpochProgress = serde_json::from_value(json["epoch"].clone()).unwrap();
        assert_eq!(epoch, stage.epoch);
    }
}
