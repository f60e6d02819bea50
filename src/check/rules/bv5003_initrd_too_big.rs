use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::files::{FileLookup, Role};
use crate::inspect::kernel::{Format, SetupHeader};
use crate::menu::{CommandKind, Platform};
use crate::units::human_size;

use super::sectors_common::consequence;
use super::{grub_error, linux};

/// `GRUB_LINUX_INITRD_MAX_ADDRESS` (include/grub/i386/linux.h).
const INITRD_MAX_ADDRESS: u64 = 0x37FF_FFFF;
/// `GRUB_LINUX_BZIMAGE_ADDR`: where a non-relocatable kernel goes.
const BZIMAGE_ADDR: u64 = 0x10_0000;
/// The smallest EFI allocation failure reported for GRUB 2.06 (Insyde firmware,
/// omarchy-iso#128; QubesOS#11093 at 246 MB): past it, some machines fail.
const EFI_REPORTED_FAILURE: u64 = 241 << 20;
/// Warn once an initrd uses this share of what the loader can take.
const CLOSE_PERCENT: u64 = 75;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV5003",
    name: "initrd-too-big",
    severity: Severity::Error,
    link: Link::Initrd,
    summary: "the initrd does not fit where GRUB must load it, or comes close",
    fix: "make the initrd smaller: install stripped modules (`make INSTALL_MOD_STRIP=1 modules_install`), use MODULES=dep in /etc/initramfs-tools/initramfs.conf (or dracut's hostonly), then update-initramfs -u",
    doc: "## What it checks
The size of each entry's initrd (all files of its `initrd` command, as GRUB
concatenates them) against where GRUB can put it:
- pc: GRUB places the initrd as high as possible below
  min(`initrd_addr_max`, 0x37FFFFFF) − 64 KiB and above the kernel's load
  address plus its `init_size` plus the initrd's own size
  (`grub_cmd_initrd`, loader/i386/linux.c), which makes the limit about
  (880 MiB − init_size) / 2 for a kernel at 16 MiB;
- efi: GRUB 2.06 allocates kernel and initrd from the memory the firmware hands
  it; failures are reported from 241 MiB on some firmware.
Says how close each entry comes, and warns from 75% of the limit. Whether the
machine's memory holds kernel and initrd at all is BV6301's.

## Why it breaks the boot
pc: `error: the initrd is too big.`; efi: `error: out of memory.` (Debian,
Ubuntu and Fedora builds: `can't allocate initrd`). GRUB then boots the kernel
without an initramfs; with `root=UUID=…` the kernel panics on
`unknown-block(0,0)`. Big initrds also load slowly through the firmware:
seconds per 100 MB.

## Example
    # modules installed with their debug info: a 600 MiB initrd
    initrd /initrd.img-6.11.0-rc1+

## Fix
Strip the modules (`make INSTALL_MOD_STRIP=1 modules_install` for a self-built
kernel), include only the modules this machine needs (`MODULES=dep` in
initramfs.conf, dracut `--hostonly`), rebuild the image (`update-initramfs -u -k
VERSION`) and check again.",
    run,
};

