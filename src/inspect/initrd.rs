//! Initrd inspection: the segments of an initramfs (uncompressed cpio archives, then
//! compressed ones), read as the kernel's `unpack_to_rootfs` reads them, in one
//! streaming pass over a `Read + Seek` the caller opened. It owns compression detection
//! (the kernel's two-byte magics), the decoders, the bomb limits and the evidence (module
//! directories, module names, `modules.dep`); it reports the first fault with the
//! offset and the line the kernel will print. It never holds the archive in memory,
//! never opens files, and never panics on hostile bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};

use serde::{Deserialize, Serialize};

use super::cpio::{self, Body, Counts, Entry, Fault, Place, Source, Stop, Visitor, WalkError};
use super::modules::{ko_compression, module_name_from_path, vermagic_of};

/// A compression method, as the kernel's `decompress_method` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    Gzip,
    Bzip2,
    Lzma,
    Xz,
    Lzo,
    Lz4,
    Zstd,
}

impl Compression {
    /// The kernel's own name (used in "compression method %s not configured").
    pub fn kernel_name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Bzip2 => "bzip2",
            Compression::Lzma => "lzma",
            Compression::Xz => "xz",
            Compression::Lzo => "lzo",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        }
    }

    /// The kernel option that makes the kernel able to unpack this method.
    pub fn config_symbol(self) -> &'static str {
        match self {
            Compression::Gzip => "CONFIG_RD_GZIP",
            Compression::Bzip2 => "CONFIG_RD_BZIP2",
            Compression::Lzma => "CONFIG_RD_LZMA",
            Compression::Xz => "CONFIG_RD_XZ",
            Compression::Lzo => "CONFIG_RD_LZO",
            Compression::Lz4 => "CONFIG_RD_LZ4",
            Compression::Zstd => "CONFIG_RD_ZSTD",
        }
    }

    pub const ALL: [Compression; 7] = [
        Compression::Gzip,
        Compression::Bzip2,
        Compression::Lzma,
        Compression::Xz,
        Compression::Lzo,
        Compression::Lz4,
        Compression::Zstd,
    ];
}

/// The kernel's `decompress_method`: two bytes decide. `None` for fewer than two bytes
/// or an unknown pair ("invalid magic at start of compressed archive").
pub fn detect(magic: &[u8]) -> Option<Compression> {
    match magic {
        [0x1f, 0x8b, ..] | [0x1f, 0x9e, ..] => Some(Compression::Gzip),
        [b'B', b'Z', ..] => Some(Compression::Bzip2),
        [0x5d, 0x00, ..] => Some(Compression::Lzma),
        [0xfd, 0x37, ..] => Some(Compression::Xz),
        [0x89, 0x4c, ..] => Some(Compression::Lzo),
        [0x02, 0x21, ..] => Some(Compression::Lz4),
        [0x28, 0xb5, ..] => Some(Compression::Zstd),
        _ => None,
    }
}

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
    pub entries: u64,
    /// More modules, module directories or microcode files than
    /// `Limits::max_evidence` (or captured bodies past their budget): the lists are
    /// partial.
    #[serde(default)]
    pub evidence_cut: bool,
    pub error: Option<InitrdError>,
    pub limit: Option<LimitHit>,
}

/// File names (the last path component) recorded in `InitrdReport::layer_files`:
/// the tools that open dm-crypt, LVM and md, their configuration inside an
/// initramfs (initramfs-tools keeps crypttab in `cryptroot/` and its older
/// `conf/conf.d/cryptroot`; dracut in `etc/`), and what tells the generators apart
/// (initramfs-tools' `conf/initramfs.conf`, dracut's and systemd's `initrd-release`).
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

/// Counts the bytes a decoder consumes from the file, and whether it hit the end.
struct Counted<'a, B> {
    inner: &'a mut B,
    consumed: u64,
    saw_eof: bool,
}

