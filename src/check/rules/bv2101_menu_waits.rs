use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::menu::BootEntry;

/// GRUB 2.06's text menu (grub-core/normal/menu_text.c `print_message`, the
/// top-level menu) as a screen shows it: the banner, then the help under the
/// entry list. The arrows (GRUB_UNICODE_UPARROW/DOWNARROW) are each terminal's
/// own glyphs (a serial console's terminfo: `^` and `v`; the VGA text screen:
/// its arrows), hence `…`; the second message wraps to the menu's width,
/// after `commands` on 80 columns, so only its first line is promised (QEMU
/// boots menu-timeout-forever and menu-recordfail, serial and screen).
pub const MENU_SCREEN: [&str; 3] = [
    "GNU GRUB  version …",
    "Use the … and … keys to select which entry is highlighted.",
    "Press enter to boot the selected OS, `e' to edit the commands",
];

pub const INFO: CheckInfo = CheckInfo {
    code: "BV2101",
    name: "menu-waits",
    severity: Severity::Warning,
    link: Link::Menu,
    summary: "the next boot stops at the GRUB menu until someone presses a key",
    fix: "set GRUB_TIMEOUT to a number of seconds (not -1) in /etc/default/grub (and GRUB_RECORDFAIL_TIMEOUT on Ubuntu), then run update-grub",
    doc: "## What it checks
The menu the next boot shows, as grub.cfg and the grubenv it loads leave
`$timeout` and `$timeout_style` (grub-core/normal/menu.c `run_menu` in GRUB
2.06): a `timeout` that is unset, negative or not a number (`grub_strtoul`
fails on `-1`) means the menu waits for a key forever, whatever
`timeout_style` says (GRUB unsets `timeout_style` then). Ubuntu's 00_header
makes the wait depend on `recordfail` from the grubenv (`if [ \"${recordfail}\"
= 1 ] ; then set timeout=30` — or `-1` with `GRUB_RECORDFAIL_TIMEOUT=-1`):
recordfail is set by every Ubuntu entry as it boots and cleared only by
`grub-common`'s boot-success unit, so after an interrupted or failed boot the
next one waits. A finite wait caused by recordfail is an info finding: the
machine still boots on its own. With `check --unattended` (servers, fleets,
remote consoles) a menu that waits forever is an error (exit 3), and so is a
config that never sets `timeout` (common in hand-written configs, and only
reported with `--unattended`).

## Why it breaks the boot
Nothing boots until someone at the console (or a remote KVM) presses Enter: a
headless server stays down after a reboot, a fleet update stalls.

## Example
    set timeout=-1
    if [ \"${recordfail}\" = 1 ] ; then set timeout=-1 ; fi   # grubenv: recordfail=1

## Fix
Set `GRUB_TIMEOUT` to a number of seconds in /etc/default/grub (and
`GRUB_RECORDFAIL_TIMEOUT` on Ubuntu), then run `update-grub`; clear a stale
recordfail with `grub-editenv /boot/grub/grubenv unset recordfail`.",
    run,
};

/// The entry that boots next.
pub(super) fn next_entry<'a>(cx: &Context<'a>) -> Option<&'a BootEntry> {
    let path = cx.facts.menu.default.path.as_ref()?;
    super::entries(cx)
        .into_iter()
        .find(|e| &e.head.path == path)
}

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let menu = &cx.facts.menu;
    let wait = &menu.wait;
    // Undecided ($timeout set under a condition only the boot decides):
    // nothing is claimed either way.
    if wait.timeout_unknown {
        return;
    }
    let Some(entry) = next_entry(cx) else {
        return;
    };
    let recordfail = wait.recordfail.as_deref() == Some("1");
    let why_recordfail = "recordfail=1 in the grubenv: the last boot of an Ubuntu entry did not reach grub-common's boot-success step, so 00_header's recordfail branch sets the timeout";
    match menu.timeout_seconds {
        // No `timeout` at all is how most hand-written configs are: the menu
        // waits, which only matters when nobody is there to press Enter.
        None if menu.timeout.is_none() && !cx.unattended => {}
        None => {
            let timeout = match &menu.timeout {
                None => "$timeout is not set".to_string(),
                Some(t) => format!("timeout={t}"),
            };
            let mut finding = Finding::new(
                &INFO,
                format!(
                    "the next boot stops at the GRUB menu and waits for a key ({timeout}): {} boots only when someone presses Enter",
                    entry.head.title
                ),
            )
            .entry(entry)
            .evidence(format!(
                "{timeout} when the menu is shown (GRUB waits forever when it is unset, negative or not a number)"
            ));
            if recordfail {
                finding = finding.evidence(why_recordfail).fix(
                    "clear the stale flag (`grub-editenv /boot/grub/grubenv unset recordfail`) and set GRUB_RECORDFAIL_TIMEOUT to a number of seconds in /etc/default/grub, then run update-grub",
                );
            }
            out.push(finding.prints_all(MENU_SCREEN.iter().map(|s| s.to_string())));
        }
        Some(seconds) if seconds > 0 && recordfail => {
            let style = wait.timeout_style.as_deref().unwrap_or("menu");
            let mut lines: Vec<String> = Vec::new();
            match style {
                "hidden" => {}
                "countdown" => lines.push(format!("{seconds}")),
                _ => {
                    lines.extend(MENU_SCREEN.iter().map(|s| s.to_string()));
                    lines.push(format!(
                        "The highlighted entry will be executed automatically in {seconds}s."
                    ));
                }
            }
            out.push(
                Finding::new(
                    &INFO,
                    format!(
                        "the next boot waits {seconds} s at the GRUB menu (timeout_style={style}) before {} boots",
                        entry.head.title
                    ),
                )
                .severity(Severity::Info)
                .entry(entry)
                .evidence(why_recordfail)
                .prints_all(lines)
                .fix("let the next boot finish once (grub-common clears recordfail), or `grub-editenv /boot/grub/grubenv unset recordfail`; GRUB_RECORDFAIL_TIMEOUT in /etc/default/grub sets the wait"),
            );
        }
        Some(_) => {}
    }
}
