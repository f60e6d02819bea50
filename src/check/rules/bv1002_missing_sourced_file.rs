use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::menu::NoteKind;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV1002",
    name: "missing-sourced-file",
    severity: Severity::Warning,
    link: Link::Config,
    summary: "`source`, `configfile` or `load_env` names a file that is not there",
    fix: "create the file, or remove the reference from /etc/grub.d/ and regenerate grub.cfg",
    doc: "## What it checks
Every file the config reads while it runs — `source`/`.` snippets, `configfile`
targets, `load_env` blocks — exists on the device GRUB will read it from.

## Why it breaks the boot
GRUB prints `error: file '…' not found` and goes on without the file: the entries,
variables or defaults it would have defined are missing. A stub config on the ESP
whose `configfile` target is gone leaves GRUB at its rescue prompt.

## Example
    search --fs-uuid --set=root 0c2a…
    configfile ($root)/boot/grub/grub.cfg      # /boot was reformatted

## Fix
Point the reference at the file that exists (for an ESP stub, reinstall GRUB with
`grub-install` so the stub is rewritten), or remove it from /etc/grub.d/ and run
`update-grub`.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for note in &cx.facts.menu.notes {
        if note.kind != NoteKind::MissingFile {
            continue;
        }
        let mut finding = Finding::new(&INFO, note.message.clone());
        if let Some(location) = note.location {
            finding = finding.at(location);
        }
        out.push(finding);
    }
}
