//! `bootvet inspect FILE…`: says what each file is — kernel image, initrd, kernel config,
//! kernel module, modules.dep/modules.builtin — and what is wrong inside it, using the
//! `inspect` layer. Opens each file read-only; the findings proper come with `check`.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use colored::Colorize;
use serde::Serialize;

use super::FilesDocument;
use crate::exit;
use crate::inspect::initrd::{self, Depth, InitrdReport, Segment, SegmentKind};
use crate::inspect::kconfig::KernelConfig;
use crate::inspect::kernel::{self, Format, KernelImage};
use crate::inspect::modules::{self, KoInfo, ModulesDep};
use crate::units::human_size;

/// Version of the `inspect --json` document; bumped on any incompatible change.
pub const INSPECT_JSON_SCHEMA: &str = "bootvet.inspect/1";

/// Largest text file (config, modules.dep) read whole, and largest module.
const MAX_TEXT: u64 = 64 << 20;
const MAX_KO: u64 = 256 << 20;

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Kernel images, initrds, kernel configs, modules (.ko, .ko.xz, .ko.zst, .ko.gz),
    /// modules.dep or modules.builtin files.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,

    /// Decompress every initrd segment to its end (default: headers, the uncompressed
    /// archives and the start of the first compressed segment).
    #[arg(long)]
    pub deep: bool,

    /// Print one JSON document (schema bootvet.inspect/1).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum What {
    Kernel(KernelImage),
    Initrd(InitrdReport),
    Config {
        compressions: Vec<String>,
        initrd_supported: bool,
        symbols: usize,
        version: Option<String>,
    },
    Module(KoInfo),
    ModulesDep {
        modules: usize,
    },
    ModulesBuiltin {
        modules: usize,
    },
    Unknown {
        reason: String,
    },
}

impl What {
    fn has_problem(&self) -> bool {
        match self {
            What::Kernel(k) => k.truncated.is_some() || k.format == Format::Unknown,
            What::Initrd(r) => r.error.is_some() || r.limit.is_some(),
            What::Unknown { .. } => true,
            _ => false,
        }
    }
}

#[derive(Serialize)]
struct JsonFile<'a> {
    path: String,
    #[serde(flatten)]
    what: &'a What,
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Reads and classifies one file.
pub fn inspect_file(path: &Path, depth: Depth) -> std::io::Result<What> {
    let mut file = File::open(path)?;
    let mut head = Vec::new();
    (&mut file)
        .take(kernel::HEAD_LEN as u64)
        .read_to_end(&mut head)?;
    file.seek(SeekFrom::Start(0))?;
    let name = name_of(path);
    if let Some(method) = modules::ko_compression(&name) {
        return Ok(match modules::decompress_ko(file, method, MAX_KO) {
            Ok(bytes) => match modules::inspect_ko(&bytes) {
                Ok(info) => What::Module(info),
                Err(reason) => What::Unknown { reason },
            },
            Err(e)
                if e.kind() == std::io::ErrorKind::InvalidData
                    || e.kind() == std::io::ErrorKind::UnexpectedEof =>
            {
                What::Unknown {
                    reason: format!("{} module does not decompress: {e}", method.kernel_name()),
                }
            }
            Err(e) => return Err(e),
        });
    }
    if head.starts_with(b"\x7fELF") {
        let mut bytes = Vec::new();
        file.take(MAX_KO).read_to_end(&mut bytes)?;
        return Ok(match modules::inspect_ko(&bytes) {
            Ok(info) => What::Module(info),
            Err(reason) => What::Unknown { reason },
        });
    }
    if kernel::looks_like(&head) {
        return Ok(What::Kernel(kernel::inspect(file)?));
    }
    if head.starts_with(b"0707") || head.first() == Some(&0) || initrd::detect(&head).is_some() {
        // An initrd is the one file read to its end (gigabytes, with --deep).
        let size = file.metadata().map_or(0, |m| m.len());
        crate::probe::progress::begin_step("reading", size);
        let counted = crate::probe::progress::Counted::new(file, &path.display().to_string());
        let report = initrd::inspect(counted, depth);
        crate::probe::progress::finish();
        return Ok(What::Initrd(report?));
    }
    let mut text = Vec::new();
    file.take(MAX_TEXT).read_to_end(&mut text)?;
    let text = String::from_utf8_lossy(&text);
    if name == "modules.dep" {
        return Ok(What::ModulesDep {
            modules: ModulesDep::parse(&text).modules.len(),
        });
    }
    if name == "modules.builtin" {
        return Ok(What::ModulesBuiltin {
            modules: modules::parse_builtin(&text).len(),
        });
    }
    if KernelConfig::looks_like(&text) {
        let c = KernelConfig::parse(&text);
        return Ok(What::Config {
            compressions: c
                .initrd_compressions()
                .iter()
                .map(|c| c.kernel_name().to_string())
                .collect(),
            initrd_supported: c.initrd_supported(),
            symbols: c.symbols.len(),
            version: KernelConfig::version_comment(&text),
        });
    }
    Ok(What::Unknown {
        reason: "not a kernel, initrd, kernel config or module".into(),
    })
}

