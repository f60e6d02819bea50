use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::menu::NoteKind;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV2002",
    name: "grubenv-corrupt",
    severity: Severity::Warning,
    link: Link::Menu,
    summary: "the grubenv block is malformed",
    fix: "recreate it: `grub-editenv /boot/grub/grubenv create`, then set saved_entry again",
    doc: "## What it checks
The environment block read by `load_env` is exactly 1024 bytes, starts with
`# GRUB Environment Block`, holds `name=value` lines and is padded with `#`
(grub-core/lib/envblk.c).

## Why it breaks the boot
GRUB refuses the block (`invalid environment block`): `saved_entry`,
`next_entry` and, on RHEL 8 / Fedora ≤ 32 BLS systems, `kernelopts` are lost —
the default falls back to entry 0 and BLS entries boot without `root=`.
`save_env` also fails, so recordfail/boot_success never update.

## Example
A grubenv edited with a text editor: 1025 bytes, the padding shortened.

## Fix
Never edit grubenv by hand: `grub-editenv /boot/grub/grubenv create` (grub2-editenv
on Fedora/RHEL), then `grub-set-default …` and, on RHEL 8,
`grub2-editenv - set kernelopts=\"root=… ro …\"`.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for note in &cx.facts.menu.notes {
        if note.kind != NoteKind::MalformedGrubenv {
            continue;
        }
        let mut finding =
            Finding::new(&INFO, note.message.clone()).prints("error: invalid environment block.");
        if let Some(location) = note.location {
            finding = finding.at(location);
        }
        out.push(finding);
    }
}
