use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::files::FileLookup;
use crate::inspect::kernel::Format;
use crate::menu::{CommandKind, Platform};

use super::grub_error;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4004",
    name: "kernel-not-bootable",
    severity: Severity::Error,
    link: Link::Kernel,
    summary: "the kernel file is not an image this platform's GRUB can boot",
    fix: "point the entry at a real kernel image (vmlinuz, not vmlinux/System.map/config), built for this architecture",
    doc: "## What it checks
The file a `linux` command loads is a kernel GRUB can start on this platform: an
x86 bzImage (`HdrS` setup header, boot protocol ≥ 2.03) for `linux`/`linux16`
on pc, an image with the EFI handover protocol or a PE/EFI stub for `linux` or
`linuxefi` on efi.

## Why it breaks the boot
GRUB prints `error: invalid magic number` (pc) or refuses the image on efi; the
entry does not boot. Typical causes: the uncompressed `vmlinux`, a `config-*`
or `System.map-*` file named in the entry, an arm64 Image on x86, or `linux16`
used for a kernel that needs to be loaded high.

## Example
    linux /boot/vmlinux-6.11.0 root=…     # the ELF vmlinux, not the bzImage

## Fix
Use the bzImage (`arch/x86/boot/bzImage`, installed as /boot/vmlinuz-VERSION by
`make install`) and run `update-grub`.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let platform = cx.facts.platform;
    for entry in super::entries(cx) {
        let Some((command, file, fact)) = super::linux_fact(cx, entry) else {
            continue;
        };
        let (FileLookup::Found { size }, Some(image)) = (&fact.lookup, &fact.kernel) else {
            continue;
        };
        if *size == 0 || image.truncated.is_some() {
            continue;
        }
        let name = match &command.kind {
            CommandKind::Linux { command, .. } => command.as_str(),
            _ => "linux",
        };
        let bootable = match platform {
            Platform::Pc => image.bootable_by.pc_linux,
            Platform::Efi => image.bootable_by.efi_linux,
        };
        if bootable {
            continue;
        }
        let what = match &image.format {
            Format::Unknown => "not a kernel image (no x86 setup header, no PE header)".to_string(),
            Format::BzImage { .. } => {
                format!("a bzImage that {name} on {} cannot start", platform.name())
            }
            Format::PeStub { .. } => format!(
                "a PE/EFI image without an x86 setup header, which {name} on pc cannot start"
            ),
            Format::Uki(_) => format!(
                "a unified kernel image, which {name} on {} cannot start",
                platform.name()
            ),
        };
        out.push(
            Finding::new(&INFO, format!("'{}' is {what}", file.path))
                .entry(entry)
                .at(command.location)
                .evidence(format!(
                    "{size} bytes; format: {}",
                    format_name(&image.format)
                ))
                .prints(grub_error("invalid magic number")),
        );
    }
}

fn format_name(format: &Format) -> &'static str {
    match format {
        Format::BzImage {
            efi_stub: Some(_), ..
        } => "bzImage with EFI stub",
        Format::BzImage { .. } => "bzImage",
        Format::PeStub { .. } => "PE/EFI stub",
        Format::Uki(_) => "unified kernel image",
        Format::Unknown => "unknown",
    }
}