pub fn run(args: &InspectArgs) -> u8 {
    let depth = if args.deep { Depth::Deep } else { Depth::Quick };
    let mut results = Vec::new();
    let progress = super::progress::ProgressLine::start(false);
    for path in &args.files {
        match inspect_file(path, depth) {
            Ok(what) => results.push((path.display().to_string(), what)),
            Err(err) => {
                drop(progress);
                eprintln!("bootvet: cannot read {}: {err}", path.display());
                return exit::TROUBLE;
            }
        }
    }
    drop(progress);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        let doc = FilesDocument {
            schema: INSPECT_JSON_SCHEMA,
            files: results
                .iter()
                .map(|(p, w)| JsonFile {
                    path: p.clone(),
                    what: w,
                })
                .collect(),
        };
        let _ = serde_json::to_writer_pretty(&mut out, &doc);
        let _ = writeln!(out);
    } else {
        for (path, what) in &results {
            let _ = write!(out, "{}", render(path, what));
        }
    }
    if results.iter().any(|(_, w)| w.has_problem()) {
        exit::FOUND
    } else {
        exit::OK
    }
}

/// Renders one file's result as text: a title line, then `key value` lines.
pub fn render(path: &str, what: &What) -> String {
    let mut lines = Lines(String::new());
    match what {
        What::Kernel(k) => kernel_lines(&mut lines, k),
        What::Initrd(r) => initrd_lines(&mut lines, r),
        What::Config {
            compressions,
            initrd_supported,
            symbols,
            version,
        } => {
            if let Some(v) = version {
                lines.add("version", v.clone());
            }
            lines.add("symbols", symbols.to_string());
            let initrd = if *initrd_supported {
                "supported"
            } else {
                "not supported"
            };
            lines.add("initrd", initrd.into());
            lines.add("unpacks", compressions.join(" "));
        }
        What::Module(ko) => module_lines(&mut lines, ko),
        What::ModulesDep { modules } | What::ModulesBuiltin { modules } => {
            lines.add("modules", modules.to_string());
        }
        What::Unknown { reason } => lines.add("what", reason.clone()),
    }
    format!("{}: {}\n{}", path.bold(), title(what), lines.0)
}

/// The indented `key        value` lines under a file's title.
struct Lines(String);

impl Lines {
    fn add(&mut self, key: &str, value: String) {
        self.0.push_str(&format!("  {key:<10} {value}\n"));
    }
}

/// What the file is, as the title line says it.
fn title(what: &What) -> String {
    match what {
        What::Kernel(k) => {
            let kind = match &k.format {
                Format::BzImage { header, efi_stub } => format!(
                    "bzImage, boot protocol {}{}",
                    header.protocol_string(),
                    if let Some(pe) = efi_stub {
                        format!(", EFI stub {}", pe.machine_name())
                    } else {
                        String::new()
                    }
                ),
                Format::PeStub { pe } => format!("PE/EFI image {}", pe.machine_name()),
                Format::Uki(u) => format!("unified kernel image {}", u.pe.machine_name()),
                Format::Unknown => "unknown format".into(),
            };
            format!("kernel image ({kind})")
        }
        What::Initrd(r) => format!(
            "initrd ({})",
            if r.depth == Depth::Deep {
                "deep"
            } else {
                "quick"
            }
        ),
        What::Config { .. } => "kernel config".into(),
        What::Module(_) => "kernel module".into(),
        What::ModulesDep { .. } => "modules.dep".into(),
        What::ModulesBuiltin { .. } => "modules.builtin".into(),
        What::Unknown { .. } => "unknown".into(),
    }
}

fn kernel_lines(lines: &mut Lines, k: &KernelImage) {
    if let Some(v) = &k.version_string {
        lines.add("version", v.clone());
    }
    if let Some(r) = &k.release {
        lines.add("release", r.clone());
    }
    lines.add("size", format!("{} bytes", k.size));
    if let Some(t) = &k.truncated {
        let error = format!(
            "truncated: the headers declare {} bytes, the file has {}",
            t.declared, t.actual
        );
        lines.add("error", error.red().to_string());
    }
    if let Format::BzImage { header, .. } = &k.format {
        if let Some(c) = &k.payload_compression {
            lines.add("payload", c.clone());
        }
        if let Some(m) = header.initrd_addr_max {
            lines.add("initrd max", format!("{m:#x}"));
        }
        if let Some(x) = header.xloadflags {
            lines.add("xloadflags", format!("{x:#x}"));
        }
    }
    if let Format::Uki(u) = &k.format {
        let names: Vec<&str> = u.pe.sections.iter().map(|s| s.name.as_str()).collect();
        lines.add("sections", names.join(" "));
        if let Some(c) = &u.cmdline {
            lines.add("cmdline", c.clone());
        }
    }
    lines.add("loaders", loaders(k));
}

