//! The two sectors the BIOS path runs before GRUB's kernel: `boot.img` at LBA 0 and
//! `diskboot.img`, the first sector of the core image, with its blocklist
//! (`grub-core/boot/i386/pc/boot.S`, `diskboot.S`, `include/grub/i386/pc/boot.h`,
//! `util/setup.c` `save_blocklists`).

use nom::IResult;
use nom::Parser;
use nom::number::complete::{le_u16, le_u64};
use serde::{Deserialize, Serialize};

use super::{FaultKind, ImageFault, Region, find, le16, le64};

pub const SECTOR: usize = 512;
/// `GRUB_BOOT_MACHINE_KERNEL_SECTOR`: u64 LBA of the core's first sector.
pub const KERNEL_SECTOR_OFFSET: usize = 0x5c;
/// `GRUB_BOOT_MACHINE_BOOT_DRIVE`: 0xFF = the drive the BIOS booted from (DL).
const BOOT_DRIVE_OFFSET: usize = 0x64;
/// `kernel_address`, always 0x8000 in boot.img.
const KERNEL_ADDRESS_OFFSET: usize = 0x5a;
/// `GRUB_BOOT_MACHINE_WINDOWS_NT_MAGIC`: disk signature and partition table start here,
/// so only the bytes before it are boot code.
const CODE_END: usize = 0x1b8;
/// Blocklist entries are 12 bytes, growing down from the end of the diskboot sector.
const LIST_SIZE: usize = 12;
const FIRST_ENTRY: usize = SECTOR - LIST_SIZE;
/// `GRUB_BOOT_I386_PC_KERNEL_SEG + 0x20`: where the sector after diskboot is loaded.
const FIRST_SEGMENT: u16 = 0x820;
/// GRUB's own bound on a core: `grub-mkimage` refuses one whose link address (0x9000)
/// plus decompressor and payload passes 0x78000 (`core image is too big`), so nothing
/// after the diskboot sector is longer than ceil((0x78000 - 0x9000) / 512) sectors.
pub const MAX_CORE_SECTORS: u64 = (0x78000 - 0x9000_u64).div_ceil(SECTOR as u64);

/// LBA 0 as the BIOS sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootSector {
    pub kind: BootSectorKind,
    /// `55 AA` at 0x1FE; without it the BIOS will not run the sector at all.
    pub signature: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum BootSectorKind {
    /// The boot code area (0..0x1B8) is all zeros: no boot loader (a GPT protective MBR
    /// written by a partitioning tool, a wiped disk).
    Blank,
    /// GRUB's boot.img.
    Grub {
        /// LBA of the core image's first sector (diskboot.img).
        kernel_sector: u64,
        /// 0xFF: the drive the BIOS booted from.
        boot_drive: u8,
    },
    /// Boot code that is not GRUB's boot.img (another loader, Windows, syslinux).
    Other,
}

/// The strings boot.img prints (`GRUB `, then one word + ` Error`), at 0x180 in Debian's
/// builds but build-dependent, so searched in the code area.
const BOOT_STRINGS: [&[u8]; 4] = [b"GRUB \0", b"Geom\0", b"Read\0", b" Error\r\n"];

/// Reads LBA 0. Only fails when fewer than 512 bytes are given.
pub fn parse_boot_sector(sector: &[u8]) -> Result<BootSector, ImageFault> {
    if sector.len() < SECTOR {
        return Err(ImageFault::new(
            FaultKind::Truncated,
            Region::BootSector,
            sector.len() as u64,
            format!("boot sector has {} of 512 bytes", sector.len()),
        ));
    }
    let signature = sector[0x1fe..0x200] == [0x55, 0xaa];
    let code = &sector[..CODE_END];
    let kind = if code.iter().all(|&b| b == 0) {
        BootSectorKind::Blank
    } else if code.starts_with(&[0xeb, 0x63, 0x90])
        && le16(sector, KERNEL_ADDRESS_OFFSET) == Some(0x8000)
        && BOOT_STRINGS.iter().all(|s| find(code, s).is_some())
    {
        BootSectorKind::Grub {
            kernel_sector: le64(sector, KERNEL_SECTOR_OFFSET).unwrap_or(0),
            boot_drive: sector[BOOT_DRIVE_OFFSET],
        }
    } else {
        BootSectorKind::Other
    };
    Ok(BootSector { kind, signature })
}

/// One blocklist entry: `len` sectors from LBA `start`, copied to `segment`:0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockEntry {
    pub start: u64,
    pub len: u16,
    pub segment: u16,
}

/// The first core sector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diskboot {
    /// The entries before the terminator, in the order diskboot reads them.
    pub blocklist: Vec<BlockEntry>,
    /// Sectors the blocklist reads in total (the core after this sector).
    pub sectors: u64,
}

