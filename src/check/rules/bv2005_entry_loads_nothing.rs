use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::menu::CommandKind;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV2005",
    name: "entry-loads-nothing",
    severity: Severity::Error,
    link: Link::Menu,
    summary: "an entry loads no kernel and chainloads nothing",
    fix: "add the `linux` (or `chainloader`) line the entry is missing, or remove the entry",
    doc: "## What it checks
Each menu entry runs some loader: `linux`/`linux16`/`linuxefi`, `chainloader`,
`multiboot`/`multiboot2`, `kfreebsd`…, `ntldr`, or hands over with `configfile`.

## Why it breaks the boot
An entry with nothing loaded ends without booting: GRUB prints
`error: you need to load the kernel first` (or returns to the menu) and tries the
`fallback` entry if there is one.

## Example
    menuentry 'Linux 6.11' {
        insmod ext2
        search --fs-uuid --set=root …
    }

## Fix
Regenerate the config (`update-grub`) so the generator writes the `linux` line,
or fix the custom snippet that defines the entry.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        let loads = entry.commands.iter().any(|c| {
            matches!(
                c.kind,
                CommandKind::Linux { .. }
                    | CommandKind::Chainloader { .. }
                    | CommandKind::Load { .. }
                    | CommandKind::Configfile { .. }
            ) || matches!(&c.kind, CommandKind::Other { name, .. }
                if matches!(name.as_str(), "boot" | "reboot" | "halt" | "fwsetup" | "exit" | "normal" | "source" | "."))
        });
        if !loads {
            out.push(
                Finding::new(
                    &INFO,
                    format!(
                        "entry \"{}\" loads no kernel and chainloads nothing",
                        entry.head.title
                    ),
                )
                .entry(entry)
                .prints("error: you need to load the kernel first."),
            );
        }
    }
}
