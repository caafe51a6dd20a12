//! Samples that each carry one known kind of interaction.
//!
//! Every sample is redundant, unique to one modality, or synergistic by
//! construction, so an estimator's per-sample `r, u1, u2, s` can be checked for
//! telling the kinds apart (the dominant term of each kind).

use super::encode::{Embedding, FeatureRows, one_hot};
use super::{Features, check_at_least, check_distribution, check_noise_std, draw_index};
use crate::error::Result;
use crate::rng::SeededRng;

/// The one kind of interaction a preset sample carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InteractionKind {
    /// Both modalities encode `y`.
    Redundant,
    /// `x1` encodes `y`; `x2` encodes an independent uniform class.
    Unique1,
    /// `x2` encodes `y`; `x1` encodes an independent uniform class.
    Unique2,
    /// `x1` encodes a uniform `b1`, `x2` encodes `b2 = (y − b1) mod C`: each alone
    /// is independent of `y`, the pair gives `y = (b1 + b2) mod C`.
    Synergy,
}

impl InteractionKind {
    /// Every kind, in the order of [`PresetInteractions::proportions`].
    pub const ALL: [InteractionKind; 4] = [
        InteractionKind::Redundant,
        InteractionKind::Unique1,
        InteractionKind::Unique2,
        InteractionKind::Synergy,
    ];

    /// The classes `(b1, b2)` that `x1` and `x2` encode for label `y` of `classes`.
    fn codes(self, y: usize, classes: usize, rng: &mut SeededRng) -> (usize, usize) {
        let other = rng.below(classes);
        match self {
            InteractionKind::Redundant => (y, y),
            InteractionKind::Unique1 => (y, other),
            InteractionKind::Unique2 => (other, y),
            InteractionKind::Synergy => (other, (y + classes - other) % classes),
        }
    }
}

/// A mixture of samples with known interactions.
///
/// Per sample: `y ~ Uniform{0..classes}`, a kind drawn with `proportions`
/// (`R, U1, U2, S`), the classes `(b1, b2)` the two modalities encode (see
/// [`InteractionKind`]), then `x1 = E1[b1] + noise`, `x2 = E2[b2] + noise`, with
/// fixed embeddings `E1[k], E2[k] ~ N(0, I_dim)` per class and modality drawn
/// from the seed, and noise `N(0, noise_std² I_dim)`.
///
/// ```
/// use lsmi::synthetic::{InteractionKind, PresetInteractions};
///
/// # fn main() -> lsmi::Result<()> {
/// let preset = PresetInteractions::new(4, 8, 0.1, [0.25; 4]);
/// let sample = preset.sample(1_000, 3)?;
/// for j in 0..1_000 {
///     if sample.kinds[j] == InteractionKind::Synergy {
///         assert_eq!((sample.codes1[j] + sample.codes2[j]) % 4, sample.labels[j] as usize);
///     }
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PresetInteractions {
    /// The number of classes `C ≥ 2`.
    pub classes: usize,
    /// The dimension `≥ 1` of each modality.
    pub dim: usize,
    /// The standard deviation `≥ 0` of the noise added to every feature.
    pub noise_std: f64,
    /// The probabilities of [`InteractionKind::ALL`] (`R, U1, U2, S`), summing to 1.
    pub proportions: [f64; 4],
}

impl PresetInteractions {
    /// A preset with `classes` classes, `dim` features per modality, noise
    /// `noise_std` and kind probabilities `proportions` (`R, U1, U2, S`).
    pub fn new(classes: usize, dim: usize, noise_std: f64, proportions: [f64; 4]) -> Self {
        Self {
            classes,
            dim,
            noise_std,
            proportions,
        }
    }

    /// Checks every parameter; an [`LsmiError::InvalidConfig`](crate::LsmiError::InvalidConfig)
    /// names the first bad one.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`](crate::LsmiError::InvalidConfig) if `classes < 2`,
    ///   `dim` is 0, `noise_std` is negative or not finite, or `proportions` are not
    ///   finite, non-negative and summing to 1 within 1e-6.
    pub fn validate(&self) -> Result<()> {
        check_at_least("classes", self.classes, 2, "at least 2 classes are needed")?;
        check_at_least("dim", self.dim, 1, "features need at least one dimension")?;
        check_noise_std("noise_std", self.noise_std)?;
        check_distribution("proportions", &self.proportions, 4)
    }

    /// `n` samples drawn from `seed`, with the kind and the encoded classes of each.
    ///
    /// The embeddings depend on the seed: to get training and held-out data from
    /// one distribution, draw one sample and split its rows.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`](crate::LsmiError::InvalidConfig) if a parameter is
    ///   invalid (see [`validate`](Self::validate)).
    pub fn sample(&self, n: usize, seed: u64) -> Result<PresetSample> {
        self.validate()?;
        let mut rng = SeededRng::new(seed);
        let mut embedding_rng = SeededRng::new(rng.next_u64());
        let e1 = Embedding::random(self.dim, self.classes, 1.0, &mut embedding_rng);
        let e2 = Embedding::random(self.dim, self.classes, 1.0, &mut embedding_rng);
        let mut x1_rows = FeatureRows::new(self.dim, n);
        let mut x2_rows = FeatureRows::new(self.dim, n);
        let (mut labels, mut kinds) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut codes1, mut codes2) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for _ in 0..n {
            let y = rng.below(self.classes);
            let kind = InteractionKind::ALL[draw_index(&self.proportions, &mut rng)];
            let (b1, b2) = kind.codes(y, self.classes, &mut rng);
            x1_rows.push(&self.encode(&e1, b1, &mut rng));
            x2_rows.push(&self.encode(&e2, b2, &mut rng));
            labels.push(y as i64);
            kinds.push(kind);
            codes1.push(b1);
            codes2.push(b2);
        }
        Ok(PresetSample {
            x1: x1_rows.finish(),
            x2: x2_rows.finish(),
            labels,
            kinds,
            codes1,
            codes2,
        })
    }

    /// `E[class] + noise`.
    fn encode(&self, embedding: &Embedding, class: usize, rng: &mut SeededRng) -> Vec<f64> {
        embedding.encode(&one_hot(class, self.classes), self.noise_std, rng)
    }
}

/// Samples of a [`PresetInteractions`].
#[derive(Debug, Clone, PartialEq)]
pub struct PresetSample {
    /// Modality 1, `[n, dim]`.
    pub x1: Features,
    /// Modality 2, `[n, dim]`.
    pub x2: Features,
    /// The labels `y`, `n` entries in `0..classes`.
    pub labels: Vec<i64>,
    /// The kind of interaction of every sample.
    pub kinds: Vec<InteractionKind>,
    /// The class `x1` encodes, per sample.
    pub codes1: Vec<usize>,
    /// The class `x2` encodes, per sample.
    pub codes2: Vec<usize>,
}
