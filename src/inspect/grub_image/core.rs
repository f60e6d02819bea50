//! The i386-pc core image: diskboot.img (512 bytes) ‖ lzma_decompress.img ‖ a raw LZMA1
//! payload that decodes to GRUB's kernel followed by the module area (`util/mkimage.c`
//! `grub_install_generate_image`, `compress_kernel_lzma`; `grub-core/boot/i386/pc/
//! startup_raw.S`; header offsets from `include/grub/offsets.h`).

use std::borrow::Cow;

use nom::IResult;
use nom::Parser;
use nom::bytes::complete::take;
use nom::number::complete::{le_u16, le_u32};
use serde::{Deserialize, Serialize};

use super::boot_sector::SECTOR;
use super::module_area::{self, ModuleArea, Word};
use super::reed_solomon::{self, RsOutcome};
use super::symbols;
use super::version::KernelSeries;
use super::{FaultKind, GrubImage, GrubImageKind, ImageFault, Region};

/// The decompressor's header fields, at core.img 0x200 + 0x08 … 0x1C.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoreHeader {
    /// Bytes of the LZMA payload.
    pub compressed_size: u32,
    /// Bytes of kernel + module area once decoded.
    pub uncompressed_size: u32,
    /// Reed-Solomon bytes grub-setup appended when embedding (0 in a grub-mkimage file).
    pub rs_redundancy: u32,
    /// Bytes of the decompressor not covered by Reed-Solomon; 0xFFFF makes grub-setup
    /// refuse the image (`core.img version mismatch`).
    pub no_rs_length: u16,
    /// Drive, DOS partition, BSD partition, filled at boot; `FF FF FF 00` as built.
    pub boot_device: [u8; 4],
}

/// A decoded core image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreImage {
    pub header: CoreHeader,
    pub decompressor_size: u32,
    /// Bytes of the kernel before the module area.
    pub kernel_size: u64,
    pub kernel_series: Option<KernelSeries>,
    pub area: ModuleArea,
    /// What GRUB's Reed-Solomon repair changes before decoding, when it changes anything.
    pub repair: Option<CoreRepair>,
    /// The bytes GRUB decodes: the core as read, with that repair applied.
    pub bytes: Vec<u8>,
}

/// Bytes of an embedded core that differ from what grub-setup wrote and that GRUB's
/// Reed-Solomon codes put right at every boot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoreRepair {
    pub bytes: u32,
    /// Sectors of the core image (0 = the diskboot sector) holding them.
    pub sectors: Vec<u32>,
}

impl CoreImage {
    pub fn into_image(self) -> GrubImage {
        GrubImage::from_area(
            GrubImageKind::Bios {
                header: self.header,
                decompressor_size: self.decompressor_size,
                kernel_size: self.kernel_size,
                repair: self.repair,
            },
            self.area,
            Vec::new(),
            self.kernel_series,
        )
    }
}

/// `ljmp $0, $0x821c`: lzma_decompress.img's first instruction (its code starts at 0x1C,
/// fixed by the header layout, and it runs at 0x8200).
const DECOMPRESSOR_START: [u8; 5] = [0xea, 0x1c, 0x82, 0x00, 0x00];
/// `GRUB_DECOMPRESSOR_I386_PC_MAX_DECOMPRESSOR_SIZE` (0x9000 - 0x8200).
const MAX_DECOMPRESSOR: u32 = 0x9000 - 0x8200;
/// GRUB's limit on decompressor + payload: link address 0x9000 + both ≤ 0x78000
/// (`core image is too big`).
pub const MAX_COMPRESSED: u32 = 0x78000 - 0x9000;
/// Our bound on the decoded size. GRUB has none of its own (the payload decodes to
/// 0x100000 upwards), but its compressed bound and LZMA's ratio on code keep real cores
/// well under 2 MiB; a memdisk of zeros could be larger, so leave room.
pub const MAX_UNCOMPRESSED: u32 = 16 << 20;
/// Decoding attempts when the decompressor's size must be searched (see `candidates`),
/// and the bytes all attempts together may produce.
const MAX_ATTEMPTS: usize = 48;
const ATTEMPT_BUDGET: u64 = 64 << 20;

