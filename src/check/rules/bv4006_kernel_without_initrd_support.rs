use crate::check::{CheckInfo, Context, Finding, Link, Severity};

use super::needs_initramfs;
use super::root_mount_lines::MountingKernel;
use super::root_path::Booted;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4006",
    name: "kernel-without-initrd-support",
    severity: Severity::Error,
    link: Link::Kernel,
    summary: "the entry loads an initrd, but the kernel was built without initrd support",
    fix: "build the kernel with CONFIG_BLK_DEV_INITRD=y",
    doc: "## What it checks
When an entry loads an initrd, the kernel's `config-RELEASE` has
`CONFIG_BLK_DEV_INITRD=y`.

## Why it breaks the boot
Without it the kernel ignores the initrd GRUB loaded — silently — and tries to
mount `root=` itself. `root=UUID=…` and `LABEL=…` mean nothing to it:
`VFS: Unable to mount root fs on unknown-block(0,0)`.

## Example
    /boot/config-6.11.0-rc1+: # CONFIG_BLK_DEV_INITRD is not set

## Fix
Rebuild the kernel with `CONFIG_BLK_DEV_INITRD=y` (and the `CONFIG_RD_*` of
the initramfs's compression), install it, run `update-grub`.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        let Some((booted, config)) = Booted::with_config(cx.facts, entry) else {
            continue;
        };
        if config.initrd_supported || entry.initrds().is_empty() {
            continue;
        }
        let mut finding = Finding::new(
            &INFO,
            format!(
                "kernel '{}' has no CONFIG_BLK_DEV_INITRD: it ignores the initrd",
                booted.file.path
            ),
        )
        .entry(entry)
        .at(booted.command.location)
        .evidence(format!("{}: CONFIG_BLK_DEV_INITRD not set", config.path));
        if let Some(root) = booted.root().filter(|r| needs_initramfs(r)) {
            finding =
                finding.prints_all(MountingKernel::of(cx.facts, entry).lines_without_device(root));
        }
        out.push(finding);
    }
}
