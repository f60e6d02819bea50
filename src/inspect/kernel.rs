//! Kernel images: the x86 boot protocol setup header of a bzImage, the PE/EFI stub,
//! the sections of a unified kernel image (`.linux`, `.initrd`, `.uname`, `.cmdline`,
//! `.osrel`), truncation judged by what the boot reads (kernel/cut.rs says what
//! GRUB and the kernel read of a cut file), and the embedded version string. Binary layouts are read with `nom`. It reads the first
//! `HEAD_LEN` bytes plus a few small sections through the caller's `Read + Seek`; it
//! never reads the whole image and never trusts an offset before checking it.

use std::io::{self, Read, Seek, SeekFrom};

pub mod cut;
pub use cut::{Cut, Layout};

use super::initrd::{self, Compression};
use super::kconfig;
use nom::IResult;
use nom::Parser;
use nom::bytes::complete::take;
use nom::number::complete::{le_u8, le_u16, le_u32, le_u64};
use serde::{Deserialize, Serialize};

/// Bytes read from the start of the image: the setup header, the PE headers and the
/// version string all live in the real-mode setup code (≤ 64 sectors).
pub const HEAD_LEN: usize = 64 << 10;

/// The x86 boot protocol setup header (Documentation/arch/x86/boot.rst).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupHeader {
    /// Sectors of real-mode setup code after the boot sector (0 means 4).
    pub setup_sects: u8,
    /// Protected-mode code size in 16-byte paragraphs.
    pub syssize: u32,
    /// Boot protocol version, e.g. 0x020f for 2.15.
    pub protocol: u16,
    pub kernel_version_offset: Option<u32>,
    pub loadflags: u8,
    /// Highest address the initrd may occupy (protocol ≥ 2.03).
    pub initrd_addr_max: Option<u32>,
    pub kernel_alignment: Option<u32>,
    pub relocatable: Option<bool>,
    pub cmdline_size: Option<u32>,
    /// Protocol ≥ 2.12.
    pub xloadflags: Option<u16>,
    /// Offset of the compressed payload from the protected-mode code (≥ 2.08).
    pub payload_offset: Option<u32>,
    pub payload_length: Option<u32>,
    pub pref_address: Option<u64>,
    pub init_size: Option<u32>,
}

pub const LOADED_HIGH: u8 = 0x01;
pub const XLF_KERNEL_64: u16 = 0x01;
pub const XLF_CAN_BE_LOADED_ABOVE_4G: u16 = 0x02;
pub const XLF_EFI_HANDOVER_32: u16 = 0x04;
pub const XLF_EFI_HANDOVER_64: u16 = 0x08;

impl SetupHeader {
    pub fn protocol_string(&self) -> String {
        format!("{}.{:02}", self.protocol >> 8, self.protocol & 0xff)
    }
    /// setup_sects with the "0 means 4" rule applied.
    pub fn effective_setup_sects(&self) -> u64 {
        if self.setup_sects == 0 {
            4
        } else {
            u64::from(self.setup_sects)
        }
    }
    /// Where the protected-mode code starts in the file.
    pub fn setup_size(&self) -> u64 {
        (self.effective_setup_sects() + 1) * 512
    }
    /// The file size the header declares: setup plus syssize paragraphs.
    pub fn declared_size(&self) -> u64 {
        self.setup_size() + u64::from(self.syssize) * 16
    }
    /// Highest byte address the initrd may end at, as a boot loader must honour it:
    /// `initrd_addr_max`, or 0x37ffffff for protocols before 2.03 (boot.rst). Loaders
    /// that honour XLF_CAN_BE_LOADED_ABOVE_4G may go above it on 64-bit entries.
    pub fn effective_initrd_addr_max(&self) -> u64 {
        match self.initrd_addr_max {
            Some(m) if self.protocol >= 0x0203 => u64::from(m),
            _ => 0x37ff_ffff,
        }
    }

    pub fn can_load_above_4g(&self) -> bool {
        self.xloadflags.unwrap_or(0) & XLF_CAN_BE_LOADED_ABOVE_4G != 0
    }

