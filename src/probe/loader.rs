//! The links above grub.cfg, read from the disks (issue 14): what the firmware
//! runs (BIOS: the boot disk's MBR → the sector it names → core.img through the
//! diskboot blocklist; UEFI: a file on the ESP, and shim's `grubx64.efi`), the
//! GRUB image's prefix once its embedded config has run, whether GRUB can read
//! that filesystem, and what is at the prefix. Read-only, through `DiskBytes` and
//! the volume readers; parsing is `inspect::grub_image`'s. What cannot be read
//! (not root, replayed facts, the live firmware's NVRAM) is recorded as unknown.
//!
//! Which EFI file the firmware runs is decided in one place,
//! [`firmware_efi_choice`]: with the firmware's variables (`--efi-vars`, live
//! efivarfs) the boot manager's walk over BootNext, BootOrder and the removable
//! fallback (`probe::bds`); an image alone carries no NVRAM, so the removable
//! fallback `\EFI\BOOT\BOOTX64.EFI` (edk2 `BmEnumerateBootOptions`; reference
//! §2.3, §6).

use std::io::Read;
use std::path::Path;

use super::bds::{self, find_ci};
use super::disk_files::DiskFiles;
use super::fs::VolumeFiles;
use super::grub_names::{GrubDevice, parse_grub_device};
use crate::facts::files::FileKind;
use crate::facts::firmware::BootEntries;
use crate::facts::loader::{
    BiosRead, BootAttempt, EfiApp, EfiFile, EfiLoader, FirmwareStep, FsReadable, LoaderFacts,
    PrefixDevice, PrefixFacts, Presence, SecondStage,
};
use crate::facts::storage::{Source, Storage};
use crate::facts::volumes::{DeviceResolution, VolumeRef, volumes};
use crate::inspect::grub_image::early_config::{self, Step};
use crate::inspect::grub_image::{self, EfiKind, GrubImage, GrubImageKind, version};
use crate::menu::{DeviceExpr, Platform};

/// Largest EFI file read (GRUB images are ≤ a few MiB; Debian's signed one 4 MiB).
const MAX_EFI_FILE: u64 = 64 << 20;
/// Largest normal.mod read for its version string (Debian's is ~200 KiB).
const MAX_MODULE: u64 = 8 << 20;
pub(super) const MAX_MODINFO: u64 = 256 << 10;

/// ext2 `feature_incompat` bits GRUB's ext2 driver refuses in 2.06 and 2.12
/// (grub-core/fs/ext2.c `EXT2_DRIVER_SUPPORTED_INCOMPAT` and
/// `EXT2_DRIVER_IGNORED_INCOMPAT`; reference §3.4): anything not supported or
/// ignored makes `grub_ext2_mount` fail, shown as `unknown filesystem`.
/// metadata_csum_seed (0x2000) and large_dir (0x4000) are refused by upstream
/// 2.06 but ignored by Debian's 2.06 and by 2.12, so they are not listed.
const EXT_REFUSED: &[(u32, &str)] = &[
    (0x1, "compression"),
    (0x8, "journal_dev"),
    (0x400, "ea_inode"),
    (0x1000, "dirdata"),
    (0x8000, "inline_data"),
    (0x20000, "casefold"),
];

/// Where the firmware's choice of file comes from.
pub enum EfiChoice {
    /// The firmware runs `path` on `esp` (`why` says how it was chosen).
    File {
        esp: VolumeRef,
        path: String,
        why: String,
    },
    /// No ESP on the disks.
    NoEsp,
    /// Not decided offline: why.
    Undecided(String),
}

/// The pre-menu chain for a run, from its storage and file source.
pub fn gather(
    storage: &Storage,
    files: &DiskFiles<'_>,
    platform: Platform,
    boot: Option<&BootEntries>,
) -> LoaderFacts {
    let (mut firmware, image, boot_device) = match platform {
        Platform::Efi => efi_firmware(storage, files, boot),
        _ => bios_firmware(storage),
    };
    let prefix = match (&image, boot_device) {
        (Some(image), Some(boot)) => Some(prefix_facts(storage, files, image, &boot, platform)),
        _ => None,
    };
    if let FirmwareStep::Bios {
        chain: BiosRead::Read(chain),
        ..
    } = &mut firmware
    {
        super::prefix_files::check_against_installed(chain, prefix.as_ref(), files);
    }
    LoaderFacts {
        platform,
        firmware,
        image,
        prefix,
    }
}

