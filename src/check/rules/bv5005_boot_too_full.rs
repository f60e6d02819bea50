use super::sectors_common::leftover_names;
use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::units::human_size;

/// Room a new image needs beyond the largest current one: generators grow, and
/// initramfs-tools writes `IMAGE.new` beside the old image before replacing it.
const GROWTH_PERCENT: u64 = 120;
const MARGIN: u64 = 8 << 20;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV5005",
    name: "boot-too-full",
    severity: Severity::Warning,
    link: Link::Initrd,
    summary: "the filesystem holding the kernels has no room for the next initramfs",
    fix: "free space on /boot: remove old kernels with the package manager (`apt autoremove --purge`), delete leftover *.new/*.tmp/*.dpkg-* images, or grow /boot",
    doc: "## What it checks
The free space of the filesystem holding the kernels and initrds the menu loads
(ext2/3/4 free blocks from the superblock for images, `statvfs` of the mount
live) against what the next initramfs needs: the largest current initrd × 1.2
plus 8 MiB.

## Why it breaks the boot
`update-initramfs` writes the new image as `IMAGE.new` beside the old one and
fails with `No space left on device`; it removes the half-written file and
reports `update-initramfs: failed for /boot/initrd.img-VERSION with 1.`. With
`-c` (a newly installed kernel) there is then no initrd at all, and
update-grub writes an entry without an `initrd` line: the kernel panics on
`unknown-block(0,0)`.

## Example
    /boot: 24 MiB, 3 MiB free, largest initrd 12 MiB → the next one needs 22 MiB

## Fix
Remove kernels no longer needed (`apt autoremove --purge`, `dnf remove
--oldinstallonly`), delete leftovers named in the evidence, or grow /boot; then
rerun the update that failed.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for dir in &cx.facts.host.boot_dirs {
        let (Some(free), Some(largest)) =
            (dir.free_bytes, dir.initrds.iter().max_by_key(|i| i.size))
        else {
            continue;
        };
        let need = largest.size.saturating_mul(GROWTH_PERCENT) / 100 + MARGIN;
        if free >= need {
            continue;
        }
        let mut finding = Finding::new(
            &INFO,
            format!(
                "({}){} has {} free but the next initramfs needs about {} (largest now: {} {})",
                dir.volume.name,
                dir.dir,
                human_size(free),
                human_size(need),
                largest.name,
                human_size(largest.size)
            ),
        )
        .evidence(format!(
            "({}) {}: {} of {} free",
            dir.volume.name,
            dir.fstype.as_deref().unwrap_or("filesystem"),
            human_size(free),
            dir.size_bytes.map(human_size).unwrap_or_else(|| "?".into())
        ))
        .evidence("the compressor writing the image stops with `No space left on device`")
        .prints(format!(
            "update-initramfs: failed for {} with 1.",
            linux_path(&dir.dir, &largest.name)
        ));
        if !dir.leftovers.is_empty() {
            let total: u64 = dir.leftovers.iter().map(|l| l.size).sum();
            finding = finding.evidence(format!(
                "leftovers taking {}: {}",
                human_size(total),
                leftover_names(dir)
            ));
        }
        out.push(finding);
    }
}

/// The path Linux uses: a separate /boot filesystem is mounted on /boot.
fn linux_path(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/boot/{name}")
    } else {
        format!("{dir}/{name}")
    }
}
