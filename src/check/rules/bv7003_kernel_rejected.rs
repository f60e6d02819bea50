use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::secure_boot::Stage;

use super::secure_boot::{
    Verdict, entries_booting, loader_blocked, named, shim, shim_enforces, vendor,
};
use super::{grub_error, linux};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV7003",
    name: "secure-boot-kernel-rejected",
    severity: Severity::Error,
    link: Link::Kernel,
    summary: "with Secure Boot on, GRUB refuses the kernel: it is unsigned, its signature is broken, or it is revoked",
    fix: "boot the distribution's signed kernel, or sign this one (`sbsign`) with a key enrolled in MOK",
    doc: "## What it checks
Under Secure Boot, GRUB's shim_lock verifier hands every kernel to shim's
`Verify()`, which applies the same lists as for GRUB: denied by a hash or
certificate in shim's vendor dbx, dbx or MokListX; allowed by db, MokList or
shim's vendor certificate. A kernel without a signature, or whose signature
does not match its bytes (edited, truncated or stripped after signing), fails.

## Why it breaks the boot
GRUB prints `error: bad shim signature.` at the `linux` line and
`error: you need to load the kernel first.` at the `initrd` line or at `boot`,
then returns to the menu. No initrd is read.

## Example
    linux /vmlinuz-6.11.0-rc1+ root=UUID=…   # make install: an unsigned kernel

## Fix
Boot the distribution's signed kernel, or sign your own:
`sbsign --key MOK.key --cert MOK.crt --output /boot/vmlinuz-X /boot/vmlinuz-X`,
enroll the certificate with `mokutil --import MOK.der` and confirm it in
MokManager at the next boot. Disabling Secure Boot (or `mokutil
--disable-validation`) also works, and removes the protection.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let policy = &cx.facts.secure_boot.policy;
    // No shim before GRUB: shim's lists decide nothing (BV7010).
    if !shim_enforces(policy)
        || super::secure_boot::grub_without_shim(cx.facts).is_some()
        || loader_blocked(cx.facts)
    {
        return;
    }
    for kernel in cx.facts.secure_boot.stage(Stage::Kernel) {
        let Some(img) = &kernel.image else { continue };
        let why = match shim(policy, vendor(cx.facts), kernel) {
            Verdict::Denied(w) => w,
            // A valid signature by a key nobody trusts is BV7006's (MOK enrollment).
            Verdict::NotAllowed(w)
                if !img
                    .signatures
                    .iter()
                    .any(|s| s.digest_matches && s.signed_ok) =>
            {
                w
            }
            _ => continue,
        };
        let broken = img.signatures.iter().any(|s| !s.digest_matches);
        for entry in entries_booting(cx, kernel) {
            let Some((command, _, _)) = linux(entry) else {
                continue;
            };
            let mut f = Finding::new(
                &INFO,
                format!("shim refuses kernel {} under Secure Boot", named(kernel)),
            )
            .entry(entry)
            .at(command.location)
            .evidence(why.clone())
            .prints(grub_error("bad shim signature"))
            .prints(grub_error("you need to load the kernel first"));
            if broken {
                f = f.evidence(format!(
                    "its signature is for other bytes: the file was changed after signing (Authenticode SHA-256 now {})",
                    img.sha256
                ));
            }
            out.push(f);
        }
    }
}
