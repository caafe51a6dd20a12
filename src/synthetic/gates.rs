//! The logic gates of the paper's Table 1, embedded in
//! continuous features ("circuit logic").
//!
//! Each sample draws fair bits `b1`, `b2` (and an operation bit `op` for
//! [`Gate::XorNot`]), its label is the gate's output, and each modality is a
//! noisy linear embedding of its bits. With the noise small, the features
//! determine the discrete event, so the exact discrete decomposition of the gate
//! is the per-sample truth.

use super::encode::{Embedding, FeatureRows, sign};
use super::{Features, check_at_least, check_noise_std};
use crate::error::Result;
use crate::oracle::{Gate, OracleDecomposition, OracleEvent};
use crate::pointwise::Interactions;
use crate::rng::SeededRng;
use crate::summary::Summary;

/// A logic gate in continuous features.
///
/// Per sample: `b1, b2, op ~ Bernoulli(½)` independent (`b2 = b1` for
/// [`Gate::Rdn`]; only [`Gate::XorNot`] uses `op`), `y = gate.output(b1, b2, op)`,
/// `x1 = W1 · s1 + noise`, `x2 = W2 · s2 + noise` with `s_k = (2b_k − 1)`, or
/// `s_k = (2b_k − 1, 2op − 1)` for [`Gate::XorNot`], and noise
/// `N(0, noise_std² I_dim)`. `W1`, `W2` are fixed `dim × inputs` matrices with
/// entries `N(0, 1/inputs)`, drawn from the seed.
///
/// ```
/// use lsmi::Gate;
/// use lsmi::synthetic::GateFeatures;
///
/// # fn main() -> lsmi::Result<()> {
/// let sample = GateFeatures::new(Gate::Xor, 8, 0.1).sample(100, 1)?;
/// assert_eq!(sample.x1.cols, 8);
/// // XOR: every sample's exact synergy is ln 2, so the mean over this sample is too.
/// let means = sample.exact.summary()?;
/// assert_eq!(means.n, 100);
/// assert!((means.s - std::f64::consts::LN_2).abs() < 1e-12);
/// assert!(means.r.abs() < 1e-12 && means.u1.abs() < 1e-12 && means.u2.abs() < 1e-12);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GateFeatures {
    /// The gate.
    pub gate: Gate,
    /// The dimension `≥ 1` of each modality.
    pub dim: usize,
    /// The standard deviation `≥ 0` of the noise added to every feature.
    pub noise_std: f64,
}

impl GateFeatures {
    /// `gate` embedded in `dim` features per modality with noise `noise_std`.
    pub fn new(gate: Gate, dim: usize, noise_std: f64) -> Self {
        Self {
            gate,
            dim,
            noise_std,
        }
    }

    /// Checks every parameter; an [`LsmiError::InvalidConfig`](crate::LsmiError::InvalidConfig)
    /// names the first bad one.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`](crate::LsmiError::InvalidConfig) if `dim` is 0, or
    ///   `noise_std` is negative or not finite.
    pub fn validate(&self) -> Result<()> {
        check_at_least("dim", self.dim, 1, "features need at least one dimension")?;
        check_noise_std("noise_std", self.noise_std)
    }

    /// `n` samples drawn from `seed`, with the exact values of their discrete events.
    ///
    /// The embeddings `W1`, `W2` depend on the seed: to get training and
    /// held-out data from one distribution, draw one sample and split its rows.
    ///
    /// # Errors
    ///
    /// * [`LsmiError::InvalidConfig`](crate::LsmiError::InvalidConfig) if a parameter is
    ///   invalid (see [`validate`](Self::validate)).
    pub fn sample(&self, n: usize, seed: u64) -> Result<GateSample> {
        self.validate()?;
        let mut rng = SeededRng::new(seed);
        let inputs = if self.gate == Gate::XorNot { 2 } else { 1 };
        let scale = 1.0 / (inputs as f64).sqrt();
        let mut embedding_rng = SeededRng::new(rng.next_u64());
        let w1 = Embedding::random(self.dim, inputs, scale, &mut embedding_rng);
        let w2 = Embedding::random(self.dim, inputs, scale, &mut embedding_rng);
        let oracle = self.gate.pmf().decompose();
        let lookup = EventLookup::new(self.gate, &oracle);
        let mut x1_rows = FeatureRows::new(self.dim, n);
        let mut x2_rows = FeatureRows::new(self.dim, n);
        let mut events = Vec::with_capacity(n);
        for _ in 0..n {
            let bits = Bits::draw(self.gate, &mut rng);
            x1_rows.push(&w1.encode(&bits.code(bits.b1, inputs), self.noise_std, &mut rng));
            x2_rows.push(&w2.encode(&bits.code(bits.b2, inputs), self.noise_std, &mut rng));
            events.push(lookup.find(&bits));
        }
        Ok(GateSample::new(
            x1_rows.finish(),
            x2_rows.finish(),
            events,
            oracle,
        ))
    }
}

