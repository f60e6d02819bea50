//! BV7012: the kernel refuses an unsigned module the root path needs from the
//! initrd, because Secure Boot put it in lockdown (or its build forces module
//! signatures).

use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::BootFacts;
use crate::facts::kernel::{BusNeed, UnsignedModules};
use crate::facts::secure_boot::SbState;
use crate::inspect::kconfig::NeedKind;
use crate::menu::{BootEntry, Platform};

use super::root_path::{Booted, Have, Need, initrds, unmet_needs};

/// kernel/module/signing.c `module_sig_check` (Linux 6.1) when signatures are
/// enforced, which Debian's kernel does once Secure Boot locked it down: the
/// QEMU suite's `sb-unsigned-module` prints it, not lockdown's own line.
const REJECTED_LINE: &str = "Loading of unsigned module is rejected";

pub const INFO: CheckInfo = CheckInfo {
    code: "BV7012",
    name: "secure-boot-module-unsigned",
    severity: Severity::Error,
    link: Link::Initrd,
    summary: "the kernel refuses an unsigned module the root needs: Secure Boot put it in lockdown",
    fix: "sign the module with a key the kernel trusts (DKMS: enroll its MOK key with `mokutil --import /var/lib/dkms/mok.pub` and rebuild), or use the distribution's signed module, then update-initramfs -u",
    doc: "## What it checks
For the kernel an entry boots, the modules its root path needs from the initrd
(the root filesystem's driver, the storage layers' and the disk bus's, as
BV4107 finds them): whether each ends with an appended signature
(`~Module signature appended~`), and whether this kernel enforces signatures.
Its config says so: `CONFIG_MODULE_SIG_FORCE` (always), or
`CONFIG_LOCK_DOWN_IN_EFI_SECURE_BOOT` (Debian, Ubuntu, Fedora: lockdown, and
with it module signature enforcement, when the firmware booted with Secure Boot
on, which bootvet knows live, from `--efi-vars` or with `--secure-boot on`).
With the state unknown (a disk image alone) it warns. A module that is signed
is taken as loadable: bootvet does not check the
signing key against the kernel's keyrings.

## Why it breaks the boot
The kernel says `Loading of unsigned module is rejected` and `modprobe`
fails: without its filesystem or disk driver
the initramfs cannot mount the root and drops to its shell (initramfs-tools:
`ALERT! … does not exist. Dropping to a shell!`). DKMS modules (ZFS, out-of-tree
storage drivers) built without the MOK key, or modules of a self-built kernel
installed without `CONFIG_MODULE_SIG_ALL`, are the usual cause.

## Example
    # Secure Boot on, Debian's signed kernel, ext4.ko in the initrd unsigned
    linux  /vmlinuz-6.1.0-57-amd64 root=UUID=7d0cf1b2-… ro
    initrd /initrd.img-6.1.0-57-amd64

## Fix
Sign the module with a key the kernel trusts: DKMS signs with
/var/lib/dkms/mok.key once `mokutil --import /var/lib/dkms/mok.pub` is enrolled
at the next boot; or use the distribution's own signed module. Then
`update-initramfs -u -k VERSION`. Turning Secure Boot off also lifts lockdown.",
    run,
};

/// One refused need: what it is for and the unsigned modules the initrd has for it.
struct Refused {
    need: Need,
    unsigned: Vec<String>,
}

/// The needs whose every module present in the initrd carries no signature.
fn refused(facts: &BootFacts, entry: &BootEntry, booted: &Booted<'_>) -> Vec<Refused> {
    let loaded = initrds(facts, entry);
    let signed = |module: &str| -> Option<bool> {
        let name = module.replace('-', "_");
        loaded
            .iter()
            .find_map(|(_, _, r)| r.module_signed.get(&name).copied())
    };
    let mut out = Vec::new();
    let mut bus = Vec::new();
    let mut bus_ok = false;
    for need in unmet_needs(facts, booted, |_| false) {
        let Have::Module { modules, .. } = &need.have else {
            continue;
        };
        let present: Vec<(&String, bool)> = modules
            .iter()
            .filter_map(|m| signed(m).map(|s| (m, s)))
            .collect();
        // None of its modules in the initrd is BV4107's case, not this one's.
        if present.is_empty() {
            continue;
        }
        if present.iter().any(|(_, s)| *s) {
            bus_ok |= need.kind == NeedKind::Bus;
            continue;
        }
        let unsigned = present.iter().map(|(m, _)| m.to_string()).collect();
        if need.kind == NeedKind::Bus {
            bus.push(Refused { need, unsigned });
        } else {
            out.push(Refused { need, unsigned });
        }
    }
    // Of several candidate buses (an image without --root-bus) the disk uses one:
    // refused only when no candidate loads.
    if facts.root_bus.need == BusNeed::All || !bus_ok {
        out.extend(bus);
    }
    out
}

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    // A BIOS boot has no Secure Boot, whatever an ESP on the disk holds.
    let state = match (cx.facts.platform, cx.facts.secure_boot.policy.state) {
        (Platform::Pc, SbState::Unknown) => SbState::Off,
        (_, state) => state,
    };
    for entry in super::entries(cx) {
        let Some((booted, config)) = Booted::with_config(cx.facts, entry) else {
            continue;
        };
        let why = match (config.unsigned_modules, state) {
            (Some(UnsignedModules::RefusedAlways), _) => format!(
                "{} sets CONFIG_MODULE_SIG_FORCE or forces lockdown",
                config.path
            ),
            (Some(UnsignedModules::RefusedUnderSecureBoot), SbState::On) => format!(
                "Secure Boot is on and {} sets CONFIG_LOCK_DOWN_IN_EFI_SECURE_BOOT: the kernel locks down and loads only signed modules",
                config.path
            ),
            (Some(UnsignedModules::RefusedUnderSecureBoot), SbState::Unknown) => format!(
                "Secure Boot's state is unknown (BV7005), and {} sets CONFIG_LOCK_DOWN_IN_EFI_SECURE_BOOT: with it on, the kernel loads only signed modules",
                config.path
            ),
            _ => continue,
        };
        // Only lockdown under Secure Boot depends on the state.
        let unknown = state == SbState::Unknown
            && config.unsigned_modules == Some(UnsignedModules::RefusedUnderSecureBoot);
        let severity = if unknown {
            Severity::Warning
        } else {
            Severity::Error
        };
        for r in refused(cx.facts, entry, &booted) {
            out.push(
                Finding::new(
                    &INFO,
                    format!(
                        "{}the kernel refuses {} from the initrd: no signature, and {} needs it",
                        if unknown { "with Secure Boot on, " } else { "" },
                        r.unsigned.join(", "),
                        r.need.what
                    ),
                )
                .entry(entry)
                .at(booted.command.location)
                .evidence(why.clone())
                .evidence(format!(
                    "{} does not end with `~Module signature appended~`",
                    r.unsigned.join(", ")
                ))
                .prints(REJECTED_LINE)
                .severity(severity),
            );
        }
    }
}
