use super::loader_common::loader;
use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::loader::{EfiFile, FirmwareStep};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV6102",
    name: "shim-without-second-stage",
    severity: Severity::Error,
    link: Link::Firmware,
    summary: "the firmware runs shim, but its second stage `grubx64.efi` is not beside it",
    fix: "copy or reinstall grubx64.efi next to shim (`grub-install --target=x86_64-efi --uefi-secure-boot`)",
    doc: "## What it checks
When the file the firmware runs is shim (a PE with `.vendor_cert` or a `shim`
row in `.sbat`), its default second stage `grubx64.efi` exists in the same
directory (shim's `DEFAULT_LOADER`).

## Why it breaks the boot
shim opens `grubx64.efi` from its own directory; when it is missing it prints
`Failed to open \\EFI\\…\\grubx64.efi - Not Found` and `start_image() returned
Not Found` (shim.c `start_image`, `efi_main`), then returns to the firmware,
which tries the next boot option or stops.

## Example
    ls /boot/efi/EFI/BOOT/      # BOOTX64.EFI (shim) and fbx64.efi, no grubx64.efi

## Fix
Reinstall GRUB with shim: `grub-install --target=x86_64-efi --uefi-secure-boot
--removable` (Debian: `apt install --reinstall shim-signed grub-efi-amd64-signed`).",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(FirmwareStep::Efi(l)) = loader(cx).map(|l| &l.firmware) else {
        return;
    };
    let Some(second) = &l.second_stage else {
        return;
    };
    let what = match &second.file {
        EfiFile::Missing => "is missing",
        EfiFile::Bad { .. } => "is not an EFI application",
        _ => return,
    };
    out.push(
        Finding::new(
            &INFO,
            format!(
                "{} is shim, and its second stage {} {what}",
                l.path, second.path
            ),
        )
        .evidence(format!("{} chosen as the {}", l.path, l.chosen_by))
        .prints(format!("Failed to open {} - Not Found", second.path))
        .prints("start_image() returned Not Found"),
    );
}
