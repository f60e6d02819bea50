//! `bootvet entries`: runs grub.cfg as GRUB would and shows the menu — every
//! entry with what it loads from where, and the entry that boots next.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::exit;
use crate::menu::flavour::Vendor;
use crate::menu::{self, FileSource, Menu, Platform};
use crate::probe::plan::{self, Plan, Target};

/// Version of the `entries --json` document; bumped on any incompatible change.
pub const ENTRIES_JSON_SCHEMA: &str = "bootvet.entries/1";

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PlatformArg {
    Pc,
    Efi,
}

impl PlatformArg {
    pub fn platform(self) -> Platform {
        match self {
            PlatformArg::Pc => Platform::Pc,
            PlatformArg::Efi => Platform::Efi,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FlavourArg {
    /// From the installed GRUB: the image's `.sbat`, the modules' version, a
    /// /boot/grub2 layout, else /etc/os-release; nothing found: upstream.
    Auto,
    /// GNU GRUB as released: `default` as a number, then title, then id.
    Upstream,
    /// Debian's and Ubuntu's build (upstream's script rules, their commands).
    Debian,
    /// Red Hat's build (Fedora, RHEL, CentOS): submenus see every variable,
    /// `\xHH` passes through, `default` by id first, `blscfg`.
    Redhat,
    /// The same as `redhat`.
    Fedora,
}

impl FlavourArg {
    /// The build the flag names; `None` for `auto`.
    pub fn vendor(self) -> Option<Vendor> {
        match self {
            FlavourArg::Auto => None,
            FlavourArg::Upstream => Some(Vendor::Upstream),
            FlavourArg::Debian => Some(Vendor::Debian),
            FlavourArg::Redhat | FlavourArg::Fedora => Some(Vendor::RedHat),
        }
    }
}

#[derive(Debug, Args)]
pub struct EntriesArgs {
    /// grub.cfg to run [default: the one GRUB reads, as `check` finds it: live the
    /// first of /boot/grub/grub.cfg, /boot/grub2/grub.cfg, /boot/efi/EFI/*/grub.cfg]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// A directory standing for the filesystem GRUB's $root points at (e.g. a
    /// copy of /boot): sourced files, grubenv and BLS snippets are read from it.
    #[arg(long, value_name = "DIR", conflicts_with = "images")]
    pub boot_dir: Option<PathBuf>,

    /// Raw disk image to read instead of the live system; repeat in the
    /// firmware's disk order (the first is hd0). Files are read from the images.
    #[arg(long = "image", value_name = "FILE")]
    pub images: Vec<PathBuf>,

    /// GRUB's platform ($grub_platform) [default: detected: efi if --boot-dir or
    /// an image's ESP holds EFI/*/grub*.efi or shim*.efi; live, if /sys/firmware/efi exists]
    #[arg(long, value_enum)]
    pub platform: Option<PlatformArg>,

    /// Whose GRUB runs grub.cfg: Red Hat's build differs from upstream in
    /// submenu variables, `\xHH`, `default` matching and its commands.
    #[arg(long, value_enum, default_value_t = FlavourArg::Auto)]
    pub grub_flavour: FlavourArg,

    /// The installed GRUB's version (`2.06`, `2.12-9+deb13u4`) [default: read
    /// from its image or modules]: commands and options newer than it fail.
    #[arg(long, value_name = "VERSION")]
    pub grub_version: Option<String>,

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

pub fn run(args: &EntriesArgs) -> u8 {
    // The same discovery as `check`: one machine, one menu.
    let system = match plan::discover(&plan_of(args)) {
        Ok(system) => system,
        Err(message) => {
            eprintln!("bootvet: {message}");
            return exit::TROUBLE;
        }
    };
    let files = system.files();
    let build = plan::grub_build(&plan_of(args), &system, &files, None);
    let menu = menu::evaluate(&system.config_bytes, &system.menu_options(&build), &files);
    let name = system.config.path.clone();
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

/// What the flags ask `probe` to look at (only what the menu needs).
fn plan_of(args: &EntriesArgs) -> Plan {
    menu_plan(
        args.config.as_ref(),
        args.boot_dir.as_ref(),
        &args.images,
        args.platform,
        args.grub_flavour,
        args.grub_version.as_deref(),
    )
}

/// The part of a plan that decides the menu, from the flags `entries` and `check`
/// share: one function, so that both read the same machine the same way.
pub fn menu_plan(
    config: Option<&PathBuf>,
    boot_dir: Option<&PathBuf>,
    images: &[PathBuf],
    platform: Option<PlatformArg>,
    flavour: FlavourArg,
    grub_version: Option<&str>,
) -> Plan {
    let target = match boot_dir {
        Some(dir) => Target::BootDir(dir.clone()),
        None if images.is_empty() => Target::Live,
        None => Target::Images(images.to_vec()),
    };
    Plan {
        config: config.cloned(),
        platform: platform.map(PlatformArg::platform),
        vendor: flavour.vendor(),
        grub_version: grub_version.map(str::to_string),
        ..Plan::new(target)
    }
}
