//! GRUB's own images, from the bytes up: what lies between the firmware and grub.cfg.
//! Pure functions over bytes the caller read (this module opens nothing, writes nothing
//! and allocates only within fixed bounds, whatever the input claims). Layouts follow
//! GRUB 2.06/2.12 (`shared/reference/grub-loader-chain.md` §1–4; GRUB's
//! `include/grub/i386/pc/boot.h`, `include/grub/offsets.h`, `include/grub/kernel.h`,
//! `util/mkimage.c`, `util/setup.c`).
//!
//! - `boot_sector`: the MBR (`boot.img`: is it GRUB's, which sector it loads) and the
//!   first core sector (`diskboot.img` and its blocklist).
//! - `core`: the i386-pc core image: the `lzma_decompress.img` header and the raw LZMA1
//!   payload → kernel + module area.
//! - `module_area`: the `mimg` area every platform shares: embedded modules (`.modname`,
//!   `.moddeps`, `.module_license`), config, prefix, memdisk, pubkeys, flags.
//! - `module_file`: a module file at the prefix as GRUB's loader first checks it
//!   (the ELF header refusals of kern/dl.c), and `moddep.lst`.
//! - `efi`: PE images: a GRUB image (`mods` section), shim, or another EFI application;
//!   `.sbat` rows.
//! - `early_config`: the embedded config (`load.cfg`) as the rescue parser runs it:
//!   the searches and `set`s that move `$root` and `$prefix`.
//! - `version`: `modinfo.sh`, the version string in `normal.mod`, `.sbat` versions.
//! - `fuzz`: bodies of the `grub_image` fuzz target, also run by `tests/grub_image.rs`.
//!
//! Entry points: [`follow_bios_chain`] (MBR → diskboot → core, sectors served by the
//! caller), [`core::parse_core`] (a core.img file), [`efi::inspect_efi`] (an EFI
//! file), [`version::parse_modinfo`], [`version::normal_mod_version`]. Faults are data
//! ([`ImageFault`]: what is wrong, where); nothing here panics on input.

pub mod boot_sector;
pub mod core;
pub mod early_config;
pub mod efi;
pub mod fuzz;
pub mod module_area;
pub mod module_file;
pub mod reed_solomon;
pub mod symbols;
pub mod version;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use boot_sector::{BlockEntry, BootSector, BootSectorKind, Diskboot};
pub use core::{CoreHeader, CoreImage};
pub use efi::{EfiImage, EfiKind, SbatRow};
pub use module_area::{Memdisk, ModuleArea, ModuleInfo};
pub use version::{GrubVersion, Modinfo, VersionSource};

/// Which bytes a fault's offset counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Region {
    /// LBA 0, the MBR.
    BootSector,
    /// The first sector of the core image (diskboot.img).
    Diskboot,
    /// core.img as a whole (diskboot sector first).
    CoreImage,
    /// The module area (offset 0 = its `mimg` header).
    ModuleArea,
    /// An EFI (PE) file.
    PeFile,
}

/// What is wrong with an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// The bytes end before a structure does.
    Truncated,
    /// All zeros where code should be (a wiped sector or partition).
    Blank,
    /// Not GRUB's (another boot loader, another program, noise).
    NotGrub,
    /// The diskboot blocklist is unterminated, overlapping, self-referencing or too long.
    BadBlocklist,
    /// A size field beyond what GRUB itself can produce or load.
    TooBig,
    /// The LZMA payload does not decode to the size its header claims.
    Decompress,
    /// The payload does not decode as stored, and grub-setup appended Reed-Solomon
    /// bytes that GRUB applies before decoding (`startup_raw.S` calls
    /// `grub_reed_solomon_recover`), placed where bootvet cannot follow them:
    /// whether they repair it is not known here.
    NeedsRepair,
    /// Damaged beyond what the Reed-Solomon codes repair, as GRUB's own repair
    /// computes it (`reed_solomon`): GRUB goes on with damaged bytes.
    Unrepairable,
    /// Bytes the Reed-Solomon codes do not cover (diskboot's code, the decompressor's
    /// start) differ from the installed core.img the rest of the core matches.
    Unprotected,
    /// No `mimg` header where the module area should be.
    NoModuleArea,
    /// An object of the module area is malformed (size below its header, past the end).
    BadModuleArea,
    /// An embedded ELF module cannot be read, or its license would be refused.
    BadModule,
    /// Not a PE file, or a PE file whose headers are inconsistent.
    BadPe,
}

