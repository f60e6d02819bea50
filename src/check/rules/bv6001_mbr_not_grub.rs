use super::loader_common::loader;
use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::loader::{BiosRead, FirmwareStep};
use crate::inspect::grub_image::BootSectorKind;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV6001",
    name: "mbr-not-grub",
    severity: Severity::Warning,
    link: Link::Firmware,
    summary: "the boot disk's MBR holds boot code that is not GRUB's: the BIOS starts another loader",
    fix: "`grub-install --target=i386-pc /dev/DISK` onto the disk the BIOS boots",
    doc: "## What it checks
On BIOS machines, the first 440 bytes of the boot disk's LBA 0 are GRUB's
`boot.img` (it starts with `EB 63 90`, holds 0x8000 at 0x5A and the strings
`GRUB `, `Geom`, `Read`, ` Error`). An all-zero code area (a protective MBR
written by a partitioning tool, a disk image made without grub-install) is not
reported: GRUB may then be installed on another disk.

## Why it breaks the boot
The BIOS runs whatever code LBA 0 holds. Another loader (Windows' MBR code,
syslinux, a stale loader) never reaches this GRUB: the grub.cfg bootvet checked
is then not the one that boots, or nothing boots at all.

## Example
    dd if=/dev/zero of=/dev/sda bs=440 count=1   # then another tool wrote its own code

## Fix
Reinstall GRUB's boot code onto the disk the BIOS boots:
`grub-install --target=i386-pc /dev/sda` (Debian: `dpkg-reconfigure grub-pc`
and pick the disk).",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(FirmwareStep::Bios {
        disk,
        path,
        chain: BiosRead::Read(chain),
    }) = loader(cx).map(|l| &l.firmware)
    else {
        return;
    };
    if chain.boot_sector.kind != BootSectorKind::Other {
        return;
    }
    out.push(
        Finding::new(
            &INFO,
            format!("the MBR of ({disk}) holds boot code that is not GRUB's boot.img"),
        )
        .evidence(format!(
            "{path} LBA 0: no `EB 63 90` jump with GRUB's strings{}",
            if chain.boot_sector.signature {
                ""
            } else {
                ", and no 55 AA signature"
            }
        ))
        .fix(format!(
            "`grub-install --target=i386-pc {path}` if this is the disk the BIOS boots"
        )),
    );
}
