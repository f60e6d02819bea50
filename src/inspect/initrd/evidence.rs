//! The evidence an initrd's entries give the checks: module directories and
//! names, `modules.dep`/`modules.builtin`, the root path's modules' vermagic,
//! microcode and the files of the storage layers, bounded by `Limits`.

use std::collections::{BTreeMap, BTreeSet};

use super::{KeptBeforeFault, LAYER_FILES, Limits};
use crate::inspect::cpio::{self, Body, Entry, Visitor};
use crate::inspect::modules::{ko_compression, module_name_from_path, signed_of, vermagic_of};

/// Bytes of a root-path module read for its vermagic and signature (compressed or
/// not).
const KO_PREFIX: usize = 4 << 20;
/// A compressed root-path module is decompressed this far to reach its end.
const MAX_KO: u64 = 64 << 20;

fn is_root_path_module(name: &str) -> bool {
    crate::inspect::kconfig::ROOT_PATH
        .iter()
        .any(|p| p.modules.contains(&name))
}

/// The kernel's page size: unpacked file data sits in whole pages.
const PAGE: u64 = 4096;
/// An inode and a dentry in the slab for each entry (ramfs/tmpfs, Linux 6.1 on
/// x86_64: `struct inode` ≈ 600 bytes, `struct dentry` 192, plus the name).
const ENTRY_COST: u64 = 1024;

/// What one cpio entry costs in RAM once unpacked into the rootfs (ramfs or
/// tmpfs: page cache with no backing store, never reclaimed or swapped):
/// init/initramfs.c writes a regular file's data into its pages, a symlink's
/// target takes a page (`page_symlink`), and every entry has its inode.
fn ram_cost(header: &cpio::Header) -> u64 {
    let data = match header.mode & cpio::S_IFMT {
        cpio::S_IFREG => header.filesize.div_ceil(PAGE).saturating_mul(PAGE),
        cpio::S_IFLNK => PAGE,
        _ => 0,
    };
    data.saturating_add(ENTRY_COST)
}

/// Visits every entry of every segment; what it keeps goes into the report.
pub(super) struct Collector<'l> {
    limits: &'l Limits,
    names: Option<&'l mut Vec<String>>,
    pub(super) entries: u64,
    pub(super) ram_bytes: u64,
    pub(super) module_versions: BTreeSet<String>,
    pub(super) modules: BTreeMap<String, String>,
    pub(super) module_files: BTreeMap<String, String>,
    pub(super) microcode: Vec<String>,
    pub(super) layer_files: BTreeSet<String>,
    pub(super) module_vermagic: BTreeMap<String, String>,
    pub(super) module_signed: BTreeMap<String, bool>,
    captured: usize,
    pub(super) evidence_cut: bool,
    pub(super) entry_limit_hit: bool,
    /// Every piece of evidence recorded so far, counted (replacements too): a
    /// segment that adds none leaves the checks' view of the archive unchanged.
    evidence_events: u64,
    /// `/init` (a file or a symlink) was seen.
    init_seen: bool,
    /// The state when the segment being walked began.
    segment_start: SegmentStart,
}

#[derive(Clone, Copy, Default)]
struct SegmentStart {
    index: usize,
    entries: u64,
    evidence_events: u64,
    init_seen: bool,
}

impl<'l> Collector<'l> {
    /// `names`, when given, receives every entry's path (the listing).
    pub(super) fn new(limits: &'l Limits, names: Option<&'l mut Vec<String>>) -> Self {
        Collector {
            limits,
            names,
            entries: 0,
            ram_bytes: 0,
            module_versions: BTreeSet::new(),
            modules: BTreeMap::new(),
            module_files: BTreeMap::new(),
            microcode: Vec::new(),
            layer_files: BTreeSet::new(),
            module_vermagic: BTreeMap::new(),
            module_signed: BTreeMap::new(),
            captured: 0,
            evidence_cut: false,
            entry_limit_hit: false,
            evidence_events: 0,
            init_seen: false,
            segment_start: SegmentStart::default(),
        }
    }

    /// Marks the start of top-level segment `index`, before any of its entries.
    pub(super) fn start_segment(&mut self, index: usize) {
        self.segment_start = SegmentStart {
            index,
            entries: self.entries,
            evidence_events: self.evidence_events,
            init_seen: self.init_seen,
        };
    }

    /// Whether `/init` (a file or a symlink) was among the entries walked.
    pub(super) fn init_seen(&self) -> bool {
        self.init_seen
    }

    /// What the segments before a fault in segment `at` hold (see `KeptBeforeFault`).
    pub(super) fn kept_before(&self, at: usize) -> Option<KeptBeforeFault> {
        let start = self.segment_start;
        (at > 0 && start.index == at).then_some(KeptBeforeFault {
            segments: at,
            entries: start.entries,
            init: start.init_seen,
            all_evidence: self.evidence_events == start.evidence_events,
        })
    }
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
        self.ram_bytes = self.ram_bytes.saturating_add(ram_cost(&e.header));
        let path = normalise(e.name);
        if let Some(names) = self.names.as_deref_mut() {
            names.push(if path.is_empty() {
                ".".to_string()
            } else {
                path.clone()
            });
        }
        let mut want = Body::Skip;
        let file_or_link = e.header.is_regular() || e.header.mode & cpio::S_IFMT == cpio::S_IFLNK;
        let room = self.modules.len() + self.module_versions.len() + self.microcode.len()
            < self.limits.max_evidence;
        if let Some((ver, tail)) = modules_dir(&path) {
            self.evidence_events += 1;
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
            && file_or_link
        {
            // The root path's own modules: their vermagic says which kernel they
            // load into. `.modinfo` precedes the debug sections, so a prefix does.
            if e.header.is_regular()
                && is_root_path_module(&name)
                && !self.module_vermagic.contains_key(&name)
            {
                want = Body::Capture(KO_PREFIX);
            }
            self.evidence_events += 1;
            if room {
                self.modules.entry(name).or_insert(path.clone());
            } else {
                self.evidence_cut = true;
            }
        }
        if path == "init" && file_or_link {
            self.init_seen = true;
        }
        let base = path.rsplit('/').next().unwrap_or(&path);
        if LAYER_FILES.contains(&base) && file_or_link && self.layer_files.len() < 256 {
            self.evidence_events += 1;
            self.layer_files.insert(path.clone());
        }
        if path.starts_with("kernel/x86/microcode/") && e.header.is_regular() {
            self.evidence_events += 1;
            if room {
                self.microcode.push(path);
            } else {
                self.evidence_cut = true;
            }
        }
        Some(want)
    }

    fn body(&mut self, e: &Entry<'_>, body: &[u8], cut: bool) {
        self.evidence_events += 1;
        let path = normalise(e.name);
        if let Some(name) = module_name_from_path(&path) {
            let method = ko_compression(&path);
            // Only a whole body shows its end, where the signature is.
            if !cut && let Some(signed) = signed_of(body, method, MAX_KO) {
                self.module_signed.insert(name.clone(), signed);
            }
            if let Some(v) = vermagic_of(body, method, KO_PREFIX as u64) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_dir_takes_version() {
        assert_eq!(
            modules_dir("usr/lib/modules/6.1.0-56-amd64/kernel/x.ko"),
            Some(("6.1.0-56-amd64", "kernel/x.ko"))
        );
        assert_eq!(modules_dir("lib/modules/6.1.0"), Some(("6.1.0", "")));
        assert_eq!(modules_dir("lib/firmware/x"), None);
    }
}
