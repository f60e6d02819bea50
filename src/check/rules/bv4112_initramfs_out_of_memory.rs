//! BV4112: the kernel runs out of memory unpacking the initramfs. GRUB placed the
//! kernel and the initrd (BV6301 is that link), but the unpacked archive does not
//! fit in what is left, and the kernel panics before `/init`.

use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::menu::BootEntry;
use crate::units::human_size;

use super::bv4108_initrd_over_limit::OUT_OF_MEMORY;
use super::bv6301_loader_out_of_memory::{init_size, room};
use super::linux;
use super::root_path::{Booted, initrds};

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;
/// What the kernel allocates itself before and while it unpacks (slab, per-CPU
/// areas, hash tables, page tables, the free-page watermarks): the least that
/// agrees with the boots below. Under it the boot certainly fails.
const RUNTIME_LEAST: u64 = 4 * MIB;
/// How far past that the outcome is the machine's and the kernel's build's to
/// decide (more devices, larger hash tables, a decompressor's window): warn.
const UNCERTAIN: u64 = 32 * MIB;
/// `struct page` for every 4 KiB page (64 bytes on x86_64): 1/64 of RAM.
const MEMMAP_SHARE: u64 = 64;

/// mm/oom_kill.c `out_of_memory` (Linux 6.1) when no process can be killed, as
/// the kernel unpacking its initramfs (init/initramfs.c) is.
const NO_KILLABLE: &str = "Out of memory and no killable processes...";

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4112",
    name: "initramfs-out-of-memory",
    severity: Severity::Error,
    link: Link::Initrd,
    summary: "the unpacked initramfs does not fit in the machine's memory beside the kernel and the initrd",
    fix: "give the machine more memory (a VM: add RAM), or make the initramfs smaller: MODULES=dep in /etc/initramfs-tools/initramfs.conf (dracut --hostonly), stripped modules (make INSTALL_MOD_STRIP=1 modules_install), then update-initramfs -u",
    doc: "## What it checks