impl<B: BufRead> Read for Counted<'_, B> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let buf = self.fill_buf()?;
        let n = buf.len().min(out.len());
        out[..n].copy_from_slice(&buf[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<B: BufRead> BufRead for Counted<'_, B> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let buf = self.inner.fill_buf()?;
        if buf.is_empty() {
            self.saw_eof = true;
        }
        Ok(buf)
    }
    fn consume(&mut self, n: usize) {
        self.inner.consume(n);
        self.consumed += n as u64;
    }
}

/// Caps the bytes a decoder may produce; past the cap it reports end of stream and
/// remembers why.
struct Capped<R> {
    inner: R,
    left: u64,
    hit: bool,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // Probe one byte: a stream that ends exactly at the cap is not a bomb.
            let mut one = [0u8; 1];
            if self.inner.read(&mut one)? > 0 {
                self.hit = true;
            }
            return Ok(0);
        }
        let k = (out.len() as u64).min(self.left) as usize;
        let n = self.inner.read(&mut out[..k])?;
        self.left -= n as u64;
        Ok(n)
    }
}

const IN_BUF: usize = 256 << 10;
const OUT_BUF: usize = 256 << 10;

pub(crate) fn decoder<'a, B: BufRead + 'a>(
    method: Compression,
    input: B,
    limits: &Limits,
) -> io::Result<Box<dyn Read + 'a>> {
    Ok(match method {
        Compression::Gzip => Box::new(super::lz::KernelGzip::new(input)),
        Compression::Zstd => {
            let mut d = zstd::stream::read::Decoder::with_buffer(input)?.single_frame();
            // The kernel refuses windows above 1 << 27 ("too large a window size").
            d.window_log_max(27)?;
            Box::new(d)
        }
        Compression::Xz => {
            let s = liblzma::stream::Stream::new_stream_decoder(limits.lzma_memlimit, 0)
                .map_err(io::Error::other)?;
            Box::new(liblzma::bufread::XzDecoder::new_stream(input, s))
        }
        Compression::Lzma => {
            let s = liblzma::stream::Stream::new_lzma_decoder(limits.lzma_memlimit)
                .map_err(io::Error::other)?;
            Box::new(liblzma::bufread::XzDecoder::new_stream(input, s))
        }
        Compression::Bzip2 => Box::new(bzip2::bufread::BzDecoder::new(input)),
        Compression::Lz4 => Box::new(super::lz::Lz4Legacy::new(input)),
        Compression::Lzo => Box::new(super::lz::Lzop::new(input)),
    })
}

/// What the kernel's decompressor records for a failure, and whether that text was
/// checked against the kernel source.
fn decompressor_message(method: Compression, truncated: bool) -> (&'static str, bool) {
    match (method, truncated) {
        // lib/decompress_inflate.c: the input runs out → nofill() → "read error";
        // a bad stream → "uncompression error".
        (Compression::Gzip, true) => ("read error", true),
        (Compression::Gzip, false) => ("uncompression error", true),
        // lib/decompress_unzstd.c
        (Compression::Zstd, true) => ("ZSTD-compressed data is truncated", true),
        (Compression::Zstd, false) => ("ZSTD-compressed data is corrupt", true),
        // lib/decompress_unxz.c: XZ_DATA_ERROR and XZ_BUF_ERROR (input ran out) alike.
        (Compression::Xz, _) => ("XZ-compressed data is corrupt", true),
        // lib/decompress_unlzo.c: input that runs out is "file corrupted".
        (Compression::Lzo, _) => ("file corrupted", true),
        // lib/decompress_unlz4.c: a cut last chunk leaves `size` negative → "data
        // corrupted" when the block still decodes; it may fail to decode first.
        (Compression::Lz4, _) => ("data corrupted", false),
        // bunzip2 and unlzma print their own text first; "decompressor failed" is what
        // unpack_to_rootfs adds, and what is shown when they do not.
        _ => ("decompressor failed", false),
    }
}

/// Bytes of a root-path module read for its vermagic (compressed or not).
const KO_PREFIX: usize = 4 << 20;

fn is_root_path_module(name: &str) -> bool {
    super::kconfig::ROOT_PATH
        .iter()
        .any(|p| p.modules.contains(&name))
}

