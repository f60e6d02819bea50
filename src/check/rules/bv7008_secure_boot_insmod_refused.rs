//! BV7008: an explicit `insmod` that GRUB's lockdown refuses under Secure Boot,
//! of a module nothing in the entry's loading depends on (when the entry's loader
//! command needs it, BV7007 reports the entry, with this line among its own).

use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::menu::model::CommandKind;

use super::bv7007_secure_boot_module_refused::{lockdown_grub, refused_commands};
use super::loader_common::lockdown_module_line;
use super::secure_boot::loader_blocked;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV7008",
    name: "secure-boot-insmod-refused",
    severity: Severity::Warning,
    link: Link::Config,
    summary: "with Secure Boot on, grub.cfg `insmod`s a module the signed GRUB image does not hold: GRUB refuses to load it from disk, prints an error and goes on without it",
    fix: "remove the `insmod` (or the /etc/default/grub setting that writes it, such as a GRUB_THEME with .tga images), or use what the signed image holds",
    doc: "## What it checks
Under Secure Boot, shim starts Debian's signed, monolithic GRUB image, whose
`mods` section holds the modules it can use. `insmod X` of a module already
in it is a no-op. Any other module is read from `$prefix/x86_64-efi/X.mod`
(kern/dl.c `grub_dl_load` → `grub_dl_load_file`) as a
GRUB_FILE_TYPE_GRUB_MODULE; the lockdown verifier (kern/lockdown.c) defers
such files, and shim's verifier (kern/efi/sb.c `shim_lock_verifier_init`)
refuses every file type it neither checks nor skips with GRUB_ERR_ACCESS_DENIED,
`prohibited by secure boot policy`. This check takes each `insmod`, in an
entry or outside any, whose module the signed image does not hold and that the
entry's loader command does not need (that case is BV7007's error).

## Why it breaks the boot
It does not, by itself: `insmod` fails, GRUB prints
`error: prohibited by secure boot policy.` and runs the next command. Inside an
entry, an error shown while the entry ran makes GRUB wait for a key (`Press any
key to continue...`, up to 10 seconds: normal/menu.c `grub_wait_after_message`)
and then boots it. What the module would have
done is missing: a theme's .tga background is not drawn, a command from the
module fails when used (GRUB tries to load the module again, with the same
error). A warning, since the kernel still boots.

## Example
    insmod tga        # 00_header, for a GRUB_THEME with a .tga background
    menuentry 'Debian GNU/Linux' {
        insmod morse
        linux /vmlinuz-6.1.0-28-amd64 root=UUID=… ro
    }

## Fix
Remove the `insmod` from the file that writes it (/etc/grub.d/, or the
GRUB_THEME / GRUB_BACKGROUND setting in /etc/default/grub that makes
00_header write it) and run `update-grub`. Use image formats and commands
the signed image holds (png and jpeg are in Debian's). Loading modules from
disk needs Secure Boot off (`mokutil --disable-validation`), by design.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let facts = cx.facts;
    let Some(grub) = lockdown_grub(facts).filter(|_| !loader_blocked(facts)) else {
        return;
    };
    let held = |m: &str| grub.modules.iter().any(|g| g == m);
    let evidence = |m: &str| {
        format!(
            "the GRUB image shim starts holds {} modules, not {m}",
            grub.modules.len()
        )
    };
    // grub.cfg's own insmods run once, before the menu: one finding each.
    for module in facts.menu.modules.iter().filter(|m| !held(m)) {
        out.push(
            Finding::new(&INFO, message(module))
                .evidence(evidence(module))
                .evidence("outside any entry: GRUB goes on to the menu".to_string())
                .prints(lockdown_module_line(cx, module)),
        );
    }
    for entry in super::entries(cx) {
        let needed: Vec<&str> = refused_commands(grub, entry)
            .into_iter()
            .map(|(_, _, m)| m)
            .collect();
        for command in &entry.commands {
            let CommandKind::Insmod { module } = &command.kind else {
                continue;
            };
            if held(module) || needed.contains(&module.as_str()) {
                continue;
            }
            out.push(
                Finding::new(&INFO, message(module))
                    .entry(entry)
                    .at(command.location)
                    .evidence(evidence(module))
                    .prints(lockdown_module_line(cx, module))
                    // The entry printed an error: GRUB waits before `boot`.
                    .prints("Press any key to continue..."),
            );
        }
    }
}

fn message(module: &str) -> String {
    format!(
        "`insmod {module}`: {module}.mod is not in the signed GRUB image; under Secure Boot GRUB refuses to load it from disk and goes on without it"
    )
}
