use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::volumes::Resolution;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4204",
    name: "root-not-a-root-filesystem",
    severity: Severity::Error,
    link: Link::Root,
    summary: "root= resolves to something that cannot be a root filesystem (swap, an ESP)",
    fix: "point root= at the Linux root filesystem (blkid lists it), then update-grub",
    doc: "## What it checks
The filesystem `root=` resolves to is one Linux can boot from: not swap, not a
FAT EFI system partition, not a RAID/LVM member seen as a plain partition.

## Why it breaks the boot
The initramfs cannot mount it (`mount: mounting /dev/sda3 on /root failed:
Invalid argument`) or finds no /sbin/init on it, and drops to its shell; without
an initramfs the kernel panics with `VFS: Unable to mount root fs`.

## Example
    root=UUID=1234-ABCD     # the ESP's UUID, copied from the wrong blkid line

## Fix
Take the UUID of the root filesystem (the ext4/xfs/btrfs one that holds /sbin/init)
from `blkid`, put it in /etc/default/grub and /etc/fstab, and run `update-grub`.",
    run,
};

const NOT_ROOT: &[&str] = &[
    "swap",
    "vfat",
    "crypto_LUKS",
    "LVM2_member",
    "linux_raid_member",
    "iso9660",
];

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (entry, command, _, root, fact) in super::entries_with_root(cx) {
        let Resolution::One(volume) = &fact.resolution else {
            continue;
        };
        let Some(Some(fs)) = fact.filesystems.first() else {
            continue;
        };
        if !NOT_ROOT.contains(&fs.fstype.as_str()) {
            continue;
        }
        out.push(
            Finding::new(
                &INFO,
                format!(
                    "root={root} is ({}), a {} filesystem, not a root filesystem",
                    volume.name, fs.fstype
                ),
            )
            .entry(entry)
            .at(command.location)
            .prints(format!(
                "VFS: Cannot open root device \"{root}\" or unknown-block(0,0): error -22"
            )),
        );
    }
}
