use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::files::FileLookup;
use crate::menu::CommandKind;
use crate::units::human_size;

use super::where_found;

/// Flag an initrd this many times its siblings' median…
const RATIO: u64 = 3;
/// …and at least this much bigger (tiny images vary by a few KiB for nothing).
const MIN_EXCESS: u64 = 1 << 20;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV5004",
    name: "initrd-size-outlier",
    severity: Severity::Warning,
    link: Link::Initrd,
    summary: "an initrd is many times larger than the other initrds beside it",
    fix: "find what grew the image (`lsinitramfs -l IMAGE | sort -k5 -n | tail`): usually modules installed with debug info; install them stripped (`make INSTALL_MOD_STRIP=1 modules_install`) and rebuild the initrd",
    doc: "## What it checks
Each initrd an entry loads, against the median size of the other initramfs
images in the same directory (`initrd.img-*`, `initramfs-*`, `initrd-*`): three
times larger and at least 1 MiB more is flagged, with the ratio.

## Why it breaks the boot
The same generator with the same configuration makes images of similar size.
One several times larger usually holds modules with their debug info (a
self-built kernel installed without `INSTALL_MOD_STRIP=1`): it fills /boot, so
the next `update-initramfs` fails with `No space left on device`; it loads
slowly through the firmware; and past a few hundred MiB GRUB cannot place it
(`the initrd is too big`, `out of memory`) and boots without it.

## Example
    initrd.img-6.5.0-35-generic    68 MiB
    initrd.img-6.11.0-rc1+        512 MiB   # 7.5× its siblings

## Fix
Rebuild the kernel's modules stripped (`make INSTALL_MOD_STRIP=1
modules_install`), then `update-initramfs -u -k VERSION`.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        for command in &entry.commands {
            let CommandKind::Initrd { files, .. } = &command.kind else {
                continue;
            };
            for file in files {
                let Some(fact) = cx.facts.file(file) else {
                    continue;
                };
                let FileLookup::Found { size } = fact.lookup else {
                    continue;
                };
                let Some(volume) = fact.resolution.volume() else {
                    continue;
                };
                let (dir, name) = match file.path.rsplit_once('/') {
                    Some(("", name)) => ("/", name),
                    Some((dir, name)) => (dir, name),
                    None => ("/", file.path.as_str()),
                };
                let Some(boot_dir) = cx
                    .facts
                    .host
                    .boot_dirs
                    .iter()
                    .find(|d| d.volume.name == volume.name && d.dir == dir)
                else {
                    continue;
                };
                let mut siblings: Vec<u64> = boot_dir
                    .initrds
                    .iter()
                    .filter(|i| i.name != name && i.size > 0)
                    .map(|i| i.size)
                    .collect();
                if siblings.is_empty() {
                    continue;
                }
                siblings.sort_unstable();
                let median = siblings[siblings.len() / 2];
                if size < median.saturating_mul(RATIO) || size - median < MIN_EXCESS {
                    continue;
                }
                let ratio = size as f64 / median as f64;
                // One decimal helps at 3.4×, not at 1196885.8×.
                let ratio = if ratio < 10.0 {
                    format!("{ratio:.1}")
                } else {
                    format!("{ratio:.0}")
                };
                let listing: Vec<String> = boot_dir
                    .initrds
                    .iter()
                    .map(|i| format!("{} {}", i.name, human_size(i.size)))
                    .collect();
                out.push(
                    Finding::new(
                        &INFO,
                        format!(
                            "initrd '{}' is {ratio}× the size of its siblings ({} against a median of {})",
                            file.path,
                            human_size(size),
                            human_size(median)
                        ),
                    )
                    .entry(entry)
                    .at(command.location)
                    .evidence(format!("{dir} on {}: {}", where_found(fact), listing.join(", "))),
                );
            }
        }
    }
}
