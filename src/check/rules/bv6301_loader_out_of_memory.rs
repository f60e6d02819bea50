//! BV6301: GRUB 2.06 runs out of memory loading the kernel and initrd on a machine
//! with little memory. One check for this failure on both platforms (BV5003 keeps
//! the i386 loader's address window, which no amount of memory changes).

use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::BootFacts;
use crate::facts::files::{FileLookup, Role};
use crate::inspect::kernel::Format;
use crate::menu::{CommandKind, FileRef, Platform};
use crate::units::human_size;

use super::sectors_common::consequence;
use super::{grub_error, linux};

const MIB: u64 = 1 << 20;
/// `MIN_HEAP_SIZE` / `MAX_HEAP_SIZE` in GRUB 2.06's grub-core/kern/efi/mm.c.
const EFI_MIN_HEAP: u64 = MIB;
const EFI_MAX_HEAP: u64 = 1600 * MIB;
/// What OVMF keeps for itself (shared/reference/grub-loader-chain.md §7 [E],
/// `lsefimmap` under Debian's OVMF 2022.11 at 256 MiB): conventional memory is
/// about RAM − 48 MiB (the heap was 52 MiB = ¼ of it); boot-services data sits at
/// 9–21 MiB, so the region the loader draws from starts at 21 MiB and the kernel's
/// preferred address (16 MiB) is taken. The region's top, 64 MiB below the top of
/// RAM, is fitted to the boots of `the_model_agrees_with_the_boots` (lsefimmap at
/// 256 MiB showed 68 MiB; 68 would make the 352 MiB boot, which succeeded, fail).
const FIRMWARE_USE: u64 = 48 * MIB;
const TOP_RESERVED: u64 = 64 * MIB;
const LOW_RESERVED: u64 = 21 * MIB;
/// GRUB 2.06's heap lives below `GRUB_EFI_MAX_USABLE_ADDRESS` (0x7FFFFFFF) and the
/// loader's chunks below 4 GiB: memory past 2 GiB changes nothing here.
const EFI_COUNTED_MEMORY: u64 = 2048 * MIB;
/// i386-pc: where a relocatable kernel goes (`pref_address` of current kernels),
/// and what SeaBIOS keeps at the top of low memory (ACPI tables, its own copy).
const PC_KERNEL_ADDRESS: u64 = 16 * MIB;
const PC_TOP_RESERVED: u64 = 2 * MIB;
/// Warn from this share of what the loader can take.
const CLOSE_PERCENT: u64 = 85;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV6301",
    name: "loader-out-of-memory",
    severity: Severity::Error,
    link: Link::Initrd,
    summary: "GRUB runs out of memory loading the kernel and initrd on a machine this small",
    fix: "give the machine more memory (a VM: 512 MiB or more), or make the initrd smaller (MODULES=dep in /etc/initramfs-tools/initramfs.conf, dracut --hostonly, stripped modules), then update-initramfs -u",
    doc: "## What it checks
With the machine's memory known (`--memory SIZE` for images; live, `MemTotal` from
/proc/meminfo, which is less than the RAM the firmware sees: the kernel's own
reservations are not in it, so live the margin is on the safe side), whether GRUB
2.06 can place the kernel (its `init_size`) and the initrd (all its files) in the
memory its platform leaves it:
- efi (grub-core/kern/efi/mm.c `grub_efi_mm_init`): at start GRUB takes a heap of
  ¼ of the conventional memory above 1 MiB (at least 1 MiB, at most 1600 MiB)
  from the top of the largest free region, and never gives it back. The Linux
  loader (grub-core/loader/i386/linux.c, through the relocator) then needs
  contiguous chunks from what is left: the kernel's `init_size` at its preferred
  address (16 MiB) or, when the firmware holds that, 2 MiB-aligned elsewhere —
  the failed first attempt keeps its source chunk, so the retry needs a second
  one — then the initrd in one chunk above the kernel. bootvet models what OVMF
  leaves (conventional = RAM − 48 MiB, the largest region from 21 MiB to 68 MiB
  below the top) and asks 2 × init_size + initrd ≤ that region − heap. Measured
  under QEMU/OVMF with Debian's 6.1 kernel (init_size 63.6 MiB) and a 61.7 MiB
  initrd: 256 MiB fails at `linux`, 320 and 336 MiB at `initrd`, 352, 360 and 384 MiB
  boot; the model puts the edge at 350 MiB.
