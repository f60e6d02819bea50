//! `/lib/modules/RELEASE` on the root filesystem each entry mounts: whether it
//! exists for every kernel in the menu, and how much of it is debug info that
//! `INSTALL_MOD_STRIP=1` would have dropped (what inflates the initrd built from it).
//!
//! Reads the root filesystem through the disk layer (images offline, live through
//! the mount). The directories are walked on one thread; the modules — reading,
//! decompressing and parsing them is where the time goes — are spread over every
//! core (up to 4), each thread with its own reader of the volume. Bounded: a time
//! budget and an entry budget, with a note when the scan was cut short; one module
//! per thread in memory at a time, at most `MAX_KO_BYTES`. Never writes, never judges.

use std::collections::BTreeSet;
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::disk_files::DiskFiles;
use super::fs::{FileError, VolumeFiles, open_volume};
use crate::facts::BootFacts;
use crate::facts::files::FileKind;
use crate::facts::host::{ModulesFact, ModulesScan, ModulesState, SizedName};
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
        let disks = files.facts();
        let open_another = || open_volume(disks, &volume).ok();
        let state = match files.volume(&volume) {
            Ok(vf) => scan(vf.as_ref(), &path, budget, &open_another),
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

/// A volume reader for another thread (`None`: that thread does not help).
pub type OpenVolume<'a> = dyn Fn() -> Option<Box<dyn VolumeFiles>> + Sync + 'a;

/// Walks one modules tree with `vf`, then reads the modules on this thread (with
/// `vf`) and on the other cores (each with a reader from `open_another`).
pub fn scan(
    vf: &dyn VolumeFiles,
    root: &str,
    budget: Duration,
    open_another: &OpenVolume<'_>,
) -> ModulesState {
    match vf.stat(root) {
        Ok(stat) if stat.kind == FileKind::Directory => {}
        Ok(_) | Err(FileError::NotFound(_)) => return ModulesState::Missing,
        Err(e) => return ModulesState::Unknown { why: e.to_string() },
    }
    let deadline = Instant::now() + budget;
    let mut result = ModulesScan::default();
    let mut modules: Vec<(String, u64)> = Vec::new();
    let mut stack = vec![root.to_string()];
    let mut visited = 0usize;
    let mut walk_timed_out = false;
    'walk: while let Some(dir) = stack.pop() {
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
                break 'walk;
            }
            if Instant::now() > deadline {
                walk_timed_out = true;
                break 'walk;
            }
            let path = format!("{dir}/{}", entry.name);
            match entry.kind {
                // `build` and `source` point into kernel source trees.
                FileKind::Directory => stack.push(path),
                FileKind::File if is_module(&entry.name) => modules.push((path, entry.size)),
                _ => {}
            }
        }
    }

    let next = AtomicUsize::new(0);
    let work = |vf: &dyn VolumeFiles| read_modules(vf, root, &modules, &next, deadline);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4);
    let parts: Vec<Part> = std::thread::scope(|s| {
        let helpers: Vec<_> = (1..workers)
            .map(|_| s.spawn(|| open_another().map(|v| work(v.as_ref())).unwrap_or_default()))
            .collect();
        let mut parts = vec![work(vf)];
        parts.extend(helpers.into_iter().map(|h| h.join().unwrap_or_default()));
        parts
    });
    let mut unstripped: Vec<SizedName> = Vec::new();
    for part in parts {
        result.modules += part.scan.modules;
        result.stored_bytes += part.scan.stored_bytes;
        result.unstripped += part.scan.unstripped;
        result.debug_bytes += part.scan.debug_bytes;
        result.unreadable += part.scan.unreadable;
        unstripped.extend(part.unstripped);
    }
    let all_read = next.into_inner() >= modules.len();
    if result.cut_short.is_none() && (walk_timed_out || !all_read) {
        result.cut_short = Some(format!(
            "the {} s time budget ran out after {} modules",
            budget.as_secs(),
            result.modules
        ));
    }
    unstripped.sort_by(|a, b| b.size.cmp(&a.size).then(a.name.cmp(&b.name)));
    unstripped.truncate(EXAMPLES);
    result.largest_unstripped = unstripped;
    ModulesState::Present(result)
}

/// What one thread read.
#[derive(Default)]
struct Part {
    scan: ModulesScan,
    unstripped: Vec<SizedName>,
}

/// Takes modules from the shared list until it is empty or the budget is spent.
fn read_modules(
    vf: &dyn VolumeFiles,
    root: &str,
    modules: &[(String, u64)],
    next: &AtomicUsize,
    deadline: Instant,
) -> Part {
    let mut part = Part::default();
    while Instant::now() <= deadline {
        let Some((path, size)) = modules.get(next.fetch_add(1, Ordering::Relaxed)) else {
            break;
        };
        part.scan.modules += 1;
        part.scan.stored_bytes += size;
        match debug_bytes(vf, path) {
            Ok(0) => {}
            Ok(bytes) => {
                part.scan.unstripped += 1;
                part.scan.debug_bytes += bytes;
                // Only the largest few are named: keep the list short per thread.
                part.unstripped.push(SizedName {
                    name: path
                        .trim_start_matches(root)
                        .trim_start_matches('/')
                        .to_string(),
                    size: bytes,
                });
                if part.unstripped.len() > 4 * EXAMPLES {
                    part.unstripped
                        .sort_by(|a, b| b.size.cmp(&a.size).then(a.name.cmp(&b.name)));
                    part.unstripped.truncate(EXAMPLES);
                }
            }
            Err(_) => part.scan.unreadable += 1,
        }
    }
    part
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::fs::live::LiveVolume;

    /// A tree of 40 (unreadable: not ELF) modules in three directories.
    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..40 {
            let sub = dir
                .path()
                .join(format!("lib/modules/6.1.0/kernel/d{}", i % 3));
            std::fs::create_dir_all(&sub).unwrap();
            std::fs::write(sub.join(format!("m{i}.ko")), vec![i as u8; 100 + i]).unwrap();
        }
        dir
    }

    fn present(state: ModulesState) -> ModulesScan {
        match state {
            ModulesState::Present(scan) => scan,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_module_is_read_once_whether_other_threads_help_or_not() {
        let dir = tree();
        let root = dir.path().to_str().unwrap();
        let vf = LiveVolume::new(root);
        let alone = present(scan(&vf, "/lib/modules/6.1.0", DEFAULT_BUDGET, &|| None));
        let helped = present(scan(&vf, "/lib/modules/6.1.0", DEFAULT_BUDGET, &|| {
            Some(Box::new(LiveVolume::new(root)) as Box<dyn VolumeFiles>)
        }));
        for s in [&alone, &helped] {
            assert_eq!(s.modules, 40);
            assert_eq!(s.unreadable, 40, "none is an ELF file");
            assert_eq!(s.stored_bytes, (0..40).map(|i| 100 + i).sum::<u64>());
            assert_eq!(s.cut_short, None);
        }
    }

    #[test]
    fn a_spent_budget_cuts_the_scan_short_and_says_so() {
        let dir = tree();
        let vf = LiveVolume::new(dir.path().to_str().unwrap());
        let s = present(scan(&vf, "/lib/modules/6.1.0", Duration::ZERO, &|| None));
        assert_eq!(s.modules, 0);
        assert_eq!(
            s.cut_short.as_deref(),
            Some("the 0 s time budget ran out after 0 modules")
        );
    }
}
