use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::menu::CommandKind;
use crate::probe::gather::FileLookup;

use super::{linux, needs_initramfs, panic_without_initramfs, root_value, where_found};

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
        let root = linux(entry)
            .and_then(|(_, _, params)| root_value(params))
            .map(str::to_string);
        for command in &entry.commands {
            let CommandKind::Initrd { files, .. } = &command.kind else {
                continue;
            };
            for file in files {
                let Some(fact) = cx.facts.file(file) else {
                    continue;
                };
                if fact.lookup != (FileLookup::Found { size: 0 }) {
                    continue;
                }
                let mut finding = Finding::new(&INFO, format!("initrd '{}' is empty", file.path))
                    .entry(entry)
                    .at(command.location)
                    .evidence(format!("0 bytes on {}", where_found(fact)));
                if let Some(root) = root.as_deref().filter(|r| needs_initramfs(r)) {
                    finding = finding.prints_all(panic_without_initramfs(root));
                }
                out.push(finding);
            }
        }
    }
}
