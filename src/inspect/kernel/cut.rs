//! Where a kernel file that is shorter than its header declares is cut, judged by
//! what the boot really reads, not by the declared size alone.
//!
//! What the loaders read (GRUB 2.06 as Debian 12 builds it, grub2 2.06-13):
//!
//! - `linux` on i386-pc and on x86_64-efi is the same loader,
//!   grub-core/loader/i386/linux.c `grub_cmd_linux`. It reads
//!   `sizeof (struct linux_i386_kernel_header)` = 0x268 bytes, then the rest of the
//!   setup header up to `0x202 + (signed char) byte 0x201`; a short read of either
//!   is `premature end of file FILE`. It never compares the file with `syssize`: it
//!   seeks to `(setup_sects + 1) × 512` (a file shorter than that fails there with
//!   `attempt to seek outside of the file`, grub-core/kern/file.c `grub_file_seek`)
//!   and reads `grub_file_size (file) - setup` bytes, the file's own size, into the
//!   `init_size` bytes it allocated. A file cut after the setup sectors loads without
//!   a word; the missing bytes are whatever that memory held.
//! - Debian's patch makes x86_64-efi `linux` hand over to `linuxefi`
//!   (grub-core/loader/i386/efi/linux.c, debian/patches/linuxefi.patch) only when
//!   Secure Boot is enabled: it reads the whole file, asks shim to verify its
//!   signature (any cut of a signed kernel fails: `FILE has invalid signature`),
//!   then enters the EFI handover entry. Without Secure Boot the 32-bit entry of
//!   loader/i386/linux.c is used, so the PE section table is never read; no
//!   firmware `LoadImage` is involved (upstream GRUB 2.12's PE path is not 2.06's).
//!
//! How the file is laid out (arch/x86/boot/tools/build.c `main`, header.S,
//! compressed/vmlinux.lds.S): the setup sectors, then the compressed kernel's
//! `vmlinux.bin`: `.head.text` (startup_32), the payload (`.rodata..compressed`,
//! located by `payload_offset`/`payload_length`, protocol 2.08+), then the
//! decompressor's own `.text`, `.rodata` and `.data`. The decompressor runs code
//! after the payload (`extract_kernel`), so the bytes after the payload end are
//! needed too — all but the tail:
//!
//! - Linux 6.7+ and Debian's 6.1.y (which carries the backport; seen in
//!   6.1.176): `.data` ends with `. = ALIGN(. + 4, 0x200)`, `syssize` is
//!   `ZO__edata / 16` and the PE `.data` section's raw data ends exactly at the
//!   declared size. The last 4 bytes are build.c's CRC-32, the up to 511 bytes
//!   before it zero fill.
//! - Older kernels: build.c writes `vmlinux.bin`, zero padding to a 16-byte unit
//!   (rounded to an even `syssize` with the EFI stub), then the CRC: up to 31 bytes
//!   of fill before the 4-byte CRC.
//!
//! Nothing at boot reads the CRC or the fill. A cut inside the payload is met by
//! the decompressor, which reads `z_input_len` bytes whatever memory holds there:
//! arch/x86/boot/compressed/misc.c `extract_kernel` → lib/decompress_unxz.c
//! `unxz` → `error("XZ-compressed data is corrupt")`, and
//! compressed/error.c `error` prints "\n\nMESSAGE\n\n -- System halted" and loops
//! on `hlt` (no reset). `__putstr` writes to the VGA text screen only when the
//! boot loader passed text-mode lines and columns (GRUB on pc does; on efi it
//! passes the EFI framebuffer, so nothing shows) and to a serial port only with
//! `earlyprintk=serial|ttyS0…` or `console=uart8250,io,…`
//! (boot/early_serial_console.c `console_init`; `console=ttyS0` alone is not read).

use std::io::{self, Read, Seek};

use serde::{Deserialize, Serialize};

use super::{PeInfo, SetupHeader, read_at};

