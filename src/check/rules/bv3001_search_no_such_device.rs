use std::collections::BTreeSet;

use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::volumes::DeviceResolution;
use crate::menu::DeviceExpr;

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
A search that finds nothing does not stop the entry. GRUB prints `error: no such
device: …`, leaves `$root` where it was, runs the rest of the entry, and before
booting shows `Press any key to continue...` for 10 seconds. The kernel is then
looked up on whatever `$root` held before — usually the `set root='hd0,gpt2'`
line grub-mkconfig writes above the search, or the device grub.cfg was read
from. When that is the right filesystem the machine still boots, slowly and with
an error on screen (a warning); when it is not, GRUB prints `file '…' not found`
or, worse, boots an old kernel from another disk (an error).

## Example
    set root='hd0,gpt3'
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
        for (command, file, fact) in super::loaded_facts(cx, entry) {
            let (message, kept) = match &fact.resolution {
                DeviceResolution::Missing { message } => (message, None),
                DeviceResolution::Found {
                    volume,
                    failed_search: Some(message),
                    ..
                } => (message, Some(volume)),
                _ => continue,
            };
            if !matches!(
                file.device,
                DeviceExpr::FsUuid { .. } | DeviceExpr::Label { .. } | DeviceExpr::File { .. }
            ) || !reported.insert(message.clone())
            {
                continue;
            }
            let searched = format!(
                "searched for {} on {} disk(s)",
                file.device.display(),
                cx.facts.storage.disks.len()
            );
            let finding = match kept {
                None => Finding::new(
                    &INFO,
                    format!("{message}: no filesystem on the disks matches"),
                )
                .evidence(searched)
                .prints(grub_error(message))
                .prints(grub_error(&format!("file `{}' not found", file.path))),
                Some(volume) => {
                    let found_there = fact.stat.is_some();
                    let finding = Finding::new(
                        &INFO,
                        format!(
                            "{message}: no filesystem matches; GRUB keeps $root = ({}) and looks for the files there",
                            volume.name
                        ),
                    )
                    .evidence(searched)
                    .evidence(format!(
                        "the search failing leaves $root as it was before it: ({})",
                        volume.name
                    ))
                    .prints(grub_error(message));
                    if found_there {
                        // The entry still boots, after the error and a pause; what
                        // the files are is for the kernel and initrd checks.
                        finding
                            .severity(Severity::Warning)
                            .evidence(format!(
                                "{} is found on ({}), so the entry boots after the pause",
                                file.path, volume.name
                            ))
                            .prints("Press any key to continue...")
                    } else {
                        finding.prints(grub_error(&format!("file `{}' not found", file.path)))
                    }
                }
            };
            out.push(finding.entry(entry).at(command.location));
        }
    }
}
