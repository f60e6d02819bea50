//! One way to discover the system a run looks at, for `check`, `entries` and
//! `devices`: a `Plan` (what the flags asked for) becomes a `System` — the
//! storage, the platform GRUB runs on, the config it reads and where `$root`
//! starts — decided once, here, so two subcommands never see two machines.
//! `boot_facts` builds a whole `BootFacts` from a `Plan` in one call.
//!
//! Where the config is, when `--config` is not given:
//! - images: the first volume, in GRUB's probe order, holding `/boot/grub/grub.cfg`,
//!   `/grub/grub.cfg`, `/boot/grub2/grub.cfg` or `/grub2/grub.cfg`; on efi the
//!   ESP's `EFI/*/grub.cfg` first (`disk_files::find_config`);
//! - `--boot-dir DIR`: `DIR/grub/grub.cfg`, `DIR/grub2/grub.cfg`, `DIR/boot/grub/grub.cfg`;
//! - live: `/boot/grub/grub.cfg`, `/boot/grub2/grub.cfg` (what update-grub and
//!   grub2-mkconfig write), then `/boot/efi/EFI/*/grub.cfg` by name (an EFI-only
//!   install's config on the ESP).
//!
//! On the live system a config under `/boot`, or on a filesystem mounted apart
//! from `/` (another system's disk under /mnt), is read with the disks, `$root`
//! starting at the mounted volume that holds it and `$prefix` its directory on
//! that volume. A loose file elsewhere on `/` is not the one GRUB reads at boot:
//! what it names is not looked up (undecided rather than guessed).

use std::io::Read;
use std::path::{Path, PathBuf};

use super::disk_files::{DiskFiles, Reach, detect_platform, find_config};
use super::gather::{self, GatherOptions};
use super::host::HostOptions;
use super::{ProbeError, live, loader, probe_images};
use crate::facts::firmware::{BootEntries, FirmwareFacts};
use crate::facts::storage::{Source, Storage};
use crate::facts::volumes::{VolumeRef, volumes};
use crate::facts::{BootFacts, ConfigOrigin};
use crate::inspect::efivars::boot::BootManager;
use crate::menu::flavour::{GrubBuild, Vendor};
use crate::menu::{self, Options, Platform};

/// Where the disks and files come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// The running system: sysfs, mountinfo, the mounted filesystems.
    Live,
    /// Raw disk images, in the firmware's order (the first is `hd0`).
    Images(Vec<PathBuf>),
    /// A directory standing for every filesystem GRUB names (a copy of /boot).
    BootDir(PathBuf),
}

/// What a run was asked to look at: the flags, before anything is read.
#[derive(Clone, Debug)]
pub struct Plan {
    pub target: Target,
    /// `--config`: the grub.cfg to run instead of the one GRUB reads.
    pub config: Option<PathBuf>,
    /// `--platform`; `None`: detected.
    pub platform: Option<Platform>,
    /// `--grub-flavour`; `None`: chosen from the installed GRUB (`grub_build`).
    pub vendor: Option<Vendor>,
    /// `--grub-version`: the installed GRUB's version, over any read one.
    pub grub_version: Option<String>,
    /// Decompress initrds to their end and read every sector raw (`--deep`).
    pub deep: bool,
    /// The root disk's storage drivers (`--root-bus`); empty: sysfs or assumed.
    pub root_bus: Vec<String>,
    pub bios_lba_limit: Option<u64>,
    /// Memory of the machine the images boot on (`--memory`).
    pub memory: Option<u64>,
    /// `--efi-vars`: a firmware variable store file or an efivarfs copy.
    pub efi_vars: Option<PathBuf>,
    /// `--secure-boot on|off`: check the chain as if Secure Boot were on or off.
    pub secure_boot: Option<bool>,
}

impl Plan {
    pub fn new(target: Target) -> Self {
        Plan {
            target,
            config: None,
            platform: None,
            vendor: None,
            grub_version: None,
            deep: false,
            root_bus: Vec::new(),
            bios_lba_limit: None,
            memory: None,
            efi_vars: None,
            secure_boot: None,
        }
    }
}

/// The system a run looks at, as discovered once from a `Plan`.
pub struct System {
    pub storage: Storage,
    pub platform: Platform,
    pub config: ConfigOrigin,
    pub config_bytes: Vec<u8>,
    /// `$prefix`'s directory.
    pub prefix_dir: String,
    pub reach: Reach,
}

