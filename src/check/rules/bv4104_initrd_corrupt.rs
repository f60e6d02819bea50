use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::inspect::initrd::{Depth, ErrorKind, InitrdError, KeptBeforeFault, SegmentKind};
use crate::menu::FileRef;

use super::root_mount_lines::MountingKernel;
use super::root_path::{Booted, first_fault, init_kept, initrds};
use super::{needs_initramfs, where_found};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4104",
    name: "initrd-corrupt",
    severity: Severity::Error,
    link: Link::Initrd,
    summary: "the initrd is truncated or corrupt: the kernel stops unpacking it",
    fix: "rebuild the initramfs (`update-initramfs -u -k VERSION`, `dracut -f --kver VERSION`) after freeing space on /boot",
    doc: "## What it checks
Each initrd is read as the kernel's `unpack_to_rootfs` reads it: zero padding,
uncompressed cpio archives (early microcode), then compressed segments chosen by
their two-byte magic, each decompressed and its cpio walked. The first fault is
reported with its byte offset and the exact line the kernel prints. Without
`--deep` bootvet reads the uncompressed archives, the start of the first
compressed segment (4 MiB of its output) and every top-level magic; `--deep`
decompresses every segment to its end.

## Why it breaks the boot
GRUB loads the file without looking inside. The kernel prints
`Initramfs unpacking failed: …` (`read error`, `ZSTD-compressed data is
truncated`, `invalid magic at start of compressed archive`, `junk at the end of
compressed archive`…), keeps whatever it unpacked before the fault and goes on.
When `/init` or the root disk's modules were past the fault, nothing can find
`root=UUID=…`: `VFS: Unable to mount root fs on unknown-block(0,0)`. A copy that
ran out of space on /boot, or an interrupted `update-initramfs`, leaves exactly
this: a file that exists, has a plausible size, and ends in the middle.

When the fault comes after whole segments that hold `/init` and everything
bootvet reads there (modules, `modules.dep`, the storage layers' tools) — text
appended after the archive, a later segment cut short — and the file is the
last the entry loads, the kernel prints the line and boots on with them: a
warning (both seen in QEMU boots of Debian's kernel). A fault in an earlier file
of `initrd A B` loses B too: the kernel reads the files as one.

## Example
    /boot/initrd.img-6.11.0-rc1+   zstd data starting at offset 0 ends at byte
    41 943 040 before its end marker
    Initramfs unpacking failed: ZSTD-compressed data is truncated

## Fix
Free space on /boot, then rebuild the image (`update-initramfs -u -k VERSION`,
`dracut -f --kver VERSION`, `mkinitcpio -P`) and run `bootvet check --deep`
again before rebooting.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        let Some(booted) = Booted::of(cx.facts, entry) else {
            continue;
        };
        let loaded = initrds(cx.facts, entry);
        for (index, &(command, file, report)) in loaded.iter().enumerate() {
            let Some(fault) = first_fault(&booted, report) else {
                continue;
            };
            if fault.kind == ErrorKind::NotConfigured {
                continue; // BV4106
            }
            if let Some(kept) = init_kept(&loaded, index, &fault) {
                let finding = survived(file, report.size, &fault, kept)
                    .entry(entry)
                    .at(command.location);
                out.push(match cx.facts.file(file) {
                    Some(fact) => finding.evidence(format!("read from {}", where_found(fact))),
                    None => finding,
                });
                continue;
            }
            let method = match report.segments.get(fault.segment).map(|s| s.kind) {
                Some(SegmentKind::Compressed(c)) => format!("{} data", c.kernel_name()),
                _ => "archive".to_string(),
            };
            let message = match fault.kind {
                ErrorKind::Truncated | ErrorKind::TruncatedCpio | ErrorKind::JunkAtEnd => format!(
                    "initrd '{}' is truncated: its {method} ends at byte {} before its end",
                    file.path, fault.offset
                ),
                ErrorKind::InvalidMagic => format!(
                    "initrd '{}' has bytes the kernel cannot unpack at byte {} of {}",
                    file.path, fault.offset, report.size
                ),
                _ => format!(
                    "initrd '{}' is corrupt: its {method} fails near byte {} of {}",
                    file.path, fault.offset, report.size
                ),
            };
            let mut finding = Finding::new(&INFO, message)
                .entry(entry)
                .at(command.location)
                .evidence(fault.detail.clone());
            if let Some(fact) = cx.facts.file(file) {
                finding = finding.evidence(format!("read from {}", where_found(fact)));
            }
            if report.depth == Depth::Quick {
                finding = finding.evidence(
                    "found without --deep: in the headers or the first part of the archive",
                );
            }
            if !fault.kernel_message_exact {
                finding = finding.evidence(
                    "this decompressor prints its own message first; the line shown is the one init/initramfs.c adds",
                );
            }
            if let Some(line) = fault.kernel_line() {
                finding = finding.prints(line);
            }
            if let Some(root) = booted.root().filter(|r| needs_initramfs(r)) {
                finding = finding.evidence(format!(
                    "the kernel keeps the {} entries unpacked before the fault; without a working /init it mounts root={root} itself, which it cannot",
                    report.entries
                ));
                finding = finding
                    .prints_all(MountingKernel::of(cx.facts, entry).lines_without_device(root));
            }
            out.push(finding);
        }
    }
}

/// A fault after whole segments that hold `/init` (`root_path::init_kept`): the
/// kernel prints its line and runs `/init` from them. When they also hold
/// everything bootvet read, the rest of the checks judge that archive; otherwise
/// the cut segment held more, which may or may not have been unpacked.
fn survived(file: &FileRef, size: u64, fault: &InitrdError, kept: &KeptBeforeFault) -> Finding {
    let segments = match kept.segments {
        1 => "the whole segment".to_string(),
        n => format!("the {n} whole segments"),
    };
    let what = if kept.all_evidence {
        format!(
            "the kernel stops there and runs /init from the {} entries of {segments} before it, which hold every module, modules.dep and storage tool bootvet found: the boot goes on",
            kept.entries
        )
    } else {
        format!(
            "the kernel stops there and runs /init from the {} entries of {segments} before it; the segment at fault holds modules or files bootvet read, which may be missing",
            kept.entries
        )
    };
    let mut finding = Finding::new(
        &INFO,
        format!(
            "initrd '{}' has a fault at byte {} of {size}, after {segments} holding /init",
            file.path, fault.offset
        ),
    )
    .severity(Severity::Warning)
    .evidence(fault.detail.clone())
    .evidence(what);
    if let Some(line) = fault.kernel_line() {
        finding = finding.prints(line);
    }
    finding
}