    /// Where the compressed payload starts in the file, if the header locates it.
    pub fn payload_start(&self) -> Option<u64> {
        self.payload_offset
            .map(|o| self.setup_size() + u64::from(o))
    }
}

/// One PE section header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeSection {
    pub name: String,
    pub virtual_size: u32,
    pub raw_size: u32,
    pub raw_offset: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeInfo {
    pub pe_offset: u32,
    pub machine: u16,
    /// The optional header's Subsystem (10 EFI application, 11/12 EFI drivers),
    /// when the header is long enough to hold it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subsystem: Option<u16>,
    pub sections: Vec<PeSection>,
}

impl PeInfo {
    pub fn section(&self, name: &str) -> Option<&PeSection> {
        self.sections.iter().find(|s| s.name == name)
    }
    /// The end of the last section's raw data: a file shorter than that is cut.
    pub fn declared_size(&self) -> u64 {
        self.sections
            .iter()
            .map(|s| u64::from(s.raw_offset) + u64::from(s.raw_size))
            .max()
            .unwrap_or(0)
    }
    pub fn machine_name(&self) -> &'static str {
        match self.machine {
            0x8664 => "x86_64",
            0x014c => "i386",
            0xaa64 => "aarch64",
            0x5064 => "riscv64",
            0x6264 => "loongarch64",
            _ => "unknown",
        }
    }
}

/// Unified kernel image (systemd-stub + sections).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UkiInfo {
    pub pe: PeInfo,
    pub uname: Option<String>,
    pub cmdline: Option<String>,
    pub osrel: Option<String>,
    pub has_initrd: bool,
    /// The bzImage inside `.linux`, when it has one.
    pub linux: Option<SetupHeader>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Format {
    /// x86 bzImage; `efi_stub` when it is also a PE image (CONFIG_EFI_STUB).
    BzImage {
        header: SetupHeader,
        efi_stub: Option<PeInfo>,
    },
    /// A PE image that is not a bzImage (arm64/riscv EFI stub, EFI zboot).
    PeStub {
        pe: PeInfo,
    },
    Uki(Box<UkiInfo>),
    Unknown,
}

/// A file shorter than its headers declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Truncation {
    pub declared: u64,
    pub actual: u64,
    /// What the missing bytes held (older captured facts lack it).
    #[serde(default)]
    pub cut: Cut,
}

/// Which GRUB loaders can start the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootableBy {
    /// `linux` on i386-pc (and `linux16`): a bzImage with protocol ≥ 2.03 loaded high.
    pub pc_linux: bool,
    /// `linux`/`linuxefi` on x86_64-efi: the EFI handover protocol or a PE entry point.
    pub efi_linux: bool,
    pub efi_handover: bool,
    pub pe_entry: bool,
}

/// The verdict on a kernel image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelImage {
    pub size: u64,
    pub format: Format,
    /// The whole version string (`6.1.0-56-amd64 (debian-kernel@…) #1 SMP …`).
    pub version_string: Option<String>,
    /// The release (`6.1.0-56-amd64`): what `uname -r` prints and `/lib/modules` uses.
    pub release: Option<String>,
    /// Cut short where the boot needs the bytes.
    pub truncated: Option<Truncation>,
    /// Cut short only in the tail nothing reads (the CRC, the zero fill before it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tail_cut: Option<Truncation>,
    pub bootable_by: BootableBy,
    /// Magic of the compressed payload (`xz`, `zstd`, `gzip`…), when located.
    pub payload_compression: Option<String>,
}

