//! `--deep`: every sector of every kernel and initrd read raw from its disk or
//! image, at the extents the filesystem maps them to — the reads GRUB will make
//! through the firmware. Block devices are opened with `O_DIRECT` (aligned
//! buffers) so a media error shows now instead of being hidden by the page cache.
//! On the live system each raw chunk is also compared with what the mounted
//! filesystem returns for the same file bytes: a difference, or extents FIEMAP
//! says have no written place yet, is data still in the page cache.
//!
//! Read-only (`O_RDONLY`); one 1 MiB buffer per worker (two when comparing). The
//! first unreadable sector of each file is located by re-reading the failed chunk
//! sector by sector. Never judges: BV5010 and BV5011 turn the states into findings.

use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, FileTypeExt, OpenOptionsExt};

use crate::facts::BootFacts;
use crate::facts::files::{Extent, Role};
use crate::facts::host::{RawReadFact, RawState};
use crate::facts::storage::{Disk, Source};

const CHUNK: usize = 1 << 20;
const ALIGN: usize = 4096;

/// A heap buffer aligned for `O_DIRECT`.
struct Aligned {
    ptr: *mut u8,
    layout: Layout,
}

impl Aligned {
    fn new(len: usize) -> Option<Self> {
        let layout = Layout::from_size_align(len, ALIGN).ok()?;
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe { alloc_zeroed(layout) };
        (!ptr.is_null()).then_some(Aligned { ptr, layout })
    }

    fn slice(&mut self, len: usize) -> &mut [u8] {
        // SAFETY: ptr is valid for layout.size() bytes, owned by self, and
        // len is clamped to that size.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, len.min(self.layout.size())) }
    }
}

impl Drop for Aligned {
    fn drop(&mut self) {
        // SAFETY: allocated with this layout in `new`.
        unsafe { dealloc(self.ptr, self.layout) }
    }
}

/// Reads every kernel and initrd the menu loads, two files at a time.
pub fn verify(facts: &BootFacts) -> Vec<RawReadFact> {
    let jobs: Vec<usize> = facts
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| matches!(f.role, Role::Kernel | Role::Initrd) && f.stat.is_some())
        .map(|(i, _)| i)
        .collect();
    let total = jobs
        .iter()
        .filter_map(|&i| facts.files[i].stat.as_ref())
        .map(|stat| stat.size)
        .sum();
    super::progress::begin_step("reading sectors raw", total);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<(usize, RawReadFact)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&i) = jobs.get(k) else { break };
                        out.push((i, verify_one(facts, i)));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    super::progress::finish();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

