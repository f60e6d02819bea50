use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::inspect::kernel::release_from_file_name;

use super::{linux, needs_initramfs, panic_without_initramfs, root_value};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4103",
    name: "no-initrd-root-needs-initramfs",
    severity: Severity::Error,
    link: Link::Initrd,
    summary: "the entry loads no initrd, but the kernel cannot find root= by itself",
    fix: "build the initramfs (`update-initramfs -c -k VERSION`) — after making room on /boot — then update-grub adds the initrd line",
    doc: "## What it checks
An entry that boots Linux without any `initrd` line names its root filesystem in
a form the kernel understands on its own: `/dev/sda2`, `MAJ:MIN`,
`PARTUUID=…` or `PARTLABEL=…` (init/do_mounts.c).

## Why it breaks the boot
`root=UUID=…` and `root=LABEL=…` are resolved by the initramfs (udev's
/dev/disk/by-uuid links); the kernel alone does not know them. Without an
initramfs it prints `VFS: Cannot open root device \"UUID=…\" or
unknown-block(0,0): error -6`, lists the partitions it sees, and stops with
`Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)`.
update-grub writes an entry without an `initrd` line when it finds no
`initrd.img-VERSION` next to the kernel — most often because `update-initramfs`
failed on a full /boot (`No space left on device`), for instance with a
self-built kernel whose modules were installed unstripped.

## Example
    menuentry 'Ubuntu, with Linux 6.11.0-rc1+' {
        linux /boot/vmlinuz-6.11.0-rc1+ root=UUID=3f9c… ro quiet splash
    }

## Fix
Make room on /boot — for a self-built kernel, reinstall its modules stripped:
`make INSTALL_MOD_STRIP=1 modules_install` — then build the initramfs
(`update-initramfs -c -k 6.11.0-rc1+`, `dracut --kver …`, `mkinitcpio -k …`) and
run `update-grub`, which then writes the `initrd` line.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        let Some((command, file, params)) = linux(entry) else {
            continue;
        };
        if !entry.initrds().is_empty() {
            continue;
        }
        let Some(root) = root_value(params) else {
            continue;
        };
        if !needs_initramfs(root) {
            continue;
        }
        let version = release_from_file_name(&file.path)
            .map(str::to_string)
            .or_else(|| {
                cx.facts
                    .file(file)
                    .and_then(|f| f.kernel.as_ref()?.release.clone())
            });
        let mut finding = Finding::new(
            &INFO,
            format!("no initrd is loaded, but root={root} needs an initramfs to be found"),
        )
        .entry(entry)
        .at(command.location)
        .evidence(format!("`{}` has no `initrd` line after `linux {}`", entry.head.title, file.path))
        .evidence(format!("root={root}: the kernel alone understands /dev/…, MAJ:MIN, PARTUUID= and PARTLABEL=, not UUID= or LABEL="));
        if let (Some(fact), Some(version)) = (cx.facts.file(file), &version) {
            let wanted = [
                format!("initrd.img-{version}"),
                format!("initramfs-{version}.img"),
                format!("initrd-{version}.img"),
                format!("initrd-{version}"),
            ];
            let listing = fact.directory.as_deref().unwrap_or_default();
            finding = match wanted.iter().find(|w| listing.contains(w)) {
                Some(found) => finding.evidence(format!(
                    "{found} exists next to the kernel, but grub.cfg was written without it: run update-grub"
                )),
                None if fact.directory.is_some() => finding.evidence(format!(
                    "there is no initrd.img-{version} next to the kernel: the initramfs was never built (a full /boot makes update-initramfs fail with `No space left on device`)"
                )),
                None => finding,
            };
        }
        for line in panic_without_initramfs(root) {
            finding = finding.prints(line);
        }
        if let Some(version) = version {
            finding = finding.fix(format!(
                "make room on /boot (for a self-built kernel: `make INSTALL_MOD_STRIP=1 modules_install`), then `update-initramfs -c -k {version}` and `update-grub`"
            ));
        }
        out.push(finding);
    }
}
