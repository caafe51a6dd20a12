//! Plain-text tables with aligned columns.

/// A number with 6 decimals; values that round to zero print as `0.000000`
/// (never `-0.000000`).
pub fn fixed(value: f64) -> String {
    let value = if value.abs() < 5e-7 { 0.0 } else { value };
    format!("{value:.6}")
}

/// A table whose first column is left-aligned (unless [`Table::right_aligned`])
/// and whose other columns are right-aligned, separated by two spaces.
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    left_first: bool,
}

impl Table {
    pub fn new(headers: &[&str]) -> Self {
        Self {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            left_first: true,
        }
    }

    /// Right-aligns every column, the first included.
    pub fn right_aligned(mut self) -> Self {
        self.left_first = false;
        self
    }

    pub fn push(&mut self, row: Vec<String>) {
        debug_assert_eq!(row.len(), self.headers.len());
        self.rows.push(row);
    }

    pub fn render(&self) -> String {
        let widths: Vec<usize> = (0..self.headers.len())
            .map(|col| {
                std::iter::once(&self.headers)
                    .chain(&self.rows)
                    .map(|row| row[col].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for row in std::iter::once(&self.headers).chain(&self.rows) {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(col, (cell, &width))| {
                    if col == 0 && self.left_first {
                        format!("{cell:<width$}")
                    } else {
                        format!("{cell:>width$}")
                    }
                })
                .collect();
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_columns() {
        let mut t = Table::new(&["gate", "R"]);
        t.push(vec!["XOR+NOT".into(), fixed(-1e-12)]);
        t.push(vec!["OR".into(), fixed(0.5)]);
        assert_eq!(
            t.render(),
            "gate            R\nXOR+NOT  0.000000\nOR       0.500000\n"
        );
    }
}