fn setup_header(head: &[u8]) -> Option<SetupHeader> {
    fn fields(i: &[u8]) -> IResult<&[u8], SetupHeader> {
        let (i, _) = take(0x1f1usize)(i)?;
        let (i, setup_sects) = le_u8(i)?; // 0x1f1
        let (i, _root_flags) = le_u16(i)?; // 0x1f2
        let (i, syssize) = le_u32(i)?; // 0x1f4
        let (i, _) = take(6usize)(i)?; // ram_size, vid_mode, root_dev
        let (i, boot_flag) = le_u16(i)?; // 0x1fe
        let (i, _jump) = le_u16(i)?; // 0x200
        let (i, magic) = take(4usize)(i)?; // 0x202
        if boot_flag != 0xaa55 || magic != b"HdrS" {
            return Err(nom::Err::Error(nom::error::Error::new(
                i,
                nom::error::ErrorKind::Tag,
            )));
        }
        let (i, protocol) = le_u16(i)?; // 0x206
        let (i, _realmode_swtch) = le_u32(i)?; // 0x208
        let (i, _start_sys_seg) = le_u16(i)?; // 0x20c
        let (i, kernel_version) = le_u16(i)?; // 0x20e
        let (i, _type_of_loader) = le_u8(i)?; // 0x210
        let (i, loadflags) = le_u8(i)?; // 0x211
        let (i, _) = take(0x22cusize - 0x212)(i)?;
        let (i, initrd_addr_max) = le_u32(i)?; // 0x22c
        let (i, kernel_alignment) = le_u32(i)?; // 0x230
        let (i, relocatable) = le_u8(i)?; // 0x234
        let (i, _min_alignment) = le_u8(i)?; // 0x235
        let (i, xloadflags) = le_u16(i)?; // 0x236
        let (i, cmdline_size) = le_u32(i)?; // 0x238
        let (i, _) = take(0x248usize - 0x23c)(i)?;
        let (i, payload_offset) = le_u32(i)?; // 0x248
        let (i, payload_length) = le_u32(i)?; // 0x24c
        let (i, _setup_data) = le_u64(i)?; // 0x250
        let (i, pref_address) = le_u64(i)?; // 0x258
        let (i, init_size) = le_u32(i)?; // 0x260
        let at = |v: u16| protocol >= v;
        Ok((
            i,
            SetupHeader {
                setup_sects,
                syssize,
                protocol,
                kernel_version_offset: (at(0x0200) && kernel_version != 0)
                    .then_some(u32::from(kernel_version) + 0x200),
                loadflags,
                initrd_addr_max: at(0x0203).then_some(initrd_addr_max),
                kernel_alignment: at(0x0205).then_some(kernel_alignment),
                relocatable: at(0x0205).then_some(relocatable != 0),
                cmdline_size: at(0x0206).then_some(cmdline_size),
                xloadflags: at(0x020c).then_some(xloadflags),
                payload_offset: at(0x0208).then_some(payload_offset),
                payload_length: at(0x0208).then_some(payload_length),
                pref_address: at(0x020a).then_some(pref_address),
                init_size: at(0x020a).then_some(init_size),
            },
        ))
    }
    fields(head).ok().map(|(_, h)| h)
}

fn pe_info(head: &[u8]) -> Option<PeInfo> {
    if !head.starts_with(b"MZ") {
        return None;
    }
    let lfanew = head.get(0x3c..0x40)?;
    let pe_offset = u32::from_le_bytes(lfanew.try_into().ok()?);
    let rest = head.get(pe_offset as usize..)?;
    let coff = |i| -> IResult<&[u8], (u16, u16, u16)> {
        let (i, _) = nom::bytes::complete::tag(&b"PE\0\0"[..]).parse(i)?;
        let (i, machine) = le_u16(i)?;
        let (i, nsections) = le_u16(i)?;
        let (i, _) = take(12usize)(i)?; // timestamp, symbol table, symbol count
        let (i, opt_size) = le_u16(i)?;
        let (i, _characteristics) = le_u16(i)?;
        Ok((i, (machine, nsections, opt_size)))
    };
    let (i, (machine, nsections, opt_size)) = coff(rest).ok()?;
    // At the same offset in PE32 and PE32+ optional headers.
    let subsystem = (opt_size >= 70)
        .then(|| i.get(68..70))
        .flatten()
        .map(|b| u16::from_le_bytes([b[0], b[1]]));
    let (mut i, _) = take::<usize, &[u8], nom::error::Error<&[u8]>>(opt_size as usize)(i).ok()?;
    let mut sections = Vec::new();
    for _ in 0..nsections.min(96) {
        let sec = |i| -> IResult<&[u8], PeSection> {
            let (i, name) = take(8usize)(i)?;
            let (i, virtual_size) = le_u32(i)?;
            let (i, _vaddr) = le_u32(i)?;
            let (i, raw_size) = le_u32(i)?;
            let (i, raw_offset) = le_u32(i)?;
            let (i, _) = take(16usize)(i)?;
            let end = name.iter().position(|&b| b == 0).unwrap_or(8);
            let name = String::from_utf8_lossy(&name[..end]).into_owned();
            Ok((
                i,
                PeSection {
                    name,
                    virtual_size,
                    raw_size,
                    raw_offset,
                },
            ))
        };
        let Ok((next, s)) = sec(i) else { break };
        sections.push(s);
        i = next;
    }
    Some(PeInfo {
        pe_offset,
        machine,
        subsystem,
        sections,
    })
}

