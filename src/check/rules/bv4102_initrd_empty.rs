use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::files::FileLookup;

use super::{initrd_facts, panic_if_root_needs_initramfs, where_found};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4102",
    name: "initrd-empty",
    severity: Severity::Error,
    link: Link::Initrd,
    summary: "an initrd the entry loads is an empty file",
    fix: "free space on /boot and rebuild the initramfs (`update-initramfs -u -k VERSION`)",
    doc: "## What it checks
No file an `initrd` command loads is empty.

## Why it breaks the boot
An empty image is what a generator leaves when it is killed or runs out of space
after creating the file. The kernel gets no initramfs; with `root=UUID=…` it
panics with `VFS: Unable to mount root fs on unknown-block(0,0)`.

## Example
    /boot/initrd.img-6.11.0-rc1+   0 bytes

## Fix
Free space on /boot, then `update-initramfs -u -k VERSION` (`dracut -f --kver
VERSION` on Fedora/RHEL, `mkinitcpio -P` on Arch).",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        for (command, file, fact) in initrd_facts(cx, entry) {
            if fact.lookup != (FileLookup::Found { size: 0 }) {
                continue;
            }
            out.push(
                Finding::new(&INFO, format!("initrd '{}' is empty", file.path))
                    .entry(entry)
                    .at(command.location)
                    .evidence(format!("0 bytes on {}", where_found(fact)))
                    .prints_all(panic_if_root_needs_initramfs(cx.facts, entry)),
            );
        }
    }
}
