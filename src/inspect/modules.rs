//! Kernel modules: names from paths, `modules.dep` (and the dependency closure of a
//! module), `modules.builtin`, and what a `.ko` ELF holds (debug sections and the bytes
//! stripping would save, vermagic, signature). Works on text and bytes handed in; a
//! compressed `.ko` is decompressed from a caller's reader with a size cap. Never
//! reads a directory itself.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::{self, Read};

use object::{Object, ObjectSection};
use serde::{Deserialize, Serialize};

use super::compression::Compression;

/// Module name of a `.ko`/`.ko.xz`/`.ko.zst`/`.ko.gz` path, as modprobe compares names
/// (dashes and underscores are the same: underscores). `None` for other files.
pub fn module_name_from_path(path: &str) -> Option<String> {
    let base = path.rsplit('/').next().unwrap_or(path);
    let stem = [".ko", ".ko.xz", ".ko.zst", ".ko.gz"]
        .iter()
        .find_map(|ext| base.strip_suffix(ext))?;
    (!stem.is_empty()).then(|| stem.replace('-', "_"))
}

/// The compression of a module file, by its name.
pub fn ko_compression(path: &str) -> Option<Compression> {
    if path.ends_with(".ko.xz") {
        Some(Compression::Xz)
    } else if path.ends_with(".ko.zst") {
        Some(Compression::Zstd)
    } else if path.ends_with(".ko.gz") {
        Some(Compression::Gzip)
    } else {
        None
    }
}

/// One line of `modules.dep`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleDep {
    pub path: String,
    /// Names of the modules it needs directly.
    pub deps: Vec<String>,
}

/// `modules.dep`: module name → its path and direct dependencies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModulesDep {
    pub modules: BTreeMap<String, ModuleDep>,
}

impl ModulesDep {
    /// Parses `path: dep dep…` lines; lines that are not of that shape are skipped.
    pub fn parse(text: &str) -> ModulesDep {
        let mut modules = BTreeMap::new();
        for line in text.lines() {
            let Some((path, deps)) = line.split_once(':') else {
                continue;
            };
            let Some(name) = module_name_from_path(path.trim()) else {
                continue;
            };
            let deps = deps
                .split_whitespace()
                .filter_map(module_name_from_path)
                .collect();
            modules.insert(
                name,
                ModuleDep {
                    path: path.trim().to_string(),
                    deps,
                },
            );
        }
        ModulesDep { modules }
    }

    /// `name` and every module it needs, transitively, in breadth-first order. Names
    /// `modules.dep` does not list are returned too (the caller decides whether they
    /// are built in or missing).
    pub fn closure(&self, name: &str) -> Vec<String> {
        let name = name.replace('-', "_");
        let mut seen = BTreeSet::new();
        let mut order = Vec::new();
        let mut queue = VecDeque::from([name]);
        while let Some(m) = queue.pop_front() {
            if !seen.insert(m.clone()) {
                continue;
            }
            if let Some(d) = self.modules.get(&m) {
                queue.extend(d.deps.iter().cloned());
            }
            order.push(m);
        }
        order
    }
}

/// `modules.builtin`: names of the modules built into the kernel.
pub fn parse_builtin(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| module_name_from_path(l.trim()))
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebugSection {
    pub name: String,
    /// Uncompressed size (SHF_COMPRESSED sections are counted as they expand).
    pub size: u64,
    /// Bytes the section takes in the file.
    pub file_size: u64,
}

/// What a module's ELF holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KoInfo {
    pub size: u64,
    /// `.debug_*`, `.zdebug_*` and their relocation sections: what `--strip-debug` drops.
    pub debug_sections: Vec<DebugSection>,
    /// Bytes of the file those sections take: roughly what stripping saves.
    pub debug_file_bytes: u64,
    pub vermagic: Option<String>,
    /// `name=` from `.modinfo`.
    pub name: Option<String>,
    /// Ends with the module signature marker.
    pub signed: bool,
}

impl KoInfo {
    pub fn unstripped(&self) -> bool {
        self.debug_sections
            .iter()
            .any(|s| s.name.contains("debug_"))
    }
}

