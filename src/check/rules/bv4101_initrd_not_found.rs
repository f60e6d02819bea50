use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::files::FileLookup;

use super::{grub_error, initrd_facts, panic_if_root_needs_initramfs, where_found};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4101",
    name: "initrd-not-found",
    severity: Severity::Error,
    link: Link::Initrd,
    summary: "an initrd the entry loads is not there or cannot be read",
    fix: "rebuild it (`update-initramfs -c -k VERSION`, `dracut --kver VERSION`) after freeing space on /boot, then update-grub",
    doc: "## What it checks
Every file of each `initrd`/`initrd16`/`initrdefi` command exists and can be
read on the filesystem `$root` resolves to when the command runs.

## Why it breaks the boot
GRUB prints `error: file '/initrd.img-…' not found` (or a read error) and boots
the kernel without its initramfs. With `root=UUID=…` or `root=LABEL=…`, or a
root filesystem or disk driver built as a module, the kernel cannot mount root:
`Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)`.
A full /boot is the usual cause: `update-initramfs` failed with
`No space left on device` and removed its half-written image.

## Example
    initrd /boot/initrd.img-6.11.0-rc1+      # update-initramfs died on a full /boot

## Fix
Free space on /boot (remove old kernels with the package manager; for a
self-built kernel, install stripped modules: `make INSTALL_MOD_STRIP=1
modules_install`), rebuild the image (`update-initramfs -c -k VERSION`), then
`update-grub`.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        // GRUB's `initrd` refuses before opening anything when no kernel is
        // loaded (`you need to load the kernel first`, BV4001 says it).
        let kernel_failed = super::linux(entry)
            .and_then(|(_, kernel, _)| cx.facts.file(kernel))
            .is_some_and(|k| {
                matches!(
                    k.lookup,
                    FileLookup::NotFound | FileLookup::Unreadable { .. }
                )
            });
        if kernel_failed {
            continue;
        }
        for (command, file, fact) in initrd_facts(cx, entry) {
            let (message, grub) = match &fact.lookup {
                FileLookup::NotFound => (
                    format!("initrd '{}' not found on {}", file.path, where_found(fact)),
                    grub_error(&format!("file `{}' not found", file.path)),
                ),
                FileLookup::Unreadable { message } => (
                    format!("initrd '{}' cannot be read: {message}", file.path),
                    grub_error(&format!("premature end of file {}", file.path)),
                ),
                _ => continue,
            };
            out.push(
                Finding::new(&INFO, message)
                    .entry(entry)
                    .at(command.location)
                    .evidence(match fact.siblings().as_slice() {
                        [] => "no other image of that kind next to it".to_string(),
                        names => format!("next to it: {}", names.join(", ")),
                    })
                    .prints(grub)
                    .evidence("GRUB goes on and boots the kernel without an initramfs")
                    .prints_all(panic_if_root_needs_initramfs(cx.facts, entry)),
            );
        }
    }
}