/// The bits of one sample.
struct Bits {
    b1: usize,
    b2: usize,
    op: usize,
}

impl Bits {
    /// Three fair draws, always (so one seed gives the same bits for every gate);
    /// `b2 = b1` for [`Gate::Rdn`], `op = 0` unless [`Gate::XorNot`].
    fn draw(gate: Gate, rng: &mut SeededRng) -> Self {
        let (b1, b2, op) = (rng.below(2), rng.below(2), rng.below(2));
        Self {
            b1,
            b2: if gate == Gate::Rdn { b1 } else { b2 },
            op: if gate == Gate::XorNot { op } else { 0 },
        }
    }

    /// The code `s = (2b − 1)` or `(2b − 1, 2op − 1)` of a modality whose bit is `bit`.
    fn code(&self, bit: usize, inputs: usize) -> Vec<f64> {
        [sign(bit), sign(self.op)][..inputs].to_vec()
    }
}

/// Oracle events indexed by `(x1, x2, y)`, with `x_k = b_k + 2·op`.
struct EventLookup {
    gate: Gate,
    index: Vec<Option<usize>>,
    symbols: usize,
}

impl EventLookup {
    fn new(gate: Gate, oracle: &OracleDecomposition) -> Self {
        let symbols = if gate == Gate::XorNot { 4 } else { 2 };
        let mut index = vec![None; symbols * symbols * gate.num_classes()];
        for (position, e) in oracle.events().iter().enumerate() {
            index[(e.x1 * symbols + e.x2) * gate.num_classes() + e.y] = Some(position);
        }
        Self {
            gate,
            index,
            symbols,
        }
    }

    /// The position in `oracle.events` of the event of `bits`.
    fn find(&self, bits: &Bits) -> usize {
        let (x1, x2) = (bits.b1 + 2 * bits.op, bits.b2 + 2 * bits.op);
        let y = self.gate.output(bits.b1, bits.b2, bits.op);
        self.index[(x1 * self.symbols + x2) * self.gate.num_classes() + y]
            .expect("every event the generator draws has p > 0 in the gate's pmf")
    }
}

/// Samples of a [`GateFeatures`] with the exact values of their discrete events.
#[derive(Debug, Clone)]
pub struct GateSample {
    /// Modality 1, `[n, dim]`.
    pub x1: Features,
    /// Modality 2, `[n, dim]`.
    pub x2: Features,
    /// The labels `y = gate.output(b1, b2, op)`, `n` entries in `0..gate.num_classes()`.
    pub labels: Vec<i64>,
    /// For every sample, its event's position in `oracle.events()`.
    pub events: Vec<usize>,
    /// The exact noise-free terms and interactions of every sample's event, in
    /// nats (`h` is a discrete surprisal here).
    pub exact: Interactions<Vec<f64>>,
    /// The gate's exact decomposition (`oracle.summary()` holds its exact means).
    pub oracle: OracleDecomposition,
}

impl GateSample {
    fn new(x1: Features, x2: Features, events: Vec<usize>, oracle: OracleDecomposition) -> Self {
        Self {
            x1,
            x2,
            labels: events
                .iter()
                .map(|&e| oracle.events()[e].y as i64)
                .collect(),
            exact: oracle.interactions().select(&events),
            events,
            oracle,
        }
    }

    /// The discrete event of sample `index`: `x1 = b1 + 2·op`, `x2 = b2 + 2·op`, `y`.
    pub fn event(&self, index: usize) -> &OracleEvent {
        &self.oracle.events()[self.events[index]]
    }

    /// The gate's exact (probability-weighted) means, in nats.
    pub fn summary(&self) -> Summary {
        *self.oracle.summary()
    }
}
