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

impl GeneratedFile {
    /// Writes the file into `dir` (created if missing), unless the copy there is
    /// already right; returns its path.
    pub fn write_to(&self, dir: impl AsRef<Path>) -> Result<PathBuf, Error> {
        let dir = dir.as_ref();
        fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_owned(),
            source,
        })?;
        let path = dir.join(&self.name);
        if read(&path)?.as_deref() != Some(self.contents.as_str()) {
            fs::write(&path, &self.contents).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
        }
        Ok(path)
    }

    /// Checks the copy of the file in `dir`: [`Error::Stale`], with a unified
    /// diff from it to the expected contents, when it differs or is missing.
    pub fn check_in(&self, dir: impl AsRef<Path>) -> Result<(), Error> {
        let path = dir.as_ref().join(&self.name);
        let on_disk = read(&path)?;
        if on_disk.as_deref() == Some(self.contents.as_str()) {
            return Ok(());
        }
        let old = on_disk.unwrap_or_default();
        let shown = path.display().to_string();
        let diff = TextDiff::from_lines(&old, &self.contents)
            .unified_diff()
            .context_radius(3)
            .header(&shown, &format!("{shown} (generated)"))
            .to_string();
        Err(Error::Stale {
            paths: vec![path],
            diff,
        })
    }
}

/// Writes `files` into `dir`.
pub(crate) fn write(dir: &Path, files: &[GeneratedFile]) -> Result<Vec<PathBuf>, Error> {
    files.iter().map(|file| file.write_to(dir)).collect()
}

/// Checks every file of `files` in `dir`, reporting all stale ones at once.
pub(crate) fn check(dir: &Path, files: &[GeneratedFile]) -> Result<(), Error> {
    let mut paths = Vec::new();
    let mut diff = String::new();
    for file in files {
        match file.check_in(dir) {
            Ok(()) => {}
            Err(Error::Stale {
                paths: stale,
                diff: file_diff,
            }) => {
                paths.extend(stale);
                diff.push_str(&file_diff);
            }
            Err(other) => return Err(other),
        }
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
