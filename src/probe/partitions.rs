//! Partition tables read from a disk's bytes: GPT (through the `gpt` crate) and
//! MS-DOS/MBR (through `mbrman`), with every inconsistency turned into a problem
//! fact: a damaged GPT copy, a partition past the end, overlaps, a hybrid MBR.
//!
//! Both crates trust their input (gpt asserts a 128-byte entry size and allocates
//! whatever the header claims), so each GPT header is validated here first and a
//! damaged copy is masked with zeros before the crate sees it. Must never write.

use gpt::GptConfig;
use gpt::disk::LogicalBlockSize;

use super::image::DiskBytes;
use crate::facts::storage::{HeaderState, ProblemKind, TableFacts, TableKind};

/// The GPT partition array bootvet accepts: sgdisk's default is 128 entries;
/// anything past this many bytes is a lying header, not a real disk.
const MAX_GPT_ARRAY_BYTES: u64 = 1 << 20;

/// What one partition-table read produced.
#[derive(Debug, Default)]
pub struct TableRead {
    pub table: Option<TableFacts>,
    pub partitions: Vec<RawPartition>,
    /// Why no table could be read although one seemed to be there.
    pub error: Option<String>,
    /// Problems, each with the partition number concerned (if any).
    pub problems: Vec<(ProblemKind, Option<u32>, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RawPartition {
    pub number: u32,
    pub start_byte: u64,
    pub size_bytes: u64,
    pub type_name: String,
    pub type_id: String,
    pub partuuid: Option<String>,
    pub partlabel: Option<String>,
    pub logical: bool,
    pub bootable: bool,
}

/// Reads the partition table of `disk`. `sector_hint` is the device's logical
/// sector size when known (block devices); images are tried at 512 then 4096.
pub fn read_table(disk: &DiskBytes, sector_hint: Option<u64>) -> TableRead {
    let candidates: Vec<u64> = match sector_hint {
        Some(ss) => vec![ss],
        None => vec![512, 4096],
    };
    let gpt_ss = candidates
        .iter()
        .copied()
        .find(|&ss| has_gpt_signature(disk, ss));
    let mut read = match gpt_ss {
        Some(ss) => read_gpt(disk, ss),
        None => read_mbr(disk, sector_hint.unwrap_or(512)),
    };
    check_layout(disk.size(), &mut read);
    read
}

fn has_gpt_signature(disk: &DiskBytes, ss: u64) -> bool {
    let mut sig = [0u8; 8];
    let last = (disk.size() / ss).saturating_sub(1);
    [1, last]
        .iter()
        .any(|&lba| lba > 0 && disk.read_at(lba * ss, &mut sig).is_ok() && &sig == b"EFI PART")
}

#[derive(Debug, Clone, Copy)]
struct GptHeader {
    backup_lba: u64,
    first_usable: u64,
    last_usable: u64,
    entries_lba: u64,
    num_entries: u32,
    entries_crc: u32,
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

fn le_u64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

const CRC32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// Validates one GPT header and its entry array as the UEFI spec defines them.
fn validate_gpt_copy(disk: &DiskBytes, lba: u64, ss: u64) -> Result<GptHeader, String> {
    let mut sector = vec![0u8; ss as usize];
    disk.read_at(lba * ss, &mut sector)
        .map_err(|e| format!("cannot read LBA {lba}: {e}"))?;
    if &sector[..8] != b"EFI PART" {
        return Err(format!("no GPT signature at LBA {lba}"));
    }
    let header_size = le_u32(&sector, 12) as usize;
    if !(92..=sector.len()).contains(&header_size) {
        return Err(format!(
            "header size {header_size} is not between 92 and {ss}"
        ));
    }
    let stored_crc = le_u32(&sector, 16);
    let mut copy = sector[..header_size].to_vec();
    copy[16..20].fill(0);
    let crc = CRC32.checksum(&copy);
    if crc != stored_crc {
        return Err(format!(
            "header CRC32 is {stored_crc:#010x}, the bytes give {crc:#010x}"
        ));
    }
    let my_lba = le_u64(&sector, 24);
    if my_lba != lba {
        return Err(format!("header at LBA {lba} says it lives at LBA {my_lba}"));
    }
    let h = GptHeader {
        backup_lba: le_u64(&sector, 32),
        first_usable: le_u64(&sector, 40),
        last_usable: le_u64(&sector, 48),
        entries_lba: le_u64(&sector, 72),
        num_entries: le_u32(&sector, 80),
        entries_crc: le_u32(&sector, 88),
    };
    let entry_size = le_u32(&sector, 84);
    if entry_size != 128 {
        return Err(format!(
            "partition entry size {entry_size} is not 128 (the only size in use)"
        ));
    }
    let array_bytes = u64::from(h.num_entries) * 128;
    if array_bytes > MAX_GPT_ARRAY_BYTES {
        return Err(format!(
            "header claims {} partition entries, more than any real table",
            h.num_entries
        ));
    }
    let array_start = h
        .entries_lba
        .checked_mul(ss)
        .ok_or_else(|| format!("partition array LBA {} is out of range", h.entries_lba))?;
    let array = disk
        .read_vec(array_start, array_bytes as usize)
        .map_err(|e| {
            format!(
                "cannot read the partition array at LBA {}: {e}",
                h.entries_lba
            )
        })?;
    let crc = CRC32.checksum(&array);
    if crc != h.entries_crc {
        return Err(format!(
            "partition array CRC32 is {:#010x}, the bytes give {crc:#010x}",
            h.entries_crc
        ));
    }
    Ok(h)
}

fn read_gpt(disk: &DiskBytes, ss: u64) -> TableRead {
    let mut read = TableRead::default();
    let last_lba = (disk.size() / ss).saturating_sub(1);
    let primary = validate_gpt_copy(disk, 1, ss);
    let backup = validate_gpt_copy(disk, last_lba, ss);
    let state = |r: &Result<GptHeader, String>| match r {
        Ok(_) => HeaderState::Valid,
        Err(reason) => HeaderState::Invalid {
            reason: reason.clone(),
        },
    };
    if let Err(reason) = &primary {
        read.problems.push((
            ProblemKind::PrimaryGptInvalid,
            None,
            format!("primary GPT header is unusable: {reason}"),
        ));
    }
    if let Err(reason) = &backup {
        read.problems.push((
            ProblemKind::BackupGptInvalid,
            None,
            format!("backup GPT header at LBA {last_lba} is unusable: {reason}"),
        ));
    }
    if let Ok(h) = &primary
        && h.backup_lba != last_lba
    {
        read.problems.push((
            ProblemKind::BackupGptMisplaced,
            None,
            format!(
                "primary GPT header puts the backup at LBA {} but the disk's last LBA is {last_lba}{}",
                h.backup_lba,
                if h.backup_lba > last_lba {
                    " (disk or image truncated?)"
                } else {
                    " (disk grown?)"
                }
            ),
        ));
    }
    let used = match (&primary, &backup) {
        (Ok(h), _) => (*h, "primary"),
        (Err(_), Ok(h)) => (*h, "backup"),
        (Err(p), Err(b)) => {
            read.error = Some(format!(
                "GPT signature found but both copies are unusable (primary: {p}; backup: {b})"
            ));
            return read;
        }
    };
    let mut window = disk.window(0, disk.size());
    if primary.is_err() {
        window = window.mask(ss, ss);
    }
    if backup.is_err() {
        window = window.mask(last_lba * ss, ss);
    }
    let lb = if ss == 4096 {
        LogicalBlockSize::Lb4096
    } else {
        LogicalBlockSize::Lb512
    };
    let gpt = match GptConfig::new()
        .writable(false)
        .logical_block_size(lb)
        .open_from_device(window)
    {
        Ok(gpt) => gpt,
        Err(e) => {
            read.error = Some(format!("gpt crate could not read the table: {e}"));
            return read;
        }
    };
    let mbr = read_mbr_entries(disk);
    let protective = mbr.iter().any(|e| e.1 == 0xEE);
    let hybrid = protective && mbr.iter().any(|e| e.1 != 0xEE && e.1 != 0);
    if hybrid {
        read.problems.push((
            ProblemKind::HybridMbr,
            None,
            "hybrid MBR: the protective MBR also lists partitions; BIOS tools may see a different layout than GPT tools".to_string(),
        ));
    }
    for (&number, p) in gpt.partitions() {
        let type_guid = p
            .part_type_guid
            .guid
            .as_hyphenated()
            .to_string()
            .to_uppercase();
        let size = p
            .last_lba
            .checked_sub(p.first_lba)
            .map_or(0, |n| n.saturating_add(1))
            .saturating_mul(ss);
        read.partitions.push(RawPartition {
            number,
            start_byte: p.first_lba.saturating_mul(ss),
            size_bytes: size,
            type_name: gpt_type_name(&type_guid).to_string(),
            type_id: type_guid,
            partuuid: Some(p.part_guid.as_hyphenated().to_string()),
            partlabel: (!p.name.is_empty()).then(|| p.name.clone()),
            logical: false,
            bootable: p.flags & (1 << 2) != 0,
        });
    }
    let has_bios_boot = read.partitions.iter().any(|p| p.type_id == GPT_BIOS_BOOT);
    let has_esp = read.partitions.iter().any(|p| p.type_id == GPT_ESP);
    if !has_bios_boot {
        read.problems.push((
            ProblemKind::GptWithoutBiosBoot,
            None,
            "GPT without a BIOS boot partition: BIOS (i386-pc) GRUB has nowhere to embed core.img; UEFI boots are unaffected".to_string(),
        ));
    }
    read.table = Some(TableFacts {
        kind: TableKind::Gpt,
        id: gpt.guid().as_hyphenated().to_string(),
        sector_size: ss,
        primary_header: Some(state(&primary)),
        backup_header: Some(state(&backup)),
        entries_from: Some(used.1.to_string()),
        first_usable_lba: Some(used.0.first_usable),
        last_usable_lba: Some(used.0.last_usable),
        protective_mbr: protective,
        hybrid_mbr: hybrid,
        has_bios_boot_partition: has_bios_boot,
        has_esp,
    });
    read
}

/// The four primary MBR slots as (slot, type, boot flag), when sector 0 has the
/// 0x55AA signature and sane boot flags; empty otherwise.
fn read_mbr_entries(disk: &DiskBytes) -> Vec<(u32, u8, u8)> {
    let mut s = [0u8; 512];
    if disk.read_at(0, &mut s).is_err() || s[510..512] != [0x55, 0xAA] {
        return Vec::new();
    }
    let entries: Vec<(u32, u8, u8)> = (0..4)
        .map(|i| {
            let e = &s[446 + 16 * i..446 + 16 * (i + 1)];
            (i as u32 + 1, e[4], e[0])
        })
        .collect();
    // A FAT or NTFS boot sector also ends in 55AA; its "entries" are boot code,
    // recognisable by boot flags other than 0x00/0x80 (the test GRUB applies too).
    if entries.iter().any(|e| e.2 != 0 && e.2 != 0x80) {
        return Vec::new();
    }
    entries
}

fn read_mbr(disk: &DiskBytes, ss: u64) -> TableRead {
    let mut read = TableRead::default();
    let entries = read_mbr_entries(disk);
    if entries.iter().all(|e| e.1 == 0) {
        return read;
    }
    let mut window = disk.window(0, disk.size());
    let mut sig = [0u8; 4];
    let _ = disk.read_at(440, &mut sig);
    let id = format!("{:08x}", u32::from_le_bytes(sig));
    let protective = entries.iter().any(|e| e.1 == 0xEE);
    // mbrman trusts the table: it unwraps on entries starting at LBA 0 and adds
    // EBR offsets without overflow checks. Refuse such tables before it sees them.
    let full = check_mbr_for_mbrman(disk, ss)
        .and_then(|_| mbrman::MBR::read_from(&mut window, ss as u32).map_err(|e| e.to_string()));
    match full {
        Ok(mbr) => {
            for (index, e) in mbr.iter() {
                if !e.is_used() || e.is_extended() {
                    continue;
                }
                read.partitions
                    .push(mbr_partition(index as u32, e, ss, &id, index > 4));
            }
        }
        Err(err) => {
            read.problems.push((
                ProblemKind::ExtendedChainBroken,
                None,
                format!("the extended partition's chain of EBRs cannot be followed ({err}); logical partitions are missing"),
            ));
            if let Ok(header) = mbrman::MBRHeader::read_from(&mut disk.window(0, 512)) {
                for (index, e) in header.iter() {
                    if e.is_used() && !e.is_extended() {
                        read.partitions
                            .push(mbr_partition(index as u32, e, ss, &id, false));
                    }
                }
            }
        }
    }
    read.table = Some(TableFacts {
        kind: TableKind::Msdos,
        id,
        sector_size: ss,
        primary_header: None,
        backup_header: None,
        entries_from: None,
        first_usable_lba: None,
        last_usable_lba: None,
        protective_mbr: protective,
        hybrid_mbr: false,
        has_bios_boot_partition: false,
        has_esp: read.partitions.iter().any(|p| p.type_id == "0xef"),
    });
    if protective {
        read.problems.push((
            ProblemKind::PrimaryGptInvalid,
            None,
            "protective MBR (type 0xee) but no GPT header at either end of the disk".to_string(),
        ));
    }
    read
}

/// Limit on logical partitions: the kernel handles far fewer; more is a loop in
/// disguise or a hostile chain.
const MAX_LOGICAL: usize = 1024;

fn check_mbr_for_mbrman(disk: &DiskBytes, ss: u64) -> Result<(), String> {
    let mut s = [0u8; 512];
    disk.read_at(0, &mut s).map_err(|e| e.to_string())?;
    let mut extended = None;
    for i in 0..4 {
        let e = &s[446 + 16 * i..446 + 16 * (i + 1)];
        let (sys, start) = (e[4], le_u32(e, 8));
        if sys != 0 && start == 0 {
            return Err(format!(
                "partition {} starts at LBA 0, on the MBR itself",
                i + 1
            ));
        }
        // mbrman follows the first entry of any of its extended types.
        if extended.is_none() && matches!(sys, 0x05 | 0x0f | 0x85 | 0xc5 | 0xd5) {
            extended = Some(start);
        }
    }
    let Some(ext_start) = extended else {
        return Ok(());
    };
    let mut rel = 0u32;
    for _ in 0..MAX_LOGICAL {
        let abs = ext_start
            .checked_add(rel)
            .ok_or("an EBR lies beyond LBA 2^32")?;
        let mut ebr = [0u8; 512];
        if disk.read_at(u64::from(abs) * ss, &mut ebr).is_err() || ebr[510..512] != [0x55, 0xAA] {
            return if rel == 0 {
                Ok(())
            } else {
                Err(format!("no EBR signature at LBA {abs}"))
            };
        }
        // mbrman adds the EBR's LBA to its first entry's start whether the entry
        // is used or not.
        let first = &ebr[446..462];
        if le_u32(first, 8).checked_add(abs).is_none() {
            return Err(format!(
                "the first entry of the EBR at LBA {abs} starts beyond LBA 2^32"
            ));
        }
        let next = le_u32(&ebr[462..478], 8);
        if next == 0 {
            return Ok(());
        }
        if next <= rel {
            return Err(format!(
                "the EBR at LBA {abs} links backwards, to LBA {}",
                u64::from(ext_start) + u64::from(next)
            ));
        }
        rel = next;
    }
    Err(format!("more than {MAX_LOGICAL} logical partitions"))
}

fn mbr_partition(
    number: u32,
    e: &mbrman::MBRPartitionEntry,
    ss: u64,
    disk_id: &str,
    logical: bool,
) -> RawPartition {
    RawPartition {
        number,
        start_byte: u64::from(e.starting_lba) * ss,
        size_bytes: u64::from(e.sectors) * ss,
        type_name: mbr_type_name(e.sys).to_string(),
        type_id: format!("{:#04x}", e.sys),
        // The kernel and libblkid form MBR PARTUUIDs as SIGNATURE-NN.
        partuuid: Some(format!("{disk_id}-{number:02x}")),
        partlabel: None,
        logical,
        bootable: e.boot == 0x80,
    }
}

/// Partitions that end past the disk, and partitions that overlap each other.
fn check_layout(disk_size: u64, read: &mut TableRead) {
    for p in &read.partitions {
        let end = p.start_byte.saturating_add(p.size_bytes);
        if end > disk_size {
            read.problems.push((
                ProblemKind::PartitionPastEnd,
                Some(p.number),
                format!(
                    "partition {} ends at byte {end}, past the end of the disk ({disk_size} bytes): {} bytes are missing",
                    p.number,
                    end - disk_size
                ),
            ));
        }
    }
    let mut sorted: Vec<&RawPartition> = read.partitions.iter().collect();
    sorted.sort_by_key(|p| (p.start_byte, p.number));
    let mut overlaps = Vec::new();
    for (i, a) in sorted.iter().enumerate() {
        let a_end = a.start_byte.saturating_add(a.size_bytes);
        for b in &sorted[i + 1..] {
            if b.start_byte >= a_end {
                break;
            }
            if b.size_bytes > 0 && a.size_bytes > 0 {
                overlaps.push((a.number, b.number, b.start_byte, a_end));
            }
        }
    }
    for (a, b, from, to) in overlaps {
        read.problems.push((
            ProblemKind::PartitionsOverlap,
            Some(b),
            format!("partitions {a} and {b} overlap on bytes {from}..{to}"),
        ));
    }
}

pub const GPT_ESP: &str = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";
pub const GPT_BIOS_BOOT: &str = "21686148-6449-6E6F-744E-656564454649";

/// Names for the GPT type GUIDs that matter when booting Linux.
pub fn gpt_type_name(guid: &str) -> &'static str {
    match guid {
        GPT_ESP => "EFI System",
        GPT_BIOS_BOOT => "BIOS boot",
        "0FC63DAF-8483-4772-8E79-3D69D8477DE4" => "Linux filesystem",
        "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F" => "Linux swap",
        "E6D6D379-F507-44C2-A23C-238F2A3DF928" => "Linux LVM",
        "A19D880F-05FC-4D3B-A006-743F0F84911E" => "Linux RAID",
        "BC13C2FF-59E6-4262-A352-B275FD6F7172" => "Linux extended boot (XBOOTLDR)",
        "CA7D7CCB-63ED-4C53-861C-1742536059CC" => "Linux LUKS",
        "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709" => "Linux root (x86-64)",
        "44479540-F297-41B2-9AF7-D131D5F0458A" => "Linux root (x86)",
        "B921B045-1DF0-41C3-AF44-4C6F280D3FAE" => "Linux root (ARM64)",
        "8484680C-9521-48C6-9C11-B0720656F69E" => "Linux /usr (x86-64)",
        "933AC7E1-2EB4-4F13-B844-0E14E2AEF915" => "Linux /home",
        "3B8F8425-20E0-4F3B-907F-1A25A76F98E8" => "Linux /srv",
        "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7" => "Microsoft basic data",
        "E3C9E316-0B5C-4DB8-817D-F92DF00215AE" => "Microsoft reserved",
        "DE94BBA4-06D1-4D40-A16A-BFD50179D6AC" => "Windows recovery",
        "48465300-0000-11AA-AA11-00306543ECAC" => "Apple HFS+",
        "6A898CC3-1DD2-11B2-99A6-080020736631" => "ZFS",
        "FE3A2A5D-4F32-41A7-B725-ACCC3285A309" => "ChromeOS kernel",
        _ => "unknown",
    }
}

/// Names for the MBR type bytes that matter when booting Linux.
pub fn mbr_type_name(sys: u8) -> &'static str {
    match sys {
        0x01 => "FAT12",
        0x04 | 0x06 => "FAT16",
        0x0e => "FAT16 (LBA)",
        0x05 => "Extended",
        0x0f => "Extended (LBA)",
        0x85 => "Linux extended",
        0x07 => "HPFS/NTFS/exFAT",
        0x0b => "FAT32",
        0x0c => "FAT32 (LBA)",
        0x82 => "Linux swap",
        0x83 => "Linux",
        0x8e => "Linux LVM",
        0xfd => "Linux RAID autodetect",
        0xee => "GPT protective",
        0xef => "EFI (FAT-12/16/32)",
        0xa5 => "FreeBSD",
        0xda => "Non-FS data",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::fuzz_support::disk_from_bytes;

    fn mbr_with(entries: &[(usize, u8, u32, u32)]) -> Vec<u8> {
        let mut d = vec![0u8; 1 << 20];
        d[510] = 0x55;
        d[511] = 0xAA;
        for &(slot, sys, start, sectors) in entries {
            let e = 446 + 16 * slot;
            d[e + 4] = sys;
            d[e + 8..e + 12].copy_from_slice(&start.to_le_bytes());
            d[e + 12..e + 16].copy_from_slice(&sectors.to_le_bytes());
        }
        d
    }

    /// Found by the fuzz runner: mbrman unwrapped a None when every used entry
    /// started at LBA 0.
    #[test]
    fn mbr_entry_at_lba_zero_is_a_problem_not_a_panic() {
        let disk = disk_from_bytes(&mbr_with(&[(0, 0x83, 0, 100)])).unwrap();
        let read = read_table(&disk, None);
        assert_eq!(read.partitions.len(), 1);
        assert!(read.problems.iter().any(|p| p.0 == ProblemKind::ExtendedChainBroken
            && p.2.contains("starts at LBA 0")));
    }

    /// Found by the host_state fuzz campaign: an EBR whose unused first entry
    /// starts at LBA 2^32 - 1 overflowed mbrman's addition of the EBR's LBA; and
    /// mbrman follows 0xc5 and 0xd5 extended entries too, and only the first.
    #[test]
    fn ebr_entry_past_lba_2_32_is_a_problem_not_a_panic() {
        for ext in [0x85, 0xc5, 0xd5] {
            let mut d = mbr_with(&[(0, ext, 1, 0), (1, 0x05, 100, 10)]);
            let ebr = 512;
            d[ebr + 510] = 0x55;
            d[ebr + 511] = 0xAA;
            d[ebr + 446 + 8..ebr + 446 + 12].copy_from_slice(&u32::MAX.to_le_bytes());
            d[ebr + 446 + 12..ebr + 446 + 16].copy_from_slice(&255u32.to_le_bytes());
            let disk = disk_from_bytes(&d).unwrap();
            let read = read_table(&disk, None);
            assert!(
                read.problems
                    .iter()
                    .any(|p| p.0 == ProblemKind::ExtendedChainBroken
                        && p.2.contains("beyond LBA 2^32")),
                "{ext:#x}: {:?}",
                read.problems
            );
        }
    }

    #[test]
    fn ebr_chain_linking_backwards_is_reported() {
        let mut d = mbr_with(&[(0, 0x83, 2048, 100), (1, 0x05, 100, 1000)]);
        // EBR at LBA 100: a logical at +10, next EBR at relative 0 → loop.
        let ebr = 100 * 512;
        d[ebr + 510] = 0x55;
        d[ebr + 511] = 0xAA;
        d[ebr + 446 + 4] = 0x83;
        d[ebr + 446 + 8..ebr + 446 + 12].copy_from_slice(&10u32.to_le_bytes());
        d[ebr + 446 + 12..ebr + 446 + 16].copy_from_slice(&10u32.to_le_bytes());
        d[ebr + 462 + 4] = 0x05;
        d[ebr + 462 + 8..ebr + 462 + 12].copy_from_slice(&200u32.to_le_bytes());
        let e2 = 300 * 512;
        d[e2 + 510] = 0x55;
        d[e2 + 511] = 0xAA;
        d[e2 + 462 + 4] = 0x05;
        d[e2 + 462 + 8..e2 + 462 + 12].copy_from_slice(&100u32.to_le_bytes());
        let disk = disk_from_bytes(&d).unwrap();
        let read = read_table(&disk, None);
        assert!(read.problems.iter().any(|p| p.0 == ProblemKind::ExtendedChainBroken
            && p.2.contains("links backwards")), "{:?}", read.problems);
        assert_eq!(read.partitions.len(), 1, "the primary survives");
    }

    #[test]
    fn overlapping_and_past_the_end_partitions_are_problems() {
        // 1 MiB disk = 2048 sectors: 2 overlaps 1, 3 runs past the end.
        let d = mbr_with(&[
            (0, 0x83, 100, 500),
            (1, 0x83, 400, 100),
            (2, 0x83, 1000, 2000),
        ]);
        let disk = disk_from_bytes(&d).unwrap();
        let read = read_table(&disk, None);
        let got: Vec<(ProblemKind, Option<u32>)> =
            read.problems.iter().map(|p| (p.0, p.1)).collect();
        assert_eq!(
            got,
            [
                (ProblemKind::PartitionPastEnd, Some(3)),
                (ProblemKind::PartitionsOverlap, Some(2)),
            ]
        );
    }

    #[test]
    fn hostile_gpt_entry_count_is_refused_before_the_gpt_crate_allocates() {
        let mut d = vec![0u8; 1 << 20];
        let h = 512;
        d[h..h + 8].copy_from_slice(b"EFI PART");
        d[h + 12..h + 16].copy_from_slice(&92u32.to_le_bytes());
        d[h + 24..h + 32].copy_from_slice(&1u64.to_le_bytes());
        d[h + 72..h + 80].copy_from_slice(&2u64.to_le_bytes());
        d[h + 80..h + 84].copy_from_slice(&u32::MAX.to_le_bytes());
        d[h + 84..h + 88].copy_from_slice(&128u32.to_le_bytes());
        let crc = CRC32.checksum(&d[h..h + 92]);
        d[h + 16..h + 20].copy_from_slice(&crc.to_le_bytes());
        let disk = disk_from_bytes(&d).unwrap();
        let read = read_table(&disk, None);
        assert!(
            read.error
                .as_deref()
                .is_some_and(|e| e.contains("partition entries")),
            "{read:?}"
        );
    }
}
