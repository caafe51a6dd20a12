//! A reader for the CLI's CSV inputs: comma-separated numbers, one row per line.

use crate::npy::{Array, Values};

/// Parses comma-separated numbers, one row per line, into a `[rows, cols]`
/// array. The first non-blank line is skipped as a header when none of its
/// fields is a number; blank lines are ignored. Integer-looking tables become
/// [`Values::Int`].
///
/// A header whose first field is empty (or `Unnamed: 0`) is what pandas writes
/// for its index column (`DataFrame.to_csv()`); that column would be read as a
/// feature, so such a file is refused with the fix rather than guessed at.
pub fn parse(text: &str) -> Result<Array, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows: Vec<(usize, Vec<&str>)> = Vec::new();
    let mut first = true;
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if std::mem::take(&mut first) && fields.iter().all(|f| f.parse::<f64>().is_err()) {
            if fields.len() > 1 && (fields[0].is_empty() || fields[0].starts_with("Unnamed: 0")) {
                return Err(format!(
                    "line {}: the header's first field is {:?}, as pandas writes for the \
                     index column of DataFrame.to_csv(); that column is not data: write the \
                     file with to_csv(index=False), or delete the first column",
                    index + 1,
                    fields[0]
                ));
            }
            continue; // the header
        }
        rows.push((index + 1, fields));
    }
    let cols = rows.first().map_or(0, |(_, row)| row.len());
    let mut ints = Vec::new();
    let mut floats = Vec::new();
    let mut all_int = true;
    for (line, row) in &rows {
        if row.len() != cols {
            return Err(format!(
                "line {line} has {} values but the first row has {cols}",
                row.len()
            ));
        }
        for field in row {
            let value: f64 = field
                .parse()
                .map_err(|_| format!("line {line}: {field:?} is not a number"))?;
            if all_int {
                match field.parse::<i64>() {
                    Ok(i) => ints.push(i),
                    Err(_) => all_int = false,
                }
            }
            floats.push(value);
        }
    }
    Ok(Array {
        // A table is 2-D even with one column: `[n, 1]` serves both per-sample
        // columns and one-feature matrices.
        shape: vec![rows.len(), cols],
        values: if all_int && !ints.is_empty() {
            Values::Int(ints)
        } else {
            Values::Float(floats)
        },
        dtype: "csv".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_and_without_header() {
        let a = parse("a,b,c\n1,2,3\n4.5,5,6\n\n").unwrap();
        assert_eq!(a.shape, vec![2, 3]);
        assert_eq!(a.values, Values::Float(vec![1.0, 2.0, 3.0, 4.5, 5.0, 6.0]));
        let a = parse("0\n1\n2\n").unwrap();
        assert_eq!(a.shape, vec![3, 1]);
        assert_eq!(a.values, Values::Int(vec![0, 1, 2]));
        let a = parse("label\n1\n").unwrap();
        assert_eq!(a.values, Values::Int(vec![1]));
    }

    #[test]
    fn csv_with_a_pandas_index_column_is_refused() {
        for text in [
            ",a,b\n0,1.5,2\n1,3,4\n",
            "Unnamed: 0,h\n0,1.5\n",
            "\n , x\n0,1\n",
        ] {
            let err = parse(text).unwrap_err();
            assert!(
                err.contains("index=False") && err.contains("pandas"),
                "{err}"
            );
        }
        // An empty field elsewhere in the header is not pandas' index.
        assert_eq!(parse("a,,b\n1,2,3\n").unwrap().shape, vec![1, 3]);
    }

    #[test]
    fn csv_errors_name_the_line() {
        let err = parse("1,2\n3\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        let err = parse("x\n1\nfoo\n").unwrap_err();
        assert!(err.contains("line 3") && err.contains("foo"), "{err}");
        let err = parse("1,x\n").unwrap_err();
        assert!(err.contains("line 1"), "{err}");
    }
}
