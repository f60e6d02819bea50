use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::inspect::initrd::LimitKind;

use super::root_path::{Booted, initrds};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4108",
    name: "initrd-over-limit",
    severity: Severity::Warning,
    link: Link::Initrd,
    summary: "the initrd expands beyond bootvet's limit (a decompression bomb, or an image no machine can hold)",
    fix: "rebuild the initramfs with fewer modules (MODULES=dep, stripped modules) and check it again",
    doc: "## What it checks
While decompressing an initrd, bootvet stops at 64 times the file's size (at
least 1 GiB, at most 16 GiB) of output and at two million cpio entries.

## Why it breaks the boot
The kernel unpacks the whole initramfs into RAM before it runs `/init`. An
image that expands that far is either hostile (a decompression bomb) or larger
than the memory of the machine: the unpacking fails with `write error` or the
kernel runs out of memory. bootvet does not read past the limit, so what lies
beyond is not checked. With the machine's memory known (`--memory SIZE`, or
`MemTotal` live) and the limit at or past it, the image cannot fit: the kernel
unpacks it into ramfs/tmpfs pages nothing can reclaim or swap, while no user
process exists for the OOM killer to choose, so it panics (mm/oom_kill.c
`out_of_memory`: `Out of memory and no killable processes...`, then `System is
deadlocked on memory`; seen on a 512 MiB QEMU machine booting a zstd initrd that
expands to 1.1 GiB). That is an error.

## Example
    /boot/initrd.img-6.11.0-rc1+: 24 KiB of zstd that expands past 1 GiB

## Fix
Rebuild the image from a sane module set: `MODULES=dep` in initramfs.conf,
modules installed stripped (`make INSTALL_MOD_STRIP=1 modules_install`); if the
file is not yours, do not boot it.",
    run,
};

/// mm/oom_kill.c `out_of_memory` (Linux 6.1) when no process can be killed, as the
/// kernel unpacking its initramfs is (seen on the QEMU suite's `deep-bomb`).
pub const OUT_OF_MEMORY: &str = "Kernel panic - not syncing: System is deadlocked on memory";

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        if Booted::of(cx.facts, entry).is_none() {
            continue;
        }
        for (command, file, report) in initrds(cx.facts, entry) {
            let Some(hit) = report.limit else { continue };
            let what = match hit.kind {
                LimitKind::Output => format!("expands past {} bytes", hit.limit),
                LimitKind::Entries => format!("holds more than {} entries", hit.limit),
            };
            let offset = report
                .segments
                .get(hit.segment)
                .map(|s| s.offset)
                .unwrap_or_default();
            let mut finding = Finding::new(
                &INFO,
                format!("initrd '{}' {what}: bootvet stopped reading it", file.path),
            )
            .entry(entry)
            .at(command.location)
            .evidence(format!(
                "{} bytes on disk; segment {} at offset {offset}",
                report.size, hit.segment
            ))
            .evidence("what lies past the limit was not checked");
            // More output than the machine has memory: it cannot be unpacked.
            if let (LimitKind::Output, Some(memory)) = (&hit.kind, &cx.facts.host.memory)
                && hit.limit >= memory.bytes
            {
                finding = finding
                    .severity(Severity::Error)
                    .evidence(format!(
                        "the machine has {} MiB of memory ({}): the kernel unpacks the initramfs into memory it cannot reclaim, and runs out before /init",
                        memory.bytes >> 20,
                        memory.source
                    ))
                    .prints(OUT_OF_MEMORY);
            }
            out.push(finding);
        }
    }
}
