use std::collections::BTreeSet;

use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::volumes::DeviceResolution;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV3002",
    name: "search-ambiguous",
    severity: Severity::Warning,
    link: Link::Device,
    summary: "`search` matches several filesystems; GRUB takes the first it probes",
    fix: "give the clone a new UUID (`tune2fs -U random`, `xfs_admin -U generate`), then update-grub",
    doc: "## What it checks
The UUID or label a `search` looks for belongs to exactly one filesystem.

## Why it breaks the boot
After a `dd` clone, a restored image or a cloned VM template, two filesystems
share a UUID. GRUB's `search` stops at the first it probes (disk order, then
partition order): it may load the kernel and initrd from the stale copy.

## Example
    search --fs-uuid --set=root 3f9c…   # on hd0,gpt2 and on hd1,gpt2

## Fix
Give the copy a new UUID (`tune2fs -U random /dev/sdb2` for ext4,
`xfs_admin -U generate` for XFS, `btrfstune -u` for btrfs), update /etc/fstab if
it named the copy, then `update-grub`.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        let mut reported = BTreeSet::new();
        for (command, file, fact) in super::loaded_facts(cx, entry) {
            let DeviceResolution::Found { volume, others, .. } = &fact.resolution else {
                continue;
            };
            if others.is_empty() || !reported.insert(file.device.display()) {
                continue;
            }
            let all: Vec<String> = std::iter::once(volume)
                .chain(others)
                .map(|v| format!("({})", v.name))
                .collect();
            out.push(
                Finding::new(
                    &INFO,
                    format!(
                        "{} matches {} filesystems; GRUB uses ({})",
                        file.device.display(),
                        all.len(),
                        volume.name
                    ),
                )
                .entry(entry)
                .at(command.location)
                .evidence(format!("matches: {}", all.join(", "))),
            );
        }
    }
}
