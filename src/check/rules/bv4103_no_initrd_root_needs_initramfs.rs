use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::files::FileFact;

use super::kernel_alone::{Cause, cannot_mount};
use super::root_path::Booted;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4103",
    name: "no-initrd-root-needs-initramfs",
    severity: Severity::Error,
    link: Link::Initrd,
    summary: "the entry loads no initrd, but the kernel cannot mount root= by itself",
    fix: "build the initramfs (`update-initramfs -c -k VERSION`) — after making room on /boot — then update-grub adds the initrd line",
    doc: "## What it checks
An entry that boots Linux without any `initrd` line must let the kernel mount
the root filesystem all by itself. That takes three things:
- `root=` in a form the kernel parses (init/do_mounts.c): `/dev/sda2`,
  `/dev/nvme0n1p2`, `MAJ:MIN`, `PARTUUID=…` or `PARTLABEL=…` — never `UUID=…`
  or `LABEL=…`, which are filesystem properties only udev/blkid in an initramfs
  turn into a device;
- the driver of the disk built in (`CONFIG_BLK_DEV_NVME=y`, `CONFIG_SATA_AHCI=y`
  + `CONFIG_BLK_DEV_SD=y`, `CONFIG_VIRTIO_BLK=y`…);
- the driver of the root filesystem built in (`CONFIG_EXT4_FS=y`…);
- no storage layer under root: the kernel alone cannot unlock dm-crypt, activate
  LVM or assemble md arrays (how bootvet tells a layer is there: BV4109).
bootvet reads the kernel's `config-RELEASE` beside it and
`/lib/modules/RELEASE/modules.builtin` on the root filesystem; the disk's bus
comes from sysfs on the live system and from `--root-bus` (else: any of
virtio_blk, ahci, nvme) for images.

## Why it breaks the boot
GRUB loads the kernel, prints nothing wrong and jumps into it. With no
initramfs the kernel's own code waits for the root device; nothing it knows
matches `UUID=…`, or the disk never appears because its driver is a module
sitting on that very disk. It lists the partitions it can see — often none —
and stops for good:

    VFS: Cannot open root device \"UUID=3f9c…\" or unknown-block(0,0): error -6
    Please append a correct \"root=\" boot option; here are the available partitions:
    Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)

