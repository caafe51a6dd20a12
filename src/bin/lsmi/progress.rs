//! A status line on stderr, redrawn in place with `\r` while a model fits.
//!
//! Drawn only when stderr is a terminal, so that logs and pipes stay clean; the
//! line is closed with a newline when the fit ends (or the line is dropped).

use std::io::{IsTerminal, Write};

/// One line on stderr, redrawn in place.
pub struct StatusLine {
    enabled: bool,
    /// Characters drawn last time (0: nothing drawn since the last newline).
    drawn: usize,
}

impl StatusLine {
    /// A line that draws only when stderr is a terminal.
    pub fn new() -> Self {
        Self::with_enabled(std::io::stderr().is_terminal())
    }

    fn with_enabled(enabled: bool) -> Self {
        Self { enabled, drawn: 0 }
    }

    /// What redrawing the line as `text` writes: a carriage return, `text`, and
    /// spaces over whatever a longer previous text left behind.
    fn frame(&mut self, text: &str) -> String {
        let width = text.chars().count();
        let wipe = self.drawn.saturating_sub(width);
        self.drawn = width.max(1);
        format!("\r{text}{}", " ".repeat(wipe))
    }

    /// Replaces the line with `text`.
    pub fn draw(&mut self, text: &str) {
        if !self.enabled {
            return;
        }
        let frame = self.frame(text);
        let mut stderr = std::io::stderr().lock();
        let _ = stderr
            .write_all(frame.as_bytes())
            .and_then(|()| stderr.flush());
    }

    /// Ends the line with a newline, if anything was drawn.
    pub fn finish(&mut self) {
        if std::mem::take(&mut self.drawn) > 0 && self.enabled {
            eprintln!();
        }
    }
}

impl Drop for StatusLine {
    fn drop(&mut self) {
        self.finish();
    }
}

/// A bar of `width` cells and a percentage: `[####......]  42%`.
pub fn bar(fraction: f64, width: usize) -> String {
    let fraction = if fraction.is_nan() {
        0.0
    } else {
        fraction.clamp(0.0, 1.0)
    };
    let filled = ((fraction * width as f64).floor() as usize).min(width);
    let percent = (fraction * 100.0).floor() as u32;
    format!(
        "[{}{}] {percent:>3}%",
        "#".repeat(filled),
        ".".repeat(width - filled)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars() {
        assert_eq!(bar(0.0, 10), "[..........]   0%");
        assert_eq!(bar(0.42, 10), "[####......]  42%");
        assert_eq!(bar(1.0, 10), "[##########] 100%");
        assert_eq!(bar(1.7, 4), "[####] 100%");
        assert_eq!(bar(f64::NAN, 4), "[....]   0%");
    }

    #[test]
    fn frames_wipe_longer_previous_text() {
        // (Disabled, so that dropping it prints nothing in the test's output.)
        let mut line = StatusLine::with_enabled(false);
        assert_eq!(line.frame("abcdef"), "\rabcdef");
        assert_eq!(line.frame("xy"), "\rxy    ");
        assert_eq!(line.frame("xyz"), "\rxyz");
        // Not a terminal: `draw` draws nothing.
        let mut quiet = StatusLine::with_enabled(false);
        quiet.draw("hidden");
        assert_eq!(quiet.drawn, 0);
    }
}
