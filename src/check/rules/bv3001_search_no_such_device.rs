use std::collections::BTreeSet;

use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::menu::DeviceExpr;
use crate::probe::disk_files::DeviceResolution;

use super::grub_error;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV3001",
    name: "search-no-such-device",
    severity: Severity::Error,
    link: Link::Device,
    summary: "`search` looks for a filesystem (UUID, label, file) that no disk has",
    fix: "regenerate grub.cfg (update-grub) so the search names the current filesystem UUID",
    doc: "## What it checks
Every `search --fs-uuid/--label/--file … --set=root` an entry relies on finds a
filesystem on the disks GRUB can see.

## Why it breaks the boot
GRUB prints `error: no such device: …` and leaves `$root` where it was; the
kernel is then looked up on the wrong filesystem (`file '…' not found`) or, worse,
an old kernel on another disk is booted.

## Example
    search --no-floppy --fs-uuid --set=root 5b1f2d6e-…   # /boot was reformatted

## Fix
grub.cfg is generated: run `update-grub` (or `grub2-mkconfig -o …`) so the
search names the filesystem's current UUID (`blkid` shows it). On a cloned disk,
also check /etc/fstab and the initramfs.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        let mut reported = BTreeSet::new();
        for (command, file) in super::loaded_files(entry) {
            let Some(fact) = cx.facts.file(file) else {
                continue;
            };
            let DeviceResolution::Missing { message } = &fact.resolution else {
                continue;
            };
            if !matches!(
                file.device,
                DeviceExpr::FsUuid { .. } | DeviceExpr::Label { .. } | DeviceExpr::File { .. }
            ) || !reported.insert(message.clone())
            {
                continue;
            }
            out.push(
                Finding::new(
                    &INFO,
                    format!("{message}: no filesystem on the disks matches"),
                )
                .entry(entry)
                .at(command.location)
                .evidence(format!(
                    "searched for {} on {} disk(s)",
                    file.device.display(),
                    cx.facts.disks.disks.len()
                ))
                .prints(grub_error(message))
                .prints(grub_error(&format!("file `{}' not found", file.path))),
            );
        }
    }
}
