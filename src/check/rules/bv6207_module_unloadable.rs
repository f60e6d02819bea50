//! BV6207: a command of an entry needs a GRUB module the prefix cannot give.

use super::loader_common::{loader, module_failure_line};
use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::loader::{ModuleDir, ModuleFailure, PrefixFacts};
use crate::menu::{BootEntry, CommandKind, EntryCommand};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV6207",
    name: "module-unloadable",
    severity: Severity::Error,
    link: Link::Config,
    summary: "an entry needs a GRUB module that is missing or damaged at `$prefix`",
    fix: "free space on /boot, then reinstall GRUB's modules: `grub-install` (it copies /usr/lib/grub/PLATFORM to the prefix)",
    doc: "## What it checks
For each command an entry runs, the GRUB module it needs and the modules that
one needs in turn (`moddep.lst`) are built into the GRUB image, or are at
`$prefix/PLATFORM/` and pass the checks GRUB's loader makes before it relocates
anything (kern/dl.c: the file's size, its ELF header, its section table within
the file). The module is the one `insmod` names, or the one `command.lst` gives
for the command (`linux` and `initrd` → linux.mod, `chainloader` → chain.mod,
`search` → search.mod): normal mode loads a command's module on its first use
(normal/dyncmd.c).

## Why it breaks the boot
GRUB prints ``error: file `/grub/i386-pc/linux.mod' not found.`` (or the
loader's refusal, such as `error: ELF header smaller than expected.` for an
empty file) each time the command runs, and the command does nothing. For
`linux`, `initrd` or `chainloader` nothing gets loaded and the entry fails. For
another command the entry goes on, and GRUB waits 10 seconds on `Press any key
to continue...` before it boots (normal/menu.c: errors were printed) — a
warning, unless the module is the filesystem driver the entry's kernel is read
through. Modules go missing or get cut short when /boot fills up while
grub-install copies them, when /boot/grub is restored partly, or when a module
directory from another GRUB version is copied in by hand.

Under Secure Boot with shim GRUB loads no module from the disk at all; BV7007
says what that refuses.

## Example
    insmod gzio          # /boot/grub/i386-pc/gzio.mod is 0 bytes after /boot filled up
    linux /vmlinuz-6.1.0-13-amd64 root=UUID=… ro   # linux.mod missing

## Fix
Make room on /boot (remove old kernels: `apt autoremove --purge`), then run
`grub-install` for the platform the machine boots with: it copies every module
again. Check with `ls -l /boot/grub/i386-pc/*.mod` that none is empty.",
    run,
};

/// GRUB's filesystem module for a filesystem type bootvet names.
fn fs_module(fstype: &str) -> Option<&'static str> {
    Some(match fstype {
        "ext2" | "ext3" | "ext4" => "ext2",
        "vfat" | "fat" | "msdos" => "fat",
        "xfs" => "xfs",
        "btrfs" => "btrfs",
        "iso9660" => "iso9660",
        "ntfs" => "ntfs",
        "exfat" => "exfat",
        "f2fs" => "f2fs",
        "zfs_member" => "zfs",
        _ => return None,
    })
}

/// One command that fails to load its module.
struct Failed<'a> {
    command: &'a EntryCommand,
    name: String,
    failure: ModuleFailure,
    /// The entry cannot boot without it.
    fatal: bool,
}

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(loader) = loader(cx) else {
        return;
    };
    let (Some(p), Some(image)) = (&loader.prefix, &loader.image) else {
        return;
    };
    let Some(dir) = &p.module_dir else {
        return;
    };
    if loader.stops_before_config()
        || super::bv7007_secure_boot_module_refused::lockdown_grub(cx.facts).is_some()
    {
        return;
    }
    for entry in super::entries(cx) {
        let failed = failures(cx, entry, dir, &image.modules);
        if let Some(finding) = finding(p, entry, &failed) {
            out.push(finding);
        }
    }
}

/// The entry's commands whose module does not load, in the order they run.
fn failures<'a>(
    cx: &Context<'a>,
    entry: &'a BootEntry,
    dir: &ModuleDir,
    built_in: &[String],
) -> Vec<Failed<'a>> {
    // The filesystems the entry's kernel and initrds are read through.
    let read_through: Vec<&str> = super::loaded_facts(cx, entry)
        .iter()
        .filter_map(|(_, _, fact)| fs_module(&fact.filesystem.as_ref()?.fstype))
        .collect();
    let mut out = Vec::new();
    for command in &entry.commands {
        let (name, loads) = match &command.kind {
            CommandKind::Insmod { .. } => ("insmod", false),
            CommandKind::Linux { command: c, .. }
            | CommandKind::Initrd { command: c, .. }
            | CommandKind::Load { command: c, .. } => (c.as_str(), true),
            CommandKind::Chainloader { .. } => ("chainloader", true),
            CommandKind::Other { name, .. } => (name.as_str(), false),
            _ => continue,
        };
        // insmod names its module; any other command's comes from command.lst.
        let module = match &command.kind {
            CommandKind::Insmod { module } => module.as_str(),
            _ => match dir.commands.get(name) {
                Some(m) => m.as_str(),
                None => continue,
            },
        };
        if let Some(failure) = dir.first_failure(module, built_in) {
            let reads_through = read_through.contains(&module);
            out.push(Failed {
                command,
                name: name.to_string(),
                fatal: (loads || reads_through) && command.conditional.is_none(),
                failure,
            });
        }
    }
    out
}

fn finding(p: &PrefixFacts, entry: &BootEntry, failed: &[Failed<'_>]) -> Option<Finding> {
    let first = failed.first()?;
    let fatal = failed.iter().find(|f| f.fatal);
    let shown = fatal.unwrap_or(first);
    let platform = format!("{}/{}", p.value.trim_end_matches('/'), p.platform_dir);
    let module = shown.failure.module();
    let why = match &shown.failure {
        ModuleFailure::Missing { .. } => "is missing".to_string(),
        ModuleFailure::Refused { message, .. } => format!("is refused by GRUB's loader: {message}"),
    };
    let mut finding = Finding::new(
        &INFO,
        format!(
            "`{}` needs {platform}/{module}.mod, which {why}",
            shown.name
        ),
    )
    .entry(entry)
    .at(shown.command.location);
    for f in failed {
        finding = finding.evidence(format!(
            "`{}` loads {}.mod{}",
            f.name,
            f.failure.module(),
            match (f.fatal, f.command.conditional.as_deref()) {
                (true, _) => ": the entry cannot boot without it",
                (false, Some(_)) => " (when a condition bootvet could not decide holds)",
                (false, None) => ": GRUB prints the error and goes on",
            }
        ));
    }
    // normal/menu.c: errors printed while the entry ran make GRUB wait 10 s,
    // then boot what was loaded (or, with nothing loaded, fall back).
    finding = finding
        .prints_all(failed.iter().map(|f| module_failure_line(p, &f.failure)))
        .prints("Press any key to continue...");
    if fatal.is_none() {
        finding = finding.severity(Severity::Warning);
    }
    Some(finding)
}
