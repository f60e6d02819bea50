use super::loader_common::{BrokenBiosChain, CoreBreak, broken_bios_chain};
use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::inspect::grub_image::FaultKind;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV6003",
    name: "core-image-corrupt",
    severity: Severity::Error,
    link: Link::Core,
    summary: "GRUB's core image is there but damaged: its blocklist, compressed payload or module area is broken",
    fix: "`grub-install --target=i386-pc /dev/DISK` to write core.img again",
    doc: "## What it checks
The core image boot.img loads is read the way diskboot.img and GRUB's
decompressor read it: the blocklist (12-byte entries down from 0x1F4) names
readable sectors inside the disk, the `lzma_decompress.img` header's sizes are
within GRUB's limits, the raw LZMA payload decodes to exactly the size the
header claims, and the result ends in a well-formed `mimg` module area.
An embedded core carries the Reed-Solomon codes grub-setup appended over the
decompressor and the payload: bootvet first applies them exactly as GRUB's
startup code does (grub-core/lib/reed_solomon.c), and judges the bytes GRUB
will decode. Damage the codes put right is BV6004's; damage beyond them is
this check's (the codewords are still wrong after the repair).
The codes do not cover diskboot's code nor the first `no_rs_length` bytes of
`lzma_decompress.img` (its header, its real-mode start and the Reed-Solomon
decoder itself: 1883 bytes in Debian's 2.06). Those are compared with
`PLATFORM/core.img` at the prefix, the file grub-bios-setup embedded: setup
changes only diskboot's blocklist, the code-size field and the appended codes
(util/setup.c), so when every byte the codes cover matches that file and some
of these do not, they were damaged after the install. A core.img from another
install (the protected bytes differ too) proves nothing and is not reported.

## Why it breaks the boot
diskboot prints `GRUB loading.` and copies the sectors its blocklist names; a
bad entry stops with `Read Error` or `Geom Error`, a damaged payload or module
area runs garbage: the machine hangs or resets (reference §1.2–1.4, §8). The
QEMU suite boots all three: `core-blocklist-bad` (a blocklist entry past the
disk's end), `core-corrupt-beyond` (more damaged sectors than the codes repair)
and `core-unprotected` (one sector of the decompressor's unprotected start: the
machine resets at once). Programs that write into the sectors after the MBR
(licence managers, some disk tools) are the usual cause on an MBR disk.

## Example
    dd if=/dev/urandom of=/dev/sda1 bs=512 count=1   # diskboot's blocklist, inside the BIOS boot partition

## Fix
Write core.img again: `grub-install --target=i386-pc /dev/sda`.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(broken) = broken_bios_chain(cx) else {
        return;
    };
    if broken.kind != CoreBreak::Damaged {
        return;
    }
    let BrokenBiosChain {
        disk,
        path,
        kernel_sector,
        fault,
        ..
    } = broken;
    let mut finding = Finding::new(
        &INFO,
        format!(
            "the core image on ({disk}) at LBA {kernel_sector} is damaged: {}",
            fault.message
        ),
    )
    .evidence(format!("{path}: {fault}"))
    .fix(format!(
        "write core.img again: `grub-install --target=i386-pc {path}`"
    ));
    if fault.kind == FaultKind::BadBlocklist {
        finding = finding.evidence(
            "diskboot stops with `Read Error` or `Geom Error`, or loads the wrong sectors",
        );
    } else {
        finding =
            finding.evidence("the screen shows `GRUB loading.`, then the machine hangs or resets");
    }
    out.push(finding);
}
