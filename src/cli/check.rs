//! `bootvet check`: follows every entry down the chain — config, device, kernel,
//! initrd, root — on the live system or on disk images, and says which link
//! breaks, what GRUB or the kernel will print, and how to fix it.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use super::entries::{FlavourArg, PlatformArg};
use crate::check::{self, verdict};
use crate::facts::storage::{Source, Storage};
use crate::facts::volumes::{VolumeRef, volumes};
use crate::facts::{BootFacts, ConfigOrigin};
use crate::menu::{self, Flavour, Options, Platform};
use crate::probe::disk_files::{DiskFiles, detect_platform, find_config};
use crate::probe::gather::{self, GatherOptions};
use crate::probe::host::{self, HostOptions};
use crate::probe::{self, boot_facts_file};
use crate::report::check::{TextOptions, render_json, render_text};
use crate::report::prometheus;

pub const EXIT_STATUS_HELP: &str = "\
Exit status of check:
  0  every entry passes (warnings allowed; --strict makes them fail)
  1  some entry will fail, but the entry that boots next passes
  2  bootvet could not do its job (bad usage, unreadable config or image)
  3  the entry that boots next will fail: do not reboot";

#[derive(Debug, Args)]
#[command(after_help = EXIT_STATUS_HELP)]
pub struct CheckArgs {
    /// grub.cfg to check [default: the one GRUB reads on the disks]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Raw disk image to check instead of the live system; repeat in the
    /// firmware's disk order (the first is hd0).
    #[arg(long = "image", value_name = "FILE")]
    pub images: Vec<PathBuf>,

    /// A directory standing for the filesystem GRUB reads (e.g. a copy of /boot):
    /// kernels, initrds and sourced files are read from it.
    #[arg(long, value_name = "DIR", conflicts_with = "images")]
    pub boot_dir: Option<PathBuf>,

    /// GRUB's platform ($grub_platform) [default: detected]
    #[arg(long, value_enum)]
    pub platform: Option<PlatformArg>,

    /// How `default` is matched (Fedora/RHEL builds differ from upstream).
    #[arg(long, value_enum, default_value_t = FlavourArg::Upstream)]
    pub grub_flavour: FlavourArg,

    /// Only these entries: an index path (`1>0`), a title or an id; repeatable.
    #[arg(long = "entry", value_name = "SEL")]
    pub entries: Vec<String>,

    /// Decompress every initrd to its end, and read every sector of every
    /// kernel and initrd raw from the disk (O_DIRECT on block devices); on the
    /// live system also compare those bytes with the mounted files'.
    #[arg(long)]
    pub deep: bool,

    /// The root disk's storage driver(s), as sysfs names them (`nvme`, `ahci`,
    /// `virtio_blk`, `sd`, `usb-storage`, `mmc`…); comma-separated, all needed.
    /// [default: sysfs on the live system; for images any of virtio_blk, ahci, nvme]
    #[arg(long, value_name = "DRIVERS", value_delimiter = ',')]
    pub root_bus: Vec<String>,

    /// Highest byte the pc firmware can read: 2T (32-bit LBA) by default; 8G for
    /// CHS-only firmware, 137GB for 28-bit LBA. K/M/G/T are powers of 1024, KB/MB/GB/TB of 1000.
    #[arg(long, value_name = "SIZE", value_parser = crate::probe::host::parse_size)]
    pub bios_lba_limit: Option<u64>,

    /// Memory of the machine the images will boot on (live: /proc/meminfo).
    #[arg(long, value_name = "SIZE", value_parser = crate::probe::host::parse_size)]
    pub memory: Option<u64>,

    /// Print one JSON document (schema `bootvet.check/1`).
    #[arg(long)]
    pub json: bool,

    /// Print only the findings.
    #[arg(long, short)]
    pub quiet: bool,

    /// Warnings fail too (exit 1 or 3).
    #[arg(long)]
    pub strict: bool,

