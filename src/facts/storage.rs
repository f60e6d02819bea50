//! The storage of one machine or set of images: disks, partition tables,
//! partitions and filesystems, as `probe` found them. Owns the `bootvet.facts/1`
//! schema (`bootvet devices --json`, `devices --dump-facts`).
//!
//! Nothing here does IO; checks and the resolver read these structs and never the
//! disk, which is what lets `--dump-facts` / `--facts` replay a machine elsewhere.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Version of the facts document; bumped on any incompatible change.
pub const FACTS_SCHEMA: &str = "bootvet.facts/1";

/// Everything `probe` learned about the disks of one machine or one set of images.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Storage {
    pub schema: String,
    pub source: Source,
    /// In the firmware's order: `disks[N]` is GRUB's `hdN`.
    pub disks: Vec<Disk>,
    pub problems: Vec<DiskProblem>,
}

/// Where the facts came from, which decides how files on a volume can be reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// The running system: files are read through mount points.
    Live {
        /// How disks got their `hdN` names: `device.map` or `kernel-order`.
        grub_order: String,
    },
    /// Raw disk images given with `--image`, in the firmware's order.
    Images,
    /// Replayed from a facts file; files cannot be read.
    Replay {
        file: String,
        /// Where the facts were gathered (live or images).
        captured_from: Box<Source>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disk {
    /// GRUB's name without parentheses: `hd0`.
    pub grub_name: String,
    /// The image file or the block device (`/dev/sda`).
    pub path: String,
    /// Kernel name on the live system (`sda`, `nvme0n1`); `None` for images.
    pub kernel_name: Option<String>,
    /// `MAJ:MIN` on the live system.
    pub devno: Option<String>,
    pub size_bytes: u64,
    pub logical_sector_size: u64,
    pub physical_sector_size: u64,
    pub removable: bool,
    /// Stacked devices built on this disk (dm, md, LVM), from sysfs `holders/`.
    #[serde(default)]
    pub holders: Vec<String>,
    pub table: Option<TableFacts>,
    /// Why the partition table could not be read, when it could not.
    pub table_error: Option<String>,
    pub partitions: Vec<Partition>,
    /// A filesystem on the whole disk (no partition table), e.g. a superfloppy.
    pub filesystem: Option<Filesystem>,
    #[serde(default)]
    pub mountpoints: Vec<String>,
}

/// Where one volume lies on its disk: a partition, or the whole disk when the
/// filesystem sits on it without a table.
pub struct Area<'a> {
    pub start_byte: u64,
    pub size_bytes: u64,
    pub filesystem: Option<&'a Filesystem>,
    pub mountpoints: &'a [String],
}

