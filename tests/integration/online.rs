//! Online LSMI inside a training loop: per-batch interactions, running
//! summaries, prior updates, and state that does not grow.

use lsmi::burn::tensor::{Device, Tensor};
use lsmi::synthetic::{CorrelatedGaussian, GaussianFamily};
use lsmi::{LsmiError, OnlineConfig, OnlineLsmi};

use crate::common::{devices, labels, matrix, read};

/// A batch of Setting-A-like data with exact-posterior logits.
struct Batch {
    x1: Tensor<2>,
    x2: Tensor<2>,
    y: Vec<i64>,
    logits: Tensor<2>,
    /// The exact `i(x1;y)` of each row under the family's uniform prior.
    exact_i1: Vec<f64>,
}

fn batch(size: usize, seed: u64, device: &Device) -> Batch {
    let sample = GaussianFamily::setting_a(0.0).sample(size, seed).unwrap();
    // Exact log-posterior of class 1 vs 0 for m = ∓1, σ = 1: logit = 2·x.
    let logits: Vec<f32> = sample.x1.values.iter().flat_map(|&x| [-x, x]).collect();
    Batch {
        x1: sample.x1.tensor(device),
        x2: sample.x2.tensor(device),
        logits: matrix(&logits, size, 2, device),
        y: sample.labels,
        exact_i1: sample.exact.terms().i1().clone(),
    }
}

fn step(online: &mut OnlineLsmi, b: &Batch, device: &Device) -> lsmi::Interactions {
    online
        .step(
            b.x1.clone(),
            b.x2.clone(),
            labels(&b.y, device),
            b.logits.clone(),
            b.logits.clone(),
            b.logits.clone(),
        )
        .unwrap()
}

#[test]
fn each_step_returns_the_batch_interactions_and_counts_them() {
    for (backend, device) in devices() {
        let first = batch(64, 1, &device);
        let mut online = OnlineConfig::new(2).init(&first.x1, &first.x2).unwrap();
        let mut counts = [1.0f64, 1.0]; // Laplace smoothing
        for seed in 0..5 {
            let b = batch(64, 10 + seed, &device);
            let interactions = step(&mut online, &b, &device);
            let host = interactions.to_host().unwrap();
            assert_eq!(host.len(), 64, "{backend}");
            // The logits are the exact posterior, so i(x1;y) is the exact value
            // re-based from the uniform prior to the prior of the labels seen.
            for &y in &b.y {
                counts[y as usize] += 1.0;
            }
            let total = counts[0] + counts[1];
            for k in 0..64 {
                let y = b.y[k] as usize;
                let want = b.exact_i1[k] + 0.5f64.ln() - (counts[y] / total).ln();
                for (name, column) in [
                    ("i1", &host.terms().i1()),
                    ("i2", &host.terms().i2()),
                    ("i12", &host.terms().i12()),
                ] {
                    let got = column[k];
                    assert!(
                        (got - want).abs() < 1e-4,
                        "{backend} {name}[{k}]: {got} vs {want}"
                    );
                }
                assert!((host.r()[k] + host.u1()[k] - host.terms().i1()[k]).abs() < 1e-4);
            }
        }
        let prior = online.prior().unwrap();
        assert!(
            (prior[0] - counts[0] / (counts[0] + counts[1])).abs() < 1e-6,
            "{prior:?}"
        );
        let summary = online.summary().unwrap();
        assert_eq!((summary.n, online.batches()), (320, 5), "{backend}");
        let per_class = online.per_class().unwrap();
        assert_eq!(per_class.iter().map(|c| c.summary.n).sum::<usize>(), 320);
        assert!(online.ema_summary().unwrap().is_some());
    }
}

