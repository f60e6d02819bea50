use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::inspect::modules::vermagic_release;

use super::root_path::{Booted, initrds, modular_root_path};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4110",
    name: "initrd-module-vermagic-mismatch",
    severity: Severity::Error,
    link: Link::Initrd,
    summary: "a root-path module in the initrd was built for another kernel release (vermagic)",
    fix: "rebuild the initramfs from the kernel's own modules (`update-initramfs -u -k VERSION`, dracut -f --kver VERSION)",
    doc: "## What it checks
For the modules on the root path inside the entry's initrd (filesystems, disk
drivers, dm-crypt, dm-mod, md: the root-path table), the release in the
module's `vermagic=` (`.modinfo`, read from the `.ko`, `.ko.xz`, `.ko.zst` or
`.ko.gz` inside the initrd) equals the release of the kernel the entry boots
(its bzImage version string). Only modules the root path loads count: the
root filesystem's, the layers', the disk's — and only when the kernel has them
as modules. An initrd without `lib/modules/RELEASE` at all is BV4105's; this
check looks inside the right directory. Quick depth sees the modules within the
first 4 MiB of the first compressed segment; `--deep` sees all.

## Why it breaks the boot
The kernel refuses a module whose vermagic differs from its own:
`ext4: version magic '6.11.0-rc1 SMP preempt mod_unload ' should be
'6.11.0-rc1+ SMP preempt mod_unload '`. A module built with modversions (the
word is in its vermagic; distribution kernels) is compared without the release
— the kernel checks the CRC of every symbol it imports instead and refuses it
with `ext4: disagrees about version of symbol …` when one differs — so for
those the finding is a warning. modprobe fails, the root filesystem or its disk cannot
be opened, and the initramfs gives up waiting for the root device. It happens
when modules from another build were copied into `lib/modules/RELEASE` — a
self-built kernel rebuilt with another LOCALVERSION, modules installed from a
different tree, an initramfs assembled by hand.

## Example
    kernel /vmlinuz-6.11.0-rc1+: 6.11.0-rc1+
    initrd lib/modules/6.11.0-rc1+/kernel/fs/ext4/ext4.ko: vermagic=6.11.0-rc1 SMP preempt mod_unload

## Fix
Install the modules of the kernel that boots (`make modules_install` from the
same tree that built the bzImage), then rebuild the initramfs with
`update-initramfs -u -k VERSION` (dracut: `dracut -f --kver VERSION`).",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        let Some(booted) = Booted::of(cx.facts, entry) else {
            continue;
        };
        // Only the header's release is the kernel's own; a file name can lie.
        let Some(release) = cx
            .facts
            .file(booted.file)
            .and_then(|f| f.kernel.as_ref()?.release.clone())
        else {
            continue;
        };
        let loaded = initrds(cx.facts, entry);
        // Modules of another kernel's directory are BV4105's.
        if !loaded.iter().any(|(_, _, r)| r.has_modules_for(&release)) {
            continue;
        }
        // A module the kernel builds in, or one of no need on this root path,
        // is never loaded on the way to root.
        let wanted = modular_root_path(cx.facts, &booted);
        for (command, file, report) in &loaded {
            let wrong: Vec<(&String, &String)> = report
                .module_vermagic
                .iter()
                .filter(|(m, v)| {
                    wanted.contains(m) && vermagic_release(v).is_some_and(|r| r != release)
                })
                .collect();
            if wrong.is_empty() {
                continue;
            }
            let names: Vec<String> = wrong
                .iter()
                .map(|(m, v)| format!("{m}.ko built for {}", vermagic_release(v).unwrap_or("?")))
                .collect();
            let mut finding = Finding::new(
                &INFO,
                format!(
                    "initrd '{}' carries {}, but kernel '{}' is {release}",
                    file.path,
                    names.join(" and "),
                    booted.file.path
                ),
            )
            .entry(entry)
            .at(command.location);
            let mut certain = false;
            for (module, vermagic) in &wrong {
                let path = report.modules.get(*module).map_or("", String::as_str);
                finding = finding.evidence(format!("{path}: vermagic={}", vermagic.trim_end()));
                // With modversions the kernel skips the release when it compares
                // (same_magic) and checks each symbol's CRC instead: a refusal is
                // likely, not certain, and names a symbol bootvet does not know.
                if vermagic.split_whitespace().any(|w| w == "modversions") {
                    finding = finding.evidence(format!(
                        "{module} was built with modversions: the kernel compares symbol CRCs instead of the release and refuses it with `{module}: disagrees about version of symbol …` when any differ"
                    ));
                    continue;
                }
                certain = true;
                // The kernel's own vermagic: its release, and (assumed) the same
                // build options as the module's.
                let rest = vermagic.split_once(' ').map_or("", |(_, r)| r);
                finding = finding.prints(format!(
                    "{module}: version magic '{vermagic}' should be '{release}{}{rest}'",
                    if rest.is_empty() { "" } else { " " }
                ));
            }
            if !certain {
                finding = finding.severity(Severity::Warning);
            }
            finding = finding.evidence(format!(
                "kernel '{}' reports release {release} in its header",
                booted.file.path
            ));
            out.push(finding.fix(format!(
                "install the modules built with this kernel (`make modules_install` from its tree), then `update-initramfs -u -k {release}` (dracut: `dracut -f --kver {release}`)"
            )));
        }
    }
}
