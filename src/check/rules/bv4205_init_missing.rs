use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::init::{DEFAULT_INIT, FALLBACKS, InitFact, InitState};
use crate::facts::volumes::Resolution;
use crate::inspect::initrd::InitrdReport;
use crate::menu::{BootEntry, CommandKind};

use super::{initrd_facts, linux, root_value};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4205",
    name: "init-missing",
    severity: Severity::Error,
    link: Link::Root,
    summary: "the root filesystem has no init the boot can execute",
    fix: "reinstall the init system (`apt-get install --reinstall systemd-sysv`, `dnf reinstall systemd`), or correct init= in /etc/default/grub and run update-grub",
    doc: "## What it checks
The program the boot executes once root is mounted: the `init=` kernel parameter,
else `/sbin/init`, looked up inside the root filesystem (absolute symlinks against
that filesystem, not the host, at most 40 links), and its first bytes: an ELF for
x86_64 (or i386, which needs CONFIG_IA32_EMULATION), or a `#!` script whose
interpreter is on the same filesystem. Then the fallbacks the boot tries next
(`/sbin/init`, `/etc/init`, `/bin/init`, `/bin/sh`). Read on ext2/3/4 images and
on the live system; other filesystems are not judged.

## Why it breaks the boot
Without an initramfs the kernel itself executes init (init/main.c `kernel_init`):
a failing `init=` panics with `Requested init /x failed (error -2).`; without
`init=` it tries the fallbacks and panics with `No working init found.`
initramfs-tools prints `Target filesystem doesn't have requested /sbin/init.`,
runs the first fallback that exists — `/bin/sh` gives a root shell as PID 1 and
no system — or stops with `No init found. Try passing init= bootarg.` at the
`(initramfs)` prompt. dracut says `Cannot find init!` and opens its emergency shell.
The classic case: `/sbin/init` is a symlink to `/lib/systemd/systemd`, and the
package that shipped it was removed.

## Example
    /sbin/init -> /lib/systemd/systemd      # systemd removed: the link dangles
    linux /vmlinuz-6.8.0-45-generic root=UUID=… ro init=/usr/lib/systemd/systemd-old

## Fix
Reinstall the init system from a rescue shell or chroot (`apt-get install
--reinstall systemd-sysv`, `dnf reinstall systemd`), or correct the `init=` in
`GRUB_CMDLINE_LINUX` of /etc/default/grub and run `update-grub`.",
    run,
};

/// Who executes init on this entry, which decides what is tried and printed.
pub(super) enum Runner {
    Kernel,
    InitramfsTools,
    Dracut,
    /// An initrd bootvet cannot attribute: the fallbacks are assumed, nothing printed.
    OtherInitrd,
}

pub(super) fn runner(cx: &Context<'_>, entry: &BootEntry) -> Runner {
    let has_initrd = entry
        .commands
        .iter()
        .any(|c| matches!(c.kind, CommandKind::Initrd { .. }));
    if !has_initrd {
        return Runner::Kernel;
    }
    let reports: Vec<&InitrdReport> = initrd_facts(cx, entry)
        .into_iter()
        .filter_map(|(_, _, f)| f.initrd.as_ref())
        .collect();
    if reports
        .iter()
        .any(|r| r.layer_files.contains("conf/initramfs.conf"))
    {
        Runner::InitramfsTools
    } else if reports
        .iter()
        .any(|r| !r.layer_file("initrd-release").is_empty())
    {
        Runner::Dracut
    } else {
        Runner::OtherInitrd
    }
}

/// Why one init does not run, in a few words.
fn failure(fact: &InitFact) -> String {
    match &fact.state {
        InitState::Missing { ended } if fact.links.is_empty() => {
            format!("{} is not there", fact.path)
        }
        InitState::Missing { ended } => format!(
            "{} is a dangling symlink: the chain of links ended at {ended}, which is not there",
            fact.path
        ),
        InitState::NotExecutable { resolved, why } => {
            format!("{} ({resolved}) is {why}", fact.path)
        }
        InitState::Unknown { why } => format!("{} could not be read: {why}", fact.path),
        InitState::Executable { .. } => format!("{} runs", fact.path),
    }
}

