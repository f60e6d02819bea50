use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::inspect::initrd::ErrorKind;

use super::needs_initramfs;
use super::root_mount_lines::MountingKernel;
use super::root_path::{Booted, first_fault, initrds};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4106",
    name: "initrd-compression-not-configured",
    severity: Severity::Error,
    link: Link::Initrd,
    summary: "the initrd is compressed with a method the kernel was built without",
    fix: "set the kernel's CONFIG_RD_<METHOD>=y and rebuild it, or compress the initramfs with a method it has (COMPRESS= in initramfs.conf)",
    doc: "## What it checks
Each compressed segment of the initrd uses a method the kernel can unpack:
`CONFIG_RD_GZIP`, `CONFIG_RD_ZSTD`, `CONFIG_RD_XZ`, `CONFIG_RD_LZ4`… set to `y`
in the kernel's `config-RELEASE` beside it.

## Why it breaks the boot
The kernel picks the decompressor by the segment's magic; when the matching
`CONFIG_RD_*` is off it prints `Initramfs unpacking failed: compression method
zstd not configured` and runs without the initramfs. With root=UUID=… that is
`VFS: Unable to mount root fs on unknown-block(0,0)`. Typical for a hand-built
kernel (`make localmodconfig`, a trimmed config) on a distribution whose
initramfs-tools compresses with zstd.

## Example
    /boot/config-6.11.0-rc1+:   # CONFIG_RD_ZSTD is not set
    /boot/initrd.img-6.11.0-rc1+: zstd

## Fix
Either build the kernel with `CONFIG_RD_ZSTD=y` (and the method of every segment),
or make the initramfs with a method it has: `COMPRESS=gzip` in
`/etc/initramfs-tools/initramfs.conf` (dracut: `--compress=gzip`), then
`update-initramfs -u -k VERSION`.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        let Some((booted, config)) = Booted::with_config(cx.facts, entry) else {
            continue;
        };
        for (command, file, report) in initrds(cx.facts, entry) {
            let Some(fault) = first_fault(&booted, report) else {
                continue;
            };
            if fault.kind != ErrorKind::NotConfigured {
                continue;
            }
            let method = report
                .segments
                .get(fault.segment)
                .and_then(|s| match s.kind {
                    crate::inspect::initrd::SegmentKind::Compressed(c) => Some(c),
                    _ => None,
                });
            let Some(method) = method else { continue };
            let mut finding = Finding::new(
                &INFO,
                format!(
                    "initrd '{}' is {}-compressed, but kernel '{}' has no {}",
                    file.path,
                    method.kernel_name(),
                    booted.file.path,
                    method.config_symbol()
                ),
            )
            .entry(entry)
            .at(command.location)
            .evidence(fault.detail.clone())
            .evidence(format!(
                "{}: {} not set; the kernel unpacks {}",
                config.path,
                method.config_symbol(),
                if config.initrd_compressions.is_empty() {
                    "no compressed initrd at all".to_string()
                } else {
                    config
                        .initrd_compressions
                        .iter()
                        .map(|c| c.kernel_name())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ));
            if let Some(line) = fault.kernel_line() {
                finding = finding.prints(line);
            }
            if let Some(root) = booted.root().filter(|r| needs_initramfs(r)) {
                finding = finding
                    .prints_all(MountingKernel::of(cx.facts, entry).lines_without_device(root));
            }
            let fallback = config
                .initrd_compressions
                .first()
                .map(|c| c.kernel_name())
                .unwrap_or("gzip");
            out.push(finding.fix(format!(
                "build the kernel with {}=y, or set COMPRESS={fallback} in /etc/initramfs-tools/initramfs.conf and run `update-initramfs -u -k {}`",
                method.config_symbol(),
                booted.release.as_deref().unwrap_or("VERSION")
            )));
        }
    }
}