/// The largest initrd GRUB's i386 loader accepts for this kernel header.
pub fn pc_initrd_limit(header: Option<&SetupHeader>) -> u64 {
    let mut addr_max = INITRD_MAX_ADDRESS;
    let mut target = 0x100_0000;
    let mut init_space = 0;
    if let Some(h) = header {
        if h.protocol >= 0x0203
            && let Some(max) = h.initrd_addr_max
        {
            addr_max = addr_max.min(u64::from(max));
        }
        if h.protocol >= 0x020a {
            init_space = u64::from(h.init_size.unwrap_or(0)).next_multiple_of(4096);
        }
        target = match (h.relocatable, h.pref_address) {
            (Some(true), Some(pref)) if h.protocol >= 0x020a => pref,
            _ => BZIMAGE_ADDR,
        };
    }
    let addr_max = addr_max.saturating_sub(0x10000);
    // addr = (addr_max - size) & ~0xfff must not fall below
    // target + init_space + page_align(size): solve for the largest size.
    let room = addr_max.saturating_sub(target.saturating_add(init_space));
    let mut size = (room / 2) & !0xfff;
    while size > 0 {
        let addr = addr_max.saturating_sub(size) & !0xfff;
        if addr >= target + init_space + size.next_multiple_of(4096) {
            break;
        }
        size -= 4096;
    }
    size
}

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        let Some(command) = entry
            .commands
            .iter()
            .rev()
            .find(|c| matches!(c.kind, CommandKind::Initrd { .. }))
        else {
            continue;
        };
        let CommandKind::Initrd { files, .. } = &command.kind else {
            continue;
        };
        let mut total = 0u64;
        let mut names = Vec::new();
        for file in files {
            match cx.facts.file(file).map(|f| &f.lookup) {
                Some(FileLookup::Found { size }) => {
                    total = total.saturating_add(size.next_multiple_of(4));
                    names.push(format!("{} {}", file.path, human_size(*size)));
                }
                _ => continue,
            }
        }
        if total == 0 {
            continue;
        }
        let kernel_fact = linux(entry).and_then(|(_, file, _)| cx.facts.file(file));
        let kernel_size = kernel_fact
            .filter(|f| f.role == Role::Kernel)
            .and_then(|f| f.stat.as_ref())
            .map(|s| s.size)
            .unwrap_or(0);
        let header = kernel_fact
            .and_then(|f| f.kernel.as_ref())
            .and_then(|k| match &k.format {
                Format::BzImage { header, .. } => Some(header),
                _ => None,
            });
        let memory = cx.facts.host.memory.as_ref();
        let (limit, limit_what, grub) = match cx.facts.platform {
            Platform::Pc => (
                pc_initrd_limit(header),
                if header.is_some() {
                    "GRUB's i386 loader (below min(initrd_addr_max, 0x37FFFFFF), above the kernel's init_size)".to_string()
                } else {
                    "GRUB's i386 loader (kernel header unknown: load address 16 MiB assumed)"
                        .to_string()
                },
                grub_error("the initrd is too big"),
            ),
            _ => (
                EFI_REPORTED_FAILURE,
                "the smallest EFI allocation reported to fail with GRUB 2.06".to_string(),
                grub_error("out of memory"),
            ),
        };
        let needed = total.saturating_add(kernel_size);
        // Too little memory for kernel + initrd is BV6301's (one check per failure).
        let over_loader = cx.facts.platform == Platform::Pc && total > limit;
        let percent = total.saturating_mul(100) / limit.max(1);
        let mut finding = if over_loader {
            Finding::new(
                &INFO,
                format!(
                    "initrd of {} ({}) is too big for {}: at most {}",
                    human_size(total),
                    names.join(" + "),
                    limit_what,
                    human_size(limit)
                ),
            )
            .prints(grub.clone())
        } else if percent >= CLOSE_PERCENT {
            Finding::new(
                &INFO,
                format!(
                    "initrd of {} ({}) is {percent}% of {} ({})",
                    human_size(total),
                    names.join(" + "),
                    human_size(limit),
                    limit_what
                ),
            )
            .severity(Severity::Warning)
            .prints(grub.clone())
        } else {
            continue;
        };
        finding = finding
            .entry(entry)
            .at(command.location)
            .evidence(format!(
                "initrd {} ({} bytes), kernel {} — {percent}% of the {} limit",
                human_size(total),
                total,
                human_size(kernel_size),
                human_size(limit)
            ))
            .evidence(format!(
                "loading through the firmware takes seconds per 100 MB (137 MB took 50 s with 4 KiB EFI reads): about {} s here",
                total.saturating_mul(50) / 137_000_000
            ));
        if let Some(m) = memory {
            finding = finding.evidence(format!(
                "machine memory {} ({}); kernel and initrd use {}%",
                human_size(m.bytes),
                m.source,
                needed.saturating_mul(100) / m.bytes.max(1)
            ));
        }
        if cx.facts.platform == Platform::Efi {
            finding = finding.evidence(
                "Debian, Ubuntu and Fedora builds of GRUB print `can't allocate initrd` instead",
            );
        }
        let finding = consequence(finding, cx.facts, entry, Role::Initrd);
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pc_limit_without_a_header_is_about_half_of_the_window() {
        let limit = pc_initrd_limit(None);
        // (0x37FFFFFF - 64 KiB - 16 MiB) / 2, page aligned.
        assert_eq!(limit, 0x1B7F_7000);
        let addr = (0x37FF_FFFF - 0x10000 - limit) & !0xfff;
        assert!(addr >= 0x100_0000 + limit);
        let over = limit + 4096;
        let addr = (0x37FF_FFFF - 0x10000 - over) & !0xfff;
        assert!(addr < 0x100_0000 + over);
    }
}
