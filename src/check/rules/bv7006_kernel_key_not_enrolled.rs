use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::secure_boot::Stage;

use super::secure_boot::{
    Verdict, entries_booting, loader_blocked, named, shim, shim_enforces, vendor,
};
use super::{grub_error, linux};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV7006",
    name: "secure-boot-kernel-key-not-enrolled",
    severity: Severity::Error,
    link: Link::Kernel,
    summary: "the kernel is signed, but by a key that is in neither db, MokList nor shim's vendor certificate",
    fix: "enroll the signing certificate: `mokutil --import CERT.der`, then confirm it in MokManager at the next boot",
    doc: "## What it checks
A kernel whose Authenticode signature is intact but whose signer chains to no
certificate shim trusts (db, MokList, shim's vendor certificate): typically a
self-built or DKMS-era kernel signed with a fresh key whose enrollment was
never requested, or requested (`mokutil --import`) and not confirmed in
MokManager — a pending request is visible as `MokNew`.

## Why it breaks the boot
GRUB asks shim to verify the kernel: `error: bad shim signature.`, then
`error: you need to load the kernel first.`.

## Example
    sbsign --key my.key --cert my.crt vmlinuz-6.11.0-rc1+   # my.crt never enrolled

## Fix
`mokutil --import my.der` (DER certificate; it asks for a one-time password),
reboot, and in the blue MokManager screen choose Enroll MOK → Continue → Yes and
type that password. Skipping the screen (it times out in 10 s) drops the request.",
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
        let Verdict::NotAllowed(why) = shim(policy, vendor(cx.facts), kernel) else {
            continue;
        };
        let Some(signer) = img
            .signatures
            .iter()
            .filter(|s| s.digest_matches && s.signed_ok)
            .find_map(|s| s.signer.as_ref())
        else {
            continue;
        };
        for entry in entries_booting(cx, kernel) {
            let Some((command, _, _)) = linux(entry) else {
                continue;
            };
            let mut f = Finding::new(
                &INFO,
                format!(
                    "kernel {} is signed by '{}', a key shim does not trust",
                    named(kernel),
                    signer.subject
                ),
            )
            .entry(entry)
            .at(command.location)
            .evidence(why.clone())
            .evidence(format!("signer certificate SHA-256 {}", signer.sha256))
            .prints(grub_error("bad shim signature"))
            .prints(grub_error("you need to load the kernel first"));
            if policy.mok_pending {
                f = f.evidence("a MOK enrollment request (MokNew) is pending: MokManager asks for it at the next boot; confirm it there".to_string());
            }
            out.push(f);
        }
    }
}