struct Collector<'l> {
    limits: &'l Limits,
    names: Option<&'l mut Vec<String>>,
    entries: u64,
    module_versions: BTreeSet<String>,
    modules: BTreeMap<String, String>,
    module_files: BTreeMap<String, String>,
    microcode: Vec<String>,
    layer_files: BTreeSet<String>,
    module_vermagic: BTreeMap<String, String>,
    captured: usize,
    evidence_cut: bool,
    entry_limit_hit: bool,
}

fn normalise(name: &[u8]) -> String {
    let s = String::from_utf8_lossy(name);
    let mut s: &str = &s;
    loop {
        if let Some(r) = s.strip_prefix("./") {
            s = r;
        } else if let Some(r) = s.strip_prefix('/') {
            s = r;
        } else {
            break;
        }
    }
    s.to_string()
}

/// `lib/modules/V/...` or `usr/lib/modules/V/...` → (V, rest).
fn modules_dir(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("usr/").unwrap_or(path);
    let rest = rest.strip_prefix("lib/modules/")?;
    let (ver, tail) = rest.split_once('/').unwrap_or((rest, ""));
    (!ver.is_empty()).then_some((ver, tail))
}

impl Visitor for Collector<'_> {
    fn entry(&mut self, e: &Entry<'_>) -> Option<Body> {
        if self.entries >= self.limits.max_entries {
            self.entry_limit_hit = true;
            return None;
        }
        self.entries += 1;
        if e.name == b"TRAILER!!!" {
            return Some(Body::Skip);
        }
        let path = normalise(e.name);
        if let Some(names) = self.names.as_deref_mut() {
            names.push(if path.is_empty() {
                ".".to_string()
            } else {
                path.clone()
            });
        }
        let mut want = Body::Skip;
        let room = self.modules.len() + self.module_versions.len() + self.microcode.len()
            < self.limits.max_evidence;
        if let Some((ver, tail)) = modules_dir(&path) {
            if room || self.module_versions.contains(ver) {
                self.module_versions.insert(ver.to_string());
            } else {
                self.evidence_cut = true;
            }
            if (tail == "modules.dep" || tail == "modules.builtin") && e.header.is_regular() {
                if self.captured < self.limits.max_capture.saturating_mul(4) {
                    want = Body::Capture(self.limits.max_capture);
                } else {
                    self.evidence_cut = true;
                }
            }
        }
        if let Some(name) = module_name_from_path(&path)
            && (e.header.is_regular() || e.header.mode & cpio::S_IFMT == cpio::S_IFLNK)
        {
            // The root path's own modules: their vermagic says which kernel they
            // load into. `.modinfo` precedes the debug sections, so a prefix does.
            if e.header.is_regular()
                && is_root_path_module(&name)
                && !self.module_vermagic.contains_key(&name)
            {
                want = Body::Capture(KO_PREFIX);
            }
            if room {
                self.modules.entry(name).or_insert(path.clone());
            } else {
                self.evidence_cut = true;
            }
        }
        let base = path.rsplit('/').next().unwrap_or(&path);
        if LAYER_FILES.contains(&base)
            && (e.header.is_regular() || e.header.mode & cpio::S_IFMT == cpio::S_IFLNK)
            && self.layer_files.len() < 256
        {
            self.layer_files.insert(path.clone());
        }
        if path.starts_with("kernel/x86/microcode/") && e.header.is_regular() {
            if room {
                self.microcode.push(path);
            } else {
                self.evidence_cut = true;
            }
        }
        Some(want)
    }

    fn body(&mut self, e: &Entry<'_>, body: &[u8], cut: bool) {
        let path = normalise(e.name);
        if let Some(name) = module_name_from_path(&path) {
            if let Some(v) = vermagic_of(body, ko_compression(&path), KO_PREFIX as u64) {
                self.module_vermagic.insert(name, v);
            }
            return;
        }
        self.captured += body.len();
        self.evidence_cut |= cut;
        self.module_files
            .insert(path, String::from_utf8_lossy(body).into_owned());
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
    run(input, size, depth, limits, None)
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
    let report = run(input, size, depth, limits, Some(&mut names))?;
    Ok((report, names))
}

