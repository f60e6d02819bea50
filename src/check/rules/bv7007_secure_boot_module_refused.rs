use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::BootFacts;
use crate::facts::secure_boot::Stage;
use crate::inspect::grub_image::{GrubImage, GrubImageKind};
use crate::menu::BootEntry;
use crate::menu::model::{CommandKind, EntryCommand};

use super::loader_common::lockdown_module_line;
use super::secure_boot::{loader_blocked, shim_enforces};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV7007",
    name: "secure-boot-module-refused",
    severity: Severity::Error,
    link: Link::Kernel,
    summary: "with Secure Boot on, the command that loads the entry's kernel comes from a GRUB module the signed GRUB image does not hold, and GRUB refuses to load modules from disk",
    fix: "boot this entry with Secure Boot off, or use a loader command the signed image holds (`linux`, `chainloader`)",
    doc: "## What it checks
Under Secure Boot, shim starts a signed, monolithic GRUB image (Debian's
`grubx64.efi`: its `mods` section holds linux, linuxefi, chain, the
filesystems, search, …) and GRUB enforces lockdown (kern/efi/init.c calls
`grub_lockdown()`): every `.mod` file read from `$prefix` is a
GRUB_FILE_TYPE_GRUB_MODULE that the lockdown verifier (kern/lockdown.c)
defers to shim's (kern/efi/sb.c), which refuses it. A command whose module is
not built in is registered by normal.mod from `command.lst` and loads its
module on first use (normal/dyncmd.c): under Secure Boot that load fails.
This check takes the command that loads what the entry boots — `multiboot2`
and `module2` (Xen), `multiboot` and `module`, `linux16`/`initrd16`,
`xnu_kernel`, `appleloader` — finds its module (x86_64-efi `command.lst`,
GRUB 2.06 and 2.12), and looks for it among the modules of the GRUB image the
chain reaches.

## Why it breaks the boot
GRUB prints `error: prohibited by secure boot policy.` for each such command
and loads nothing; at the end of the entry it shows `Press any key to
continue...` and, with no kernel loaded, returns to the menu without trying
`boot` (`Failed to boot both default and fallback entries.` when the entry was
the default; the QEMU suite's `sb-multiboot2`). An explicit `insmod`
of the module fails the same way. Even with the module, a Multiboot kernel is
not an Authenticode-signed PE image: shim's Verify() would refuse it.

## Example
    menuentry 'Debian GNU/Linux, with Xen hypervisor' {
        multiboot2 /xen-4.17-amd64.gz placeholder
        module2 /vmlinuz-6.1.0-28-amd64 placeholder root=UUID=… ro
    }

## Fix
Boot Xen through its EFI binary (`chainloader /EFI/xen/xen.efi`, signed and
enrolled), or turn Secure Boot off for this entry's machine
(`mokutil --disable-validation`, or in the firmware). Debian's signed GRUB
cannot load modules from disk by design.",
    run,
};

/// The commands that load what an entry boots, and the module registering each
/// (`/usr/lib/grub/x86_64-efi/command.lst` of GRUB 2.06-13 and 2.12).
const LOADER_MODULES: &[(&str, &str)] = &[
    ("linux", "linux"),
    ("initrd", "linux"),
    ("linuxefi", "linuxefi"),
    ("initrdefi", "linuxefi"),
    ("linux16", "linux16"),
    ("initrd16", "linux16"),
    ("chainloader", "chain"),
    ("multiboot", "multiboot"),
    ("module", "multiboot"),
    ("multiboot2", "multiboot2"),
    ("module2", "multiboot2"),
    ("xnu_kernel", "xnu"),
    ("xnu_kernel64", "xnu"),
    ("appleloader", "appleldr"),
];

fn module_of(command: &str) -> Option<&'static str> {
    LOADER_MODULES
        .iter()
        .find(|(c, _)| *c == command)
        .map(|(_, m)| *m)
}

/// The GRUB image shim starts, when there is one: the image whose built-in
/// modules are all GRUB has under lockdown. shim's verifier is the one that
/// refuses modules (kern/efi/sb.c); GRUB started without shim defers to no one
/// and words it otherwise (not modelled).
pub(super) fn grub_under_shim(facts: &BootFacts) -> Option<&GrubImage> {
    facts.secure_boot.stage(Stage::SecondStage).next()?;
    match facts.loader.as_ref()?.image.as_ref()? {
        grub @ GrubImage {
            kind: GrubImageKind::Efi { .. },
            ..
        } => Some(grub),
        _ => None,
    }
}

/// The signed GRUB image lockdown runs: shim enforcing Secure Boot and starting
/// a GRUB EFI image, which then loads no module from the disk.
pub(super) fn lockdown_grub(facts: &BootFacts) -> Option<&GrubImage> {
    shim_enforces(&facts.secure_boot.policy)
        .then(|| grub_under_shim(facts))
        .flatten()
}

/// The entry's loader commands whose module `grub` does not hold: (command,
/// its name, its module), in the entry's order.
pub(super) fn refused_commands<'a>(
    grub: &GrubImage,
    entry: &'a BootEntry,
) -> Vec<(&'a EntryCommand, &'a str, &'static str)> {
    entry
        .commands
        .iter()
        .filter_map(|c| {
            let name = match &c.kind {
                CommandKind::Linux { command, .. }
                | CommandKind::Initrd { command, .. }
                | CommandKind::Load { command, .. } => command.as_str(),
                CommandKind::Chainloader { .. } => "chainloader",
                _ => return None,
            };
            let module = module_of(name)?;
            (!grub.modules.iter().any(|m| m == module)).then_some((c, name, module))
        })
        .collect()
}

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let facts = cx.facts;
    let Some(grub) = lockdown_grub(facts).filter(|_| !loader_blocked(facts)) else {
        return;
    };
    for entry in super::entries(cx) {
        let refused = refused_commands(grub, entry);
        let Some(&(first, name, module)) = refused.first() else {
            continue;
        };
        let mut finding = Finding::new(
            &INFO,
            format!(
                "`{name}` needs {module}.mod, which the signed GRUB image does not hold; under Secure Boot GRUB refuses to load it from disk"
            ),
        )
        .entry(entry)
        .at(first.location)
        .evidence(format!(
            "the GRUB image shim starts holds {} modules, not {module}",
            grub.modules.len()
        ));
        // An explicit `insmod` of the same module fails first, with the same
        // words (BV7008 leaves it to this finding); then each command retries
        // the load through normal/dyncmd.c and fails again.
        for c in &entry.commands {
            let module = match &c.kind {
                CommandKind::Insmod { module } => refused
                    .iter()
                    .find(|(_, _, m)| m == module)
                    .map(|(_, _, m)| *m),
                _ => refused
                    .iter()
                    .find(|(rc, _, _)| std::ptr::eq(*rc, c))
                    .map(|(_, _, m)| *m),
            };
            if let Some(module) = module {
                finding = finding.prints(lockdown_module_line(cx, module));
            }
        }
        // Errors were printed while the entry ran: GRUB waits for a key
        // (normal/menu.c) and, with nothing loaded, does not try `boot`.
        out.push(finding.prints("Press any key to continue..."));
    }
}