/// The disk the BIOS boots: the first image; live, the disk holding /boot (else /).
fn boot_disk(storage: &Storage) -> Option<usize> {
    match &storage.source {
        Source::Images => (!storage.disks.is_empty()).then_some(0),
        Source::Live { .. } => ["/boot", "/"].iter().find_map(|mount| {
            volumes(storage).into_iter().find_map(|(v, p, _)| {
                let mounts = match p {
                    Some(p) => &p.mountpoints,
                    None => &storage.disks.get(v.disk?)?.mountpoints,
                };
                mounts
                    .iter()
                    .any(|m| m == mount)
                    .then_some(v.disk)
                    .flatten()
            })
        }),
        Source::Replay { .. } => None,
    }
}

/// BIOS: MBR → kernel_sector → blocklist → core. Returns the firmware step, the
/// core image, and the device GRUB starts with (`hd0`, or `hd0,N` when the core's
/// header names a partition).
fn bios_firmware(storage: &Storage) -> (FirmwareStep, Option<GrubImage>, Option<String>) {
    let unknown = |why: String| (FirmwareStep::Unknown { why }, None, None);
    let Some(index) = boot_disk(storage) else {
        return unknown("the disk the BIOS boots is not known (replayed facts, or no disk)".into());
    };
    let Some(disk) = storage.disks.get(index) else {
        return unknown("no disk".into());
    };
    let step = |chain: BiosRead| FirmwareStep::Bios {
        disk: disk.grub_name.clone(),
        path: disk.path.clone(),
        chain,
    };
    let bytes = match super::handles::disk(Path::new(&disk.path)) {
        Ok(b) => b,
        Err(e) => {
            return (
                step(BiosRead::Unknown {
                    why: format!("{}: {e}", disk.path),
                }),
                None,
                None,
            );
        }
    };
    let size = bytes.size();
    let mbr = match bytes.read_vec(0, 512) {
        Ok(m) => m,
        Err(e) => {
            return (
                step(BiosRead::Unknown {
                    why: format!("{}: reading LBA 0: {e}", disk.path),
                }),
                None,
                None,
            );
        }
    };
    let mut read = |lba: u64, count: u32| -> Option<Vec<u8>> {
        let start = lba.checked_mul(512)?;
        let len = u64::from(count).checked_mul(512)?;
        if start.checked_add(len)? > size {
            return None;
        }
        bytes.read_vec(start, usize::try_from(len).ok()?).ok()
    };
    let chain = grub_image::follow_bios_chain(&mbr, &mut read);
    let image = chain.core.clone();
    // kern/i386/pc/init.c `grub_machine_get_bootlocation`: the BIOS drive, plus
    // the partition the core's header names (0xFF: none).
    let boot = image.as_ref().map(|img| match &img.kind {
        GrubImageKind::Bios { header, .. } if header.boot_device[1] != 0xff => {
            format!(
                "{},{}",
                disk.grub_name,
                u32::from(header.boot_device[1]) + 1
            )
        }
        _ => disk.grub_name.clone(),
    });
    (step(BiosRead::Read(Box::new(chain))), image, boot)
}

