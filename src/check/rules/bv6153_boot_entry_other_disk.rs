use super::loader_common::{efi_walk, what_runs};
use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::loader::AttemptOutcome;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV6153",
    name: "boot-entry-other-disk",
    severity: Severity::Warning,
    link: Link::Firmware,
    summary: "the firmware boots a loader on another disk than the grub.cfg checked",
    fix: "check the disk the firmware boots (its grub.cfg), or change BootOrder (`efibootmgr -o`) so the firmware boots this one",
    doc: "## What it checks
The loader the firmware's boot entries lead to (BootNext, BootOrder, the
removable fallback, walked as edk2 does) is on the same disk as the grub.cfg
bootvet checked, or that loader's GRUB reads its prefix from the volume holding
that grub.cfg.

## Why it breaks the boot
When the firmware starts another disk's loader, that disk's GRUB reads its own
grub.cfg and boots its own kernels: what bootvet says about this config is not
what happens at the next boot. Seen after cloning a disk, adding a disk with an
older install, or when an installer put its entry first in BootOrder.

## Example
    efibootmgr -v     # BootOrder: 0002,0001 — Boot0002 is on the old disk's ESP

## Fix
Check the disk the firmware really boots (`bootvet check --image` of that disk,
or its grub.cfg), or make the firmware boot this disk first: `efibootmgr -o
NNNN,…` with this disk's entry first.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(l) = efi_walk(cx) else {
        return;
    };
    let Some(esp) = l.attempts.iter().find_map(|a| match &a.outcome {
        AttemptOutcome::Runs { esp, .. } => Some(esp),
        _ => None,
    }) else {
        return;
    };
    let Some(config) = cx.facts.config.volume.as_ref() else {
        return;
    };
    if esp.disk.is_none() || esp.disk == config.disk {
        return;
    }
    // A loader on one disk reading its prefix from the config's volume is the
    // usual ESP-on-another-disk layout, not this case.
    let prefix = cx
        .facts
        .loader
        .as_ref()
        .and_then(|lf| lf.prefix.as_ref())
        .and_then(|p| p.volume.as_ref());
    if prefix.is_some_and(|p| p.disk == config.disk && p.partition == config.partition) {
        return;
    }
    let runs = what_runs(l).unwrap_or_default();
    let mut f = Finding::new(
        &INFO,
        format!(
            "the firmware boots {runs}, on another disk than the grub.cfg checked ({})",
            config.name
        ),
    );
    if let Some(p) = prefix {
        f = f.evidence(format!(
            "that loader's GRUB reads its grub.cfg from ({})",
            p.name
        ));
    }
    out.push(f);
}
