//! `/lib/modules/RELEASE` on the root filesystem each entry mounts: whether it
//! exists for every kernel in the menu, and how much of it is debug info that
//! `INSTALL_MOD_STRIP=1` would have dropped (what inflates the initrd built from it).
//!
//! Reads the root filesystem through the disk layer (images offline, live through
//! the mount). Bounded: a time budget and an entry budget, with a note when the
//! scan was cut short; one module in memory at a time, at most `MAX_KO_BYTES`.
//! Never writes, never judges.

use std::collections::BTreeSet;
use std::io::Read;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::disk_files::DiskFiles;
use super::fs::{FileError, FileKind, VolumeFiles};
use super::gather::BootFacts;
use super::host::SizedName;
use crate::inspect::kernel::KernelImage;
use crate::inspect::modules::{decompress_ko, inspect_ko, ko_compression};
use crate::menu::CommandKind;

/// The largest module bootvet reads (an unstripped amdgpu.ko is ~400 MiB).
const MAX_KO_BYTES: u64 = 1 << 30;
const MAX_ENTRIES: usize = 200_000;
/// How long one tree may take: a tree of 6000 unstripped modules reads in
/// seconds from a warm cache; this keeps a cold, slow disk from hanging the run.
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(20);
/// The largest unstripped modules named as evidence.
const EXAMPLES: usize = 5;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModulesFact {
    pub release: String,
    /// The root volume (`hd0,gpt4`) whose tree was read.
    pub volume: String,
    pub path: String,
    pub state: ModulesState,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ModulesState {
    Missing,
    Present(ModulesScan),
    Unknown { why: String },
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ModulesScan {
    /// `.ko`, `.ko.xz`, `.ko.zst`, `.ko.gz` files seen.
    pub modules: u64,
    pub unstripped: u64,
    /// Bytes of `.debug_*` sections in the files (uncompressed modules) or in
    /// their decompressed contents: roughly what stripping saves.
    pub debug_bytes: u64,
    /// Total size of the module files as stored.
    pub stored_bytes: u64,
    pub largest_unstripped: Vec<SizedName>,
    /// Modules that could not be read or parsed.
    pub unreadable: u64,
    /// Why the scan stopped early, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut_short: Option<String>,
}

/// One fact per (kernel release, root volume) the menu's entries pair.
pub fn gather_modules(
    facts: &BootFacts,
    files: &DiskFiles<'_>,
    budget: Duration,
) -> Vec<ModulesFact> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for entry in facts.menu.boot_entries() {
        let Some(command) = entry.linux() else {
            continue;
        };
        let CommandKind::Linux { file, params, .. } = &command.kind else {
            continue;
        };
        let Some(release) = facts
            .file(file)
            .and_then(|f| f.kernel.as_ref())
            .and_then(|k: &KernelImage| k.release.clone())
        else {
            continue;
        };
        let Some(root) = params
            .iter()
            .rev()
            .find(|p| p.key == "root")
            .and_then(|p| p.value.as_deref())
            .and_then(|v| facts.root(v))
        else {
            continue;
        };
        let Some(volume) = root.resolution.volumes().first().copied().cloned() else {
            continue;
        };
        if !seen.insert((release.clone(), volume.name.clone())) {
            continue;
        }
        let path = format!("/lib/modules/{release}");
        let state = match files.volume(&volume) {
            Ok(vf) => scan(vf.as_ref(), &path, budget),
            Err(why) => ModulesState::Unknown { why },
        };
        out.push(ModulesFact {
            release,
            volume: volume.name.clone(),
            path,
            state,
        });
    }
    out
}

/// Walks one modules tree.
pub fn scan(vf: &dyn VolumeFiles, root: &str, budget: Duration) -> ModulesState {
    match vf.stat(root) {
        Ok(stat) if stat.kind == FileKind::Directory => {}
        Ok(_) | Err(FileError::NotFound(_)) => return ModulesState::Missing,
        Err(e) => return ModulesState::Unknown { why: e.to_string() },
    }
    let deadline = Instant::now() + budget;
    let mut result = ModulesScan::default();
    let mut stack = vec![root.to_string()];
    let mut visited = 0usize;
    let mut unstripped: Vec<SizedName> = Vec::new();
    while let Some(dir) = stack.pop() {
        let entries = match vf.list_dir(&dir) {
            Ok(entries) => entries,
            Err(_) => {
                result.unreadable += 1;
                continue;
            }
        };
        for entry in entries {
            visited += 1;
            if visited > MAX_ENTRIES {
                result.cut_short = Some(format!("more than {MAX_ENTRIES} entries"));
                break;
            }
            if Instant::now() > deadline {
                result.cut_short = Some(format!(
                    "the {} s time budget ran out after {} modules",
                    budget.as_secs(),
                    result.modules
                ));
                break;
            }
            let path = format!("{dir}/{}", entry.name);
            match entry.kind {
                // `build` and `source` point into kernel source trees.
                FileKind::Directory => stack.push(path),
                FileKind::File if is_module(&entry.name) => {
                    result.modules += 1;
                    result.stored_bytes += entry.size;
                    match debug_bytes(vf, &path) {
                        Ok(0) => {}
                        Ok(bytes) => {
                            result.unstripped += 1;
                            result.debug_bytes += bytes;
                            unstripped.push(SizedName {
                                name: path
                                    .trim_start_matches(root)
                                    .trim_start_matches('/')
                                    .to_string(),
                                size: bytes,
                            });
                        }
                        Err(_) => result.unreadable += 1,
                    }
                }
                _ => {}
            }
        }
        if result.cut_short.is_some() {
            break;
        }
    }
    unstripped.sort_by(|a, b| b.size.cmp(&a.size).then(a.name.cmp(&b.name)));
    unstripped.truncate(EXAMPLES);
    result.largest_unstripped = unstripped;
    ModulesState::Present(result)
}

fn is_module(name: &str) -> bool {
    [".ko", ".ko.xz", ".ko.zst", ".ko.gz"]
        .iter()
        .any(|s| name.ends_with(s))
}

/// Bytes of debug sections in one module (0 when stripped).
fn debug_bytes(vf: &dyn VolumeFiles, path: &str) -> Result<u64, String> {
    let stream = vf.open(path).map_err(|e| e.to_string())?;
    let bytes = match ko_compression(path) {
        Some(method) => decompress_ko(stream, method, MAX_KO_BYTES).map_err(|e| e.to_string())?,
        None => {
            let mut bytes = Vec::new();
            stream
                .take(MAX_KO_BYTES)
                .read_to_end(&mut bytes)
                .map_err(|e| e.to_string())?;
            bytes
        }
    };
    let info = inspect_ko(&bytes)?;
    Ok(if info.unstripped() {
        info.debug_file_bytes
    } else {
        0
    })
}
