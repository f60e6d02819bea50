//! Reads, on each root filesystem an entry mounts, the init the boot will execute:
//! the path `init=` names (or `/sbin/init`) and the fallbacks, each resolved
//! inside that filesystem as the kernel resolves it after switching root —
//! absolute symlinks against the filesystem's root, never the host's — then its
//! first bytes: an ELF for this machine, or a `#!` script whose interpreter is
//! itself there. Never writes, never judges.

use std::io::Read;

use super::disk_files::DiskFiles;
use super::fs::{FileError, VolumeFiles, components};
use crate::facts::RootFact;
use crate::facts::files::FileKind;
use crate::facts::init::{DEFAULT_INIT, FALLBACKS, InitFact, InitState};
use crate::facts::volumes::Resolution;
use crate::menu::{CommandKind, Menu};

/// The kernel's own bound on symlinks followed in one lookup (`MAXSYMLINKS`).
const MAX_HOPS: usize = 40;
/// Enough for an ELF header's identification and `e_machine`, or a `#!` line
/// (the kernel reads at most 256 bytes of it, `BINPRM_BUF_SIZE`).
const HEAD_BYTES: usize = 256;

/// Fills `inits` of every root that resolves to one volume: the paths its
/// entries ask for, then the fallbacks.
pub fn gather_inits(menu: &Menu, files: &DiskFiles<'_>, roots: &mut [RootFact]) {
    for root in roots.iter_mut() {
        let Resolution::One(volume) = &root.resolution else {
            continue;
        };
        let mut paths: Vec<String> = Vec::new();
        for entry in menu.boot_entries() {
            let Some(CommandKind::Linux { params, .. }) = entry.linux().map(|c| &c.kind) else {
                continue;
            };
            let last = |key: &str| params.iter().rev().find(|p| p.key == key);
            if last("root").and_then(|p| p.value.as_deref()) != Some(root.value.as_str()) {
                continue;
            }
            let init = last("init")
                .and_then(|p| p.value.clone())
                .unwrap_or_else(|| DEFAULT_INIT.to_string());
            if !paths.contains(&init) {
                paths.push(init);
            }
        }
        for fallback in FALLBACKS {
            if !paths.iter().any(|p| p == fallback) {
                paths.push(fallback.to_string());
            }
        }
        let opened = match super::btrfs_subvols::files_not_read(root) {
            Some(why) => Err(why),
            None => files.volume(volume),
        };
        root.inits = match opened {
            Ok(vf) => paths.iter().map(|p| init_fact(vf.as_ref(), p)).collect(),
            Err(why) => paths
                .iter()
                .map(|p| InitFact {
                    path: p.clone(),
                    links: Vec::new(),
                    state: InitState::Unknown { why: why.clone() },
                })
                .collect(),
        };
    }
}

/// One init path on one filesystem, with its `#!` interpreter checked one level.
pub fn init_fact(vf: &dyn VolumeFiles, path: &str) -> InitFact {
    let mut links = Vec::new();
    let state = match follow(vf, path, &mut links) {
        Err(state) => state,
        Ok(resolved) => match head(vf, &resolved) {
            Err(state) => state,
            Ok(bytes) => classify(vf, resolved, &bytes),
        },
    };
    InitFact {
        path: path.to_string(),
        links,
        state,
    }
}

/// Resolves every symlink in `path` inside the filesystem; `Ok` is a path with
/// no links left in it that exists.
fn follow(vf: &dyn VolumeFiles, path: &str, links: &mut Vec<String>) -> Result<String, InitState> {
    let mut todo: Vec<String> = components(path)
        .into_iter()
        .rev()
        .map(String::from)
        .collect();
    let mut done: Vec<String> = Vec::new();
    let mut hops = 0;
    while let Some(name) = todo.pop() {
        match name.as_str() {
            "." => continue,
            ".." => {
                done.pop();
                continue;
            }
            _ => {}
        }
        let here = format!(
            "/{}",
            [done.join("/"), name.clone()]
                .join("/")
                .trim_start_matches('/')
        );
        match vf.read_link(&here) {
            Ok(None) => done.push(name),
            Ok(Some(target)) => {
                hops += 1;
                links.push(format!("{here} -> {target}"));
                if hops > MAX_HOPS {
                    return Err(InitState::NotExecutable {
                        resolved: here,
                        why: format!("more than {MAX_HOPS} symlinks (a loop)"),
                    });
                }
                if target.starts_with('/') {
                    done.clear();
                }
                todo.extend(components(&target).into_iter().rev().map(String::from));
            }
            Err(FileError::NotFound(_)) => return Err(InitState::Missing { ended: here }),
            Err(FileError::NotADirectory(_)) => {
                return Err(InitState::Missing {
                    ended: format!("{here} (a parent is not a directory)"),
                });
            }
            Err(e) => {
                return Err(InitState::Unknown {
                    why: format!("{here}: {e}"),
                });
            }
        }
    }
    Ok(format!("/{}", done.join("/")))
}