#[test]
fn the_prior_follows_the_labels_seen_unless_fixed() {
    for (_, device) in devices() {
        let x = matrix(&[0.0, 1.0, 2.0, 0.5, 1.5, 2.5, 0.2, 0.1], 8, 1, &device);
        let logits = matrix(&[0.0; 16], 8, 2, &device);
        let y = [0, 0, 0, 0, 0, 0, 1, 1];
        let mut online = OnlineConfig::new(2)
            .with_knife(lsmi::KnifeConfig::new(1).with_kernels(2))
            .init(&x, &x)
            .unwrap();
        let out = online
            .step(
                x.clone(),
                x.clone(),
                labels(&y, &device),
                logits.clone(),
                logits.clone(),
                logits.clone(),
            )
            .unwrap();
        // Laplace-smoothed frequencies: (6 + 1) / 10 and (2 + 1) / 10.
        let prior = online.prior().unwrap();
        assert!(
            (prior[0] - 0.7).abs() < 1e-6 && (prior[1] - 0.3).abs() < 1e-6,
            "{prior:?}"
        );
        // Equal logits: i = ln ½ − ln p(y).
        let i1 = read(out.terms().i1());
        assert!(
            (f64::from(i1[0]) - (0.5f64 / 0.7).ln()).abs() < 1e-5,
            "{i1:?}"
        );

        let mut fixed = OnlineConfig::new(2)
            .with_fixed_prior(Some(vec![0.5, 0.5]))
            .with_knife(lsmi::KnifeConfig::new(1).with_kernels(2))
            .init(&x, &x)
            .unwrap();
        let out = fixed
            .step(
                x.clone(),
                x.clone(),
                labels(&y, &device),
                logits.clone(),
                logits.clone(),
                logits,
            )
            .unwrap();
        assert!(read(out.terms().i1()).iter().all(|v| v.abs() < 1e-6));
    }
}

#[test]
fn the_entropy_models_learn_while_stepping() {
    let gaussian = CorrelatedGaussian::random(2, 10.0, 3);
    for (backend, device) in devices() {
        let data = gaussian.sample(64 * 400, 1);
        let x = data.tensor(&device);
        let first = x.clone().narrow(0, 0, 64);
        let mut online = OnlineConfig::new(2)
            .with_learning_rate(1e-2)
            .init(&first, &first)
            .unwrap();
        let logits = matrix(&[0.0; 128], 64, 2, &device);
        let y = vec![0i64; 64];
        for k in 0..400 {
            let rows = x.clone().narrow(0, 64 * k, 64);
            online
                .step(
                    rows.clone(),
                    rows,
                    labels(&y, &device),
                    logits.clone(),
                    logits.clone(),
                    logits.clone(),
                )
                .unwrap();
        }
        let ema = online.ema_summary().unwrap().unwrap();
        assert!(
            (ema.h1 - gaussian.entropy()).abs() < 0.1,
            "{backend}: EMA of h1 {:.4} vs H {:.4}",
            ema.h1,
            gaussian.entropy()
        );
    }
}

#[test]
fn shapes_are_checked() {
    for (_, device) in devices() {
        let b = batch(16, 1, &device);
        let mut online = OnlineConfig::new(2).init(&b.x1, &b.x2).unwrap();
        let wrong = matrix(&[0.0; 48], 16, 3, &device);
        let err = online
            .step(
                b.x1.clone(),
                b.x2.clone(),
                labels(&b.y, &device),
                b.logits.clone(),
                wrong,
                b.logits.clone(),
            )
            .unwrap_err();
        assert!(
            matches!(
                err,
                LsmiError::WidthMismatch {
                    what: "logits2",
                    expected: 2,
                    found: 3,
                    ..
                }
            ),
            "{err}"
        );
        let err = OnlineConfig::new(2)
            .with_ema_decay(1.5)
            .init(&b.x1, &b.x2)
            .unwrap_err();
        assert!(err.to_string().contains("ema_decay"), "{err}");
    }
}