/// GRUB 2.06's first read: `sizeof (struct linux_i386_kernel_header)`
/// (include/grub/i386/linux.h, up to `handover_offset` at 0x264).
pub const GRUB_HEADER_READ: u64 = 0x268;
/// build.c's CRC-32 at the very end.
pub const CRC_LEN: u64 = 4;
/// Most zero fill before the CRC when `.data` is aligned to 512 bytes (6.7+ layout).
pub const FILL_MAX_ALIGNED_DATA: u64 = 0x1ff;
/// Most zero padding before the CRC in the older layout (15 to a 16-byte unit, 16
/// more for an even `syssize`).
pub const FILL_MAX_PADDED: u64 = 31;
/// Zero bytes that must precede a cut inside the possible fill for the cut to be
/// taken as fill: a non-zero byte right before it means data reaches the cut.
pub const ZERO_EVIDENCE: u64 = 8;

/// What the missing bytes of a cut bzImage held, as far as the boot is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Cut {
    /// Inside what GRUB reads of the setup header: `premature end of file`.
    SetupHeader,
    /// Inside the setup sectors after the header: GRUB's seek to the
    /// protected-mode code fails (`attempt to seek outside of the file`).
    SetupCode,
    /// Between the setup sectors and the payload: the decompressor's entry code.
    DecompressorHead,
    /// Inside the compressed payload: the decompressor code after it is lost too,
    /// so the machine hangs or resets with nothing printed.
    Payload,
    /// After the payload, before the fill: the decompressor's own code or data.
    Decompressor,
    /// Only the CRC and the zero fill before it: nothing at boot reads them.
    Trailer,
    /// A PE image without a setup header cut inside its sections' raw data.
    PeSections,
    /// Somewhere in the protected-mode code of an image whose header does not
    /// locate its payload (protocol < 2.08, or a zero `payload_length`).
    #[default]
    ProtectedMode,
}

impl Cut {
    /// Whether the boot needs bytes that are missing.
    pub fn breaks_boot(self) -> bool {
        self != Cut::Trailer
    }
}

/// The places in a bzImage file that decide what a cut breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// `(setup_sects + 1) × 512`.
    pub setup_size: u64,
    /// Where GRUB's second setup-header read ends: `0x202 + (signed) byte 0x201`.
    pub header_end: u64,
    /// The payload's start and end in the file, when the header locates it.
    pub payload: Option<(u64, u64)>,
    /// The declared size: `setup + syssize × 16` (or the PE sections' end if larger).
    pub declared: u64,
    /// Most zero fill before the CRC in this layout.
    pub fill_max: u64,
}

/// Classifies a cut at `actual` bytes (`actual < layout.declared`).
/// `zeros_before_cut`: the `ZERO_EVIDENCE` bytes before the cut (or all there are
/// after the payload) are zero.
pub fn classify(layout: &Layout, actual: u64, zeros_before_cut: bool) -> Cut {
    if actual < GRUB_HEADER_READ.max(layout.header_end) {
        return Cut::SetupHeader;
    }
    if actual < layout.setup_size {
        return Cut::SetupCode;
    }
    if let Some((start, end)) = layout.payload {
        if actual < start {
            return Cut::DecompressorHead;
        }
        if actual < end {
            return Cut::Payload;
        }
    }
    let crc_at = layout.declared.saturating_sub(CRC_LEN);
    let after_payload = layout.payload.map_or(layout.setup_size, |(_, end)| end);
    let fill_from = crc_at.saturating_sub(layout.fill_max).max(after_payload);
    if actual >= crc_at || (actual >= fill_from && zeros_before_cut) {
        return Cut::Trailer;
    }
    if layout.payload.is_some() {
        Cut::Decompressor
    } else {
        Cut::ProtectedMode
    }
}

