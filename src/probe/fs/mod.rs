//! Files on a volume, behind one interface (`VolumeFiles`) the menu and the checks
//! use: open a file as a stream, stat it with its physical extents, list a
//! directory. Implementations: `ext4` and `fat` read straight from an image's
//! bytes; `live` goes through the mount point and FIEMAP.
//!
//! Extents are always byte offsets on the whole disk (partition start plus the
//! offset inside the filesystem), so a check can name the sector GRUB will read.
//! Must never write, and never read a whole file into memory to describe it.

pub mod ext4;
pub mod fat;
pub mod live;

use std::io::{self, Read, Seek, SeekFrom};

use serde::{Deserialize, Serialize};

use super::image::DiskBytes;
use crate::facts::files::{Extent, FileKind, FileLayout};
use crate::facts::storage::{Area, OfflineAccess, Source, Storage};
use crate::facts::volumes::VolumeRef;

/// `Read + Seek`, boxable.
pub trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

/// Read access to the files of one volume.
pub trait VolumeFiles {
    /// Opens a regular file as a stream (never loaded whole).
    fn open(&self, path: &str) -> Result<Box<dyn ReadSeek>, FileError>;
    /// Size, type and physical extents of a file.
    fn stat(&self, path: &str) -> Result<FileLayout, FileError>;
    /// The entries of a directory, without `.` and `..`.
    fn list_dir(&self, path: &str) -> Result<Vec<DirEntry>, FileError>;
    /// The target of `path` when it is a symlink (`Ok(None)`: it is not), its
    /// last component not followed; earlier components must hold no links.
    fn read_link(&self, path: &str) -> Result<Option<String>, FileError> {
        let _ = path;
        Err(FileError::Unsupported(
            "symlinks are not read on this filesystem".into(),
        ))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirEntry {
    pub name: String,
    pub kind: FileKind,
    pub size: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("'{0}' not found")]
    NotFound(String),
    #[error("'{0}' is a directory")]
    IsADirectory(String),
    #[error("'{0}' is not a directory")]
    NotADirectory(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("filesystem is damaged: {0}")]
    Corrupt(String),
    #[error("read error: {0}")]
    Io(String),
}

impl From<io::Error> for FileError {
    fn from(e: io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::NotFound => FileError::NotFound(e.to_string()),
            _ => FileError::Io(e.to_string()),
        }
    }
}

/// Splits a GRUB/Unix path into its components; `.` and empty ones vanish.
pub(crate) fn components(path: &str) -> Vec<&str> {
    path.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect()
}

/// Opens the files of a volume the facts describe: images are read from their
/// bytes, the live system through the mount point, replayed facts not at all.
pub fn open_volume(facts: &Storage, volume: &VolumeRef) -> Result<Box<dyn VolumeFiles>, FileError> {
    let disk = volume
        .disk
        .and_then(|d| facts.disks.get(d))
        .ok_or_else(|| FileError::NotFound(volume.name.clone()))?;
    let partition = match volume.partition {
        Some(i) => Some(
            disk.partitions
                .get(i)
                .ok_or_else(|| FileError::NotFound(volume.name.clone()))?,
        ),
        None => None,
    };
    let Area {
        start_byte: start,
        size_bytes: size,
        filesystem: fs,
        mountpoints: mounts,
    } = disk.area(partition);
    let Some(fs) = fs else {
        return Err(FileError::Unsupported(format!(
            "({}) has no filesystem bootvet recognises",
            volume.name
        )));
    };
    match &facts.source {
        Source::Replay { file, .. } => Err(FileError::Unsupported(format!(
            "facts replayed from {file}: files on ({}) cannot be read",
            volume.name
        ))),
        Source::Live { .. } => {
            if let Some(mount) = mounts.first() {
                return Ok(Box::new(live::LiveVolume::new(mount)));
            }
            // Not mounted: ext4 and FAT can still be read from the disk's bytes
            // when the system lets us open it (root).
            if let OfflineAccess::NotReadable { .. } = &fs.offline {
                return Err(FileError::Unsupported(format!(
                    "({}) holds {} and is not mounted; mount it to read its files",
                    volume.name, fs.fstype
                )));
            }
            let bytes = super::handles::disk(std::path::Path::new(&disk.path)).map_err(|e| {
                FileError::Unsupported(format!(
                    "({}) is not mounted and {e}; mount it or run as root",
                    volume.name
                ))
            })?;
            open_offline(bytes, &disk.path, start, size, &fs.fstype)
        }
        Source::Images => {
            if let OfflineAccess::NotReadable { reason } = &fs.offline {
                return Err(FileError::Unsupported(reason.clone()));
            }
            let bytes = super::handles::disk(std::path::Path::new(&disk.path))
                .map_err(|e| FileError::Io(e.to_string()))?;
            open_offline(bytes, &disk.path, start, size, &fs.fstype)
        }
    }
}

