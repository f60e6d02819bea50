use super::loader_common::{CoreBreak, bios_chain, broken_bios_chain};
use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::inspect::grub_image::{GrubImage, GrubImageKind};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV6004",
    name: "core-image-needs-repair",
    severity: Severity::Warning,
    link: Link::Core,
    summary: "GRUB's core image is damaged on the disk; GRUB's Reed-Solomon codes repair it at every boot, until more damage exceeds them",
    fix: "`grub-install --target=i386-pc /dev/DISK` to write core.img again, then find what wrote over it",
    doc: "## What it checks
The embedded core image, read where diskboot.img loads it from, differs from
what `grub-install` wrote, and the Reed-Solomon codes grub-setup (util/setup.c)
appended when it embedded the image in the BIOS boot partition or the gap
after the MBR put it right. bootvet applies the codes exactly as GRUB's startup
code does before decompressing (startup_raw.S calls `grub_reed_solomon_recover`,
grub-core/lib/reed_solomon.c): which bytes change, and whether every codeword
then checks. The repaired payload must then decode to a core with its module
area; otherwise, or when the codewords still do not check, it is BV6003.
When the header's sizes do not place the codes where grub-setup writes them,
bootvet cannot apply them and says the repair is unknown (also this check).

## Why it breaks the boot
Today it does not: GRUB repairs the damage in memory at every boot (the QEMU
suite's `core-corrupt`, 4 KiB overwritten inside the payload, boots). The codes
repair at most half as many sectors per block as they hold; the sectors are
being damaged by something (another tool embedding its own loader, a
partitioning tool, a failing disk), and the next damage past that limit hangs
the machine after `GRUB loading.` (the suite's `core-corrupt-beyond`).

## Example
    dd if=/dev/urandom of=/dev/sda1 bs=512 seek=20 count=8   # inside the BIOS boot partition

## Fix
Write core.img again (`grub-install --target=i386-pc /dev/sda`; Debian:
`dpkg-reconfigure grub-pc`), then look for what writes there: another tool
embedding its own loader, a partitioning tool, a failing disk (`smartctl -a`).",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    if let Some(broken) = broken_bios_chain(cx) {
        if broken.kind == CoreBreak::NeedsRepair {
            out.push(
                Finding::new(
                    &INFO,
                    format!(
                        "the core image on ({}) at LBA {} does not decode as stored; GRUB may repair it at boot, but where its Reed-Solomon codes lie is not known",
                        broken.disk, broken.kernel_sector
                    ),
                )
                .evidence(format!("{}: {}", broken.path, broken.fault))
                .fix(format!(
                    "write core.img again: `grub-install --target=i386-pc {}`",
                    broken.path
                )),
            );
        }
        return;
    }
    let Some((disk, path, chain)) = bios_chain(cx) else {
        return;
    };
    let Some(GrubImage {
        kind: GrubImageKind::Bios {
            repair: Some(repair),
            ..
        },
        ..
    }) = &chain.core
    else {
        return;
    };
    let lbas: Vec<u64> = repair
        .sectors
        .iter()
        .filter_map(|&s| chain.core_sector_lba(u64::from(s)))
        .collect();
    out.push(
        Finding::new(
            &INFO,
            format!(
                "the core image on ({disk}) is damaged in {} sector(s); GRUB's Reed-Solomon codes repair its {} damaged byte(s) at every boot",
                repair.sectors.len(),
                repair.bytes
            ),
        )
        .evidence(format!(
            "{path}: damaged core sectors {} (LBA {})",
            ranges(repair.sectors.iter().map(|&s| u64::from(s))),
            ranges(lbas.into_iter())
        ))
        .evidence("after the repair every codeword checks and the payload decodes to GRUB's kernel and its modules")
        .fix(format!(
            "write core.img again before more damage exceeds the codes: `grub-install --target=i386-pc {path}`"
        )),
    );
}

/// `20-27, 31` from ascending numbers.
fn ranges(numbers: impl Iterator<Item = u64>) -> String {
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for n in numbers {
        match runs.last_mut() {
            Some((_, end)) if n == *end + 1 => *end = n,
            _ => runs.push((n, n)),
        }
    }
    runs.iter()
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}
