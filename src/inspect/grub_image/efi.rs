//! EFI applications on the ESP: a GRUB image (a PE with a `mods` section holding the
//! module area, `util/mkimage.c` case `IMAGE_EFI`; GRUB finds it by that name,
//! `kern/efi/efi.c` `grub_efi_modules_addr`), shim (`.vendor_cert`, `shim,` rows in
//! `.sbat`), or anything else. `.sbat` is the CSV shim checks against its revocations
//! (`component,generation,vendor,package,version,url`).

use std::collections::BTreeSet;

use nom::IResult;
use nom::Parser;
use nom::bytes::complete::{tag, take};
use nom::number::complete::{le_u16, le_u32};
use serde::{Deserialize, Serialize};

use super::module_area::{self, Word};
use super::symbols;
use super::version::KernelSeries;
use super::{FaultKind, GrubImage, GrubImageKind, ImageFault, Region, le32};

/// The PE/COFF limit on sections.
const MAX_SECTIONS: u16 = 96;
/// Longest `.sbat` read as text; real ones are a few hundred bytes in a 4 KiB section.
const MAX_SBAT: usize = 64 << 10;
const MAX_SBAT_ROWS: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeSection {
    pub name: String,
    pub virtual_size: u32,
    pub raw_offset: u32,
    pub raw_size: u32,
}

