//! A file an entry loads, as found on its volume: where GRUB looks (`Role`,
//! device, resolution), whether it is there (`FileLookup`), where its bytes lie
//! on the disk (`FileLayout`, `Extent`) and what they are (kernel, initrd,
//! chainload image, from `inspect`).

use serde::{Deserialize, Serialize};

use super::storage::Filesystem;
use super::volumes::DeviceResolution;
use crate::inspect::initrd::InitrdReport;
use crate::inspect::kernel::{ChainImage, KernelImage};
use crate::menu::DeviceExpr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Kernel,
    Initrd,
    Chainload,
    Other,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FileFact {
    pub device: DeviceExpr,
    pub path: String,
    pub role: Role,
    pub resolution: DeviceResolution,
    pub lookup: FileLookup,
    /// `stat` of the file, when found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stat: Option<FileLayout>,
    /// The filesystem it lives on, when resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filesystem: Option<Filesystem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<KernelImage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initrd: Option<InitrdReport>,
    /// The head of a file `chainloader` loads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chainload: Option<ChainImage>,
    /// Why the bytes could not be inspected although the file was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspect_error: Option<String>,
    /// The names in the file's directory (at most `probe::gather::MAX_LISTED`), for kernels and
    /// for files that are missing: what is there instead, which initrds exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory: Option<Vec<String>>,
}

impl FileFact {
    /// Names in the same directory that start like this file's name up to its
    /// first `-` (`vmlinuz-…`, `initrd.img-…`): the kernels or images that exist.
    pub fn siblings(&self) -> Vec<&str> {
        let name = self.path.rsplit('/').next().unwrap_or(&self.path);
        let stem = name.split_once('-').map_or(name, |(s, _)| s);
        self.directory
            .iter()
            .flatten()
            .map(String::as_str)
            .filter(|n| *n != name && n.starts_with(stem))
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum FileLookup {
    Found {
        size: u64,
    },
    NotFound,
    /// The file is there but cannot be read (I/O error, damaged filesystem).
    Unreadable {
        message: String,
    },
    /// bootvet cannot look (device unknown, filesystem not readable offline).
    Unknown {
        why: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    File,
    Directory,
    Symlink,
    Other,
}

impl FileKind {
    /// The kind from a filesystem's type tests, asked in this order so that every
    /// reader (live mounts, ext4 images) sorts an odd entry the same way.
    pub fn from_tests(is_file: bool, is_dir: bool, is_symlink: bool) -> FileKind {
        if is_file {
            FileKind::File
        } else if is_dir {
            FileKind::Directory
        } else if is_symlink {
            FileKind::Symlink
        } else {
            FileKind::Other
        }
    }
}

/// A run of a file's bytes stored contiguously on the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extent {
    pub file_offset: u64,
    /// Byte offset on the whole disk (`FileLayout::device`), not the partition.
    pub disk_byte_offset: u64,
    pub length: u64,
    /// Allocated but never written (ext4 uninitialised extent): reads as zeros.
    #[serde(default)]
    pub unwritten: bool,
}

/// A file as its filesystem describes it: size, type, and where its bytes lie
/// on the disk (what `stat` plus FIEMAP or the inode's block map say).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileLayout {
    pub size: u64,
    pub kind: FileKind,
    /// The disk or image the extents address.
    pub device: String,
    /// Sorted by `file_offset`; ranges of `size` not covered are holes (zeros).
    pub extents: Vec<Extent>,
    /// Some range below `size` has no extent (a sparse file).
    pub has_holes: bool,
    /// The data lives inside the inode (ext4 inline data); there are no extents.
    pub inline: bool,
    /// Why `extents` is empty or cannot be trusted for a file with data (btrfs
    /// logical addresses, delayed allocation, no FIEMAP support).
    #[serde(default)]
    pub extents_unknown: Option<String>,
    /// Bytes of the file the live filesystem holds in the page cache without a
    /// written place on the disk yet (FIEMAP delalloc, unknown or unwritten
    /// extents): what GRUB would read there is not the file. Always 0 offline.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unflushed_bytes: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A GRUB blocklist (`+1`, `0+63`): sectors of the device, read without a
/// filesystem.
pub fn is_blocklist(path: &str) -> bool {
    path.starts_with('+') || path.chars().next().is_some_and(|c| c.is_ascii_digit())
}
