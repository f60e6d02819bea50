use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::host::ModulesState;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV5008",
    name: "modules-missing",
    severity: Severity::Warning,
    link: Link::Root,
    summary: "the root filesystem has no /lib/modules/RELEASE for a kernel in the menu",
    fix: "install the kernel's modules (`make modules_install`, or reinstall the linux-modules package for RELEASE), then rebuild its initrd",
    doc: "## What it checks
For every kernel an entry boots, `/lib/modules/RELEASE` (the release read from
the kernel's version string) exists on the root filesystem that entry's
`root=` names.

## Why it breaks the boot
Without it the booted system loads no modules: udev cannot bind drivers built as
modules (network, USB storage, graphics), `modprobe` fails with `Module … not
found in directory /lib/modules/RELEASE`, and `update-initramfs`/`dracut` cannot
build an initrd for that kernel. A leftover kernel whose package was removed
often looks like this.

## Example
    # vmlinuz-6.11.0-rc1+ copied by hand; `make modules_install` never ran
    linux /vmlinuz-6.11.0-rc1+ root=UUID=…

## Fix
Install the modules for that release (`make modules_install` — with
`INSTALL_MOD_STRIP=1` — for a self-built kernel, or reinstall its modules
package), rebuild the initrd, or remove the kernel and run update-grub.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (entry, command, file, fact) in super::sectors_common::entries_with_modules(cx) {
        let release = fact.release.as_str();
        if !matches!(fact.state, ModulesState::Missing) {
            continue;
        }
        out.push(
                Finding::new(
                    &INFO,
                    format!(
                        "kernel {release} has no modules: {} is missing on ({})",
                        fact.path, fact.volume
                    ),
                )
                .entry(entry)
                .at(command.location)
                .evidence(format!("{} reports release {release}", file.path))
                .fix(format!(
                    "install the modules for {release} (`make INSTALL_MOD_STRIP=1 modules_install`, or reinstall its modules package), then `update-initramfs -c -k {release}`"
                )),
            );
    }
}
