//! Distribution hooks: the texts of the small scripts that run `bootvet check`
//! where each distribution already runs code when kernels, initrds or grub.cfg
//! change, and installing, removing and reporting them under a root directory.
//!
//! Owns only the files in `HOOKS`. It must never write, replace or remove any
//! other file: a file at a hook's path that does not carry bootvet's marker line
//! is left alone and reported. It never touches disks or images.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The line that makes a file bootvet's own (second line of every hook file).
pub const MARKER: &str = "# bootvet-hook: ";

/// Where hooks are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    /// Debian, Ubuntu: /etc/kernel/post{inst,rm}.d, initramfs-tools.
    Debian,
    /// Fedora, RHEL, and systemd's kernel-install anywhere.
    KernelInstall,
    /// Arch Linux: a pacman hook.
    Arch,
    /// The opt-in `bootvet-reboot` wrapper.
    RebootGuard,
}

impl Family {
    pub fn name(self) -> &'static str {
        match self {
            Family::Debian => "debian",
            Family::KernelInstall => "kernel-install",
            Family::Arch => "arch",
            Family::RebootGuard => "reboot-guard",
        }
    }
}

/// One file bootvet installs.
#[derive(Clone, Copy, Debug)]
pub struct Hook {
    /// Short name, written after `MARKER` in the file.
    pub name: &'static str,
    pub family: Family,
    /// Path below the root, without the leading `/`.
    pub path: &'static str,
    pub mode: u32,
    /// Directories (below the root) that uninstall removes when they are left
    /// empty: only ones no distribution package ships, deepest first.
    pub prune: &'static [&'static str],
    body: Body,
}