/// Offset of entry `i` (0 = the first read) in the diskboot sector.
pub fn entry_offset(i: usize) -> usize {
    FIRST_ENTRY.saturating_sub(i * LIST_SIZE)
}

/// What diskboot.img prints: `loading`, a dot per entry, `Geom`/`Read` + ` Error`.
const DISKBOOT_STRINGS: [&[u8]; 4] = [b"loading\0", b"Geom\0", b"Read\0", b" Error\0"];

fn entry(i: &[u8]) -> IResult<&[u8], BlockEntry> {
    let (i, (start, len, segment)) = (le_u64, le_u16, le_u16).parse(i)?;
    Ok((
        i,
        BlockEntry {
            start,
            len,
            segment,
        },
    ))
}

/// Reads the diskboot sector and its blocklist. `own_lba` is the LBA this sector was
/// read from (boot.img's `kernel_sector`), when known: an entry that reads it again, or
/// LBA 0, is a loop. A pristine `grub-mkimage` core (relative start 2) passes `None`.
pub fn parse_diskboot(sector: &[u8], own_lba: Option<u64>) -> Result<Diskboot, ImageFault> {
    let fault =
        |kind, off: usize, msg: String| ImageFault::new(kind, Region::Diskboot, off as u64, msg);
    if sector.len() < SECTOR {
        return Err(fault(
            FaultKind::Truncated,
            sector.len(),
            format!("diskboot sector has {} of 512 bytes", sector.len()),
        ));
    }
    let sector = &sector[..SECTOR];
    if sector.iter().all(|&b| b == 0) {
        return Err(fault(
            FaultKind::Blank,
            0,
            "the core image's first sector is all zeros (core.img not there)".into(),
        ));
    }
    if !DISKBOOT_STRINGS.iter().all(|s| find(sector, s).is_some()) {
        return Err(fault(
            FaultKind::NotGrub,
            0,
            "the core image's first sector is not GRUB's diskboot.img".into(),
        ));
    }
    let mut blocklist: Vec<BlockEntry> = Vec::new();
    let mut total: u64 = 0;
    let mut i = 0;
    loop {
        let off = FIRST_ENTRY
            .checked_sub(i * LIST_SIZE)
            .filter(|&o| o >= LIST_SIZE)
            .ok_or_else(|| {
                fault(
                    FaultKind::BadBlocklist,
                    0,
                    format!("blocklist has no terminator in {i} entries"),
                )
            })?;
        // Cannot fail: off + 12 <= 512.
        let Ok((_, e)) = entry(&sector[off..off + LIST_SIZE]) else {
            return Err(fault(FaultKind::Truncated, off, "blocklist entry".into()));
        };
        if e.len == 0 {
            break;
        }
        let n = i + 1;
        let end = e.start.checked_add(u64::from(e.len)).ok_or_else(|| {
            fault(
                FaultKind::BadBlocklist,
                off,
                format!("blocklist entry {n} runs past LBA 2^64"),
            )
        })?;
        let expected_segment = u64::from(FIRST_SEGMENT) + total * 0x20;
        if u64::from(e.segment) != expected_segment {
            return Err(fault(
                FaultKind::BadBlocklist,
                off + 10,
                format!(
                    "blocklist entry {n} loads to segment {:#x}, not {expected_segment:#x} where the sectors before it end",
                    e.segment
                ),
            ));
        }
        total += u64::from(e.len);
        if total > MAX_CORE_SECTORS {
            return Err(fault(
                FaultKind::TooBig,
                off + 8,
                format!(
                    "blocklist reads {total} sectors, more than the {MAX_CORE_SECTORS} a core image can have"
                ),
            ));
        }
        let covers = |lba: u64| e.start <= lba && lba < end;
        if covers(0) {
            return Err(fault(
                FaultKind::BadBlocklist,
                off,
                format!("blocklist entry {n} reads LBA 0 (the MBR)"),
            ));
        }
        if let Some(own) = own_lba.filter(|&o| covers(o)) {
            return Err(fault(
                FaultKind::BadBlocklist,
                off,
                format!("blocklist entry {n} reads the diskboot sector itself (LBA {own})"),
            ));
        }
        if let Some(k) = blocklist
            .iter()
            .position(|p| p.start < end && e.start < p.start + u64::from(p.len))
        {
            return Err(fault(
                FaultKind::BadBlocklist,
                off,
                format!(
                    "blocklist entry {n} (LBA {}..{end}) overlaps entry {}",
                    e.start,
                    k + 1
                ),
            ));
        }
        blocklist.push(e);
        i += 1;
    }
    if blocklist.is_empty() {
        return Err(fault(
            FaultKind::BadBlocklist,
            FIRST_ENTRY,
            "blocklist is empty: diskboot would load nothing after itself".into(),
        ));
    }
    Ok(Diskboot {
        blocklist,
        sectors: total,
    })
}
