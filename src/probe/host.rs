//! Host state around the boot files: how much room the filesystem holding the
//! kernels has for the next initramfs, leftover half-written images beside them,
//! whether that filesystem has an unreplayed journal (GRUB reads it without the
//! journal), the firmware's reach on the pc platform and the machine's memory.
//!
//! Read-only: the superblock is read from the image (or, live, free space comes
//! from `statvfs` on the mount point). Never judges: the BV5xxx checks do that.

use std::collections::BTreeSet;

use super::disk_files::DiskFiles;
use super::image::DiskBytes;
use crate::facts::BootFacts;
use crate::facts::files::{FileKind, Role};
use crate::facts::host::{
    BootDirFact, HostFacts, MemoryFact, ModulesState, RawState, SizedName, Timing,
};
use crate::facts::storage::{Area, Source};
use crate::facts::volumes::VolumeRef;

/// 32-bit LBA of 512-byte sectors: what most BIOSes can address.
pub const DEFAULT_BIOS_LBA_LIMIT: u64 = (1 << 32) * 512;

const EXT_INCOMPAT_RECOVER: u32 = 0x4;
const EXT_INCOMPAT_64BIT: u32 = 0x80;

#[derive(Clone, Copy, Debug, Default)]
pub struct HostOptions {
    pub bios_lba_limit: Option<u64>,
    /// Memory of the machine the images will boot on (`--memory`).
    pub memory: Option<u64>,
    /// Time allowed for each modules tree.
    pub modules_budget: Option<std::time::Duration>,
    /// Read every sector of every kernel and initrd (`--deep`).
    pub raw_reads: bool,
}

/// The host state around the files `facts` found, from the disks they live on.
pub fn gather_host(facts: &BootFacts, files: &DiskFiles<'_>, options: HostOptions) -> HostFacts {
    let live = matches!(files.facts().source, Source::Live { .. });
    let memory = match options.memory {
        Some(bytes) => Some(MemoryFact {
            bytes,
            source: "--memory".into(),
        }),
        None if live => std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|text| mem_total(&text))
            .map(|bytes| MemoryFact {
                bytes,
                source: "/proc/meminfo".into(),
            }),
        None => None,
    };
    let mut seen = BTreeSet::new();
    let mut dirs = Vec::new();
    for file in &facts.files {
        if !matches!(file.role, Role::Kernel | Role::Initrd) || file.stat.is_none() {
            continue;
        }
        let Some(volume) = file.resolution.volume() else {
            continue;
        };
        let dir = parent_dir(&file.path);
        if seen.insert((volume.name.clone(), dir.clone())) {
            dirs.push(boot_dir(files, volume, &dir, live));
        }
    }
    let mut timings = Vec::new();
    let started = std::time::Instant::now();
    let modules = super::modules_tree::gather_modules(
        facts,
        files,
        options
            .modules_budget
            .unwrap_or(super::modules_tree::DEFAULT_BUDGET),
    );
    timings.push(Timing {
        step: "modules scan",
        took: started.elapsed(),
        amount: modules
            .iter()
            .map(|m| match &m.state {
                ModulesState::Present(scan) => scan.modules,
                _ => 0,
            })
            .sum(),
        unit: "modules",
    });
    let raw_reads = if options.raw_reads {
        let started = std::time::Instant::now();
        let reads = super::raw_read::verify(facts);
        timings.push(Timing {
            step: "raw reads",
            took: started.elapsed(),
            amount: reads
                .iter()
                .map(|r| match r.state {
                    RawState::Read { bytes } => bytes,
                    _ => 0,
                })
                .sum(),
            unit: "bytes",
        });
        reads
    } else {
        Vec::new()
    };
    HostFacts {
        bios_lba_limit: options.bios_lba_limit.unwrap_or(DEFAULT_BIOS_LBA_LIMIT),
        bios_lba_limit_given: options.bios_lba_limit.is_some(),
        memory,
        boot_dirs: dirs,
        modules,
        raw_reads,
        timings,
    }
}

fn parent_dir(path: &str) -> String {
    match path.rsplit_once('/') {
        Some(("", _)) | None => "/".into(),
        Some((dir, _)) => dir.to_string(),
    }
}

