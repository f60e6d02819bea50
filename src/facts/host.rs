//! Host state around the boot files: free space, leftovers and journal state of
//! each directory holding a kernel or initrd, the firmware's reach, the
//! machine's memory, the modules trees on each root, and (`--deep`) every
//! kernel and initrd read raw from its disk. `probe::host` gathers them; the
//! BV5xxx checks judge them.

use serde::{Deserialize, Serialize};

use super::volumes::VolumeRef;
use crate::menu::DeviceExpr;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct HostFacts {
    /// The highest byte (exclusive) the pc firmware reads (`--bios-lba-limit`).
    pub bios_lba_limit: u64,
    /// Whether the limit was given on the command line rather than the default.
    pub bios_lba_limit_given: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<MemoryFact>,
    /// Each directory that holds a kernel or initrd an entry loads.
    pub boot_dirs: Vec<BootDirFact>,
    /// `/lib/modules/RELEASE` of each kernel on the root it boots.
    pub modules: Vec<ModulesFact>,
    /// `--deep`: every kernel and initrd read raw from its disk.
    pub raw_reads: Vec<RawReadFact>,
    /// How long the costly steps took, for `BOOTVET_TIMINGS=1` (benches); never
    /// in the JSON, which must not change from run to run.
    #[serde(skip)]
    pub timings: Vec<Timing>,
}

#[derive(Clone, Debug)]
pub struct Timing {
    pub step: &'static str,
    pub took: std::time::Duration,
    /// What the step covered: modules read, or bytes read raw.
    pub amount: u64,
    pub unit: &'static str,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MemoryFact {
    pub bytes: u64,
    /// `--memory` or `/proc/meminfo`.
    pub source: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SizedName {
    pub name: String,
    pub size: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BootDirFact {
    pub volume: VolumeRef,
    /// The directory on that volume, `/` for a separate /boot.
    pub dir: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fstype: Option<String>,
    /// Bytes root may still write (reserved blocks count: update-initramfs runs as root).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// ext3/4 `needs_recovery`: the journal holds changes not yet written home.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs_recovery: Option<bool>,
    /// Every initramfs image in the directory, by name.
    pub initrds: Vec<SizedName>,
    /// Half-written or package-manager leftovers: `*.new`, `*.tmp`, `*.dpkg-*`.
    pub leftovers: Vec<SizedName>,
    /// What could not be learned, and why.
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModulesFact {
    pub release: String,
    /// The root volume (`hd0,gpt4`) whose tree was read.
    pub volume: String,
    pub path: String,
    pub state: ModulesState,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ModulesState {
    Missing,
    Present(ModulesScan),
    Unknown { why: String },
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ModulesScan {
    /// `.ko`, `.ko.xz`, `.ko.zst`, `.ko.gz` files seen.
    pub modules: u64,
    pub unstripped: u64,
    /// Bytes of `.debug_*` sections in the files (uncompressed modules) or in
    /// their decompressed contents: roughly what stripping saves.
    pub debug_bytes: u64,
    /// Total size of the module files as stored.
    pub stored_bytes: u64,
    pub largest_unstripped: Vec<SizedName>,
    /// Modules that could not be read or parsed.
    pub unreadable: u64,
    /// Why the scan stopped early, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut_short: Option<String>,
}

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
    /// The live filesystem holds some of the file's bytes in the page cache with
    /// no written place on the disk yet (FIEMAP delalloc/unknown/unwritten).
    Unflushed {
        /// How many bytes of the file are in such extents.
        bytes: u64,
    },
    /// The disk holds other bytes than the mounted filesystem returns.
    Differs {
        /// Byte on the whole disk of the first byte that differs.
        disk_byte: u64,
        /// Where that byte falls inside the file.
        file_offset: u64,
    },
    Skipped {
        why: String,
    },
}
