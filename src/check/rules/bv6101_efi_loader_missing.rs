use super::loader_common::loader;
use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::loader::{EfiFile, FirmwareStep};

/// What the firmware does next is its own: seen in QEMU, Debian's OVMF falls
/// through to its built-in UEFI Shell (`Shell>`, after the `startup.nsh`
/// countdown); firmware without a shell shows a "no boot device" screen. No line
/// is certain, so none is promised as will-print.
const NEXT: &str = "the firmware falls through to its next boot option: Debian's OVMF starts its built-in UEFI Shell (`Shell>`), other firmware shows its own \"no boot device\" screen";

pub const INFO: CheckInfo = CheckInfo {
    code: "BV6101",
    name: "efi-loader-missing",
    severity: Severity::Error,
    link: Link::Firmware,
    summary: "the EFI loader file the firmware runs is not on the ESP",
    fix: "`grub-install --target=x86_64-efi --removable` (or `efibootmgr --create` for a vendor path that exists)",
    doc: "## What it checks
The file the firmware starts exists on the EFI System Partition and is a PE
file. Without NVRAM boot entries (a disk image, a disk moved to another
machine, entries lost in a firmware update) that file is the removable
fallback `\\EFI\\BOOT\\BOOTX64.EFI` (UEFI spec 3.5.1; edk2 makes a boot option
for each device holding it). When other loaders sit in vendor directories
(`\\EFI\\debian\\grubx64.efi`) only an NVRAM entry reaches them, which bootvet
does not read here: the finding is then a warning.

## Why it breaks the boot
With no loader file the firmware has nothing to start on this disk. What it
shows then is its own: Debian's OVMF (seen in QEMU) counts down for
`startup.nsh` and stops at its built-in UEFI Shell's `Shell>` prompt; other
firmware shows a \"no boot device\" screen or tries the network.

## Example
    rm /boot/efi/EFI/BOOT/BOOTX64.EFI      # and no Boot#### entry names another file

## Fix
Install GRUB to the removable path: `grub-install --target=x86_64-efi
--efi-directory=/boot/efi --removable` (Debian: `grub-efi-amd64` with
`grub2/force_efi_extra_removable=true`), or create an NVRAM entry for the
vendor loader: `efibootmgr --create --disk /dev/sda --part 1 --loader
'\\EFI\\debian\\shimx64.efi' --label debian`.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(FirmwareStep::Efi(l)) = loader(cx).map(|l| &l.firmware) else {
        return;
    };
    // A Boot#### entry that fails before this fallback carries the finding
    // (BV6150, BV6151): the fallback's absence is its evidence.
    if l.attempts.iter().any(|a| {
        a.number.is_some()
            && matches!(
                a.outcome,
                crate::facts::loader::AttemptOutcome::Fails { .. }
            )
    }) {
        return;
    }
    let on = l
        .esp
        .as_ref()
        .map_or("the disks (no EFI System Partition)".to_string(), |e| {
            format!("({})", e.name)
        });
    match &l.file {
        EfiFile::Missing if l.others.is_empty() => out.push(
            Finding::new(
                &INFO,
                format!("{} is not on {on} and no other EFI loader is there: the firmware finds nothing to boot", l.path),
            )
            .evidence(format!("{} chosen as the {}", l.path, l.chosen_by))
            .evidence(NEXT),
        ),
        EfiFile::Missing => out.push(
            Finding::new(
                &INFO,
                format!(
                    "{} is not on {on}: only an NVRAM boot entry reaches {}",
                    l.path,
                    l.others.join(", ")
                ),
            )
            .severity(Severity::Warning)
            .evidence(format!("{} chosen as the {}", l.path, l.chosen_by))
            .fix("`grub-install --target=x86_64-efi --removable` so the disk boots without NVRAM entries, or check `efibootmgr -v`"),
        ),
        EfiFile::Bad { size, fault } => out.push(
            Finding::new(
                &INFO,
                format!("{} on {on} is not an EFI application the firmware can start", l.path),
            )
            .evidence(format!("{size} bytes: {fault}"))
            .evidence(NEXT),
        ),
        _ => {}
    }
}
