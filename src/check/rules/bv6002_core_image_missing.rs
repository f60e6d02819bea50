use super::loader_common::{BrokenBiosChain, CoreBreak, broken_bios_chain};
use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::inspect::grub_image::FaultKind;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV6002",
    name: "core-image-missing",
    severity: Severity::Error,
    link: Link::Core,
    summary: "GRUB's boot code names a core image that is not there: the machine hangs after `GRUB `",
    fix: "`grub-install --target=i386-pc /dev/DISK` to embed core.img again",
    doc: "## What it checks
GRUB's `boot.img` in the MBR loads one sector, `kernel_sector` (the u64 at 0x5C):
the first sector of core.img (`diskboot.img`). That sector must be there and be
GRUB's diskboot (its blocklist read from 0x1F4 down), not zeros and not another
program's data.

## Why it breaks the boot
boot.img prints `GRUB `, reads the sector and jumps into it without checking
what it read (grub-core/boot/i386/pc/boot.S). Zeros — a BIOS boot partition
wiped or recreated, the post-MBR gap overwritten by another tool — run as
code: the screen keeps `GRUB ` and a blinking cursor, and the machine hangs
(reference §1.1, seen in QEMU). No message names the cause.

## Example
    sgdisk -d1 -n1:2048:+1M -t1:ef02 /dev/sda   # BIOS boot partition recreated
    dd if=/dev/zero of=/dev/sda1                 # or wiped

## Fix
Embed core.img again: `grub-install --target=i386-pc /dev/sda` (Debian:
`dpkg-reconfigure grub-pc`). On GPT the disk needs a BIOS boot partition
(type EF02, ≥ 1 MiB) for it.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(broken) = broken_bios_chain(cx) else {
        return;
    };
    if broken.kind != CoreBreak::Missing {
        return;
    }
    let BrokenBiosChain {
        disk,
        path,
        kernel_sector,
        fault,
        ..
    } = broken;
    let what = match fault.kind {
        FaultKind::Blank => "is all zeros",
        FaultKind::Truncated => "cannot be read",
        _ => "is not GRUB's diskboot sector",
    };
    out.push(
        Finding::new(
            &INFO,
            format!(
                "GRUB's boot code on ({disk}) loads core.img from LBA {kernel_sector}, which {what}: the machine hangs after `GRUB `"
            ),
        )
        .evidence(format!("{path} LBA 0: GRUB boot.img, kernel_sector = {kernel_sector}"))
        .evidence(format!("LBA {kernel_sector}: {fault}"))
        .evidence("the screen shows `GRUB ` and a blinking cursor; nothing else is printed")
        .fix(format!(
            "embed core.img again: `grub-install --target=i386-pc {path}` (on GPT the disk needs a BIOS boot partition, type EF02)"
        )),
    );
}
