use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::secure_boot::{SbState, Stage};

use super::secure_boot::{
    Verdict, firmware, first_loader, for_every_entry, named, shim, shim_enforces, shim_refusal,
    vendor,
};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV7002",
    name: "secure-boot-shim-rejects-grub",
    severity: Severity::Error,
    link: Link::Config,
    summary: "with Secure Boot on, shim refuses GRUB (unsigned, signed by an untrusted key, or revoked)",
    fix: "install the distribution's signed GRUB (`apt install grub-efi-amd64-signed`, then `grub-install`), or sign it with a key enrolled in MOK",
    doc: "## What it checks
shim verifies the second stage it loads (`grubx64.efi` beside it) in
`verify_buffer()`: its hash in shim's vendor dbx, dbx or MokListX, or a
signature chaining to a certificate there, denies it; its hash in db or
MokList, or a signature chaining to db, MokList or shim's built-in vendor
certificate (`.vendor_cert`), allows it.

## Why it breaks the boot
shim shows an alert box `Verification failed: (0x1A) Security Violation`, then
`Failed to load image: Security Policy Violation`, and starts MokManager
(mmx64.efi) or, without it, gives up and the firmware tries the next boot option.

## Example
    \\EFI\\BOOT\\grubx64.efi built by grub-mkimage (unsigned) beside Debian's shim

## Fix
Install the distribution's signed GRUB (`grub-efi-amd64-signed`, then
`grub-install`). For a GRUB you build: `sbsign --key MOK.key --cert MOK.crt
grubx64.efi`, `mokutil --import MOK.der`, and confirm the enrollment in
MokManager at the next boot.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let policy = &cx.facts.secure_boot.policy;
    if !shim_enforces(policy) || policy.state != SbState::On {
        return;
    }
    // The first failure is the verdict: a refused shim never runs GRUB.
    let Some(first) = first_loader(cx.facts) else {
        return;
    };
    if matches!(
        firmware(policy, first),
        Verdict::Denied(_) | Verdict::NotAllowed(_)
    ) {
        return;
    }
    for grub in cx.facts.secure_boot.stage(Stage::SecondStage) {
        let why = match shim(policy, vendor(cx.facts), grub) {
            Verdict::Denied(w) | Verdict::NotAllowed(w) => w,
            _ => continue,
        };
        let finding = Finding::new(
            &INFO,
            format!("shim refuses {} under Secure Boot", named(grub)),
        )
        .evidence(why)
        .prints_all(shim_refusal());
        for_every_entry(cx, finding, out);
    }
}
