use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::menu::CommandKind;

use super::grub_error;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV2004",
    name: "initrd-before-linux",
    severity: Severity::Error,
    link: Link::Menu,
    summary: "`initrd` runs before any `linux`: GRUB refuses it",
    fix: "put the `linux` line before the `initrd` line in the entry's snippet, then update-grub",
    doc: "## What it checks
In each entry, an `initrd` command comes after a `linux` command; a later
`linux` discards the initrd loaded before it (grub-core/loader/i386/linux.c).

## Why it breaks the boot
GRUB prints `error: you need to load the kernel first` and loads no initrd; the
kernel then boots without its initramfs and, with root=UUID=…, panics with
`VFS: Unable to mount root fs on unknown-block(0,0)`.

## Example
    menuentry 'Linux' {
        initrd /initrd.img
        linux /vmlinuz root=UUID=…
    }

## Fix
Swap the lines in the snippet that defines the entry (/etc/grub.d/40_custom) so
that `linux` comes first, then run `update-grub`.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        let mut kernel_loaded = false;
        for command in &entry.commands {
            match &command.kind {
                CommandKind::Linux { .. } => kernel_loaded = true,
                CommandKind::Initrd { command: name, .. } if !kernel_loaded => {
                    out.push(
                        Finding::new(&INFO, format!("`{name}` runs before any `linux` command"))
                            .entry(entry)
                            .at(command.location)
                            .prints(grub_error("you need to load the kernel first")),
                    );
                    break;
                }
                _ => {}
            }
        }
    }
}
