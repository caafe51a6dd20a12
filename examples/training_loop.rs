//! LSMI measured while a multimodal model trains, with early or late fusion.
//!
//! `cargo run --release --example training_loop`
//!
//! The data (`synthetic::PresetInteractions`, 4 classes) mixes samples whose label
//! is carried redundantly, by one modality only, or only by the pair (synergy).
//! The model has an encoder and a head per modality and a fusion head:
//! *early* fusion feeds the concatenated raw features to its own MLP, *late*
//! fusion feeds the concatenated encodings to one linear layer. After every
//! minibatch the three heads' logits go to [`OnlineLsmi::step`], which also takes
//! one step on its two entropy models; the per-epoch line is the EMA summary.

use lsmi::burn::module::Module;
use lsmi::burn::nn::{Linear, LinearConfig};
use lsmi::burn::optim::{AdamConfig, GradientsParams};
use lsmi::burn::tensor::activation::{log_softmax, relu};
use lsmi::burn::tensor::{Device, Int, Tensor, TensorData};
use lsmi::synthetic::{PresetInteractions, PresetSample};
use lsmi::{OnlineConfig, OnlineLsmi};

const CLASSES: usize = 4;
const DIM: usize = 8;
const HIDDEN: usize = 32;
const BATCH: usize = 128;
const EPOCHS: usize = 12;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Fusion {
    Early,
    Late,
}

#[derive(Module, Debug)]
struct Model {
    encoder1: Linear,
    encoder2: Linear,
    head1: Linear,
    head2: Linear,
    /// Early fusion only: the hidden layer of the MLP on `[x1, x2]`.
    early_hidden: Linear,
    fusion: Linear,
    late: bool,
}

impl Model {
    fn new(fusion: Fusion, device: &Device) -> Self {
        let linear = |a, b| LinearConfig::new(a, b).init(device);
        let late = fusion == Fusion::Late;
        Model {
            encoder1: linear(DIM, HIDDEN),
            encoder2: linear(DIM, HIDDEN),
            head1: linear(HIDDEN, CLASSES),
            head2: linear(HIDDEN, CLASSES),
            early_hidden: linear(2 * DIM, HIDDEN),
            fusion: linear(if late { 2 * HIDDEN } else { HIDDEN }, CLASSES),
            late,
        }
    }

    /// Logits of the three heads: `p(y|x1)`, `p(y|x2)`, `p(y|x1,x2)`, each `[b, C]`.
    fn forward(&self, x1: Tensor<2>, x2: Tensor<2>) -> [Tensor<2>; 3] {
        let e1 = relu(self.encoder1.forward(x1.clone()));
        let e2 = relu(self.encoder2.forward(x2.clone()));
        let joint = if self.late {
            Tensor::cat(vec![e1.clone(), e2.clone()], 1)
        } else {
            relu(self.early_hidden.forward(Tensor::cat(vec![x1, x2], 1)))
        };
        [
            self.head1.forward(e1),
            self.head2.forward(e2),
            self.fusion.forward(joint),
        ]
    }
}

fn rows(
    sample: &PresetSample,
    start: usize,
    len: usize,
    device: &Device,
) -> (Tensor<2>, Tensor<2>, Tensor<1, Int>) {
    let pick = |f: &lsmi::synthetic::Features| {
        let values = f.values[start * f.cols..(start + len) * f.cols].to_vec();
        Tensor::<2>::from_data(TensorData::new(values, [len, f.cols]), device)
    };
    let labels = sample.labels[start..start + len].to_vec();
    (
        pick(&sample.x1),
        pick(&sample.x2),
        Tensor::from_data(TensorData::new(labels, [len]), device),
    )
}

fn run(fusion: Fusion, sample: &PresetSample, device: &Device) -> lsmi::Result<()> {
    let train_device = device.clone().autodiff();
    let mut model = Model::new(fusion, &train_device);
    let mut optimizer = AdamConfig::new().init();
    let (x1, x2, _) = rows(sample, 0, 512, device);
    let mut online: OnlineLsmi = OnlineConfig::new(CLASSES)
        .with_learning_rate(1e-2)
        .with_ema_decay(0.95)
        .init(&x1, &x2)?;
    println!("\n{fusion:?} fusion");
    println!("| epoch | fusion accuracy | R | U1 | U2 | S | I(X1,X2;Y) |");
    println!("|---|---|---|---|---|---|---|");
    let n = sample.labels.len();
    for epoch in 1..=EPOCHS {
        let (mut correct, mut seen) = (0usize, 0usize);
        for start in (0..n - BATCH + 1).step_by(BATCH) {
            let (x1, x2, y) = rows(sample, start, BATCH, &train_device);
            let [l1, l2, l12] = model.forward(x1.clone(), x2.clone());
            let loss = cross_entropy(l1.clone(), y.clone())
                + cross_entropy(l2.clone(), y.clone())
                + cross_entropy(l12.clone(), y.clone());
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optimizer.step(1e-3, model, grads);
            // The heads' logits, detached, go to LSMI with the raw features.
            let detach = |t: Tensor<2>| t.detach().without_autodiff();
            online.step(
                detach(x1),
                detach(x2),
                y.clone().without_autodiff(),
                detach(l1),
                detach(l2),
                detach(l12.clone()),
            )?;
            let predicted = detach(l12).argmax(1).reshape([BATCH]);
            correct += predicted
                .equal(y.without_autodiff())
                .int()
                .sum()
                .into_scalar::<i64>() as usize;
            seen += BATCH;
        }
        let ema = online.ema_summary()?.expect("at least one batch");
        println!(
            "| {epoch} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
            correct as f64 / seen as f64,
            ema.r,
            ema.u1,
            ema.u2,
            ema.s,
            ema.i12
        );
    }
    Ok(())
}

fn main() -> lsmi::Result<()> {
    let device = lsmi::default_device();
    device.seed(7);
    let sample = PresetInteractions::new(CLASSES, DIM, 0.5, [0.25; 4]).sample(20_000, 11)?;
    println!(
        "PresetInteractions: 4 classes, d = {DIM} per modality, noise 0.5, a quarter each of R, U1, U2, S samples; n = 20 000"
    );
    for fusion in [Fusion::Early, Fusion::Late] {
        run(fusion, &sample, &device)?;
    }
    Ok(())
}

/// Mean cross-entropy `−ln p(y|x)` in nats: `logits: [n, C]`, `labels: [n]` → `[1]`.
fn cross_entropy(logits: Tensor<2>, labels: Tensor<1, Int>) -> Tensor<1> {
    let n = labels.dims()[0];
    log_softmax(logits, 1)
        .gather(1, labels.reshape([n, 1]))
        .mean()
        .neg()
}
