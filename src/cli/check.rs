//! `bootvet check`: follows every entry down the chain — config, device, kernel,
//! initrd, root — on the live system or on disk images, and says which link
//! breaks, what GRUB or the kernel will print, and how to fix it.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use super::entries::{FlavourArg, PlatformArg, menu_plan};
use crate::check::{self, verdict};
use crate::exit;
use crate::facts::BootFacts;
use crate::probe::boot_facts_file;
use crate::probe::plan::{self, Plan};
use crate::report::check::{TextOptions, render_json, render_json_trouble, render_text};
use crate::report::prometheus;
use crate::report::wrap;

#[derive(Debug, Clone, Args)]
#[command(after_help = exit::CHECK_HELP)]
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

    /// Whose GRUB runs grub.cfg [default: auto, from the installed GRUB]
    #[arg(long, value_enum, default_value_t = FlavourArg::Auto)]
    pub grub_flavour: FlavourArg,

    /// The installed GRUB's version [default: read from its image or modules]
    #[arg(long, value_name = "VERSION")]
    pub grub_version: Option<String>,

    /// Only these entries: an index path (`1>0`), a title or an id; repeatable.
    #[arg(long = "entry", value_name = "SEL")]
    pub entries: Vec<String>,

    /// Read every sector of every kernel and initrd raw from the disk (O_DIRECT
    /// on block devices), and look for IKCONFIG inside kernels without a
    /// config file; on the live system also compare those bytes with the
    /// mounted files'. (Every initrd is decompressed to its end either way.)
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

    /// UEFI variables of the machine: an edk2/OVMF variable store file
    /// (`OVMF_VARS.fd`) or a directory copied from /sys/firmware/efi/efivars
    /// [default: live: /sys/firmware/efi/efivars; images: none]
    #[arg(long, value_name = "PATH")]
    pub efi_vars: Option<PathBuf>,
    /// Check the Secure Boot chain as if Secure Boot were on or off ("what if"),
    /// whatever the variables say (also on replayed `--facts`)
    /// [default: the UEFI variables: live efivarfs, or unknown for images]
    #[arg(long, value_name = "on|off", value_parser = parse_on_off)]
    pub secure_boot: Option<bool>,

    /// Print one JSON document (schema `bootvet.check/1`).
    #[arg(long)]
    pub json: bool,

    /// Print only the findings.
    #[arg(long, short)]
    pub quiet: bool,

    /// Warnings fail too (exit 1 or 3).
    #[arg(long, overrides_with = "no_strict")]
    pub strict: bool,

    /// Nobody is at the console (servers, fleets): a boot that waits for a
    /// person — the menu with no timeout, a password, `read` — fails (exit 3).
    #[arg(long)]
    pub unattended: bool,

    /// Warnings do not fail, whatever a config file says.
    #[arg(long, overrides_with = "strict")]
    pub no_strict: bool,

    /// Drop the findings of these checks (`BV5009`); repeatable, comma-separated.
    /// Adds to the `ignore` lists of /etc/bootvet.toml and
    /// ~/.config/bootvet/config.toml.
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub ignore: Vec<String>,

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
    /// A directory: every *.json facts file in it, one line per machine and a
    /// summary (JSON schema `bootvet.fleet/1`); the exit status is the worst.
    #[arg(long, value_name = "FILE|DIR", conflicts_with_all = [
        "config", "images", "boot_dir", "platform", "grub_flavour", "grub_version", "deep",
        "root_bus", "bios_lba_limit", "memory", "dump_facts", "efi_vars",
    ])]
    pub facts: Option<PathBuf>,
}

pub fn run(args: &CheckArgs) -> u8 {
    match with_defaults(args).and_then(|args| check(&args)) {
        Ok(status) => status,
        Err(message) => {
            eprintln!("bootvet: {message}");
            if args.json {
                // A consumer of --json reads stdout: it gets a document saying
                // why there is no verdict rather than nothing to parse.
                say!("{}", render_json_trouble(&message));
            }
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
            exit::TROUBLE
        }
    }
}