    /// Also write the verdict as Prometheus metrics (node_exporter textfile
    /// collector format) to FILE, atomically; written on exit 2 too.
    #[arg(long, value_name = "FILE")]
    pub prometheus: Option<PathBuf>,

    /// Also write everything the checks read about this machine to FILE (JSON,
    /// schema `bootvet.check-facts/1`), to check it elsewhere with --facts.
    #[arg(long, value_name = "FILE")]
    pub dump_facts: Option<PathBuf>,

    /// Check the machine captured in FILE by --dump-facts instead of reading
    /// disks (the flags that choose what to read applied when it was captured).
    #[arg(long, value_name = "FILE", conflicts_with_all = [
        "config", "images", "boot_dir", "platform", "grub_flavour", "deep",
        "root_bus", "bios_lba_limit", "memory", "dump_facts",
    ])]
    pub facts: Option<PathBuf>,
}

pub fn run(args: &CheckArgs) -> u8 {
    match check(args) {
        Ok(status) => status,
        Err(message) => {
            eprintln!("bootvet: {message}");
            if let Some(path) = &args.prometheus {
                let config = args
                    .config
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                let run = prometheus::RunInfo {
                    timestamp: now(),
                    config: &config,
                };
                write_metrics(path, &prometheus::render_trouble(&run, &message));
            }
            verdict::exit::TROUBLE
        }
    }
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// A metrics file that cannot be written is trouble of its own, said on stderr;
/// the verdict on stdout and the exit status stay those of the check.
fn write_metrics(path: &Path, text: &str) -> bool {
    match crate::atomic::write(path, text.as_bytes()) {
        Ok(()) => true,
        Err(e) => {
            eprintln!("bootvet: cannot write metrics to {}: {e}", path.display());
            false
        }
    }
}

fn check(args: &CheckArgs) -> Result<u8, String> {
    if let Some(path) = &args.facts {
        let facts = boot_facts_file::load(path).map_err(|e| e.to_string())?;
        return report(args, &facts);
    }
    if let Some(dir) = &args.boot_dir {
        return check_boot_dir(args, dir);
    }
    let disks: Storage = if args.images.is_empty() {
        probe::live::probe_live()
    } else {
        probe::probe_images(&args.images).map_err(|e| e.to_string())?
    };
    let live = args.images.is_empty();
    let files_for_platform = DiskFiles::new(&disks, None);
    let platform = match args.platform {
        Some(PlatformArg::Pc) => Platform::Pc,
        Some(PlatformArg::Efi) => Platform::Efi,
        None if live => {
            if Path::new("/sys/firmware/efi").exists() {
                Platform::Efi
            } else {
                Platform::Pc
            }
        }
        None => detect_platform(&files_for_platform),
    };

    let (config_bytes, origin, prefix_volume, prefix_dir) = match &args.config {
        Some(path) => {
            let bytes =
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let volume = if live {
                live_volume_of(&disks, path)
            } else {
                None
            };
            let found = if volume.is_none() {
                find_config(&files_for_platform, platform)
            } else {
                None
            };
            let volume = volume.or(found.map(|(v, _)| v));
            let dir = guessed_prefix(path);
            (
                bytes,
                ConfigOrigin {
                    path: path.display().to_string(),
                    volume: volume.clone(),
                },
                volume,
                dir,
            )
        }
        None if live => {
            let path = ["/boot/grub/grub.cfg", "/boot/grub2/grub.cfg"]
                .into_iter()
                .map(PathBuf::from)
                .find(|p| p.is_file())
                .ok_or_else(no_grub_message)?;
            let bytes =
                std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let volume = live_volume_of(&disks, &path);
            let dir = guessed_prefix(&path);
            (
                bytes,
                ConfigOrigin {
                    path: path.display().to_string(),
                    volume: volume.clone(),
                },
                volume,
                dir,
            )
        }
        None => {
            let (volume, path) = find_config(&files_for_platform, platform).ok_or_else(|| {
                format!(
                    "no grub.cfg on {} (looked for /boot/grub/grub.cfg, /grub/grub.cfg, /boot/grub2/grub.cfg, /grub2/grub.cfg{}); pass --config FILE",
                    args.images.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "),
                    if platform == Platform::Efi { ", /EFI/*/grub.cfg" } else { "" }
                )
            })?;
            let vf = files_for_platform.volume(&volume)?;
            let mut bytes = Vec::new();
            vf.open(&path)
                .map_err(|e| e.to_string())?
                .take(menu::files::MAX_FILE_BYTES)
                .read_to_end(&mut bytes)
                .map_err(|e| e.to_string())?;
            let dir = path
                .rsplit_once('/')
                .map(|(d, _)| d.to_string())
                .unwrap_or_default();
            let shown = format!("({}){path}", volume.name);
            (
                bytes,
                ConfigOrigin {
                    path: shown,
                    volume: Some(volume.clone()),
                },
                Some(volume),
                dir,
            )
        }
    };
    drop(files_for_platform);

    let files = DiskFiles::new(&disks, prefix_volume);
    run_chain(args, &files, platform, origin, &config_bytes, prefix_dir)
}

/// `--boot-dir DIR`: the config and every file GRUB names come from DIR; with no
/// disks to look at, `root=` stays unverified.
fn check_boot_dir(args: &CheckArgs, dir: &Path) -> Result<u8, String> {
    if !dir.is_dir() {
        return Err(format!("--boot-dir {}: not a directory", dir.display()));
    }
    let config = match &args.config {
        Some(path) => path.clone(),
        None => ["grub/grub.cfg", "grub2/grub.cfg", "boot/grub/grub.cfg"]
            .into_iter()
            .map(|p| dir.join(p))
            .find(|p| p.is_file())
            .ok_or_else(|| format!("no grub/grub.cfg in {}; pass --config FILE", dir.display()))?,
    };
    let bytes =
        std::fs::read(&config).map_err(|e| format!("cannot read {}: {e}", config.display()))?;
    let prefix_dir = std::fs::canonicalize(&config)
        .ok()
        .zip(std::fs::canonicalize(dir).ok())
        .and_then(|(c, d)| Some(format!("/{}", c.parent()?.strip_prefix(d).ok()?.display())))
        .unwrap_or_else(|| guessed_prefix(&config));
    let platform = match args.platform {
        Some(PlatformArg::Efi) => Platform::Efi,
        _ => Platform::Pc,
    };
    let disks = Storage::new(Source::Images);
    let dir_text = dir.display().to_string();
    let files = DiskFiles::with_boot_dir(&disks, &dir_text);
    let origin = ConfigOrigin {
        path: config.display().to_string(),
        volume: None,
    };
    run_chain(args, &files, platform, origin, &bytes, prefix_dir)
}

fn run_chain(
    args: &CheckArgs,
    files: &DiskFiles<'_>,
    platform: Platform,
    origin: ConfigOrigin,
    config_bytes: &[u8],
    prefix_dir: String,
) -> Result<u8, String> {
    let options = Options {
        platform,
        flavour: match args.grub_flavour {
            FlavourArg::Upstream => Flavour::Upstream,
            FlavourArg::Fedora => Flavour::Fedora,
        },
        prefix: prefix_dir,
        config_name: origin.path.clone(),
    };
    let menu = menu::evaluate(config_bytes, &options, files);
    let mut facts = gather::gather(
        menu,
        files,
        platform,
        origin,
        GatherOptions {
            deep: args.deep,
            root_bus: args.root_bus.clone(),
        },
    );
    host::gather_host(
        &mut facts,
        files,
        HostOptions {
            bios_lba_limit: args.bios_lba_limit,
            memory: args.memory,
            modules_budget: None,
            raw_reads: args.deep,
        },
    );
    // Benches time the costly steps apart (benches/sectors.sh).
    if std::env::var_os("BOOTVET_TIMINGS").is_some_and(|v| v == "1") {
        for t in &facts.host.timings {
            eprintln!(
                "bootvet timing: {}: {:.1} ms, {} {}",
                t.step,
                t.took.as_secs_f64() * 1000.0,
                t.amount,
                t.unit
            );
        }
    }
    if let Some(path) = &args.dump_facts {
        boot_facts_file::dump(&facts, path).map_err(|e| e.to_string())?;
    }
    report(args, &facts)
}

/// Runs the checks over gathered (or replayed) facts and says the verdict.
fn report(args: &CheckArgs, facts: &BootFacts) -> Result<u8, String> {
    let findings = check::run(facts);
    let mut report = check::evaluate(facts, findings, args.strict);
    if !args.entries.is_empty() {
        select_entries(facts, &mut report, &args.entries, args.strict);
    }

    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let text = if args.json {
        render_json(facts, &report)
    } else {
        render_text(facts, &report, &TextOptions { quiet: args.quiet })
    };
    let _ = writeln!(out, "{}", text.trim_end());
    let _ = out.flush();
    if let Some(path) = &args.prometheus {
        let run = prometheus::RunInfo {
            timestamp: now(),
            config: &facts.config.path,
        };
        if !write_metrics(path, &prometheus::render(&report, &run)) {
            return Ok(verdict::exit::TROUBLE.max(report.exit_status));
        }
    }
    Ok(report.exit_status)
}

use std::io::Read;

fn no_grub_message() -> String {
    "no GRUB configuration on this machine (looked for /boot/grub/grub.cfg and /boot/grub2/grub.cfg); \
     pass --config FILE, or check a disk image with --image FILE — for a demonstration, the bundled \
     story: fixtures/scenarios/build.sh target/scenarios seed && bootvet check --image target/scenarios/seed.img"
        .to_string()
}

/// The volume whose mount point holds `path` on the live system.
fn live_volume_of(disks: &Storage, path: &Path) -> Option<VolumeRef> {
    let path = std::fs::canonicalize(path).ok()?;
    let mut best: Option<(usize, VolumeRef)> = None;
    for (volume, partition, _) in volumes(disks) {
        let mounts = match partition {
            Some(p) => p.mountpoints.clone(),
            None => disks
                .disks
                .get(volume.disk)
                .map(|d| d.mountpoints.clone())
                .unwrap_or_default(),
        };
        for mount in mounts {
            if path.starts_with(&mount) && best.as_ref().is_none_or(|(len, _)| mount.len() > *len) {
                best = Some((mount.len(), volume.clone()));
            }
        }
    }
    best.map(|(_, v)| v)
}

/// `$prefix`'s directory for a config named on the command line.
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

/// Keeps only the entries `--entry` names; the exit status follows them.
fn select_entries(
    facts: &BootFacts,
    report: &mut verdict::Report,
    wanted: &[String],
    strict: bool,
) {
    let keep = |e: &verdict::EntryVerdict| {
        wanted.iter().any(|w| {
            *w == e.entry.path || *w == e.entry.title || e.entry.id.as_deref() == Some(w.as_str())
        })
    };
    let kept: Vec<String> = report
        .entries
        .iter()
        .filter(|e| keep(e))
        .map(|e| e.entry.path.clone())
        .collect();
    let findings: Vec<check::Finding> = report
        .findings
        .iter()
        .filter(|f| f.entry.as_ref().is_none_or(|e| kept.contains(&e.path)))
        .cloned()
        .collect();
    let mut selected = check::evaluate(facts, findings, strict);
    selected.entries.retain(|e| kept.contains(&e.entry.path));
    selected.next = selected.entries.iter().position(|e| e.boots_next);
    *report = selected;
}
