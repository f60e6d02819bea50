use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::menu::EntryHead;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV2102",
    name: "entry-needs-password",
    severity: Severity::Warning,
    link: Link::Menu,
    summary: "the entry that boots next is password-protected: GRUB asks for a user name and password first",
    fix: "add `--unrestricted` to the entry (on Debian/Ubuntu: CLASS=\"… --unrestricted\" in /etc/grub.d/10_linux), or boot it as a user named by --users, then run update-grub",
    doc: "## What it checks
Whether `$superusers` is set when the menu is shown and the entry that boots
next (or a submenu on its path) is restricted: a `menuentry`/`submenu`
without `--unrestricted` is restricted to the superusers, or to those and the
users `--users` names (grub-core/commands/menuentry.c: `users` is `\"\"`
unless `--unrestricted`, and any non-NULL list marks the entry restricted).
GRUB checks before running the entry, for the default boot after the timeout
too (grub-core/normal/menu.c `grub_menu_execute_entry` →
`grub_auth_check_authentication`). An empty `superusers` still counts as set.
With `check --unattended` this is an error (exit 3).

## Why it breaks the boot
`is_authenticated` (grub-core/normal/auth.c) fails for everyone until someone
types a user name and password at the console: `Enter username:` waits for the
keyboard, and a wrong answer sleeps and doubles the delay. An unattended
machine never boots.

## Example
    set superusers=\"admin\"
    password_pbkdf2 admin grub.pbkdf2.sha512.10000.…
    menuentry 'Ubuntu' --class ubuntu { … }        # no --unrestricted

## Fix
Mark the boot entries `--unrestricted` (Debian/Ubuntu: add it to `CLASS` in
/etc/grub.d/10_linux; Fedora's entries have it) so that only editing and the
command line need the password, then run `update-grub`.",
    run,
};

fn restricted(head: &EntryHead) -> bool {
    !head.unrestricted
}

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let menu = &cx.facts.menu;
    if menu.wait.superusers_unknown {
        return;
    }
    let Some(superusers) = &menu.wait.superusers else {
        return;
    };
    let Some(entry) = super::bv2101_menu_waits::next_entry(cx) else {
        return;
    };
    // The submenus on the way are entries too: choosing one is executing it.
    let heads: Vec<&EntryHead> = (1..=entry.head.path.len())
        .filter_map(|n| menu.node(&entry.head.path[..n]).map(|node| node.head()))
        .collect();
    let Some(locked) = heads.iter().find(|h| restricted(h)) else {
        return;
    };
    let who = match &locked.users {
        Some(users) if !users.is_empty() => {
            format!("superusers \"{superusers}\" or --users \"{users}\"")
        }
        _ => format!("superusers \"{superusers}\""),
    };
    out.push(
        Finding::new(
            &INFO,
            format!(
                "\"{}\" is restricted (no --unrestricted) while superusers is set: the next boot waits at GRUB's login prompt for {who}",
                locked.title
            ),
        )
        .entry(entry)
        .at(locked.location)
        .evidence(format!("superusers=\"{superusers}\" when the menu is shown"))
        .prints("Enter username: "),
    );
}
