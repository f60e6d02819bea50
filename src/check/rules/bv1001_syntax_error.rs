use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::menu::NoteKind;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV1001",
    name: "syntax-error",
    severity: Severity::Error,
    link: Link::Config,
    summary: "a statement in the config does not parse; GRUB skips it",
    fix: "correct the statement in the file it comes from (/etc/grub.d/40_custom, custom.cfg, a BLS snippet), then regenerate grub.cfg",
    doc: "## What it checks
Every statement of grub.cfg and of every file it sources parses as GRUB's parser
(grub-core/script/parser.y) would parse it.

## Why it breaks the boot
GRUB prints the error, throws the whole statement away and goes on with the next
line. When the statement is a `menuentry`, the entry is gone; when the error sits
inside an entry's body, the rest of the body runs at the top level while the
config is read, and the closing `}` is a second error.

## Example
    menuentry 'Custom' {
        linux /vmlinuz root=/dev/sda2 | tee
    }

## Fix
grub-mkconfig checks only what it generates: fix the hand-written snippet
(/etc/grub.d/40_custom, /boot/grub/custom.cfg), run `bootvet parse` on it, then
`update-grub` (or `grub-mkconfig -o /boot/grub/grub.cfg`).",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for note in &cx.facts.menu.notes {
        if note.kind != NoteKind::SyntaxError {
            continue;
        }
        let mut finding = Finding::new(&INFO, note.message.clone())
            .prints("error: syntax error.")
            .evidence("GRUB skips the whole statement and reads on at the next line");
        if let Some(location) = note.location {
            finding = finding.at(location);
        }
        out.push(finding);
    }
}
