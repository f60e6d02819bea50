use super::loader_common::{CoreBreak, broken_bios_chain};
use crate::check::{CheckInfo, Context, Finding, Link, Severity};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV6004",
    name: "core-image-needs-repair",
    severity: Severity::Warning,
    link: Link::Core,
    summary: "GRUB's core image does not decode as stored; GRUB repairs it with its Reed-Solomon codes at boot, and whether that succeeds is not known",
    fix: "`grub-install --target=i386-pc /dev/DISK` to write core.img again, then find what wrote over it",
    doc: "## What it checks
The embedded core image's LZMA payload, read where diskboot.img loads it from,
does not decode to the size its header claims (or has no module area at its
end), and the core carries the Reed-Solomon bytes `grub-install` (util/setup.c)
appends when it embeds the image in the BIOS boot partition or the gap after
the MBR.

## Why it breaks the boot
The bytes on the disk are not the ones grub-install wrote. Before decoding,
GRUB's startup code runs `grub_reed_solomon_recover` over the image, which
repairs a limited number of damaged bytes spread over its blocks: a 4 KiB
burst in the payload of a real install was repaired and the machine booted
(the QEMU suite's `core-corrupt`). Damage beyond what the codes cover runs
garbage: the machine hangs or resets after `GRUB loading.`. bootvet does not
apply the codes itself, so it cannot say which case this is.

## Example
    dd if=/dev/urandom of=/dev/sda1 bs=512 seek=20 count=8   # inside the BIOS boot partition

## Fix
Write core.img again (`grub-install --target=i386-pc /dev/sda`; Debian:
`dpkg-reconfigure grub-pc`), then look for what writes there: another tool
embedding its own loader, a partitioning tool, a failing disk (`smartctl -a`).",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(broken) = broken_bios_chain(cx) else {
        return;
    };
    if broken.kind != CoreBreak::NeedsRepair {
        return;
    }
    out.push(
        Finding::new(
            &INFO,
            format!(
                "the core image on ({}) at LBA {} does not decode as stored; GRUB may repair it at boot",
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
