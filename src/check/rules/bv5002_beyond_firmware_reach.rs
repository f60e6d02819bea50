use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::files::Role;
use crate::menu::Platform;

use super::sectors_common::{consequence, extent_span, link_of, placement, role_name, sector_hex};
use super::{grub_error, where_found};
use crate::units::human_size;

/// GRUB's CHS path refuses anything past 1024 cylinders × 256 heads × 63 sectors
/// (`grub_biosdisk_rw`): with a limit this low the firmware is CHS-only.
const CHS_LIMIT: u64 = 1024 * 256 * 63 * 512;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV5002",
    name: "beyond-firmware-reach",
    severity: Severity::Error,
    link: Link::Kernel,
    summary: "a kernel or initrd lies beyond what the BIOS can read (pc platform)",
    fix: "put /boot in a partition near the start of the disk (below the firmware's limit) and reinstall the kernels into it",
    doc: "## What it checks
On the pc (BIOS) platform, every sector of every kernel and initrd lies below the
firmware's reach: 2 TiB by default (32-bit LBA in the BIOS's int 13h
extensions), or the limit given with `--bios-lba-limit` (`8G` for CHS-only
firmware, `137GB` for 28-bit LBA). The efi platform has no such limit.

## Why it breaks the boot
GRUB reads kernel and initrd through the BIOS. A BIOS that truncates the LBA
fails the read (`failure reading sector 0x… from `hd0'`) or returns the wrong
sector; with CHS only, GRUB refuses sectors past ~8 GiB with `attempt to read or
write outside of disk `hd0'`, and after one failed LBA read GRUB falls back to
CHS for the rest of the session. A kernel that cannot be read is not loaded; an
initrd is skipped and the kernel boots without it.

## Example
    # /boot is the last partition of a 3 TB disk on a 32-bit-LBA BIOS
    linux /vmlinuz-6.5.0-35-generic root=UUID=…

## Fix
Create a small /boot partition at the start of the disk (or boot in UEFI mode),
move the kernels there (reinstall the kernel packages), and run update-grub.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    if cx.facts.platform != Platform::Pc {
        return;
    }
    let limit = cx.facts.host.bios_lba_limit;
    if limit == 0 {
        return;
    }
    for entry in super::entries(cx) {
        for (command, file, fact) in super::loaded_facts(cx, entry) {
            if !matches!(fact.role, Role::Kernel | Role::Initrd) {
                continue;
            }
            let (Some(stat), Some((disk, _))) = (fact.stat.as_ref(), placement(cx.facts, fact))
            else {
                continue;
            };
            let Some(extent) = stat
                .extents
                .iter()
                .find(|e| e.disk_byte_offset.saturating_add(e.length) > limit)
            else {
                continue;
            };
            let first_bad = extent.disk_byte_offset.max(limit);
            let file_offset = extent.file_offset + (first_bad - extent.disk_byte_offset);
            let grub = if limit <= CHS_LIMIT {
                grub_error(&format!(
                    "attempt to read or write outside of disk `{}'",
                    disk.grub_name
                ))
            } else {
                grub_error(&format!(
                    "failure reading sector {} from `{}'",
                    sector_hex(first_bad),
                    disk.grub_name
                ))
            };
            let source = if cx.facts.host.bios_lba_limit_given {
                "--bios-lba-limit"
            } else {
                "default: 32-bit LBA"
            };
            let finding = Finding::new(
                &INFO,
                format!(
                    "{} '{}' lies beyond the BIOS's reach: byte {file_offset} of {} is at sector {} on {}, the firmware reads below sector {} ({}, {source})",
                    role_name(fact.role),
                    file.path,
                    stat.size,
                    sector_hex(first_bad),
                    disk.grub_name,
                    sector_hex(limit),
                    human_size(limit),
                ),
            )
            .entry(entry)
            .at(command.location)
            .evidence(format!("{} on {}", file.path, where_found(fact)))
            .evidence(format!("extent: {}", extent_span(extent)))
            .prints(grub);
            let mut finding = consequence(finding, cx.facts, entry, fact.role);
            finding.link = link_of(fact.role);
            out.push(finding);
        }
    }
}
