use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::volumes::Resolution;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4203",
    name: "root-ambiguous",
    severity: Severity::Warning,
    link: Link::Root,
    summary: "root= matches several filesystems; which one mounts is a race",
    fix: "give the clone a new UUID (`tune2fs -U random`), or name root by PARTUUID",
    doc: "## What it checks
The device `root=` names matches exactly one filesystem.

## Why it breaks the boot
After a `dd` clone or with an LVM snapshot, two filesystems carry the same UUID.
udev's /dev/disk/by-uuid link points at whichever appeared last: the system may
boot the stale copy, and XFS refuses to mount a second filesystem with the same
UUID.

## Example
    root=UUID=3f9c…    # on hd0,gpt3 and on hd1,gpt3 (a cloned disk)

## Fix
Give the copy a new UUID (`tune2fs -U random /dev/sdb3`, `xfs_admin -U generate`),
or use `root=PARTUUID=…` of the intended partition; update /etc/fstab, rebuild
the initramfs and run `update-grub`.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (entry, command, _, root, fact) in super::entries_with_root(cx) {
        let Resolution::Several(all) = &fact.resolution else {
            continue;
        };
        let names: Vec<String> = all.iter().map(|v| format!("({})", v.name)).collect();
        out.push(
            Finding::new(
                &INFO,
                format!("root={root} matches {} filesystems", all.len()),
            )
            .entry(entry)
            .at(command.location)
            .evidence(format!("matches: {}", names.join(", "))),
        );
    }
}
