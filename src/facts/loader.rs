//! The links above grub.cfg, as found (issue 14): what the firmware runs, the GRUB
//! image it reaches (BIOS: MBR boot code → the sector it loads → core.img; UEFI: a
//! file on the ESP, through shim to `grubx64.efi` when shim is there), the prefix
//! that image's embedded prefix and early config resolve to, whether GRUB can read
//! that filesystem, and what sits at the prefix (`PLATFORM/normal.mod`,
//! `modinfo.sh`, `grub.cfg`). Plain data: `probe::loader` fills it, the BV6xxx
//! checks and the report read it. "Unknown" is a state of its own everywhere:
//! bootvet says what it could not read rather than guess.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::volumes::VolumeRef;
use crate::inspect::grub_image::{BiosChain, EfiKind, GrubImage, GrubVersion, ImageFault};
use crate::menu::Platform;

/// The pre-menu chain of one run. `None` in `BootFacts::loader` means it was not
/// looked at (a `--boot-dir` directory, facts written before it existed).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoaderFacts {
    pub platform: Platform,
    pub firmware: FirmwareStep,
    /// The GRUB image the chain reached (core.img, or the EFI GRUB image), when
    /// it was read and parsed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<GrubImage>,
    /// Where `$prefix` points once the image's embedded prefix and early config
    /// have run; `None` when the chain stopped before (no image).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<PrefixFacts>,
}

/// What the firmware starts, per platform.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "platform", rename_all = "snake_case")]
pub enum FirmwareStep {
    /// BIOS: the boot disk's MBR code, the sector it loads and the core image.
    Bios {
        /// GRUB name and path of the disk the BIOS boots (`hd0`).
        disk: String,
        path: String,
        chain: BiosRead,
    },
    /// UEFI: the file the firmware runs.
    Efi(EfiLoader),
    /// Not read: why.
    Unknown { why: String },
}

/// The BIOS chain as read from the disk, or why it was not.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "read", rename_all = "snake_case")]
pub enum BiosRead {
    Read(Box<BiosChain>),
    /// The disk could not be opened or read (not root, replayed facts).
    Unknown {
        why: String,
    },
}

/// The EFI loader file and what it is.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EfiLoader {
    /// The ESP it is on (`None`: no ESP found).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub esp: Option<VolumeRef>,
    /// Why this file: "removable fallback" (images: no NVRAM entries), …
    pub chosen_by: String,
    /// `\EFI\BOOT\BOOTX64.EFI`, with backslashes as the firmware names it.
    pub path: String,
    pub file: EfiFile,
    /// When `file` is shim: its second stage beside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_stage: Option<Box<SecondStage>>,
    /// Other EFI applications found under `\EFI` (vendor directories): with no
    /// NVRAM entry read, they may be what the firmware really runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub others: Vec<String>,
    /// What the firmware tries before it runs `path`, in order, when its boot
    /// entries were read (`--efi-vars`, live efivarfs): BootNext, BootOrder, the
    /// removable fallback (`probe::bds`). Empty: no variables were read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<BootAttempt>,
}

/// One step of the firmware's boot manager (edk2 BdsDxe `BdsEntry.c`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootAttempt {
    /// Why it is tried here.
    pub by: AttemptBy,
    /// The `Boot####` number (None: the removable fallback of a disk).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u16>,
    pub description: String,
    /// The entry's device path (efivar text), or the removable path.
    pub path: String,
    pub outcome: AttemptOutcome,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptBy {
    BootNext,
    BootOrder,
    /// `\EFI\BOOT\BOOTX64.EFI` of each disk (edk2's auto-created options).
    Removable,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// Not tried: BdsDxe passes over it (inactive, not the BOOT category, no
    /// such variable).
    Skipped { why: String },
    /// Tried and failed; the firmware goes on with the next. `printed` is the
    /// line OVMF prints (`BdsDxe: failed to load Boot0001 "debian" from …: Not
    /// Found`, OvmfPkg `PlatformBmPrintScLib`), when bootvet can write it.
    Fails {
        why: AttemptFailure,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        printed: Option<String>,
    },
    /// The firmware loads and starts this file.
    Runs { esp: VolumeRef, file: String },
    /// Not followed offline (a network or firmware-volume entry, a hardware
    /// path bootvet cannot map to a disk): the walk stops undecided.
    Unknown { why: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "failure", rename_all = "snake_case")]
