//! Pairwise LSMI of real multi-view data: the six feature sets of the UCI
//! "Multiple Features" data set (handwritten digits 0–9, 2 000 samples, 200 per
//! class; R. Duin, UCI Machine Learning Repository, CC BY 4.0), all 15 pairs.
//!
//! | view | features | what |
//! |---|---|---|
//! | fou | 76 | Fourier coefficients of the character shapes |
//! | fac | 216 | profile correlations (integer-valued) |
//! | kar | 64 | Karhunen–Loève coefficients |
//! | pix | 240 | pixel averages in 2 × 3 windows (integers 0–6) |
//! | zer | 47 | Zernike moments |
//! | mor | 6 | morphological features (three of them counts) |
//!
//! Discrete columns (values repeating on average at least twice: all of `pix`
//! and `fac`, three of `mor`) are dequantised with [`lsmi::dequantize`] before
//! fitting, so that the entropy models fit densities: `i` is unchanged, `h` is
//! that of the dequantised features.
//!
//! ```text
//! scripts/fetch_mfeat.sh                                       # into data/mfeat/
//! cargo run --release --all-features --example mfeat [-- DIR]  # DIR: default data/mfeat
//! ```
//!
//! Fits the models once ([`LsmiConfig::fit_pairwise`], raw) and decomposes every
//! pair twice from the same scores: raw (the paper's eq. 5) and centred (each
//! view's `h` less its mean `H`, [`PairwiseLsmi::with_centering`]). Prints the
//! table of views and the two tables of pairs, with the same-minimum fractions
//! (Markdown), that `docs/real-data.md` shows; built with the `plots` feature (as
//! `--all-features` does) it also draws the heatmaps of `R`, `U` and `S` of both
//! variants into `docs/img/`.

use std::error::Error;
use std::path::Path;

use lsmi::synthetic::Features;
use lsmi::{LsmiConfig, PairwiseLsmi};

#[cfg(feature = "plots")]
#[path = "support/plots.rs"]
mod plots;

/// The views, in the order they are analysed.
const VIEWS: [&str; 6] = ["fou", "fac", "kar", "pix", "zer", "mor"];

/// The seed of the folds, the models and the dequantisation noise.
const SEED: u64 = 0;