/// Where the parts of a bzImage file begin and end (see cut.rs).
pub(super) fn layout(
    header: &SetupHeader,
    pe: Option<&PeInfo>,
    head: &[u8],
    declared: u64,
) -> Layout {
    // GRUB reads the setup header up to 0x202 plus the jump's signed displacement.
    let jump = head.get(0x201).map_or(0, |&b| i64::from(b as i8));
    let header_end = u64::try_from(0x202 + jump).unwrap_or(0);
    let payload = match (header.payload_start(), header.payload_length) {
        (Some(start), Some(len)) if len > 0 && header.payload_offset != Some(0) => {
            Some((start, start + u64::from(len)))
        }
        _ => None,
    };
    // The 6.7+ layout (and Debian's 6.1.y): a PE `.data` section whose raw data ends
    // at the declared size, 512-byte aligned, with the CRC in its last 4 bytes.
    let aligned_data = pe.and_then(|pe| pe.section(".data")).is_some_and(|s| {
        u64::from(s.raw_offset) + u64::from(s.raw_size) == declared
            && declared.is_multiple_of(0x200)
    });
    Layout {
        setup_size: header.setup_size(),
        header_end,
        payload,
        declared,
        fill_max: if aligned_data {
            FILL_MAX_ALIGNED_DATA
        } else {
            FILL_MAX_PADDED
        },
    }
}

/// Whether the bytes just before a cut at `size` are zero, as the fill before the
/// CRC is; only bytes after the payload count.
pub(super) fn zeros_before<R: Read + Seek>(
    input: &mut R,
    size: u64,
    layout: &Layout,
) -> io::Result<bool> {
    let floor = layout.payload.map_or(layout.setup_size, |(_, end)| end);
    let from = size.saturating_sub(ZERO_EVIDENCE).max(floor);
    if from >= size {
        return Ok(false);
    }
    let len = usize::try_from(size - from).unwrap_or(0);
    Ok(read_at(input, from, len)?.iter().all(|&b| b == 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Debian 12's 6.1.0-57-amd64 vmlinuz, as its header and PE table say.
    const DEBIAN: Layout = Layout {
        setup_size: 20480,
        header_end: 0x202 + 0x6a,
        payload: Some((20480 + 716, 20480 + 716 + 8_122_340)),
        declared: 8_245_760,
        fill_max: FILL_MAX_ALIGNED_DATA,
    };

    #[test]
    fn each_region_of_a_real_layout() {
        let d = DEBIAN.declared;
        let cases = [
            (0x100, true, Cut::SetupHeader),
            (0x267, false, Cut::SetupHeader),
            // Debian's jump byte 0x6a: GRUB reads the header up to 0x26c.
            (0x26b, false, Cut::SetupHeader),
            (0x26c, false, Cut::SetupCode),
            (20479, false, Cut::SetupCode),
            (20480, false, Cut::DecompressorHead),
            (20480 + 716, false, Cut::Payload),
            (8_143_535, false, Cut::Payload),
            (8_143_536, false, Cut::Decompressor),
            (d - 4 - 0x200, true, Cut::Decompressor),
            (d - 4 - 0x1ff, true, Cut::Trailer),
            (d - 40, true, Cut::Trailer),
            (d - 40, false, Cut::Decompressor),
            (d - 4, false, Cut::Trailer),
            (d - 1, false, Cut::Trailer),
        ];
        for (actual, zeros, want) in cases {
            assert_eq!(classify(&DEBIAN, actual, zeros), want, "cut at {actual}");
        }
    }

    #[test]
    fn without_a_located_payload_only_the_tail_is_known() {
        let l = Layout {
            setup_size: 2560,
            header_end: 0x268,
            payload: None,
            declared: 3120,
            fill_max: FILL_MAX_PADDED,
        };
        assert_eq!(classify(&l, 3118, false), Cut::Trailer);
        assert_eq!(classify(&l, 3100, true), Cut::Trailer);
        assert_eq!(classify(&l, 3084, true), Cut::ProtectedMode);
        assert_eq!(classify(&l, 3000, false), Cut::ProtectedMode);
        assert!(!Cut::Trailer.breaks_boot() && Cut::Payload.breaks_boot());
    }

    #[test]
    fn a_payload_running_into_the_tail_keeps_its_bytes() {
        // The fill window never reaches back into the payload.
        let l = Layout {
            payload: Some((20480, 8_245_700)),
            ..DEBIAN
        };
        assert_eq!(classify(&l, 8_245_699, true), Cut::Payload);
        assert_eq!(classify(&l, 8_245_700, true), Cut::Trailer);
    }
}