pub enum AttemptFailure {
    /// `HD()` names a partition (number + GPT GUID / MBR signature) on none of
    /// the disks.
    NoPartition { partition: String },
    /// The partition is there; the file is not (or no FAT filesystem holds it).
    FileMissing { esp: VolumeRef, file: String },
    /// The file is there but is not a PE image the firmware can load.
    NotLoadable {
        esp: VolumeRef,
        file: String,
        fault: String,
    },
    /// A path of `File()` alone: no filesystem on the disks holds the file.
    NoFile { file: String },
    /// No `Boot####` variable by that number (BootNext, or BootOrder naming one).
    NoVariable,
    /// The load option itself is malformed.
    Malformed { fault: String },
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SecondStage {
    pub path: String,
    pub file: EfiFile,
}

/// An EFI file as found on the ESP.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum EfiFile {
    Missing,
    /// Read and parsed: GRUB image (in `LoaderFacts::image`), shim, or another
    /// application.
    Found {
        size: u64,
        app: EfiApp,
    },
    /// Not a PE file the firmware would start.
    Bad {
        size: u64,
        fault: ImageFault,
    },
    Unknown {
        why: String,
    },
}

/// `$prefix` once GRUB's kernel has set it (kern/main.c `grub_set_prefix_and_root`,
/// then the embedded config run by the rescue parser).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PrefixFacts {
    /// The embedded PREFIX object as written (`(,gpt3)/grub`, `/grub`).
    pub embedded: String,
    /// The value after the early config ran (`(hd0,gpt3)/grub`).
    pub value: String,
    /// The directory on the device (`/grub`).
    pub dir: String,
    /// How the device was found.
    pub device: PrefixDevice,
    /// The volume it resolves to (`None`: nothing GRUB can read there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<VolumeRef>,
    /// Can GRUB's filesystem driver read that volume.
    pub filesystem: FsReadable,
    /// `i386-pc` / `x86_64-efi`.
    pub platform_dir: String,
    /// `PLATFORM/normal.mod` at the prefix.
    pub normal_mod: Presence,
    /// `PACKAGE_VERSION` inside that normal.mod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normal_version: Option<String>,
    /// `PLATFORM/modinfo.sh`'s versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modules_version: Option<GrubVersion>,
    /// `grub.cfg` at the prefix.
    pub grub_cfg: Presence,
    /// The module directory `PLATFORM/` at the prefix, when it was listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module_dir: Option<ModuleDir>,
}

/// What GRUB can load from `$prefix/PLATFORM/` (kern/dl.c `grub_dl_load`), and
/// how it finds what to load: `moddep.lst` (each module's dependencies, loaded
/// first) and `command.lst` (normal/dyncmd.c: a command's module, loaded on its
/// first use).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleDir {
    /// `NAME` of each `NAME.mod` whose header GRUB's loader accepts.
    pub loadable: Vec<String>,
    /// `NAME.mod` files GRUB refuses, with what it prints (`ELF header smaller
    /// than expected`, `ELF sections outside core`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub refused: BTreeMap<String, String>,
    /// `moddep.lst`: module → the modules it needs loaded first.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub deps: BTreeMap<String, Vec<String>>,
    /// `command.lst`: command → its module.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub commands: BTreeMap<String, String>,
    /// The listing stopped at bootvet's bound: names past it are not known.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cut: bool,
}

/// How `$prefix`'s device came to be.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum PrefixDevice {
    /// Named in the prefix itself (`(,gpt3)`, `(hd0,gpt3)`).
    Named { name: String },
    /// The device the image was loaded from (no device in the prefix).
    BootDevice { name: String },
    /// An embedded `search.fs_uuid`/`search.fs_label`/`search.file` set `$root`.
    Search {
        how: String,
        key: String,
        /// Nothing matched: GRUB printed `error: no such device: KEY.` and
        /// `$root` stayed at `fallback`.
        found: bool,
        fallback: String,
        /// The volume holding the key, when GRUB cannot read its filesystem
        /// and so cannot see the key (an ext4 with `inline_data`): why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unreadable: Option<String>,
    },
    /// Something bootvet does not follow (cryptomount, lvm/…, a variable).
    Unknown { why: String },
}

/// What an EFI file is (the GRUB image itself is kept once, in `LoaderFacts::image`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "app", rename_all = "snake_case")]
pub enum EfiApp {
    Grub,
    Shim { version: Option<String> },
    Other,
}