fn is_debug_section(name: &str) -> bool {
    [".debug_", ".zdebug_", ".rela.debug_", ".rel.debug_"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// Inspects an uncompressed module. `Err` when the bytes are not an ELF object.
pub fn inspect_ko(bytes: &[u8]) -> Result<KoInfo, String> {
    let file = object::File::parse(bytes).map_err(|e| format!("not an ELF object: {e}"))?;
    let mut debug_sections = Vec::new();
    let mut vermagic = None;
    let mut name = None;
    for s in file.sections() {
        let Ok(sname) = s.name() else { continue };
        if is_debug_section(sname) {
            let file_size = s.file_range().map(|(_, len)| len).unwrap_or(0);
            let size = s
                .compressed_file_range()
                .map(|r| r.uncompressed_size)
                .unwrap_or(file_size);
            debug_sections.push(DebugSection {
                name: sname.to_string(),
                size,
                file_size,
            });
        }
        if sname == ".modinfo"
            && let Ok(data) = s.data()
        {
            for field in data.split(|&b| b == 0) {
                let f = String::from_utf8_lossy(field);
                if let Some(v) = f.strip_prefix("vermagic=") {
                    vermagic = Some(v.trim().to_string());
                } else if let Some(v) = f.strip_prefix("name=") {
                    name = Some(v.to_string());
                }
            }
        }
    }
    let debug_file_bytes = debug_sections.iter().map(|s| s.file_size).sum();
    Ok(KoInfo {
        size: bytes.len() as u64,
        debug_sections,
        debug_file_bytes,
        vermagic,
        name,
        signed: bytes.ends_with(SIGNATURE_MARKER),
    })
}

/// The release in a vermagic string (`6.1.0-56-amd64 SMP preempt …` → `6.1.0-56-amd64`).
pub fn vermagic_release(vermagic: &str) -> Option<&str> {
    vermagic.split_whitespace().next()
}

/// The `vermagic=` string of a module's `.modinfo`, found by its key in the
/// module's first bytes (the caller may hand a prefix: `.modinfo` sits before the
/// debug sections, so a cut body of an unstripped module still holds it).
pub fn find_vermagic(bytes: &[u8]) -> Option<String> {
    const KEY: &[u8] = b"vermagic=";
    // A `.modinfo` field starts the section or follows the previous one's NUL.
    // memmem rather than a window compare at every byte (issue 19: the scan was 4 %
    // of `inspect --deep` on an lz4 initrd).
    let at =
        memchr::memmem::find_iter(bytes, KEY).find(|&i| i == 0 || bytes[i - 1] == 0)? + KEY.len();
    let rest = &bytes[at..];
    let end = rest.iter().position(|&b| b == 0)?;
    // Kept as the kernel prints it (`version magic '%s'`): with its trailing space.
    let text = String::from_utf8_lossy(&rest[..end.min(256)]).into_owned();
    (!text.trim().is_empty()).then_some(text)
}

/// `find_vermagic` over a module body that may be compressed (`.ko.xz/.zst/.gz`)
/// and may be cut short: at most `max` bytes are decompressed, and a stream that
/// ends early is searched as far as it went.
pub fn vermagic_of(body: &[u8], method: Option<Compression>, max: u64) -> Option<String> {
    let Some(method) = method else {
        return find_vermagic(body);
    };
    find_vermagic(&decompressed_prefix(body, method, max)?.0)
}

/// The marker `scripts/sign-file` appends after a module's signature, which the
/// kernel looks for at the very end (kernel/module/signing.c `mod_verify_sig`).
const SIGNATURE_MARKER: &[u8] = b"~Module signature appended~\n";

/// Whether a whole module body (compressed or not) ends with an appended
/// signature. `None` when that cannot be told: the body is compressed past `max`
/// or its stream is broken.
pub fn signed_of(body: &[u8], method: Option<Compression>, max: u64) -> Option<bool> {
    let Some(method) = method else {
        return Some(body.ends_with(SIGNATURE_MARKER));
    };
    let (plain, whole) = decompressed_prefix(body, method, max)?;
    whole.then(|| plain.ends_with(SIGNATURE_MARKER))
}

/// Up to `max` bytes of a compressed module, and whether that is all of it.
fn decompressed_prefix(body: &[u8], method: Compression, max: u64) -> Option<(Vec<u8>, bool)> {
    let mut dec: Box<dyn Read> = match method {
        Compression::Xz => Box::new(liblzma::read::XzDecoder::new_stream(
            body,
            liblzma::stream::Stream::new_stream_decoder(64 << 20, 0).ok()?,
        )),
        Compression::Zstd => {
            // Modules are compressed at levels whose window is at most 8 MiB; a
            // header asking for more is refused rather than allocated.
            let mut d = zstd::stream::read::Decoder::new(body).ok()?;
            d.window_log_max(24).ok()?;
            Box::new(d)
        }
        Compression::Gzip => Box::new(flate2::read::GzDecoder::new(body)),
        _ => return None,
    };
    let mut out = Vec::new();
    let mut buf = [0u8; 64 << 10];
    let mut whole = false;
    while (out.len() as u64) < max {
        match dec.read(&mut buf) {
            Ok(0) => {
                whole = true;
                break;
            }
            Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    Some((out, whole))
}

/// Decompresses a `.ko.xz`/`.ko.zst`/`.ko.gz` read from `input`, up to `max` bytes
/// (a module larger than that is refused rather than held in memory).
pub fn decompress_ko<R: Read>(input: R, method: Compression, max: u64) -> io::Result<Vec<u8>> {
    let input = io::BufReader::new(input);
    let mut dec: Box<dyn Read> = match method {
        Compression::Xz => Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(input)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(input)?),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(input)),
        other => {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("modules are not compressed with {}", other.kernel_name()),
            ));
        }
    };
    let mut out = Vec::new();
    let n = (&mut dec)
        .take(max.saturating_add(1))
        .read_to_end(&mut out)?;
    if n as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("module expands beyond {max} bytes"),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_paths() {
        assert_eq!(
            module_name_from_path("kernel/drivers/nvme/host/nvme-core.ko.zst").as_deref(),
            Some("nvme_core")
        );
        assert_eq!(module_name_from_path("ext4.ko").as_deref(), Some("ext4"));
        assert_eq!(module_name_from_path("kernel/x.kobj"), None);
        assert_eq!(module_name_from_path(".ko"), None);
    }

    #[test]
    fn closure_follows_dependencies_once() {
        let dep = ModulesDep::parse(
            "kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko\n\
             kernel/fs/jbd2/jbd2.ko: kernel/lib/crc16.ko\n\
             kernel/lib/crc16.ko:\n\
             garbage line\n",
        );
        assert_eq!(dep.closure("ext4"), ["ext4", "crc16", "mbcache", "jbd2"]);
        assert_eq!(dep.closure("vfat"), ["vfat"]);
    }

    #[test]
    fn vermagic_from_a_prefix() {
        let modinfo = b"xx\0license=GPL\0vermagic=6.1.0-18-amd64 SMP preempt mod_unload modversions \0name=ext4\0";
        assert_eq!(
            find_vermagic(modinfo).as_deref(),
            Some("6.1.0-18-amd64 SMP preempt mod_unload modversions ")
        );
        assert_eq!(find_vermagic(b"\0vermagic=6.1.0 cut"), None);
        assert_eq!(find_vermagic(b"\0vermagic= \0"), None);
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(modinfo).unwrap();
        let gz = enc.finish().unwrap();
        assert_eq!(
            vermagic_of(&gz, Some(Compression::Gzip), 1 << 20)
                .as_deref()
                .and_then(vermagic_release),
            Some("6.1.0-18-amd64")
        );
    }

    #[test]
    fn builtin_names() {
        let b = parse_builtin("kernel/fs/ext4/ext4.ko\nkernel/drivers/block/virtio_blk.ko\n");
        assert!(b.contains("ext4") && b.contains("virtio_blk"));
    }
}
