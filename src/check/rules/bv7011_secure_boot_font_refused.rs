//! BV7011: under Secure Boot with shim, `loadfont` of a font file given by its
//! path on a disk: the shim_lock verifier refuses GRUB_FILE_TYPE_FONT.

use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::menu::model::{CommandKind, EntryCommand};

use super::bv7007_secure_boot_module_refused::grub_under_shim;
use super::grub_error;
use super::secure_boot::{loader_blocked, shim_enforces};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV7011",
    name: "secure-boot-font-refused",
    severity: Severity::Warning,
    link: Link::Config,
    summary: "with Secure Boot on, grub.cfg loads a font file from disk (a theme's font): GRUB refuses it, prints an error and goes on without the font",
    fix: "drop the theme (GRUB_THEME in /etc/default/grub) or its font lines, and run update-grub; `loadfont unicode` (the signed image's own font) still works",
    doc: "## What it checks
`loadfont FILE` (font/font.c `grub_font_load`) opens FILE as
GRUB_FILE_TYPE_FONT. Under Secure Boot GRUB's lockdown verifier defers fonts
(kern/lockdown.c) and shim's verifier (kern/efi/sb.c
`shim_lock_verifier_init`) refuses every type it neither checks nor skips,
fonts among them, with `prohibited by secure boot policy`; files in the
image's memdisk bypass the verifiers (kern/verifiers.c). A bare name
(`loadfont unicode`) is tried in `(memdisk)/fonts/` first (Debian's font.c),
where Debian's signed image keeps unicode.pf2, so only fonts named by a path
on a disk are judged here — the `loadfont ($root)/boot/grub/themes/…/X.pf2`
lines 00_header writes for each font of a GRUB_THEME.

## Why it breaks the boot
It does not: GRUB prints `error: prohibited by secure boot policy.` for the
command and goes on. The theme then draws with fonts it lacks (boxes, or
GRUB's fallback), and the error shows on every boot.

## Example
    loadfont ($root)/boot/grub/themes/starfield/dejavu_14.pf2
    insmod png
    set theme=($root)/boot/grub/themes/starfield/theme.txt

## Fix
Under Secure Boot a theme's fonts cannot be loaded from disk by design: drop
GRUB_THEME from /etc/default/grub (or the font lines from the /etc/grub.d
script that writes them) and run `update-grub`. `loadfont unicode` keeps
working.",
    run,
};

/// A font named by a path on a disk: `(dev)/…` or `/…`, not the memdisk.
fn from_disk(command: &EntryCommand) -> Option<&str> {
    let CommandKind::Other { name, args } = &command.kind else {
        return None;
    };
    if name != "loadfont" {
        return None;
    }
    args.iter()
        .map(String::as_str)
        .find(|a| (a.starts_with('(') || a.starts_with('/')) && !a.starts_with("(memdisk)"))
}

/// The file's path without its `(device)`: the device is often `$root`, which
/// bootvet evaluates to its own placeholder at the top level.
fn file_part(path: &str) -> &str {
    match path.strip_prefix('(').and_then(|p| p.split_once(')')) {
        Some((_, file)) => file,
        None => path,
    }
}

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let facts = cx.facts;
    if !shim_enforces(&facts.secure_boot.policy) || loader_blocked(facts) {
        return;
    }
    if grub_under_shim(facts).is_none() {
        return;
    }
    let finding = |path: &str, command: &EntryCommand| {
        Finding::new(
            &INFO,
            format!(
                "`loadfont` of {}: under Secure Boot GRUB refuses a font file from disk",
                file_part(path)
            ),
        )
        .at(command.location)
        .evidence("fonts are not verified by shim: only those in the signed image's memdisk load under lockdown".to_string())
        .prints(grub_error("prohibited by secure boot policy"))
    };
    for command in &facts.menu.fonts {
        if let Some(path) = from_disk(command) {
            out.push(finding(path, command));
        }
    }
    for entry in super::entries(cx) {
        for command in &entry.commands {
            if let Some(path) = from_disk(command) {
                // An error while the entry ran: GRUB waits before `boot`.
                out.push(
                    finding(path, command)
                        .entry(entry)
                        .prints("Press any key to continue..."),
                );
            }
        }
    }
}