/// A fault: what is wrong, at which byte of which region. Plain data (serialized into
/// facts); the message starts lowercase and names the thing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageFault {
    pub kind: FaultKind,
    pub region: Region,
    pub offset: u64,
    pub message: String,
}

impl ImageFault {
    pub fn new(kind: FaultKind, region: Region, offset: u64, message: impl Into<String>) -> Self {
        ImageFault {
            kind,
            region,
            offset,
            message: message.into(),
        }
    }
}

impl fmt::Display for ImageFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let region = match self.region {
            Region::BootSector => "boot sector",
            Region::Diskboot => "diskboot sector",
            Region::CoreImage => "core image",
            Region::ModuleArea => "module area",
            Region::PeFile => "EFI file",
        };
        write!(
            f,
            "{} (byte {:#x} of the {region})",
            self.message, self.offset
        )
    }
}

impl std::error::Error for ImageFault {}

/// One result for every GRUB image, BIOS or EFI: what checks and the report need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrubImage {
    pub kind: GrubImageKind,
    /// PREFIX object (`(,gpt3)/boot/grub`, `/EFI/debian`), as embedded.
    pub prefix: Option<String>,
    /// CONFIG object: the early script GRUB runs with its rescue parser.
    pub config: Option<String>,
    /// Names of the embedded modules, in the image's order (dependencies first).
    pub modules: Vec<String>,
    pub memdisk: Option<Memdisk>,
    /// From `.sbat` or an embedded `normal.mod` (an i386-pc core carries no version).
    pub version: Option<GrubVersion>,
    /// `.sbat` rows (EFI only).
    pub sbat: Vec<SbatRow>,
    /// Which GRUB series the kernel's exported symbol names belong to: the only
    /// trace of its version in a core without `.sbat` or an embedded normal.mod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_series: Option<version::KernelSeries>,
    /// The whole module area, with every module's dependencies and license.
    pub area: ModuleArea,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "platform")]
pub enum GrubImageKind {
    /// i386-pc core image.
    Bios {
        header: CoreHeader,
        /// Bytes of lzma_decompress.img (the LZMA payload starts at 0x200 + this).
        decompressor_size: u32,
        /// Bytes of the decompressed kernel before its module area.
        kernel_size: u64,
        /// Damage GRUB's Reed-Solomon codes repair at every boot.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        repair: Option<core::CoreRepair>,
    },
    /// x86_64-efi (or another PE) GRUB image.
    Efi {
        machine: u16,
        /// Section names in file order.
        sections: Vec<String>,
    },
}

impl GrubImage {
    /// Builds the common result from a module area (and what the platform adds).
    pub(crate) fn from_area(
        kind: GrubImageKind,
        area: ModuleArea,
        sbat: Vec<SbatRow>,
        kernel_series: Option<version::KernelSeries>,
    ) -> GrubImage {
        let version = version::from_sbat(&sbat).or_else(|| {
            area.modules
                .iter()
                .find_map(|m| m.version.clone())
                .map(|v| GrubVersion {
                    version: version::upstream_of(&v),
                    package_version: Some(v),
                    source: VersionSource::NormalMod,
                })
        });
        GrubImage {
            kind,
            prefix: area.prefix.clone(),
            config: area.config.clone(),
            modules: area.modules.iter().filter_map(|m| m.name.clone()).collect(),
            memdisk: area.memdisk.clone(),
            version,
            sbat,
            kernel_series,
            area,
        }
    }
}

/// What the BIOS path reads, link by link: the MBR, the sector it names, the core.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BiosChain {
    pub boot_sector: BootSector,
    /// Present when the MBR is GRUB's and its `kernel_sector` could be read and parsed.
    pub diskboot: Option<Diskboot>,
    pub core: Option<GrubImage>,
    /// The link that broke, if any (the first one; later links are then absent).
    pub fault: Option<ImageFault>,
    /// The core's bytes as GRUB decodes them (Reed-Solomon repair applied), kept
    /// for comparing with the installed core.img; not part of the facts.
    #[serde(skip)]
    pub core_bytes: Vec<u8>,
}