/// The one place that decides which EFI file the firmware runs, with the boot
/// manager's steps when its variables were read (`probe::bds`, edk2's BdsDxe).
/// Without variables: an image's firmware has no entries of its own, so the
/// removable fallback; the live system's is not known.
pub fn firmware_efi_choice(
    storage: &Storage,
    files: &DiskFiles<'_>,
    boot: Option<&BootEntries>,
) -> (EfiChoice, Vec<BootAttempt>) {
    let esps: Vec<VolumeRef> = volumes(storage)
        .into_iter()
        .filter(|(_, p, fs)| p.is_some_and(|p| p.type_name.contains("EFI System")) && fs.is_some())
        .map(|(v, _, _)| v)
        .collect();
    let path = bds::REMOVABLE.to_string();
    match (boot, &storage.source) {
        (_, Source::Replay { .. }) | (None, Source::Live { .. }) => {
            let why = "the firmware runs what its Boot#### entries name; they are not read here";
            return (EfiChoice::Undecided(why.into()), Vec::new());
        }
        (Some(entries), _) => {
            let walk = bds::walk(storage, files, entries);
            if let Some((esp, path, why)) = walk.runs {
                return (EfiChoice::File { esp, path, why }, walk.attempts);
            }
            if let Some(why) = walk.undecided {
                return (EfiChoice::Undecided(why), walk.attempts);
            }
            let Some(esp) = esps.first().cloned() else {
                return (EfiChoice::NoEsp, walk.attempts);
            };
            let why = "removable fallback: no boot entry loads".to_string();
            return (EfiChoice::File { esp, path, why }, walk.attempts);
        }
        (None, _) => {}
    }
    let Some(first) = esps.first().cloned() else {
        return (EfiChoice::NoEsp, Vec::new());
    };
    // Without NVRAM entries edk2 makes boot options for every device holding
    // the removable path and tries them in device order.
    let why = "removable fallback (disk images carry no NVRAM Boot#### entries)".to_string();
    let esp = esps
        .iter()
        .find(|esp| {
            files
                .volume(esp)
                .is_ok_and(|vf| find_ci(vf.as_ref(), &path).is_some())
        })
        .cloned()
        .unwrap_or(first);
    (EfiChoice::File { esp, path, why }, Vec::new())
}

pub(super) fn read_bounded(vf: &dyn VolumeFiles, path: &str, max: u64) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    vf.open(path)
        .map_err(|e| e.to_string())?
        .take(max)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// One EFI file: what it is, and the GRUB image inside when it is one.
fn efi_file(vf: &dyn VolumeFiles, path: &str) -> (EfiFile, Option<GrubImage>) {
    let Some(stored) = find_ci(vf, path) else {
        return (EfiFile::Missing, None);
    };
    let bytes = match read_bounded(vf, &stored, MAX_EFI_FILE) {
        Ok(b) => b,
        Err(why) => return (EfiFile::Unknown { why }, None),
    };
    let size = bytes.len() as u64;
    match grub_image::efi::inspect_efi(&bytes) {
        Ok(img) => {
            let app = EfiApp::of(&img.kind);
            let grub = match img.kind {
                EfiKind::Grub(g) => Some(*g),
                _ => None,
            };
            (EfiFile::Found { size, app }, grub)
        }
        Err(fault) => (EfiFile::Bad { size, fault }, None),
    }
}

/// UEFI: the firmware's file, shim's second stage, the GRUB image; the boot
/// device is the ESP the image came from (`cmdpath`, kern/efi/init.c).
fn efi_firmware(
    storage: &Storage,
    files: &DiskFiles<'_>,
    boot: Option<&BootEntries>,
) -> (FirmwareStep, Option<GrubImage>, Option<String>) {
    let (choice, attempts) = firmware_efi_choice(storage, files, boot);
    let (esp, path, why) = match choice {
        EfiChoice::File { esp, path, why } => (esp, path, why),
        EfiChoice::NoEsp => {
            let loader = EfiLoader {
                esp: None,
                chosen_by: "no EFI System Partition on the disks".into(),
                path: r"\EFI\BOOT\BOOTX64.EFI".into(),
                file: EfiFile::Missing,
                second_stage: None,
                others: Vec::new(),
                attempts,
            };
            return (FirmwareStep::Efi(loader), None, None);
        }
        EfiChoice::Undecided(why) => return (FirmwareStep::Unknown { why }, None, None),
    };
    let vf = match files.volume(&esp) {
        Ok(vf) => vf,
        Err(why) => {
            let loader = EfiLoader {
                esp: Some(esp),
                chosen_by: why.clone(),
                path,
                file: EfiFile::Unknown { why },
                second_stage: None,
                others: Vec::new(),
                attempts,
            };
            return (FirmwareStep::Efi(loader), None, None);
        }
    };
    let (file, mut image) = efi_file(vf.as_ref(), &path);
    let second_stage = match &file {
        EfiFile::Found {
            app: EfiApp::Shim { .. },
            ..
        } => {
            // shim loads DEFAULT_LOADER (`\grubx64.efi`) from its own directory.
            let dir = path.rsplit_once('\\').map_or("", |(d, _)| d);
            let second = format!(r"{dir}\grubx64.efi");
            let (file, grub) = efi_file(vf.as_ref(), &second);
            image = grub;
            Some(Box::new(SecondStage { path: second, file }))
        }
        _ => None,
    };
    // With the firmware's entries read, what it runs is known: the other
    // loaders on the ESP are not "maybe reached by an entry" any more.
    let others = if boot.is_some() {
        Vec::new()
    } else {
        other_efi_files(vf.as_ref(), &path)
    };
    let loader = EfiLoader {
        esp: Some(esp.clone()),
        chosen_by: why,
        path,
        file,
        second_stage,
        others,
        attempts,
    };
    (FirmwareStep::Efi(loader), image, Some(esp.name))
}