/// The flags with what the config files add (`cli::config`): the command
/// line wins over the user's file, which wins over the system's.
fn with_defaults(args: &CheckArgs) -> Result<CheckArgs, String> {
    let defaults = super::config::load(&super::config::paths())?;
    let mut args = args.clone();
    let mut ignore = Vec::new();
    for code in &args.ignore {
        let code = super::config::known_code(code).map_err(|e| format!("--ignore: {e}"))?;
        ignore.push(code);
    }
    for code in defaults.ignore {
        if !ignore.contains(&code) {
            ignore.push(code);
        }
    }
    args.ignore = ignore;
    args.strict = args.strict || (!args.no_strict && defaults.strict == Some(true));
    args.memory = args.memory.or(defaults.memory);
    if args.root_bus.is_empty() {
        args.root_bus = defaults.root_bus.unwrap_or_default();
    }
    Ok(args)
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
        if path.is_dir() {
            return super::fleet::run(args, path);
        }
        let mut facts = boot_facts_file::load(path).map_err(|e| e.to_string())?;
        if let Some(on) = args.secure_boot {
            crate::facts::secure_boot::what_if(&mut facts.secure_boot, on);
        }
        return report(args, &facts);
    }
    let facts = {
        let _progress = super::progress::ProgressLine::start(args.quiet);
        plan::boot_facts(&plan_of(args))?
    };
    // An image cut short (a `dd` that stopped) is said to be so before anything
    // is blamed on what is missing from it (`root=` matching no device).
    if matches!(facts.storage.source, crate::facts::storage::Source::Images)
        && let Some(cut) = plan::truncated_images(&facts.storage)
    {
        eprintln!("bootvet: warning: {cut}");
    }
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

fn parse_on_off(s: &str) -> Result<bool, String> {
    match s {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err("expected on or off".into()),
    }
}

/// What the flags ask `probe` to look at.
fn plan_of(args: &CheckArgs) -> Plan {
    Plan {
        deep: args.deep,
        root_bus: args.root_bus.clone(),
        bios_lba_limit: args.bios_lba_limit,
        memory: args.memory,
        efi_vars: args.efi_vars.clone(),
        secure_boot: args.secure_boot,
        ..menu_plan(
            args.config.as_ref(),
            args.boot_dir.as_ref(),
            &args.images,
            args.platform,
            args.grub_flavour,
            args.grub_version.as_deref(),
        )
    }
}

/// Runs the checks over gathered (or replayed) facts and says the verdict.
fn report(args: &CheckArgs, facts: &BootFacts) -> Result<u8, String> {
    let mut findings = if args.unattended {
        check::run_unattended(facts)
    } else {
        check::run(facts)
    };
    findings.retain(|f| !args.ignore.iter().any(|code| code == f.code));
    let mut report = check::evaluate(facts, findings, args.strict);
    if !args.entries.is_empty() {
        select_entries(facts, &mut report, &args.entries, args.strict)?;
    }

    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let text = if args.json {
        render_json(facts, &report)
    } else {
        let text = render_text(facts, &report, &TextOptions { quiet: args.quiet });
        match wrap::width() {
            Some(width) => wrap::wrap(&text, width, wrap::report_hang),
            None => text,
        }
    };
    let _ = writeln!(out, "{}", text.trim_end());
    let _ = out.flush();
    if let Some(path) = &args.prometheus {
        let run = prometheus::RunInfo {
            timestamp: now(),
            config: &facts.config.path,
        };
        if !write_metrics(path, &prometheus::render(&report, &run)) {
            return Ok(exit::TROUBLE.max(report.exit_status));
        }
    }
    Ok(report.exit_status)
}

/// Keeps only the entries `--entry` names; the exit status follows them.
fn select_entries(
    facts: &BootFacts,
    report: &mut verdict::Report,
    wanted: &[String],
    strict: bool,
) -> Result<(), String> {
    let names = |e: &verdict::EntryVerdict, w: &str| {
        w == e.entry.path || w == e.entry.title || e.entry.id.as_deref() == Some(w)
    };
    // A typo must not read as "0 entries, all fine" (exit 0): it is a usage
    // error that shows what could have been meant.
    if let Some(unknown) = wanted
        .iter()
        .find(|w| !report.entries.iter().any(|e| names(e, w)))
    {
        return Err(format!(
            "--entry {unknown:?} matches no entry (give an index path such as `1>0`, a title or an id); {}",
            entry_list(&report.entries)
        ));
    }
    let keep = |e: &verdict::EntryVerdict| wanted.iter().any(|w| names(e, w));
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
    Ok(())
}

/// The entries there are, for a usage error: `0 "Ubuntu" (id gnulinux-simple)`,
/// at most `SHOWN` of them.
fn entry_list(entries: &[verdict::EntryVerdict]) -> String {
    const SHOWN: usize = 20;
    if entries.is_empty() {
        return "the menu has no entries".to_string();
    }
    let mut lines: Vec<String> = entries
        .iter()
        .take(SHOWN)
        .map(|e| match &e.entry.id {
            Some(id) => format!("  {} {:?} (id {id})", e.entry.path, e.entry.title),
            None => format!("  {} {:?}", e.entry.path, e.entry.title),
        })
        .collect();
    if entries.len() > SHOWN {
        lines.push(format!("  … and {} more", entries.len() - SHOWN));
    }
    format!("the entries are:\n{}", lines.join("\n"))
}
