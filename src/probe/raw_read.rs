//! `--deep`: every sector of every kernel and initrd read raw from its disk or
//! image, at the extents the filesystem maps them to — the reads GRUB will make
//! through the firmware. Block devices are opened with `O_DIRECT` (aligned
//! buffers) so a media error shows now instead of being hidden by the page cache.
//!
//! Read-only (`O_RDONLY`); one 1 MiB buffer per worker. The first unreadable
//! sector of each file is located by re-reading the failed chunk sector by
//! sector. Never judges: BV5010 turns a failure into GRUB's message.

use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, FileTypeExt, OpenOptionsExt};

use serde::{Deserialize, Serialize};

use super::gather::{BootFacts, Role};
use crate::menu::DeviceExpr;

const CHUNK: usize = 1 << 20;
const ALIGN: usize = 4096;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RawReadFact {
    pub device: DeviceExpr,
    pub path: String,
    /// GRUB's name of the disk read (`hd0`).
    pub disk: String,
    pub state: RawState,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RawState {
    Read {
        bytes: u64,
    },
    Failed {
        /// Byte on the whole disk of the first sector that failed.
        disk_byte: u64,
        /// Where that sector falls inside the file.
        file_offset: u64,
        /// Size of the sector the read was retried at.
        sector_size: u64,
        error: String,
    },
    Skipped {
        why: String,
    },
}

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
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

fn verify_one(facts: &BootFacts, index: usize) -> RawReadFact {
    let file = &facts.files[index];
    let volume = file.resolution.volume();
    let disk = volume.and_then(|v| facts.disks.disks.get(v.disk));
    let mut fact = RawReadFact {
        device: file.device.clone(),
        path: file.path.clone(),
        disk: disk.map(|d| d.grub_name.clone()).unwrap_or_default(),
        state: RawState::Skipped { why: String::new() },
    };
    let (Some(stat), Some(disk)) = (file.stat.as_ref(), disk) else {
        fact.state = RawState::Skipped {
            why: "the file's disk is not known".into(),
        };
        return fact;
    };
    if let Some(why) = &stat.extents_unknown {
        fact.state = RawState::Skipped { why: why.clone() };
        return fact;
    }
    let sector = disk.logical_sector_size.max(512);
    fact.state = match open(&disk.path) {
        Ok((handle, _)) => read_extents(&handle, sector, disk.size_bytes, &stat.extents),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => RawState::Skipped {
            why: format!("raw reads of {} need root", disk.path),
        },
        Err(e) => RawState::Skipped {
            why: format!("cannot open {}: {e}", disk.path),
        },
    };
    fact
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

fn read_extents(
    handle: &File,
    sector: u64,
    disk_size: u64,
    extents: &[super::fs::Extent],
) -> RawState {
    let Some(mut buffer) = Aligned::new(CHUNK) else {
        return RawState::Skipped {
            why: "cannot allocate a read buffer".into(),
        };
    };
    let mut total = 0u64;
    for extent in extents.iter().filter(|e| !e.unwritten) {
        // Whole sectors around the extent, as the firmware reads them.
        let first = extent.disk_byte_offset / sector * sector;
        // Sectors past the disk's end are BV5001's: GRUB refuses them before reading.
        let end = ((extent.disk_byte_offset + extent.length).div_ceil(sector) * sector)
            .min(disk_size / sector * sector);
        let mut at = first;
        while at < end {
            let len = ((end - at) as usize).min(CHUNK);
            let buf = buffer.slice(len);
            if let Err(e) = read_exact(handle, buf, at) {
                let bad =
                    first_bad_sector(handle, &mut buffer, at, len as u64, sector).unwrap_or(at);
                let in_file = bad.max(extent.disk_byte_offset) - extent.disk_byte_offset;
                return RawState::Failed {
                    disk_byte: bad,
                    file_offset: extent.file_offset + in_file,
                    sector_size: sector,
                    error: e.to_string(),
                };
            }
            total += len as u64;
            at += len as u64;
        }
    }
    RawState::Read { bytes: total }
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