#[derive(Clone, Copy, Debug)]
enum Body {
    /// `#!/bin/sh`, the marker, the shared functions, then this text.
    Shell(&'static str),
    /// The text as it is (it carries the marker itself).
    Plain(&'static str),
}

const COMMON: &str = include_str!("scripts/common.sh");
const DEBIAN_KERNEL: &str = include_str!("scripts/debian-kernel.sh");

pub const HOOKS: &[Hook] = &[
    Hook {
        name: "debian-postinst",
        family: Family::Debian,
        path: "etc/kernel/postinst.d/zz-zz-bootvet",
        mode: 0o755,
        prune: &[],
        body: Body::Shell(DEBIAN_KERNEL),
    },
    Hook {
        name: "debian-postrm",
        family: Family::Debian,
        path: "etc/kernel/postrm.d/zz-zz-bootvet",
        mode: 0o755,
        prune: &[],
        body: Body::Shell(DEBIAN_KERNEL),
    },
    Hook {
        name: "debian-initramfs",
        family: Family::Debian,
        path: "etc/initramfs/post-update.d/bootvet",
        mode: 0o755,
        prune: &[],
        body: Body::Shell(include_str!("scripts/debian-initramfs.sh")),
    },
    Hook {
        name: "kernel-install",
        family: Family::KernelInstall,
        path: "etc/kernel/install.d/99-zz-bootvet.install",
        mode: 0o755,
        prune: &["etc/kernel/install.d"],
        body: Body::Shell(include_str!("scripts/kernel-install.sh")),
    },
    Hook {
        name: "pacman",
        family: Family::Arch,
        path: "etc/pacman.d/hooks/zz-bootvet.hook",
        mode: 0o644,
        prune: &["etc/pacman.d/hooks"],
        body: Body::Plain(include_str!("scripts/pacman.hook")),
    },
    Hook {
        name: "pacman-script",
        family: Family::Arch,
        path: "etc/pacman.d/scripts/zz-bootvet",
        mode: 0o755,
        prune: &["etc/pacman.d/scripts"],
        body: Body::Shell(include_str!("scripts/pacman.sh")),
    },
    Hook {
        name: "reboot-guard",
        family: Family::RebootGuard,
        path: "usr/local/sbin/bootvet-reboot",
        mode: 0o755,
        prune: &[],
        body: Body::Shell(include_str!("scripts/reboot-guard.sh")),
    },
];

impl Hook {
    /// The exact bytes installed.
    pub fn text(&self) -> String {
        match self.body {
            Body::Plain(text) => text.to_string(),
            Body::Shell(body) => {
                let action = if self.path.contains("postrm.d") {
                    "removing"
                } else {
                    "installing"
                };
                format!(
                    "#!/bin/sh\n{MARKER}{}\n# Installed by `bootvet hook install`; removed by `bootvet hook uninstall`.\n\n{COMMON}\n{}",
                    self.name,
                    body.replace("__ACTION__", action)
                )
            }
        }
    }

    pub fn target(&self, root: &Path) -> PathBuf {
        root.join(self.path)
    }
}

/// Which families an installed system wants, from `ROOT/etc/os-release`
/// (`ID` and `ID_LIKE`). Empty when it cannot tell.
pub fn detect(root: &Path) -> Vec<Family> {
    let bytes = read_bounded(&root.join("etc/os-release"))
        .or_else(|_| read_bounded(&root.join("usr/lib/os-release")))
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let mut ids = Vec::new();
    for line in text.lines() {
        if let Some((key, value)) = line.split_once('=')
            && (key == "ID" || key == "ID_LIKE")
        {
            ids.extend(
                value
                    .trim_matches(|c| c == '"' || c == '\'')
                    .split_whitespace()
                    .map(str::to_string),
            );
        }
    }
    let mut families = Vec::new();
    for id in ids {
        let family = match id.as_str() {
            "debian" | "ubuntu" => Family::Debian,
            "fedora" | "rhel" | "centos" => Family::KernelInstall,
            "arch" => Family::Arch,
            _ => continue,
        };
        if !families.contains(&family) {
            families.push(family);
        }
    }
    families
}

/// What is at a hook's path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Absent,
    /// bootvet's file, byte for byte what this version installs.
    Current,
    /// bootvet's file from another version, or edited by hand.
    Outdated,
    /// Someone else's file: never touched.
    Foreign,
}

/// An image tree may hold anything at these paths: reads stop at 1 MiB, far
/// beyond any hook or os-release (a longer file is then simply not ours).
fn read_bounded(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    fs::File::open(path)?
        .take(1 << 20)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

pub fn state(hook: &Hook, root: &Path) -> io::Result<State> {
    let path = hook.target(root);
    match fs::symlink_metadata(&path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(State::Absent),
        Err(e) => return Err(e),
        // A symlink, directory or FIFO there was put by someone else (and a FIFO
        // would block the read).
        Ok(meta) if !meta.file_type().is_file() => return Ok(State::Foreign),
        Ok(_) => {}
    }
    let bytes = match read_bounded(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(State::Absent),
        Err(e) => return Err(e),
    };
    if !is_ours(&bytes, hook) {
        return Ok(State::Foreign);
    }
    let mode = fs::metadata(&path)?.permissions().mode() & 0o7777;
    Ok(if bytes == hook.text().as_bytes() && mode == hook.mode {
        State::Current
    } else {
        State::Outdated
    })
}

fn is_ours(bytes: &[u8], hook: &Hook) -> bool {
    let wanted = format!("{MARKER}{}", hook.name);
    bytes
        .split(|b| *b == b'\n')
        .take(3)
        .any(|line| line == wanted.as_bytes())
}

/// What install or uninstall did to one hook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Written,
    Unchanged,
    Removed,
    NotThere,
    /// A foreign file is in the way; nothing was done.
    LeftForeign,
}

/// Installs one hook: writes it (atomically, with its mode) unless the same
/// bytes are there already; creates missing parent directories.
pub fn install(hook: &Hook, root: &Path) -> io::Result<Outcome> {
    match state(hook, root)? {
        State::Current => return Ok(Outcome::Unchanged),
        State::Foreign => return Ok(Outcome::LeftForeign),
        State::Absent | State::Outdated => {}
    }
    let path = hook.target(root);
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    crate::atomic::write_with_mode(&path, hook.text().as_bytes(), hook.mode)?;
    Ok(Outcome::Written)
}

/// Removes one hook if it is bootvet's, then the directories only bootvet uses
/// when they are left empty.
pub fn uninstall(hook: &Hook, root: &Path) -> io::Result<Outcome> {
    let outcome = match state(hook, root)? {
        State::Absent => Outcome::NotThere,
        State::Foreign => return Ok(Outcome::LeftForeign),
        State::Current | State::Outdated => {
            fs::remove_file(hook.target(root))?;
            Outcome::Removed
        }
    };
    for dir in hook.prune {
        // Fails when not empty or not there: both mean "leave it".
        let _ = fs::remove_dir(root.join(dir));
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_hook_carries_its_marker_on_an_early_line() {
        for hook in HOOKS {
            assert!(is_ours(hook.text().as_bytes(), hook), "{}", hook.name);
        }
    }

    #[test]
    fn debian_kernel_hooks_run_after_zz_update_grub_in_c_order() {
        for hook in HOOKS.iter().filter(|h| h.path.contains("/post")) {
            let name = hook.path.rsplit('/').next().unwrap_or_default();
            if hook.path.starts_with("etc/kernel/") {
                assert!(name > "zz-update-grub", "{name}");
            }
        }
    }

    #[test]
    fn kernel_install_plugin_runs_after_loaderentry_and_grub_mkconfig() {
        let plugin = HOOKS
            .iter()
            .find(|h| h.family == Family::KernelInstall)
            .and_then(|h| h.path.rsplit('/').next())
            .unwrap();
        for earlier in ["90-loaderentry.install", "99-grub-mkconfig.install"] {
            assert!(plugin > earlier, "{plugin} must sort after {earlier}");
        }
    }

    #[test]
    fn a_symlink_or_directory_at_a_hook_path_is_foreign() {
        let dir = tempfile::tempdir().unwrap();
        let hook = &HOOKS[0];
        let path = hook.target(dir.path());
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink("/bin/true", &path).unwrap();
        assert_eq!(state(hook, dir.path()).unwrap(), State::Foreign);
        assert_eq!(install(hook, dir.path()).unwrap(), Outcome::LeftForeign);
        assert_eq!(uninstall(hook, dir.path()).unwrap(), Outcome::LeftForeign);
        assert!(
            fs::symlink_metadata(&path)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        fs::remove_file(&path).unwrap();
        fs::create_dir(&path).unwrap();
        assert_eq!(state(hook, dir.path()).unwrap(), State::Foreign);
    }

    #[test]
    fn os_release_id_like_picks_the_family() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("etc")).unwrap();
        fs::write(
            dir.path().join("etc/os-release"),
            "NAME=\"Rocky\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n",
        )
        .unwrap();
        assert_eq!(detect(dir.path()), vec![Family::KernelInstall]);
        fs::write(
            dir.path().join("etc/os-release"),
            "ID=ubuntu\nID_LIKE=debian\n",
        )
        .unwrap();
        assert_eq!(detect(dir.path()), vec![Family::Debian]);
    }
}
