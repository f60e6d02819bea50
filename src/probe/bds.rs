//! Which EFI file the firmware runs, walked the way edk2's boot manager walks its
//! variables (issue 14), over the disks' partitions and ESP files. Read from
//! tianocore/edk2 @c5aa7e7 (the reference's version):
//!
//! - `MdeModulePkg/Universal/BdsDxe/BdsEntry.c` `BdsEntry`: `BootNext` first, read
//!   before the platform code runs and deleted before it is booted; its option is
//!   booted whatever its attributes (`EfiBootManagerVariableToLoadOption` then
//!   `EfiBootManagerBoot`), and a `BootNext` naming no `Boot####` is passed over
//!   in silence. Then `BootBootOptions` over `BootOrder`
//!   (`EfiBootManagerGetLoadOptions`, which leaves out numbers with no variable):
//!   options without `LOAD_OPTION_ACTIVE`, or outside the BOOT category, are
//!   skipped; `EfiBootManagerBoot` returns on a failure and the loop goes on with
//!   the next option.
//! - `MdeModulePkg/Library/UefiBootManagerLib/BmBoot.c`: a short-form
//!   `HD(...)/File(...)` is expanded by `BmExpandPartitionDevicePath`, which
//!   matches partitions by `BmMatchPartitionDevicePathNode`: partition number,
//!   MBR type, signature type and signature, not start nor size. A path ending at
//!   a device or partition gets `\EFI\BOOT\BOOTX64.EFI` appended
//!   (`BmExpandMediaDevicePath`, `EFI_REMOVABLE_MEDIA_FILE_NAME`). A file that is
//!   not there fails with `EFI_NOT_FOUND` (`BmGetNextLoadOptionBuffer` returns
//!   NULL), reported by `BmReportLoadFailure`.
//! - `EfiBootManagerRefreshAllBootOption`, which OVMF's `PlatformBootManagerAfter
//!   Console` (`OvmfPkg/Library/PlatformBootManagerLib/BdsPlatform.c`) runs on
//!   every boot: `BmEnumerateBootOptions` makes one option per whole block device
//!   (removable ones first, then fixed, in handle order), marked by the optional
//!   data `mBmAutoCreateBootOptionGuid`, deletes the marked options of devices no
//!   longer there and appends new ones to `BootOrder`. Booting one tries
//!   `\EFI\BOOT\BOOTX64.EFI` on each filesystem of that device. So after the
//!   user's entries come the disks' removable paths, in disk order; an option the
//!   user or an installer made is never deleted, however stale.
//! - OvmfPkg `PlatformBmPrintScLib` `HandleStatusCode`: each failure is printed
//!   `BdsDxe: failed to load Boot0001 "debian" from HD(…)/\EFI\debian\…: Not Found`
//!   (`Boot%04x`, the description, `ConvertDevicePathToText`, `%r`).
//! - QEMU's `bootorder` fw_cfg file reorders `BootOrder` (`SetBootOrderFromQemu`)
//!   only when a device has a `bootindex`: the QEMU suite sets none.
//!
//! Seen in QEMU (Debian's OVMF 2022.11, the suite's `entry-*` scenarios): a
//! `Boot0001` whose file is not on its ESP prints `BdsDxe: failed to load
//! Boot0001 "debian" from HD(2,GPT,<GUID upper case>,0x1000,0x8000)/\EFI\debian\
//! shimx64.efi: Not Found`, then `… Boot0002 "UEFI Misc Device" from
//! PciRoot(0x0)/Pci(0x3,0x0): Not Found` (the auto-created option of the virtio
//! disk, no `\EFI\BOOT\BOOTX64.EFI` on it), then starts `Boot0003 "EFI Internal
//! Shell"` and waits at `Shell>`; with the removable path there, the auto-created
//! option boots it.
//!
//! Other firmware follows the UEFI spec's BootNext/BootOrder rules too (§3.1);
//! whether it re-creates removable-media options is its own: bootvet models edk2.

use std::io::Read;

use super::disk_files::DiskFiles;
use super::fs::VolumeFiles;
use crate::facts::firmware::{BootEntries, BootEntry};
use crate::facts::loader::{AttemptBy, AttemptFailure, AttemptOutcome, BootAttempt};
use crate::facts::storage::{Storage, TableKind};
use crate::facts::volumes::{VolumeRef, volumes};
use crate::inspect::efivars::boot::{self, LOAD_OPTION_CATEGORY, Node, PartSignature};
use crate::inspect::grub_image;

