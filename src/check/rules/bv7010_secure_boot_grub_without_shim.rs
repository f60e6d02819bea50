//! BV7010: under Secure Boot, GRUB started by the firmware itself (signed by a
//! key in db, no shim before it) cannot verify kernels: its shim_lock verifier
//! finds no shim to ask.

use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::secure_boot::SbState;
use crate::menu::model::CommandKind;

use super::grub_error;
use super::secure_boot::{Verdict, firmware, first_loader, grub_without_shim, named};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV7010",
    name: "secure-boot-grub-without-shim",
    severity: Severity::Error,
    link: Link::Kernel,
    summary: "with Secure Boot on, the firmware starts GRUB directly (no shim): GRUB's shim_lock verifier has no shim to ask, and refuses every kernel and chainloaded binary, signed or not",
    fix: "boot through shim: install shim-signed and make shimx64.efi the loader the firmware starts (`grub-install --uefi-secure-boot`), with grubx64.efi beside it",
    doc: "## What it checks
Under Secure Boot, GRUB 2.06 (kern/efi/init.c) enables lockdown and calls
`grub_shim_lock_verifier_setup()` (kern/efi/sb.c). Without a shim_lock
protocol it still registers the shim_lock verifier, unless the image was made
with `grub-mkimage --disable-shim-lock` (an OBJ_TYPE_DISABLE_SHIM_LOCK object
in its module area; Debian's signed images have none). That verifier reads
every kernel (`linux`), Multiboot kernel and chainloaded EFI binary whole and
asks shim's `Verify()`: with no protocol it fails with `shim_lock protocol not
found` (GRUB_ERR_ACCESS_DENIED), whatever the file's signature. With
`--disable-shim-lock` only the lockdown verifier is left; it defers these
files to a verifier that is not there (kern/verifiers.c), and GRUB refuses
them with `verification requested but nobody cares: FILE`. This check finds a
GRUB EFI image the firmware starts itself (the first loader is GRUB, not shim)
while Secure Boot is on, and the entries' loading commands.

## Why it breaks the boot
Every Linux entry fails at `linux` (`error: shim_lock protocol not found.`,
then `error: you need to load the kernel first.` at `initrd`) and returns to
the menu: the firmware accepted GRUB, yet nothing after it loads. The QEMU
suite's `sb-grub-no-shim` (Debian's signed GRUB, its CA added to db) shows it
with Debian's signed kernel.

## Example
    \\EFI\\BOOT\\BOOTX64.EFI = grubx64.efi (signed, its CA enrolled in db)
    menuentry 'Debian GNU/Linux' {
        linux /vmlinuz-6.1.0-28-amd64 root=UUID=… ro
        initrd /initrd.img-6.1.0-28-amd64
    }

## Fix
Start GRUB through shim: `apt install shim-signed` and `grub-install
--uefi-secure-boot` (the firmware's boot entry then names shimx64.efi, which
starts grubx64.efi from its own directory). A GRUB meant to run without shim
must be built with `--disable-shim-lock` and still verifies nothing after it
under lockdown; turning Secure Boot off is the other way.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let facts = cx.facts;
    let policy = &facts.secure_boot.policy;
    if policy.state != SbState::On {
        return;
    }
    let Some(grub) = grub_without_shim(facts) else {
        return;
    };
    let Some(first) = first_loader(facts) else {
        return;
    };
    // The firmware must start it: its refusal is BV7001's, and an unknown
    // verdict says nothing about what GRUB does next.
    if !matches!(firmware(policy, first), Verdict::Allowed(_)) {
        return;
    }
    let disabled = grub.area.disable_shim_lock;
    for entry in super::entries(cx) {
        let Some((command, path)) = entry.commands.iter().find_map(|c| match &c.kind {
            CommandKind::Linux { file, .. } | CommandKind::Chainloader { file, .. } => {
                Some((c, file.path.as_str()))
            }
            _ => None,
        }) else {
            continue;
        };
        let (message, prints) = if disabled {
            (
                format!(
                    "GRUB (built with --disable-shim-lock) runs under lockdown with no verifier for `{path}`"
                ),
                grub_error(&format!("verification requested but nobody cares: {path}")),
            )
        } else {
            (
                format!(
                    "GRUB runs without shim under Secure Boot: its shim_lock verifier cannot verify `{path}`"
                ),
                grub_error("shim_lock protocol not found"),
            )
        };
        let mut finding = Finding::new(&INFO, message)
            .entry(entry)
            .at(command.location)
            .evidence(format!(
                "the firmware starts {} itself, a GRUB image with no shim before it",
                named(first)
            ))
            .prints(prints);
        let initrd_after = entry
            .commands
            .iter()
            .skip_while(|c| !std::ptr::eq(*c, command))
            .any(|c| matches!(c.kind, CommandKind::Initrd { .. }));
        if initrd_after {
            finding = finding.prints(grub_error("you need to load the kernel first"));
        }
        out.push(finding.prints("Press any key to continue..."));
    }
}
