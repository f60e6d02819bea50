use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::fstab::TabDevice;
use crate::facts::volumes::Resolution;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4208",
    name: "fstab-root-mismatch",
    severity: Severity::Warning,
    link: Link::Root,
    summary: "the root filesystem's own /etc/fstab line names another device than root=",
    fix: "make the `/` line of /etc/fstab name the root filesystem's UUID (`blkid`), or root= in /etc/default/grub the filesystem fstab means, and run update-grub",
    doc: "## What it checks
The `/` line of `/etc/fstab` on the root filesystem an entry boots, against
the volume its `root=` resolves to: both resolved on the disks, they must be
the same volume. Kernel names and names made at boot are not judged.

## Why it breaks the boot
The kernel (or initramfs) mounts what `root=` names; fstab's `/` line is what
the booted system believes root is: `systemd-remount-fs` remounts `/` with its
options, fsck and the initramfs generators (`update-initramfs`, dracut's
host-only mode) look root up through it. Two different devices mean a cloned
or restored system, or a root= left from another install: the system boots
from one filesystem while its tools work on another, and the next initramfs
may be built for the wrong root.

## Example
    linux /vmlinuz root=UUID=7d0c… ro
    UUID=55aa…  /  ext4  errors=remount-ro  0 1     # /etc/fstab on 7d0c…

## Fix
Make both name the same filesystem: the `/` line of /etc/fstab with the UUID
`blkid` shows for the root partition, or root= (GRUB_CMDLINE_LINUX,
GRUB_DEVICE_UUID via update-grub) for the filesystem fstab means.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (entry, command, _, root, fact) in super::entries_with_root(cx) {
        let (Some(tabs), Resolution::One(volume)) = (&fact.tabs, &fact.resolution) else {
            continue;
        };
        for line in tabs.fstab.lines().iter().filter(|l| l.target == "/") {
            let names = match &line.device {
                TabDevice::Found { volumes } if volumes.contains(volume) => continue,
                TabDevice::Found { volumes } => volumes
                    .iter()
                    .map(|v| format!("({})", v.name))
                    .collect::<Vec<_>>()
                    .join(", "),
                TabDevice::Missing => "nothing on the disks".to_string(),
                _ => continue,
            };
            out.push(
                Finding::new(
                    &INFO,
                    format!(
                        "root={root} is ({}), but /etc/fstab line {} on it says / is {} ({names})",
                        volume.name, line.line, line.source
                    ),
                )
                .entry(entry)
                .at(command.location)
                .evidence(format!(
                    "/etc/fstab:{}: {} {} {} {}",
                    line.line,
                    line.source,
                    line.target,
                    line.kind,
                    line.options.join(",")
                )),
            );
        }
    }
}
