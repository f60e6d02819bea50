//! Files of a mounted filesystem on the running system: read through the mount
//! point, with physical extents from the FIEMAP ioctl mapped to the whole disk
//! through sysfs (`/sys/dev/block/MAJ:MIN/start` for partitions, `loop/offset` and
//! `loop/backing_file` for loop devices).
//!
//! Must never write, nor make the kernel write: FIEMAP is asked without
//! FIEMAP_FLAG_SYNC, which would flush the file's dirty pages — the very state
//! `--deep` must see (data still in the page cache is what a crash or a forced
//! reboot loses, and what GRUB, reading the disk, does not find).

use std::fs::{self, File};
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::{
    DirEntry, Extent, FileError, FileKind, FileLayout, ReadSeek, VolumeFiles, components,
    finish_extents,
};

/// `_IOWR('f', 11, struct fiemap)`, with the 32-byte header as the size (the
/// extent array is a flexible member and does not count).
const FS_IOC_FIEMAP: libc::c_ulong = 0xC020_660B;
const FIEMAP_EXTENT_LAST: u32 = 0x1;
const FIEMAP_EXTENT_UNKNOWN: u32 = 0x2;
const FIEMAP_EXTENT_DELALLOC: u32 = 0x4;
const FIEMAP_EXTENT_ENCODED: u32 = 0x8;
const FIEMAP_EXTENT_DATA_INLINE: u32 = 0x200;
const FIEMAP_EXTENT_UNWRITTEN: u32 = 0x800;
const EXTENTS_PER_CALL: usize = 256;
const MAX_EXTENTS: usize = 1 << 20;

pub struct LiveVolume {
    mount: PathBuf,
}

impl LiveVolume {
    pub fn new(mount: &str) -> Self {
        LiveVolume {
            mount: PathBuf::from(mount),
        }
    }

    fn full(&self, path: &str) -> PathBuf {
        let mut p = self.mount.clone();
        for c in components(path) {
            p.push(c);
        }
        p
    }
}

/// One extent as FIEMAP reports it: byte offsets on the filesystem's device.
#[derive(Debug, Clone, Copy)]
pub struct RawFiemap {
    pub logical: u64,
    pub physical: u64,
    pub length: u64,
    pub flags: u32,
}

/// Runs FIEMAP over the whole file, in batches.
pub fn fiemap(file: &File) -> std::io::Result<Vec<RawFiemap>> {
    let mut out = Vec::new();
    let mut start = 0u64;
    loop {
        // u64 words keep the buffer aligned for the kernel's structs:
        // 4 words of header, 7 words per extent.
        let mut buf = vec![0u64; 4 + 7 * EXTENTS_PER_CALL];
        buf[0] = start;
        buf[1] = u64::MAX - start;
        // Word 2 is fm_flags | fm_mapped_extents << 32 (no flags); word 3 is
        // fm_extent_count.
        buf[2] = 0;
        buf[3] = EXTENTS_PER_CALL as u64;
        // SAFETY: buf is large enough for the header plus EXTENTS_PER_CALL
        // extents, which is what fm_extent_count tells the kernel it may fill.
        let rc = unsafe { libc::ioctl(file.as_raw_fd(), FS_IOC_FIEMAP as _, buf.as_mut_ptr()) };
        if rc < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let count = ((buf[2] >> 32) as usize).min(EXTENTS_PER_CALL);
        if count == 0 {
            break;
        }
        let mut last = false;
        let before = start;
        for i in 0..count {
            let w = &buf[4 + 7 * i..4 + 7 * (i + 1)];
            let e = RawFiemap {
                logical: w[0],
                physical: w[1],
                length: w[2],
                flags: w[5] as u32,
            };
            start = e.logical.saturating_add(e.length);
            last |= e.flags & FIEMAP_EXTENT_LAST != 0;
            out.push(e);
        }
        // Stop on the last extent, and on a reply that does not move forward.
        if last || start <= before || out.len() >= MAX_EXTENTS {
            break;
        }
    }
    Ok(out)
}

/// Where the filesystem's device lies on a whole disk: (disk, byte offset).
fn device_origin(dev: u64) -> Option<(String, u64)> {
    let (major, minor) = (libc::major(dev), libc::minor(dev));
    let sys = PathBuf::from(format!("/sys/dev/block/{major}:{minor}"));
    let real = fs::canonicalize(&sys).ok()?;
    let read_num = |p: &Path| -> Option<u64> { fs::read_to_string(p).ok()?.trim().parse().ok() };
    let mut offset = 0u64;
    let mut disk_dir = real.clone();
    if let Some(start) = read_num(&real.join("start")) {
        offset += start * 512;
        disk_dir = real.parent()?.to_path_buf();
    }
    let name = disk_dir.file_name()?.to_string_lossy().into_owned();
    if let Ok(backing) = fs::read_to_string(disk_dir.join("loop/backing_file")) {
        offset += read_num(&disk_dir.join("loop/offset")).unwrap_or(0);
        return Some((backing.trim().to_string(), offset));
    }
    Some((format!("/dev/{name}"), offset))
}

