use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::host::ModulesState;
use crate::units::human_size;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV5009",
    name: "unstripped-modules",
    severity: Severity::Warning,
    link: Link::Initrd,
    summary: "a kernel's modules carry their debug info, which inflates its initrd",
    fix: "reinstall the modules stripped: `make INSTALL_MOD_STRIP=1 modules_install`, then `update-initramfs -u -k RELEASE`",
    doc: "## What it checks
Every `.ko`, `.ko.xz`, `.ko.zst` and `.ko.gz` under `/lib/modules/RELEASE` on
the root filesystem of each entry's kernel, read as ELF: modules with
`.debug_*` sections are unstripped. Reports how many, the bytes stripping would
save and the largest. The scan has a time budget and says when it was cut short.

## Why it breaks the boot
`make modules_install` without `INSTALL_MOD_STRIP=1` installs modules with
their DWARF debug info, often ten times their code. initramfs-tools and dracut
copy them into the initrd as they are: an initrd of hundreds of MiB that fills
/boot (`No space left on device`, no initrd for the new kernel), loads for
minutes through the firmware, or is refused by GRUB (`the initrd is too big`,
`out of memory`) — and the kernel then panics on `unknown-block(0,0)`.

## Example
    make -j8 && sudo make modules_install install    # 6.11.0-rc1+ with a distro .config

## Fix
`sudo make INSTALL_MOD_STRIP=1 modules_install`, then `sudo update-initramfs
-u -k RELEASE` (or `dracut -f --kver RELEASE`); or set `CONFIG_DEBUG_INFO_NONE=y`
before building.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (entry, command, _, fact) in super::sectors_common::entries_with_modules(cx) {
        let release = fact.release.as_str();
        let ModulesState::Present(scan) = &fact.state else {
            continue;
        };
        if scan.unstripped == 0 {
            continue;
        }
        let mut finding = Finding::new(
                &INFO,
                format!(
                    "{} of {} modules in {} carry debug info: stripping saves {}",
                    scan.unstripped,
                    scan.modules,
                    fact.path,
                    human_size(scan.debug_bytes)
                ),
            )
            .entry(entry)
            .at(command.location)
            .evidence(format!(
                "({}){}: {} modules, {} stored",
                fact.volume,
                fact.path,
                scan.modules,
                human_size(scan.stored_bytes)
            ))
            .fix(format!(
                "`make INSTALL_MOD_STRIP=1 modules_install` for {release}, then `update-initramfs -u -k {release}`"
            ));
        for m in &scan.largest_unstripped {
            finding = finding.evidence(format!("{}: {} of debug info", m.name, human_size(m.size)));
        }
        if let Some(why) = &scan.cut_short {
            finding = finding.evidence(format!(
                "scan cut short: {why}; the totals are a lower bound"
            ));
        }
        out.push(finding);
    }
}