- pc (grub-core/kern/i386/pc/init.c): the heap is all the RAM the BIOS reports
  between 1 MiB and 4 GiB and the relocator draws from it; the kernel goes to 16
  MiB, the initrd above it: 16 MiB + init_size + initrd must fit below the top of
  RAM (less what SeaBIOS keeps there).
Warns from 85% of the room.

## Why it breaks the boot
The allocation fails with `error: out of memory.`. When it is the kernel's, the
`initrd` line then says `error: you need to load the kernel first.` and nothing
boots; when it is the initrd's, GRUB waits on `Press any key to continue...` and
boots the kernel without an initramfs, which panics when root needs one.

## Example
    # a 256 MiB UEFI VM, Debian 12's kernel and a 62 MiB initrd
    linux  /vmlinuz-6.1.0-57-amd64 root=UUID=7d0cf1b2-… ro
    initrd /initrd.img-6.1.0-57-amd64

## Fix
Give the machine more memory, or shrink the initrd: `MODULES=dep` in
/etc/initramfs-tools/initramfs.conf (dracut: `--hostonly`), stripped modules
(`make INSTALL_MOD_STRIP=1 modules_install`), then `update-initramfs -u -k
VERSION`. GRUB 2.12 grows its heap on demand and loads current kernels through
their EFI stub, which needs less.",
    run,
};

/// What the loader needs and the room it has, for one entry.
#[derive(Debug, PartialEq, Eq)]
pub struct Room {
    /// The kernel's chunk(s).
    pub kernel: u64,
    pub initrd: u64,
    /// The room the chunks come from.
    pub room: u64,
    /// GRUB's heap (efi), taken before.
    pub heap: u64,
}

impl Room {
    pub fn kernel_fails(&self) -> bool {
        self.kernel > self.room
    }

    pub fn fails(&self) -> bool {
        self.kernel.saturating_add(self.initrd) > self.room
    }
}

/// The model, for `memory` bytes of RAM, a kernel of `init_size` and an initrd.
pub fn room(platform: Platform, memory: u64, init_size: u64, initrd: u64) -> Room {
    match platform {
        Platform::Pc => Room {
            kernel: PC_KERNEL_ADDRESS + init_size,
            initrd,
            room: memory.saturating_sub(PC_TOP_RESERVED),
            heap: 0,
        },
        _ => {
            let m = memory.min(EFI_COUNTED_MEMORY);
            let heap = (m.saturating_sub(FIRMWARE_USE) / 4).clamp(EFI_MIN_HEAP, EFI_MAX_HEAP);
            let region = m.saturating_sub(TOP_RESERVED + LOW_RESERVED);
            Room {
                kernel: init_size.saturating_mul(2),
                initrd,
                room: region.saturating_sub(heap),
                heap,
            }
        }
    }
}