impl System {
    /// The one file source of the run: the menu's reads and the facts' look-ups.
    pub fn files(&self) -> DiskFiles<'_> {
        DiskFiles::new(&self.storage, self.reach.clone())
    }

    pub fn menu_options(&self, build: &GrubBuild) -> Options {
        Options {
            platform: self.platform,
            flavour: build.vendor.flavour(),
            build: Some(build.clone()),
            prefix: self.prefix_dir.clone(),
            config_name: self.config.path.clone(),
        }
    }
}

/// The disks of a target, read once (`devices` needs no more).
pub fn storage(target: &Target) -> Result<Storage, ProbeError> {
    super::handles::begin_run();
    match target {
        Target::Live => Ok(live::probe_live()),
        Target::Images(paths) => probe_images(paths),
        // A directory has no disks: `root=` stays unverified.
        Target::BootDir(_) => Ok(Storage::new(Source::Images)),
    }
}

/// Decides the platform, the config and `$prefix` for a plan.
pub fn discover(plan: &Plan) -> Result<System, String> {
    super::handles::begin_run();
    match &plan.target {
        Target::BootDir(dir) => discover_boot_dir(plan, dir),
        Target::Images(paths) => {
            let storage = storage(&plan.target).map_err(|e| e.to_string())?;
            discover_images(plan, storage, paths)
        }
        Target::Live => discover_live(plan, live::probe_live()),
    }
}

/// Everything `check` reads about the plan's system, in one call: the menu run
/// as GRUB runs it, every file and `root=` it names, what sits beside each
/// kernel, and the host state around the boot files.
pub fn boot_facts(plan: &Plan) -> Result<BootFacts, String> {
    let system = match discover(plan) {
        Ok(system) => system,
        Err(e) => return without_config(plan, e),
    };
    let files = system.files();
    // The firmware's entries and the loader chain first: the GRUB they reach
    // decides the flavour.
    let firmware = firmware_facts(plan);
    let loader = loader_facts(
        plan,
        &system.storage,
        &files,
        system.platform,
        firmware.boot.as_ref(),
    );
    let build = grub_build(plan, &system, &files, loader.as_ref());
    let menu = menu::evaluate(&system.config_bytes, &system.menu_options(&build), &files);
    let mut facts = gather::gather(
        menu,
        &files,
        system.platform,
        system.config.clone(),
        gather_options(plan),
        host_options(plan),
    );
    facts.firmware = firmware;
    facts.loader = loader;
    if matches!(plan.target, Target::Live) {
        facts.root_stack = super::sysfs_stack::live_root_stack();
        // A root inside dm/md resolves to no volume: its bus is the stack's.
        if facts.root_bus.source == "assumed"
            && let Some(bus) = facts
                .root_stack
                .as_ref()
                .and_then(super::kernel_side::stack_bus)
        {
            facts.root_bus = bus;
        }
    }
    with_secure_boot(plan, &files, &mut facts);
    Ok(facts)
}

/// The GRUB build grub.cfg runs under: the flag's, else from the loader chain
/// (read here when the caller has not: `entries`), the layout and os-release.
pub fn grub_build(
    plan: &Plan,
    system: &System,
    files: &DiskFiles<'_>,
    loader: Option<&crate::facts::loader::LoaderFacts>,
) -> GrubBuild {
    if plan.vendor.is_some() {
        return super::grub_build::choose(plan.vendor, None, &system.prefix_dir, None)
            .with_version(plan.grub_version.as_deref());
    }
    let read;
    let loader = match loader {
        Some(l) => Some(l),
        None => {
            let firmware = firmware_facts(plan);
            read = loader_facts(
                plan,
                &system.storage,
                files,
                system.platform,
                firmware.boot.as_ref(),
            );
            read.as_ref()
        }
    };
    let os_release = os_release(plan, files);
    super::grub_build::choose(None, loader, &system.prefix_dir, os_release.as_deref())
        .with_version(plan.grub_version.as_deref())
}

