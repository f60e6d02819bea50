use super::loader_common::{efi_walk, entry_name, failed_entry};
use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::loader::{AttemptFailure, AttemptOutcome};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV6151",
    name: "boot-entry-file-missing",
    severity: Severity::Error,
    link: Link::Firmware,
    summary: "a firmware boot entry's loader file is not on its ESP",
    fix: "reinstall the loader where the entry points (`grub-install`), or point the entry at a file that is there (`efibootmgr`)",
    doc: "## What it checks
For each `Boot####` entry the firmware will try (BootNext, then BootOrder,
active boot entries only) whose partition is on the disks: the file its
`File()` node names (or `\\EFI\\BOOT\\BOOTX64.EFI` when it names none) exists on
that partition's FAT filesystem, looked up without regard to case as the
firmware's FAT driver does, and is a PE image the firmware can load.

## Why it breaks the boot
A missing file fails the entry: OVMF prints `BdsDxe: failed to load Boot0001
\"debian\" from HD(…)/\\EFI\\debian\\shimx64.efi: Not Found` and goes on with the
next entry in BootOrder, then with each disk's removable path (edk2
`BdsEntry.c` `BootBootOptions`, `BmBoot.c`). A later entry that loads makes this
a warning (the machine boots, through the fallback); when none does, nothing
boots. Files go missing when the ESP is restored from an old copy, a vendor
directory is cleaned by hand, or a distribution switches from `grubx64.efi` to
`shimx64.efi` without updating the entry.

## Example
    rm -r /boot/efi/EFI/debian                  # Boot0001 still names \\EFI\\debian\\shimx64.efi

## Fix
Reinstall the loader where the entry points (`grub-install
--target=x86_64-efi --efi-directory=/boot/efi`, which also rewrites the entry),
or change the entry with `efibootmgr`; a removable loader (`grub-install
--removable`) boots when no entry does.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(l) = efi_walk(cx) else {
        return;
    };
    for a in l.attempts.iter().filter(|a| a.number.is_some()) {
        let AttemptOutcome::Fails { why, printed } = &a.outcome else {
            continue;
        };
        let message = match why {
            AttemptFailure::FileMissing { esp, file } => {
                format!(
                    "{} names {file}, which is not on ({})",
                    entry_name(a),
                    esp.name
                )
            }
            AttemptFailure::NoFile { file } => format!(
                "{} names {file} on any disk, and no filesystem on the disks holds it",
                entry_name(a)
            ),
            AttemptFailure::NotLoadable { esp, file, fault } => format!(
                "{} names {file} on ({}), which is not an EFI image the firmware can load: {fault}",
                entry_name(a),
                esp.name
            ),
            _ => continue,
        };
        out.push(
            failed_entry(&INFO, l, message, printed.as_ref()).evidence(format!(
                "{}: {}",
                entry_name(a),
                a.path
            )),
        );
    }
}
