use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::secure_boot::{SbState, Stage};

use super::secure_boot::{Verdict, firmware, first_loader, named, shim, vendor};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV7005",
    name: "secure-boot-unknown",
    severity: Severity::Info,
    link: Link::Config,
    summary: "Secure Boot's state or keys are unknown, so the signatures of the chain were not judged",
    fix: "pass the machine's variables (`--efi-vars OVMF_VARS.fd` or a copy of /sys/firmware/efi/efivars), or ask `--secure-boot on`",
    doc: "## What it checks
Whether bootvet knows Secure Boot's state and the keys it would apply (live
efivarfs, a variable store passed with `--efi-vars`, or `--secure-boot on|off`).
A disk image alone does not say which firmware boots it. The chain is still
read: this finding lists each binary that would be refused if Secure Boot were
on, with the keys bootvet could check (shim's built-in vendor certificate).
An entry whose loader command lockdown would refuse (BV7007: `multiboot2` and
the like, from a module the signed GRUB image does not hold) gets a warning of
its own when the state is unknown: it may fail.

## Why it breaks the boot
It does not by itself; but with Secure Boot on, a binary listed here stops the
boot as BV7001–BV7006 describe.

## Example
    bootvet check --image disk.img        # no variables: state unknown

## Fix
Say which firmware boots the image: `--efi-vars` with its variable store, or
`--secure-boot on` to check the chain as Secure Boot would.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let sb = &cx.facts.secure_boot;
    if sb.chain.is_empty() || sb.policy.state == SbState::Off {
        return;
    }
    // With Secure Boot on, only a verdict that depends on keys not read is unknown.
    let keys_unknown = sb.policy.db.is_none() || sb.policy.mok.is_none();
    if sb.policy.state == SbState::On && !keys_unknown {
        return;
    }
    let message = if sb.policy.state == SbState::Unknown {
        format!("Secure Boot state unknown: {}", sb.policy.why)
    } else {
        format!("Secure Boot keys unknown: {}", sb.policy.why)
    };
    let mut f = Finding::new(&INFO, message);
    let mut would_fail = false;
    if let Some(first) = first_loader(cx.facts) {
        match firmware(&sb.policy, first) {
            Verdict::Unknown(w) => {
                f = f.evidence(format!("{}: {w}", named(first)));
            }
            Verdict::Allowed(w) => f = f.evidence(format!("{}: {w}", named(first))),
            Verdict::Denied(w) | Verdict::NotAllowed(w) => {
                would_fail = true;
                f = f.evidence(format!(
                    "{} would be refused by the firmware: {w}",
                    named(first)
                ));
            }
        }
    }
    for b in sb.chain.iter().filter(|b| b.stage != Stage::FirstLoader) {
        match shim(&sb.policy, vendor(cx.facts), b) {
            Verdict::Allowed(w) => f = f.evidence(format!("{}: {w}", named(b))),
            Verdict::Unknown(w) => {
                would_fail = true;
                f = f.evidence(format!(
                    "{} would be refused with Secure Boot on unless its key is in db or MokList: {w}",
                    named(b)
                ));
            }
            Verdict::Denied(w) | Verdict::NotAllowed(w) => {
                would_fail = true;
                f = f.evidence(format!(
                    "{} would be refused with Secure Boot on: {w}",
                    named(b)
                ));
            }
        }
    }
    // What lockdown would refuse inside GRUB (BV7007's): the entry itself may
    // fail, so the finding is the entry's.
    let mut per_entry = Vec::new();
    let grub = super::bv7007_secure_boot_module_refused::grub_under_shim(cx.facts)
        .filter(|_| sb.policy.state == SbState::Unknown);
    if let Some(grub) = grub {
        for entry in super::entries(cx) {
            let refused = super::bv7007_secure_boot_module_refused::refused_commands(grub, entry);
            let Some(&(command, name, module)) = refused.first() else {
                continue;
            };
            per_entry.push(
                Finding::new(
                    &INFO,
                    format!(
                        "Secure Boot state unknown: with it on, `{name}` fails (it needs {module}.mod, which the signed GRUB image does not hold, and lockdown refuses modules from disk)"
                    ),
                )
                .severity(Severity::Warning)
                .entry(entry)
                .at(command.location)
                .evidence(sb.policy.why.clone())
                .evidence("with Secure Boot on GRUB prints `error: prohibited by secure boot policy.` (BV7007)"),
            );
        }
    }
    if would_fail {
        f = f.severity(Severity::Warning);
    }
    out.push(f);
    out.extend(per_entry);
}
