//! `bootvet hook install|uninstall|status [--root DIR]`: puts the distribution
//! hooks of `crate::hooks` in place, takes them away, and says what is there.
//! Touches only bootvet's own hook files (see `hooks::MARKER`).

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};

use crate::exit;
use crate::hooks::{self, Family, HOOKS, Outcome, State};

pub const HOOK_HELP: &str = "\
Hooks (each runs `bootvet check`, shouts when the next boot would fail, and
always exits 0 so a package transaction never fails because of bootvet):
  debian          /etc/kernel/postinst.d/zz-zz-bootvet, /etc/kernel/postrm.d/zz-zz-bootvet
                  (after zz-update-grub), /etc/initramfs/post-update.d/bootvet
  kernel-install  /etc/kernel/install.d/99-zz-bootvet.install (after 90-loaderentry)
  arch            /etc/pacman.d/hooks/zz-bootvet.hook + /etc/pacman.d/scripts/zz-bootvet
  reboot-guard    /usr/local/sbin/bootvet-reboot: reboots only if the next boot passes
                  (opt-in: --reboot-guard)
Settings: BOOTVET and BOOTVET_CHECK_ARGS in /etc/default/bootvet or the environment.

Exit status: install 0 done, 2 a file could not be written or someone else's
file is in the way; uninstall 0 done (someone else's files are left, with a
note), 2 a file could not be removed; status 0 the hooks are installed and
current, 1 some hook is missing or outdated, 2 trouble.";

#[derive(Debug, Args)]
#[command(after_help = HOOK_HELP)]
pub struct HookArgs {
    #[command(subcommand)]
    pub action: HookAction,
}

#[derive(Debug, Subcommand)]
pub enum HookAction {
    /// Install the hooks for this distribution (idempotent).
    Install(InstallArgs),
    /// Remove the hooks bootvet installed: every one, or with --distro only
    /// those distributions' (and the reboot guard with --reboot-guard).
    Uninstall(UninstallArgs),
    /// Show each hook file and whether it is installed and current.
    Status(InstallArgs),
}

#[derive(Debug, Args)]
pub struct RootArg {
    /// Root of the system to work on (a chroot or image tree).
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    #[command(flatten)]
    pub root: RootArg,

    /// Hooks for these distributions [default: from ROOT/etc/os-release]; repeatable.
    #[arg(long = "distro", value_enum, value_name = "NAME")]
    pub distros: Vec<DistroArg>,

    /// Also the `bootvet-reboot` wrapper, which refuses to reboot when the next boot fails.
    #[arg(long)]
    pub reboot_guard: bool,
}

#[derive(Debug, Args)]
pub struct UninstallArgs {
    #[command(flatten)]
    pub root: RootArg,

    /// Only these distributions' hooks [default: every hook bootvet installed]; repeatable.
    #[arg(long = "distro", value_enum, value_name = "NAME")]
    pub distros: Vec<DistroArg>,

    /// With --distro: the `bootvet-reboot` wrapper too.
    #[arg(long, requires = "distros")]
    pub reboot_guard: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DistroArg {
    /// Debian, Ubuntu and derivatives.
    Debian,
    /// Fedora, RHEL, CentOS, Rocky, Alma (systemd kernel-install).
    Fedora,
    /// Arch Linux (pacman).
    Arch,
}

pub fn run(args: &HookArgs) -> u8 {
    match &args.action {
        HookAction::Install(a) => match families(a) {
            Ok(f) => install(&a.root.root, &f),
            Err(message) => trouble(&message),
        },
        HookAction::Uninstall(a) => {
            let mut only: Vec<Family> = a.distros.iter().map(|d| d.family()).collect();
            if a.reboot_guard {
                only.push(Family::RebootGuard);
            }
            uninstall(&a.root.root, &only)
        }
        HookAction::Status(a) => match families(a) {
            Ok(f) => status(&a.root.root, &f),
            Err(message) => trouble(&message),
        },
    }
}

fn trouble(message: &str) -> u8 {
    eprintln!("bootvet: {message}");
    exit::TROUBLE
}

impl DistroArg {
    fn family(self) -> Family {
        match self {
            DistroArg::Debian => Family::Debian,
            DistroArg::Fedora => Family::KernelInstall,
            DistroArg::Arch => Family::Arch,
        }
    }
}

fn families(args: &InstallArgs) -> Result<Vec<Family>, String> {
    let mut families: Vec<Family> = if args.distros.is_empty() {
        hooks::detect(&args.root.root)
    } else {
        args.distros.iter().map(|d| d.family()).collect()
    };
    if families.is_empty() {
        return Err(format!(
            "cannot tell the distribution from {} (no ID or ID_LIKE bootvet knows); pass --distro debian|fedora|arch",
            args.root.root.join("etc/os-release").display()
        ));
    }
    if args.reboot_guard {
        families.push(Family::RebootGuard);
    }
    families.sort();
    families.dedup();
    Ok(families)
}

fn shown(root: &Path, path: &str) -> String {
    if root == Path::new("/") {
        format!("/{path}")
    } else {
        root.join(path).display().to_string()
    }
}

fn install(root: &Path, families: &[Family]) -> u8 {
    let mut status = exit::OK;
    for hook in HOOKS.iter().filter(|h| families.contains(&h.family)) {
        let path = shown(root, hook.path);
        match hooks::install(hook, root) {
            Ok(Outcome::Written) => say!("installed  {path}"),
            Ok(Outcome::Unchanged) => say!("unchanged  {path}"),
            Ok(Outcome::LeftForeign) => {
                eprintln!(
                    "bootvet: {path} is not bootvet's file (no '{}{}' line): left alone",
                    hooks::MARKER,
                    hook.name
                );
                status = exit::TROUBLE;
            }
            Ok(Outcome::Removed | Outcome::NotThere) => {}
            Err(e) => {
                eprintln!("bootvet: cannot install {path}: {e}");
                status = exit::TROUBLE;
            }
        }
    }
    status
}

/// Removes bootvet's hooks: those of `only`'s families, or all when empty.
fn uninstall(root: &Path, only: &[Family]) -> u8 {
    let mut status = exit::OK;
    for hook in HOOKS
        .iter()
        .filter(|h| only.is_empty() || only.contains(&h.family))
    {
        let path = shown(root, hook.path);
        match hooks::uninstall(hook, root) {
            Ok(Outcome::Removed) => say!("removed    {path}"),
            Ok(Outcome::LeftForeign) => {
                eprintln!("bootvet: {path} is not bootvet's file: left alone");
            }
            Ok(_) => {}
            Err(e) => {
                eprintln!("bootvet: cannot remove {path}: {e}");
                status = exit::TROUBLE;
            }
        }
    }
    status
}

fn status(root: &Path, families: &[Family]) -> u8 {
    let mut status = exit::OK;
    for hook in HOOKS {
        let wanted = families.contains(&hook.family);
        let path = shown(root, hook.path);
        let state = match hooks::state(hook, root) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("bootvet: cannot read {path}: {e}");
                status = exit::TROUBLE;
                continue;
            }
        };
        let text = match state {
            State::Current => "installed",
            State::Outdated => "outdated (run bootvet hook install)",
            State::Absent if wanted => "missing (run bootvet hook install)",
            State::Absent => continue,
            State::Foreign => "someone else's file",
        };
        if wanted && matches!(state, State::Absent | State::Outdated) && status == exit::OK {
            status = exit::FOUND;
        }
        say!("{:<15} {text:<36} {path}", hook.family.name());
    }
    status
}
