//! The docs' figures: small PNGs drawn with plotters (feature `plots`), shared by
//! the examples that make them.
//!
//! Text is drawn with ab_glyph from a TrueType font read at run time:
//! `LSMI_PLOT_FONT`, or DejaVu Sans where Debian's `fonts-dejavu-core` puts it.

// Each example that includes this file uses part of it.
#![allow(dead_code)]

use std::error::Error;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, register_font};

/// The font used for every label.
const FONT: &str = "sans-serif";

/// Where DejaVu Sans lies on Debian and Ubuntu.
const DEFAULT_FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// Registers the font once per process.
fn font() -> Result<(), Box<dyn Error>> {
    static DONE: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    DONE.get_or_init(|| {
        let path = std::env::var("LSMI_PLOT_FONT").unwrap_or_else(|_| DEFAULT_FONT.into());
        let bytes = std::fs::read(&path).map_err(|e| {
            format!("font {path}: {e} (install fonts-dejavu-core or set LSMI_PLOT_FONT to a .ttf)")
        })?;
        // plotters keeps the font for the whole process.
        register_font(FONT, FontStyle::Normal, Box::leak(bytes.into_boxed_slice()))
            .map_err(|_| format!("font {path}: not a TrueType font"))
    })
    .clone()
    .map_err(Into::into)
}

/// Draws on a white `width × height` canvas with `draw`, then writes it as an
/// 8-bit RGB PNG to `path`.
fn png(
    path: &Path,
    (width, height): (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend, Shift>) -> Result<(), Box<dyn Error>>,
) -> Result<(), Box<dyn Error>> {
    font()?;
    let mut pixels = vec![255u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        draw(&root)?;
        root.present()?;
    }
    let file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut encoder = png::Encoder::new(file, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::High);
    encoder.write_header()?.write_image_data(&pixels)?;
    Ok(())
}

/// A diverging colour for `t ∈ [−1, 1]`: blue below 0, white at 0, red above.
fn diverging(t: f64) -> RGBColor {
    let t = t.clamp(-1.0, 1.0);
    let (end, t) = if t < 0.0 {
        ((59.0, 76.0, 192.0), -t)
    } else {
        ((180.0, 4.0, 38.0), t)
    };
    let mix = |c: f64| (255.0 + (c - 255.0) * t).round() as u8;
    RGBColor(mix(end.0), mix(end.1), mix(end.2))
}

/// A heatmap of `values[row][col]` (`None`: an empty grey cell) with the
/// `names` along both axes, the value written in each cell, colours symmetric
/// around 0 (±`limit`), and `title` above.
pub fn heatmap(
    path: &Path,
    title: &str,
    names: &[&str],
    values: &[Vec<Option<f64>>],
    limit: f64,
) -> Result<(), Box<dyn Error>> {
    let cell = 64;
    let (left, top) = (64, 70);
    let side = cell * names.len() as i32;
    let size = ((left + side + 90) as u32, (top + side + 20) as u32);
    png(path, size, |root| {
        let text = |size: f64| (FONT, size).into_font().color(&BLACK);
        root.draw(&Text::new(title, (12, 10), text(18.0)))?;
        for (k, name) in names.iter().enumerate() {
            let middle = left + k as i32 * cell + cell / 2;
            let centred = text(14.0).pos(Pos::new(HPos::Center, VPos::Center));
            root.draw(&Text::new(*name, (middle, top - 14), centred.clone()))?;
            let row = top + k as i32 * cell + cell / 2;
            let right = text(14.0).pos(Pos::new(HPos::Right, VPos::Center));
            root.draw(&Text::new(*name, (left - 8, row), right))?;
        }
        for (r, row) in values.iter().enumerate() {
            for (c, value) in row.iter().enumerate() {
                let (x, y) = (left + c as i32 * cell, top + r as i32 * cell);
                let corners = [(x, y), (x + cell - 1, y + cell - 1)];
                let Some(value) = value else {
                    root.draw(&Rectangle::new(corners, RGBColor(225, 225, 225).filled()))?;
                    continue;
                };
                let t = value / limit;
                root.draw(&Rectangle::new(corners, diverging(t).filled()))?;
                let ink = if t.abs() > 0.6 { WHITE } else { BLACK };
                // No "-0.00": what rounds to zero is shown as 0.00.
                let shown = if value.abs() < 0.005 { 0.0 } else { *value };
                let label = format!("{shown:.2}");
                let style = (FONT, 14.0)
                    .into_font()
                    .color(&ink)
                    .pos(Pos::new(HPos::Center, VPos::Center));
                root.draw(&Text::new(label, (x + cell / 2, y + cell / 2), style))?;
            }
        }
        // The colour bar, +limit at the top.
        let (bar_x, steps) = (left + side + 16, side);
        for k in 0..steps {
            let t = 1.0 - 2.0 * k as f64 / (steps - 1) as f64;
            let y = top + k;
            root.draw(&Rectangle::new(
                [(bar_x, y), (bar_x + 14, y + 1)],
                diverging(t).filled(),
            ))?;
        }
        let left_aligned = text(13.0).pos(Pos::new(HPos::Left, VPos::Center));
        for (t, y) in [(1.0, top), (0.0, top + side / 2), (-1.0, top + side)] {
            let label = format!("{:+.2}", t * limit);
            root.draw(&Text::new(label, (bar_x + 18, y), left_aligned.clone()))?;
        }
        Ok(())
    })
}

/// A scatter of `points` (x, y) with the diagonal `y = x`, axis labels and a
/// title; both axes span the points' range.
pub fn scatter(
    path: &Path,
    title: &str,
    (x_label, y_label): (&str, &str),
    points: &[(f64, f64)],
) -> Result<(), Box<dyn Error>> {
    let (low, high) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &(x, y)| {
            (lo.min(x).min(y), hi.max(x).max(y))
        });
    let pad = 0.03 * (high - low).max(1e-9);
    let range = (low - pad)..(high + pad);
    png(path, (520, 480), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 17))
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(52)
            .build_cartesian_2d(range.clone(), range.clone())?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .light_line_style(WHITE)
            .draw()?;
        let ink = RGBColor(31, 90, 170).mix(0.25).filled();
        chart.draw_series(points.iter().map(|&(x, y)| Circle::new((x, y), 1, ink)))?;
        let diagonal = vec![(range.start, range.start), (range.end, range.end)];
        chart.draw_series(LineSeries::new(
            diagonal,
            RGBColor(180, 4, 38).stroke_width(1),
        ))?;
        Ok(())
    })
}
