use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::inspect::kconfig::{NeedKind, provider};
use crate::menu::BootEntry;

use super::bv4205_init_missing::{Runner, runner};

use super::root_path::{
    Booted, Have, InitrdModules, Lack, Need, bus_origin, describe, unmet_needs, whole_initrds,
};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4107",
    name: "initrd-lacks-root-driver",
    severity: Severity::Error,
    link: Link::Initrd,
    summary: "the root filesystem or disk driver is a module, and the initrd does not carry it",
    fix: "add the module to the initramfs (/etc/initramfs-tools/modules, or MODULES=most; dracut: add_drivers+=) and rebuild it",
    doc: "## What it checks
For the filesystem `root=` resolves to (its type as libblkid reads it) and the
driver of the disk under it (sysfs on the live system; `--root-bus` or any of
virtio_blk, ahci, nvme for images), the kernel either builds the driver in
(`=y` in `config-RELEASE`, or listed in `/lib/modules/RELEASE/modules.builtin`
on the root filesystem) or the entry's initrd holds the module (`ext4.ko`,
`nvme.ko.zst`…) and every module it depends on that is not built in: the
closure of `modules.dep`, read from the initrd's own `lib/modules/RELEASE` and
from the root filesystem's (ext4 needs jbd2 and mbcache, nvme needs nvme_core).
The drivers of a storage layer under root (dm-crypt, LVM, md) count the same way.
A driver `modules.builtin` does not list is not built in, config or not. When
neither file is there (a kernel installed by hand, a root bootvet cannot read)
and the initrd lacks the module, bootvet cannot tell whether the boot works: a
warning says so, and what it looked for.

## Why it breaks the boot
A module lives on the root filesystem it is needed to mount. Only the initramfs
can bring it. An image made with `MODULES=dep` on other hardware, in a chroot
or a container, or by a generator that did not know the new bus, lacks it; an
initrd put together by hand may hold the module but not what it needs, and
modprobe then fails (`ext4: Unknown symbol jbd2_journal_… (err -2)`). Either
way the disk never appears or cannot be mounted, initramfs-tools prints `Gave up
waiting for root file system device` and `ALERT! UUID=… does not exist.
Dropping to a shell!`, dracut times out in `dracut-initqueue`.

## Example
    /boot/config-6.5.0-35-generic: CONFIG_EXT4_FS=m
    /boot/initrd.img-6.5.0-35-generic: no ext4.ko
    /boot/initrd.img-6.11.0: ext4.ko, but no jbd2.ko, mbcache.ko (modules.dep:
        kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko kernel/fs/mbcache.ko …)

## Fix
Add the module to the initramfs — `echo ext4 >> /etc/initramfs-tools/modules`
(or `MODULES=most` in initramfs.conf; dracut: `add_drivers+=\" ext4 \"`,
`hostonly=no`) — and run `update-initramfs -u -k VERSION`; or build the driver
into the kernel (`=y`).",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        let Some(booted) = Booted::of(cx.facts, entry) else {
            continue;
        };
        let Some((command, loaded)) = whole_initrds(cx.facts, entry) else {
            continue;
        };
        let held = InitrdModules::of(&booted, &loaded);
        // A need the kernel may meet only with a module, and the initrds lack
        // it: proven (a module) or possible (unknown whether it is built in).
        // A driver missing from the kernel is not the initrd's.
        let lack = |need: &Need| match &need.have {
            Have::Module { modules, .. } => held.lacks(modules),
            Have::Unknown { .. } => {
                let modules: Vec<String> = provider(&need.what)?
                    .modules
                    .iter()
                    .map(|m| m.to_string())
                    .collect();
                held.lacks(&modules)
            }
            _ => None,
        };
        let unmet: Vec<(Need, Lack)> = unmet_needs(cx.facts, &booted, |need| lack(need).is_none())
            .into_iter()
            .filter_map(|need| {
                let l = lack(&need)?;
                Some((need, l))
            })
            .collect();
        if unmet.is_empty() {
            continue;
        }
        let proven = unmet
            .iter()
            .any(|(n, _)| matches!(n.have, Have::Module { .. }));
        out.push(
            finding(cx, entry, &booted, command, &loaded, &held, &unmet, proven)
                .prints_all(will_print(cx, entry, &unmet)),
        );
    }
}

