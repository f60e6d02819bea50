//! Gathers, for every file and root device the menu's entries name, what is really
//! there: the device GRUB will use, the file's size and extents, what its bytes are
//! (kernel header, initrd segments), and what `root=` resolves to. The result is
//! plain data the checks read; this is the last step that touches the disks.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::disk_files::DiskFiles;
use super::fs::FileError as VolumeError;
use super::host::{self, HostOptions};
use super::kernel_side;
use super::resolve::{Query, resolve};
use crate::facts::files::{FileFact, FileKind, FileLookup, Role, is_blocklist};
use crate::facts::kernel::KernelSide;
use crate::facts::storage::{Filesystem, Source, Storage};
use crate::facts::volumes::{DeviceResolution, Resolution, VolumeRef, volumes};
use crate::facts::{BOOT_FACTS_SCHEMA, BootFacts, ConfigOrigin, RootFact};
use crate::inspect::initrd::{self, Depth};
use crate::inspect::kernel;
use crate::menu::{CommandKind, FileRef, Menu, Platform};

/// Directory listings are kept short: they are evidence, not an inventory.
pub const MAX_LISTED: usize = 256;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GatherOptions {
    /// Decompress initrds to their end (`--deep`).
    pub deep: bool,
    /// The root disk's storage drivers (`--root-bus`); empty: sysfs or assumed.
    pub root_bus: Vec<String>,
}

/// The whole `BootFacts` of a menu: its files, roots and kernels, then the host
/// state around them (which reads the files found first: the boot directories,
/// the modules trees on each root, `--deep`'s raw reads).
pub fn gather(
    menu: Menu,
    files: &DiskFiles<'_>,
    platform: Platform,
    config: ConfigOrigin,
    options: GatherOptions,
    host_options: HostOptions,
) -> BootFacts {
    // The files to read, in menu order (the order of `facts.files`); read after
    // the walk, in parallel.
    let mut wanted: Vec<(&FileRef, Role)> = Vec::new();
    let mut roots: Vec<RootFact> = Vec::new();
    // root= values each kernel file is booted with, by index into `wanted`.
    let mut kernel_roots: Vec<(usize, Vec<String>)> = Vec::new();
    for entry in menu.boot_entries() {
        for command in &entry.commands {
            let (refs, role): (Vec<&FileRef>, Role) = match &command.kind {
                CommandKind::Linux { file, params, .. } => {
                    for param in params.iter().filter(|p| p.key == "root") {
                        if let Some(value) = &param.value
                            && !roots.iter().any(|r| &r.value == value)
                        {
                            roots.push(root_fact(files.facts(), value));
                        }
                    }
                    (vec![file], Role::Kernel)
                }
                CommandKind::Initrd { files, .. } => (files.iter().collect(), Role::Initrd),
                CommandKind::Chainloader { file, .. } => (vec![file], Role::Chainload),
                CommandKind::Load { file, .. } => (vec![file], Role::Other),
                _ => (Vec::new(), Role::Other),
            };
            for file in refs {
                if !wanted
                    .iter()
                    .any(|(f, _)| f.device == file.device && f.path == file.path)
                {
                    wanted.push((file, role));
                }
            }
            if let CommandKind::Linux { file, params, .. } = &command.kind
                && let Some(index) = wanted
                    .iter()
                    .position(|(f, _)| f.device == file.device && f.path == file.path)
            {
                let root = params
                    .iter()
                    .rev()
                    .find(|p| p.key == "root")
                    .and_then(|p| p.value.clone());
                match kernel_roots.iter_mut().find(|(i, _)| *i == index) {
                    Some((_, seen)) => seen.extend(root.filter(|r| !seen.contains(r))),
                    None => kernel_roots.push((index, root.into_iter().collect())),
                }
            }
        }
    }
    // Where each file is first (quick, on one thread), so that the reads after
    // know their total; then their bytes, side by side.
    let located: Vec<FileFact> = wanted
        .iter()
        .map(|(file, role)| locate(files, file, *role))
        .collect();
    super::progress::begin_step("reading", located.iter().map(bytes_to_read).sum());
    let file_facts: Vec<FileFact> = in_parallel(files, located.len(), |files, i| {
        let mut fact = located[i].clone();
        read_through(files, &mut fact);
        fact
    });
    super::progress::finish();
    super::init_files::gather_inits(&menu, files, &mut roots);
    super::fstab_files::gather_tabs(files, &mut roots);
    super::btrfs_subvols::gather_subvolumes(files.facts(), &mut roots);
    let kernels = in_parallel(files, kernel_roots.len(), |files, k| {
        let (index, wanted) = &kernel_roots[k];
        kernel_side_of(files, &file_facts, &roots, *index, wanted, options.deep)
    });
    let resolutions: Vec<&Resolution> = roots.iter().map(|r| &r.resolution).collect();
    let root_bus = kernel_side::root_bus(files, &options.root_bus, &resolutions);
    let mut facts = BootFacts {
        schema: BOOT_FACTS_SCHEMA.to_string(),
        platform,
        config,
        storage: files.facts().clone(),
        menu,
        files: file_facts,
        roots,
        kernels,
        root_bus,
        host: Default::default(),
        firmware: Default::default(),
        secure_boot: Default::default(),
        loader: None,
        root_stack: None,
    };
    facts.host = host::gather_host(&facts, files, host_options);
    facts
}