/// `EFI_REMOVABLE_MEDIA_FILE_NAME_X64` (`MdePkg/Include/Uefi/UefiSpec.h`).
pub const REMOVABLE: &str = r"\EFI\BOOT\BOOTX64.EFI";

/// Largest loader file read to see that it is a PE image.
const MAX_EFI_FILE: u64 = 64 << 20;

/// The walk's result: every step, and the file that runs.
pub struct Walk {
    pub attempts: Vec<BootAttempt>,
    /// The ESP and file the firmware starts, and why this one.
    pub runs: Option<(VolumeRef, String, String)>,
    /// The walk met an entry bootvet does not follow before anything ran.
    pub undecided: Option<String>,
}

/// Walks BootNext, BootOrder and the removable fallback over the disks.
pub fn walk(storage: &Storage, files: &DiskFiles<'_>, entries: &BootEntries) -> Walk {
    let mut w = Walker {
        storage,
        files,
        walk: Walk {
            attempts: Vec::new(),
            runs: None,
            undecided: None,
        },
        removable_done: false,
    };
    if let Some(n) = entries.next {
        match entries.entry(n) {
            // BdsEntry.c boots BootNext's option without looking at its attributes.
            Some(e) => w.entry(e, AttemptBy::BootNext),
            None => w.push(
                AttemptBy::BootNext,
                Some(n),
                String::new(),
                String::new(),
                AttemptOutcome::Fails {
                    why: AttemptFailure::NoVariable,
                    printed: None,
                },
            ),
        }
    }
    for &n in entries.order.as_deref().unwrap_or_default() {
        if w.done() {
            break;
        }
        let Some(e) = entries.entry(n) else {
            let why = format!("no Boot{n:04X} variable");
            w.skip(AttemptBy::BootOrder, Some(n), String::new(), why);
            continue;
        };
        if let Some(fault) = &e.option.fault {
            // EfiBootManagerVariableToLoadOption refuses a malformed option.
            let why = format!("malformed: {fault}");
            w.skip(
                AttemptBy::BootOrder,
                Some(n),
                e.option.description.clone(),
                why,
            );
            continue;
        }
        if e.option.attributes & boot::LOAD_OPTION_ACTIVE == 0 {
            let why = "not active (LOAD_OPTION_ACTIVE clear)".to_string();
            w.skip(
                AttemptBy::BootOrder,
                Some(n),
                e.option.description.clone(),
                why,
            );
            continue;
        }
        if e.option.attributes & LOAD_OPTION_CATEGORY != 0 {
            let why = "not a boot option (LOAD_OPTION_CATEGORY_APP)".to_string();
            w.skip(
                AttemptBy::BootOrder,
                Some(n),
                e.option.description.clone(),
                why,
            );
            continue;
        }
        w.entry(e, AttemptBy::BootOrder);
    }
    if !w.done() {
        w.removable();
    }
    w.walk
}

struct Walker<'a, 'f> {
    storage: &'a Storage,
    files: &'a DiskFiles<'f>,
    walk: Walk,
    removable_done: bool,
}

impl Walker<'_, '_> {
    fn done(&self) -> bool {
        self.walk.runs.is_some() || self.walk.undecided.is_some()
    }

    fn push(
        &mut self,
        by: AttemptBy,
        number: Option<u16>,
        description: String,
        path: String,
        outcome: AttemptOutcome,
    ) {
        self.walk.attempts.push(BootAttempt {
            by,
            number,
            description,
            path,
            outcome,
        });
    }

    fn skip(&mut self, by: AttemptBy, number: Option<u16>, description: String, why: String) {
        self.push(
            by,
            number,
            description,
            String::new(),
            AttemptOutcome::Skipped { why },
        );
    }