/// What the loader allocates for a kernel that was found: its `init_size`
/// (loader/i386/linux.c: `prot_init_space`), never less than the file itself.
pub fn init_size(facts: &BootFacts, kernel_ref: &FileRef) -> Option<u64> {
    let kernel = facts.file(kernel_ref).filter(|f| f.role == Role::Kernel)?;
    let FileLookup::Found { size } = kernel.lookup else {
        return None;
    };
    let declared = kernel.kernel.as_ref().and_then(|k| match &k.format {
        Format::BzImage { header, .. } => header.init_size.map(u64::from),
        _ => None,
    });
    Some(declared.unwrap_or(0).max(size))
}

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(memory) = cx.facts.host.memory.as_ref() else {
        return;
    };
    for entry in super::entries(cx) {
        let Some((linux_command, kernel_ref, _)) = linux(entry) else {
            continue;
        };
        let Some(init_size) = init_size(cx.facts, kernel_ref) else {
            continue;
        };
        let initrd_command = entry
            .commands
            .iter()
            .rev()
            .find(|c| matches!(c.kind, CommandKind::Initrd { .. }));
        let mut initrd = 0u64;
        if let Some(CommandKind::Initrd { files, .. }) = initrd_command.map(|c| &c.kind) {
            for f in files {
                if let Some(FileLookup::Found { size }) = cx.facts.file(f).map(|f| &f.lookup) {
                    initrd = initrd.saturating_add(size.next_multiple_of(4096));
                }
            }
        }
        let r = room(cx.facts.platform, memory.bytes, init_size, initrd);
        let need = r.kernel.saturating_add(r.initrd);
        let percent = need.saturating_mul(100) / r.room.max(1);
        if !r.fails() && percent < CLOSE_PERCENT {
            continue;
        }
        let platform = match cx.facts.platform {
            Platform::Pc => "i386-pc",
            _ => "x86_64-efi",
        };
        let message = match cx.facts.platform {
            Platform::Pc => format!(
                "GRUB ({platform}) must place the kernel at 16 MiB (ending at {} with init_size) and the initrd ({}) below the top of a {} machine (about {} usable)",
                human_size(r.kernel),
                human_size(r.initrd),
                human_size(memory.bytes),
                human_size(r.room)
            ),
            _ => format!(
                "GRUB ({platform}) needs {} for the kernel and {} for the initrd, but a {} machine leaves it about {}",
                human_size(r.kernel),
                human_size(r.initrd),
                human_size(memory.bytes),
                human_size(r.room)
            ),
        };
        let mut finding = Finding::new(&INFO, message)
            .entry(entry)
            .evidence(format!(
                "machine memory {} ({}){}",
                human_size(memory.bytes),
                memory.source,
                if memory.source.contains("meminfo") {
                    ": MemTotal leaves out what the kernel reserved, the firmware sees more"
                } else {
                    ""
                }
            ))
            .evidence(format!(
                "kernel init_size {} ({} bytes), initrd {} ({} bytes)",
                human_size(init_size),
                init_size,
                human_size(initrd),
                initrd
            ));
        if cx.facts.platform != Platform::Pc {
            finding = finding.evidence(format!(
                "GRUB 2.06's heap takes {} (¼ of conventional memory, kern/efi/mm.c); the kernel needs 2 × init_size when its preferred address (16 MiB) is the firmware's (OVMF)",
                human_size(r.heap)
            ));
        }
        if !r.fails() {
            out.push(
                finding
                    .severity(Severity::Warning)
                    .evidence(format!(
                        "{percent}% of the room: the firmware's own use decides"
                    ))
                    .prints(grub_error("out of memory")),
            );
            continue;
        }
        finding = finding.prints(grub_error("out of memory"));
        if r.kernel_fails() {
            finding.link = Link::Kernel;
            finding = consequence(
                finding.at(linux_command.location),
                cx.facts,
                entry,
                Role::Kernel,
            );
        } else {
            let at = initrd_command.map_or(linux_command.location, |c| c.location);
            finding = consequence(finding.at(at), cx.facts, entry, Role::Initrd);
        }
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INIT: u64 = 66_682_880; // Debian 6.1.0-57-amd64
    const INITRD: u64 = 64_683_183; // the big-initrd scenario

    /// The QEMU/OVMF measurements (fixtures/boot big-initrd, GRUB 2.06-13).
    #[test]
    fn the_model_agrees_with_the_boots() {
        let at = |mib: u64| {
            room(
                Platform::Efi,
                mib * MIB,
                INIT,
                INITRD.next_multiple_of(4096),
            )
        };
        assert!(at(256).kernel_fails(), "256 MiB: `linux` fails");
        for mib in [320, 336] {
            assert!(
                !at(mib).kernel_fails() && at(mib).fails(),
                "{mib} MiB: `initrd` fails"
            );
        }
        for mib in [352, 360, 384, 512] {
            assert!(!at(mib).fails(), "{mib} MiB boots");
        }
        let pc = room(Platform::Pc, 256 * MIB, INIT, INITRD);
        assert!(!pc.fails(), "the pc twin boots at 256 MiB");
    }

    #[test]
    fn heap_is_a_quarter_within_grubs_bounds() {
        assert_eq!(room(Platform::Efi, 256 * MIB, 0, 0).heap, 52 * MIB);
        assert_eq!(room(Platform::Efi, 16 * MIB, 0, 0).heap, MIB);
        assert_eq!(
            room(Platform::Efi, 64 << 30, 0, 0).heap,
            (2048 - 48) * MIB / 4
        );
    }
}
