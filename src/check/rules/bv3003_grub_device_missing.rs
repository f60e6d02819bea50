use std::collections::BTreeSet;

use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::volumes::DeviceResolution;
use crate::menu::DeviceExpr;

use super::grub_error;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV3003",
    name: "grub-device-missing",
    severity: Severity::Error,
    link: Link::Device,
    summary: "`set root=(hdX,Y)` names a disk or partition that does not exist",
    fix: "use `search --fs-uuid` instead of a fixed (hdX,Y), or correct the disk/partition number",
    doc: "## What it checks
A GRUB device name such as `(hd1,gpt2)` or `(hd0,msdos5)` used for `$root` or as a
path prefix names a disk and partition that exist, in the firmware's disk order.

## Why it breaks the boot
GRUB prints `error: disk `hd1,gpt2' not found.` when it has no such disk, and
`error: no such partition.` when the disk is there but the partition is not; the
files are not loaded.
Disk numbers change when a USB stick is plugged in or the firmware's boot order
changes; partition numbers change when a disk is repartitioned.

## Example
    set root='hd1,gpt2'    # the machine has one disk

## Fix
Prefer `search --no-floppy --fs-uuid --set=root UUID` (what grub-mkconfig writes);
for a hand-written entry, correct the numbers (`bootvet devices` lists GRUB's
names) and run `update-grub`.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        let mut reported = BTreeSet::new();
        for (command, file) in super::loaded_files(entry) {
            let DeviceExpr::Grub { name } = &file.device else {
                continue;
            };
            let Some(fact) = cx.facts.file(file) else {
                continue;
            };
            let DeviceResolution::Missing { message } = &fact.resolution else {
                continue;
            };
            if !reported.insert(name.clone()) {
                continue;
            }
            let names: Vec<String> = cx
                .facts
                .storage
                .disks
                .iter()
                .flat_map(|d| {
                    std::iter::once(d.grub_name.clone())
                        .chain(d.partitions.iter().map(|p| p.grub_name.clone()))
                })
                .map(|n| format!("({n})"))
                .collect();
            out.push(
                Finding::new(&INFO, format!("({name}) does not exist"))
                    .entry(entry)
                    .at(command.location)
                    .evidence(format!("GRUB's devices here: {}", names.join(" ")))
                    .prints(grub_error(message)),
            );
        }
    }
}