/// The errno the kernel's exec returns for a failed init.
fn errno(fact: &InitFact) -> i32 {
    match fact.state {
        InitState::Missing { .. } => -2,
        _ => -8,
    }
}

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        let Some((command, _, params)) = linux(entry) else {
            continue;
        };
        let Some(root) = root_value(params) else {
            continue;
        };
        let Some(fact) = cx.facts.root(root) else {
            continue;
        };
        let Resolution::One(volume) = &fact.resolution else {
            continue;
        };
        let given = super::param_value(params, "init");
        let requested = given.unwrap_or(DEFAULT_INIT);
        let find = |path: &str| fact.inits.iter().find(|i| i.path == path);
        let Some(wanted) = find(requested) else {
            continue;
        };
        if wanted.runs() || wanted.unknown() {
            continue;
        }
        let runner = runner(cx, entry);
        // The kernel stops at a failing init=; the initrds try every fallback.
        let fallbacks: Vec<&InitFact> = match (&runner, given) {
            (Runner::Kernel, Some(_)) => Vec::new(),
            (Runner::Dracut, _) => find(DEFAULT_INIT)
                .into_iter()
                .filter(|_| given.is_some())
                .collect(),
            _ => FALLBACKS.iter().filter_map(|p| find(p)).collect(),
        };
        if fallbacks.iter().any(|f| f.unknown()) {
            continue;
        }
        let taken = fallbacks.iter().find(|f| f.runs());
        if let Some(taken) = taken
            && taken.path != "/bin/sh"
        {
            // Something that calls itself init runs: the boot goes on.
            continue;
        }
        let mut lines = Vec::new();
        match runner {
            Runner::Kernel => {
                if let Some(path) = given {
                    lines.push(format!(
                        "Kernel panic - not syncing: Requested init {path} failed (error {}).",
                        errno(wanted)
                    ));
                } else {
                    for f in &fallbacks {
                        if matches!(f.state, InitState::NotExecutable { .. }) {
                            lines.push(format!(
                                "Starting init: {} exists but couldn't execute it (error -8)",
                                f.path
                            ));
                        }
                    }
                    if taken.is_none() {
                        lines.push("Kernel panic - not syncing: No working init found.  Try passing init= option to kernel. See Linux Documentation/admin-guide/init.rst for guidance.".into());
                    }
                }
            }
            Runner::InitramfsTools => {
                lines.push(format!(
                    "Target filesystem doesn't have requested {requested}."
                ));
                if taken.is_none() {
                    lines.push("No init found. Try passing init= bootarg.".into());
                    lines.push("(initramfs) ".into());
                }
            }
            Runner::Dracut => {
                if taken.is_none() {
                    lines.push("Cannot find init!".into());
                    lines.push(
                        "Please check to make sure you passed a valid root filesystem!".into(),
                    );
                }
            }
            Runner::OtherInitrd => {}
        }
        let ending = match taken {
            // An initrd bootvet cannot attribute may stop in its own shell instead.
            Some(_) if matches!(runner, Runner::OtherInitrd) => {
                "the boot ends in a shell (the initramfs's, or /bin/sh run as init): no system"
            }
            Some(_) => "the boot runs /bin/sh as init: a root shell on the console, no system",
            None => match runner {
                Runner::Kernel => "the kernel panics",
                Runner::InitramfsTools => "the initramfs stops at its (initramfs) shell",
                Runner::Dracut => "dracut opens its emergency shell",
                Runner::OtherInitrd => "the initramfs finds no init and stops",
            },
        };
        let mut finding = Finding::new(
            &INFO,
            format!(
                "on root={root} ({}), {}; {ending}",
                volume.name,
                failure(wanted)
            ),
        )
        .entry(entry)
        .at(command.location);
        for link in &wanted.links {
            finding = finding.evidence(format!("symlink {link}"));
        }
        for f in fallbacks.iter().filter(|f| f.path != requested) {
            finding = finding.evidence(format!("fallback {}", failure(f)));
        }
        out.push(finding.prints_all(lines));
    }
}
