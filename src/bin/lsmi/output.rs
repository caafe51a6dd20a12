//! Writing the CLI's output files: all or nothing, via temporary files renamed
//! into place, and numbers that read back exactly.

use std::fs;
use std::path::{Path, PathBuf};

use crate::input;

/// The shortest text that reads back as `value` exactly; very small or large
/// magnitudes in exponent form (`2.9802322e-8`) rather than with 30 zeros.
pub fn csv_number(value: f32) -> String {
    let magnitude = value.abs();
    if magnitude == 0.0 || !magnitude.is_finite() || (1e-4..1e15).contains(&magnitude) {
        value.to_string()
    } else {
        format!("{value:e}")
    }
}

/// A hidden sibling of `path`, in the same folder so that a rename is atomic.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Writes every `(path, text)` or none: all go to temporary files first, then
/// are renamed into place; on any failure the files written so far are removed.
pub fn write_all(outputs: &[(&Path, String)]) -> Result<(), String> {
    let mut temps: Vec<PathBuf> = Vec::new();
    let cleanup = |temps: &[PathBuf]| {
        for temp in temps {
            let _ = fs::remove_file(temp);
        }
    };
    for (path, text) in outputs {
        let temp = temp_path(path);
        if let Err(e) = fs::write(&temp, text) {
            let _ = fs::remove_file(&temp);
            cleanup(&temps);
            return Err(input::file_error(path, format!("cannot write: {e}")));
        }
        temps.push(temp);
    }
    for (index, ((path, _), temp)) in outputs.iter().zip(&temps).enumerate() {
        if let Err(e) = fs::rename(temp, path) {
            cleanup(&temps[index..]);
            for (done, _) in &outputs[..index] {
                let _ = fs::remove_file(done);
            }
            return Err(input::file_error(path, format!("cannot write: {e}")));
        }
    }
    Ok(())
}

/// Whether `a` and `b` name the same file (same folder, same name).
pub fn same_file(a: &Path, b: &Path) -> bool {
    let folder = |p: &Path| {
        let parent = p.parent().filter(|q| !q.as_os_str().is_empty());
        fs::canonicalize(parent.unwrap_or(Path::new(".")))
    };
    a == b
        || match (folder(a), folder(b)) {
            (Ok(fa), Ok(fb)) => fa == fb && a.file_name() == b.file_name(),
            _ => false,
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_numbers_round_trip() {
        for value in [
            0.0f32,
            -0.0,
            1.5,
            -0.405_465_1,
            2.980_232_2e-8,
            -1e-30,
            3e20,
            1e-4,
        ] {
            let text = csv_number(value);
            assert_eq!(text.parse::<f32>().unwrap(), value, "{text}");
            assert!(text.len() <= 16, "{text}");
        }
        assert_eq!(csv_number(2.980_232_2e-8), "2.9802322e-8");
        assert_eq!(csv_number(0.25), "0.25");
    }

    #[test]
    fn write_all_replaces_and_leaves_no_temporary_file() {
        let dir = std::env::temp_dir().join(format!("lsmi-output-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.csv");
        fs::write(&path, "old").unwrap();
        write_all(&[(&path, "new\n".to_string())]).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new\n");
        // A folder that does not exist: an error naming the file, nothing left.
        let missing = dir.join("no-such-folder").join("b.csv");
        let err = write_all(&[(&path, "newer".into()), (&missing, "x".into())]).unwrap_err();
        assert!(
            err.contains("b.csv") && err.contains("cannot write"),
            "{err}"
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), "new\n");
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.csv")]);
        fs::remove_dir_all(&dir).unwrap();
    }
}