fn boot_dir(files: &DiskFiles<'_>, volume: &VolumeRef, dir: &str, live: bool) -> BootDirFact {
    let mut fact = BootDirFact {
        volume: volume.clone(),
        dir: dir.to_string(),
        fstype: None,
        free_bytes: None,
        size_bytes: None,
        needs_recovery: None,
        initrds: Vec::new(),
        leftovers: Vec::new(),
        notes: Vec::new(),
    };
    match files
        .volume(volume)
        .and_then(|vf| vf.list_dir(dir).map_err(|e| e.to_string()))
    {
        Ok(entries) => {
            for entry in entries.into_iter().filter(|e| e.kind == FileKind::File) {
                let item = SizedName {
                    name: entry.name.clone(),
                    size: entry.size,
                };
                if is_leftover(&entry.name) {
                    fact.leftovers.push(item);
                } else if is_initrd_name(&entry.name) {
                    fact.initrds.push(item);
                }
            }
        }
        Err(why) => fact.notes.push(format!("cannot list {dir}: {why}")),
    }
    let facts = files.facts();
    let Some(disk) = volume.disk.and_then(|d| facts.disks.get(d)) else {
        return fact;
    };
    let Area {
        start_byte: start,
        size_bytes: len,
        filesystem: fs,
        mountpoints: mounts,
    } = disk.area(volume.partition.and_then(|i| disk.partitions.get(i)));
    fact.fstype = fs.map(|f| f.fstype.clone());
    let is_ext = fact
        .fstype
        .as_deref()
        .is_some_and(|t| matches!(t, "ext2" | "ext3" | "ext4"));
    if live {
        match mounts.first() {
            Some(mount) => match statvfs(mount) {
                Ok((free, size)) => {
                    fact.free_bytes = Some(free);
                    fact.size_bytes = Some(size);
                }
                Err(e) => fact.notes.push(format!("statvfs {mount}: {e}")),
            },
            None => fact.notes.push(format!(
                "({}) is not mounted: free space unknown",
                volume.name
            )),
        }
        // A mounted ext3/4 always carries needs_recovery on disk while mounted,
        // so the flag says nothing live; only an image's flag is evidence.
        return fact;
    }
    if !is_ext {
        fact.notes.push(format!(
            "free space is read only from ext2/3/4 superblocks, not {}",
            fact.fstype.as_deref().unwrap_or("an unknown filesystem")
        ));
        return fact;
    }
    let read = super::handles::disk(std::path::Path::new(&disk.path))
        .map_err(|e| e.to_string())
        .and_then(|bytes| read_ext_state(&bytes, start, len));
    match read {
        Ok(Some(state)) => {
            fact.free_bytes = Some(state.free_bytes);
            fact.size_bytes = Some(state.size_bytes);
            fact.needs_recovery = Some(state.needs_recovery);
        }
        Ok(None) => fact.notes.push("no valid ext2/3/4 superblock".into()),
        Err(why) => fact.notes.push(why),
    }
    fact
}

/// What `update-initramfs`/`dracut`/`dpkg` leave behind when interrupted.
pub fn is_leftover(name: &str) -> bool {
    name.ends_with(".new") || name.ends_with(".tmp") || name.contains(".dpkg-")
}