fn run<R: Read>(
    input: R,
    size: u64,
    depth: Depth,
    limits: &Limits,
    names: Option<&mut Vec<String>>,
) -> io::Result<InitrdReport> {
    let mut top = Source::new(BufReader::with_capacity(IN_BUF, input), 0);
    let mut col = Collector {
        limits,
        names,
        entries: 0,
        module_versions: BTreeSet::new(),
        modules: BTreeMap::new(),
        module_files: BTreeMap::new(),
        microcode: Vec::new(),
        layer_files: BTreeSet::new(),
        module_vermagic: BTreeMap::new(),
        captured: 0,
        evidence_cut: false,
        entry_limit_hit: false,
    };
    let mut segments: Vec<Segment> = Vec::new();
    let mut error: Option<InitrdError> = None;
    let mut limit: Option<LimitHit> = None;
    let mut output_left = limits.max_output;
    let mut complete = false;
    let mut seen_entries = false;
    let mut quick_done = false;

    loop {
        top.skip_zeros()?;
        let Some(first) = top.peek()? else {
            complete = true;
            break;
        };
        let offset = top.pos();
        let cpio_next = first == b'0' && offset & 3 == 0;
        if quick_done && cpio_next {
            // Quick mode decompresses only the first compressed segment; when it has
            // ended it still looks at what follows, since junk costs nothing to see.
            break;
        }
        if cpio_next {
            let mut counts = Counts::default();
            let walked = cpio::walk(&mut top, Place::TopLevel, &mut counts, &mut col);
            seen_entries |= counts.entries > 0;
            let end = top.pos();
            let mut seg = Segment {
                offset,
                kind: SegmentKind::Cpio,
                stored_size: Some(end - offset),
                cpio_size: end - offset,
                entries: counts.entries,
                trailers: counts.trailers,
                complete: true,
            };
            match walked {
                Ok(Stop::End) | Ok(Stop::NotCpio) => segments.push(seg),
                Ok(Stop::Caller) => {
                    seg.complete = false;
                    seg.stored_size = None;
                    segments.push(seg);
                    limit = Some(LimitHit {
                        kind: LimitKind::Entries,
                        limit: limits.max_entries,
                        segment: segments.len() - 1,
                    });
                    break;
                }
                Err(WalkError::Io { error, .. }) => return Err(error),
                Err(WalkError::Cpio { at, fault }) => {
                    seg.complete = false;
                    segments.push(seg);
                    error = Some(cpio_error(
                        at,
                        &fault,
                        Place::TopLevel,
                        segments.len() - 1,
                        None,
                    ));
                    break;
                }
            }
            continue;
        }
        // The kernel reaches here for any non-zero byte that is not an aligned '0'. The
        // two magic bytes may straddle the reader's buffer: take them out, and hand
        // them back to the decoder in front of the rest.
        let mut magic = [0u8; 2];
        let n = top.read_full(&mut magic)?;
        let detected = detect(&magic[..n]);
        if quick_done && detected.is_some() {
            break;
        }
        let Some(method) = detected else {
            segments.push(Segment {
                offset,
                kind: SegmentKind::Junk,
                stored_size: None,
                cpio_size: 0,
                entries: 0,
                trailers: 0,
                complete: false,
            });
            error = Some(InitrdError {
                kind: ErrorKind::InvalidMagic,
                offset,
                segment: segments.len() - 1,
                decompressed_offset: None,
                kernel_message: Some("invalid magic at start of compressed archive".into()),
                kernel_message_exact: true,
                detail: format!(
                    "bytes {} at offset {offset} are neither zero padding, a cpio header nor a known compression magic",
                    hex(&magic[..n])
                ),
            });
            break;
        };
        let seg_index = segments.len();
        segments.push(Segment {
            offset,
            kind: SegmentKind::Compressed(method),
            stored_size: None,
            cpio_size: 0,
            entries: 0,
            trailers: 0,
            complete: false,
        });
        let quick = depth == Depth::Quick;
        // In quick mode the cap is where reading stops by design, not a limit.
        let quick_cut = quick && limits.quick_output < output_left;
        let cap = if quick_cut {
            limits.quick_output
        } else {
            output_left
        };
        let mut chained = io::Cursor::new(&magic[..n]).chain(top.get_mut());
        let mut counted = Counted {
            inner: &mut chained,
            consumed: 0,
            saw_eof: false,
        };
        let mut counts = Counts::default();
        let (walked, produced, capped_hit) = {
            let dec = decoder(method, &mut counted, limits)?;
            let capped = Capped {
                inner: dec,
                left: cap,
                hit: false,
            };
            let mut inner = Source::new(BufReader::with_capacity(OUT_BUF, capped), 0);
            let walked = cpio::walk(
                &mut inner,
                Place::Inner {
                    after_entries: seen_entries,
                },
                &mut counts,
                &mut col,
            );
            let produced = inner.pos();
            let hit = inner.into_inner().into_inner().hit;
            (walked, produced, hit)
        };
        let consumed = counted.consumed;
        let saw_eof = counted.saw_eof;
        // The decoder consumed the magic and then through `top`'s buffer; move its
        // position along.
        top.advance(consumed.saturating_sub(n as u64));
        let top_pos = top.pos();
        seen_entries |= counts.entries > 0;
        output_left = output_left.saturating_sub(produced);
        let seg = &mut segments[seg_index];
        seg.cpio_size = produced;
        seg.entries = counts.entries;
        seg.trailers = counts.trailers;
        if capped_hit && !matches!(walked, Ok(Stop::Caller)) {
            if !quick_cut {
                limit = Some(LimitHit {
                    kind: LimitKind::Output,
                    limit: limits.max_output,
                    segment: seg_index,
                });
            }
            break;
        }
        match walked {
            // A decoder that ends without consuming a byte would loop forever here;
            // no real format does, so it is corrupt data.
            Ok(Stop::End) | Ok(Stop::NotCpio) if consumed == 0 => {
                let (msg, _) = decompressor_message(method, false);
                error = Some(InitrdError {
                    kind: ErrorKind::Corrupt,
                    offset,
                    segment: seg_index,
                    decompressed_offset: Some(produced),
                    kernel_message: Some(msg.into()),
                    kernel_message_exact: false,
                    detail: format!(
                        "{} data at offset {offset} ends before it starts",
                        method.kernel_name()
                    ),
                });
                break;
            }
            Ok(Stop::End) | Ok(Stop::NotCpio) => {
                seg.stored_size = Some(consumed);
                seg.complete = true;
            }
            Ok(Stop::Caller) => {
                limit = Some(LimitHit {
                    kind: LimitKind::Entries,
                    limit: limits.max_entries,
                    segment: seg_index,
                });
                break;
            }
            Err(WalkError::Io { at, error: e })
                if e.get_ref()
                    .is_some_and(|i| i.is::<super::lz::GzipTrailerCut>()) =>
            {
                error = Some(InitrdError {
                    kind: ErrorKind::Truncated,
                    offset: size.max(top_pos),
                    segment: seg_index,
                    decompressed_offset: Some(at),
                    kernel_message: None,
                    kernel_message_exact: false,
                    detail: format!(
                        "the gzip data starting at offset {offset} is whole but its 8-byte trailer is cut at byte {}: the kernel unpacks every file, then its position runs past the end of the initrd, and what it reads there decides what happens",
                        size.max(top_pos)
                    ),
                });
                break;
            }
            Err(WalkError::Io { at, error: e }) => {
                let truncated = saw_eof;
                let (msg, exact) = match e
                    .get_ref()
                    .and_then(|i| i.downcast_ref::<super::lz::KernelSays>())
                {
                    Some(says) => (says.0, true),
                    None => decompressor_message(method, truncated),
                };
                let end = size.max(top_pos);
                error = Some(InitrdError {
                    kind: if truncated {
                        ErrorKind::Truncated
                    } else {
                        ErrorKind::Corrupt
                    },
                    offset: if truncated { end } else { top_pos },
                    segment: seg_index,
                    decompressed_offset: Some(at),
                    kernel_message: Some(msg.into()),
                    kernel_message_exact: exact,
                    detail: if truncated {
                        format!(
                            "{} data starting at offset {offset} ends at byte {end} before its end marker, after {at} decompressed bytes ({e})",
                            method.kernel_name()
                        )
                    } else {
                        format!(
                            "{} data starting at offset {offset} is corrupt: the decoder failed near offset {top_pos}, after {at} decompressed bytes ({e})",
                            method.kernel_name()
                        )
                    },
                });
                break;
            }
            Err(WalkError::Cpio { at, fault }) => {
                error = Some(cpio_error(
                    top_pos,
                    &fault,
                    Place::Inner {
                        after_entries: true,
                    },
                    seg_index,
                    Some(at),
                ));
                break;
            }
        }
        if quick {
            quick_done = true;
        }
    }
    if error.is_none() && limit.is_none() && segments.is_empty() {
        error = Some(InitrdError {
            kind: ErrorKind::Empty,
            offset: 0,
            segment: 0,
            decompressed_offset: None,
            kernel_message: None,
            kernel_message_exact: true,
            detail: if size == 0 {
                "the file is empty".to_string()
            } else {
                format!("all {size} bytes are zero: there is no archive in it")
            },
        });
    }
    if col.entry_limit_hit && limit.is_none() {
        limit = Some(LimitHit {
            kind: LimitKind::Entries,
            limit: limits.max_entries,
            segment: segments.len().saturating_sub(1),
        });
    }
    let complete = complete && error.is_none() && limit.is_none();
    Ok(InitrdReport {
        size,
        depth,
        complete,
        segments,
        module_versions: col.module_versions,
        modules: col.modules,
        module_files: col.module_files,
        microcode: col.microcode,
        layer_files: col.layer_files,
        module_vermagic: col.module_vermagic,
        entries: col.entries,
        evidence_cut: col.evidence_cut,
        error,
        limit,
    })
}