fn header(i: &[u8]) -> IResult<&[u8], CoreHeader> {
    let (i, _) = take(8usize)(i)?;
    let (i, (compressed_size, uncompressed_size, rs_redundancy, no_rs_length)) =
        (le_u32, le_u32, le_u32, le_u16).parse(i)?;
    let (i, _) = take(2usize)(i)?;
    let (i, dev) = take(4usize)(i)?;
    let mut boot_device = [0u8; 4];
    boot_device.copy_from_slice(dev);
    Ok((
        i,
        CoreHeader {
            compressed_size,
            uncompressed_size,
            rs_redundancy,
            no_rs_length,
            boot_device,
        },
    ))
}

/// Parses and decodes a whole core image: a `grub-mkimage -O i386-pc` file, or the
/// sectors the blocklist names (diskboot sector first; embedded cores end with
/// Reed-Solomon bytes and zero padding).
pub fn parse_core(core: &[u8]) -> Result<CoreImage, ImageFault> {
    let fault = |kind, off: u64, msg: String| ImageFault::new(kind, Region::CoreImage, off, msg);
    let Ok((_, header)) = header(core.get(SECTOR..).unwrap_or(&[])) else {
        return Err(fault(
            FaultKind::Truncated,
            core.len() as u64,
            format!(
                "core image has {} bytes, too few for the decompressor header",
                core.len()
            ),
        ));
    };
    if !core[SECTOR..].starts_with(&DECOMPRESSOR_START) {
        return Err(fault(
            FaultKind::NotGrub,
            SECTOR as u64,
            "the core's second sector is not GRUB's lzma_decompress.img".into(),
        ));
    }
    let (compressed, uncompressed) = (header.compressed_size, header.uncompressed_size);
    if compressed == 0 || compressed > MAX_COMPRESSED {
        return Err(fault(
            FaultKind::TooBig,
            0x208,
            format!(
                "compressed size {compressed} is outside 1..={MAX_COMPRESSED} (GRUB's core size limit)"
            ),
        ));
    }
    if uncompressed > MAX_UNCOMPRESSED || (uncompressed as usize) < module_area::MIN_AREA {
        return Err(fault(
            FaultKind::TooBig,
            0x20c,
            format!(
                "uncompressed size {uncompressed} is outside {}..={MAX_UNCOMPRESSED}",
                module_area::MIN_AREA
            ),
        ));
    }
    let room = core.len() - SECTOR;
    if (compressed as usize) > room {
        return Err(fault(
            FaultKind::Truncated,
            core.len() as u64,
            format!(
                "compressed payload of {compressed} bytes does not fit in the {room} bytes after diskboot"
            ),
        ));
    }
    let (bytes, repair, codes) = match repair_as_grub_does(core, &header) {
        Protected::Repaired { bytes, repair } => (Cow::Owned(bytes), Some(repair), Codes::Checked),
        Protected::Unrepairable(fault) => return Err(fault),
        Protected::As(codes) => (Cow::Borrowed(core), None, codes),
    };
    let mut error = match decode_payload(&bytes, &header) {
        Ok(mut image) => {
            image.repair = repair;
            image.bytes = bytes.into_owned();
            return Ok(image);
        }
        Err(e) => e,
    };
    match codes {
        // Sizes that do not let bootvet place the codes as grub-setup did: GRUB may
        // still repair what bootvet cannot decode.
        Codes::Unmodelled
            if matches!(error.kind, FaultKind::Decompress | FaultKind::NoModuleArea) =>
        {
            error.kind = FaultKind::NeedsRepair;
            error.message = format!(
                "{}; GRUB first applies the {} Reed-Solomon bytes grub-setup appended, placed where bootvet cannot follow",
                error.message, header.rs_redundancy
            );
        }
        Codes::Skipped => {
            error.message = format!(
                "{} (GRUB skips its Reed-Solomon repair: more than half of the {} code bytes end in zeros)",
                error.message, header.rs_redundancy
            );
        }
        _ => {}
    }
    Err(error)
}