fn verify_one(facts: &BootFacts, index: usize) -> RawReadFact {
    let file = &facts.files[index];
    let volume = file.resolution.volume();
    let disk = volume.and_then(|v| v.disk.and_then(|d| facts.storage.disks.get(d)));
    let mut fact = RawReadFact {
        device: file.device.clone(),
        path: file.path.clone(),
        disk: disk.map(|d| d.grub_name.clone()).unwrap_or_default(),
        state: RawState::Skipped { why: String::new() },
    };
    let (Some(stat), Some(disk), Some(volume)) = (file.stat.as_ref(), disk, volume) else {
        fact.state = RawState::Skipped {
            why: "the file's disk is not known".into(),
        };
        return fact;
    };
    if stat.unflushed_bytes > 0 {
        fact.state = RawState::Unflushed {
            bytes: stat.unflushed_bytes,
        };
        return fact;
    }
    if let Some(why) = &stat.extents_unknown {
        fact.state = RawState::Skipped { why: why.clone() };
        return fact;
    }
    let mounted = match facts.storage.source {
        Source::Live { .. } => {
            let mounts = match volume.partition {
                Some(i) => disk.partitions.get(i).map(|p| &p.mountpoints),
                None => Some(&disk.mountpoints),
            };
            mounts
                .and_then(|m| m.first())
                .map(|m| mounted_path(m, &file.path))
        }
        _ => None,
    };
    let mounted = match mounted.map(File::open) {
        Some(Ok(f)) => Some(f),
        Some(Err(e)) => {
            fact.state = RawState::Skipped {
                why: format!("cannot open {} through its mount: {e}", file.path),
            };
            return fact;
        }
        None => None,
    };
    let sector = disk.logical_sector_size.max(512);
    let source = raw_source(disk, &stat.device);
    super::progress::reading(&file.path);
    fact.state = match open(&source.path) {
        Ok((handle, _)) => {
            let size = if source.path == disk.path {
                disk.size_bytes
            } else {
                handle.metadata().map(|m| m.len()).unwrap_or(0)
            };
            let target = Target {
                handle: &handle,
                sector,
                size,
                shift: source.shift,
            };
            read_extents(&target, &stat.extents, mounted.as_ref())
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => RawState::Skipped {
            why: format!("raw reads of {} need root", source.path),
        },
        Err(e) => RawState::Skipped {
            why: format!("cannot open {}: {e}", source.path),
        },
    };
    fact
}

fn mounted_path(mount: &str, path: &str) -> std::path::PathBuf {
    let mut p = std::path::PathBuf::from(mount);
    p.extend(path.split('/').filter(|c| !c.is_empty() && *c != "."));
    p
}

/// What the raw reads open, and where the extents' byte 0 is in it.
struct RawSource {
    path: String,
    /// Extents address `FileLayout::device`; byte `shift` of it is byte 0 here.
    shift: u64,
}

/// Extents address `FileLayout::device`. Live, a loop device's files map to its
/// backing file; when the disk is that loop device it is read instead, with
/// `O_DIRECT` — the backing file's own bytes would be read through the page
/// cache, the loop device's are what the filesystem has written to it.
fn raw_source(disk: &Disk, device: &str) -> RawSource {
    let whole = RawSource {
        path: disk.path.clone(),
        shift: 0,
    };
    if device.is_empty() || device == disk.path {
        return whole;
    }
    let Some(name) = disk.kernel_name.as_deref() else {
        return RawSource {
            path: device.to_string(),
            shift: 0,
        };
    };
    let sys = std::path::Path::new("/sys/block").join(name).join("loop");
    let backing = std::fs::read_to_string(sys.join("backing_file")).unwrap_or_default();
    if backing.trim() == device {
        let offset = std::fs::read_to_string(sys.join("offset"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        return RawSource {
            shift: offset,
            ..whole
        };
    }
    RawSource {
        path: device.to_string(),
        shift: 0,
    }
}

/// Opens read-only; block devices with `O_DIRECT` so the page cache cannot hide
/// an unreadable sector.
fn open(path: &str) -> std::io::Result<(File, bool)> {
    let is_block = std::fs::metadata(path)?.file_type().is_block_device();
    let mut options = OpenOptions::new();
    options.read(true);
    if is_block {
        options.custom_flags(libc::O_DIRECT);
    }
    Ok((options.open(path)?, is_block))
}

/// The open disk and how extents map onto it.
struct Target<'a> {
    handle: &'a File,
    sector: u64,
    /// Bytes readable from `handle`.
    size: u64,
    shift: u64,
}

fn read_extents(target: &Target<'_>, extents: &[Extent], mounted: Option<&File>) -> RawState {
    let Some(mut buffer) = Aligned::new(CHUNK) else {
        return RawState::Skipped {
            why: "cannot allocate a read buffer".into(),
        };
    };
    let mut theirs = if mounted.is_some() {
        vec![0u8; CHUNK]
    } else {
        Vec::new()
    };
    let sector = target.sector;
    let mut total = 0u64;
    for extent in extents.iter().filter(|e| !e.unwritten) {
        // Extent bytes in the handle's coordinates.
        let Some(start) = extent.disk_byte_offset.checked_sub(target.shift) else {
            continue;
        };
        let stop = start.saturating_add(extent.length);
        // Whole sectors around the extent, as the firmware reads them.
        let first = start / sector * sector;
        // Sectors past the disk's end are BV5001's: GRUB refuses them before reading.
        let end = (stop.div_ceil(sector) * sector).min(target.size / sector * sector);
        let mut at = first;
        while at < end {
            let len = ((end - at) as usize).min(CHUNK);
            let buf = buffer.slice(len);
            if let Err(e) = read_exact(target.handle, buf, at) {
                let bad = first_bad_sector(target.handle, &mut buffer, at, len as u64, sector)
                    .unwrap_or(at);
                let in_file = bad.max(start) - start;
                return RawState::Failed {
                    disk_byte: bad + target.shift,
                    file_offset: extent.file_offset + in_file,
                    sector_size: sector,
                    error: e.to_string(),
                };
            }
            if let Some(file) = mounted {
                // The file's bytes inside this chunk.
                let from = at.max(start);
                let to = (at + len as u64).min(stop);
                if from < to {
                    let n = (to - from) as usize;
                    let file_at = extent.file_offset + (from - start);
                    let raw = &buf[(from - at) as usize..(to - at) as usize];
                    let got = match read_up_to(file, &mut theirs[..n], file_at) {
                        Ok(got) => got,
                        Err(e) => {
                            return RawState::Skipped {
                                why: format!("reading the file through its mount failed: {e}"),
                            };
                        }
                    };
                    let mismatch = raw.iter().zip(&theirs[..got]).position(|(a, b)| a != b);
                    let differs_at = mismatch.or((got < n).then_some(got));
                    if let Some(i) = differs_at {
                        return RawState::Differs {
                            disk_byte: from + i as u64 + target.shift,
                            file_offset: file_at + i as u64,
                        };
                    }
                }
            }
            total += len as u64;
            super::progress::advance(len as u64);
            at += len as u64;
        }
    }
    RawState::Read { bytes: total }
}

/// Reads until `buf` is full or the file ends (fewer bytes than asked: the
/// file shrank since it was mapped, a difference).
fn read_up_to(file: &File, buf: &mut [u8], at: u64) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read_at(&mut buf[got..], at + got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

fn read_exact(handle: &File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    handle.read_exact_at(buf, at)
}

fn first_bad_sector(
    handle: &File,
    buffer: &mut Aligned,
    start: u64,
    len: u64,
    sector: u64,
) -> Option<u64> {
    let mut at = start;
    while at < start + len {
        if read_exact(handle, buffer.slice(sector as usize), at).is_err() {
            return Some(at);
        }
        at += sector;
    }
    None
}