/// Names initramfs generators give their images (initramfs-tools, dracut, mkinitcpio).
pub fn is_initrd_name(name: &str) -> bool {
    name.starts_with("initrd.img-")
        || name.starts_with("initramfs-")
        || (name.starts_with("initrd-") && !name.ends_with(".sig"))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExtState {
    pub free_bytes: u64,
    pub size_bytes: u64,
    pub needs_recovery: bool,
}

/// The superblock of the ext2/3/4 filesystem `len` bytes long at `start` of a
/// disk or image: `Ok(None)` without a valid one.
pub fn read_ext_state(bytes: &DiskBytes, start: u64, len: u64) -> Result<Option<ExtState>, String> {
    if len < 2048 || bytes.size() < start.saturating_add(2048) {
        return Err("the superblock lies past the end of the image".to_string());
    }
    let mut sb = [0u8; 1024];
    bytes
        .read_at(start + 1024, &mut sb)
        .map_err(|e| e.to_string())?;
    Ok(ext_state(&sb))
}

/// Free space and the journal flag from the 1024 bytes of an ext2/3/4 superblock.
pub fn ext_state(sb: &[u8; 1024]) -> Option<ExtState> {
    let le16 = |at: usize| u16::from_le_bytes([sb[at], sb[at + 1]]);
    let le32 = |at: usize| u32::from_le_bytes([sb[at], sb[at + 1], sb[at + 2], sb[at + 3]]);
    if le16(56) != 0xEF53 {
        return None;
    }
    let log = le32(24);
    if log > 6 {
        return None;
    }
    let block_size = 1024u64 << log;
    let incompat = le32(96);
    let mut blocks = u64::from(le32(4));
    let mut free = u64::from(le32(12));
    if incompat & EXT_INCOMPAT_64BIT != 0 {
        blocks |= u64::from(le32(0x150)) << 32;
        free |= u64::from(le32(0x158)) << 32;
    }
    // A size past 2^64 bytes is no filesystem (the fuzz runner found a
    // saturated 16 EiB size here); free space is bounded by the size.
    let size_bytes = blocks.checked_mul(block_size)?;
    Some(ExtState {
        free_bytes: free.min(blocks) * block_size,
        size_bytes,
        needs_recovery: incompat & EXT_INCOMPAT_RECOVER != 0,
    })
}

/// `MemTotal` from /proc/meminfo, in bytes.
pub fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

fn statvfs(path: &str) -> std::io::Result<(u64, u64)> {
    let c = std::ffi::CString::new(path)
        .map_err(|_| std::io::Error::other("mount point contains a NUL byte"))?;
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `st` a properly sized buffer.
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let unit = st.f_frsize as u64;
    Ok((
        (st.f_bfree as u64).saturating_mul(unit),
        (st.f_blocks as u64).saturating_mul(unit),
    ))
}

/// `SIZE` arguments: a number with an optional unit. `K`/`M`/`G`/`T` and
/// `KiB`…`TiB` are powers of 1024; `KB`…`TB` powers of 1000 (disk vendors' and
/// the 28-bit LBA's `137GB`).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size (e.g. 8G, 137GB, 512MiB)"))?;
    let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024f64.powi(2),
        "g" | "gib" => 1024f64.powi(3),
        "t" | "tib" => 1024f64.powi(4),
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        other => return Err(format!("unknown unit `{other}` in `{text}`")),
    };
    let bytes = value * factor;
    if !bytes.is_finite() || !(1.0..1.8e19).contains(&bytes) {
        return Err(format!("`{text}` is out of range"));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_both_unit_families() {
        assert_eq!(parse_size("8G"), Ok(8 << 30));
        assert_eq!(parse_size("137GB"), Ok(137_000_000_000));
        assert_eq!(parse_size("2TiB"), Ok(2 << 40));
        assert_eq!(parse_size("512"), Ok(512));
        assert!(parse_size("12X").is_err());
        assert!(parse_size("").is_err());
        assert!(parse_size("0").is_err());
    }

    #[test]
    fn leftovers_and_initrd_names() {
        assert!(is_leftover("initrd.img-6.11.0-rc1+.new"));
        assert!(is_leftover("vmlinuz-6.1.0.dpkg-tmp"));
        assert!(!is_leftover("initrd.img-6.1.0"));
        assert!(is_initrd_name("initramfs-6.8.9-300.fc40.x86_64.img"));
        assert!(!is_initrd_name("vmlinuz-6.1.0"));
    }

    #[test]
    fn meminfo_total() {
        assert_eq!(
            mem_total("MemTotal:       16318412 kB\nMemFree: 1 kB\n"),
            Some(16318412 * 1024)
        );
        assert_eq!(mem_total("MemFree: 1 kB\n"), None);
    }

    #[test]
    fn hostile_superblocks_never_panic_or_overflow() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..4000 {
            let mut sb = [0u8; 1024];
            for b in sb.iter_mut() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                *b = seed as u8;
            }
            sb[56..58].copy_from_slice(&0xEF53u16.to_le_bytes());
            sb[24] %= 8;
            sb[25..28].fill(0);
            if let Some(state) = ext_state(&sb) {
                assert!(state.free_bytes <= state.size_bytes);
            }
        }
    }

    /// Found by `fuzz_runner_host_state`: a 64bit block count whose byte size
    /// overflows was reported as a 16 EiB filesystem.
    #[test]
    fn superblock_whose_size_overflows_is_none() {
        let mut sb = [0u8; 1024];
        sb[56..58].copy_from_slice(&0xEF53u16.to_le_bytes());
        sb[24] = 2; // 4 KiB blocks
        sb[96] = 0x80 | 0x4; // 64bit, needs_recovery
        sb[4..8].copy_from_slice(&7u32.to_le_bytes());
        sb[0x150..0x154].copy_from_slice(&0xffff_0000u32.to_le_bytes());
        assert_eq!(ext_state(&sb), None);
        sb[0x150..0x154].copy_from_slice(&1u32.to_le_bytes());
        assert_eq!(
            ext_state(&sb).unwrap().size_bytes,
            ((1u64 << 32) + 7) * 4096
        );
    }

    #[test]
    fn superblock_without_magic_is_none() {
        assert_eq!(ext_state(&[0u8; 1024]), None);
    }
}
