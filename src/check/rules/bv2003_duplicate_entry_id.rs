use std::collections::BTreeMap;

use crate::check::{CheckInfo, Context, EntryRef, Finding, Link, Severity};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV2003",
    name: "duplicate-entry-id",
    severity: Severity::Warning,
    link: Link::Menu,
    summary: "two entries share an `--id`; `default` can only ever pick the first",
    fix: "give each entry its own --id (for 40_custom entries, edit the snippet), then update-grub",
    doc: "## What it checks
Within one menu level, every entry's `--id` is unique.

## Why it breaks the boot
`default`, `saved_entry` and `fallback` find the first entry with the id: the
second can never be chosen by id, and a `grub-reboot` meant for it boots the
first one.

## Example
    menuentry 'Linux (new)' --id linux { … }
    menuentry 'Linux (old)' --id linux { … }

## Fix
Give every entry a distinct `--id` in the snippet that defines it
(/etc/grub.d/40_custom) and run `update-grub`.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let mut seen: BTreeMap<(String, String), EntryRef> = BTreeMap::new();
    for entry in super::entries(cx) {
        let Some(id) = &entry.head.id else { continue };
        let level = entry.head.path[..entry.head.path.len().saturating_sub(1)]
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(">");
        match seen.get(&(level.clone(), id.clone())) {
            Some(first) => out.push(
                Finding::new(
                    &INFO,
                    format!("entry id \"{id}\" is also used by entry {}", first.path),
                )
                .entry(entry)
                .evidence(format!("first: {} \"{}\"", first.path, first.title)),
            ),
            None => {
                seen.insert((level, id.clone()), EntryRef::of(entry));
            }
        }
    }
}