/// Resident memory of this process in KiB (Linux's `VmRSS`, which the kernel
/// reports in KiB whatever the page size).
fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .expect("VmRSS in /proc/self/status");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Runs in its own process (see below) so no other test's allocations count.
///
/// CPU backends: 10 000 batches, and RSS after the last must be within 0.5 MiB
/// of RSS after batch 100, leaving out the single largest 100-batch increase
/// (as for wgpu, below): since the state gained the same-minimum columns, flex
/// shows a one-off step of 0.3–0.4 MiB within one 100-batch interval and is flat
/// otherwise (growth outside it 0.05–0.12 MiB in three runs; ndarray ≤ 0.03 MiB).
///
/// wgpu: 2 000 batches (a step on the software driver takes ≈ 30 ms; 10 000
/// took 308 s), where the driver's "device" memory is this process's memory, so
/// RSS covers burn's GPU buffers too. The software driver adds a one-off ≈ 13 MiB
/// at an unpredictable batch (seen once before batch 100 and once between 100
/// and 2 000, in three runs). RSS is sampled every 100 batches and the single
/// largest 100-batch increase is left out on every backend: a leak per batch
/// would show in every interval, not in one.
#[test]
#[ignore = "run by state_does_not_grow_with_batches in a child process"]
fn memory_child() {
    for (backend, device) in devices() {
        let batches = if backend == "wgpu" { 2_000 } else { 10_000 };
        let b = batch(8, 1, &device);
        let mut online = OnlineConfig::new(2)
            .with_knife(lsmi::KnifeConfig::new(1).with_kernels(4))
            .init(&b.x1, &b.x2)
            .unwrap();
        let y = labels(&b.y, &device);
        let mut rss = Vec::new(); // after batch 100, 200, …
        for k in 1..=batches {
            let out = online
                .step(
                    b.x1.clone(),
                    b.x2.clone(),
                    y.clone(),
                    b.logits.clone(),
                    b.logits.clone(),
                    b.logits.clone(),
                )
                .unwrap();
            drop(out);
            if k % 100 == 0 {
                rss.push(resident_kib() as f64 / 1024.0);
            }
        }
        let (first, last) = (rss[0], rss[rss.len() - 1]);
        let largest_jump = rss.windows(2).map(|w| w[1] - w[0]).fold(0f64, f64::max);
        let growth = last - first - largest_jump;
        println!(
            "{backend}: RSS after 100 batches {first:.2} MiB, after {batches} {last:.2} MiB \
             (largest 100-batch increase {largest_jump:.2} MiB)"
        );
        assert!(
            growth < 0.5,
            "{backend}: RSS grew by {growth:.2} MiB from batch 100 to batch {batches}"
        );
    }
}

#[test]
fn state_does_not_grow_with_batches() {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "online::memory_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains("1 passed"), "the child ran no test: {text}");
}

#[test]
fn bad_values_are_refused_before_the_state_changes() {
    for (backend, device) in devices() {
        let b = batch(16, 1, &device);
        let mut online = OnlineConfig::new(2).init(&b.x1, &b.x2).unwrap();
        let mut nan_x = b.x1.clone().try_into_vec_as::<f32>().unwrap();
        nan_x[5] = f32::NAN;
        let nan_x = matrix(&nan_x, 16, 1, &device);
        let mut inf_logits = b.logits.clone().try_into_vec_as::<f32>().unwrap();
        inf_logits[7] = f32::INFINITY;
        let inf_logits = matrix(&inf_logits, 16, 2, &device);
        let mut high = b.y.clone();
        high[3] = 2;
        let mut negative = b.y.clone();
        negative[9] = -1;
        let cases = [
            (nan_x.clone(), b.logits.clone(), b.y.clone(), "x1"),
            (b.x1.clone(), inf_logits, b.y.clone(), "logits12"),
            (b.x1.clone(), b.logits.clone(), high, "labels[3]"),
            (b.x1.clone(), b.logits.clone(), negative, "labels[9]"),
        ];
        for (x1, logits12, y, what) in cases {
            let err = online
                .step(
                    x1,
                    b.x2.clone(),
                    labels(&y, &device),
                    b.logits.clone(),
                    b.logits.clone(),
                    logits12,
                )
                .unwrap_err();
            match (&err, what) {
                (LsmiError::NonFinite { what: w, index, .. }, "x1") => {
                    assert_eq!((*w, index.clone()), ("x1", vec![5, 0]), "{backend}")
                }
                (LsmiError::NonFinite { what: w, index, .. }, "logits12") => {
                    assert_eq!((*w, index.clone()), ("logits12", vec![3, 1]), "{backend}")
                }
                (LsmiError::LabelOutOfRange { index, .. }, expected) => {
                    assert_eq!(format!("labels[{index}]"), expected, "{backend}: {err}")
                }
                _ => panic!("{backend}: {what}: unexpected {err}"),
            }
        }
        // Nothing was counted and the models are intact: a good batch now gives
        // the same interactions as on a fresh estimator.
        assert_eq!(online.batches(), 0, "{backend}");
        let mut fresh = OnlineConfig::new(2).init(&b.x1, &b.x2).unwrap();
        let (after, reference) = (
            step(&mut online, &b, &device),
            step(&mut fresh, &b, &device),
        );
        assert_eq!(read(after.r()), read(reference.r()), "{backend}");

        // Checks off: no error, and the NaN flows through as documented.
        let mut unchecked = OnlineConfig::new(2)
            .with_check_values(false)
            .init(&b.x1, &b.x2)
            .unwrap();
        let out = unchecked
            .step(
                nan_x,
                b.x2.clone(),
                labels(&b.y, &device),
                b.logits.clone(),
                b.logits.clone(),
                b.logits.clone(),
            )
            .unwrap();
        assert!(read(out.terms().h1())[5].is_nan(), "{backend}");
    }
}

