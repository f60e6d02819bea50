use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::menu::path_text;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV2001",
    name: "default-matches-nothing",
    severity: Severity::Warning,
    link: Link::Menu,
    summary: "`default` (or saved_entry / next_entry) matches no entry; GRUB boots entry 0",
    fix: "set GRUB_DEFAULT in /etc/default/grub to an existing entry (or `saved` with grub-set-default), then update-grub",
    doc: "## What it checks
The value of `default` when the menu is shown — a number, a title, an id or an
`a>b` path, often `${saved_entry}` or `${next_entry}` from grubenv — names an
entry that exists (grub-core/normal/menu.c).

## Why it breaks the boot
GRUB does not complain: it silently boots entry 0. After a kernel is removed or
a BLS entry is renamed, that is often not the kernel anyone meant, or an old one.

## Example
    set default=\"gnulinux-5.10.0-9-advanced-…\"   # that kernel was removed

## Fix
Set `GRUB_DEFAULT` in /etc/default/grub to an index, title or id that exists, or
use `GRUB_DEFAULT=saved` and `grub-set-default`/`grub2-set-default` with a current
entry id; then run `update-grub`.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let default = &cx.facts.menu.default;
    let Some(why) = &default.fell_back else {
        return;
    };
    // No grub.cfg was read because GRUB never gets to it (BV6xxx say why).
    if cx.facts.menu.entries.is_empty()
        && cx
            .facts
            .loader
            .as_ref()
            .is_some_and(|l| l.stops_before_config())
    {
        return;
    }
    let value = default.value.clone().unwrap_or_default();
    // GRUB falls back to index 0; when that is a submenu, what boots is the
    // entry the menu model resolved it to (1>0 and the like).
    let instead = default
        .path
        .as_deref()
        .map_or_else(|| "0".to_string(), path_text);
    let mut finding = Finding::new(
        &INFO,
        format!("default \"{value}\" matches no entry; GRUB boots entry {instead} instead"),
    )
    .evidence(why.clone());
    if let Some(path) = &default.path
        && let Some(node) = cx.facts.menu.node(path)
    {
        finding = finding.evidence(format!(
            "entry {} \"{}\" boots instead",
            path_text(path),
            node.head().title
        ));
    }
    if default.uncertain {
        finding = finding
            .severity(Severity::Info)
            .evidence("the value depends on something decided at boot");
    }
    out.push(finding);
}
