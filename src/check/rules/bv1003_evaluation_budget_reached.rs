use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::menu::NoteKind;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV1003",
    name: "evaluation-budget-reached",
    severity: Severity::Warning,
    link: Link::Config,
    summary: "the config ran into one of bootvet's evaluation budgets: what lies past it is not checked",
    fix: "find why the config recurses or loops this far (a file that sources itself, a function that calls itself) and remove the cycle, then regenerate grub.cfg",
    doc: "## What it checks
bootvet runs grub.cfg the way GRUB does, within budgets that bound any input:
200,000 statements, `source`/`configfile`/function calls nested 32 deep, 1,000
iterations of one loop, 1,000 entries in one menu, 256 files or 32 MiB read,
32 MiB of recorded commands. A config that reaches one is reported, with the
budget and where it was reached.

## Why it breaks the boot
No real grub.cfg comes near these budgets: reaching one means a cycle (a file
that sources itself, a function that calls itself, a loop that never ends) or a
generator gone wrong. GRUB sets no such bound of its own on `source`: each level
re-reads the file (`grub_normal_execute` from `grub_cmd_source`), so a cycle runs
until GRUB's memory or stack gives out, or the menu it builds is not the one
intended. Either way the entries bootvet lists past the budget are not known,
and their verdicts do not cover the whole menu.

## Example
    # /boot/grub/custom.cfg, sourced by grub.cfg's 41_custom
    source $prefix/grub.cfg

## Fix
Remove the cycle: a snippet in /etc/grub.d/ or custom.cfg that sources grub.cfg
(or itself), a function that calls itself without a way out. Then regenerate
grub.cfg (`update-grub`, or `grub2-mkconfig -o /boot/grub2/grub.cfg`).",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for note in &cx.facts.menu.notes {
        if note.kind != NoteKind::LimitReached {
            continue;
        }
        let mut finding = Finding::new(
            &INFO,
            format!("bootvet's evaluation budget was reached: {}", note.message),
        )
        .evidence("the entries and settings past this point are not checked");
        if let Some(location) = note.location {
            finding = finding.at(location);
        }
        out.push(finding);
    }
}
