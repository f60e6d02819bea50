use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::secure_boot::SbState;

use super::secure_boot::{Verdict, firmware, first_loader, for_every_entry, named};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV7001",
    name: "secure-boot-firmware-rejects-loader",
    severity: Severity::Error,
    link: Link::Config,
    summary: "with Secure Boot on, the firmware refuses the first boot loader (not signed by a db key, or revoked in dbx)",
    fix: "install the distribution's signed shim (Debian/Ubuntu: `apt install shim-signed`, then `grub-install`), or enroll its signer in db",
    doc: "## What it checks
With Secure Boot on, the firmware verifies the EFI binary it starts first (shim,
or GRUB without shim) as edk2 does (`DxeImageVerificationHandler()`): a
signature chaining to a dbx certificate, a dbx-revoked certificate hash, or the
image's hash in dbx rejects it; otherwise one signature chaining to a db
certificate, or its hash in db, admits it. Expiry and EKU are not checked.

## Why it breaks the boot
Nothing of GRUB runs: OVMF prints `BdsDxe: failed to load Boot0001 \"…\" from
…: Access Denied` and tries the next boot option; other firmware shows its own
Secure Boot violation screen. A shim signed only by Microsoft's 2023 UEFI CA on a
machine whose db holds only the 2011 CA fails this way, as does an unsigned GRUB
installed with `grub-install --no-uefi-secure-boot`.

## Example
    \\EFI\\BOOT\\BOOTX64.EFI unsigned (grub-mkimage), db: Microsoft UEFI CA 2011

## Fix
Install the distribution's signed shim and GRUB (`apt install shim-signed
grub-efi-amd64-signed`, then `grub-install`); or, for your own loader, enroll
its certificate in db from the firmware setup; or (last) turn Secure Boot off.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let policy = &cx.facts.secure_boot.policy;
    if policy.state != SbState::On {
        return;
    }
    let Some(first) = first_loader(cx.facts) else {
        return;
    };
    let why = match firmware(policy, first) {
        Verdict::Denied(w) | Verdict::NotAllowed(w) => w,
        _ => return,
    };
    let finding = Finding::new(
        &INFO,
        format!("the firmware refuses {} under Secure Boot", named(first)),
    )
    .evidence(why)
    .evidence(format!("Secure Boot on: {}", policy.why))
    // OVMF's words (OvmfPkg/Library/PlatformBmPrintScLib/StatusCodeHandler.c; seen on
    // the QEMU suite's sb-unsigned-loader: `Boot0001 "UEFI Misc Device"`): the load
    // option's number and description are the firmware's, not on the disk, so `…`
    // stands for them as for any text.
    .prints("BdsDxe: failed to load Boot… \"…\" from …: Access Denied");
    for_every_entry(cx, finding, out);
}