/// What initramfs-tools prints (the QEMU boots deb-no-root-driver and
/// deb-no-root-fs-driver): without the disk's driver the device never appears,
/// and scripts/local gives up waiting; with the device there but not its
/// filesystem's driver, `mount -t TYPE` fails with ENODEV. A layer's driver
/// missing (dm-crypt, LVM, md) goes through its own scripts first, and other
/// initramfs generators print other words: not booted, so not promised.
fn will_print(cx: &Context<'_>, entry: &BootEntry, unmet: &[(Need, Lack)]) -> Vec<String> {
    if !matches!(runner(cx, entry), Runner::InitramfsTools)
        || unmet.iter().any(|(need, _)| need.kind == NeedKind::Layer)
    {
        return Vec::new();
    }
    if unmet
        .iter()
        .all(|(need, _)| need.kind == NeedKind::Filesystem)
    {
        return vec![
            "mount: mounting … on /root failed: No such device".into(),
            "Failed to mount … as root file system.".into(),
        ];
    }
    let mut lines = vec!["Gave up waiting for root file system device.  Common problems:".into()];
    if let Some(root) = super::linux(entry).and_then(|(_, _, params)| super::root_value(params)) {
        lines.push(format!(
            "ALERT!  {root} does not exist.  Dropping to a shell!"
        ));
    }
    lines
}

/// The finding for one entry: an error when a module is proven needed and
/// missing, a warning when bootvet cannot tell whether the kernel builds the
/// driver in (no config-RELEASE, no modules.builtin): the boot then fails
/// unless it is built in.
#[allow(clippy::too_many_arguments)]
fn finding(
    cx: &Context<'_>,
    entry: &crate::menu::BootEntry,
    booted: &Booted<'_>,
    command: &crate::menu::EntryCommand,
    loaded: &[super::root_path::LoadedInitrd<'_>],
    held: &InitrdModules<'_>,
    unmet: &[(Need, Lack)],
    proven: bool,
) -> Finding {
    let mut missing: Vec<&str> = Vec::new();
    for (_, l) in unmet {
        for m in &l.missing {
            if !missing.contains(&m.as_str()) {
                missing.push(m);
            }
        }
    }
    let ko = |names: &[&str]| {
        names
            .iter()
            .map(|n| format!("{n}.ko"))
            .collect::<Vec<_>>()
            .join(" and ")
    };
    let paths: Vec<&str> = loaded.iter().map(|(_, f, _)| f.path.as_str()).collect();
    let message = if proven {
        format!(
            "initrd '{}' lacks {} for the root path of kernel '{}'",
            paths.join("' + '"),
            ko(&missing),
            booted.file.path
        )
    } else {
        format!(
            "initrd '{}' has no {} for the root path of kernel '{}', and whether the kernel builds {} in is unknown",
            paths.join("' + '"),
            ko(&missing),
            booted.file.path,
            if missing.len() == 1 { "it" } else { "them" }
        )
    };
    let mut finding = Finding::new(&INFO, message)
        .entry(entry)
        .at(command.location);
    if !proven {
        finding = finding.severity(Severity::Warning);
    }
    for (need, l) in unmet {
        finding = finding.evidence(describe(need));
        if l.only_dependencies() {
            let needs = held.dependencies(&l.module);
            let absent: Vec<&str> = l.missing.iter().map(String::as_str).collect();
            finding = finding.evidence(format!(
                "the initrd has {}.ko, which needs {}; {} {} not there: modprobe cannot load {} (\"Unknown symbol\" in the kernel log)",
                l.module,
                needs.join(", "),
                ko(&absent),
                if absent.len() == 1 { "is" } else { "are" },
                l.module
            ));
        }
    }
    if !held.dep_sources.is_empty() && unmet.iter().any(|(_, l)| l.only_dependencies()) {
        finding = finding.evidence(format!(
            "dependencies from {}",
            held.dep_sources.join(" and ")
        ));
    }
    if unmet.iter().any(|(n, _)| n.kind == NeedKind::Bus) {
        finding = finding.evidence(bus_origin(cx.facts));
    }
    finding = finding.evidence(format!(
        "the initrd holds {} modules, none of them {}",
        held.count(),
        missing.join(" or ")
    ));
    if !proven {
        finding = finding.evidence(
            "the boot fails as with a missing module unless the kernel builds the driver in: put config-RELEASE beside the kernel (Debian's and Ubuntu's packages ship it) or modules.builtin in /lib/modules/RELEASE for bootvet to tell",
        );
    }
    finding.fix(format!(
        "add {} to /etc/initramfs-tools/modules (dracut: add_drivers+=\" {} \") and run `update-initramfs -u -k {}` (both tools add what a module depends on); or build {} into the kernel",
        missing.join(", "),
        missing.join(" "),
        booted.release.as_deref().unwrap_or("VERSION"),
        if missing.len() == 1 { "it" } else { "them" }
    ))
}
