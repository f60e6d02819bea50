//! BV7009: under Secure Boot, the EFI binary an entry chainloads is refused by
//! shim's Verify(), which GRUB's shim_lock verifier calls for it.

use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::secure_boot::Stage;
use crate::menu::BootEntry;
use crate::menu::model::{CommandKind, EntryCommand};

use super::grub_error;
use super::secure_boot::{Verdict, loader_blocked, named, shim, shim_enforces, vendor};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV7009",
    name: "secure-boot-chainload-rejected",
    severity: Severity::Error,
    link: Link::Kernel,
    summary: "with Secure Boot on, GRUB refuses the EFI binary the entry chainloads: it is unsigned, signed by a key shim does not trust, or revoked",
    fix: "chainload a binary signed by a key in db, MokList or shim's vendor certificate (sign it with `sbsign` and enroll the key with `mokutil --import`), or boot it from the firmware's boot menu",
    doc: "## What it checks
`chainloader FILE` (loader/efi/chainloader.c) opens the file as
GRUB_FILE_TYPE_EFI_CHAINLOADED_IMAGE. Under Secure Boot with shim, GRUB's
shim_lock verifier (kern/efi/sb.c) reads it whole and hands it to shim's
`Verify()` — the lists shim uses for the kernel: denied by a hash or
certificate in shim's vendor dbx, dbx or MokListX; allowed by a hash in db or
MokList, or a signature anchored in db, MokList or shim's vendor certificate.
A binary that passes is then given to the firmware's LoadImage(), which shim
16.1 has hooked (loader-proto.c `shim_load_image`, installed in secure mode
when shim carries a vendor certificate): the same lists again, so a binary
signed by a MOK key loads although db alone would refuse it. This check
applies those lists to every file an entry chainloads.

## Why it breaks the boot
`chainloader` fails with `error: bad shim signature.` before anything is
loaded; GRUB goes on with the entry (an explicit `boot` in it prints
`error: you need to load the kernel first.`), and with nothing loaded it does
not boot: it shows `Press any key to continue...` and returns to the menu
(`Failed to boot both default and fallback entries.` when the entry was the
default; normal/menu.c `grub_menu_execute_entry`). The QEMU suite's
`sb-chain-unsigned` shows exactly that. Another OS's loader (a second distribution's GRUB or shim, a
self-built EFI application) is the usual victim.

## Example
    menuentry 'Other GRUB (on /dev/sda2)' {
        insmod part_gpt
        insmod fat
        set root='hd0,gpt2'
        chainloader /EFI/other/grubx64.efi     # built with grub-mkimage: unsigned
    }

## Fix
Chainload the distribution's signed loader (its shimx64.efi, signed by
Microsoft's UEFI CA in db, or its signed grubx64.efi), or sign the binary:
`sbsign --key MOK.key --cert MOK.crt --output FILE FILE`, then `mokutil
--import MOK.der` and confirm the enrollment in MokManager at the next boot.
Starting that loader from the firmware's own boot menu needs a db signature.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let facts = cx.facts;
    let policy = &facts.secure_boot.policy;
    // No shim before GRUB: shim's lists decide nothing (BV7010).
    if !shim_enforces(policy)
        || super::secure_boot::grub_without_shim(facts).is_some()
        || loader_blocked(facts)
    {
        return;
    }
    for binary in facts.secure_boot.stage(Stage::Chainloaded) {
        let (Verdict::Denied(why) | Verdict::NotAllowed(why)) = shim(policy, vendor(facts), binary)
        else {
            continue;
        };
        let Some(index) = binary.file else { continue };
        for entry in super::entries(cx) {
            let command = entry.commands.iter().find(|c| {
                matches!(&c.kind, CommandKind::Chainloader { file, .. }
                    if facts.files.iter().position(|f| f.device == file.device && f.path == file.path) == Some(index))
            });
            let Some(command) = command else { continue };
            out.push(
                Finding::new(
                    &INFO,
                    format!(
                        "shim refuses the chainloaded {} under Secure Boot",
                        named(binary)
                    ),
                )
                .entry(entry)
                .at(command.location)
                .evidence(why.clone())
                .prints(grub_error("bad shim signature"))
                .prints_all(after_refusal(entry, command)),
            );
        }
    }
}

/// What the rest of the entry prints once `chainloader` failed: an explicit
/// `boot` after it has nothing to boot (loader/efi/chainloader.c registered no
/// loader); then normal/menu.c waits after the errors and, with no loader, does
/// not boot.
fn after_refusal(entry: &BootEntry, chainloader: &EntryCommand) -> Vec<String> {
    let boots = entry
        .commands
        .iter()
        .skip_while(|c| !std::ptr::eq(*c, chainloader))
        .any(|c| matches!(&c.kind, CommandKind::Other { name, .. } if name == "boot"));
    let mut lines = Vec::new();
    if boots {
        lines.push(grub_error("you need to load the kernel first"));
    }
    lines.push("Press any key to continue...".into());
    lines
}
