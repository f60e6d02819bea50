use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::files::Role;

use super::sectors_common::{
    GRUB_SECTOR, consequence, extent_span, link_of, placement, role_name, sector_hex,
};
use super::{grub_error, where_found};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV5001",
    name: "extent-outside-disk",
    severity: Severity::Error,
    link: Link::Kernel,
    summary: "a kernel or initrd has bytes past the end of its partition or disk",
    fix: "restore the disk's full size (the image or clone was cut short), or move /boot's files: reinstall the kernel package so they are rewritten inside the disk",
    doc: "## What it checks
For every kernel and initrd an entry loads, each physical extent (partition start
plus the filesystem's block address) lies inside the partition the filesystem
sits on and inside the disk.

## Why it breaks the boot
GRUB checks every read against the partition and the disk size
(`grub_disk_adjust_range`): a block past the partition's end fails with
`attempt to read or write outside of partition`, one past the disk's end with
`attempt to read or write outside of disk `hd0'`. The kernel is then not loaded;
an initrd is skipped and the kernel boots without it (`unknown-block(0,0)` when
root needs the initramfs). Causes: a disk image cloned onto a smaller disk or
truncated, a filesystem grown past its partition, firmware reporting a smaller
disk.

## Example
    # /boot's last 2 MiB were cut off when the image was copied
    initrd /initrd.img-6.11.0-rc1+

## Fix
Give the disk back its full size (copy the whole image, or grow the virtual
disk), or shrink the filesystem to its partition (`resize2fs`) after moving the
files; then reinstall the kernel (`apt reinstall linux-image-…`) so its files are
written inside the disk.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        for (command, file, fact) in super::loaded_facts(cx, entry) {
            if !matches!(fact.role, Role::Kernel | Role::Initrd) {
                continue;
            }
            let (Some(stat), Some((disk, partition))) =
                (fact.stat.as_ref(), placement(cx.facts, fact))
            else {
                continue;
            };
            let part_range =
                partition.map(|p| (p.start_byte, p.start_byte.saturating_add(p.size_bytes)));
            // GRUB checks the partition first, then the disk.
            let mut hit = None;
            for extent in &stat.extents {
                let end = extent.disk_byte_offset.saturating_add(extent.length);
                if let Some((start, stop)) = part_range
                    && (extent.disk_byte_offset < start || end > stop)
                {
                    let first = if extent.disk_byte_offset < start {
                        extent.disk_byte_offset
                    } else {
                        extent.disk_byte_offset.max(stop)
                    };
                    hit = Some((extent, first, true));
                    break;
                }
                if end > disk.size_bytes {
                    let first = extent.disk_byte_offset.max(disk.size_bytes);
                    hit = Some((extent, first, false));
                    break;
                }
            }
            let Some((extent, first_bad, of_partition)) = hit else {
                continue;
            };
            let file_offset = extent.file_offset + (first_bad - extent.disk_byte_offset);
            let what = role_name(fact.role);
            let (limit_name, limit_end, grub) = if of_partition {
                let name = partition.map(|p| p.grub_name.clone()).unwrap_or_default();
                (
                    format!("partition {name}"),
                    part_range.map(|(_, e)| e).unwrap_or_default(),
                    grub_error("attempt to read or write outside of partition"),
                )
            } else {
                (
                    format!("disk {}", disk.grub_name),
                    disk.size_bytes,
                    grub_error(&format!(
                        "attempt to read or write outside of disk `{}'",
                        disk.grub_name
                    )),
                )
            };
            let finding = Finding::new(
                &INFO,
                format!(
                    "{what} '{}' lies past the end of {limit_name}: byte {file_offset} of {} is at sector {}, the {} ends at sector {}",
                    file.path,
                    stat.size,
                    sector_hex(first_bad),
                    if of_partition { "partition" } else { "disk" },
                    sector_hex(limit_end),
                ),
            )
            .entry(entry)
            .at(command.location)
            .evidence(format!("{} on {}", file.path, where_found(fact)))
            .evidence(format!(
                "extent: {} ({} bytes, {} sectors of {} bytes)",
                extent_span(extent),
                extent.length,
                extent.length.div_ceil(GRUB_SECTOR),
                GRUB_SECTOR
            ))
            .evidence(format!(
                "{} is {} bytes ({} sectors)",
                disk.path,
                disk.size_bytes,
                disk.size_bytes / GRUB_SECTOR
            ))
            .prints(grub);
            let mut finding = consequence(finding, cx.facts, entry, fact.role);
            finding.link = link_of(fact.role);
            out.push(finding);
        }
    }
}
