//! The module area every GRUB platform embeds after its kernel (`include/grub/kernel.h`:
//! `grub_module_info32/64`, `grub_module_header`, `FOR_MODULES`; objects written by
//! `util/mkimage.c` in the order modules, pubkeys, memdisk, dtb, disable_shim_lock,
//! config, prefix). Each object is `{type u32, size u32 (with the header)}` and the next
//! starts at `size` rounded up to the pointer size.

use nom::IResult;
use nom::Parser;
use nom::number::complete::{le_u32, le_u64};
use object::{Object, ObjectSection};
use serde::{Deserialize, Serialize};

use super::{FaultKind, ImageFault, Region, c_string, version};

/// `GRUB_MODULE_MAGIC`, "mimg" little-endian.
pub const MAGIC: u32 = 0x676d_696d;
/// The smallest area: a 32-bit header and nothing else.
pub const MIN_AREA: usize = 12;

/// Pointer size of the target: i386-pc uses `grub_module_info32` and 4-byte object
/// alignment, x86_64-efi `grub_module_info64` and 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Word {
    W32,
    W64,
}

impl Word {
    fn header_size(self) -> u64 {
        match self {
            Word::W32 => 12,
            Word::W64 => 0x18,
        }
    }
    fn align(self) -> u64 {
        match self {
            Word::W32 => 4,
            Word::W64 => 8,
        }
    }
}

/// Object types (`OBJ_TYPE_*`); 7–9 exist only in post-2.12 trees (rhboot).
const OBJ_ELF: u32 = 0;
const OBJ_MEMDISK: u32 = 1;
const OBJ_CONFIG: u32 = 2;
const OBJ_PREFIX: u32 = 3;
const OBJ_PUBKEY: u32 = 4;
const OBJ_DTB: u32 = 5;
const OBJ_DISABLE_SHIM_LOCK: u32 = 6;
const OBJ_GPG_PUBKEY: u32 = 7;
const OBJ_X509_PUBKEY: u32 = 8;
const OBJ_DISABLE_CLI: u32 = 9;

/// Everything the module area holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleArea {
    /// The area's size from its header (header included).
    pub size: u64,
    pub modules: Vec<ModuleInfo>,
    pub config: Option<String>,
    pub prefix: Option<String>,
    pub memdisk: Option<Memdisk>,
    /// PUBKEY objects (`--pubkey`), plus GPG/X.509 keys in post-2.12 trees.
    pub pubkeys: u32,
    pub dtb: bool,
    /// `--disable-shim-lock` (2.06+): the image does not ask shim to verify kernels.
    pub disable_shim_lock: bool,
    /// rhboot's `--disable-cli`.
    pub disable_cli: bool,
    /// Types this reader does not know, with their offsets in the area.
    pub unknown_objects: Vec<(u32, u64)>,
    /// What is wrong inside the area (the walk stops at the first broken object).
    pub faults: Vec<ImageFault>,
}

/// One embedded ELF module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleInfo {
    /// `.modname`; `None` when the object is not a readable GRUB module.
    pub name: Option<String>,
    /// `.moddeps`, the modules GRUB loads first.
    pub deps: Vec<String>,
    /// `.module_license` without `LICENSE=`.
    pub license: Option<String>,
    /// Offset of the ELF bytes in the area, and their size.
    pub offset: u64,
    pub size: u64,
    /// `normal.mod` only: the version it prints (`GNU GRUB  version %s`).
    pub version: Option<String>,
}

impl ModuleInfo {
    /// GRUB's `grub_dl_check_license` accepts exactly these; anything else makes
    /// `incompatible license` and the module is not loaded.
    pub fn license_accepted(&self) -> bool {
        matches!(self.license.as_deref(), Some("GPLv3" | "GPLv3+" | "GPLv2+"))
    }
}

/// The memdisk image GRUB serves as `(memdisk)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memdisk {
    pub size: u64,
    /// `fat12`/`fat16`/`fat32` from its boot sector, `tar` for a ustar archive.
    pub filesystem: Option<String>,
}

fn info32(i: &[u8]) -> IResult<&[u8], (u32, u64, u64)> {
    let (i, (magic, offset, size)) = (le_u32, le_u32, le_u32).parse(i)?;
    Ok((i, (magic, u64::from(offset), u64::from(size))))
}

fn info64(i: &[u8]) -> IResult<&[u8], (u32, u64, u64)> {
    let (i, (magic, _pad, offset, size)) = (le_u32, le_u32, le_u64, le_u64).parse(i)?;
    Ok((i, (magic, offset, size)))
}

fn info(area: &[u8], word: Word) -> Option<(u64, u64)> {
    let parsed = match word {
        Word::W32 => info32(area),
        Word::W64 => info64(area),
    };
    let (_, (magic, offset, size)) = parsed.ok()?;
    (magic == MAGIC && offset == word.header_size()).then_some((offset, size))
}

