use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::host::RawState;

use super::sectors_common::{consequence, link_of, raw_reads_of, role_name, sector_hex};
use super::{grub_error, where_found};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV5010",
    name: "sector-unreadable",
    severity: Severity::Error,
    link: Link::Kernel,
    summary: "a sector of a kernel or initrd cannot be read from the disk (--deep)",
    fix: "the disk is failing: back it up now, then reinstall the kernel package so its files move to readable sectors (and replace the disk)",
    doc: "## What it checks
With `--deep`, every sector of every kernel and initrd an entry loads is read
raw from the disk or image at the extents the filesystem maps the file to —
with `O_DIRECT` on block devices, so the page cache cannot hide a media error.
The first sector that fails is reported in GRUB's numbering (512-byte sectors,
hex), with the file offset it holds.

## Why it breaks the boot
GRUB reads the files through the firmware; a failed read stops the load with
`failure reading sector 0x… from `hd0'`. A kernel that cannot be read is not
loaded; an initrd is skipped and the kernel boots without it, which panics on
`unknown-block(0,0)` when root needs the initramfs. Linux may still read the
file from its page cache, so the running system looks fine.

## Example
    error: failure reading sector 0x16f8d40 from `hd0'.

## Fix
Back up the disk, check it (`smartctl -a`), rewrite the file elsewhere
(`apt reinstall linux-image-RELEASE`, `update-initramfs -c -k RELEASE` after
moving the old one aside), and replace the disk.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        for (command, file, fact, raw) in raw_reads_of(cx, entry) {
            let RawState::Failed {
                disk_byte,
                file_offset,
                sector_size,
                error,
            } = &raw.state
            else {
                continue;
            };
            let size = fact.stat.as_ref().map(|s| s.size).unwrap_or(0);
            let finding = Finding::new(
                &INFO,
                format!(
                    "{} '{}' cannot be read: sector {} of {} (byte {file_offset} of {size}) fails with {error}",
                    role_name(fact.role),
                    file.path,
                    sector_hex(*disk_byte),
                    raw.disk
                ),
            )
            .entry(entry)
            .at(command.location)
            .evidence(format!("{} on {}", file.path, where_found(fact)))
            .evidence(format!(
                "read raw at disk byte {disk_byte} in {sector_size}-byte sectors"
            ))
            .prints(grub_error(&format!(
                "failure reading sector {} from `{}'",
                sector_hex(*disk_byte),
                raw.disk
            )));
            let mut finding = consequence(finding, cx.facts, entry, fact.role);
            finding.link = link_of(fact.role);
            out.push(finding);
        }
    }
}
