use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::inspect::kernel::release_from_file_name;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4005",
    name: "kernel-version-mismatch",
    severity: Severity::Warning,
    link: Link::Kernel,
    summary: "the kernel's own version differs from the version in its file name",
    fix: "reinstall the kernel under its own name (`make install`), then update-initramfs and update-grub",
    doc: "## What it checks
The release string inside the kernel image (`6.11.0-rc1+` in the bzImage's
`kernel_version`) equals the version its file name claims (`vmlinuz-6.11.0-rc1+`).

## Why it breaks the boot
Everything else is chosen by the file name: the initrd (`initrd.img-VERSION`),
`/lib/modules/VERSION` inside it, the config. When the image is really another
kernel, its modules are missing from the initramfs: `modprobe: … not found in
modules.dep`, no driver for the root disk, and the boot ends in the initramfs
shell or in `VFS: Unable to mount root fs on unknown-block(0,0)`.

## Example
    /boot/vmlinuz-6.11.0-rc1+ contains 6.10.0 (a copy over an old name)

## Fix
Install the kernel with `make install` (or the distribution's package) so the
file name, `/lib/modules/VERSION` and the initramfs agree; rebuild the
initramfs (`update-initramfs -c -k VERSION`) and run `update-grub`.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        let Some((command, file, fact)) = super::linux_fact(cx, entry) else {
            continue;
        };
        let Some(image) = &fact.kernel else { continue };
        let (Some(inside), Some(named)) = (&image.release, release_from_file_name(&file.path))
        else {
            continue;
        };
        if inside == named {
            continue;
        }
        out.push(
            Finding::new(
                &INFO,
                format!("'{}' is kernel {inside}, not {named}", file.path),
            )
            .entry(entry)
            .at(command.location)
            .evidence(format!(
                "kernel_version: {}",
                image.version_string.as_deref().unwrap_or(inside)
            )),
        );
    }
}