fn cpio_error(
    at: u64,
    fault: &Fault,
    place: Place,
    segment: usize,
    decompressed: Option<u64>,
) -> InitrdError {
    let kind = match fault {
        Fault::NoMagic => ErrorKind::NoCpioMagic,
        Fault::OldFormat => ErrorKind::OldCpioFormat,
        Fault::BrokenPadding => ErrorKind::BrokenPadding,
        Fault::JunkWithin => ErrorKind::JunkWithin,
        Fault::EndInsideEntry { .. } => match place {
            Place::TopLevel => ErrorKind::TruncatedCpio,
            Place::Inner { .. } => ErrorKind::JunkAtEnd,
        },
        Fault::BadChecksum { .. } => ErrorKind::BadChecksum,
    };
    let detail = match fault {
        Fault::NoMagic => "a cpio header was expected (070701 or 070702)".to_string(),
        Fault::OldFormat => {
            "old portable cpio header (070707): the archive was not made with -H newc".to_string()
        }
        Fault::BrokenPadding => {
            "data after zero padding does not start on a 4-byte boundary".to_string()
        }
        Fault::JunkWithin => {
            "bytes after a cpio entry are neither zero padding nor a cpio header".to_string()
        }
        Fault::EndInsideEntry { entry_offset } => match place {
            Place::TopLevel => format!(
                "the uncompressed archive ends inside the entry at offset {entry_offset}; the kernel unpacks it silently as far as it goes"
            ),
            Place::Inner { .. } => format!(
                "the decompressed archive ends inside the entry at decompressed offset {entry_offset}"
            ),
        },
        Fault::BadChecksum { name } => {
            format!("checksum of '{name}' does not match its 070702 header")
        }
    };
    InitrdError {
        kind,
        offset: at,
        segment,
        decompressed_offset: decompressed,
        kernel_message: fault.kernel_message(place).map(str::to_string),
        kernel_message_exact: true,
        detail,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
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
    fn modules_dir_takes_version() {
        assert_eq!(
            modules_dir("usr/lib/modules/6.1.0-56-amd64/kernel/x.ko"),
            Some(("6.1.0-56-amd64", "kernel/x.ko"))
        );
        assert_eq!(modules_dir("lib/modules/6.1.0"), Some(("6.1.0", "")));
        assert_eq!(modules_dir("lib/firmware/x"), None);
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