    /// `EfiBootManagerBoot` on one option.
    fn entry(&mut self, e: &BootEntry, by: AttemptBy) {
        let o = &e.option;
        let (number, desc, text) = (Some(e.number), o.description.clone(), e.text.clone());
        if o.auto_created {
            // The firmware's own option for a whole device: re-made every boot for
            // the devices present; its hardware path is not mapped to an image,
            // so the disks' removable paths are tried in disk order, once.
            self.removable();
            return;
        }
        if let Some(Node::File { .. }) = o.path.first() {
            self.file_only(e, by);
            return;
        }
        let Some(Node::HardDrive {
            partition,
            signature,
            ..
        }) = o.partition()
        else {
            let why = format!(
                "Boot{:04X} \"{desc}\" ({text}) names no partition (HD) on a disk: a device, network or firmware-volume entry bootvet does not follow",
                e.number
            );
            self.walk.undecided = Some(why.clone());
            self.push(by, number, desc, text, AttemptOutcome::Unknown { why });
            return;
        };
        // OvmfPkg PlatformBmPrintScLib: `%a: failed to %a %s "%s" from %s: %r`.
        let printed = |status: &str| {
            boot::edk2_text(&o.path).map(|p| {
                format!(
                    "BdsDxe: failed to load Boot{:04x} \"{desc}\" from {p}: {status}",
                    e.number
                )
            })
        };
        let Some(volume) = self.partition(*partition, signature) else {
            let outcome = AttemptOutcome::Fails {
                why: AttemptFailure::NoPartition {
                    partition: o.partition().map(ToString::to_string).unwrap_or_default(),
                },
                printed: printed("Not Found"),
            };
            self.push(by, number, desc, text, outcome);
            return;
        };
        let file = o.file().unwrap_or_else(|| REMOVABLE.to_string());
        let outcome = match self.load(&volume, &file) {
            Ok(()) => {
                let why = format!("Boot{:04X} \"{desc}\" ({})", e.number, by_name(by));
                self.walk.runs = Some((volume.clone(), file.clone(), why));
                AttemptOutcome::Runs { esp: volume, file }
            }
            Err(Load::Missing) => AttemptOutcome::Fails {
                why: AttemptFailure::FileMissing { esp: volume, file },
                printed: printed("Not Found"),
            },
            Err(Load::Bad(fault)) => AttemptOutcome::Fails {
                why: AttemptFailure::NotLoadable {
                    esp: volume,
                    file,
                    fault,
                },
                // LoadImage's status depends on how the PE is broken.
                printed: None,
            },
            Err(Load::Unknown(why)) => {
                self.walk.undecided = Some(why.clone());
                AttemptOutcome::Unknown { why }
            }
        };
        self.push(by, number, desc, text, outcome);
    }

    /// A path that is only `File()`: `BmExpandFileDevicePath` appends it to every
    /// filesystem (removable media first, then fixed) and `BmGetNextLoadOption
    /// Buffer` (`BmLoadOption.c`) takes the first expansion whose file reads.
    fn file_only(&mut self, e: &BootEntry, by: AttemptBy) {
        let o = &e.option;
        let file = o.file().unwrap_or_default();
        let (number, desc, text) = (Some(e.number), o.description.clone(), e.text.clone());
        for v in self.fat_volumes() {
            match self.load(&v, &file) {
                Ok(()) => {
                    let why = format!("Boot{:04X} \"{desc}\" ({})", e.number, by_name(by));
                    self.walk.runs = Some((v.clone(), file.clone(), why));
                    let outcome = AttemptOutcome::Runs { esp: v, file };
                    self.push(by, number, desc, text, outcome);
                    return;
                }
                Err(Load::Missing | Load::Bad(_)) => continue,
                Err(Load::Unknown(why)) => {
                    self.walk.undecided = Some(why.clone());
                    self.push(by, number, desc, text, AttemptOutcome::Unknown { why });
                    return;
                }
            }
        }
        let printed = boot::edk2_text(&o.path).map(|p| {
            format!(
                "BdsDxe: failed to load Boot{:04x} \"{desc}\" from {p}: Not Found",
                e.number
            )
        });
        let outcome = AttemptOutcome::Fails {
            why: AttemptFailure::NoFile { file },
            printed,
        };
        self.push(by, number, desc, text, outcome);
    }

    /// Every FAT filesystem on a partition, in disk order.
    fn fat_volumes(&self) -> Vec<VolumeRef> {
        volumes(self.storage)
            .into_iter()
            .filter(|(_, p, fs)| p.is_some() && fs.is_some_and(|f| f.fstype == "vfat"))
            .map(|(v, _, _)| v)
            .collect()
    }

