use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::menu::NoteKind;

/// What GRUB 2.06 puts on the screen when normal mode has no menu to show:
/// `grub_enter_normal_mode` (grub-core/normal/main.c) runs grub.cfg, shows the
/// menu only `if (menu && menu->size)`, then `grub_cmdline_run` prints the
/// banner and `grub_normal_reader_init`'s line, and waits at the prompt. That
/// line wraps to the screen's width (after `TAB` on 80 columns, serial and
/// VGA alike in the QEMU boot grub-cfg-missing): only its first line is
/// promised.
pub const SCREEN: [&str; 3] = [
    "GNU GRUB  version …",
    "Minimal BASH-like line editing is supported. For the first word, TAB",
    "grub>",
];

pub const INFO: CheckInfo = CheckInfo {
    code: "BV2006",
    name: "menu-empty",
    severity: Severity::Error,
    link: Link::Menu,
    summary: "grub.cfg defines no menu entry: GRUB stops at its `grub>` prompt",
    fix: "regenerate the config (`update-grub`, or `grub2-mkconfig -o /boot/grub2/grub.cfg`) and check that it lists your kernels",
    doc: "## What it checks
Once grub.cfg has run, the menu has at least one `menuentry` or `submenu`. An
entry inside a block that never closes (an `if` without `fi`, a `{` without `}`)
does not count: GRUB skips the whole unparsable statement, entries and all.
When a file that could hold the entries was not read (a `configfile` target on a
disk bootvet was not given, a budget reached), the finding is a warning.

## Why it breaks the boot
GRUB's normal mode shows the menu only when it has entries
(`if (menu && menu->size)` in grub-core/normal/main.c). With none it drops to
its command line: the banner `GNU GRUB  version …`, `Minimal BASH-like line
editing is supported…` and the `grub>` prompt, where it waits for someone to type
the boot commands by hand. Nothing boots on its own, and `default`/`fallback`
have nothing to name.

## Example
    if [ -s $prefix/grubenv ]; then
      load_env
    # the `fi` was lost: every entry below is part of the broken `if`
    menuentry 'Debian GNU/Linux' {
        linux /vmlinuz root=UUID=… ro
    }

## Fix
Regenerate the config (`update-grub`, or `grub2-mkconfig -o /boot/grub2/grub.cfg`)
and check that it lists your kernels; if a custom snippet in /etc/grub.d/ opens a
block it never closes, close it first.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let menu = &cx.facts.menu;
    // A loader run while grub.cfg is read may boot from there (`linux …; boot`
    // at top level); the evaluator does not record `boot` itself, so such a
    // config is not called empty rather than called broken on a guess.
    if !menu.entries.is_empty() || !menu.top_level.is_empty() {
        return;
    }
    // GRUB never reaches grub.cfg, or there is none at the prefix: the BV6xxx
    // findings say what the screen shows.
    if cx
        .facts
        .loader
        .as_ref()
        .is_some_and(|l| l.stops_before_config())
    {
        return;
    }
    // A file bootvet could not read, or a budget it hit, may hold the entries
    // (an ESP stub's `configfile` target on a disk not given): the menu is then
    // only possibly empty, a warning rather than a failed boot.
    let unknown = menu.notes.iter().find(|n| {
        matches!(
            n.kind,
            NoteKind::MissingFile | NoteKind::UnreadableFile | NoteKind::LimitReached
        )
    });
    if let Some(note) = unknown {
        let finding = Finding::new(
            &INFO,
            "the menu has no entries unless a file bootvet could not read holds them: GRUB would stop at its `grub>` prompt",
        )
        .severity(Severity::Warning)
        .evidence(note.message.clone())
        .prints_all(SCREEN.iter().map(|s| s.to_string()));
        out.push(match note.location {
            Some(location) => finding.at(location),
            None => finding,
        });
        return;
    }
    let mut finding = Finding::new(
        &INFO,
        "the menu has no entries: GRUB stops at its `grub>` prompt",
    )
    .before_menu()
    .prints_all(SCREEN.iter().map(|s| s.to_string()));
    // A statement GRUB skips (an unclosed `if` swallowing the entries) is the
    // usual cause: point at the first one.
    if let Some(note) = menu.notes.iter().find(|n| n.kind == NoteKind::SyntaxError) {
        finding = finding.evidence(note.message.clone());
        if let Some(location) = note.location {
            finding = finding.at(location);
        }
    }
    out.push(finding);
}