/// `job(files, i)` for `i` in `0..count`, results in that order, on all cores:
/// an initrd is decompressed to its end (and, `--deep`, a kernel without its
/// config beside it), so the files of different entries are read side by side.
/// This thread takes jobs with `files`; each other thread with its own
/// `DiskFiles::fork`. Which thread ran a job never shows in its result.
fn in_parallel<T: Send>(
    files: &DiskFiles<'_>,
    count: usize,
    job: impl Fn(&DiskFiles<'_>, usize) -> T + Sync,
) -> Vec<T> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(count);
    if workers <= 1 {
        return (0..count).map(|i| job(files, i)).collect();
    }
    let next = AtomicUsize::new(0);
    let take = |files: &DiskFiles<'_>| {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= count {
                break done;
            }
            done.push((i, job(files, i)));
        }
    };
    let mut results: Vec<(usize, T)> = std::thread::scope(|scope| {
        let spawned: Vec<_> = (1..workers)
            .map(|_| {
                let fork = files.fork();
                let take = &take;
                scope.spawn(move || take(&fork()))
            })
            .collect();
        let mut all = take(files);
        for handle in spawned {
            match handle.join() {
                Ok(done) => all.extend(done),
                // A job that panicked in another thread panics here too, as it
                // would have run on this one.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// The config beside a kernel file and its modules on each root= it boots with.
fn kernel_side_of(
    files: &DiskFiles<'_>,
    file_facts: &[FileFact],
    root_facts: &[RootFact],
    index: usize,
    roots: &[String],
    deep: bool,
) -> KernelSide {
    let fact = &file_facts[index];
    let release = fact
        .kernel
        .as_ref()
        .and_then(|k| k.release.clone())
        .or_else(|| kernel::release_from_file_name(&fact.path).map(str::to_string));
    let mut side = KernelSide {
        file: index,
        kernel: fact.path.clone(),
        release: release.clone(),
        config: None,
        config_missing: None,
        modules: Vec::new(),
        zfs_tree: None,
    };
    let Some(release) = release else {
        side.config_missing = Some("the kernel's release is not known".into());
        return side;
    };
    if !matches!(fact.lookup, FileLookup::Found { .. }) {
        side.config_missing = Some("the kernel file was not read".into());
        return side;
    }
    match fact.resolution.volume() {
        Some(volume) => match kernel_side::read_config(files, volume, &fact.path, &release) {
            Ok(config) => side.config = Some(config),
            // Decompressing a whole kernel costs about a second: only --deep does.
            Err(why) if !deep => {
                side.config_missing = Some(format!(
                    "{why}; --deep looks for IKCONFIG inside the kernel"
                ))
            }
            Err(why) => match kernel_side::read_embedded_config(files, volume, &fact.path) {
                Ok(config) => side.config = Some(config),
                Err(also) => side.config_missing = Some(format!("{why}; {also}")),
            },
        },
        None => side.config_missing = Some("the kernel's volume is not known".into()),
    }
    for root in roots {
        if let Some(root_fact) = root_facts.iter().find(|r| &r.value == root)
            && let Some(found) =
                kernel_side::modules_on_root(files, root, &root_fact.resolution, &release)
        {
            side.modules.push(found);
        }
    }
    // No ZFS reader: the running system's own tree, when its root is ZFS.
    let live = matches!(files.facts().source, Source::Live { .. });
    if roots
        .iter()
        .any(|r| r.starts_with("ZFS=") || r.starts_with("zfs:"))
    {
        side.zfs_tree = super::zfs_tree::gather(live, &release);
    }
    side
}

/// Where a file is and its size: the menu's device resolved, the file looked
/// up. Its bytes are `read_through`'s.
fn locate(files: &DiskFiles<'_>, file: &FileRef, role: Role) -> FileFact {
    let mut fact = FileFact {
        device: file.device.clone(),
        path: file.path.clone(),
        role,
        resolution: files.resolve(&file.device),
        lookup: FileLookup::Unknown { why: String::new() },
        stat: None,
        filesystem: None,
        kernel: None,
        initrd: None,
        chainload: None,
        inspect_error: None,
        directory: None,
    };
    if let Some(volume) = fact.resolution.volume() {
        fact.filesystem = volume_filesystem(files.facts(), volume);
    }
    if file.uncertain {
        fact.lookup = FileLookup::Unknown {
            why: format!("`{}` is only known at boot", file.text),
        };
        return fact;
    }
    if is_blocklist(&file.path) {
        fact.lookup = FileLookup::Unknown {
            why: "a blocklist, not a file".into(),
        };
        return fact;
    }
    let volume = match &fact.resolution {
        DeviceResolution::Found { volume, .. } => volume.clone(),
        DeviceResolution::Missing { message } => {
            fact.lookup = FileLookup::Unknown {
                why: message.clone(),
            };
            return fact;
        }
        DeviceResolution::Unknown { why } => {
            fact.lookup = FileLookup::Unknown { why: why.clone() };
            return fact;
        }
    };
    let vf = match files.volume(&volume) {
        Ok(vf) => vf,
        Err(why) => {
            fact.lookup = FileLookup::Unknown { why };
            return fact;
        }
    };
    let listed = |vf: &dyn super::fs::VolumeFiles| {
        let dir = file
            .path
            .rsplit_once('/')
            .map_or("/", |(d, _)| if d.is_empty() { "/" } else { d });
        vf.list_dir(dir).ok().map(|entries| {
            let mut names: Vec<String> = entries.into_iter().map(|e| e.name).collect();
            names.sort();
            names.truncate(MAX_LISTED);
            names
        })
    };
    if role == Role::Kernel {
        fact.directory = listed(vf.as_ref());
    }
    let stat = match vf.stat(&file.path) {
        Ok(stat) if stat.kind == FileKind::Directory => {
            fact.lookup = FileLookup::Unreadable {
                message: format!("'{}' is a directory", file.path),
            };
            return fact;
        }
        Ok(stat) => stat,
        Err(VolumeError::NotFound(_)) => {
            fact.lookup = FileLookup::NotFound;
            if fact.directory.is_none() {
                fact.directory = listed(vf.as_ref());
            }
            return fact;
        }
        Err(VolumeError::Unsupported(why)) => {
            fact.lookup = FileLookup::Unknown { why };
            return fact;
        }
        Err(err) => {
            fact.lookup = FileLookup::Unreadable {
                message: err.to_string(),
            };
            return fact;
        }
    };
    fact.lookup = FileLookup::Found { size: stat.size };
    fact.stat = Some(stat);
    fact
}

/// The bytes `read_through` will read of a located file.
fn bytes_to_read(fact: &FileFact) -> u64 {
    match (&fact.lookup, fact.role) {
        (FileLookup::Found { size }, Role::Kernel | Role::Initrd | Role::Chainload) => *size,
        _ => 0,
    }
}

/// What a located file's bytes are: a kernel's header, an initrd read to its
/// end, a chainloaded image.
fn read_through(files: &DiskFiles<'_>, fact: &mut FileFact) {
    if bytes_to_read(fact) == 0 {
        return;
    }
    let Some(volume) = fact.resolution.volume() else {
        return;
    };
    let stream = match files
        .volume(volume)
        .and_then(|vf| vf.open(&fact.path).map_err(|err| err.to_string()))
    {
        Ok(stream) => super::progress::Counted::new(stream, &fact.path),
        Err(message) => {
            fact.lookup = FileLookup::Unreadable { message };
            return;
        }
    };
    match fact.role {
        Role::Kernel => match kernel::inspect(stream) {
            Ok(image) => fact.kernel = Some(image),
            Err(err) => fact.inspect_error = Some(err.to_string()),
        },
        Role::Initrd => {
            // Read through even without --deep: whether the root's driver, its
            // layer's tools and their vermagic are inside is only known from the
            // whole archive, and a check that stopped at its first 4 MiB said
            // "boots" for initrds the real boot drops to a shell with (the QEMU
            // suite's deb-no-root-driver, deb-root-lvm-no-lvm). Decompressing costs
            // about what `zstd -dc` of the file costs.
            match initrd::inspect(stream, Depth::Deep) {
                Ok(report) => fact.initrd = Some(report),
                Err(err) => fact.inspect_error = Some(err.to_string()),
            }
        }
        Role::Chainload => match kernel::inspect_chainload(stream) {
            Ok(image) => fact.chainload = Some(image),
            Err(err) => fact.inspect_error = Some(err.to_string()),
        },
        Role::Other => {}
    }
}

fn volume_filesystem(facts: &Storage, volume: &VolumeRef) -> Option<Filesystem> {
    volumes(facts)
        .into_iter()
        .find(|(v, _, _)| v == volume)
        .and_then(|(_, _, fs)| fs.cloned())
}

fn root_fact(facts: &Storage, value: &str) -> RootFact {
    let kernel_name = value.starts_with("/dev/") && !value.starts_with("/dev/disk/by-");
    if kernel_name && matches!(facts.source, crate::facts::storage::Source::Images) {
        // sda/vda/nvme0n1 names are handed out by the booting kernel's drivers.
        return RootFact {
            value: value.to_string(),
            unparsed: Some("kernel device names are given at boot; images do not have them".into()),
            resolution: Resolution::None,
            filesystems: Vec::new(),
            inits: Vec::new(),
            tabs: None,
            btrfs: None,
        };
    }
    match Query::parse(value) {
        Ok(query) => {
            let resolution = resolve(facts, &query);
            let filesystems = resolution
                .volumes()
                .into_iter()
                .map(|v| volume_filesystem(facts, v))
                .collect();
            RootFact {
                value: value.to_string(),
                unparsed: None,
                resolution,
                filesystems,
                inits: Vec::new(),
                tabs: None,
                btrfs: None,
            }
        }
        Err(why) => RootFact {
            value: value.to_string(),
            unparsed: Some(why),
            resolution: Resolution::None,
            filesystems: Vec::new(),
            inits: Vec::new(),
            tabs: None,
            btrfs: None,
        },
    }
}
