use crate::check::{CheckInfo, Context, Finding, Link, Severity};

use super::bv4103_no_initrd_root_needs_initramfs::initrd_next_to_kernel;
use super::kernel_alone::cannot_mount;
use super::root_path::{Booted, initramfs_never_runs};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4113",
    name: "initrd-without-init",
    severity: Severity::Error,
    link: Link::Initrd,
    summary: "no initrd the entry loads holds /init, so the kernel mounts root= by itself, and cannot",
    fix: "build the initramfs (`update-initramfs -c -k VERSION`, dracut, mkinitcpio) and run update-grub, which lists it after the microcode image",
    doc: "## What it checks
The initrds an entry loads, read whole, when none of them holds `/init` — most
often an early-microcode image (`intel-ucode.img`, `amd-ucode.img`,
`early_ucode.cpio`: nothing but `kernel/x86/microcode/…`) loaded alone. The
kernel unpacks such an archive, looks for `/init`, does not find it, and mounts
root= itself as if there were no initrd. bootvet then asks what BV4103 asks of
an entry with no initrd: whether root= is in a form the kernel parses
(`PARTUUID=`, `/dev/…`, not `UUID=` or `LABEL=`), whether no dm-crypt, LVM or
md lies under it, and whether the disk's and the filesystem's drivers are built
in (the kernel's `config-RELEASE`, `modules.builtin`). When they are, the entry
boots without an initramfs, and nothing is said.
An `rdinit=` on the command line names another program than `/init`; bootvet
does not look for it, and stays silent. An initrd not read to its end (quick
mode on a large compressed one, a fault, a limit) is not judged: `/init` may lie
further on.

## Why it breaks the boot
grub-mkconfig's 10_linux puts every early image it finds (`intel-uc.img
intel-ucode.img amd-uc.img amd-ucode.img early_ucode.cpio microcode.cpio`) on the
`initrd` line, then the initramfs of that kernel release if there is one. When
building the initramfs failed — /boot full, as in the story BV4103 tells — the
entry is written with the microcode image alone, and, because 10_linux found no
initramfs, `root=PARTUUID=…` instead of `root=UUID=…`. GRUB loads the image; the
kernel unpacks it (init/initramfs.c), finds no `/init` to run
(init/main.c, `kernel_init_freeable`), and waits for the root device with only
its built-in drivers. A distribution kernel has the disk and ext4 drivers as
modules, so the device never appears. Debian's 6.1 kernel, none of whose block
filesystems is built in, has nothing to try it with (booted in bootvet's QEMU
suite as `initrd-microcode-only`):

    List of all partitions:
    No filesystem could mount root, tried:
    Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)

From Linux 6.7 that panic names root= too (`… on \"PARTUUID=…\" or
unknown-block(0,0)`: Debian's 6.12 kernel, `initrd-microcode-only@6.12` in the
suite). A kernel with a block filesystem built in (Ubuntu's ext4) first prints
`VFS: Cannot open root device \"PARTUUID=…\" or unknown-block(0,0): error -6`.

Other checks of the initrd's contents (BV4107, BV4109, BV4111) stay silent for
such an entry: the initramfs never runs, so what it lacks does not matter.

## Example
    menuentry 'Arch Linux' {
        search --no-floppy --fs-uuid --set=root 3f9c…
        linux /vmlinuz-linux root=PARTUUID=4c8f2d3e-… rw
        initrd /intel-ucode.img          # initramfs-linux.img was never built
    }

## Fix
1. Make room on /boot if that is what failed (remove old kernels; for a
   self-built kernel `make INSTALL_MOD_STRIP=1 modules_install`).
2. Build the initramfs: `update-initramfs -c -k RELEASE` (dracut:
   `dracut --kver RELEASE`; Arch: `mkinitcpio -p linux`).
3. Run update-grub (`grub-mkconfig -o /boot/grub/grub.cfg`): the `initrd` line
   then names the microcode image and the initramfs, in that order.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        let Some(booted) = Booted::of(cx.facts, entry) else {
            continue;
        };
        let Some(loaded) = initramfs_never_runs(cx.facts, entry) else {
            continue;
        };
        let Some(root) = booted.root() else {
            continue;
        };
        let Some(cannot) = cannot_mount(cx, &booted, root) else {
            continue;
        };
        let Some(&(command, _, _)) = loaded.last() else {
            continue;
        };
        let mut finding = Finding::new(
            &INFO,
            format!(
                "no initrd the entry loads holds /init, {} {}",
                cannot.joins_with, cannot.reason
            ),
        )
        .entry(entry)
        .at(command.location);
        for (_, file, report) in &loaded {
            let what = if !report.microcode.is_empty() && report.modules.is_empty() {
                format!(": early microcode only ({})", report.microcode.join(", "))
            } else {
                String::new()
            };
            finding = finding.evidence(format!(
                "{} was read whole: {} entries and no /init{what}",
                file.path, report.entries
            ));
        }
        finding = finding.evidence(
            "with no /init to run, the kernel mounts root= itself, as without an initrd (init/main.c)",
        );
        let version = booted.release.as_deref();
        let built_in = cannot.cause.or_build_in();
        let finding = cannot.explain(finding, |f| match (cx.facts.file(booted.file), version) {
            (Some(fact), Some(version)) => initrd_next_to_kernel(f, fact, version),
            _ => f,
        });
        let v = version.unwrap_or("VERSION");
        out.push(finding.fix(format!(
            "build the initramfs of {v} (`update-initramfs -c -k {v}`; dracut `--kver {v}`; mkinitcpio) after making room on /boot, then run update-grub: the `initrd` line then loads it after the microcode image{built_in}"
        )));
    }
}
