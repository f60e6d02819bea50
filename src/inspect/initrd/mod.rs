//! Initrd inspection: the segments of an initramfs (uncompressed cpio archives, then
//! compressed ones), read as the kernel's `unpack_to_rootfs` reads them, in one
//! streaming pass over a `Read + Seek` the caller opened. It owns compression detection
//! (the kernel's two-byte magics), the decoders, the bomb limits and the evidence (module
//! directories, module names, `modules.dep`); it reports the first fault with the
//! offset and the line the kernel will print. It never holds the archive in memory,
//! never opens files, and never panics on hostile bytes.

//!
//! The parts: this file holds what callers see (the report, the limits, `inspect`);
//! `segments` walks the archive segment by segment, `decode` holds the decoders and
//! the limits on their output, `evidence` collects what the checks read from the
//! entries (module directories, module names, `modules.dep`, vermagic).

mod decode;
mod evidence;
mod segments;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read, Seek, SeekFrom};

use serde::{Deserialize, Serialize};

pub(crate) use decode::decoder;
// Callers that name an initrd's compression through this module keep working.
pub use super::compression::{Compression, detect};

/// How far to look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Depth {
    /// Headers, segment boundaries of the uncompressed part, the cpio directory of the
    /// uncompressed archives and the first `Limits::quick_output` bytes of the first
    /// compressed segment.
    Quick,
    /// Every segment decompressed to its end, every archive walked.
    Deep,
}

/// Limits against hostile archives. Defaults: see `Limits::for_input`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Total decompressed bytes over all segments.
    pub max_output: u64,
    /// Total cpio entries.
    pub max_entries: u64,
    /// Decompressed bytes read from the first compressed segment in quick mode.
    pub quick_output: u64,
    /// Largest `modules.dep`/`modules.builtin` body kept; all of them together may
    /// take four times this.
    pub max_capture: usize,
    /// Evidence kept: module names, module directories and microcode names (beyond
    /// these, `InitrdReport::evidence_cut` is set and the walk goes on).
    pub max_evidence: usize,
    /// Memory the xz/lzma decoders may use.
    pub lzma_memlimit: u64,
}

