use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::menu::{CommandKind, EntryCommand};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV2103",
    name: "interactive-command",
    severity: Severity::Warning,
    link: Link::Menu,
    summary: "a command on the way to the next boot waits for the keyboard (`read`) or the clock (`sleep`)",
    fix: "remove the `read` (or `sleep`) from the custom snippet in /etc/grub.d/ (40_custom, custom.cfg) and run update-grub",
    doc: "## What it checks
The commands run while grub.cfg is read (outside any entry) and in the entry
that boots next: `read` waits for a line typed at the console
(grub-core/commands/read.c loops on `grub_getkey` until Enter), `sleep N`
waits N seconds (`--interruptible`: Esc ends it). `sleep 0`, as in Ubuntu's
hidden-timeout fallback, waits for nothing. A `read` is a warning, and an
error with `check --unattended` (exit 3); a `sleep` is an info finding with
how long it waits.

## Why it breaks the boot
Nobody types at a headless machine's console: `read` never returns, and the
entry (or the menu) is never reached.

## Example
    echo 'Press Enter to boot'
    read

## Fix
Remove the `read` (or `sleep`) from the snippet that adds it (/etc/grub.d/40_custom,
custom.cfg) and run `update-grub`.",
    run,
};

/// Seconds `sleep`'s arguments ask for (`-v`/`-i` and long forms skipped).
fn sleep_seconds(args: &[String]) -> Option<u64> {
    args.iter()
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
}

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let next = super::bv2101_menu_waits::next_entry(cx);
    let mut commands: Vec<(&EntryCommand, &str)> = cx
        .facts
        .menu
        .wait
        .commands
        .iter()
        .map(|c| (c, "while grub.cfg is read, before the menu"))
        .collect();
    if let Some(entry) = next {
        commands.extend(
            entry
                .commands
                .iter()
                .map(|c| (c, "in the entry that boots next")),
        );
    }
    for (command, where_) in commands {
        let CommandKind::Other { name, args } = &command.kind else {
            continue;
        };
        let when = command
            .conditional
            .as_deref()
            .map(|c| format!(" (if {c})"))
            .unwrap_or_default();
        let finding = match name.as_str() {
            "read" => Finding::new(
                &INFO,
                format!("`read` runs {where_}{when}: the boot waits for someone to press Enter"),
            ),
            "sleep" => match sleep_seconds(args) {
                Some(n) if n > 0 => Finding::new(
                    &INFO,
                    format!(
                        "`sleep {}` runs {where_}{when}: the boot waits {n} s",
                        args.join(" ")
                    ),
                )
                .severity(Severity::Info),
                _ => continue,
            },
            _ => continue,
        };
        let finding = finding.at(command.location);
        out.push(match next {
            Some(entry) => finding.entry(entry),
            None => finding,
        });
    }
}