fn kind_of(ft: fs::FileType) -> FileKind {
    FileKind::from_tests(ft.is_file(), ft.is_dir(), ft.is_symlink())
}

impl VolumeFiles for LiveVolume {
    fn read_link(&self, path: &str) -> Result<Option<String>, FileError> {
        let p = self.full(path);
        let meta = fs::symlink_metadata(&p).map_err(|e| map_io(path, e))?;
        if !meta.file_type().is_symlink() {
            return Ok(None);
        }
        let target = fs::read_link(&p).map_err(|e| map_io(path, e))?;
        Ok(Some(target.to_string_lossy().into_owned()))
    }

    fn open(&self, path: &str) -> Result<Box<dyn ReadSeek>, FileError> {
        let p = self.full(path);
        if p.is_dir() {
            return Err(FileError::IsADirectory(path.to_string()));
        }
        Ok(Box::new(File::open(&p).map_err(|e| map_io(path, e))?))
    }

    fn stat(&self, path: &str) -> Result<FileLayout, FileError> {
        let p = self.full(path);
        let meta = fs::metadata(&p).map_err(|e| map_io(path, e))?;
        let size = meta.len();
        let kind = kind_of(meta.file_type());
        let mut stat = FileLayout {
            size,
            kind,
            device: String::new(),
            extents: Vec::new(),
            has_holes: false,
            inline: false,
            extents_unknown: None,
            unflushed_bytes: 0,
        };
        if kind != FileKind::File {
            return Ok(stat);
        }
        let Some((device, origin)) = device_origin(meta.dev()) else {
            stat.extents_unknown = Some(format!(
                "device {}:{} has no block device in sysfs (btrfs and other multi-device filesystems report their own logical addresses)",
                libc::major(meta.dev()),
                libc::minor(meta.dev())
            ));
            return Ok(stat);
        };
        stat.device = device;
        let file = File::open(&p).map_err(|e| map_io(path, e))?;
        let raw = match fiemap(&file) {
            Ok(r) => r,
            Err(e) => {
                stat.extents_unknown = Some(format!("FIEMAP failed: {e}"));
                return Ok(stat);
            }
        };
        let mut extents = Vec::new();
        for e in raw {
            if e.flags & FIEMAP_EXTENT_DATA_INLINE != 0 {
                stat.inline = true;
                continue;
            }
            if e.flags & (FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_ENCODED)
                != 0
            {
                stat.extents_unknown = Some(
                    "some extents have no fixed place on the disk yet (delayed allocation, compression or encryption)".into(),
                );
            }
            if e.logical >= size {
                continue;
            }
            if e.flags & (FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_UNWRITTEN)
                != 0
            {
                stat.unflushed_bytes += e.length.min(size - e.logical);
            }
            extents.push(Extent {
                file_offset: e.logical,
                disk_byte_offset: origin + e.physical,
                length: e.length.min(size - e.logical),
                unwritten: e.flags & FIEMAP_EXTENT_UNWRITTEN != 0,
            });
        }
        let (extents, holes) = finish_extents(extents, size);
        stat.extents = extents;
        stat.has_holes = holes && !stat.inline;
        Ok(stat)
    }

    fn list_dir(&self, path: &str) -> Result<Vec<DirEntry>, FileError> {
        let p = self.full(path);
        let mut out = Vec::new();
        for entry in fs::read_dir(&p).map_err(|e| map_io(path, e))? {
            let entry = entry.map_err(|e| map_io(path, e))?;
            let meta = entry.metadata().map_err(|e| map_io(path, e))?;
            out.push(DirEntry {
                name: entry.file_name().to_string_lossy().into_owned(),
                kind: kind_of(meta.file_type()),
                size: meta.len(),
            });
        }
        Ok(out)
    }
}

fn map_io(path: &str, e: std::io::Error) -> FileError {
    match e.kind() {
        std::io::ErrorKind::NotFound => FileError::NotFound(path.to_string()),
        std::io::ErrorKind::NotADirectory => FileError::NotADirectory(path.to_string()),
        _ => FileError::Io(format!("{path}: {e}")),
    }
}
