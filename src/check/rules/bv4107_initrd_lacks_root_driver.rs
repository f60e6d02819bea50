use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::inspect::kconfig::NeedKind;

use super::root_path::{Booted, Have, bus_origin, describe, initrds, unmet_needs};

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
`nvme.ko.zst`…).

## Why it breaks the boot
A module lives on the root filesystem it is needed to mount. Only the initramfs
can bring it. An image made with `MODULES=dep` on other hardware, in a chroot
or a container, or by a generator that did not know the new bus, lacks it: the
disk never appears or cannot be mounted, initramfs-tools prints `Gave up
waiting for root file system device` and `ALERT! UUID=… does not exist.
Dropping to a shell!`, dracut times out in `dracut-initqueue`.

## Example
    /boot/config-6.5.0-35-generic: CONFIG_EXT4_FS=m
    /boot/initrd.img-6.5.0-35-generic: no ext4.ko

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
        let loaded = initrds(cx.facts, entry);
        let Some((command, _, _)) = loaded.last() else {
            continue;
        };
        // Only an initrd read to its end tells what it lacks; a faulty one is
        // BV4104's, and a quick look at a large one sees only its start.
        if loaded
            .iter()
            .any(|(_, _, r)| !r.complete || r.error.is_some())
        {
            continue;
        }
        let in_initrd = |modules: &[String]| {
            modules
                .iter()
                .any(|m| loaded.iter().any(|(_, _, r)| r.has_module(m)))
        };
        // Unknown and absent needs are not this check's: without a config it
        // cannot tell, and a driver missing from the kernel is not the initrd's.
        let unmet = unmet_needs(cx.facts, &booted, |need| match &need.have {
            Have::Module { modules, .. } => in_initrd(modules),
            _ => true,
        });
        if unmet.is_empty() {
            continue;
        }
        let names: Vec<&str> = unmet
            .iter()
            .filter_map(|n| match &n.have {
                Have::Module { modules, .. } => modules.first().map(String::as_str),
                _ => None,
            })
            .collect();
        let paths: Vec<&str> = loaded.iter().map(|(_, f, _)| f.path.as_str()).collect();
        let mut finding = Finding::new(
            &INFO,
            format!(
                "initrd '{}' lacks {} for the root path of kernel '{}'",
                paths.join("' + '"),
                names
                    .iter()
                    .map(|n| format!("{n}.ko"))
                    .collect::<Vec<_>>()
                    .join(" and "),
                booted.file.path
            ),
        )
        .entry(entry)
        .at(command.location);
        for need in &unmet {
            finding = finding.evidence(describe(need));
        }
        if unmet.iter().any(|n| n.kind == NeedKind::Bus) {
            finding = finding.evidence(bus_origin(cx.facts));
        }
        let modules: usize = loaded.iter().map(|(_, _, r)| r.modules.len()).sum();
        finding = finding.evidence(format!(
            "the initrd holds {modules} modules, none of them {}",
            names.join(" or ")
        ));
        out.push(finding.fix(format!(
            "add {} to /etc/initramfs-tools/modules (dracut: add_drivers+=\" {} \") and run `update-initramfs -u -k {}`; or build {} into the kernel",
            names.join(", "),
            names.join(" "),
            booted.release.as_deref().unwrap_or("VERSION"),
            if names.len() == 1 { "it" } else { "them" }
        )));
    }
}