With the machine's memory known (`--memory SIZE` for images; live, `MemTotal`
from /proc/meminfo), whether the kernel can hold, all at once: its own image
(the bzImage's `init_size`), its page descriptors (1/64 of RAM), the initrd
files GRUB loaded (kept until unpacking ends), the archive unpacked into the
rootfs (every file's data in whole pages, a page per symlink, an inode and a
dentry per entry; bootvet counts them while it walks the archive), and what the
kernel allocates for itself meanwhile (at least 4 MiB). Live, `MemTotal`
already leaves out the kernel and its page descriptors, so only the initrd, the
unpacked archive and the kernel's own allocations are counted against it.
Within 32 MiB above that it warns: the kernel's build and the machine's
devices decide.

Measured under QEMU (SeaBIOS, Debian's 6.1 kernel: init_size 63.6 MiB; a
61.7 MiB gzip initrd that unpacks to 64.9 MiB): 152, 176 and 192 MiB panic while
unpacking; 208 and 232 MiB boot. The model puts the edge at 197 MiB and warns up
to 230 MiB.

## Why it breaks the boot
The kernel unpacks the whole initramfs into ramfs/tmpfs pages, which nothing
can reclaim or swap, before any process exists. When memory runs out the OOM
killer finds nothing to kill and the kernel panics: `Out of memory and no
killable processes...`, then `Kernel panic - not syncing: System is deadlocked
on memory`. GRUB itself may have loaded everything without a word (BV6301 is
GRUB's own out of memory).

## Example
    # a 192 MiB VM, Debian 12's kernel and a 62 MiB initrd unpacking to 65 MiB
    linux  /vmlinuz-6.1.0-57-amd64 root=UUID=7d0cf1b2-… ro
    initrd /initrd.img-6.1.0-57-amd64

## Fix
Give the machine more memory, or shrink the initramfs: `MODULES=dep` in
/etc/initramfs-tools/initramfs.conf (dracut: `--hostonly`), modules installed
stripped (`make INSTALL_MOD_STRIP=1 modules_install`: unstripped modules are
often ten times their size), then `update-initramfs -u -k VERSION`.",
    run,
};

/// What the unpacking needs against what the machine has, for one entry.
struct Need {
    /// The kernel's image and page descriptors (0 live: MemTotal leaves them out).
    kernel: u64,
    initrd_files: u64,
    unpacked: u64,
    /// The memory it is compared with.
    memory: u64,
    /// Whether every initrd was walked to its end (else `unpacked` is a floor).
    whole: bool,
}

impl Need {
    fn least(&self) -> u64 {
        self.kernel
            .saturating_add(self.initrd_files)
            .saturating_add(self.unpacked)
            .saturating_add(RUNTIME_LEAST)
    }
}

fn need(cx: &Context<'_>, entry: &BootEntry, memory: u64, live: bool) -> Option<Need> {
    let booted = Booted::of(cx.facts, entry)?;
    let loaded = initrds(cx.facts, entry);
    // GRUB keeps only the last `initrd` line's files.
    let (last, _, _) = *loaded.last()?;
    let mut initrd_files = 0u64;
    let mut unpacked = 0u64;
    let mut whole = true;
    for (_, _, report) in loaded.iter().filter(|(c, _, _)| std::ptr::eq(*c, last)) {
        initrd_files = initrd_files.saturating_add(report.size.next_multiple_of(4096));
        unpacked = unpacked.saturating_add(report.ram_bytes);
        whole &= report.complete;
    }
    let init_size = init_size(cx.facts, booted.file)?;
    // GRUB failing to load them first is BV6301's, and then nothing is unpacked.
    if room(cx.facts.platform, memory, init_size, initrd_files).fails() {
        return None;
    }
    let kernel = if live {
        0
    } else {
        init_size.saturating_add(memory / MEMMAP_SHARE)
    };
    Some(Need {
        kernel,
        initrd_files,
        unpacked,
        memory,
        whole,
    })
}

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(memory) = cx.facts.host.memory.as_ref() else {
        return;
    };
    let live = memory.source.contains("meminfo");
    for entry in super::entries(cx) {
        let Some(n) = need(cx, entry, memory.bytes, live) else {
            continue;
        };
        let least = n.least();
        let fails = least > n.memory;
        if !fails && least.saturating_add(UNCERTAIN) <= n.memory {
            continue;
        }
        let Some((linux_command, _, _)) = linux(entry) else {
            continue;
        };
        let mut finding = Finding::new(
            &INFO,
            format!(
                "the kernel must unpack {}{} of initramfs into a {} machine that also holds {} of initrd files{}",
                if n.whole { "" } else { "at least " },
                human_size(n.unpacked),
                human_size(n.memory),
                human_size(n.initrd_files),
                if live {
                    String::new()
                } else {
                    format!(" and {} for the kernel", human_size(n.kernel))
                }
            ),
        )
        .entry(entry)
        .at(linux_command.location)
        .evidence(format!(
            "machine memory {} ({}){}",
            human_size(memory.bytes),
            memory.source,
            if live {
                ": MemTotal, which leaves out the kernel's image and page descriptors"
            } else {
                ""
            }
        ))
        .evidence(format!(
            "needed before /init: {} ({} KiB), with at least {} the kernel allocates itself",
            human_size(least),
            least / KIB,
            human_size(RUNTIME_LEAST)
        ));
        if fails {
            finding = finding.prints(NO_KILLABLE).prints(OUT_OF_MEMORY);
        } else {
            finding = finding.severity(Severity::Warning).evidence(format!(
                "{} left: less than the {} margin this depends on",
                human_size(n.memory - least),
                human_size(UNCERTAIN)
            ));
        }
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The QEMU/SeaBIOS measurements of the `big-initrd` scenario (Debian
    /// 6.1.0-57: init_size 66,682,880; the initrd 64,683,192 bytes unpacking to
    /// 68,088,832 by `ram_cost`).
    fn at(mib: u64) -> (bool, bool) {
        let memory = mib * MIB;
        let n = Need {
            kernel: 66_682_880 + memory / MEMMAP_SHARE,
            initrd_files: 64_683_192u64.next_multiple_of(4096),
            unpacked: 68_088_832,
            memory,
            whole: true,
        };
        let least = n.least();
        (least > memory, least + UNCERTAIN > memory)
    }

    #[test]
    fn the_model_agrees_with_the_boots() {
        for mib in [152, 176, 192] {
            assert_eq!(at(mib), (true, true), "{mib} MiB panics");
        }
        for mib in [208, 224] {
            assert_eq!(at(mib), (false, true), "{mib} MiB boots, close");
        }
        for mib in [232, 256, 512] {
            assert!(!at(mib).0, "{mib} MiB boots");
        }
        assert_eq!(at(256), (false, false), "256 MiB boots with room");
    }
}
