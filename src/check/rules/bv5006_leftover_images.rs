use super::sectors_common::leftover_names;
use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::units::human_size;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV5006",
    name: "leftover-images",
    severity: Severity::Info,
    link: Link::Initrd,
    summary: "half-written or package-manager leftovers (*.new, *.tmp, *.dpkg-*) lie beside the kernels",
    fix: "delete the leftovers named in the evidence (after checking no update is running), then rerun the update that left them",
    doc: "## What it checks
Files named `*.new`, `*.tmp` or `*.dpkg-*` in the directory holding the
kernels and initrds the menu loads.

## Why it breaks the boot
They are what an interrupted `update-initramfs` (`IMAGE.new`), `dracut`
(`*.tmp`) or `dpkg` (`*.dpkg-new`, `*.dpkg-tmp`) leaves: the update they belong
to did not finish, so the image GRUB loads may be the old one, and they take the
space the next update needs (`No space left on device`).

## Example
    /boot/initrd.img-6.11.0-rc1+.new    # update-initramfs died on a full /boot

## Fix
Make sure no package operation is running, delete the files, then rerun the
update (`update-initramfs -u -k VERSION`, `dpkg --configure -a`).",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for dir in &cx.facts.host.boot_dirs {
        if dir.leftovers.is_empty() {
            continue;
        }
        let total: u64 = dir.leftovers.iter().map(|l| l.size).sum();
        let names: Vec<String> = dir
            .leftovers
            .iter()
            .map(|l| format!("{} {}", l.name, human_size(l.size)))
            .collect();
        let mut finding = Finding::new(
            &INFO,
            format!(
                "({}){} holds {} leftover image{} taking {}: {}",
                dir.volume.name,
                dir.dir,
                dir.leftovers.len(),
                if dir.leftovers.len() == 1 { "" } else { "s" },
                human_size(total),
                leftover_names(dir)
            ),
        );
        for name in names {
            finding = finding.evidence(name);
        }
        out.push(finding);
    }
}
