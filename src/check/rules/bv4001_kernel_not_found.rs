use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::files::FileLookup;
use crate::menu::CommandKind;

use super::{grub_error, where_found};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4001",
    name: "kernel-not-found",
    severity: Severity::Error,
    link: Link::Kernel,
    summary: "the kernel file is not on the device GRUB will read it from",
    fix: "run update-grub so grub.cfg lists only kernels that exist, or reinstall the kernel package",
    doc: "## What it checks
The file of each `linux`/`linux16`/`linuxefi` command (and `chainloader`,
`multiboot`…) exists at that path on the filesystem `$root` resolves to when the
command runs — GRUB's view, not the Linux mount namespace.

## Why it breaks the boot
GRUB prints `error: file '/vmlinuz-…' not found`; the `initrd` that follows then
fails with `you need to load the kernel first` and the entry returns to the menu.
A `chainloader` entry (Windows Boot Manager from os-prober) fails the same way
when its `.efi` file is gone from the ESP.
Typical causes: a kernel removed without regenerating grub.cfg, a separate /boot
(paths `/vmlinuz-*`) versus /boot inside the root filesystem (`/boot/vmlinuz-*`),
or `search` landing on another disk's /boot.

## Example
    linux /boot/vmlinuz-6.11.0-rc1+ root=UUID=…   # only /boot/vmlinuz-6.5.0-35-generic exists

## Fix
Run `update-grub` after adding or removing kernels (the kernel package's hooks
normally do this; a kernel installed by hand needs it). If the file is there but
under another prefix, fix GRUB_… settings or the custom entry's path.",
    run,
};

/// Another OS's boot loader vanishes with a reinstalled or reformatted ESP, or
/// with the OS itself; os-prober's entry stays until grub.cfg is regenerated.
const CHAINLOAD_FIX: &str = "if that system was removed, run update-grub (os-prober drops its entry); if not, restore its boot loader on the ESP (Windows: `bcdboot C:\\Windows /f UEFI` from recovery media)";

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        for (index, (command, file)) in super::loaded_files(entry).into_iter().enumerate() {
            if matches!(command.kind, CommandKind::Initrd { .. }) {
                continue;
            }
            let Some(fact) = cx.facts.file(file) else {
                continue;
            };
            if fact.lookup != FileLookup::NotFound {
                continue;
            }
            let chainload = matches!(command.kind, CommandKind::Chainloader { .. });
            let what = if chainload {
                "chainloaded image"
            } else {
                "kernel"
            };
            let mut finding = Finding::new(
                &INFO,
                format!("{what} '{}' not found on {}", file.path, where_found(fact)),
            )
            .entry(entry)
            .at(command.location)
            .evidence(match (fact.siblings().as_slice(), &fact.directory) {
                (_, None) => format!(
                    "{} is not there either",
                    file.path.rsplit_once('/').map_or("/", |(d, _)| d)
                ),
                ([], Some(_)) => format!("no similar file on {}", where_found(fact)),
                (names, Some(_)) => format!("there instead: {}", names.join(", ")),
            })
            .prints(grub_error(&format!("file `{}' not found", file.path)));
            let initrd_follows = entry
                .commands
                .iter()
                .skip(index)
                .any(|c| matches!(c.kind, CommandKind::Initrd { .. }));
            if initrd_follows {
                finding = finding.prints(grub_error("you need to load the kernel first"));
            }
            if chainload {
                finding = finding.fix(CHAINLOAD_FIX);
            } else if let Some((path, snippet)) = super::bls_snippet(cx, entry) {
                // blscfg builds the entry from the snippet; grub.cfg does not list it.
                let version = snippet
                    .get("version")
                    .map_or("VERSION", |(_, v, _)| v.as_str());
                finding = finding
                    .evidence(format!("the entry comes from the BLS snippet {path}"))
                    .fix(format!(
                        "reinstall the kernel package (`dnf reinstall kernel-core-{version}`), or remove the snippet of a kernel that is gone: `kernel-install remove {version}` (or delete {path})"
                    ));
            }
            out.push(finding);
        }
    }
}