/// The embedded core beside the `core.img` file grub-install left at the prefix
/// (`PLATFORM/core.img`), which grub-bios-setup read and embedded (util/setup.c).
/// Setup changes three things only: diskboot's blocklist entries and terminator at
/// the end of sector 0, the Reed-Solomon size field (0x210), and the codes it
/// appends. Every other byte of a core embedded from that file is the file's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstalledCore {
    Same,
    /// Bytes the Reed-Solomon codes do not cover (diskboot's code, the first
    /// `no_rs_length` bytes of lzma_decompress.img) differ, while every byte the
    /// codes cover is the file's: the same install, damaged since.
    UnprotectedDiffers {
        /// Core offsets of the first and last differing byte, and how many differ.
        first: usize,
        last: usize,
        bytes: usize,
        /// Core sectors holding them (0 = the diskboot sector).
        sectors: Vec<u32>,
    },
    /// Another core (a later grub-install, another build): nothing follows.
    Other(String),
}

/// Compares `embedded` (the bytes GRUB decodes, repaired as it repairs them) with
/// the installed `file`. `blocklist_entries`: the entries diskboot reads before its
/// terminator, which setup wrote over the file's sector 0 (12 bytes each, down from
/// 0x1F4, the terminator below them).
pub fn compare_installed(embedded: &[u8], file: &[u8], blocklist_entries: usize) -> InstalledCore {
    let other = |why: &str| InstalledCore::Other(why.to_string());
    let Ok((_, h)) = header(file.get(SECTOR..).unwrap_or(&[])) else {
        return other("the installed core.img is too short for GRUB's decompressor header");
    };
    if !file[SECTOR..].starts_with(&DECOMPRESSOR_START) || h.no_rs_length == 0xffff {
        return other("the installed core.img is not an i386-pc core image");
    }
    let protected_from = SECTOR + usize::from(h.no_rs_length);
    if protected_from > file.len() || embedded.len() < file.len() {
        return other("the installed core.img is longer than the embedded core");
    }
    if embedded[protected_from..file.len()] != file[protected_from..] {
        return other(
            "the bytes GRUB's Reed-Solomon codes protect differ: another install or build",
        );
    }
    let setup_wrote = SECTOR.saturating_sub((blocklist_entries + 1) * 12);
    let rs_field = SECTOR + 0x10..SECTOR + 0x14;
    let differing: Vec<usize> = (0..protected_from)
        .filter(|&i| (i < setup_wrote || i >= SECTOR) && !rs_field.contains(&i))
        .filter(|&i| embedded[i] != file[i])
        .collect();
    match (differing.first(), differing.last()) {
        (Some(&first), Some(&last)) => {
            let mut sectors: Vec<u32> = differing.iter().map(|&i| (i / SECTOR) as u32).collect();
            sectors.dedup();
            InstalledCore::UnprotectedDiffers {
                first,
                last,
                bytes: differing.len(),
                sectors,
            }
        }
        _ => InstalledCore::Same,
    }
}

/// Whether GRUB's Reed-Solomon codes were applied before decoding.
enum Codes {
    /// No codes (a grub-mkimage file, or `--no-rs-codes`).
    None,
    /// Applied as GRUB applies them, and nothing to repair: the bytes decoded are GRUB's.
    Checked,
    /// Present, but GRUB skips them (code area mostly zeros).
    Skipped,
    /// Present, but the sizes do not place them where grub-setup writes them.
    Unmodelled,
}

enum Protected {
    /// Decode the core as read.
    As(Codes),
    Repaired {
        bytes: Vec<u8>,
        repair: CoreRepair,
    },
    Unrepairable(ImageFault),
}