/// `\EFI\VENDOR\*.efi` other than the chosen file (at most 64).
fn other_efi_files(vf: &dyn VolumeFiles, chosen: &str) -> Vec<String> {
    let Some(efi) = find_ci(vf, "/EFI") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for dir in vf.list_dir(&efi).unwrap_or_default().iter().take(64) {
        if dir.kind != FileKind::Directory {
            continue;
        }
        let inside = format!("{efi}/{}", dir.name);
        for f in vf.list_dir(&inside).unwrap_or_default().iter().take(64) {
            let p = format!(r"\EFI\{}\{}", dir.name, f.name);
            if f.kind == FileKind::File
                && f.name.to_ascii_lowercase().ends_with(".efi")
                && !p.eq_ignore_ascii_case(chosen)
            {
                out.push(p);
            }
        }
    }
    out.truncate(64);
    out
}

/// `$prefix` after `grub_set_prefix_and_root` and the embedded config, and what
/// is there.
fn prefix_facts(
    storage: &Storage,
    files: &DiskFiles<'_>,
    image: &GrubImage,
    boot: &str,
    platform: Platform,
) -> PrefixFacts {
    let embedded = image.prefix.clone().unwrap_or_default();
    let (named, dir) = early_config::split_prefix(&embedded);
    // A device of `,gpt3` is a partition of the boot disk; none is the boot device.
    let boot_disk = boot.split(',').next().unwrap_or(boot).to_string();
    let (mut root, mut device) = match named {
        Some(d) if d.starts_with(',') => {
            let name = format!("{boot_disk}{d}");
            (name.clone(), PrefixDevice::Named { name })
        }
        Some(d) if !d.is_empty() => (d.clone(), PrefixDevice::Named { name: d }),
        _ => (
            boot.to_string(),
            PrefixDevice::BootDevice {
                name: boot.to_string(),
            },
        ),
    };
    let mut prefix = format!("({root}){dir}");
    for step in early_config::steps(image.config.as_deref().unwrap_or("")) {
        match step {
            Step::Search { how, key, var } => {
                let expr = match how.as_str() {
                    "fs_uuid" => DeviceExpr::FsUuid {
                        uuid: key.clone(),
                        hints: Vec::new(),
                        otherwise: None,
                    },
                    "fs_label" => DeviceExpr::Label {
                        label: key.clone(),
                        hints: Vec::new(),
                        otherwise: None,
                    },
                    _ => DeviceExpr::File {
                        path: key.clone(),
                        hints: Vec::new(),
                        otherwise: None,
                    },
                };
                if var != "root" {
                    continue;
                }
                // search.c asks each filesystem for its UUID or label through
                // GRUB's own drivers: one GRUB cannot mount is never matched.
                let resolved = match files.resolve(&expr) {
                    DeviceResolution::Found { volume, .. } => {
                        match grub_reads(storage, image, &volume) {
                            FsReadable::No { why } => Err(Some(why)),
                            _ => Ok(volume),
                        }
                    }
                    DeviceResolution::Missing { .. } => Err(None),
                    DeviceResolution::Unknown { why } => {
                        device = PrefixDevice::Unknown { why };
                        continue;
                    }
                };
                match resolved {
                    Ok(volume) => {
                        root = volume.name.clone();
                        device = PrefixDevice::Search {
                            how,
                            key,
                            found: true,
                            fallback: String::new(),
                            unreadable: None,
                        };
                    }
                    Err(unreadable) => {
                        device = PrefixDevice::Search {
                            how,
                            key,
                            found: false,
                            fallback: root.clone(),
                            unreadable,
                        };
                    }
                }
            }
            Step::Set { var, value } => {
                let v = early_config::expand(&value, |n| match n {
                    "root" => Some(root.clone()),
                    "prefix" => Some(prefix.clone()),
                    _ => None,
                });
                match var.as_str() {
                    "prefix" => prefix = v,
                    "root" => root = v,
                    _ => {}
                }
            }
            Step::Other { command } if command == "cryptomount" => {
                device = PrefixDevice::Unknown {
                    why: "the embedded config opens an encrypted volume (cryptomount)".into(),
                };
            }
            Step::Other { .. } => {}
        }
    }
    let (dev, dir) = early_config::split_prefix(&prefix);
    let dev = dev.unwrap_or_else(|| root.clone());
    let platform_dir = match (platform, &image.kind) {
        (Platform::Efi, GrubImageKind::Efi { machine: 0x14c, .. }) => "i386-efi",
        (Platform::Efi, _) => "x86_64-efi",
        _ => "i386-pc",
    }
    .to_string();
    let mut facts = PrefixFacts {
        embedded,
        value: format!("({dev}){dir}"),
        dir: dir.clone(),
        device,
        volume: None,
        filesystem: FsReadable::Unknown { why: String::new() },
        platform_dir,
        normal_mod: Presence::Unknown { why: String::new() },
        normal_version: None,
        modules_version: None,
        grub_cfg: Presence::Unknown { why: String::new() },
        module_dir: None,
    };
    if let PrefixDevice::Unknown { why } = &facts.device {
        facts.filesystem = FsReadable::Unknown { why: why.clone() };
        return at_prefix(facts, files, image, None);
    }
    let volume = match prefix_volume(storage, files, &dev) {
        Ok(v) => v,
        Err(readable) => {
            facts.filesystem = readable;
            return at_prefix(facts, files, image, None);
        }
    };
    facts.filesystem = grub_reads(storage, image, &volume);
    facts.volume = Some(volume.clone());
    at_prefix(facts, files, image, Some(volume))
}

