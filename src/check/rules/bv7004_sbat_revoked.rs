use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::secure_boot::{SbState, Stage};

use super::secure_boot::{
    Verdict, firmware, first_loader, for_every_entry, named, revoked, sbat_level, shim,
    shim_enforces, shim_refusal, vendor,
};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV7004",
    name: "secure-boot-sbat-revoked",
    severity: Severity::Error,
    link: Link::Config,
    summary: "the SBAT level revokes shim or GRUB: its .sbat generation is below the level's",
    fix: "update shim and GRUB to the distribution's current signed packages; or reset the level with Secure Boot off (`mokutil --set-sbat-policy delete`)",
    doc: "## What it checks
shim compares each `.sbat` row (`component,generation,…`) of itself and of GRUB
with the SBAT level (the `SbatLevel` variable, or shim's built-in automatic
level when that is newer: shim writes it at boot): the first level row of the
same component revokes the binary when its generation is lower. GRUB without a
`.sbat` section is refused too.

## Why it breaks the boot
shim's own revocation: `Verifying shim SBAT data failed: Security Policy
Violation`, `Something has gone seriously wrong: SBAT self-check failed:
Security Policy Violation`, and the machine powers off. GRUB's: shim's alert
`Verification failed: (0x1A) Security Violation`, `Failed to load image:
Security Policy Violation`. Windows updates of August 2024 wrote
`sbat,1,2024010900 shim,4 grub,3 grub.debian,4`, revoking every shim before 15.8.

## Example
    SbatLevel: sbat,1,2099010100 / grub,6    grubx64.efi .sbat: grub,5

## Fix
Update shim and GRUB (`apt install shim-signed grub-efi-amd64-signed`, then
`grub-install`). If the machine no longer boots: turn Secure Boot off, boot,
`mokutil --set-sbat-policy delete`, reboot (shim resets the level), update,
and turn Secure Boot back on.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let facts = cx.facts;
    let policy = &facts.secure_boot.policy;
    if !shim_enforces(policy) || policy.state != SbState::On {
        return;
    }
    let (Some(first), Some(level)) = (first_loader(facts), sbat_level(facts)) else {
        return;
    };
    if matches!(
        firmware(policy, first),
        Verdict::Denied(_) | Verdict::NotAllowed(_)
    ) {
        return;
    }
    let level_text = |l: &crate::inspect::secure_boot::sbat::SbatLevel| {
        let rows: Vec<String> = l.rows.iter().map(|(c, g)| format!("{c},{g}")).collect();
        rows.join(" ")
    };
    if let Some(img) = first.image.as_ref().filter(|i| i.vendor.is_some())
        && let Some(r) = revoked(img, &level)
    {
        let f = Finding::new(
            &INFO,
            format!(
                "the SBAT level revokes shim {} ({},{} < {})",
                named(first),
                r.component,
                r.generation,
                r.level
            ),
        )
        .evidence(format!("SBAT level: {}", level_text(&level)))
        .prints("Verifying shim SBAT data failed: Security Policy Violation")
        .prints(
            "Something has gone seriously wrong: SBAT self-check failed: Security Policy Violation",
        );
        for_every_entry(cx, f, out);
        return;
    }
    for grub in facts.secure_boot.stage(Stage::SecondStage) {
        let Some(img) = &grub.image else { continue };
        // Refused by signature first: BV7002 says so.
        if matches!(
            shim(policy, vendor(facts), grub),
            Verdict::Denied(_) | Verdict::NotAllowed(_)
        ) {
            continue;
        }
        let message = if img.sbat.is_empty() {
            format!("{} has no .sbat section: shim refuses it", named(grub))
        } else if let Some(r) = revoked(img, &level) {
            format!(
                "the SBAT level revokes {} ({},{} < {})",
                named(grub),
                r.component,
                r.generation,
                r.level
            )
        } else {
            continue;
        };
        let f = Finding::new(&INFO, message)
            .evidence(format!("SBAT level: {}", level_text(&level)))
            .prints_all(shim_refusal());
        for_every_entry(cx, f, out);
    }
}