/// The first bytes of a regular file.
fn head(vf: &dyn VolumeFiles, resolved: &str) -> Result<Vec<u8>, InitState> {
    let unknown = |e: FileError| InitState::Unknown {
        why: format!("{resolved}: {e}"),
    };
    let stat = vf.stat(resolved).map_err(unknown)?;
    if stat.kind != FileKind::File {
        return Err(InitState::NotExecutable {
            resolved: resolved.to_string(),
            why: format!("it is a {:?}, not a file", stat.kind).to_lowercase(),
        });
    }
    let mut buf = Vec::with_capacity(HEAD_BYTES);
    vf.open(resolved)
        .map_err(unknown)?
        .take(HEAD_BYTES as u64)
        .read_to_end(&mut buf)
        .map_err(|e| InitState::Unknown {
            why: format!("{resolved}: {e}"),
        })?;
    Ok(buf)
}

/// What the kernel's binfmt handlers make of the first bytes, on x86_64.
fn classify(vf: &dyn VolumeFiles, resolved: String, bytes: &[u8]) -> InitState {
    let not = |why: String| InitState::NotExecutable {
        resolved: resolved.clone(),
        why,
    };
    if bytes.starts_with(b"\x7fELF") {
        if bytes.len() < 20 {
            return not("a truncated ELF header".into());
        }
        let class = bytes[4];
        let machine = if bytes[5] == 2 {
            u16::from_be_bytes([bytes[18], bytes[19]])
        } else {
            u16::from_le_bytes([bytes[18], bytes[19]])
        };
        return match (class, machine) {
            (2, 62) => InitState::Executable {
                resolved,
                kind: "ELF 64-bit x86-64".into(),
                note: None,
            },
            (1, 3) => InitState::Executable {
                resolved,
                kind: "ELF 32-bit i386".into(),
                note: Some(
                    "a 32-bit init runs on a 64-bit kernel only with CONFIG_IA32_EMULATION".into(),
                ),
            },
            _ => not(format!(
                "an ELF for another machine (class {class}, e_machine {machine}); this is an x86_64 machine"
            )),
        };
    }
    if let Some(line) = bytes.strip_prefix(b"#!") {
        let line = line.split(|&b| b == b'\n').next().unwrap_or_default();
        let line = String::from_utf8_lossy(line);
        let Some(interpreter) = line.split_whitespace().next() else {
            return not("a #! line that names no interpreter".into());
        };
        let mut links = Vec::new();
        return match follow(vf, interpreter, &mut links) {
            Ok(_) => InitState::Executable {
                resolved,
                kind: format!("script run by {interpreter}"),
                note: None,
            },
            Err(InitState::Missing { ended }) => not(format!(
                "a script whose interpreter {interpreter} is not there (lookup ended at {ended})"
            )),
            Err(InitState::Unknown { why }) => InitState::Unknown { why },
            Err(_) => not(format!(
                "a script whose interpreter {interpreter} cannot run"
            )),
        };
    }
    not("neither an ELF executable nor a #! script (exec fails with ENOEXEC)".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::fs::live::LiveVolume;

    #[test]
    fn absolute_links_resolve_inside_the_filesystem_and_dangling_ones_say_where() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("sbin")).unwrap();
        std::fs::create_dir_all(root.join("lib/systemd")).unwrap();
        std::os::unix::fs::symlink("/lib/systemd/systemd", root.join("sbin/init")).unwrap();
        std::os::unix::fs::symlink("../sbin/init", root.join("sbin/../lib/relinit")).unwrap();
        let vf = LiveVolume::new(&root.display().to_string());
        let fact = init_fact(&vf, "/sbin/init");
        assert_eq!(
            fact.state,
            InitState::Missing {
                ended: "/lib/systemd/systemd".into()
            }
        );
        assert_eq!(fact.links, vec!["/sbin/init -> /lib/systemd/systemd"]);
        std::fs::copy("/bin/true", root.join("lib/systemd/systemd")).unwrap();
        let fact = init_fact(&vf, "/lib/relinit");
        assert_eq!(fact.links.len(), 2);
        assert!(fact.runs(), "{fact:?}");
        std::fs::write(root.join("lib/script"), "#!/bin/sh\n").unwrap();
        let fact = init_fact(&vf, "/lib/script");
        assert!(
            matches!(fact.state, InitState::NotExecutable { .. }),
            "{fact:?}"
        );
    }
}
