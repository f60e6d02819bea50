//! The one door through which menu evaluation reads anything: the `FileSource`
//! trait. Sourced configs, grubenv blocks, BLS snippets and `[ -f FILE ]` all go
//! through it, so the evaluator stays pure and tests can hand it any filesystem.
//!
//! Implementations that touch real files live in `crate::probe`; this module only
//! defines the contract and the sources that do no IO (`NoFiles`, `MemoryFiles`).
//! It must never open a file itself.

use std::collections::BTreeMap;

use super::model::DeviceExpr;

/// The most a source hands back for one file. GRUB configs, grubenv blocks and
/// BLS snippets are kilobytes; anything bigger is refused so memory stays bounded.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Why a file could not be read. `Unknown` is not "missing": it means the source
/// cannot say (the device expression does not resolve here), and the evaluator
/// must then treat anything that depends on the file as undecided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileError {
    NotFound,
    Unknown(String),
    TooLarge(u64),
    Io(String),
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileError::NotFound => write!(f, "file not found"),
            FileError::Unknown(why) => write!(f, "cannot tell: {why}"),
            FileError::TooLarge(size) => {
                write!(
                    f,
                    "{size} bytes is more than the {MAX_FILE_BYTES}-byte limit"
                )
            }
            FileError::Io(err) => write!(f, "{err}"),
        }
    }
}

/// What `[ -d/-f/-s FILE ]` needs to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileStat {
    pub is_dir: bool,
    pub size: u64,
}

/// Files as GRUB would see them: a device expression (what `$root` or a `(dev)`
/// prefix meant when the command ran) and an absolute path on that device.
pub trait FileSource {
    fn read(&self, at: &DeviceExpr, path: &str) -> Result<Vec<u8>, FileError>;
    fn stat(&self, at: &DeviceExpr, path: &str) -> Result<FileStat, FileError>;
    /// Names in a directory, without `.`/`..`, in no particular order.
    fn list_dir(&self, at: &DeviceExpr, path: &str) -> Result<Vec<String>, FileError>;
    /// One line for people: what this source stands for.
    fn describe(&self) -> String;
}

/// A source that knows nothing: every look-up is undecided. Used when bootvet is
/// given a config but no place to find the files it names.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFiles;

impl FileSource for NoFiles {
    fn read(&self, _: &DeviceExpr, _: &str) -> Result<Vec<u8>, FileError> {
        Err(FileError::Unknown("no file source given".into()))
    }
    fn stat(&self, _: &DeviceExpr, _: &str) -> Result<FileStat, FileError> {
        Err(FileError::Unknown("no file source given".into()))
    }
    fn list_dir(&self, _: &DeviceExpr, _: &str) -> Result<Vec<String>, FileError> {
        Err(FileError::Unknown("no file source given".into()))
    }
    fn describe(&self) -> String {
        "no files (nothing referenced by the config is looked up)".into()
    }
}

/// Files held in memory, the same on every device: for tests and fuzzing.
#[derive(Clone, Debug, Default)]
pub struct MemoryFiles {
    files: BTreeMap<String, Vec<u8>>,
}

impl MemoryFiles {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, path: &str, bytes: impl Into<Vec<u8>>) -> Self {
        self.insert(path, bytes);
        self
    }

    pub fn insert(&mut self, path: &str, bytes: impl Into<Vec<u8>>) {
        self.files.insert(normalize(path), bytes.into());
    }

    fn is_dir(&self, path: &str) -> bool {
        let dir = normalize(path);
        let prefix = if dir == "/" {
            "/".to_string()
        } else {
            format!("{dir}/")
        };
        self.files.keys().any(|k| k.starts_with(&prefix))
    }
}

/// GRUB collapses repeated slashes; so do we, and drop a trailing one.
pub fn normalize(path: &str) -> String {
    let mut out = String::from("/");
    for part in path.split('/').filter(|p| !p.is_empty() && *p != ".") {
        if !out.ends_with('/') {
            out.push('/');
        }
        out.push_str(part);
    }
    out
}

impl FileSource for MemoryFiles {
    fn read(&self, _: &DeviceExpr, path: &str) -> Result<Vec<u8>, FileError> {
        self.files
            .get(&normalize(path))
            .cloned()
            .ok_or(FileError::NotFound)
    }

    fn stat(&self, _: &DeviceExpr, path: &str) -> Result<FileStat, FileError> {
        if let Some(bytes) = self.files.get(&normalize(path)) {
            return Ok(FileStat {
                is_dir: false,
                size: bytes.len() as u64,
            });
        }
        if self.is_dir(path) {
            return Ok(FileStat {
                is_dir: true,
                size: 0,
            });
        }
        Err(FileError::NotFound)
    }

    fn list_dir(&self, _: &DeviceExpr, path: &str) -> Result<Vec<String>, FileError> {
        if !self.is_dir(path) {
            return Err(FileError::NotFound);
        }
        let dir = normalize(path);
        let prefix = if dir == "/" {
            "/".to_string()
        } else {
            format!("{dir}/")
        };
        let mut names: Vec<String> = self
            .files
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .map(|rest| rest.split('/').next().unwrap_or(rest).to_string())
            .collect();
        names.dedup();
        Ok(names)
    }

    fn describe(&self) -> String {
        format!("{} in-memory files", self.files.len())
    }
}
