use crate::check::{CheckInfo, Context, Finding, Link, Severity};

use super::{linux, root_value};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4201",
    name: "no-root-parameter",
    severity: Severity::Error,
    link: Link::Root,
    summary: "the kernel command line has no root=",
    fix: "add root=UUID=… (GRUB_CMDLINE_LINUX, or kernelopts in grubenv on RHEL 8 BLS systems), then update-grub",
    doc: "## What it checks
Each Linux entry's command line names the root filesystem with `root=`, or boots
something that finds its root another way (a live image's `boot=casper`,
`archisobasedir=`, `rd.live.image`, `root=live:…`).

## Why it breaks the boot
Without `root=` and without an initramfs that knows the root, the kernel tries
device 0:0 and panics: `VFS: Unable to mount root fs on unknown-block(0,0)`; with
an initramfs, it waits and drops to its emergency shell. On RHEL 8 and Fedora
28–32 BLS entries say `options $kernelopts`: a lost grubenv leaves the command
line empty.

## Example
    linux /vmlinuz-4.18.0-240.el8.x86_64 $kernelopts    # kernelopts unset

## Fix
Put `root=UUID=…` in GRUB_CMDLINE_LINUX (/etc/default/grub) and run
`update-grub`; on RHEL 8, `grub2-editenv - set kernelopts=\"root=… ro …\"` or
`grubby --update-kernel=ALL --args=root=…`.",
    run,
};

/// Parameters with which a live or installer image finds its root itself.
const FINDS_ROOT_ITSELF: &[&str] = &[
    "boot",
    "archisobasedir",
    "archisolabel",
    "rd.live.image",
    "inst.stage2",
    "inst.repo",
    "iso-scan/filename",
    "findiso",
    "img_dev",
    "cdroot",
    "live-media",
    "ds",
    "systemd.gpt_auto",
];

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        let Some((command, file, params)) = linux(entry) else {
            continue;
        };
        if root_value(params).is_some() || file.uncertain {
            continue;
        }
        if params
            .iter()
            .any(|p| FINDS_ROOT_ITSELF.contains(&p.key.as_str()))
        {
            continue;
        }
        let has_initrd = !entry.initrds().is_empty();
        let mut finding = Finding::new(
            &INFO,
            format!("the command line of `linux {}` has no root=", file.path),
        )
        .entry(entry)
        .at(command.location);
        if let Some((path, snippet)) = super::bls_snippet(cx, entry)
            && let Some((_, options, _)) = snippet.get("options")
            && (options.contains("$kernelopts") || options.contains("${kernelopts}"))
        {
            finding = finding.evidence(format!(
                "{path} says `options {options}`, and kernelopts is empty when blscfg runs: grubenv does not set it and grub.cfg has no `if [ -z \"${{kernelopts}}\" ]` fallback"
            ));
        }
        if has_initrd {
            finding = finding
                .severity(Severity::Warning)
                .evidence("an initramfs is loaded: it may know the root by itself (systemd-gpt-auto, a host-only dracut image); otherwise it waits and drops to its emergency shell");
        } else {
            finding = finding
                .prints("VFS: Cannot open root device \"\" or unknown-block(0,0): error -6")
                .prints("Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)");
        }
        out.push(finding);
    }
}