/// `/etc/os-release` of the system: live, the running one; images, the one on
/// grub.cfg's volume (a root filesystem holding /boot); a directory: none.
fn os_release(plan: &Plan, files: &DiskFiles<'_>) -> Option<String> {
    use crate::menu::FileSource;
    let bytes = match plan.target {
        Target::Live => {
            let mut bytes = std::fs::read("/etc/os-release").ok()?;
            bytes.truncate(64 * 1024);
            bytes
        }
        Target::Images(_) => {
            let bytes = files
                .read(&crate::menu::DeviceExpr::PrefixDevice, "/etc/os-release")
                .ok()?;
            (bytes.len() <= 64 * 1024).then_some(bytes)?
        }
        Target::BootDir(_) => return None,
    };
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// The firmware's variables (`--efi-vars`, else live efivarfs) and the boot
/// manager's entries decoded from them.
fn firmware_facts(plan: &Plan) -> FirmwareFacts {
    let vars = match (&plan.efi_vars, &plan.target) {
        (Some(path), _) => Some(super::efivars::read(path)),
        (None, Target::Live) => super::efivars::read_live(),
        (None, _) => None,
    };
    let boot = vars
        .as_ref()
        .filter(|v| v.error.is_none())
        .map(|v| BootEntries::from_manager(&BootManager::from_variables(&v.vars)));
    FirmwareFacts { vars, boot }
}

/// For efi boots (or when `--secure-boot` asks), what Secure Boot will make of
/// each binary of the chain.
fn with_secure_boot(plan: &Plan, files: &DiskFiles<'_>, facts: &mut BootFacts) {
    // Secure Boot is read for efi boots, and whenever --secure-boot asks.
    if facts.platform == Platform::Efi || plan.secure_boot.is_some() {
        facts.secure_boot = super::secure_boot::gather(
            files,
            &facts.files,
            facts.firmware.vars.as_ref(),
            plan.secure_boot,
        );
    }
}

fn gather_options(plan: &Plan) -> GatherOptions {
    GatherOptions {
        deep: plan.deep,
        root_bus: plan.root_bus.clone(),
    }
}

fn host_options(plan: &Plan) -> HostOptions {
    HostOptions {
        bios_lba_limit: plan.bios_lba_limit,
        memory: plan.memory,
        modules_budget: None,
        raw_reads: plan.deep,
    }
}

/// The links above grub.cfg, on disks (images, or the live system); a
/// `--boot-dir` directory has none.
fn loader_facts(
    plan: &Plan,
    storage: &Storage,
    files: &DiskFiles<'_>,
    platform: Platform,
    boot: Option<&BootEntries>,
) -> Option<crate::facts::loader::LoaderFacts> {
    match plan.target {
        Target::BootDir(_) => None,
        Target::Images(_) | Target::Live => Some(loader::gather(storage, files, platform, boot)),
    }
}

/// Images on which no grub.cfg was found: when a GRUB is installed there and
/// its prefix has no grub.cfg, that is the finding (GRUB stops at `grub>`), not
/// bootvet's trouble: the facts carry an empty menu and the loader chain.
fn without_config(plan: &Plan, error: String) -> Result<BootFacts, String> {
    let Target::Images(_) = &plan.target else {
        return Err(error);
    };
    if plan.config.is_some() {
        return Err(error);
    }
    let storage = storage(&plan.target).map_err(|e| e.to_string())?;
    let probe_files = DiskFiles::new(&storage, Reach::Disks { prefix: None });
    let platform = plan
        .platform
        .unwrap_or_else(|| detect_platform(&probe_files));
    let firmware = firmware_facts(plan);
    let loader = loader::gather(&storage, &probe_files, platform, firmware.boot.as_ref());
    if !loader.stops_before_config() {
        return Err(error);
    }
    let config = match &loader.prefix {
        Some(prefix) => ConfigOrigin {
            path: format!("{}/grub.cfg", prefix.value.trim_end_matches('/')),
            volume: prefix.volume.clone(),
        },
        None => ConfigOrigin {
            path: "(grub.cfg not reached)".into(),
            volume: None,
        },
    };
    let prefix_dir = loader
        .prefix
        .as_ref()
        .map_or_else(|| "/boot/grub".to_string(), |p| p.dir.clone());
    drop(probe_files);
    let files = DiskFiles::new(
        &storage,
        Reach::Disks {
            prefix: config.volume.clone(),
        },
    );
    let build = super::grub_build::choose(plan.vendor, Some(&loader), &prefix_dir, None)
        .with_version(plan.grub_version.as_deref());
    let options = Options {
        platform,
        flavour: build.vendor.flavour(),
        build: Some(build),
        prefix: prefix_dir,
        config_name: config.path.clone(),
    };
    let menu = menu::evaluate(b"", &options, &files);
    let mut facts = gather::gather(
        menu,
        &files,
        platform,
        config,
        gather_options(plan),
        host_options(plan),
    );
    facts.loader = Some(loader);
    facts.firmware = firmware;
    with_secure_boot(plan, &files, &mut facts);
    Ok(facts)
}

fn read_config(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn discover_images(plan: &Plan, storage: Storage, paths: &[PathBuf]) -> Result<System, String> {
    // Images with neither a partition table nor a filesystem (an empty file,
    // /dev/null, random bytes): "no grub.cfg" would send the user after the
    // config when the image itself is not a disk.
    let blank: Vec<&str> = storage
        .disks
        .iter()
        .filter(|d| d.table.is_none() && d.partitions.is_empty() && d.filesystem.is_none())
        .map(|d| d.path.as_str())
        .collect();
    if plan.config.is_none() && !blank.is_empty() && blank.len() == storage.disks.len() {
        return Err(format!(
            "no partition table or filesystem found on {}",
            blank.join(", ")
        ));
    }
    let files = DiskFiles::new(&storage, Reach::Disks { prefix: None });
    let platform = plan.platform.unwrap_or_else(|| detect_platform(&files));
    let (config_bytes, config, prefix_dir) = match &plan.config {
        Some(path) => {
            let volume = find_config(&files, platform).map(|(v, _)| v);
            let origin = ConfigOrigin {
                path: path.display().to_string(),
                volume,
            };
            (read_config(path)?, origin, guessed_prefix(path))
        }
        None => {
            let (volume, path) = find_config(&files, platform).ok_or_else(|| {
                format!(
                    "no grub.cfg on {} (looked for /boot/grub/grub.cfg, /grub/grub.cfg, /boot/grub2/grub.cfg, /grub2/grub.cfg{}); pass --config FILE",
                    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "),
                    if platform == Platform::Efi { ", /EFI/*/grub.cfg" } else { "" }
                )
            })?;
            let vf = files.volume(&volume)?;
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
            let origin = ConfigOrigin {
                path: format!("({}){path}", volume.name),
                volume: Some(volume),
            };
            (bytes, origin, dir)
        }
    };
    drop(files);
    Ok(System {
        reach: Reach::Disks {
            prefix: config.volume.clone(),
        },
        storage,
        platform,
        config,
        config_bytes,
        prefix_dir,
    })
}

/// Where GRUB installs keep grub.cfg on a running system, tried in order.
const LIVE_CONFIGS: &[&str] = &["/boot/grub/grub.cfg", "/boot/grub2/grub.cfg"];

fn discover_live(plan: &Plan, storage: Storage) -> Result<System, String> {
    // Read once: the firmware this system booted with.
    let platform = plan.platform.unwrap_or_else(|| {
        if Path::new("/sys/firmware/efi").exists() {
            Platform::Efi
        } else {
            Platform::Pc
        }
    });
    let path = match &plan.config {
        Some(path) => path.clone(),
        None => live_config().ok_or_else(no_grub_message)?,
    };
    let config_bytes = read_config(&path)?;
    // A config under /boot is the machine's own; one on a filesystem mounted
    // apart from / (another system's disk under /mnt, a test's loop device) is
    // that filesystem's. Anything else on / is a loose file GRUB never reads.
    let holder = live_volume_of(&storage, &path);
    let on_boot = std::fs::canonicalize(&path).is_ok_and(|c| c.starts_with("/boot"));
    let on_own_mount = holder.as_ref().is_some_and(|(_, mount)| mount != "/");
    if !on_boot && !on_own_mount {
        return Ok(System {
            config: ConfigOrigin {
                path: path.display().to_string(),
                volume: None,
            },
            prefix_dir: guessed_prefix(&path),
            reach: Reach::Nothing,
            storage,
            platform,
            config_bytes,
        });
    }
    let (volume, prefix_dir) = match holder {
        Some((volume, mount)) => {
            let dir = dir_inside(Path::new(&mount), &path).unwrap_or_else(|| guessed_prefix(&path));
            (Some(volume), dir)
        }
        None => {
            let files = DiskFiles::new(&storage, Reach::Disks { prefix: None });
            let found = find_config(&files, platform).map(|(v, _)| v);
            (found, guessed_prefix(&path))
        }
    };
    Ok(System {
        config: ConfigOrigin {
            path: path.display().to_string(),
            volume: volume.clone(),
        },
        reach: Reach::Disks { prefix: volume },
        storage,
        platform,
        config_bytes,
        prefix_dir,
    })
}

/// The live system's grub.cfg: the usual places, then the ESP's vendor
/// directories by name.
fn live_config() -> Option<PathBuf> {
    if let Some(found) = LIVE_CONFIGS.iter().map(PathBuf::from).find(|p| p.is_file()) {
        return Some(found);
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

fn no_grub_message() -> String {
    "no GRUB configuration on this machine (no grub.cfg found: looked for /boot/grub/grub.cfg, \
     /boot/grub2/grub.cfg, /boot/efi/EFI/*/grub.cfg); pass --config FILE, or check a disk image \
     with --image FILE — for a demonstration, the bundled story: fixtures/scenarios/build.sh \
     target/scenarios seed && bootvet check --image target/scenarios/seed.img"
        .to_string()
}

/// `--boot-dir DIR`: the config and every file GRUB names come from DIR.
fn discover_boot_dir(plan: &Plan, dir: &Path) -> Result<System, String> {
    if !dir.is_dir() {
        return Err(format!("--boot-dir {}: not a directory", dir.display()));
    }
    let path = match &plan.config {
        Some(path) => path.clone(),
        None => ["grub/grub.cfg", "grub2/grub.cfg", "boot/grub/grub.cfg"]
            .into_iter()
            .map(|p| dir.join(p))
            .find(|p| p.is_file())
            .ok_or_else(|| format!("no grub/grub.cfg in {}; pass --config FILE", dir.display()))?,
    };
    let config_bytes = read_config(&path)?;
    let prefix_dir = dir_inside(dir, &path).unwrap_or_else(|| guessed_prefix(&path));
    // The directory is another machine's /boot or ESP: this machine's firmware
    // says nothing about it, a GRUB EFI binary in it does.
    let platform = plan.platform.unwrap_or(if holds_grub_efi_binary(dir) {
        Platform::Efi
    } else {
        Platform::Pc
    });
    Ok(System {
        storage: Storage::new(Source::Images),
        platform,
        config: ConfigOrigin {
            path: path.display().to_string(),
            volume: None,
        },
        config_bytes,
        prefix_dir,
        reach: Reach::BootDir(dir.display().to_string()),
    })
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

/// The volume whose mount point holds `path` on the live system, with that
/// mount point (the longest that matches).
fn live_volume_of(storage: &Storage, path: &Path) -> Option<(VolumeRef, String)> {
    let path = std::fs::canonicalize(path).ok()?;
    let mut best: Option<(VolumeRef, String)> = None;
    for (volume, partition, _) in volumes(storage) {
        let mounts = match partition {
            Some(p) => p.mountpoints.clone(),
            None => volume
                .disk
                .and_then(|d| storage.disks.get(d))
                .map(|d| d.mountpoints.clone())
                .unwrap_or_default(),
        };
        for mount in mounts {
            if path.starts_with(&mount) && best.as_ref().is_none_or(|(_, m)| mount.len() > m.len())
            {
                best = Some((volume.clone(), mount));
            }
        }
    }
    best
}

/// The config's directory as a path inside `root`, when it is inside.
fn dir_inside(root: &Path, config: &Path) -> Option<String> {
    let root = std::fs::canonicalize(root).ok()?;
    let config = std::fs::canonicalize(config).ok()?;
    let rel = config.parent()?.strip_prefix(&root).ok()?;
    Some(format!("/{}", rel.display()))
}

/// `$prefix`'s directory for a config outside any filesystem bootvet knows:
/// `/boot/grub` or `/boot/grub2` after the config's own directory.
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

/// Images shorter than their partition tables say (a copy cut short: `dd`
/// stopped, a download not finished). What lies past the end is not there to
/// judge: a `root=` on a missing partition would read as "matches no device",
/// a kernel in the missing range as unreadable. Names each partition that runs
/// past the end and the sectors missing.
pub fn truncated_images(storage: &Storage) -> Option<String> {
    let mut cuts = Vec::new();
    for disk in &storage.disks {
        let sector = disk.logical_sector_size.max(1);
        let file_sectors = disk.size_bytes / sector;
        // Only a partition wholly past the end makes the image unjudgeable: one
        // cut part-way is BV5001's (a file past the end of its partition or
        // disk), with the files that lie there named.
        if !disk
            .partitions
            .iter()
            .any(|p| p.size_bytes > 0 && p.start_byte >= disk.size_bytes)
        {
            continue;
        }
        let past: Vec<String> = disk
            .partitions
            .iter()
            .filter(|p| p.start_byte.saturating_add(p.size_bytes) > disk.size_bytes)
            .map(|p| {
                let first = p.start_byte / sector;
                let end = p.start_byte.saturating_add(p.size_bytes);
                let last = end.div_ceil(sector).saturating_sub(1).max(first);
                let missing = first.max(file_sectors);
                format!(
                    "partition {} ({}) spans sectors {first}–{last}, of which {missing}–{last} are missing",
                    p.number, p.grub_name
                )
            })
            .collect();
        if !past.is_empty() {
            cuts.push(format!(
                "{} is truncated: it ends at sector {file_sectors} ({}) but its partition table claims more: {}",
                disk.path,
                crate::units::human_size(disk.size_bytes),
                past.join("; ")
            ));
        }
    }
    (!cuts.is_empty()).then(|| {
        format!(
            "{}; what lies past the end is judged as missing (a disk copied short fails the same way; to judge the original, copy it whole: `bootvet devices --image` shows the table)",
            cuts.join("; ")
        )
    })
}