impl Limits {
    /// The default for an input of `len` bytes: 64 times the input, at least 1 GiB and
    /// at most 16 GiB. Real initramfs images expand 2–8 times (zstd -19 of modules ≈ 4,
    /// xz ≈ 5); the kernel must hold the whole expansion in RAM, so output beyond
    /// 64 times the input is a bomb or an image no machine boots. The floor keeps tiny
    /// images full of zeros (sparse firmware blobs) from tripping the limit.
    pub fn for_input(len: u64) -> Limits {
        Limits {
            max_output: len.saturating_mul(64).clamp(1 << 30, 16 << 30),
            max_entries: 2_000_000,
            quick_output: 4 << 20,
            max_capture: 16 << 20,
            max_evidence: 100_000,
            lzma_memlimit: 256 << 20,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentKind {
    /// An uncompressed cpio archive at the top level (early microcode, ACPI tables).
    Cpio,
    Compressed(Compression),
    /// Bytes the kernel cannot place: not padding, not cpio, no known magic.
    Junk,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// Offset of the first byte of the segment in the file.
    pub offset: u64,
    pub kind: SegmentKind,
    /// Bytes of the file the segment occupies, when its end was reached.
    pub stored_size: Option<u64>,
    /// Bytes of cpio data (decompressed, for compressed segments) walked.
    pub cpio_size: u64,
    pub entries: u64,
    /// `TRAILER!!!` entries seen (the kernel does not need one, cpio(1) does).
    pub trailers: u64,
    /// The whole segment was read (false in quick mode, at a limit or a fault).
    pub complete: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// A non-zero byte where a segment must start matches no known magic.
    InvalidMagic,
    /// The compressed data ends before its end marker.
    Truncated,
    /// The decompressor rejects the data.
    Corrupt,
    /// Inside a decompressed stream, bytes that are neither padding nor an archive.
    JunkWithin,
    /// The decompressed stream ends inside a cpio entry.
    JunkAtEnd,
    /// An uncompressed archive ends inside an entry (the kernel unpacks it silently
    /// as far as it goes).
    TruncatedCpio,
    BrokenPadding,
    NoCpioMagic,
    OldCpioFormat,
    BadChecksum,
    /// The kernel was built without the decompressor for this segment (`CONFIG_RD_*`).
    NotConfigured,
    /// No archive at all: an empty or all-zero file (what a crash before the data
    /// reached the disk leaves). The kernel unpacks nothing and says nothing.
    Empty,
}

/// The first fault, where the kernel finds it, and what it will print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitrdError {
    pub kind: ErrorKind,
    /// Offset in the file: the exact byte for faults at the top level and for
    /// truncation (the file's end); for faults inside compressed data, how far the
    /// decompressor had read, within its input buffer.
    pub offset: u64,
    /// Index into `segments` of the segment at fault.
    pub segment: usize,
    /// Offset in the decompressed stream, for faults inside compressed segments.
    pub decompressed_offset: Option<u64>,
    /// What `unpack_to_rootfs` records, printed after `Initramfs unpacking failed: `.
    /// `None` when the kernel says nothing.
    pub kernel_message: Option<String>,
    /// Whether `kernel_message` is the exact text (checked against init/initramfs.c and
    /// lib/decompress_{inflate,unxz,unzstd}.c) or the nearest known one.
    pub kernel_message_exact: bool,
    /// bootvet's own explanation (the decoder's error, the entry name…).
    pub detail: String,
}

impl InitrdError {
    /// The line on the console, as the kernel prints it (without `CONFIG_BLK_DEV_RAM`=y,
    /// which is what distributions ship).
    pub fn kernel_line(&self) -> Option<String> {
        self.kernel_message
            .as_ref()
            .map(|m| format!("Initramfs unpacking failed: {m}"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitKind {
    Output,
    Entries,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitHit {
    pub kind: LimitKind,
    pub limit: u64,
    pub segment: usize,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Everything learnt about one initrd.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitrdReport {
    pub size: u64,
    pub depth: Depth,
    /// Every byte of the file was accounted for.
    pub complete: bool,
    pub segments: Vec<Segment>,
    /// Versions `V` of `lib/modules/V` or `usr/lib/modules/V` directories or files.
    pub module_versions: BTreeSet<String>,
    /// Kernel modules present (`*.ko`, `.ko.xz`, `.ko.zst`, `.ko.gz`): module name
    /// (dashes as underscores, as modprobe compares them) → path in the archive.
    pub modules: BTreeMap<String, String>,
    /// `modules.dep` and `modules.builtin` bodies found, by path (bounded).
    pub module_files: BTreeMap<String, String>,
    /// Early microcode blobs (`kernel/x86/microcode/*`).
    pub microcode: Vec<String>,
    /// Paths of the files that set up a storage layer under root, and of the
    /// generator's own marks (`LAYER_FILES`): `usr/sbin/cryptsetup`,
    /// `cryptroot/crypttab`, `conf/initramfs.conf`…
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub layer_files: BTreeSet<String>,
    /// `vermagic=` of the root-path modules inside (`kconfig::ROOT_PATH`), by
    /// module name: the kernel release and build options each was built for.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub module_vermagic: BTreeMap<String, String>,
    /// Whether each root-path module read whole ends with an appended signature
    /// (`~Module signature appended~`), by module name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub module_signed: BTreeMap<String, bool>,
    pub entries: u64,
    /// RAM the unpacked archive takes in the rootfs (`evidence::ram_cost` of every
    /// entry walked): what the kernel must find free before `/init` runs. A lower
    /// bound when the walk stopped early (quick mode, a fault, a limit). Left out
    /// of the JSON when zero, so documents from before it read back unchanged.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ram_bytes: u64,
    /// More modules, module directories or microcode files than
    /// `Limits::max_evidence` (or captured bodies past their budget): the lists are
    /// partial.
    #[serde(default)]
    pub evidence_cut: bool,
    pub error: Option<InitrdError>,
    /// The whole archive was read (`complete`) and holds no `/init`: the kernel
    /// unpacks it but does not run it; it mounts root= by itself instead
    /// (init/main.c, `kernel_init_freeable`). An early-microcode image loaded
    /// alone is such an initrd. Left out of the JSON when false.
    #[serde(default, skip_serializing_if = "is_false")]
    pub no_init: bool,
    /// What the kernel keeps when `error` lies in a later segment than the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept: Option<KeptBeforeFault>,
    pub limit: Option<LimitHit>,
}

/// The whole segments before a fault, which the kernel has unpacked when it meets
/// it: init/initramfs.c's `unpack_to_rootfs` stops at the first fault and, in
/// Linux 6.1, `do_populate_rootfs` only prints `Initramfs unpacking failed: …`
/// and keeps what was unpacked, so the boot goes on with what they hold (seen in
/// the QEMU boots `deep-junk-after` and `deep-second-segment`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptBeforeFault {
    /// Segments unpacked whole before the faulting one.
    pub segments: usize,
    /// Their cpio entries.
    pub entries: u64,
    /// `/init` is among them: the kernel runs it.
    pub init: bool,
    /// The faulting segment added nothing bootvet reads (modules, module
    /// directories, `modules.dep`, storage-layer files, microcode): what the
    /// checks see of the archive is what the kernel kept.
    pub all_evidence: bool,
}

/// File names (the last path component) recorded in `InitrdReport::layer_files`:
/// the tools that open dm-crypt, LVM and md, their configuration inside an
/// initramfs (initramfs-tools keeps crypttab in `cryptroot/` and its older
/// `conf/conf.d/cryptroot`; dracut in `etc/`), and what tells the generators apart
/// (initramfs-tools' `conf/initramfs.conf`, dracut's and systemd's `initrd-release`),
/// and what imports a ZFS root pool.
pub const LAYER_FILES: &[&str] = &[
    "cryptsetup",
    "systemd-cryptsetup",
    "crypttab",
    "cryptroot",
    "lvm",
    "lvm.conf",
    "mdadm",
    "mdadm.conf",
    "initramfs.conf",
    "initrd-release",
    // A ZFS root (OpenZFS's contrib/initramfs and contrib/dracut/90zfs):
    // `scripts/zfs`, `conf/conf.d/zfs`, `sbin/zfs`; `zpool`; dracut's library.
    "zfs",
    "zpool",
    "dracut-zfs-lib.sh",
];

impl InitrdReport {
    /// The `layer_files` paths whose last component is `name`.
    pub fn layer_file(&self, name: &str) -> Vec<&str> {
        self.layer_files
            .iter()
            .filter(|p| p.rsplit('/').next() == Some(name))
            .map(String::as_str)
            .collect()
    }
    /// Whether a module (by modprobe name; dashes and underscores alike) is inside.
    pub fn has_module(&self, name: &str) -> bool {
        self.modules.contains_key(&name.replace('-', "_"))
    }

    /// Whether the initrd holds `lib/modules/<release>` (or its `usr/` twin).
    pub fn has_modules_for(&self, release: &str) -> bool {
        self.module_versions.contains(release)
    }

    /// The first fault the kernel will hit, given which compressions it can unpack
    /// (`KernelConfig::supports`): a segment it cannot unpack stops it with
    /// "compression method X not configured", unless an earlier fault stopped it first.
    pub fn first_fault_for(&self, supports: impl Fn(Compression) -> bool) -> Option<InitrdError> {
        let unsupported = self
            .segments
            .iter()
            .enumerate()
            .find_map(|(i, s)| match s.kind {
                SegmentKind::Compressed(c) if !supports(c) => Some((i, s.offset, c)),
                _ => None,
            });
        match (unsupported, &self.error) {
            (Some((i, offset, c)), e) if e.as_ref().is_none_or(|e| e.segment >= i) => {
                Some(InitrdError {
                    kind: ErrorKind::NotConfigured,
                    offset,
                    segment: i,
                    decompressed_offset: None,
                    kernel_message: Some(format!(
                        "compression method {} not configured",
                        c.kernel_name()
                    )),
                    kernel_message_exact: true,
                    detail: format!(
                        "segment at offset {offset} is {}-compressed and the kernel lacks {}",
                        c.kernel_name(),
                        c.config_symbol()
                    ),
                })
            }
            (_, e) => e.clone(),
        }
    }

    /// The whole segments before `fault` when they hold `/init`: the kernel runs
    /// it despite the fault.
    pub fn init_kept_before(&self, fault: &InitrdError) -> Option<&KeptBeforeFault> {
        self.kept
            .as_ref()
            .filter(|k| k.segments == fault.segment && k.init)
    }

    /// Compressions used, in order of appearance.
    pub fn compressions(&self) -> Vec<Compression> {
        let mut out = Vec::new();
        for s in &self.segments {
            if let SegmentKind::Compressed(c) = s.kind
                && !out.contains(&c)
            {
                out.push(c);
            }
        }
        out
    }
}

/// Inspects an initrd read from `input` (positioned anywhere; it is rewound). Errors
/// only when the input itself cannot be read; every fault of the archive is in the
/// report.
pub fn inspect<R: Read + Seek>(input: R, depth: Depth) -> io::Result<InitrdReport> {
    let mut input = input;
    let size = input.seek(SeekFrom::End(0))?;
    input.seek(SeekFrom::Start(0))?;
    inspect_with(input, size, depth, &Limits::for_input(size))
}

/// `inspect` with explicit limits and a known size.
pub fn inspect_with<R: Read>(
    input: R,
    size: u64,
    depth: Depth,
    limits: &Limits,
) -> io::Result<InitrdReport> {
    segments::run(input, size, depth, limits, None)
}

/// `inspect_with`, and every entry's path (as cpio(1) and lsinitramfs list them,
/// without `./`), in archive order, `TRAILER!!!` excluded. The list costs memory in
/// proportion to the entries (bounded by `Limits::max_entries`).
pub fn inspect_listing<R: Read>(
    input: R,
    size: u64,
    depth: Depth,
    limits: &Limits,
) -> io::Result<(InitrdReport, Vec<String>)> {
    let mut names = Vec::new();
    let report = segments::run(input, size, depth, limits, Some(&mut names))?;
    Ok((report, names))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_uses_two_bytes_like_the_kernel() {
        assert_eq!(detect(&[0x28, 0xb5, 0x2f, 0xfd]), Some(Compression::Zstd));
        assert_eq!(detect(&[0x02, 0x21, 0x4c, 0x18]), Some(Compression::Lz4));
        assert_eq!(detect(b"BZh9"), Some(Compression::Bzip2));
        assert_eq!(detect(&[0x28]), None);
        assert_eq!(detect(b"JUNK"), None);
    }

    #[test]
    fn empty_and_zeroed_inputs_are_faults() {
        for bytes in [Vec::new(), vec![0u8; 8192]] {
            let r = inspect(io::Cursor::new(&bytes), Depth::Deep).unwrap();
            assert!(r.segments.is_empty());
            let e = r.error.unwrap();
            assert_eq!(e.kind, ErrorKind::Empty);
            assert_eq!(e.kernel_message, None);
        }
    }
}