/// The GRUB commands that can boot the image, per platform.
fn loaders(k: &KernelImage) -> String {
    let b = k.bootable_by;
    let mut loaders = Vec::new();
    if b.pc_linux {
        loaders.push("pc: linux, linux16".to_string());
    }
    if b.efi_linux {
        let how = [(b.efi_handover, "handover"), (b.pe_entry, "PE entry")]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| *n)
            .collect::<Vec<_>>()
            .join(", ");
        loaders.push(format!("efi: linux ({how})"));
    }
    if loaders.is_empty() {
        "none".into()
    } else {
        loaders.join("; ")
    }
}

fn initrd_lines(lines: &mut Lines, r: &InitrdReport) {
    let whole = if r.complete {
        ", every byte accounted for"
    } else {
        ""
    };
    lines.add(
        "size",
        format!("{} bytes, {} entries{whole}", r.size, r.entries),
    );
    for (i, seg) in r.segments.iter().enumerate() {
        lines.add(&format!("segment {i}"), segment_line(seg));
    }
    if !r.microcode.is_empty() {
        lines.add("microcode", r.microcode.join(" "));
    }
    lines.add("modules", modules_summary(r));
    for (module, vermagic) in &r.module_vermagic {
        lines.add("vermagic", format!("{module}: {}", vermagic.trim_end()));
    }
    if !r.layer_files.is_empty() {
        let files: Vec<&str> = r.layer_files.iter().map(String::as_str).collect();
        lines.add("layers", files.join(" "));
    }
    if let Some(e) = &r.error {
        initrd_error_lines(lines, e);
    }
    if let Some(l) = &r.limit {
        let limit = format!(
            "stopped at the {:?} limit ({}) in segment {}",
            l.kind, l.limit, l.segment
        );
        lines.add("limit", limit.to_lowercase().yellow().to_string());
    }
}

/// One segment: where it starts, what it is, and how much cpio it held.
fn segment_line(seg: &Segment) -> String {
    let kind = match seg.kind {
        SegmentKind::Cpio => "cpio".to_string(),
        SegmentKind::Compressed(c) => c.kernel_name().to_string(),
        SegmentKind::Junk => return format!("at {:<10} junk", seg.offset),
    };
    let stored = seg
        .stored_size
        .map(human_size)
        .unwrap_or_else(|| "?".into());
    format!(
        "at {:<10} {kind:<5} {stored} → {} cpio, {} entries{}{}",
        seg.offset,
        human_size(seg.cpio_size),
        seg.entries,
        if seg.trailers > 0 { ", trailer" } else { "" },
        if seg.complete {
            ""
        } else {
            " (not read to the end)"
        }
    )
}

/// How many modules, for which releases, and the module lists captured.
fn modules_summary(r: &InitrdReport) -> String {
    let versions: Vec<&str> = r.module_versions.iter().map(String::as_str).collect();
    let files = if r.module_files.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = r
            .module_files
            .keys()
            .map(|k| k.rsplit('/').next().unwrap_or(k))
            .collect();
        format!("; {}", names.join(", "))
    };
    format!(
        "{} in lib/modules/{{{}}}{files}",
        r.modules.len(),
        versions.join(",")
    )
}

/// The fault: where it is, and what the kernel prints when it meets it.
fn initrd_error_lines(lines: &mut Lines, e: &initrd::InitrdError) {
    let at = if e.kind == initrd::ErrorKind::Empty {
        String::new()
    } else {
        format!("at byte {} (segment {}): ", e.offset, e.segment)
    };
    lines.add("error", format!("{at}{}", e.detail).red().to_string());
    let kernel = match (e.kernel_line(), e.kind) {
        (Some(l), _) => l,
        (None, initrd::ErrorKind::Empty) => {
            "prints nothing and unpacks nothing: there is no /init".into()
        }
        (None, _) => "prints nothing; the files after this point are missing".into(),
    };
    lines.add("kernel", kernel);
}

fn module_lines(lines: &mut Lines, ko: &KoInfo) {
    if let Some(n) = &ko.name {
        lines.add("name", n.clone());
    }
    if let Some(v) = &ko.vermagic {
        lines.add("vermagic", v.clone());
    }
    let signed = if ko.signed { ", signed" } else { "" };
    lines.add("size", format!("{} bytes{signed}", ko.size));
    let debug = if ko.unstripped() {
        format!(
            "{} sections, {} bytes in the file: unstripped",
            ko.debug_sections.len(),
            ko.debug_file_bytes
        )
    } else {
        "none (stripped)".into()
    };
    lines.add("debug", debug);
}
