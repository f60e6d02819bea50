use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::files::FileLookup;
use crate::menu::CommandKind;

use super::{grub_error, where_found};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4002",
    name: "kernel-unreadable",
    severity: Severity::Error,
    link: Link::Kernel,
    summary: "the kernel file exists but cannot be read",
    fix: "reinstall the kernel (the file or the filesystem under it is damaged); run fsck on /boot",
    doc: "## What it checks
The kernel file can be read to its end through the filesystem GRUB uses: no I/O
error, no damaged extent tree or cluster chain, not a directory.

## Why it breaks the boot
GRUB stops with a read error (`failure reading sector 0x… from 'hd0'`,
`premature end of file`) and the entry does not boot.

## Example
A kernel whose ext4 extent tree points past the end of the filesystem.

## Fix
Check the filesystem (`fsck` on the unmounted /boot), then reinstall the kernel
package (`apt install --reinstall linux-image-…`, `dnf reinstall kernel-core`).",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        for (command, file) in super::loaded_files(entry) {
            if matches!(command.kind, CommandKind::Initrd { .. }) {
                continue;
            }
            let Some(fact) = cx.facts.file(file) else {
                continue;
            };
            let FileLookup::Unreadable { message } = &fact.lookup else {
                continue;
            };
            out.push(
                Finding::new(
                    &INFO,
                    format!("kernel '{}' cannot be read: {message}", file.path),
                )
                .entry(entry)
                .at(command.location)
                .evidence(format!("on {}", where_found(fact)))
                .prints(grub_error(&format!("premature end of file {}", file.path))),
            );
        }
    }
}
