use super::loader_common::{efi_walk, entry_name, failed_entry};
use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::loader::{AttemptFailure, AttemptOutcome};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV6150",
    name: "boot-entry-partition-missing",
    severity: Severity::Error,
    link: Link::Firmware,
    summary: "a firmware boot entry names a partition that is on none of the disks",
    fix: "delete the stale entry (`efibootmgr -b NNNN -B`) and create one for the ESP that is there (`grub-install`, or `efibootmgr --create --disk /dev/sdX --part N --loader '\\EFI\\debian\\shimx64.efi' --label debian`)",
    doc: "## What it checks
Each `Boot####` entry the firmware will try (BootNext, then BootOrder, active
boot entries only) names its partition by an `HD()` node: partition number and
GPT partition GUID (or MBR disk signature). The check looks that partition up
on the disks given (`--image`, or the live system's) the way edk2 does
(`BmMatchPartitionDevicePathNode`: number and signature, not start nor size).

## Why it breaks the boot
The firmware cannot load a file from a partition that is not there: OVMF prints
`BdsDxe: failed to load Boot0001 \"debian\" from HD(…)/\\EFI\\debian\\shimx64.efi: Not Found`
and goes on with the next entry in BootOrder, then with each disk's removable
path `\\EFI\\BOOT\\BOOTX64.EFI` (edk2 `BdsEntry.c` `BootBootOptions`). When a
later entry loads, the machine boots, but from that fallback: a warning. When
nothing later loads, nothing boots: an error. Entries go stale when the ESP is
re-created (new partition GUID), the disk is replaced or cloned, or an
installer's entry outlives its disk.

## Example
    sgdisk -n 1:0:+512M -t 1:ef00 /dev/sda     # ESP made again: a new PARTUUID
    efibootmgr -v  # Boot0001* debian HD(1,GPT,<old guid>,…)/File(\\EFI\\debian\\shimx64.efi)

## Fix
Delete the stale entry with `efibootmgr -b 0001 -B` and let `grub-install`
create one for the ESP that exists (or `efibootmgr --create --disk /dev/sda
--part 1 --loader '\\EFI\\debian\\shimx64.efi' --label debian`); a removable
loader (`grub-install --removable`) boots when no entry does.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(l) = efi_walk(cx) else {
        return;
    };
    for a in &l.attempts {
        let AttemptOutcome::Fails {
            why: AttemptFailure::NoPartition { partition },
            printed,
        } = &a.outcome
        else {
            continue;
        };
        let message = format!(
            "{} names {partition}, a partition on none of the disks",
            entry_name(a)
        );
        out.push(
            failed_entry(&INFO, l, message, printed.as_ref()).evidence(format!(
                "{}: {}",
                entry_name(a),
                a.path
            )),
        );
    }
}