/// One `.sbat` row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SbatRow {
    pub component: String,
    /// `None` when the field is not a number (shim then refuses the image).
    pub generation: Option<u32>,
    pub vendor: String,
    pub package: String,
    pub version: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EfiImage {
    /// COFF machine: 0x8664 x86_64, 0x14c i386, 0xaa64 arm64.
    pub machine: u16,
    /// 10 = EFI application; `None` without an optional header.
    pub subsystem: Option<u16>,
    pub sections: Vec<PeSection>,
    pub sbat: Vec<SbatRow>,
    pub kind: EfiKind,
    /// Problems that do not stop the reading (a section past the file's end, a bad
    /// `.sbat` row); the GRUB image's own area faults stay in its `area`.
    pub faults: Vec<ImageFault>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum EfiKind {
    Grub(Box<GrubImage>),
    Shim {
        /// An embedded vendor certificate (`.vendor_cert`, possibly empty).
        vendor_cert: bool,
        /// The `shim` row's version.
        version: Option<String>,
    },
    Other,
}

struct Coff {
    machine: u16,
    nsections: u16,
    symtab: u32,
    nsyms: u32,
    opt_size: u16,
}

fn coff(i: &[u8]) -> IResult<&[u8], Coff> {
    let (i, _) = tag(&b"PE\0\0"[..]).parse(i)?;
    let (i, (machine, nsections, _timestamp, symtab, nsyms)) =
        (le_u16, le_u16, le_u32, le_u32, le_u32).parse(i)?;
    let (i, (opt_size, _characteristics)) = (le_u16, le_u16).parse(i)?;
    Ok((
        i,
        Coff {
            machine,
            nsections,
            symtab,
            nsyms,
            opt_size,
        },
    ))
}

/// Section names longer than 8 bytes (shim's `.vendor_cert`) are `/N`: offset N in
/// the COFF string table, which follows the 18-byte symbol records.
fn long_name(file: &[u8], c: &Coff, name: &str) -> Option<String> {
    let n: usize = name.strip_prefix('/')?.parse().ok()?;
    let table = (c.symtab as usize).checked_add((c.nsyms as usize).checked_mul(18)?)?;
    let at = table.checked_add(n)?;
    let s = super::c_string(file.get(at..at.saturating_add(256).min(file.len()))?);
    Some(s).filter(|s| !s.is_empty())
}

fn section(i: &[u8]) -> IResult<&[u8], PeSection> {
    let (i, name) = take(8usize)(i)?;
    let (i, (virtual_size, _vaddr, raw_size, raw_offset)) =
        (le_u32, le_u32, le_u32, le_u32).parse(i)?;
    let (i, _) = take(16usize)(i)?; // relocations, line numbers, characteristics
    Ok((
        i,
        PeSection {
            name: super::c_string(name),
            virtual_size,
            raw_offset,
            raw_size,
        },
    ))
}

/// Reads an EFI file. `Err` only when it is not a PE file (or its headers are cut off);
/// everything else is in the result.
pub fn inspect_efi(file: &[u8]) -> Result<EfiImage, ImageFault> {
    let bad =
        |off: usize, msg: &str| ImageFault::new(FaultKind::BadPe, Region::PeFile, off as u64, msg);
    if !file.starts_with(b"MZ") {
        return Err(bad(0, "not a PE file (no MZ header)"));
    }
    let pe =
        le32(file, 0x3c).ok_or_else(|| bad(0x3c, "PE file cut off in its DOS header"))? as usize;
    let rest = file
        .get(pe..)
        .ok_or_else(|| bad(0x3c, "PE header offset points past the file's end"))?;
    let (i, c) = coff(rest).map_err(|_| bad(pe, "no PE signature and COFF header at e_lfanew"))?;
    let (machine, nsections, opt_size) = (c.machine, c.nsections, c.opt_size);
    if nsections > MAX_SECTIONS {
        return Err(bad(pe + 6, "more than 96 sections"));
    }
    let subsystem = (opt_size >= 70).then(|| super::le16(i, 68)).flatten();
    let mut i = i
        .get(usize::from(opt_size)..)
        .ok_or_else(|| bad(pe + 24, "PE optional header runs past the file's end"))?;
    let mut sections = Vec::new();
    for n in 0..nsections {
        let (rest, s) = section(i)
            .map_err(|_| bad(file.len(), &format!("section table cut off at entry {n}")))?;
        let name = long_name(file, &c, &s.name).unwrap_or(s.name);
        sections.push(PeSection { name, ..s });
        i = rest;
    }
    let mut faults = Vec::new();
    let data = |name: &str, faults: &mut Vec<ImageFault>| -> Option<&[u8]> {
        let s = sections.iter().find(|s| s.name == name)?;
        let start = s.raw_offset as usize;
        let end = start.saturating_add(s.raw_size as usize);
        match file.get(start..end) {
            Some(d) => Some(d),
            None => {
                faults.push(ImageFault::new(
                    FaultKind::Truncated,
                    Region::PeFile,
                    file.len() as u64,
                    format!(
                        "section {name} ({} bytes at {start:#x}) runs past the file's end",
                        s.raw_size
                    ),
                ));
                file.get(start..)
            }
        }
    };
    let sbat = match data(".sbat", &mut faults) {
        Some(d) => {
            let base = sections
                .iter()
                .find(|s| s.name == ".sbat")
                .map_or(0, |s| u64::from(s.raw_offset));
            parse_sbat(d, base, &mut faults)
        }
        None => Vec::new(),
    };
    let kind = if let Some(mods) = data("mods", &mut faults) {
        let word = if machine == 0x14c {
            Word::W32
        } else {
            Word::W64
        };
        let area = module_area::walk(mods, word);
        // The export table's names sit in the kernel's code and data sections.
        let mut names = BTreeSet::new();
        for name in [".text", ".data"] {
            if let Some(d) = data(name, &mut faults) {
                names.extend(symbols::kernel_names(d));
            }
        }
        EfiKind::Grub(Box::new(GrubImage::from_area(
            GrubImageKind::Efi {
                machine,
                sections: sections.iter().map(|s| s.name.clone()).collect(),
            },
            area,
            sbat.clone(),
            KernelSeries::of(&names),
        )))
    } else if sections.iter().any(|s| s.name == ".vendor_cert")
        || sbat.iter().any(|r| r.component == "shim")
    {
        EfiKind::Shim {
            vendor_cert: sections.iter().any(|s| s.name == ".vendor_cert"),
            version: sbat
                .iter()
                .find(|r| r.component == "shim")
                .map(|r| r.version.clone()),
        }
    } else {
        EfiKind::Other
    };
    Ok(EfiImage {
        machine,
        subsystem,
        sections,
        sbat,
        kind,
        faults,
    })
}

/// `.sbat` text: one row per line up to the first NUL (the section is zero-padded).
/// Rows need a component and a numeric generation (shim's `parse_sbat_section`
/// refuses the image otherwise); missing trailing fields stay empty.
/// `base` is the section's file offset, for the faults' offsets.
pub fn parse_sbat(data: &[u8], base: u64, faults: &mut Vec<ImageFault>) -> Vec<SbatRow> {
    let data = &data[..data.len().min(MAX_SBAT)];
    let text = &data[..data.iter().position(|&b| b == 0).unwrap_or(data.len())];
    let text = String::from_utf8_lossy(text);
    let mut rows = Vec::new();
    let mut offset = base;
    for line in text.split('\n') {
        let here = offset;
        offset += line.len() as u64 + 1;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        if rows.len() == MAX_SBAT_ROWS {
            faults.push(ImageFault::new(
                FaultKind::BadPe,
                Region::PeFile,
                here,
                format!(".sbat has more than {MAX_SBAT_ROWS} rows; the rest is not read"),
            ));
            break;
        }
        let mut f = line.splitn(6, ',').map(str::to_string);
        let mut next = || f.next().unwrap_or_default();
        let row = SbatRow {
            component: next(),
            generation: None,
            vendor: String::new(),
            package: String::new(),
            version: String::new(),
            url: String::new(),
        };
        let generation = next();
        let row = SbatRow {
            generation: generation.trim().parse().ok(),
            vendor: next(),
            package: next(),
            version: next(),
            url: next(),
            ..row
        };
        if row.generation.is_none() {
            faults.push(ImageFault::new(
                FaultKind::BadPe,
                Region::PeFile,
                here,
                format!(".sbat row '{line}' has no numeric generation"),
            ));
        }
        rows.push(row);
    }
    rows
}
