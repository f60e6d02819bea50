use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::host::RawState;

use super::sectors_common::{link_of, raw_reads_of, role_name, sector_hex};
use super::where_found;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV5011",
    name: "not-on-disk-yet",
    severity: Severity::Warning,
    link: Link::Kernel,
    summary: "a kernel or initrd is still in the page cache: the disk holds other bytes (--deep, live)",
    fix: "run `sync` (or wait for writeback) and check again before rebooting; never reset the machine (SysRq-b, a killed VM, a power cut) right after writing /boot",
    doc: "## What it checks
With `--deep` on the live system, for every kernel and initrd an entry loads
from a mounted filesystem: FIEMAP's flags (delayed allocation, unknown or
unwritten extents: bytes with no written place on the disk yet), then every
extent read raw from the disk (`O_DIRECT`, past the page cache) and compared
with the bytes the mounted filesystem returns. The first byte that differs is
reported with its sector in GRUB's numbering.

## Why it breaks the boot
Linux serves a freshly written file from its page cache and writes it to the
disk later (dirty pages wait up to `vm.dirty_expire_centisecs`, 30 s by
default; ext4 allocates their blocks only then). GRUB reads the disk. A clean
reboot writes everything out first, but a crash, a hang, a power cut, SysRq-b
or a killed VM before writeback leaves GRUB the old bytes: a missing or
half-written kernel or initrd, an initramfs the kernel cannot unpack. If the
bytes still differ after `sync`, the disk did not store what Linux wrote.

## Example
    cp initrd.img-6.11.0 /boot/ && echo b > /proc/sysrq-trigger   # no sync

## Fix
Run `sync` and check again. Tools that install kernels (dpkg,
update-initramfs, kernel-install) sync on their own; copies made by hand do
not. If the difference stays after `sync`, suspect the disk or its cache:
back up and check it.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        for (command, file, fact, raw) in raw_reads_of(cx, entry) {
            let size = fact.stat.as_ref().map(|s| s.size).unwrap_or(0);
            let what = role_name(fact.role);
            let (message, evidence) = match &raw.state {
                RawState::Unflushed { bytes } => (
                    format!(
                        "{what} '{}' is not on the disk yet: {bytes} of its {size} bytes are only in the page cache, and GRUB reads the disk",
                        file.path
                    ),
                    "FIEMAP: extents with delayed allocation, unknown or unwritten (no written place on the disk yet)".to_string(),
                ),
                RawState::Differs {
                    disk_byte,
                    file_offset,
                } => (
                    format!(
                        "{what} '{}' is not on the disk yet: byte {file_offset} of {size} reads differently at sector {} of {} than through the mounted filesystem",
                        file.path,
                        sector_hex(*disk_byte),
                        raw.disk
                    ),
                    format!(
                        "read raw at disk byte {disk_byte} (O_DIRECT on block devices) and through the mount: first difference at file byte {file_offset}"
                    ),
                ),
                _ => continue,
            };
            let mut finding = Finding::new(&INFO, message)
                .entry(entry)
                .at(command.location)
                .evidence(format!("{} on {}", file.path, where_found(fact)))
                .evidence(evidence)
                .evidence("a clean reboot writes it out first; a crash, power cut or reset before then leaves GRUB the old bytes");
            finding.link = link_of(fact.role);
            out.push(finding);
        }
    }
}
