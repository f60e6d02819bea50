use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::files::FileLookup;

use super::{grub_error, linux, where_found};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4003",
    name: "kernel-truncated",
    severity: Severity::Error,
    link: Link::Kernel,
    summary: "the kernel file is empty or shorter than its header declares",
    fix: "free space on /boot and reinstall the kernel (the copy was cut short)",
    doc: "## What it checks
The kernel image is not empty and is at least as long as its x86 setup header
declares: `(setup_sects + 1) × 512 + syssize × 16` bytes.

## Why it breaks the boot
A kernel copied to a full /boot (ENOSPC) or a crashed install is cut short: GRUB
prints `error: premature end of file /vmlinuz-…` or, for an empty file,
`error: invalid magic number`, and the entry does not boot.

## Example
    /boot/vmlinuz-6.11.0-rc1+   4 194 304 bytes, header declares 14 680 064

## Fix
Free space on /boot (`apt autoremove --purge` old kernels, remove leftovers),
then reinstall the kernel (`make install` again for a self-built one) and run
`update-grub`.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        let Some((command, file, _)) = linux(entry) else {
            continue;
        };
        let Some(fact) = cx.facts.file(file) else {
            continue;
        };
        let FileLookup::Found { size } = fact.lookup else {
            continue;
        };
        let finding = |message: String| {
            Finding::new(&INFO, message)
                .entry(entry)
                .at(command.location)
        };
        if size == 0 {
            out.push(
                finding(format!("kernel '{}' is empty", file.path))
                    .evidence(format!("0 bytes on {}", where_found(fact)))
                    .prints(grub_error("invalid magic number")),
            );
        } else if let Some(truncated) = fact.kernel.as_ref().and_then(|k| k.truncated) {
            out.push(
                finding(format!(
                    "kernel '{}' is truncated: {} bytes of the {} its header declares",
                    file.path, truncated.actual, truncated.declared
                ))
                .evidence(format!("on {}", where_found(fact)))
                .prints(grub_error(&format!("premature end of file {}", file.path))),
            );
        }
    }
}