fn c_string(bytes: &[u8], max: usize) -> String {
    let bytes = &bytes[..bytes.len().min(max)];
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end])
        .trim_end()
        .to_string()
}

/// What GRUB's `chainloader` meets in a file: on efi the firmware's LoadImage
/// wants a PE image for its machine with an EFI subsystem; on pc GRUB wants a
/// 512-byte boot sector ending in 0x55 0xAA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainImage {
    pub size: u64,
    pub pe: Option<PeInfo>,
    /// Bytes 510–511 are 0x55 0xAA.
    pub boot_signature: bool,
}

pub const EFI_APPLICATION: u16 = 10;
/// EFI application, boot service driver, runtime driver: what LoadImage accepts.
pub const EFI_SUBSYSTEMS: [u16; 3] = [10, 11, 12];

/// Reads the head of a file a `chainloader` command loads.
pub fn inspect_chainload<R: Read + Seek>(mut input: R) -> io::Result<ChainImage> {
    let size = input.seek(SeekFrom::End(0))?;
    let head = read_at(&mut input, 0, 4096)?;
    Ok(ChainImage {
        size,
        pe: pe_info(&head),
        boot_signature: head.get(510..512) == Some(&[0x55, 0xaa][..]),
    })
}

/// The release a kernel or initrd file name claims: `vmlinuz-6.1.0-56-amd64`,
/// `initrd.img-6.1.0-56-amd64`, `initramfs-6.8.9-300.fc40.x86_64.img` → the version.
/// dracut's rescue pair (`vmlinuz-0-rescue-MACHINE_ID`) names no release: it is a
/// copy of whichever kernel was installed first.
pub fn release_from_file_name(name: &str) -> Option<&str> {
    let base = name.rsplit('/').next().unwrap_or(name);
    let rest = [
        "vmlinuz-",
        "vmlinux-",
        "bzImage-",
        "kernel-",
        "initrd.img-",
        "initramfs-",
        "initrd-",
    ]
    .iter()
    .find_map(|p| base.strip_prefix(p))?;
    let rest = rest.strip_suffix(".img").unwrap_or(rest);
    (!rest.is_empty() && !rest.starts_with("0-rescue-")).then_some(rest)
}

/// The release in a version string: its first word.
pub fn release_of(version_string: &str) -> Option<String> {
    version_string.split_whitespace().next().map(str::to_string)
}

fn payload_magic(bytes: &[u8]) -> Option<&'static str> {
    Some(match bytes {
        [0x1f, 0x8b, ..] => "gzip",
        [0xfd, b'7', b'z', b'X', b'Z', 0, ..] => "xz",
        [0x28, 0xb5, 0x2f, 0xfd, ..] => "zstd",
        [0x5d, 0, 0, ..] => "lzma",
        [b'B', b'Z', b'h', ..] => "bzip2",
        [0x02, 0x21, 0x4c, 0x18, ..] => "lz4",
        [0x89, b'L', b'Z', b'O', ..] => "lzo",
        [0x7f, b'E', b'L', b'F', ..] => "none (ELF)",
        _ => return None,
    })
}

