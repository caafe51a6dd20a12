//! Writing the CLI's output files: checked before any work, then all or nothing.
//!
//! [`check_outputs`] runs before any input is read or model fitted. Each output
//! must be a file name (not `-`: standard output is not an output here) in an
//! existing folder that files can be created in, must not be a folder or another
//! non-regular file, and must differ from every input and from the other outputs.
//! Paths are compared after canonicalisation and, for files that exist, by
//! device and inode, so a symlink or hard link to an input counts as the input.
//!
//! [`write_all`] writes every output or none, and never damages an existing one:
//!
//! 1. each output goes to a hidden temporary file beside it, `.NAME.PID.tmp`,
//!    flushed to disk (fsync);
//! 2. the output folders are locked (an advisory lock on each folder), so that
//!    two runs writing the same outputs cannot interleave their renames;
//! 3. every existing output but the last is kept as a hard link (or a copy)
//!    `.NAME.PID.old`;
//! 4. the temporary files are renamed over the outputs, back to back, and the
//!    folders flushed; if a rename fails, the outputs already renamed are put back
//!    (or removed, if they did not exist) and every temporary file is removed.
//!
//! The one window left is a crash (SIGKILL, power loss) between two renames: the
//! first output (the CSV) is then new and the second (the JSON) old. It lasts one
//! `rename` call. A run killed before the renames leaves the outputs as they were
//! and its hidden `.NAME.PID.tmp` (and `.NAME.PID.old`) files behind; the next run
//! writing the same output removes those of processes that no longer exist once
//! they are a minute old (on Linux, where `/proc` says which processes exist).
//!
//! For the tests of interrupted and concurrent runs only, the environment
//! variables `LSMI_TEST_PAUSE_BEFORE_RENAME_MS` and
//! `LSMI_TEST_PAUSE_BETWEEN_RENAMES_MS` make a run sleep at those two points.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

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

/// As [`csv_number`], for the `f64` means: the shortest text that reads back as
/// `value` exactly, in exponent form for very small or large magnitudes.
pub fn csv_number_f64(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude == 0.0 || !magnitude.is_finite() || (1e-4..1e15).contains(&magnitude) {
        value.to_string()
    } else {
        format!("{value:e}")
    }
}

/// The folder of `path` (`.` for a bare file name).
fn folder(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// A hidden sibling of `path` owned by this process: `.NAME.PID.KIND`.
fn sibling(path: &Path, kind: &str) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    folder(path).join(format!(".{name}.{}.{kind}", std::process::id()))
}

/// What identifies a file: its canonical path (the folder's, joined with the
/// name, when the file does not exist yet) and, where it exists, its device
/// and inode.
#[derive(Debug, PartialEq)]
struct Identity {
    canonical: Option<PathBuf>,
    inode: Option<(u64, u64)>,
}

impl Identity {
    fn of(path: &Path) -> Self {
        let canonical = fs::canonicalize(path).ok().or_else(|| {
            let name = path.file_name()?;
            Some(fs::canonicalize(folder(path)).ok()?.join(name))
        });
        Self {
            canonical,
            inode: fs::metadata(path).ok().and_then(|m| inode(&m)),
        }
    }

    fn same(&self, other: &Identity) -> bool {
        fn both<T: PartialEq>(a: &Option<T>, b: &Option<T>) -> bool {
            a.is_some() && a == b
        }
        both(&self.canonical, &other.canonical) || both(&self.inode, &other.inode)
    }
}

#[cfg(unix)]
fn inode(metadata: &fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((metadata.dev(), metadata.ino()))
}

