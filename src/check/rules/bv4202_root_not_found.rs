use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::volumes::Resolution;

use super::root_mount_lines::MountingKernel;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4202",
    name: "root-not-found",
    severity: Severity::Error,
    link: Link::Root,
    summary: "root= names a device no disk has",
    fix: "set root= to the root filesystem's current UUID (blkid shows it) in /etc/default/grub or the BLS entry, then update-grub",
    doc: "## What it checks
The device `root=` names — `UUID=`, `LABEL=`, `PARTUUID=`, `PARTLABEL=`, `/dev/…`
or `MAJ:MIN` — exists on the disks bootvet sees. When root sits on a storage
layer (dm-crypt, LVM, md: see BV4109) the filesystem inside is not visible from
here, and this check stays silent.

## Why it breaks the boot
initramfs-tools waits, then prints `Gave up waiting for root file system device`
and `ALERT! UUID=… does not exist. Dropping to a shell!`; dracut times out into its
emergency shell; without an initramfs the kernel panics with
`VFS: Unable to mount root fs on unknown-block(0,0)`. Typical causes: the root
filesystem was recreated or restored (new UUID), a typo, a generator bug
(`UUID=None`), an MBR disk signature change (PARTUUID).

## Example
    linux /vmlinuz root=UUID=7d0c…     # the root filesystem is now 3f9c…

## Fix
Find the current identifier with `blkid`, update /etc/fstab and /etc/default/grub
(or the BLS entry / grubenv kernelopts), rebuild the initramfs, and run
`update-grub`.",
    run,
};

/// The filesystems that could be the root, with the identifiers root= could use.
fn candidates(cx: &Context<'_>) -> String {
    let found: Vec<String> = crate::facts::volumes::volumes(&cx.facts.storage)
        .into_iter()
        .filter_map(|(volume, _, fs)| {
            let fs = fs?;
            matches!(
                fs.fstype.as_str(),
                "ext2" | "ext3" | "ext4" | "xfs" | "btrfs" | "f2fs"
            )
            .then(|| {
                format!(
                    "({}) {} UUID={}",
                    volume.name,
                    fs.fstype,
                    fs.uuid.clone().unwrap_or_default()
                )
            })
        })
        .collect();
    if found.is_empty() {
        format!(
            "no Linux filesystem on the {} disk(s)",
            cx.facts.storage.disks.len()
        )
    } else {
        format!("Linux filesystems on the disks: {}", found.join(", "))
    }
}

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    if cx.facts.storage.disks.is_empty() {
        return;
    }
    for (entry, command, params, root, fact) in super::entries_with_root(cx) {
        if fact.unparsed.is_some() || fact.resolution != Resolution::None {
            continue;
        }
        // Inside LUKS, LVM or md the root filesystem is not readable from here:
        // not finding it proves nothing (BV4109 judges the layer).
        if !super::root_stack::layers(cx.facts, params, root).is_empty() {
            continue;
        }
        let mut finding =
            Finding::new(&INFO, format!("root={root} matches no device on the disks"))
                .entry(entry)
                .at(command.location)
                .evidence(candidates(cx));
        if entry.initrds().is_empty() {
            // Whether root= needs an initramfs or names a device that is not
            // there, the kernel is left with device number 0:0.
            finding =
                finding.prints_all(MountingKernel::of(cx.facts, entry).lines_without_device(root));
        } else {
            finding = finding
                .prints("Gave up waiting for root file system device.")
                .prints(format!(
                    "ALERT!  {root} does not exist.  Dropping to a shell!"
                ));
        }
        out.push(finding);
    }
}
