//! `--boot-dir DIR`: a plain directory standing for the filesystem GRUB's `$root`
//! points at (a copy of /boot, an unpacked ESP). Every device expression that
//! names a real filesystem maps to DIR; loopback images and unknown devices stay
//! unknown. Opens files read-only and never reads more than the menu's limit.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::menu::DeviceExpr;
use crate::menu::files::{FileError, FileSource, FileStat, MAX_FILE_BYTES};

#[derive(Clone, Debug)]
pub struct BootDir {
    root: PathBuf,
}

impl BootDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        BootDir { root: root.into() }
    }

    /// The host path for a GRUB path; `..` cannot climb above DIR.
    fn host_path(&self, at: &DeviceExpr, path: &str) -> Result<PathBuf, FileError> {
        match at {
            DeviceExpr::Unknown { text } => {
                return Err(FileError::Unknown(format!(
                    "device `{text}` is decided at boot"
                )));
            }
            DeviceExpr::Loopback { name, .. } => {
                return Err(FileError::Unknown(format!(
                    "({name}) is inside a loopback image"
                )));
            }
            _ => {}
        }
        let mut parts: Vec<&str> = Vec::new();
        for part in path.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                p => parts.push(p),
            }
        }
        let mut host = self.root.clone();
        host.extend(parts);
        Ok(host)
    }
}

fn io_error(err: std::io::Error, path: &Path) -> FileError {
    if err.kind() == std::io::ErrorKind::NotFound {
        FileError::NotFound
    } else {
        FileError::Io(format!("{}: {err}", path.display()))
    }
}

/// Reads at most `MAX_FILE_BYTES`, whatever the metadata claims.
pub(crate) fn read_bounded(path: &Path) -> Result<Vec<u8>, FileError> {
    let file = std::fs::File::open(path).map_err(|e| io_error(e, path))?;
    let meta = file.metadata().map_err(|e| io_error(e, path))?;
    if meta.is_dir() {
        return Err(FileError::Io(format!("{} is a directory", path.display())));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(FileError::TooLarge(meta.len()));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(e, path))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(FileError::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

pub(crate) fn stat_path(path: &Path) -> Result<FileStat, FileError> {
    let meta = std::fs::metadata(path).map_err(|e| io_error(e, path))?;
    Ok(FileStat {
        is_dir: meta.is_dir(),
        size: meta.len(),
    })
}

pub(crate) fn list_path(path: &Path) -> Result<Vec<String>, FileError> {
    let entries = std::fs::read_dir(path).map_err(|e| io_error(e, path))?;
    let mut names = Vec::new();
    for entry in entries.take(10_000) {
        let entry = entry.map_err(|e| io_error(e, path))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    Ok(names)
}

impl FileSource for BootDir {
    fn read(&self, at: &DeviceExpr, path: &str) -> Result<Vec<u8>, FileError> {
        read_bounded(&self.host_path(at, path)?)
    }

    fn stat(&self, at: &DeviceExpr, path: &str) -> Result<FileStat, FileError> {
        stat_path(&self.host_path(at, path)?)
    }

    fn list_dir(&self, at: &DeviceExpr, path: &str) -> Result<Vec<String>, FileError> {
        list_path(&self.host_path(at, path)?)
    }

    fn describe(&self) -> String {
        format!(
            "directory {} stands for every boot filesystem",
            self.root.display()
        )
    }
}
