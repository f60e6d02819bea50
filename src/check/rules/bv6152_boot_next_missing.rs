use super::loader_common::efi_walk;
use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::loader::{AttemptBy, AttemptFailure, AttemptOutcome};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV6152",
    name: "boot-next-missing",
    severity: Severity::Warning,
    link: Link::Firmware,
    summary: "BootNext names a Boot#### entry that does not exist: the one-time boot will not happen",
    fix: "set BootNext to an entry that exists (`efibootmgr -n NNNN`), or delete it (`efibootmgr -N`)",
    doc: "## What it checks
`BootNext`, the one-time boot request (`efibootmgr -n`, `systemctl reboot
--boot-loader-entry`, `grub-reboot` for firmware entries), names a `Boot####`
variable that exists.

## Why it breaks the boot
edk2's BdsDxe deletes `BootNext` and loads the option it names; when there is
no such variable (`EfiBootManagerVariableToLoadOption` fails) it says nothing
and goes on with BootOrder (`MdeModulePkg/Universal/BdsDxe/BdsEntry.c`). The
machine boots, but not what was asked for: an update that wanted one boot into
another system or a recovery entry does not get it.

## Example
    efibootmgr -n 0007      # after Boot0007 was deleted

## Fix
Point BootNext at an entry that exists (`efibootmgr -n NNNN`, see
`efibootmgr -v`), or delete the request (`efibootmgr -N`).",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(l) = efi_walk(cx) else {
        return;
    };
    for a in &l.attempts {
        if a.by != AttemptBy::BootNext
            || !matches!(
                a.outcome,
                AttemptOutcome::Fails {
                    why: AttemptFailure::NoVariable,
                    ..
                }
            )
        {
            continue;
        }
        let n = a.number.unwrap_or_default();
        out.push(
            Finding::new(
                &INFO,
                format!("BootNext names Boot{n:04X}, which does not exist: the firmware ignores it"),
            )
            .evidence("BdsDxe deletes BootNext and, finding no such Boot#### variable, goes on with BootOrder"),
        );
    }
}
