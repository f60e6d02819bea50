use std::collections::BTreeSet;

use crate::check::{CheckInfo, Context, Finding, Link, Severity};

use super::grub_error;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV3004",
    name: "filesystem-grub-cannot-read",
    severity: Severity::Error,
    link: Link::Device,
    summary: "the entry's files sit on something GRUB cannot read as a filesystem",
    fix: "keep kernels and initrds on a filesystem GRUB reads (ext4, xfs, btrfs, vfat), or add cryptomount/insmod for the layer",
    doc: "## What it checks
The volume `$root` resolves to holds a filesystem GRUB has a driver for; swap,
an unopened LUKS container, an LVM or RAID member seen as a plain partition, or
an unknown type are not readable.

## Why it breaks the boot
GRUB prints `error: unknown filesystem` and loads nothing from the entry.

## Example
    set root='hd0,gpt3'      # that partition is crypto_LUKS

## Fix
Point `$root` at the partition holding /boot, or, for an encrypted /boot, enable
`GRUB_ENABLE_CRYPTODISK=y` in /etc/default/grub and reinstall GRUB so it can
`cryptomount` first; then `update-grub`.",
    run,
};

/// Types GRUB cannot open as a filesystem without a layer above (cryptomount,
/// lvm, mdraid modules that grub-mkconfig would have inserted).
const NOT_A_GRUB_FILESYSTEM: &[&str] = &[
    "swap",
    "crypto_LUKS",
    "LVM2_member",
    "linux_raid_member",
    "BitLocker",
];

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        let mut reported = BTreeSet::new();
        for (command, file, fact) in super::loaded_facts(cx, entry) {
            let Some(volume) = fact.resolution.volume() else {
                continue;
            };
            // A blocklist (`chainloader +1`) reads sectors, not files.
            if volume.is_boot_dir() || crate::facts::files::is_blocklist(&file.path) {
                continue;
            }
            let fstype = fact.filesystem.as_ref().map(|fs| fs.fstype.as_str());
            let unreadable = match fstype {
                None => true,
                Some(t) => NOT_A_GRUB_FILESYSTEM.contains(&t),
            };
            if !unreadable || !reported.insert(volume.name.clone()) {
                continue;
            }
            out.push(
                Finding::new(
                    &INFO,
                    format!(
                        "({}) holds {}, which GRUB cannot read files from",
                        volume.name,
                        fstype.unwrap_or("no filesystem bootvet recognises")
                    ),
                )
                .entry(entry)
                .at(command.location)
                .prints(grub_error("unknown filesystem")),
            );
        }
    }
}
