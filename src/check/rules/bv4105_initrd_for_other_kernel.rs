use std::collections::BTreeSet;

use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::inspect::initrd::Depth;

use super::root_path::{Booted, initrds};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4105",
    name: "initrd-for-other-kernel",
    severity: Severity::Error,
    link: Link::Initrd,
    summary: "the initrd holds modules for another kernel release, not the one it boots with",
    fix: "rebuild the initramfs for this kernel (`update-initramfs -c -k VERSION`), then update-grub",
    doc: "## What it checks
The initrds of an entry hold `lib/modules/RELEASE` (or `usr/lib/modules/RELEASE`)
for the release of the kernel the entry boots — the release in the kernel's own
header (`kernel_version`), else the one in its file name.

## Why it breaks the boot
modprobe looks only in `/lib/modules/$(uname -r)`. An initramfs built for
another kernel (a stale file under the new name, a copy, a wrong `initrd`
line) cannot load a single module: no disk driver, no filesystem, no
`cryptsetup` target. initramfs-tools gives up waiting for the root device and
drops to a shell (`ALERT! UUID=… does not exist`); dracut times out in
`dracut-initqueue`.

## Example
    linux  /vmlinuz-6.11.0-rc1+ root=UUID=…
    initrd /initrd.img-6.11.0-rc1+      # holds lib/modules/6.5.0-35-generic only

## Fix
Rebuild the image for the kernel that boots (`update-initramfs -c -k 6.11.0-rc1+`,
`dracut --kver 6.11.0-rc1+`), then run `update-grub`.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        let Some(booted) = Booted::of(cx.facts, entry) else {
            continue;
        };
        let Some(release) = booted.release.clone() else {
            continue;
        };
        let loaded = initrds(cx.facts, entry);
        let Some((command, _, _)) = loaded.last() else {
            continue;
        };
        let versions: BTreeSet<&String> = loaded
            .iter()
            .flat_map(|(_, _, r)| &r.module_versions)
            .collect();
        // An initrd without any module directory may belong to a monolithic
        // kernel; only a directory for another release says "wrong kernel".
        if versions.is_empty() || versions.contains(&release) {
            continue;
        }
        let names: Vec<&str> = loaded.iter().map(|(_, f, _)| f.path.as_str()).collect();
        let mut finding = Finding::new(
            &INFO,
            format!(
                "initrd '{}' has no lib/modules/{release} for kernel '{}'",
                names.join("' + '"),
                booted.file.path
            ),
        )
        .entry(entry)
        .at(command.location)
        .evidence(format!(
            "kernel '{}' is release {release}",
            booted.file.path
        ))
        .evidence(format!(
            "inside: {}",
            versions
                .iter()
                .map(|v| format!("lib/modules/{v}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        let modules: usize = loaded.iter().map(|(_, _, r)| r.modules.len()).sum();
        if modules > 0 {
            finding = finding.evidence(format!(
                "its {modules} modules are built for another kernel: modprobe will find none of them"
            ));
        }
        if loaded
            .iter()
            .any(|(_, _, r)| r.depth == Depth::Quick && !r.complete)
        {
            finding = finding.evidence("seen without --deep: the first part of the archive");
        }
        out.push(finding.fix(format!(
            "rebuild the initramfs for this kernel (`update-initramfs -c -k {release}`), then update-grub"
        )));
    }
}
