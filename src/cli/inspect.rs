//! `bootvet inspect FILE…`: says what each file is — kernel image, initrd, kernel config,
//! kernel module, modules.dep/modules.builtin — and what is wrong inside it, using the
//! `inspect` layer. Opens each file read-only; the findings proper come with `check`.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use colored::Colorize;
use serde::Serialize;

use crate::exit;
use crate::inspect::initrd::{self, Depth, InitrdReport, SegmentKind};
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
struct JsonDocument<'a> {
    schema: &'static str,
    files: Vec<JsonFile<'a>>,
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
        return Ok(What::Initrd(initrd::inspect(file, depth)?));
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
    for path in &args.files {
        match inspect_file(path, depth) {
            Ok(what) => results.push((path.display().to_string(), what)),
            Err(err) => {
                eprintln!("bootvet: cannot read {}: {err}", path.display());
                return exit::TROUBLE;
            }
        }
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        let doc = JsonDocument {
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

/// Renders one file's result as text.
pub fn render(path: &str, what: &What) -> String {
    let mut s = String::new();
    let mut line = |k: &str, v: String| s.push_str(&format!("  {:<10} {v}\n", k));
    let title = match what {
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
    };
    let mut head = format!("{}: {title}\n", path.bold());
    match what {
        What::Kernel(k) => {
            if let Some(v) = &k.version_string {
                line("version", v.clone());
            }
            if let Some(r) = &k.release {
                line("release", r.clone());
            }
            line("size", format!("{} bytes", k.size));
            if let Some(t) = &k.truncated {
                line(
                    "error",
                    format!(
                        "truncated: the headers declare {} bytes, the file has {}",
                        t.declared, t.actual
                    )
                    .red()
                    .to_string(),
                );
            }
            if let Format::BzImage { header, .. } = &k.format {
                if let Some(c) = &k.payload_compression {
                    line("payload", c.clone());
                }
                if let Some(m) = header.initrd_addr_max {
                    line("initrd max", format!("{m:#x}"));
                }
                if let Some(x) = header.xloadflags {
                    line("xloadflags", format!("{x:#x}"));
                }
            }
            if let Format::Uki(u) = &k.format {
                line(
                    "sections",
                    u.pe.sections
                        .iter()
                        .map(|s| s.name.clone())
                        .collect::<Vec<_>>()
                        .join(" "),
                );
                if let Some(c) = &u.cmdline {
                    line("cmdline", c.clone());
                }
            }
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
            line(
                "loaders",
                if loaders.is_empty() {
                    "none".into()
                } else {
                    loaders.join("; ")
                },
            );
        }
        What::Initrd(r) => {
            line(
                "size",
                format!(
                    "{} bytes, {} entries{}",
                    r.size,
                    r.entries,
                    if r.complete {
                        ", every byte accounted for"
                    } else {
                        ""
                    }
                ),
            );
            for (i, seg) in r.segments.iter().enumerate() {
                let kind = match seg.kind {
                    SegmentKind::Cpio => "cpio".to_string(),
                    SegmentKind::Compressed(c) => c.kernel_name().to_string(),
                    SegmentKind::Junk => "junk".to_string(),
                };
                let stored = seg
                    .stored_size
                    .map(human_size)
                    .unwrap_or_else(|| "?".into());
                if seg.kind == SegmentKind::Junk {
                    line(
                        &format!("segment {i}"),
                        format!("at {:<10} junk", seg.offset),
                    );
                    continue;
                }
                line(
                    &format!("segment {i}"),
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
                    ),
                );
            }
            if !r.microcode.is_empty() {
                line("microcode", r.microcode.join(" "));
            }
            line(
                "modules",
                format!(
                    "{} in lib/modules/{{{}}}{}",
                    r.modules.len(),
                    r.module_versions
                        .iter()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(","),
                    if r.module_files.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "; {}",
                            r.module_files
                                .keys()
                                .map(|k| k.rsplit('/').next().unwrap_or(k))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    }
                ),
            );
            for (module, vermagic) in &r.module_vermagic {
                line("vermagic", format!("{module}: {}", vermagic.trim_end()));
            }
            if !r.layer_files.is_empty() {
                let files: Vec<&str> = r.layer_files.iter().map(String::as_str).collect();
                line("layers", files.join(" "));
            }
            if let Some(e) = &r.error {
                let at = if e.kind == initrd::ErrorKind::Empty {
                    String::new()
                } else {
                    format!("at byte {} (segment {}): ", e.offset, e.segment)
                };
                line("error", format!("{at}{}", e.detail).red().to_string());
                match (e.kernel_line(), e.kind) {
                    (Some(l), _) => line("kernel", l),
                    (None, initrd::ErrorKind::Empty) => line(
                        "kernel",
                        "prints nothing and unpacks nothing: there is no /init".into(),
                    ),
                    (None, _) => line(
                        "kernel",
                        "prints nothing; the files after this point are missing".into(),
                    ),
                }
            }
            if let Some(l) = &r.limit {
                line(
                    "limit",
                    format!(
                        "stopped at the {:?} limit ({}) in segment {}",
                        l.kind, l.limit, l.segment
                    )
                    .to_lowercase()
                    .yellow()
                    .to_string(),
                );
            }
        }
        What::Config {
            compressions,
            initrd_supported,
            symbols,
            version,
        } => {
            if let Some(v) = version {
                line("version", v.clone());
            }
            line("symbols", symbols.to_string());
            line(
                "initrd",
                if *initrd_supported {
                    "supported".into()
                } else {
                    "not supported".to_string()
                },
            );
            line("unpacks", compressions.join(" "));
        }
        What::Module(ko) => {
            if let Some(n) = &ko.name {
                line("name", n.clone());
            }
            if let Some(v) = &ko.vermagic {
                line("vermagic", v.clone());
            }
            line(
                "size",
                format!(
                    "{} bytes{}",
                    ko.size,
                    if ko.signed { ", signed" } else { "" }
                ),
            );
            if ko.unstripped() {
                line(
                    "debug",
                    format!(
                        "{} sections, {} bytes in the file: unstripped",
                        ko.debug_sections.len(),
                        ko.debug_file_bytes
                    ),
                );
            } else {
                line("debug", "none (stripped)".into());
            }
        }
        What::ModulesDep { modules } | What::ModulesBuiltin { modules } => {
            line("modules", modules.to_string());
        }
        What::Unknown { reason } => line("what", reason.clone()),
    }
    head.push_str(&s);
    head
}
