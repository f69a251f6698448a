//! Writing the generated files, and checking that checked-in copies are fresh.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use similar::TextDiff;

use crate::Error;

/// One generated file: its name and contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// The file name, such as `chat.ts`.
    pub name: String,
    /// What the file holds.
    pub contents: String,
}

/// Writes `files` into `dir` (created if missing), leaving a file whose
/// contents are already right untouched.
pub(crate) fn write(dir: &Path, files: &[GeneratedFile]) -> Result<Vec<PathBuf>, Error> {
    fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.to_owned(),
        source,
    })?;
    let mut written = Vec::new();
    for file in files {
        let path = dir.join(&file.name);
        if read(&path)?.as_deref() != Some(file.contents.as_str()) {
            fs::write(&path, &file.contents).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
        }
        written.push(path);
    }
    Ok(written)
}

/// Compares `files` with the copies in `dir`; [`Error::Stale`] lists the files
/// that differ or are missing, with a unified diff.
pub(crate) fn check(dir: &Path, files: &[GeneratedFile]) -> Result<(), Error> {
    let mut paths = Vec::new();
    let mut diff = String::new();
    for file in files {
        let path = dir.join(&file.name);
        let on_disk = read(&path)?;
        if on_disk.as_deref() == Some(file.contents.as_str()) {
            continue;
        }
        let old = on_disk.unwrap_or_default();
        let shown = path.display().to_string();
        diff.push_str(
            &TextDiff::from_lines(&old, &file.contents)
                .unified_diff()
                .context_radius(3)
                .header(&shown, &format!("{shown} (generated)"))
                .to_string(),
        );
        paths.push(path);
    }
    if paths.is_empty() {
        Ok(())
    } else {
        Err(Error::Stale { paths, diff })
    }
}

/// The file at `path`, or `None` when there is none.
fn read(path: &Path) -> Result<Option<String>, Error> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Io {
            path: path.to_owned(),
            source,
        }),
    }
}