    /// The partition an `HD()` node names, matched as
    /// `BmMatchPartitionDevicePathNode` does: number and signature.
    fn partition(&self, number: u32, signature: &PartSignature) -> Option<VolumeRef> {
        volumes(self.storage).into_iter().find_map(|(v, p, _)| {
            let p = p?;
            let disk = self.storage.disks.get(v.disk?)?;
            let table = disk.table.as_ref()?;
            let same = match signature {
                PartSignature::Gpt(g) => {
                    table.kind == TableKind::Gpt
                        && p.partuuid
                            .as_deref()
                            .is_some_and(|u| u.eq_ignore_ascii_case(&g.to_string()))
                }
                PartSignature::Mbr(sig) => {
                    table.kind != TableKind::Gpt
                        && table.id.eq_ignore_ascii_case(&format!("{sig:08x}"))
                }
                _ => false,
            };
            (same && p.number == number).then_some(v)
        })
    }

    /// What `BmGetNextLoadOptionBuffer` + `LoadImage` make of `file` on `volume`.
    fn load(&self, volume: &VolumeRef, file: &str) -> Result<(), Load> {
        let vf = match self.files.volume(volume) {
            Ok(vf) => vf,
            Err(why) => {
                let holds_fs = volume
                    .disk
                    .and_then(|d| self.storage.disks.get(d))
                    .and_then(|d| d.partitions.get(volume.partition?))
                    .is_some_and(|p| p.filesystem.is_some());
                // No filesystem at all: nothing for the firmware's FAT driver.
                return Err(if holds_fs {
                    Load::Unknown(format!("({}) was not read: {why}", volume.name))
                } else {
                    Load::Missing
                });
            }
        };
        let Some(stored) = find_ci(vf.as_ref(), file) else {
            return Err(Load::Missing);
        };
        let mut bytes = Vec::new();
        let read = vf.open(&stored).map_err(|e| e.to_string()).and_then(|f| {
            f.take(MAX_EFI_FILE)
                .read_to_end(&mut bytes)
                .map_err(|e| e.to_string())
        });
        if let Err(e) = read {
            return Err(Load::Unknown(format!("{file} on ({}): {e}", volume.name)));
        }
        grub_image::efi::inspect_efi(&bytes)
            .map(|_| ())
            .map_err(|fault| Load::Bad(fault.to_string()))
    }

    /// The removable fallback: `\EFI\BOOT\BOOTX64.EFI` on each FAT filesystem of
    /// each disk, in disk order (OVMF's auto-created options).
    fn removable(&mut self) {
        if self.removable_done {
            return;
        }
        self.removable_done = true;
        for v in self.fat_volumes() {
            let outcome = match self.load(&v, REMOVABLE) {
                Ok(()) => {
                    let why = "removable fallback (after the boot entries)".to_string();
                    self.walk.runs = Some((v.clone(), REMOVABLE.to_string(), why));
                    AttemptOutcome::Runs {
                        esp: v,
                        file: REMOVABLE.to_string(),
                    }
                }
                Err(Load::Missing) => continue,
                Err(Load::Bad(fault)) => AttemptOutcome::Fails {
                    why: AttemptFailure::NotLoadable {
                        esp: v,
                        file: REMOVABLE.to_string(),
                        fault,
                    },
                    printed: None,
                },
                Err(Load::Unknown(why)) => {
                    self.walk.undecided = Some(why.clone());
                    AttemptOutcome::Unknown { why }
                }
            };
            let done = !matches!(outcome, AttemptOutcome::Fails { .. });
            self.push(
                AttemptBy::Removable,
                None,
                String::new(),
                REMOVABLE.to_string(),
                outcome,
            );
            if done {
                return;
            }
        }
    }
}

enum Load {
    Missing,
    Bad(String),
    Unknown(String),
}

fn by_name(by: AttemptBy) -> &'static str {
    match by {
        AttemptBy::BootNext => "BootNext",
        AttemptBy::BootOrder => "BootOrder",
        AttemptBy::Removable => "removable fallback",
    }
}

/// A path looked up one component at a time without regard to case, as the
/// firmware's FAT driver does; the path as stored.
pub fn find_ci(vf: &dyn VolumeFiles, path: &str) -> Option<String> {
    let mut at = String::new();
    for part in path.split(['\\', '/']).filter(|p| !p.is_empty()) {
        let dir = if at.is_empty() { "/" } else { at.as_str() };
        let entries = vf.list_dir(dir).ok()?;
        let found = entries.iter().find(|e| e.name.eq_ignore_ascii_case(part))?;
        at = format!("{at}/{}", found.name);
    }
    Some(at)
}