/// The volume a prefix device names, or what GRUB then says.
fn prefix_volume(
    storage: &Storage,
    files: &DiskFiles<'_>,
    dev: &str,
) -> Result<VolumeRef, FsReadable> {
    match parse_grub_device(dev) {
        Some(GrubDevice::Disk(n)) => {
            let disk = storage.disks.iter().position(|d| d.grub_name == dev);
            if let Some(d) = disk
                && storage.disks[d].filesystem.is_none()
            {
                // A whole disk holding a partition table: no filesystem on it.
                return Err(FsReadable::No {
                    why: format!("({dev}) is the whole disk, which holds no filesystem"),
                });
            }
            let _ = n;
        }
        Some(_) => {}
        None => {
            return Err(FsReadable::Unknown {
                why: format!("`{dev}` is a GRUB device bootvet does not follow"),
            });
        }
    }
    match files.resolve(&DeviceExpr::Grub {
        name: dev.to_string(),
    }) {
        DeviceResolution::Found { volume, .. } => Ok(volume),
        DeviceResolution::Missing { message } => Err(FsReadable::NoDevice { message }),
        DeviceResolution::Unknown { why } => Err(FsReadable::Unknown { why }),
    }
}

/// Whether GRUB's core, with the modules it embeds, reads the prefix's filesystem.
fn grub_reads(storage: &Storage, image: &GrubImage, volume: &VolumeRef) -> FsReadable {
    let Some(disk) = volume.disk.and_then(|d| storage.disks.get(d)) else {
        return FsReadable::Unknown {
            why: "no such disk in the facts".into(),
        };
    };
    let partition = volume.partition.and_then(|i| disk.partitions.get(i));
    let area = disk.area(partition);
    let Some(fs) = area.filesystem else {
        return FsReadable::No {
            why: format!("({}) holds no filesystem", volume.name),
        };
    };
    let module = match fs.fstype.as_str() {
        "ext2" | "ext3" | "ext4" => "ext2",
        "vfat" => "fat",
        "btrfs" => "btrfs",
        "xfs" => "xfs",
        "iso9660" => "iso9660",
        other => {
            return FsReadable::No {
                why: format!("GRUB has no driver for {other}"),
            };
        }
    };
    if !image.modules.iter().any(|m| m == module) {
        return FsReadable::No {
            why: format!(
                "the GRUB image embeds no `{module}` module for {}",
                fs.fstype
            ),
        };
    }
    if module == "ext2" {
        let sb = super::handles::disk(Path::new(&disk.path))
            .map_err(|e| e.to_string())
            .and_then(|b| {
                b.read_vec(area.start_byte + 1024, 1024)
                    .map_err(|e| e.to_string())
            });
        let sb = match sb {
            Ok(sb) => sb,
            Err(why) => {
                return FsReadable::Unknown {
                    why: format!("the superblock of ({}) was not read: {why}", volume.name),
                };
            }
        };
        let le = |at: usize| -> u32 {
            sb.get(at..at + 4)
                .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        };
        let revision = le(0x4c);
        let incompat = le(0x60);
        let refused: Vec<String> = EXT_REFUSED
            .iter()
            .filter(|(bit, _)| revision != 0 && incompat & bit != 0)
            .map(|(bit, name)| format!("{name} ({bit:#x})"))
            .collect();
        if !refused.is_empty() {
            return FsReadable::No {
                why: format!(
                    "({}) is {} with the incompatible feature{} {} that GRUB's ext2 driver refuses",
                    volume.name,
                    fs.fstype,
                    if refused.len() == 1 { "" } else { "s" },
                    refused.join(", ")
                ),
            };
        }
    }
    FsReadable::Yes {
        fstype: fs.fstype.clone(),
    }
}