/// Applies the Reed-Solomon repair startup_raw.S runs before decompressing
/// (`grub_reed_solomon_recover(_start + no_rs_length, compressed_size +
/// decompressor_end - reed_solomon_part, reed_solomon_redundancy)`): the protected
/// region runs from `no_rs_length` bytes into the decompressor to the payload's end,
/// and grub-setup wrote the codes right after it (util/setup.c). The decompressor's
/// size is not recorded, but the codes end the embedded sectors: the core read
/// through the blocklist is exactly region + codes long.
fn repair_as_grub_does(core: &[u8], h: &CoreHeader) -> Protected {
    let rs = h.rs_redundancy as usize;
    if rs == 0 {
        return Protected::As(Codes::None);
    }
    let no_rs = usize::from(h.no_rs_length);
    let Some(payload_end) = core.len().checked_sub(rs) else {
        return Protected::As(Codes::Unmodelled);
    };
    let start = SECTOR + no_rs;
    let decompressor = payload_end.checked_sub(SECTOR + h.compressed_size as usize);
    let placed = decompressor.is_some_and(|d| d > no_rs && d <= MAX_DECOMPRESSOR as usize);
    if !placed || start >= payload_end {
        return Protected::As(Codes::Unmodelled);
    }
    let mut bytes = core.to_vec();
    let (region, code) = bytes.split_at_mut(payload_end);
    let fault = |message| {
        Protected::Unrepairable(ImageFault::new(
            FaultKind::Unrepairable,
            Region::CoreImage,
            start as u64,
            message,
        ))
    };
    match reed_solomon::recover(&mut region[start..], code, start) {
        RsOutcome::Intact => Protected::As(Codes::Checked),
        RsOutcome::Skipped => Protected::As(Codes::Skipped),
        RsOutcome::Repaired { bytes: n, sectors } => Protected::Repaired {
            bytes,
            repair: CoreRepair {
                bytes: n as u32,
                sectors: sectors.into_iter().map(|s| s as u32).collect(),
            },
        },
        RsOutcome::Unrepairable {
            bad_words,
            repairable_sectors,
        } => fault(format!(
            "{bad_words} of the core's Reed-Solomon codewords are still wrong after GRUB's repair: more sectors are damaged than its {rs} code bytes repair ({repairable_sectors} at most), so GRUB decompresses and runs damaged bytes"
        )),
        RsOutcome::Endless => fault(format!(
            "GRUB's Reed-Solomon repair never ends on these sizes ({rs} code bytes for {} protected bytes): its startup code loops for ever",
            payload_end - start
        )),
    }
}

