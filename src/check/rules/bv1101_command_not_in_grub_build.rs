use super::grub_error;
use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::menu::flavour::{FlavourEffect, Rule};
use crate::menu::{FileKind, MenuNode};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV1101",
    name: "command-not-in-grub-build",
    severity: Severity::Error,
    link: Link::Config,
    summary: "grub.cfg runs a command or option the installed GRUB build does not have (`linuxefi` on upstream GRUB or Debian's 2.12, `blscfg` before 2.14, `search --efidisk-only` before 2.12): GRUB prints `can't find command` or `unknown argument`",
    fix: "regenerate grub.cfg with the installed GRUB's own grub-mkconfig (`update-grub`, `grub2-mkconfig -o …`), write `linux`/`initrd` instead of `linuxefi`/`initrdefi`, or install a GRUB at least as new as the release the message names (`grub-install`)",
    doc: "## What it checks
Every command grub.cfg runs that exists only in some GRUB builds, against the
build that will run it (issue 21; chosen from the GRUB image's `.sbat`, the
modules' version, a /boot/grub2 layout or /etc/os-release, or
`--grub-flavour`): `linuxefi`/`initrdefi` exist in Red Hat's GRUB
(loader/i386/efi/linux.c) and Debian's x86_64-efi build (its linuxefi.mod),
never on i386-pc and never upstream; `blscfg` exists only in Red Hat's GRUB
(commands/blscfg.c) and upstream's from 2.14 (commands/blsuki.c); Debian's
linuxefi.mod is gone from its 2.12. Commands and options that appeared in a
later release than the installed one (src/menu/versions.rs: `smbios` 2.06,
`search --efidisk-only`, `cryptomount --key-file`/`--password`, `plainmount`
2.12, `tpm2_key_protector_init`, `cryptomount --protector` 2.14), judged for
upstream's and Debian's builds whose version is known (Red Hat's and Ubuntu's
backport). When the build is not known, nothing is judged.

## Why it breaks the boot
GRUB looks the name up when the line runs and prints ``error: can't find
command `linuxefi'.`` (script/function.c). In an entry the kernel is then never
loaded, and `boot` ends with `error: you need to load the kernel first.`. A
top-level `blscfg` that does not exist adds no entries: every entry the BLS
snippets describe is missing from the menu. This happens when a grub.cfg is
copied between distributions, or written by another distribution's
grub-mkconfig (a chroot, a multi-boot USB stick). An option the command does
not know stops it before it runs: `grub_arg_parse` (lib/arg.c) fails with
``unknown argument `--efidisk-only'`` and the extcmd dispatcher
(commands/extcmd.c) returns, so `search … --set=root` sets nothing and
`cryptomount --key-file …` unlocks nothing. A command that loads nothing
(`smbios`, `tpm2_key_protector_init`) only fails itself: the entry goes on,
and whether it boots depends on what the command was there for.

## Example
    menuentry 'Install CentOS 7' {
    	linuxefi /images/pxeboot/vmlinuz inst.stage2=hd:LABEL=CentOS\\x207\\x20x86_64
    	initrdefi /images/pxeboot/initrd.img
    }
on upstream GRUB 2.06, or `blscfg` in a grub.cfg read by Debian's GRUB.

## Fix
Regenerate grub.cfg with the grub-mkconfig of the GRUB that boots, or use the
commands every build has: `linux` and `initrd` (GRUB 2.04+ starts EFI-stub
kernels with them), menuentry blocks instead of `blscfg`.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let menu = &cx.facts.menu;
    let build = menu
        .grub
        .as_ref()
        .map_or_else(|| "the installed".to_string(), |b| b.describe());
    for effect in menu
        .flavour_effects
        .iter()
        .filter(|e| matches!(e.rule, Rule::MissingCommand | Rule::MissingOption))
    {
        let Some(words) = effect.command.as_deref() else {
            continue;
        };
        let (name, rejected) = match effect.rule {
            Rule::MissingOption => words.split_once(' ').unwrap_or((words, "")),
            _ => (words, ""),
        };
        let loads = matches!(name, "linuxefi" | "initrdefi" | "blscfg" | "bls_import");
        let finding = |message: String| {
            let printed = if effect.rule == Rule::MissingOption {
                grub_error(&format!("unknown argument `{rejected}'"))
            } else {
                grub_error(&format!("can't find command `{name}'"))
            };
            let f = Finding::new(&INFO, message)
                .at(effect.location)
                .evidence(format!("GRUB build: {build}"))
                .prints(printed);
            // Only a loader (or blscfg) missing breaks the boot by itself;
            // otherwise the later links say whether what it did was needed.
            if loads {
                f
            } else {
                f.severity(Severity::Warning)
            }
        };
        match &effect.entry {
            Some(path) => {
                let Some(MenuNode::Entry(entry)) = menu.node(path) else {
                    continue;
                };
                let what = if name.starts_with("initrd") {
                    "the entry's initrd is not loaded"
                } else if loads {
                    "the entry's kernel is not loaded"
                } else {
                    "the entry goes on without it"
                };
                let mut f = finding(format!("{}: {what}", effect.message)).entry(entry);
                f.location = Some(effect.location);
                if matches!(name, "linuxefi") {
                    f = f.prints(grub_error("you need to load the kernel first"));
                }
                out.push(f);
            }
            None => out.push(finding(blscfg_message(effect, cx))),
        }
    }
    bls_entries_missing(cx, out);
}

/// The message for a command outside every entry.
fn blscfg_message(effect: &FlavourEffect, cx: &Context<'_>) -> String {
    let snippets = cx
        .facts
        .menu
        .files
        .iter()
        .filter(|f| f.kind == FileKind::Bls)
        .count();
    match effect.command.as_deref() {
        Some("blscfg" | "bls_import") => format!(
            "{}: the {snippets} entr{} it would build from BLS snippets are not in the menu",
            effect.message,
            if snippets == 1 { "y" } else { "ies" }
        ),
        _ => effect.message.clone(),
    }
}

/// Each entry built by a `blscfg` that does not exist: it is not in the menu.
fn bls_entries_missing(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let missing = cx.facts.menu.flavour_effects.iter().any(|e| {
        e.rule == Rule::MissingCommand
            && matches!(e.command.as_deref(), Some("blscfg" | "bls_import"))
    });
    if !missing {
        return;
    }
    for entry in super::entries(cx) {
        let Some((path, _)) = super::bls_snippet(cx, entry) else {
            continue;
        };
        out.push(
            Finding::new(
                &INFO,
                format!("this entry comes from {path}, which only `blscfg` reads, and this GRUB has no `blscfg`: the menu will not show it"),
            )
            .entry(entry)
            .prints(grub_error("can't find command `blscfg'")),
        );
    }
}