/// `PLATFORM/normal.mod`, `modinfo.sh` and `grub.cfg` at the prefix.
fn at_prefix(
    mut facts: PrefixFacts,
    files: &DiskFiles<'_>,
    image: &GrubImage,
    volume: Option<VolumeRef>,
) -> PrefixFacts {
    let built_in = image.modules.iter().any(|m| m == "normal");
    let unknown = |why: &str| Presence::Unknown { why: why.into() };
    let not_read = match &facts.filesystem {
        FsReadable::Yes { .. } => None,
        FsReadable::Unknown { why } => Some(format!("not read: {why}")),
        _ => Some("GRUB cannot read the prefix's filesystem".into()),
    };
    let vf = volume.as_ref().map(|v| files.volume(v));
    let vf = match (not_read, vf) {
        (None, Some(Ok(vf))) => vf,
        (why, vf) => {
            let from_volume = match vf {
                Some(Err(e)) => Some(e),
                _ => None,
            };
            let why = why.or(from_volume).unwrap_or_else(|| "no volume".into());
            facts.normal_mod = if built_in {
                Presence::BuiltIn
            } else {
                unknown(&why)
            };
            facts.grub_cfg = unknown(&why);
            return facts;
        }
    };
    let dir = facts.dir.trim_end_matches('/').to_string();
    let platform = format!("{dir}/{}", facts.platform_dir);
    let exists = |p: &str| match vf.stat(p) {
        Ok(s) if s.kind == FileKind::File => Presence::Found,
        Ok(_) => Presence::Missing,
        Err(super::fs::FileError::NotFound(_) | super::fs::FileError::NotADirectory(_)) => {
            Presence::Missing
        }
        Err(e) => Presence::Unknown { why: e.to_string() },
    };
    facts.normal_mod = if built_in {
        Presence::BuiltIn
    } else {
        exists(&format!("{platform}/normal.mod"))
    };
    if facts.normal_mod == Presence::Found {
        facts.normal_version =
            read_bounded(vf.as_ref(), &format!("{platform}/normal.mod"), MAX_MODULE)
                .ok()
                .and_then(|b| version::normal_mod_version(&b));
    }
    facts.modules_version =
        read_bounded(vf.as_ref(), &format!("{platform}/modinfo.sh"), MAX_MODINFO)
            .ok()
            .and_then(|b| version::parse_modinfo(&String::from_utf8_lossy(&b)).version());
    facts.module_dir = super::prefix_files::module_dir(vf.as_ref(), &platform, &facts.platform_dir);
    // A monolithic image with a memdisk (Debian's signed grubx64.efi) runs its
    // own script, which picks among several grub.cfg paths.
    facts.grub_cfg = if image.memdisk.is_some() {
        unknown("the image's memdisk script chooses which grub.cfg it reads")
    } else {
        exists(&format!("{dir}/grub.cfg"))
    };
    facts
}