impl Disk {
    /// The area of `partition` (one of this disk's), or of the whole disk for `None`.
    pub fn area<'a>(&'a self, partition: Option<&'a Partition>) -> Area<'a> {
        match partition {
            Some(p) => Area {
                start_byte: p.start_byte,
                size_bytes: p.size_bytes,
                filesystem: p.filesystem.as_ref(),
                mountpoints: &p.mountpoints,
            },
            None => Area {
                start_byte: 0,
                size_bytes: self.size_bytes,
                filesystem: self.filesystem.as_ref(),
                mountpoints: &self.mountpoints,
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableKind {
    Gpt,
    /// MS-DOS / MBR; GRUB calls it `msdos`.
    Msdos,
}

impl TableKind {
    /// The partition-map name GRUB uses in device names: `gpt`, `msdos`.
    pub fn grub_partmap(self) -> &'static str {
        match self {
            TableKind::Gpt => "gpt",
            TableKind::Msdos => "msdos",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableFacts {
    pub kind: TableKind,
    /// GPT disk GUID, or the MBR disk signature as 8 hex digits.
    pub id: String,
    /// The sector size the table was read with (LBAs are in these units).
    pub sector_size: u64,
    /// GPT only: state of the header at LBA 1.
    pub primary_header: Option<HeaderState>,
    /// GPT only: state of the header at the disk's last LBA.
    pub backup_header: Option<HeaderState>,
    /// GPT only: which copy the partitions were read from (`primary`/`backup`).
    pub entries_from: Option<String>,
    /// GPT only: the usable LBA range the header declares.
    pub first_usable_lba: Option<u64>,
    pub last_usable_lba: Option<u64>,
    /// An MBR with a 0xEE entry (GPT's protective MBR).
    pub protective_mbr: bool,
    /// A protective MBR that also lists real partitions.
    pub hybrid_mbr: bool,
    /// GPT: a BIOS boot partition exists (where i386-pc GRUB embeds core.img).
    pub has_bios_boot_partition: bool,
    pub has_esp: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum HeaderState {
    Valid,
    Invalid { reason: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Partition {
    /// The number GRUB and the kernel use: the GPT entry index (1-based), or the
    /// MBR slot 1–4 and 5+ for logical partitions in chain order.
    pub number: u32,
    /// GRUB's name without parentheses: `hd0,gpt2`, `hd0,msdos5`.
    pub grub_name: String,
    /// `/dev/sda2` on the live system.
    pub kernel_name: Option<String>,
    pub devno: Option<String>,
    pub start_byte: u64,
    pub size_bytes: u64,
    /// Human name of the type: `EFI System`, `Linux filesystem`, `Linux swap`.
    pub type_name: String,
    /// GPT type GUID (upper case) or MBR type byte (`0x83`).
    pub type_id: String,
    pub partuuid: Option<String>,
    pub partlabel: Option<String>,
    /// MBR logical partition (inside the extended one).
    pub logical: bool,
    /// MBR active flag (0x80) or GPT legacy-BIOS-bootable attribute.
    pub bootable: bool,
    pub filesystem: Option<Filesystem>,
    #[serde(default)]
    pub mountpoints: Vec<String>,
    /// Stacked devices on this partition (dm-crypt, LVM, md), from sysfs.
    #[serde(default)]
    pub holders: Vec<String>,
}

/// A filesystem or other signature found by libblkid on a disk or partition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filesystem {
    /// libblkid TYPE: `ext4`, `vfat`, `swap`, `crypto_LUKS`, …
    pub fstype: String,
    /// libblkid USAGE: `filesystem`, `crypto`, `raid`, `other`.
    pub usage: Option<String>,
    pub uuid: Option<String>,
    pub uuid_sub: Option<String>,
    pub label: Option<String>,
    pub version: Option<String>,
    pub block_size: Option<u64>,
    /// The size the filesystem declares (ext2/3/4 and FAT, read by bootvet; the
    /// libblkid here predates FSSIZE).
    #[serde(default)]
    pub size_bytes: Option<u64>,
    /// The feature words of an ext2/3/4 superblock (read by bootvet): which of
    /// the kernel's ext2, ext3 and ext4 types will mount it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ext_features: Option<ExtFeatures>,
    /// Whether bootvet can read files on it from the raw bytes, and why not.
    pub offline: OfflineAccess,
    /// Every value libblkid reported, for evidence.
    #[serde(default)]
    pub blkid: BTreeMap<String, String>,
}

/// `s_feature_compat`, `s_feature_incompat` and `s_feature_ro_compat` of an
/// ext2/3/4 superblock, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtFeatures {
    pub compat: u32,
    pub incompat: u32,
    pub ro_compat: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "access", rename_all = "snake_case")]
pub enum OfflineAccess {
    Readable,
    NotReadable { reason: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiskProblem {
    pub kind: ProblemKind,
    /// GRUB name of the disk or partition concerned: `hd0`, `hd0,gpt3`.
    pub device: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// An image or disk could not be opened or read at all.
    Unreadable,
    PrimaryGptInvalid,
    BackupGptInvalid,
    /// The primary header says the backup lives elsewhere than the last LBA.
    BackupGptMisplaced,
    PartitionPastEnd,
    PartitionsOverlap,
    /// GPT without a BIOS boot partition: only BIOS (i386-pc) GRUB needs one.
    GptWithoutBiosBoot,
    HybridMbr,
    ExtendedChainBroken,
    /// The live system would not let bootvet read the table from the device.
    TableUnreadable,
    FilesystemProbeFailed,
    /// Several filesystems carry one UUID (a cloned disk): `search --fs-uuid`
    /// and `root=UUID=` take whichever comes first.
    DuplicateFsUuid,
    /// Several partitions carry one PARTUUID (a cloned GPT).
    DuplicatePartuuid,
    /// The filesystem declares more bytes than its partition holds (a partition
    /// shrunk under it): files near its end are outside the partition.
    FilesystemLargerThanPartition,
}

impl Storage {
    pub fn new(source: Source) -> Self {
        Storage {
            schema: FACTS_SCHEMA.to_string(),
            source,
            disks: Vec::new(),
            problems: Vec::new(),
        }
    }
}

impl ProblemKind {
    /// Facts that are only a problem on some platforms, or that limit what bootvet
    /// could see rather than what will boot; `devices` lists them as notes and they
    /// do not change its exit status.
    pub fn is_informational(self) -> bool {
        matches!(
            self,
            ProblemKind::GptWithoutBiosBoot | ProblemKind::TableUnreadable
        )
    }
}