/// A folder of its own under the system's temporary folder, removed when dropped.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "lsmi-online-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&path);
        Scratch(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `x2` with a second feature (`d2 = 2`), so the two models differ in shape.
fn step_wide(online: &mut OnlineLsmi, b: &Batch, device: &Device) -> lsmi::Interactions<Vec<f64>> {
    let x2 = Tensor::cat(vec![b.x2.clone(), b.x1.clone()], 1);
    online
        .step(
            b.x1.clone(),
            x2,
            labels(&b.y, device),
            b.logits.clone(),
            b.logits.clone().mul_scalar(0.5),
            b.logits.clone().mul_scalar(1.5),
        )
        .unwrap()
        .to_host()
        .unwrap()
}

/// Everything an `OnlineLsmi` reports, read to the host.
fn reported(
    online: &OnlineLsmi,
) -> (
    usize,
    lsmi::Summary,
    Option<lsmi::Summary>,
    Vec<lsmi::ClassSummary>,
    Vec<f64>,
) {
    (
        online.batches(),
        online.summary().unwrap(),
        online.ema_summary().unwrap(),
        online.per_class().unwrap(),
        online.prior().unwrap(),
    )
}

/// Issue 12 item 5: save after `n` batches, restore from the folder alone, and
/// the restored estimator continues exactly as the original does: the entropy
/// models, both Adam states (moments and step counts), the counts, sums, EMA
/// (or its absence, at `n = 0`), counters, feature counts, fixed prior and
/// settings all come back, so the same further batches give bit-identical
/// interactions and summaries (no tolerance: every value is restored bit for
/// bit and the same operations run on the same device).
#[test]
fn a_restored_estimator_continues_bit_for_bit() {
    let configs = [
        (
            "smoothed prior",
            OnlineConfig::new(2).with_learning_rate(1e-2),
        ),
        (
            "fixed prior",
            OnlineConfig::new(2)
                .with_fixed_prior(Some(vec![0.3, 0.7]))
                .with_knife(
                    lsmi::KnifeConfig::new(1)
                        .with_kernels(3)
                        .with_covariance(lsmi::Covariance::Diagonal),
                )
                .with_learning_rate(5e-3)
                .with_ema_decay(0.9)
                .with_check_values(false),
        ),
    ];
    for (backend, device) in devices() {
        for (name, config) in &configs {
            for before in [0, 3] {
                let case = format!("{backend}, {name}, saved after {before} batches");
                let first = batch(32, 1, &device);
                let wide = Tensor::cat(vec![first.x2.clone(), first.x1.clone()], 1);
                let mut original = config.init(&first.x1, &wide).unwrap();
                for seed in 0..before {
                    step_wide(&mut original, &batch(32, 20 + seed, &device), &device);
                }
                let dir = Scratch::new("resume");
                original.save(&dir.0).unwrap();
                let mut restored = OnlineLsmi::load(&dir.0, &device).unwrap();
                assert_eq!(restored.device(), original.device(), "{case}");
                assert_eq!(reported(&restored), reported(&original), "{case}");
                for seed in 0..3 {
                    let b = batch(32, 40 + seed, &device);
                    let (want, got) = (
                        step_wide(&mut original, &b, &device),
                        step_wide(&mut restored, &b, &device),
                    );
                    assert_eq!(got, want, "{case}: batch {seed} after the restore");
                    assert_eq!(reported(&restored), reported(&original), "{case}");
                }
            }
        }
    }
}

/// Damages a saved folder.
type Damage = fn(&std::path::Path);

/// A folder that is missing, incomplete, damaged or left by a failed save is
/// an `LsmiError::Record`, never a panic and never a silent partial load.
#[test]
fn a_missing_damaged_or_unfinished_save_is_refused() {
    let (_, device) = devices().remove(0);
    let first = batch(32, 1, &device);
    let mut online = OnlineConfig::new(2).init(&first.x1, &first.x2).unwrap();
    step(&mut online, &batch(32, 2, &device), &device);
    let dir = Scratch::new("damaged");
    let expect_record = |what: &str, needle: &str| match OnlineLsmi::load(&dir.0, &device) {
        Err(LsmiError::Record(message)) => {
            assert!(message.contains(needle), "{what}: {message}")
        }
        Err(other) => panic!("{what}: not a record error: {other}"),
        Ok(_) => panic!("{what}: loaded"),
    };
    let file = |name: &str| dir.0.join(name);

    expect_record("no folder", "manifest.json");
    std::fs::create_dir_all(&dir.0).unwrap();
    expect_record("empty folder", "manifest.json");

    // Each damage on a fresh save; the save itself loads.
    let damages: [(&str, &str, Damage); 6] = [
        ("no manifest (interrupted save)", "manifest.json", |dir| {
            std::fs::remove_file(dir.join("manifest.json")).unwrap()
        }),
        ("garbage manifest", "manifest.json", |dir| {
            std::fs::write(dir.join("manifest.json"), b"{ not json").unwrap()
        }),
        ("another format", "format", |dir| {
            let path = dir.join("manifest.json");
            let text = std::fs::read_to_string(&path).unwrap();
            std::fs::write(&path, text.replace("lsmi-online-3", "lsmi-online-0")).unwrap()
        }),
        ("missing model", "knife2.bpk", |dir| {
            std::fs::remove_file(dir.join("knife2.bpk")).unwrap()
        }),
        ("truncated state", "state.bpk", |dir| {
            let path = dir.join("state.bpk");
            let bytes = std::fs::read(&path).unwrap();
            std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap()
        }),
        ("flipped byte in an optimiser state", "adam1.bpk", |dir| {
            let path = dir.join("adam1.bpk");
            let mut bytes = std::fs::read(&path).unwrap();
            let middle = bytes.len() / 2;
            bytes[middle] ^= 0x40;
            std::fs::write(&path, bytes).unwrap()
        }),
    ];
    for (what, needle, damage) in damages {
        online.save(&dir.0).unwrap();
        OnlineLsmi::load(&dir.0, &device).unwrap();
        damage(&dir.0);
        expect_record(what, needle);
    }

    // A save that fails part-way over an earlier one leaves a folder that does
    // not load (here `state.bpk` cannot be written: a folder holds its name).
    online.save(&dir.0).unwrap();
    step(&mut online, &batch(32, 3, &device), &device);
    std::fs::remove_file(file("state.bpk")).unwrap();
    std::fs::create_dir(file("state.bpk")).unwrap();
    let err = online.save(&dir.0).unwrap_err();
    assert!(matches!(err, LsmiError::Record(_)), "{err}");
    expect_record("failed save over an earlier one", "manifest.json");
    // Once the obstacle is gone, saving again gives a folder that loads.
    std::fs::remove_dir(file("state.bpk")).unwrap();
    online.save(&dir.0).unwrap();
    assert_eq!(OnlineLsmi::load(&dir.0, &device).unwrap().batches(), 2);

    // A folder that cannot be created at all.
    let err = online.save(file("config.json").join("inner")).unwrap_err();
    assert!(matches!(err, LsmiError::Record(_)), "{err}");
}