Those are the lines of a kernel with a block filesystem built in (Ubuntu's ext4),
which tries the missing device; from Linux 6.5 it then prints `List of all bdev
filesystems:` and their names before the panic. One without any (Debian's 6.1
kernel, booted in bootvet's QEMU suite as `no-initrd-line`) has nothing to try it
with and prints `List of all partitions:` and `No filesystem could mount root,
tried:` before the panic, which from 6.7 names root= as well (`… on
\"UUID=3f9c…\" or unknown-block(0,0)`, Debian's 6.12 kernel in the suite).
With `rootfstype=` the kernel tries that type first, and one that is only a
module fails at once with `error -19` (no initramfs to load it), whatever else
is built in (`no-initrd-rootfstype` in the suite). bootvet reads which from the
kernel's config, release and command line, and leaves open (`…`) what it cannot
know.

The classic way to get here is a self-built kernel. Someone copies the distro's
config to `.config`, builds `6.11.0-rc1+`, runs `make modules_install` and
`make install`. The modules are installed with their debug info — several times
their stripped size — so `update-initramfs` fills /boot and dies with `No space
left on device`; there is no `initrd.img-6.11.0-rc1+`, and `update-grub`, which
writes an `initrd` line only when it finds that file, writes an entry without
one. The entry is in the menu, often the default, and the next reboot ends in
the panic above. In the write-up this finding is modelled on (\"Oops! My first
Kernel Panic\", 6.11.0-rc1+ on Ubuntu 22.04), GRUB also printed `error: failure
reading sector 0x16f8d40 from 'hd0'` and the kernel `/dev/root: Can't open
blockdev` before the panic: everything on the screen points at the disk, while
the cause is the missing initramfs.

## Example
    menuentry 'Ubuntu, with Linux 6.11.0-rc1+' {
        search --no-floppy --fs-uuid --set=root 3f9c…
        linux /vmlinuz-6.11.0-rc1+ root=UUID=7d0c… ro quiet splash
    }                                   # no initrd line: update-initramfs failed

## Fix
1. Make room on /boot. For a self-built kernel, reinstall its modules stripped —
   `make INSTALL_MOD_STRIP=1 modules_install` — which shrinks the initramfs
   several times over; remove old kernels with the package manager.
2. Build the initramfs: `update-initramfs -c -k 6.11.0-rc1+` (dracut:
   `dracut --kver 6.11.0-rc1+`; Arch: `mkinitcpio -k …`).
3. `update-grub`, which now writes the `initrd` line; `bootvet check` again.
Booting without an initramfs on purpose works only with `root=PARTUUID=…` (or
`/dev/…`) and the disk and filesystem drivers built in (`=y`).",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        let Some(booted) = Booted::of(cx.facts, entry) else {
            continue;
        };
        if !entry.initrds().is_empty() {
            continue;
        }
        let Some(root) = booted.root() else {
            continue;
        };
        let Some(cannot) = cannot_mount(cx, &booted, root) else {
            continue;
        };
        let mut finding = Finding::new(
            &INFO,
            format!(
                "no initrd is loaded, {} {}",
                cannot.joins_with, cannot.reason
            ),
        )
        .entry(entry)
        .at(booted.command.location)
        .evidence(format!(
            "`{}` has no `initrd` line after `linux {}`",
            entry.head.title, booted.file.path
        ));
        let version = booted.release.as_deref();
        let fix = fix_for(&cannot.cause, version);
        let unparsed = matches!(cannot.cause, Cause::Unparsed);
        finding = cannot.explain(finding, |f| {
            match (unparsed, cx.facts.file(booted.file), version) {
                (true, Some(fact), Some(version)) => initrd_next_to_kernel(f, fact, version),
                _ => f,
            }
        });
        if let Some(fix) = fix {
            finding = finding.fix(fix);
        }
        out.push(finding);
    }
}

/// BV4103's fix for each reason the kernel cannot mount root= alone.
fn fix_for(cause: &Cause, version: Option<&str>) -> Option<String> {
    let v = version.unwrap_or("VERSION");
    match cause {
            Cause::Unparsed => version.map(|v| format!(
                "make room on /boot (for a self-built kernel: `make INSTALL_MOD_STRIP=1 modules_install`), then `update-initramfs -c -k {v}` and `update-grub`"
            )),
            Cause::Layers => Some(format!(
                "build the initramfs with the layer's support installed (cryptsetup-initramfs, lvm2, mdadm; dracut: crypt, lvm, mdraid): `update-initramfs -c -k {v}`, then `update-grub` adds the initrd line"
            )),
        Cause::Drivers(_) => Some(format!(
            "build an initramfs (`update-initramfs -c -k {v}`) and run update-grub so the entry loads it{}",
            cause.or_build_in()
        )),
    }
}

/// Whether an initrd for this release lies next to the kernel: then only
/// update-grub was missed; else the initramfs was never built.
pub(super) fn initrd_next_to_kernel(finding: Finding, fact: &FileFact, version: &str) -> Finding {
    let wanted = [
        format!("initrd.img-{version}"),
        format!("initramfs-{version}.img"),
        format!("initrd-{version}.img"),
        format!("initrd-{version}"),
    ];
    let listing = fact.directory.as_deref().unwrap_or_default();
    match wanted.iter().find(|w| listing.contains(w)) {
        Some(found) => finding.evidence(format!(
            "{found} exists next to the kernel, but grub.cfg was written without it: run update-grub"
        )),
        None if fact.directory.is_some() => finding.evidence(format!(
            "there is no initrd.img-{version} next to the kernel: the initramfs was never built (a full /boot makes update-initramfs fail with `No space left on device`)"
        )),
        None => finding,
    }
}
