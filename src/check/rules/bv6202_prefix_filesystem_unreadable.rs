use super::loader_common::{after_prefix, prefix};
use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::loader::{FsReadable, PrefixDevice};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV6202",
    name: "prefix-filesystem-unreadable",
    severity: Severity::Error,
    link: Link::Prefix,
    summary: "GRUB's core cannot read the filesystem or device its `$prefix` is on: `grub rescue>`",
    fix: "keep /boot on a filesystem GRUB reads (ext4 without inline_data, vfat, xfs, btrfs) and reinstall GRUB",
    doc: "## What it checks
The device `$prefix` names exists, holds a filesystem, the GRUB image embeds the
driver for it, and (ext2/3/4) the superblock has no incompatible feature GRUB's
driver refuses: compression, journal_dev, ea_inode, dirdata, inline_data,
casefold (grub-core/fs/ext2.c; metadata_csum_seed and large_dir are accepted by
Debian's 2.06 and by 2.12; reference §3.4).

## Why it breaks the boot
`grub_ext2_mount` refuses the filesystem, so GRUB's kernel sees none there
and prints `error: unknown filesystem.`; a device that is not there gives
`error: no such partition.` or ``error: disk `hdX,gptN' not found.`` Either way
it cannot load `normal.mod` and stops at `grub rescue>`. grub-install itself
refuses such a /boot, so this appears when /boot is recreated after the
install (`mkfs.ext4 -O inline_data`, a restore onto a new filesystem, a
partition renumbered). A core that finds its prefix by an embedded
`search.fs_uuid` never sees such a filesystem (BV6201's case); this check is
for the core a same-disk BIOS install writes, whose prefix names the partition
(`(,gpt3)/grub`): the QEMU suite's `samedisk-inline-data` stops at `grub
rescue>` after `error: unknown filesystem.`

## Example
    mkfs.ext4 -O inline_data -U OLD-UUID /dev/sda3 && restore /boot

## Fix
Recreate /boot without the feature (`mkfs.ext4 -O ^inline_data`; `tune2fs -O
^inline_data` is refused once files use it), restore it, and reinstall GRUB
(`grub-install`, then `update-grub`).",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(p) = prefix(cx) else {
        return;
    };
    // A failed embedded search is BV6201's, with these lines after its own.
    if matches!(p.device, PrefixDevice::Search { found: false, .. }) {
        return;
    }
    let why = match &p.filesystem {
        FsReadable::No { why } => why.clone(),
        FsReadable::NoDevice { message } => message.clone(),
        _ => return,
    };
    let mut finding = Finding::new(
        &INFO,
        format!("GRUB cannot read `$prefix` {}: {why}", p.value),
    )
    .evidence(format!(
        "the GRUB image's prefix `{}` resolves to {}",
        p.embedded, p.value
    ));
    let after = after_prefix(p);
    if after.is_empty() {
        // normal.mod is built into the image: it fails later, at grub.cfg.
        finding = finding.prints(super::grub_error("unknown filesystem"));
    } else {
        finding = finding.prints_all(after);
    }
    out.push(finding);
}