#[cfg(not(unix))]
fn inode(_: &fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// Checks every output path before any work (see the module docs): `outputs`
/// and `inputs` are `(flag, path)` pairs, e.g. `("--out", path)`.
pub fn check_outputs(outputs: &[(&str, &Path)], inputs: &[(&str, &Path)]) -> Result<(), String> {
    for &(flag, path) in outputs {
        check_output(flag, path)?;
    }
    let inputs: Vec<(&str, &Path, Identity)> = inputs
        .iter()
        .map(|&(flag, path)| (flag, path, Identity::of(path)))
        .collect();
    let mut seen: Vec<(&str, Identity)> = Vec::new();
    for &(flag, path) in outputs {
        let identity = Identity::of(path);
        if let Some((input_flag, input_path, _)) =
            inputs.iter().find(|(_, _, other)| identity.same(other))
        {
            return Err(format!(
                "{flag} {}: is the input {input_flag} ({}); an output never overwrites an input, \
                 give another file name",
                path.display(),
                input_path.display()
            ));
        }
        if let Some((other_flag, _)) = seen.iter().find(|(_, other)| identity.same(other)) {
            return Err(format!(
                "{other_flag} and {flag} both name {}; give two different files",
                path.display()
            ));
        }
        seen.push((flag, identity));
    }
    Ok(())
}

fn check_output(flag: &str, path: &Path) -> Result<(), String> {
    let error = |message: String| Err(format!("{flag} {}: {message}", path.display()));
    if path.as_os_str() == "-" {
        return error("writing to standard output is not supported; give a file name".into());
    }
    if let Ok(metadata) = fs::metadata(path) {
        if metadata.is_dir() {
            return error("is a directory; give a file name".into());
        }
        if !metadata.is_file() {
            return error("exists and is not a regular file (a device, pipe or socket)".into());
        }
    }
    let text = path.as_os_str().to_string_lossy();
    if path.file_name().is_none()
        || text.ends_with('/')
        || text.ends_with(std::path::MAIN_SEPARATOR)
    {
        return error("is not a file name".into());
    }
    let dir = folder(path);
    match fs::metadata(dir) {
        Ok(metadata) if metadata.is_dir() => {}
        Ok(_) => return error(format!("{} is not a folder", dir.display())),
        Err(_) => return error(format!("the folder {} does not exist", dir.display())),
    }
    // Creating (and removing) the temporary file proves the folder is writable.
    let probe = sibling(path, "tmp");
    match create_new(&probe) {
        Ok(_) => {
            let _ = fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => error(format!("cannot create files in {}: {e}", dir.display())),
    }
}

/// Checks the folder `dir` that models will be saved into (`estimate
/// --save-models`), before any work: it must not be `-` or a file, and must not be
/// an input or output or hold one. It either does not exist yet, in an existing
/// folder that files can be created in (it is created when the models are
/// saved), or it is a folder that files can be created in and that is empty or
/// holds only the files of a saved model set ([`lsmi::LsmiModels::is_saved_file`]),
/// which the new set replaces. A folder holding anything else is refused, so that
/// saving never overwrites or removes an unrelated file.
pub fn check_model_folder(flag: &str, dir: &Path, others: &[(&str, &Path)]) -> Result<(), String> {
    let error = |message: String| Err(format!("{flag} {}: {message}", dir.display()));
    if dir.as_os_str() == "-" || dir.as_os_str().is_empty() {
        return error("give a folder to save the models in".into());
    }
    match fs::metadata(dir) {
        Ok(metadata) if metadata.is_dir() => {
            let entries = fs::read_dir(dir)
                .map_err(|e| format!("{flag} {}: cannot list the folder: {e}", dir.display()))?;
            for entry in entries {
                let entry = entry.map_err(|e| {
                    format!("{flag} {}: cannot list the folder: {e}", dir.display())
                })?;
                let name = entry.file_name();
                let name = name.to_string_lossy();
                let is_file = entry.file_type().is_ok_and(|t| t.is_file());
                if !is_file || !lsmi::LsmiModels::is_saved_file(&name) {
                    return error(format!(
                        "the folder holds {name:?}, which is not a file of a saved model set; \
                         give a new or empty folder, or one holding only saved models"
                    ));
                }
            }
        }
        Ok(_) => return error("is a file; give a folder (new, empty, or of saved models)".into()),
        Err(_) => {
            if dir.file_name().is_none() {
                return error("is not a folder name".into());
            }
            match fs::metadata(folder(dir)) {
                Ok(metadata) if metadata.is_dir() => {}
                Ok(_) => return error(format!("{} is not a folder", folder(dir).display())),
                Err(_) => {
                    return error(format!(
                        "the folder {} does not exist",
                        folder(dir).display()
                    ));
                }
            }
        }
    }
    // Creating (and removing) a temporary file proves the folder is writable.
    let probe = match dir.is_dir() {
        true => sibling(&dir.join("lsmi.json"), "tmp"),
        false => sibling(dir, "tmp"),
    };
    match create_new(&probe) {
        Ok(_) => {
            let _ = fs::remove_file(&probe);
        }
        Err(e) => {
            return error(format!(
                "cannot create files in {}: {e}",
                folder(&probe).display()
            ));
        }
    }
    let identity = Identity::of(dir);
    for &(other_flag, path) in others {
        let inside = Identity::of(folder(path));
        if identity.same(&Identity::of(path)) || identity.same(&inside) {
            return error(format!(
                "{other_flag} {} is that folder or in it; keep inputs and outputs out of \
                 the models' folder",
                path.display()
            ));
        }
    }
    Ok(())
}

/// Sleeps for the milliseconds in the environment variable `name`, if set: a
/// hook for the tests of interrupted and concurrent runs.
fn test_pause(name: &str) {
    if let Some(ms) = std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok()) {
        std::thread::sleep(Duration::from_millis(ms));
    }
}

/// Removes `.NAME.PID.tmp` and `.NAME.PID.old` files beside `path` left by
/// processes that no longer exist, once they are a minute old. Only where
/// `/proc` tells which processes exist (Linux); elsewhere they stay.
fn remove_stale(path: &Path) {
    let proc_fs = Path::new("/proc/self");
    let (Some(name), true) = (path.file_name(), proc_fs.exists()) else {
        return;
    };
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = fs::read_dir(folder(path)) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        let Some(rest) = file_name.strip_prefix(&prefix) else {
            continue;
        };
        let Some((pid, kind)) = rest.split_once('.') else {
            continue;
        };
        let ours = matches!(kind, "tmp" | "old") && pid.bytes().all(|b| b.is_ascii_digit());
        if !ours || pid.is_empty() || Path::new("/proc").join(pid).exists() {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > Duration::from_secs(60));
        if old {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Creates `temp`, which must not exist; one of this process's id left by a
/// dead process (the id was reused) is replaced.
fn create_new(temp: &Path) -> std::io::Result<File> {
    let open = || File::options().write(true).create_new(true).open(temp);
    open().or_else(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            fs::remove_file(temp)?;
            open()
        }
        _ => Err(e),
    })
}

/// Writes `text` to a new file at `temp` and flushes it to disk.
fn write_synced(temp: &Path, text: &str) -> std::io::Result<()> {
    let mut file = create_new(temp)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// Locks each distinct folder of `paths` (advisory, in a fixed order); the locks
/// hold until the returned files are dropped. Best effort: a folder that cannot
/// be locked is not.
fn lock_folders(paths: &[&Path]) -> Vec<File> {
    let mut folders: Vec<PathBuf> = paths
        .iter()
        .filter_map(|p| fs::canonicalize(folder(p)).ok())
        .collect();
    folders.sort();
    folders.dedup();
    folders
        .iter()
        .filter_map(|dir| {
            let file = File::open(dir).ok()?;
            file.lock().ok()?;
            Some(file)
        })
        .collect()
}

/// Flushes the folders' entries (the renames) to disk; best effort.
fn sync_folders(paths: &[&Path]) {
    for path in paths {
        if let Ok(dir) = File::open(folder(path)) {
            let _ = dir.sync_all();
        }
    }
}

/// Writes every `(path, text)` or none, leaving existing files untouched on any
/// failure (see the module docs for how, and for the one window a crash leaves).
pub fn write_all(outputs: &[(&Path, String)]) -> Result<(), String> {
    let paths: Vec<&Path> = outputs.iter().map(|(p, _)| *p).collect();
    for path in &paths {
        remove_stale(path);
    }
    let fail =
        |path: &Path, e: std::io::Error| input::file_error(path, format!("cannot write: {e}"));

    // 1. Every output to its temporary file, on disk.
    let temps: Vec<PathBuf> = paths.iter().map(|p| sibling(p, "tmp")).collect();
    for (index, ((path, text), temp)) in outputs.iter().zip(&temps).enumerate() {
        if let Err(e) = write_synced(temp, text) {
            for temp in &temps[..=index] {
                let _ = fs::remove_file(temp);
            }
            return Err(fail(path, e));
        }
    }
    test_pause("LSMI_TEST_PAUSE_BEFORE_RENAME_MS");

    // 2. No other run renames into these folders until we are done.
    let locks = lock_folders(&paths);

    // 3. Keep the existing outputs that a later failure would have to restore
    //    (all but the last: a failed rename leaves its target as it was).
    let mut backups: Vec<Option<PathBuf>> = Vec::new();
    for path in &paths[..paths.len().saturating_sub(1)] {
        if fs::symlink_metadata(path).is_err() {
            backups.push(None);
            continue;
        }
        let backup = sibling(path, "old");
        let _ = fs::remove_file(&backup);
        let kept = fs::hard_link(path, &backup).or_else(|_| fs::copy(path, &backup).map(|_| ()));
        if let Err(e) = kept {
            for leftover in temps.iter().chain(backups.iter().flatten()) {
                let _ = fs::remove_file(leftover);
            }
            let _ = fs::remove_file(&backup);
            return Err(input::file_error(
                path,
                format!("cannot keep a copy of the existing file while writing: {e}"),
            ));
        }
        backups.push(Some(backup));
    }

    // 4. Rename them all, back to back.
    for (index, (path, temp)) in paths.iter().zip(&temps).enumerate() {
        if index > 0 {
            test_pause("LSMI_TEST_PAUSE_BETWEEN_RENAMES_MS");
        }
        if let Err(e) = fs::rename(temp, path) {
            for temp in &temps[index..] {
                let _ = fs::remove_file(temp);
            }
            // Put back what was replaced (a backup that cannot be renamed back
            // stays, holding the old file); drop the backups not needed.
            for (done, backup) in paths[..index].iter().zip(&backups) {
                let _ = match backup {
                    Some(backup) => fs::rename(backup, done),
                    None => fs::remove_file(done),
                };
            }
            for backup in backups[index.min(backups.len())..].iter().flatten() {
                let _ = fs::remove_file(backup);
            }
            return Err(fail(path, e));
        }
    }
    sync_folders(&paths);
    drop(locks);
    for backup in backups.into_iter().flatten() {
        let _ = fs::remove_file(backup);
    }
    Ok(())
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

    #[test]
    fn a_failed_second_rename_puts_the_first_output_back() {
        let dir = std::env::temp_dir().join(format!("lsmi-output-back-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("b.json")).unwrap();
        let (a, b) = (dir.join("a.csv"), dir.join("b.json"));
        fs::write(&a, "OLD").unwrap();
        // b.json is a folder: its rename fails after a.csv was replaced.
        let err = write_all(&[(&a, "new".into()), (&b, "{}".into())]).unwrap_err();
        assert!(err.contains("b.json"), "{err}");
        assert_eq!(fs::read_to_string(&a).unwrap(), "OLD");
        let mut names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["a.csv", "b.json"]);
        // Without an existing a.csv, the new one is removed again.
        fs::remove_file(&a).unwrap();
        write_all(&[(&a, "new".into()), (&b, "{}".into())]).unwrap_err();
        assert!(!a.exists());
        fs::remove_dir_all(&dir).unwrap();
    }
}