fn read_at<R: Read + Seek>(r: &mut R, offset: u64, len: usize) -> io::Result<Vec<u8>> {
    r.seek(SeekFrom::Start(offset))?;
    let mut buf = Vec::with_capacity(len.min(1 << 20));
    r.take(len as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Inspects a kernel image. Reads the head, the payload's first bytes and, for a UKI,
/// the small text sections; `Err` only when the stream cannot be read.
pub fn inspect<R: Read + Seek>(mut input: R) -> io::Result<KernelImage> {
    let size = input.seek(SeekFrom::End(0))?;
    let mut head = read_at(&mut input, 0, HEAD_LEN)?;
    let pe = pe_info(&head);
    // A file cut inside the setup header is still a kernel, and a truncated one: read
    // the missing header bytes as zeros so the declared size can be compared.
    if head.len() < 0x268 && head.len() > 0x206 {
        head.resize(0x268, 0);
    }
    if let Some(header) = setup_header(&head) {
        let version_string = header
            .kernel_version_offset
            .and_then(|o| head.get(o as usize..))
            .map(|b| c_string(b, 512))
            .filter(|s| !s.is_empty());
        let payload_compression = match header.payload_start() {
            Some(at) => payload_magic(&read_at(&mut input, at, 8)?).map(str::to_string),
            None => None,
        };
        let declared = header
            .declared_size()
            .max(pe.as_ref().map(PeInfo::declared_size).unwrap_or(0));
        let cut = if size < declared {
            let layout = cut::layout(&header, pe.as_ref(), &head, declared);
            let zeros = cut::zeros_before(&mut input, size, &layout)?;
            let cut = cut::classify(&layout, size, zeros);
            Some(Truncation {
                declared,
                actual: size,
                cut,
            })
        } else {
            None
        };
        let xl = header.xloadflags.unwrap_or(0);
        let efi_handover = xl & (XLF_EFI_HANDOVER_64 | XLF_EFI_HANDOVER_32) != 0;
        let pe_entry = pe.is_some();
        let release = version_string.as_deref().and_then(release_of);
        return Ok(KernelImage {
            size,
            bootable_by: BootableBy {
                pc_linux: header.protocol >= 0x0203 && header.loadflags & LOADED_HIGH != 0,
                efi_linux: efi_handover || pe_entry,
                efi_handover,
                pe_entry,
            },
            format: Format::BzImage {
                header,
                efi_stub: pe,
            },
            version_string,
            release,
            truncated: cut.filter(|t| t.cut.breaks_boot()),
            tail_cut: cut.filter(|t| !t.cut.breaks_boot()),
            payload_compression,
        });
    }
    let Some(pe) = pe else {
        return Ok(KernelImage {
            size,
            format: Format::Unknown,
            version_string: None,
            release: None,
            truncated: None,
            tail_cut: None,
            bootable_by: BootableBy {
                pc_linux: false,
                efi_linux: false,
                efi_handover: false,
                pe_entry: false,
            },
            payload_compression: None,
        });
    };
    let declared = pe.declared_size();
    let truncated = (size < declared).then_some(Truncation {
        declared,
        actual: size,
        cut: Cut::PeSections,
    });
    if let Some(linux) = pe.section(".linux").cloned() {
        let mut text = |name: &str, max: usize| -> io::Result<Option<String>> {
            match pe.section(name) {
                Some(s) => {
                    let len = (s.virtual_size.min(s.raw_size) as usize).min(max);
                    let b = read_at(&mut input, u64::from(s.raw_offset), len)?;
                    Ok(Some(c_string(&b, max)))
                }
                None => Ok(None),
            }
        };
        let uname = text(".uname", 256)?;
        let cmdline = text(".cmdline", 4096)?;
        let osrel = text(".osrel", 4096)?;
        let inner_head = read_at(
            &mut input,
            u64::from(linux.raw_offset),
            HEAD_LEN.min(linux.raw_size as usize),
        )?;
        let inner = setup_header(&inner_head);
        let version_string = inner
            .as_ref()
            .and_then(|h| h.kernel_version_offset)
            .and_then(|o| inner_head.get(o as usize..))
            .map(|b| c_string(b, 512))
            .filter(|s| !s.is_empty());
        let release = uname
            .clone()
            .or_else(|| version_string.as_deref().and_then(release_of));
        let has_initrd = pe.section(".initrd").is_some();
        return Ok(KernelImage {
            size,
            format: Format::Uki(Box::new(UkiInfo {
                pe,
                uname,
                cmdline,
                osrel,
                has_initrd,
                linux: inner,
            })),
            version_string,
            release,
            truncated,
            tail_cut: None,
            bootable_by: BootableBy {
                pc_linux: false,
                efi_linux: true,
                efi_handover: false,
                pe_entry: true,
            },
            payload_compression: None,
        });
    }
    Ok(KernelImage {
        size,
        format: Format::PeStub { pe },
        version_string: None,
        release: None,
        truncated,
        tail_cut: None,
        bootable_by: BootableBy {
            pc_linux: false,
            efi_linux: true,
            efi_handover: false,
            pe_entry: true,
        },
        payload_compression: None,
    })
}

/// Whether the first bytes look like a kernel image (bzImage or PE).
pub fn looks_like(head: &[u8]) -> bool {
    setup_header(head).is_some() || pe_info(head).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn synthetic(protocol: u16, setup_sects: u8, syssize: u32) -> Vec<u8> {
        let mut b = vec![0u8; 0x1000];
        b[0x1f1] = setup_sects;
        b[0x1f4..0x1f8].copy_from_slice(&syssize.to_le_bytes());
        b[0x1fe..0x200].copy_from_slice(&0xaa55u16.to_le_bytes());
        b[0x202..0x206].copy_from_slice(b"HdrS");
        b[0x206..0x208].copy_from_slice(&protocol.to_le_bytes());
        b[0x20e..0x210].copy_from_slice(&0x100u16.to_le_bytes());
        b[0x211] = LOADED_HIGH;
        b[0x300..0x300 + 22].copy_from_slice(b"6.9.0-test (x@y) #1 S\0");
        b
    }

    #[test]
    fn zero_setup_sects_means_four() {
        let k = inspect(Cursor::new(synthetic(0x020f, 0, 0))).unwrap();
        let Format::BzImage { header, .. } = &k.format else {
            panic!("{k:?}")
        };
        assert_eq!(header.setup_size(), 5 * 512);
        assert_eq!(k.release.as_deref(), Some("6.9.0-test"));
        assert!(k.truncated.is_none());
    }

    #[test]
    fn shorter_than_declared_is_truncated() {
        let k = inspect(Cursor::new(synthetic(0x020f, 3, 0x1000))).unwrap();
        assert_eq!(
            k.truncated,
            Some(Truncation {
                declared: 4 * 512 + 0x10000,
                actual: 0x1000,
                cut: Cut::ProtectedMode,
            })
        );
        assert_eq!(k.tail_cut, None);
    }

    #[test]
    fn missing_crc_is_a_tail_cut_not_a_truncation() {
        // The case of issue 22: the file is 2 bytes shorter than syssize × 16, and
        // GRUB loads it from its own size.
        let mut b = synthetic(0x020f, 3, 0x100);
        b.resize(4 * 512 + 0x1000 - 2, 0);
        let k = inspect(Cursor::new(b)).unwrap();
        assert_eq!(k.truncated, None);
        assert_eq!(
            k.tail_cut,
            Some(Truncation {
                declared: 4 * 512 + 0x1000,
                actual: 4 * 512 + 0x1000 - 2,
                cut: Cut::Trailer,
            })
        );
    }

    #[test]
    fn cut_inside_the_setup_header_is_truncated() {
        let k = inspect(Cursor::new(synthetic(0x020f, 3, 0x1000)[..0x230].to_vec())).unwrap();
        assert_eq!(
            k.truncated,
            Some(Truncation {
                declared: 4 * 512 + 0x10000,
                actual: 0x230,
                cut: Cut::SetupHeader,
            })
        );
    }

    #[test]
    fn release_from_names() {
        assert_eq!(
            release_from_file_name("/boot/vmlinuz-6.1.0-56-amd64"),
            Some("6.1.0-56-amd64")
        );
        assert_eq!(
            release_from_file_name("initrd.img-6.1.0-56-amd64"),
            Some("6.1.0-56-amd64")
        );
        assert_eq!(
            release_from_file_name("initramfs-6.8.9-300.fc40.x86_64.img"),
            Some("6.8.9-300.fc40.x86_64")
        );
        assert_eq!(release_from_file_name("vmlinuz"), None);
        assert_eq!(
            release_from_file_name("/vmlinuz-0-rescue-c1a2b3d4e5f60718293a4b5c6d7e8f90"),
            None
        );
    }

    #[test]
    fn garbage_and_tiny_inputs_are_unknown() {
        for bytes in [
            vec![],
            b"MZ".to_vec(),
            vec![0xff; 100],
            b"MZ\0\0".repeat(100),
        ] {
            let k = inspect(Cursor::new(bytes)).unwrap();
            assert_eq!(k.format, Format::Unknown);
        }
    }
}

/// Most bytes of a bzImage payload decompressed while looking for IKCONFIG (a
/// distribution vmlinux is 30–70 MiB).
pub const IKCONFIG_MAX_OUTPUT: u64 = 128 << 20;

/// The `.config` a bzImage embeds with `CONFIG_IKCONFIG`, found inside its
/// compressed payload (located by the setup header's `payload_offset` and
/// `payload_length`, boot protocol ≥ 2.08): the payload is decompressed as a
/// stream, at most `max_output` bytes, and only the bytes between `IKCFG_ST` and
/// `IKCFG_ED` (at most 1 MiB) are kept. `Ok(None)`: no header, no payload, an
/// unknown compression; `Err` only when the input cannot be read.
pub fn embedded_config<R: Read + Seek>(
    mut input: R,
    max_output: u64,
) -> io::Result<Option<PayloadScan>> {
    let mut head = read_at(&mut input, 0, HEAD_LEN)?;
    if head.len() < 0x268 {
        head.resize(0x268, 0);
    }
    let Some(header) = setup_header(&head) else {
        return Ok(None);
    };
    let (Some(start), Some(length)) = (header.payload_start(), header.payload_length) else {
        return Ok(None);
    };
    let magic = read_at(&mut input, start, 2)?;
    let Some(method) = initrd::detect(&magic) else {
        return Ok(None);
    };
    input.seek(SeekFrom::Start(start))?;
    let payload = io::BufReader::with_capacity(256 << 10, input.take(u64::from(length)));
    let limits = initrd::Limits::for_input(u64::from(length));
    let mut dec = initrd::decoder(method, payload, &limits)?.take(max_output);
    const START: &[u8] = b"IKCFG_ST";
    const END: &[u8] = b"IKCFG_ED";
    let mut buf = vec![0u8; 256 << 10];
    // The last bytes of the previous chunk, so a marker split across reads is seen.
    let mut carry: Vec<u8> = Vec::new();
    let mut block: Option<Vec<u8>> = None;
    let mut output = 0u64;
    let mut ended = false;
    loop {
        let n = match dec.read(&mut buf) {
            Ok(0) => {
                ended = output < max_output;
                break;
            }
            Ok(n) => n,
            // A damaged payload is the kernel's problem (BV4003/BV4004), not this one's.
            Err(_) => break,
        };
        output += n as u64;
        let chunk = &buf[..n];
        match &mut block {
            None => {
                carry.extend_from_slice(chunk);
                if let Some(at) = carry.windows(START.len()).position(|w| w == START) {
                    block = Some(carry[at..].to_vec());
                } else {
                    let keep = carry.len().saturating_sub(START.len() - 1);
                    carry.drain(..keep);
                }
            }
            Some(b) => b.extend_from_slice(chunk),
        }
        if let Some(b) = &block
            && (b[START.len()..].windows(END.len()).any(|w| w == END) || b.len() > 1 << 20)
        {
            break;
        }
    }
    Ok(Some(PayloadScan {
        method,
        output,
        ended,
        config: block.and_then(|b| kconfig::extract_ikconfig(&b)),
    }))
}

/// What `embedded_config` saw of a bzImage's payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadScan {
    pub method: Compression,
    /// Bytes decompressed before the search stopped.
    pub output: u64,
    /// The payload was decompressed to its end (no bound, no fault, no early stop).
    pub ended: bool,
    /// The `.config` text, when an IKCONFIG block was found.
    pub config: Option<String>,
}