impl EfiApp {
    pub fn of(kind: &EfiKind) -> EfiApp {
        match kind {
            EfiKind::Grub(_) => EfiApp::Grub,
            EfiKind::Shim { version, .. } => EfiApp::Shim {
                version: version.clone(),
            },
            EfiKind::Other => EfiApp::Other,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum FsReadable {
    Yes {
        fstype: String,
    },
    /// The device itself is not there: GRUB's `no such partition`, `disk … not found`.
    NoDevice {
        message: String,
    },
    /// GRUB says `unknown filesystem`: why (a refused ext4 feature, no
    /// filesystem, no driver in the image).
    No {
        why: String,
    },
    Unknown {
        why: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Presence {
    Found,
    Missing,
    /// Built into the image (normal.mod in a monolithic EFI image).
    BuiltIn,
    Unknown {
        why: String,
    },
}

/// A module GRUB cannot load, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModuleFailure {
    /// No `NAME.mod` at the prefix: ``file `…/NAME.mod' not found``.
    Missing { module: String },
    /// GRUB's loader refuses the file: what it prints.
    Refused { module: String, message: String },
}

impl ModuleFailure {
    pub fn module(&self) -> &str {
        match self {
            ModuleFailure::Missing { module } | ModuleFailure::Refused { module, .. } => module,
        }
    }
}

/// Bounds the dependency walk (GRUB's deepest chain is a handful of modules).
const MAX_DEP_WALK: usize = 512;

impl ModuleDir {
    /// The first module that loading `name` needs and GRUB cannot load, in the
    /// order `grub_dl_load` meets them (kern/dl.c: a module already loaded or
    /// built into the image is taken as it is; else its file, its header, then
    /// each dependency in turn, depth first). `None`: it loads, or the listing
    /// was cut and the answer is not known.
    pub fn first_failure(&self, name: &str, built_in: &[String]) -> Option<ModuleFailure> {
        let mut seen: Vec<&str> = Vec::new();
        let mut stack = vec![name];
        while let Some(m) = stack.pop() {
            if seen.len() >= MAX_DEP_WALK {
                return None;
            }
            if seen.contains(&m) || built_in.iter().any(|b| b == m) {
                continue;
            }
            seen.push(m);
            if let Some(message) = self.refused.get(m) {
                return Some(ModuleFailure::Refused {
                    module: m.to_string(),
                    message: message.clone(),
                });
            }
            if self
                .loadable
                .binary_search_by(|l| l.as_str().cmp(m))
                .is_err()
            {
                return (!self.cut).then(|| ModuleFailure::Missing {
                    module: m.to_string(),
                });
            }
            if let Some(deps) = self.deps.get(m) {
                stack.extend(deps.iter().rev().map(String::as_str));
            }
        }
        None
    }
}

impl LoaderFacts {
    /// GRUB certainly never reads grub.cfg: a link above it is broken (the
    /// boot code names a core that is not there or not whole, the firmware's
    /// file or shim's second stage is missing, the prefix's device, filesystem
    /// or normal.mod is not there), or grub.cfg itself is missing at the prefix.
    pub fn stops_before_config(&self) -> bool {
        let firmware = match &self.firmware {
            FirmwareStep::Bios {
                chain: BiosRead::Read(chain),
                ..
            } => {
                matches!(
                    chain.boot_sector.kind,
                    crate::inspect::grub_image::BootSectorKind::Grub { .. }
                ) && chain.fault.is_some()
            }
            FirmwareStep::Efi(l) => {
                l.others.is_empty()
                    && !matches!(l.file, EfiFile::Found { .. } | EfiFile::Unknown { .. })
                    || l.second_stage
                        .as_ref()
                        .is_some_and(|s| matches!(s.file, EfiFile::Missing | EfiFile::Bad { .. }))
            }
            _ => false,
        };
        firmware
            || self.prefix.as_ref().is_some_and(|p| {
                matches!(p.device, PrefixDevice::Search { found: false, .. })
                    || matches!(
                        p.filesystem,
                        FsReadable::No { .. } | FsReadable::NoDevice { .. }
                    )
                    || p.normal_mod == Presence::Missing
                    || self.normal_failure().is_some()
                    || p.grub_cfg == Presence::Missing
            })
    }

    /// What stops GRUB loading `normal` from the prefix when its file is there:
    /// the file itself refused, or a module it needs missing or refused.
    pub fn normal_failure(&self) -> Option<ModuleFailure> {
        let p = self.prefix.as_ref()?;
        if p.normal_mod != Presence::Found {
            return None;
        }
        let built_in = self.image.as_ref().map_or(&[][..], |i| &i.modules[..]);
        p.module_dir.as_ref()?.first_failure("normal", built_in)
    }

    /// The GRUB version the modules at the prefix carry (modinfo.sh, else normal.mod).
    pub fn modules_version(&self) -> Option<String> {
        let p = self.prefix.as_ref()?;
        p.modules_version
            .as_ref()
            .and_then(|v| v.package_version.clone().or(v.version.clone()))
            .or_else(|| p.normal_version.clone())
    }
}