impl BiosChain {
    /// The disk sector holding sector `index` of the core image (0 = the diskboot
    /// sector at `kernel_sector`, then the blocklist's runs in the order diskboot
    /// reads them).
    pub fn core_sector_lba(&self, index: u64) -> Option<u64> {
        let BootSectorKind::Grub { kernel_sector, .. } = self.boot_sector.kind else {
            return None;
        };
        let Some(mut rest) = index.checked_sub(1) else {
            return Some(kernel_sector);
        };
        for entry in &self.diskboot.as_ref()?.blocklist {
            let len = u64::from(entry.len);
            if rest < len {
                return entry.start.checked_add(rest);
            }
            rest -= len;
        }
        None
    }
}

/// Most sectors the BIOS chain reads in one run (GRUB's own limit, see
/// `boot_sector::MAX_CORE_SECTORS`, plus the diskboot sector).
pub const MAX_CHAIN_SECTORS: u64 = boot_sector::MAX_CORE_SECTORS + 1;

/// Follows the BIOS chain as boot.img and diskboot.img do: LBA 0 → `kernel_sector` →
/// blocklist → core image. `read(lba, count)` is the caller's IO (a disk, an image);
/// `None` means the sectors could not be read (past the end, I/O error). At most
/// `MAX_CHAIN_SECTORS` sectors are requested in total.
pub fn follow_bios_chain(
    mbr: &[u8],
    read: &mut dyn FnMut(u64, u32) -> Option<Vec<u8>>,
) -> BiosChain {
    let mut chain = BiosChain {
        boot_sector: BootSector {
            kind: BootSectorKind::Other,
            signature: false,
        },
        diskboot: None,
        core: None,
        fault: None,
        core_bytes: Vec::new(),
    };
    match boot_sector::parse_boot_sector(mbr) {
        Ok(b) => chain.boot_sector = b,
        Err(e) => {
            chain.fault = Some(e);
            return chain;
        }
    }
    let BootSectorKind::Grub { kernel_sector, .. } = chain.boot_sector.kind else {
        return chain;
    };
    let Some(first) = read(kernel_sector, 1).filter(|s| s.len() >= boot_sector::SECTOR) else {
        chain.fault = Some(ImageFault::new(
            FaultKind::Truncated,
            Region::BootSector,
            boot_sector::KERNEL_SECTOR_OFFSET as u64,
            format!("kernel_sector {kernel_sector} cannot be read (past the end of the disk?)"),
        ));
        return chain;
    };
    let diskboot = match boot_sector::parse_diskboot(&first, Some(kernel_sector)) {
        Ok(d) => d,
        Err(e) => {
            chain.fault = Some(e);
            return chain;
        }
    };
    let mut core = first[..boot_sector::SECTOR].to_vec();
    for (i, entry) in diskboot.blocklist.iter().enumerate() {
        match read(entry.start, u32::from(entry.len)) {
            Some(bytes) if bytes.len() >= usize::from(entry.len) * boot_sector::SECTOR => {
                core.extend_from_slice(&bytes[..usize::from(entry.len) * boot_sector::SECTOR]);
            }
            _ => {
                chain.fault = Some(ImageFault::new(
                    FaultKind::Truncated,
                    Region::Diskboot,
                    boot_sector::entry_offset(i) as u64,
                    format!(
                        "blocklist entry {} ({} sectors at LBA {}) cannot be read",
                        i + 1,
                        entry.len,
                        entry.start
                    ),
                ));
                chain.diskboot = Some(diskboot);
                return chain;
            }
        }
    }
    chain.diskboot = Some(diskboot);
    match core::parse_core(&core) {
        Ok(mut c) => {
            chain.core_bytes = std::mem::take(&mut c.bytes);
            chain.core = Some(c.into_image());
        }
        Err(e) => chain.fault = Some(e),
    }
    chain
}

/// Little-endian readers over a slice that never panic: `None` past the end.
pub(crate) fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}
pub(crate) fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}
pub(crate) fn le64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

/// The NUL-terminated text at the start of `b` (lossy UTF-8).
pub(crate) fn c_string(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// Where `needle` first occurs in `hay`.
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}