/// Decodes the payload: the decompressor's size is searched (see `candidates`).
fn decode_payload(core: &[u8], header: &CoreHeader) -> Result<CoreImage, ImageFault> {
    let fault = |kind, off: u64, msg: String| ImageFault::new(kind, Region::CoreImage, off, msg);
    let (compressed, uncompressed) = (header.compressed_size, header.uncompressed_size);
    let mut spent = 0u64;
    let mut first_error = None;
    for d in candidates(core, header).into_iter().take(MAX_ATTEMPTS) {
        if spent >= ATTEMPT_BUDGET {
            break;
        }
        spent += u64::from(uncompressed);
        let start = SECTOR + d as usize;
        let payload = &core[start..start + compressed as usize];
        match decode(payload, uncompressed as usize)
            .map_err(|(at, msg)| fault(FaultKind::Decompress, (start + at) as u64, msg))
            .and_then(|image| {
                module_area::locate_at_end(&image, Word::W32).map_or_else(
                    || {
                        Err(fault(
                            FaultKind::NoModuleArea,
                            start as u64,
                            format!(
                                "the payload at {start:#x} decodes to {uncompressed} bytes without a module area at their end"
                            ),
                        ))
                    },
                    |at| Ok((at, image)),
                )
            }) {
            Ok((at, image)) => {
                let area = module_area::walk(&image[at..], Word::W32);
                return Ok(CoreImage {
                    header: header.clone(),
                    decompressor_size: d,
                    kernel_size: at as u64,
                    kernel_series: KernelSeries::of(&symbols::kernel_names(&image[..at])),
                    area,
                    repair: None,
                    bytes: Vec::new(),
                });
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or_else(|| {
        fault(
            FaultKind::Decompress,
            SECTOR as u64,
            "no LZMA payload start fits the core's length and sizes".into(),
        )
    }))
}

/// Where the payload may start, as sizes of lzma_decompress.img, most likely first.
/// The decompressor's size is a link-time constant GRUB does not record (2848 bytes in
/// Debian 2.06 and 2.12), but the core's own length pins it: a grub-mkimage file is
/// exactly 512 + decompressor + payload; an embedded core is `nsec` sectors of which the
/// last `rs_redundancy` bytes are Reed-Solomon (`util/setup.c`). Sectors read through a
/// blocklist without RS (`--force` onto a file) add up to 511 bytes of padding: then
/// every start in that window whose first byte is 0 (LZMA's range coder always emits
/// 0 first) is tried, 16-byte aligned ones first (the decompressor is padded so).
fn candidates(core: &[u8], h: &CoreHeader) -> Vec<u32> {
    let valid = |d: u32| {
        d > 0x1c
            && d <= MAX_DECOMPRESSOR
            && core.get(SECTOR + d as usize) == Some(&0)
            && SECTOR + d as usize + h.compressed_size as usize <= core.len()
    };
    let after = |len: usize| {
        len.checked_sub(SECTOR + h.compressed_size as usize)
            .and_then(|d| u32::try_from(d).ok())
    };
    let mut out = Vec::new();
    if h.rs_redundancy > 0 {
        out.extend(
            core.len()
                .checked_sub(h.rs_redundancy as usize)
                .and_then(after),
        );
    }
    out.extend(after(core.len()));
    if let Some(hi) = after(core.len()) {
        let lo = hi.saturating_sub(SECTOR as u32 - 1);
        out.extend((lo..=hi).rev().filter(|d| d % 16 == 0));
        out.extend((lo..=hi).rev().filter(|d| d % 16 != 0 && d % 4 == 0));
    }
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|&d| valid(d) && seen.insert(d));
    out
}

/// Decodes GRUB's headerless LZMA1 (dict 64 KiB, lc=3 lp=0 pb=2, no end marker) to
/// exactly `out_len` bytes. Errors carry the payload offset reached.
pub fn decode(payload: &[u8], out_len: usize) -> Result<Vec<u8>, (usize, String)> {
    use liblzma::stream::{Action, Filters, LzmaOptions, Status, Stream};
    let mut opts = LzmaOptions::new();
    opts.dict_size(1 << 16)
        .literal_context_bits(3)
        .literal_position_bits(0)
        .position_bits(2);
    let mut filters = Filters::new();
    filters.lzma1(&opts);
    let mut stream =
        Stream::new_raw_decoder(&filters).map_err(|e| (0, format!("LZMA decoder: {e}")))?;
    let mut out = Vec::with_capacity(out_len);
    loop {
        let used = stream.total_in() as usize;
        let before = (used, out.len());
        let input = payload.get(used..).unwrap_or(&[]);
        let action = if input.is_empty() {
            Action::Finish
        } else {
            Action::Run
        };
        match stream.process_vec(input, &mut out, action) {
            Ok(Status::StreamEnd) => break,
            Ok(_) => {}
            Err(e) => {
                return Err((
                    stream.total_in() as usize,
                    format!(
                        "LZMA payload is corrupt after {} of {out_len} bytes: {e}",
                        out.len()
                    ),
                ));
            }
        }
        if out.len() >= out_len {
            break;
        }
        if (stream.total_in() as usize, out.len()) == before {
            break;
        }
    }
    if out.len() < out_len {
        return Err((
            stream.total_in() as usize,
            format!("LZMA payload ends after {} of {out_len} bytes", out.len()),
        ));
    }
    Ok(out)
}
