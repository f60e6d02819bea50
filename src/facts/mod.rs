//! facts: the plain serializable model of one machine (or set of images) that
//! `probe` builds and `check` and `report` read. Nothing here does IO; every
//! type is `Serialize + Deserialize`, so a run can be dumped and replayed
//! elsewhere (`check --dump-facts` / `--facts`, `replay`).
//!
//! `BootFacts` (schema `bootvet.boot-facts/1`) is the whole of it: the menu, the
//! `Storage` (disks, tables, filesystems: `storage`, schema `bootvet.facts/1`),
//! one `FileFact` per file an entry loads (`files`), one `RootFact` per `root=`
//! (below), what sits beside each kernel (`kernel`), and the host state around
//! the boot files (`host`), and the links above grub.cfg (`loader`). `volumes` names a volume and what a device resolves to.
//! Every field serialized with `skip_serializing_if` reads back with `default`.

pub mod btrfs;
pub mod files;
pub mod firmware;
pub mod fstab;
pub mod host;
pub mod init;
pub mod kernel;
pub mod loader;
pub mod replay;
pub mod secure_boot;
pub mod stack;
pub mod storage;
pub mod volumes;

use serde::{Deserialize, Serialize};

use crate::menu::{FileRef, Menu, Platform};
use files::FileFact;
use firmware::FirmwareFacts;
use host::HostFacts;
use kernel::{KernelSide, RootBus};
use storage::{Filesystem, Storage};
use volumes::{Resolution, VolumeRef};

pub const BOOT_FACTS_SCHEMA: &str = "bootvet.boot-facts/1";

/// Everything the checks need, for one machine or set of images.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BootFacts {
    pub schema: String,
    pub platform: Platform,
    pub config: ConfigOrigin,
    #[serde(rename = "disks")]
    pub storage: Storage,
    pub menu: Menu,
    /// Each distinct (device, path) an entry loads, in first-use order.
    pub files: Vec<FileFact>,
    /// Each distinct `root=` value, resolved.
    pub roots: Vec<RootFact>,
    /// What sits beside each kernel file: its config, its modules on root=.
    pub kernels: Vec<KernelSide>,
    /// The storage drivers between the kernel and the root disk.
    pub root_bus: RootBus,
    /// Free space, leftovers and journal state of the boot directories, the
    /// firmware's reach, the machine's memory.
    pub host: HostFacts,
    /// The UEFI variables and what they say (`--efi-vars`, live efivarfs).
    #[serde(default, skip_serializing_if = "FirmwareFacts::is_empty")]
    pub firmware: FirmwareFacts,
    /// Secure Boot: the policy and each binary of the chain (efi boots).
    #[serde(
        default,
        skip_serializing_if = "secure_boot::SecureBootFacts::is_empty"
    )]
    pub secure_boot: secure_boot::SecureBootFacts,
    /// The links above grub.cfg (firmware, loader file, GRUB image, prefix);
    /// `None`: not looked at (a `--boot-dir` directory, older facts files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loader: Option<loader::LoaderFacts>,
    /// The live root filesystem's block stack walked through sysfs (dm, md,
    /// partitions); `None`: not live, or `/` is on no block device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_stack: Option<stack::RootStack>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConfigOrigin {
    /// The config as the user named it, or where bootvet found it.
    pub path: String,
    /// The volume it was read from, when it came from the disks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<VolumeRef>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RootFact {
    /// The `root=` value as the kernel receives it.
    pub value: String,
    /// Why the value is not a device name bootvet understands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unparsed: Option<String>,
    pub resolution: Resolution,
    /// The filesystem of each match, in the same order.
    pub filesystems: Vec<Option<Filesystem>>,
    /// The init paths the boot may execute, resolved on the filesystem (one
    /// match only); empty in facts files written before they were read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inits: Vec<init::InitFact>,
    /// `/etc/fstab` and `/etc/crypttab` on that filesystem (one match only);
    /// `None` in facts files written before they were read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tabs: Option<fstab::TabsFact>,
    /// The subvolumes, when the filesystem (one match only) is a btrfs one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub btrfs: Option<btrfs::BtrfsSubvolumes>,
}
impl BootFacts {
    /// The fact for a file an entry names.
    pub fn file(&self, file: &FileRef) -> Option<&FileFact> {
        self.files
            .iter()
            .find(|f| f.device == file.device && f.path == file.path)
    }

    pub fn root(&self, value: &str) -> Option<&RootFact> {
        self.roots.iter().find(|r| r.value == value)
    }

    /// What was read beside a kernel file.
    pub fn kernel_side(&self, file: &FileRef) -> Option<&KernelSide> {
        let index = self
            .files
            .iter()
            .position(|f| f.device == file.device && f.path == file.path)?;
        self.kernels.iter().find(|k| k.file == index)
    }
}