/// The offset of the module area in a decoded i386-pc image. mkimage puts it right
/// after the kernel and its size runs to the image's end, which is what tells it from
/// the bare magic that also occurs in kernel code.
pub fn locate_at_end(image: &[u8], word: Word) -> Option<usize> {
    let magic = MAGIC.to_le_bytes();
    let mut from = 0;
    while let Some(p) = super::find(&image[from..], &magic) {
        let at = from + p;
        if let Some((_, size)) = info(&image[at..], word)
            && (at as u64).checked_add(size) == Some(image.len() as u64)
        {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Walks an area that starts with its `mimg` header. Never fails: what is wrong lands
/// in `faults` (offsets in `Region::ModuleArea`).
pub fn walk(area: &[u8], word: Word) -> ModuleArea {
    let mut out = ModuleArea::default();
    let fault = |kind, off: u64, msg: String| ImageFault::new(kind, Region::ModuleArea, off, msg);
    let Some((first, size)) = info(area, word) else {
        out.faults.push(fault(
            FaultKind::NoModuleArea,
            0,
            "no `mimg` module area header".into(),
        ));
        return out;
    };
    out.size = size;
    let end = if size > area.len() as u64 {
        out.faults.push(fault(
            FaultKind::Truncated,
            area.len() as u64,
            format!("module area claims {size} bytes, {} are there", area.len()),
        ));
        area.len() as u64
    } else {
        size
    };
    let mut off = first;
    // Each object takes at least 8 bytes, so this loop runs at most end / 8 times.
    while off < end {
        let Some(head) = area.get(off as usize..(off + 8) as usize) else {
            out.faults.push(fault(
                FaultKind::Truncated,
                off,
                "object header runs past the module area's end".into(),
            ));
            break;
        };
        let kind = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let osize = u64::from(u32::from_le_bytes([head[4], head[5], head[6], head[7]]));
        if osize < 8 {
            // GRUB's FOR_MODULES would loop on this object forever.
            out.faults.push(fault(
                FaultKind::BadModuleArea,
                off + 4,
                format!("object of type {kind} has size {osize}, smaller than its header"),
            ));
            break;
        }
        if off + osize > end {
            out.faults.push(fault(
                FaultKind::BadModuleArea,
                off + 4,
                format!(
                    "object of type {kind} ({osize} bytes at {off:#x}) runs past the module area's end at {end:#x}"
                ),
            ));
            break;
        }
        let data = &area[(off + 8) as usize..(off + osize) as usize];
        out.take_object(kind, off + 8, data);
        off += osize.next_multiple_of(word.align());
    }
    out
}

impl ModuleArea {
    fn take_object(&mut self, kind: u32, at: u64, data: &[u8]) {
        match kind {
            OBJ_ELF => {
                let m = read_module(data, at);
                if let Err(e) = &m {
                    self.faults.push(e.clone());
                }
                let m = m.unwrap_or_else(|_| ModuleInfo {
                    name: None,
                    deps: Vec::new(),
                    license: None,
                    offset: at,
                    size: data.len() as u64,
                    version: None,
                });
                if m.license.is_some() && !m.license_accepted() {
                    self.faults.push(ImageFault::new(
                        FaultKind::BadModule,
                        Region::ModuleArea,
                        at,
                        format!(
                            "module '{}' has license '{}': GRUB refuses it (incompatible license)",
                            m.name.as_deref().unwrap_or("?"),
                            m.license.as_deref().unwrap_or("")
                        ),
                    ));
                }
                self.modules.push(m);
            }
            OBJ_MEMDISK => {
                self.memdisk = Some(Memdisk {
                    size: data.len() as u64,
                    filesystem: memdisk_fs(data),
                })
            }
            OBJ_CONFIG => self.config = Some(c_string(data)),
            OBJ_PREFIX => self.prefix = Some(c_string(data)),
            OBJ_PUBKEY | OBJ_GPG_PUBKEY | OBJ_X509_PUBKEY => self.pubkeys += 1,
            OBJ_DTB => self.dtb = true,
            OBJ_DISABLE_SHIM_LOCK => self.disable_shim_lock = true,
            OBJ_DISABLE_CLI => self.disable_cli = true,
            other => self.unknown_objects.push((other, at - 8)),
        }
    }
}

/// Reads `.modname`, `.moddeps`, `.module_license` of an embedded module.
pub fn read_module(elf: &[u8], at: u64) -> Result<ModuleInfo, ImageFault> {
    let file = object::File::parse(elf).map_err(|e| {
        ImageFault::new(
            FaultKind::BadModule,
            Region::ModuleArea,
            at,
            format!("embedded module is not an ELF object: {e}"),
        )
    })?;
    let section = |name: &str| {
        file.section_by_name(name)
            .and_then(|s| s.data().ok())
            .unwrap_or(&[])
    };
    let name = Some(c_string(section(".modname"))).filter(|n| !n.is_empty());
    let deps = section(".moddeps")
        .split(|&b| b == 0)
        .filter(|d| !d.is_empty())
        .map(|d| String::from_utf8_lossy(d).into_owned())
        .collect();
    let license = Some(c_string(section(".module_license")))
        .filter(|l| !l.is_empty())
        .map(|l| l.strip_prefix("LICENSE=").unwrap_or(&l).to_string());
    let version = (name.as_deref() == Some("normal"))
        .then(|| version::normal_mod_version(elf))
        .flatten();
    Ok(ModuleInfo {
        name,
        deps,
        license,
        offset: at,
        size: elf.len() as u64,
        version,
    })
}

/// What filesystem a memdisk holds, from its first sector.
fn memdisk_fs(data: &[u8]) -> Option<String> {
    if data.get(257..262) == Some(b"ustar") {
        return Some("tar".into());
    }
    if data.get(510..512) != Some(&[0x55, 0xaa]) {
        return None;
    }
    for (at, label) in [(0x36, "FAT12"), (0x36, "FAT16"), (0x52, "FAT32")] {
        if data.get(at..at + 5) == Some(label.as_bytes()) {
            return Some(label.to_ascii_lowercase());
        }
    }
    None
}