/// Opens a filesystem read straight from `len` bytes at `start` of a disk.
pub fn open_offline(
    disk: DiskBytes,
    device: &str,
    start: u64,
    len: u64,
    fstype: &str,
) -> Result<Box<dyn VolumeFiles>, FileError> {
    match fstype {
        "ext2" | "ext3" | "ext4" => Ok(Box::new(ext4::Ext4Volume::open(disk, device, start, len)?)),
        "vfat" => Ok(Box::new(fat::FatVolume::open(disk, device, start, len)?)),
        other => Err(FileError::Unsupported(format!(
            "cannot read {other} without mounting; run on the live system or mount it"
        ))),
    }
}

/// Streams a file's bytes from its extents on the disk; holes read as zeros.
/// Used where the reading crate cannot hand out an owned stream (FAT).
#[derive(Debug)]
pub struct ExtentReader {
    disk: DiskBytes,
    extents: Vec<Extent>,
    size: u64,
    pos: u64,
}

impl ExtentReader {
    pub fn new(disk: DiskBytes, extents: Vec<Extent>, size: u64) -> Self {
        ExtentReader {
            disk,
            extents,
            size,
            pos: 0,
        }
    }
}

impl Read for ExtentReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.size || buf.is_empty() {
            return Ok(0);
        }
        let want = (buf.len() as u64).min(self.size - self.pos);
        // Extents are sorted; find the one holding `pos`, or the next one.
        let i = self
            .extents
            .partition_point(|e| e.file_offset + e.length <= self.pos);
        let n = match self.extents.get(i) {
            Some(e) if e.file_offset <= self.pos => {
                let n = want.min(e.file_offset + e.length - self.pos) as usize;
                if e.unwritten {
                    buf[..n].fill(0);
                } else {
                    let at = e.disk_byte_offset + (self.pos - e.file_offset);
                    self.disk.read_at(at, &mut buf[..n])?;
                }
                n
            }
            next => {
                let hole_end = next.map_or(self.size, |e| e.file_offset);
                let n = want.min(hole_end - self.pos) as usize;
                buf[..n].fill(0);
                n
            }
        };
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for ExtentReader {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let new = match pos {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.size.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let p = new.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "bad seek"))?;
        self.pos = p;
        Ok(p)
    }
}

/// Merges byte runs that continue each other on disk, and notes holes.
pub(crate) fn finish_extents(mut extents: Vec<Extent>, size: u64) -> (Vec<Extent>, bool) {
    extents.sort_by_key(|e| e.file_offset);
    let mut merged: Vec<Extent> = Vec::with_capacity(extents.len());
    for e in extents {
        if e.length == 0 {
            continue;
        }
        if let Some(last) = merged.last_mut()
            && last.file_offset + last.length == e.file_offset
            && last.disk_byte_offset + last.length == e.disk_byte_offset
            && last.unwritten == e.unwritten
        {
            last.length += e.length;
            continue;
        }
        merged.push(e);
    }
    let covered: u64 = merged.iter().map(|e| e.length).sum();
    (merged, covered < size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::fuzz_support::disk_from_bytes;

    #[test]
    fn extent_reader_fills_holes_and_unwritten_ranges_with_zeros() {
        let data: Vec<u8> = (0..=255u8).cycle().take(8192).collect();
        let disk = disk_from_bytes(&data).unwrap();
        let extents = vec![
            Extent {
                file_offset: 0,
                disk_byte_offset: 1000,
                length: 100,
                unwritten: false,
            },
            // 100..300 is a hole.
            Extent {
                file_offset: 300,
                disk_byte_offset: 4000,
                length: 50,
                unwritten: true,
            },
            Extent {
                file_offset: 350,
                disk_byte_offset: 5000,
                length: 150,
                unwritten: false,
            },
        ];
        let mut r = ExtentReader::new(disk, extents, 600);
        let mut out = Vec::new();
        let mut buf = [0u8; 7]; // small reads cross every boundary
        loop {
            let n = r.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        let mut want = data[1000..1100].to_vec();
        want.extend(vec![0u8; 250]);
        want.extend_from_slice(&data[5000..5150]);
        want.extend(vec![0u8; 100]); // past the last extent, up to the size
        assert_eq!(out, want);
        r.seek(SeekFrom::Start(360)).unwrap();
        let mut b = [0u8; 5];
        r.read_exact(&mut b).unwrap();
        assert_eq!(&b, &data[5010..5015]);
    }

    #[test]
    fn finish_extents_merges_runs_and_notes_holes() {
        let e = |f, d, l| Extent {
            file_offset: f,
            disk_byte_offset: d,
            length: l,
            unwritten: false,
        };
        let (m, holes) = finish_extents(vec![e(4096, 8192, 4096), e(0, 4096, 4096)], 8192);
        assert_eq!(m, vec![e(0, 4096, 8192)]);
        assert!(!holes);
        let (m, holes) = finish_extents(vec![e(0, 4096, 4096), e(8192, 12288, 100)], 8292);
        assert_eq!(m.len(), 2);
        assert!(holes);
    }
}
