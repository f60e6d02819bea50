//! `bootvet entries`: runs grub.cfg as GRUB would and shows the menu — every
//! entry with what it loads from where, and the entry that boots next.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::exit;
use crate::menu::{self, FileSource, Flavour, Menu, NoFiles, Options, Platform};
use crate::probe::boot_dir::BootDir;
use crate::probe::live_files::{LiveFiles, mount_point_of};

/// Version of the `entries --json` document; bumped on any incompatible change.
pub const ENTRIES_JSON_SCHEMA: &str = "bootvet.entries/1";

/// Where GRUB installs keep grub.cfg, tried in order when `--config` is absent.
const DEFAULT_CONFIGS: &[&str] = &["/boot/grub/grub.cfg", "/boot/grub2/grub.cfg"];

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PlatformArg {
    Pc,
    Efi,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FlavourArg {
    /// GNU GRUB: `default` as a number, then title, then id.
    Upstream,
    /// Fedora/RHEL's GRUB build: id first, then title, then number.
    Fedora,
}

#[derive(Debug, Args)]
pub struct EntriesArgs {
    /// grub.cfg to run [default: first of /boot/grub/grub.cfg, /boot/grub2/grub.cfg,
    /// /boot/efi/EFI/*/grub.cfg]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// A directory standing for the filesystem GRUB's $root points at (e.g. a
    /// copy of /boot): sourced files, grubenv and BLS snippets are read from it.
    #[arg(long, value_name = "DIR")]
    pub boot_dir: Option<PathBuf>,

    /// GRUB's platform ($grub_platform) [default: efi if --boot-dir holds
    /// EFI/*/grub*.efi or shim*.efi, else if /sys/firmware/efi exists]
    #[arg(long, value_enum)]
    pub platform: Option<PlatformArg>,

    /// How `default` is matched (Fedora/RHEL builds differ from upstream).
    #[arg(long, value_enum, default_value_t = FlavourArg::Upstream)]
    pub grub_flavour: FlavourArg,

    /// Print the menu as one JSON document (schema `bootvet.entries/1`).
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct JsonDocument<'a> {
    schema: &'static str,
    config: String,
    files_from: String,
    #[serde(flatten)]
    menu: &'a Menu,
}

fn find_default_config() -> Option<PathBuf> {
    for c in DEFAULT_CONFIGS {
        let p = Path::new(c);
        if p.is_file() {
            return Some(p.to_path_buf());
        }
    }
    let mut esp: Vec<PathBuf> = std::fs::read_dir("/boot/efi/EFI")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("grub.cfg"))
        .filter(|p| p.is_file())
        .collect();
    esp.sort();
    esp.into_iter().next()
}

/// An ESP-shaped directory: `EFI/*/grub*.efi` or `EFI/*/shim*.efi` exists, so
/// the GRUB that reads this config is an EFI build.
fn holds_grub_efi_binary(dir: &Path) -> bool {
    let Ok(vendors) = std::fs::read_dir(dir.join("EFI")) else {
        return false;
    };
    vendors.filter_map(|v| v.ok()).take(64).any(|vendor| {
        std::fs::read_dir(vendor.path()).is_ok_and(|files| {
            files.filter_map(|f| f.ok()).take(256).any(|f| {
                let name = f.file_name().to_string_lossy().to_lowercase();
                (name.starts_with("grub") || name.starts_with("shim")) && name.ends_with(".efi")
            })
        })
    })
}

/// `$prefix`'s path for a config GRUB reads from outside any known filesystem
/// root: `/grub`/`/grub2` when the config sits in such a directory.
fn guessed_prefix(config: &Path) -> String {
    match config
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
    {
        Some(name @ ("grub" | "grub2")) => format!("/boot/{name}"),
        _ => "/boot/grub".into(),
    }
}

/// The config's directory as a path inside `root`, when it is inside.
fn prefix_inside(root: &Path, config: &Path) -> Option<String> {
    let root = std::fs::canonicalize(root).ok()?;
    let config = std::fs::canonicalize(config).ok()?;
    let rel = config.parent()?.strip_prefix(&root).ok()?;
    Some(format!("/{}", rel.to_string_lossy()))
}

pub fn run(args: &EntriesArgs) -> u8 {
    let config = match &args.config {
        Some(c) => c.clone(),
        None => match find_default_config() {
            Some(c) => c,
            None => {
                eprintln!(
                    "bootvet: no grub.cfg found (looked for /boot/grub/grub.cfg, /boot/grub2/grub.cfg, /boot/efi/EFI/*/grub.cfg); pass --config FILE"
                );
                return exit::TROUBLE;
            }
        },
    };
    let bytes = match std::fs::read(&config) {
        Ok(b) => b,
        Err(err) => {
            eprintln!("bootvet: cannot read {}: {err}", config.display());
            return exit::TROUBLE;
        }
    };
    let platform = match args.platform {
        Some(PlatformArg::Pc) => Platform::Pc,
        Some(PlatformArg::Efi) => Platform::Efi,
        None if args.boot_dir.as_deref().is_some_and(holds_grub_efi_binary) => Platform::Efi,
        None if Path::new("/sys/firmware/efi").exists() => Platform::Efi,
        None => Platform::Pc,
    };
    let flavour = match args.grub_flavour {
        FlavourArg::Upstream => Flavour::Upstream,
        FlavourArg::Fedora => Flavour::Fedora,
    };
    let boot_dir;
    let live;
    let (files, prefix): (&dyn FileSource, String) = match &args.boot_dir {
        Some(dir) => {
            if !dir.is_dir() {
                eprintln!("bootvet: --boot-dir {}: not a directory", dir.display());
                return exit::TROUBLE;
            }
            boot_dir = BootDir::new(dir);
            let prefix = prefix_inside(dir, &config).unwrap_or_else(|| guessed_prefix(&config));
            (&boot_dir, prefix)
        }
        None => {
            let on_live_boot = std::fs::canonicalize(&config).is_ok_and(|c| c.starts_with("/boot"));
            if on_live_boot {
                live = LiveFiles::new(&config);
                let mount = mount_point_of(&config).unwrap_or_else(|| PathBuf::from("/"));
                let prefix =
                    prefix_inside(&mount, &config).unwrap_or_else(|| guessed_prefix(&config));
                (&live, prefix)
            } else {
                (&NoFiles, guessed_prefix(&config))
            }
        }
    };
    let name = config.display().to_string();
    let opts = Options {
        platform,
        flavour,
        prefix,
        config_name: name.clone(),
    };
    let menu = menu::evaluate(&bytes, &opts, files);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = if args.json {
        let doc = JsonDocument {
            schema: ENTRIES_JSON_SCHEMA,
            config: name,
            files_from: files.describe(),
            menu: &menu,
        };
        match serde_json::to_string_pretty(&doc) {
            Ok(text) => out.write_all(text.as_bytes()).and_then(|_| writeln!(out)),
            Err(err) => Err(std::io::Error::other(err)),
        }
    } else {
        let mut text = crate::report::entries::render(&menu, &name);
        text.push_str(&format!("\nfiles read from: {}\n", files.describe()));
        out.write_all(text.as_bytes())
    };
    if let Err(err) = written
        && err.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("bootvet: {err}");
        return exit::TROUBLE;
    }
    exit::OK
}