/// Reads `mfeat-<view>.csv`: a header row, then the features of one sample per
/// row with its label last. CSV of plain numbers: parsing it takes a split.
fn read_view(dir: &Path, view: &str) -> Result<(Features, Vec<i64>), Box<dyn Error>> {
    let path = dir.join(format!("mfeat-{view}.csv"));
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{}: {e} (run scripts/fetch_mfeat.sh first)", path.display()))?;
    let mut values = Vec::new();
    let mut labels = Vec::new();
    let mut cols = 0;
    for (line_number, line) in text.lines().enumerate().skip(1) {
        let fields: Vec<f64> = line
            .split(',')
            .map(|f| f.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{}:{}: {e}", path.display(), line_number + 1))?;
        let (label, features) = fields.split_last().ok_or("empty line")?;
        cols = features.len();
        values.extend(features.iter().map(|&v| v as f32));
        labels.push(*label as i64);
    }
    let rows = labels.len();
    Ok((Features { values, rows, cols }, labels))
}

/// The standard deviation of a view's `h` and `i` over the samples: the
/// per-sample spread that centring keeps.
fn spreads(fitted: &PairwiseLsmi, view: usize) -> Result<(f64, f64), Box<dyn Error>> {
    // View 0 is modality 1 of pair (0, 1); every other view modality 2 of (0, v).
    let pair = fitted.pair(0, view.max(1)).ok_or("no pair")?;
    let terms = pair.interactions().terms().to_host()?;
    let (h, i) = match view {
        0 => (terms.h1(), terms.i1()),
        _ => (terms.h2(), terms.i2()),
    };
    let sd = |values: &[f64]| {
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64;
        var.sqrt()
    };
    Ok((sd(h), sd(i)))
}

/// The views' table: name, width, columns dequantised, `H`, `I` and the
/// spreads of `h` and `i`.
fn views_table(fitted: &PairwiseLsmi, dequantized: &[usize]) -> Result<String, Box<dyn Error>> {
    let mut text = String::from(
        "| view | d | dequantised columns | H (nats) | I(X;Y) (nats) | sd of h | sd of i |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    for (v, ((name, view), discrete)) in VIEWS
        .iter()
        .zip(fitted.views())
        .zip(dequantized)
        .enumerate()
    {
        let (sd_h, sd_i) = spreads(fitted, v)?;
        text += &format!(
            "| {name} | {} | {discrete} | {:.1} | {:.3} | {sd_h:.1} | {sd_i:.2} |\n",
            view.dim, view.h, view.i
        );
    }
    Ok(text)
}

/// The pairs' table: `R`, `U1`, `U2`, `S`, `I12` and the same-minimum
/// fractions (where view 1, and where view 2, attains both minima of eq. 5).
fn pairs_table(fitted: &PairwiseLsmi) -> String {
    let mut text = String::from(
        "| pair (1 + 2) | R | U1 | U2 | S | I(X1,X2;Y) | same-min (1 / 2) |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    for pair in fitted.pairs() {
        let (a, b) = pair.views();
        let m = pair.summary();
        let [f1, f2] = m.same_min_fractions.map(|f| 100.0 * f);
        text += &format!(
            "| {} + {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {f1:.1} % / {f2:.1} % |\n",
            VIEWS[a], VIEWS[b], m.r, m.u1, m.u2, m.s, m.i12
        );
    }
    text
}

/// Draws `docs/img/mfeat_<tag>_{R,U,S}.png`: `R` and `S` of every pair, and
/// `U` of the row's view next to the column's (`U1` of pair `(a, b)` in row `a`,
/// column `b`; `U2` in row `b`, column `a`).
#[cfg(feature = "plots")]
fn draw(fitted: &PairwiseLsmi, tag: &str, what: &str) -> Result<(), Box<dyn Error>> {
    let m = VIEWS.len();
    type Measure = fn(&lsmi::Summary, bool) -> f64;
    let measures: [(&str, &str, Measure); 3] = [
        ("R", "redundancy R", |s, _| s.r),
        ("U", "uniqueness U of the row's view", |s, row_first| {
            if row_first { s.u1 } else { s.u2 }
        }),
        ("S", "synergy S", |s, _| s.s),
    ];
    for (short, long, measure) in measures {
        let mut grid = vec![vec![None; m]; m];
        for pair in fitted.pairs() {
            let (a, b) = pair.views();
            grid[a][b] = Some(measure(pair.summary(), true));
            grid[b][a] = Some(measure(pair.summary(), false));
        }
        let limit = grid
            .iter()
            .flatten()
            .flatten()
            .fold(1e-3f64, |l, v| l.max(v.abs()));
        let path = format!("docs/img/mfeat_{tag}_{short}.png");
        let title = format!("Multiple Features, {what}: {long} (nats)");
        plots::heatmap(Path::new(&path), &title, &VIEWS, &grid, limit)?;
        eprintln!("wrote {path}");
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "data/mfeat".into());
    let device = lsmi::default_device();
    let mut views = Vec::new();
    let mut labels: Option<Vec<i64>> = None;
    let mut dequantized = Vec::new();
    for (v, name) in VIEWS.iter().enumerate() {
        let (mut features, view_labels) = read_view(Path::new(&dir), name)?;
        match &labels {
            Some(first) if *first != view_labels => {
                return Err(
                    format!("mfeat-{name}.csv: its labels differ from mfeat-fou.csv's").into(),
                );
            }
            Some(_) => {}
            None => labels = Some(view_labels),
        }
        let found = lsmi::dequantize(&mut features, SEED + v as u64)?;
        dequantized.push(found.len());
        views.push(features.tensor(&device));
    }
    let labels = labels.ok_or("no views")?;
    let n = labels.len();
    eprintln!("{n} samples, {} views; fitting …", VIEWS.len());
    let config = LsmiConfig::new(10).with_seed(SEED);
    let fitted = config.fit_pairwise(
        views,
        lsmi::burn::tensor::Tensor::from_data(
            lsmi::burn::tensor::TensorData::new(labels, [n]),
            &device,
        ),
    )?;
    // The same models' scores, decomposed with centred surprisals.
    let centred = fitted.with_centering(true)?;
    println!("{}", views_table(&fitted, &dequantized)?);
    println!("Raw (eq. 5):\n\n{}", pairs_table(&fitted));
    println!("Centred (h − H):\n\n{}", pairs_table(&centred));
    println!(
        "n = {n}, {} folds, default preset, seed {SEED}; fit in {:.0} s",
        config.folds,
        fitted.wall_time().as_secs_f64()
    );
    // What the default preset chose in the first fold, view by view.
    let chosen = &fitted.descriptions()[0];
    for (v, name) in VIEWS.iter().enumerate() {
        println!("{name}: {}; {}", chosen[v], chosen[VIEWS.len() + v]);
    }
    #[cfg(feature = "plots")]
    {
        draw(&fitted, "raw", "raw")?;
        draw(&centred, "centred", "centred")?;
    }
    Ok(())
}
