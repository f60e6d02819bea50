//! Shared by the initrd-content checks: the kernel an entry boots with what was read
//! beside it, its initrds, and which drivers on the way to root= the kernel has
//! built in and which an initramfs must bring. Pure functions over the facts.

use crate::inspect::initrd::{Compression, InitrdError, InitrdReport, KeptBeforeFault};
use std::collections::BTreeSet;

use crate::facts::BootFacts;
use crate::facts::kernel::{BusNeed, ConfigSummary, KernelSide, ModulesOnRoot};
use crate::inspect::kconfig::{NeedKind, Provision, provider};
use crate::inspect::kernel::release_from_file_name;
use crate::inspect::modules::{ModuleDep, ModulesDep};
use crate::menu::{BootEntry, EntryCommand, FileRef, KernelParam};

use super::{linux, root_value};

/// The kernel an entry boots and everything known about it.
pub(super) struct Booted<'a> {
    pub command: &'a EntryCommand,
    pub file: &'a FileRef,
    pub params: &'a [KernelParam],
    pub side: Option<&'a KernelSide>,
    /// The release the kernel reports (its header), else its file name's.
    pub release: Option<String>,
}

impl<'a> Booted<'a> {
    pub fn of(facts: &'a BootFacts, entry: &'a BootEntry) -> Option<Self> {
        let (command, file, params) = linux(entry)?;
        let fact = facts.file(file);
        let release = fact
            .and_then(|f| f.kernel.as_ref()?.release.clone())
            .or_else(|| release_from_file_name(&file.path).map(str::to_string));
        Some(Booted {
            command,
            file,
            params,
            side: facts.kernel_side(file),
            release,
        })
    }

    /// `of`, when the kernel's config was found beside it.
    pub fn with_config(
        facts: &'a BootFacts,
        entry: &'a BootEntry,
    ) -> Option<(Self, &'a ConfigSummary)> {
        let booted = Self::of(facts, entry)?;
        let config = booted.side?.config.as_ref()?;
        Some((booted, config))
    }

    pub fn root(&self) -> Option<&'a str> {
        root_value(self.params)
    }

    /// Whether the kernel can unpack `c`; without its config, assume it can.
    pub fn supports(&self, c: Compression) -> bool {
        self.side
            .and_then(|s| s.config.as_ref())
            .is_none_or(|cfg| cfg.initrd_compressions.contains(&c))
    }

    fn modules_on_root(&self) -> Option<&'a ModulesOnRoot> {
        let root = self.root()?;
        self.side?.modules.iter().find(|m| m.root == root)
    }
}

/// An initrd an entry loads: the command, the file it names, what inspecting it found.
pub(super) type LoadedInitrd<'a> = (&'a EntryCommand, &'a FileRef, &'a InitrdReport);

/// Every initrd an entry loads that was found and inspected, in load order.
pub(super) fn initrds<'a>(facts: &'a BootFacts, entry: &'a BootEntry) -> Vec<LoadedInitrd<'a>> {
    let mut out = Vec::new();
    for command in &entry.commands {
        if let crate::menu::CommandKind::Initrd { files, .. } = &command.kind {
            for file in files {
                if let Some(report) = facts.file(file).and_then(|f| f.initrd.as_ref()) {
                    out.push((command, file, report));
                }
            }
        }
    }
    out
}

/// An entry's initrds when every one was read to its end, with the command that
/// loads the last; `None` when it loads none or one was not read whole. Only a
/// whole image tells what it lacks: a faulty one is BV4104's, and a quick look at
/// a large one sees only its start.
pub(super) fn whole_initrds<'a>(
    facts: &'a BootFacts,
    entry: &'a BootEntry,
) -> Option<(&'a EntryCommand, Vec<LoadedInitrd<'a>>)> {
    let loaded = initrds(facts, entry);
    let (command, _, _) = *loaded.last()?;
    if initramfs_never_runs(facts, entry).is_some() {
        return None;
    }
    // A fault the boot survives leaves the kernel the archive bootvet read
    // (BV4104 warns): it is judged as a whole one.
    let whole = |(i, (_, _, r)): (usize, &LoadedInitrd<'_>)| match &r.error {
        None => r.complete,
        Some(e) => r.limit.is_none() && survives(&loaded, i, e),
    };
    if !loaded.iter().enumerate().all(whole) {
        return None;
    }
    Some((command, loaded))
}

/// The entry's initrds when the kernel unpacks them but runs none of them: every
/// file the `initrd` lines name was found and read whole, none holds `/init`, and
/// no `rdinit=` names another program (bootvet does not look for it). The kernel
/// then mounts root= by itself, as without an initrd (BV4113), and what the
/// archives carry for the root path plays no part.
pub(super) fn initramfs_never_runs<'a>(
    facts: &'a BootFacts,
    entry: &'a BootEntry,
) -> Option<Vec<LoadedInitrd<'a>>> {
    let loaded = initrds(facts, entry);
    let named = entry.initrds().len();
    let (_, _, params) = linux(entry)?;
    let never = named > 0
        && loaded.len() == named
        && loaded.iter().all(|(_, _, r)| r.no_init)
        && !params.iter().any(|p| p.key == "rdinit");
    never.then_some(loaded)
}

/// The whole segments the kernel runs `/init` from despite `fault` in the
/// `index`th of an entry's initrds. Only in the last one: GRUB loads the files
/// end to end and the kernel stops unpacking at the first fault, so one in an
/// earlier file loses every file after it.
pub(super) fn init_kept<'a>(
    loaded: &[LoadedInitrd<'a>],
    index: usize,
    fault: &InitrdError,
) -> Option<&'a KeptBeforeFault> {
    if index + 1 != loaded.len() {
        return None;
    }
    loaded.get(index)?.2.init_kept_before(fault)
}

/// Whether the boot goes on past `fault` as if the initrd were whole: the
/// segments before it hold `/init` and everything bootvet read from the archive.
pub(super) fn survives(loaded: &[LoadedInitrd<'_>], index: usize, fault: &InitrdError) -> bool {
    init_kept(loaded, index, fault).is_some_and(|k| k.all_evidence)
}

/// The first fault the kernel hits in this initrd, given its config.
pub(super) fn first_fault(booted: &Booted<'_>, report: &InitrdReport) -> Option<InitrdError> {
    report.first_fault_for(|c| booted.supports(c))
}

/// The modules an entry's initrds hold, with what `modules.dep` says each needs.
pub(super) struct InitrdModules<'a> {
    reports: Vec<&'a InitrdReport>,
    /// The initrd's own `modules.dep` and the root filesystem's, merged: a
    /// dependency either names is one modprobe will want (a copied or stale
    /// modules.dep inside the initrd names what its modules needed when built).
    dep: ModulesDep,
    builtin: BTreeSet<String>,
    /// Where the dependencies were read, for evidence.
    pub dep_sources: Vec<String>,
}

/// One modular need the initrds cannot meet: the module bootvet looked for (of the
/// alternatives, the one with the fewest missing pieces) and what is missing of it
/// and its dependencies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Lack {
    pub module: String,
    /// Missing module names, the module itself first when it is missing.
    pub missing: Vec<String>,
}

impl Lack {
    /// The module is there; only modules it depends on are not.
    pub fn only_dependencies(&self) -> bool {
        self.missing.first() != Some(&self.module)
    }
}

impl<'a> InitrdModules<'a> {
    pub fn of(
        booted: &Booted<'a>,
        loaded: &[(&'a EntryCommand, &'a FileRef, &'a InitrdReport)],
    ) -> Self {
        let mut dep = ModulesDep::default();
        let mut dep_sources = Vec::new();
        let wanted = |path: &str| {
            let rest = path.strip_prefix("usr/").unwrap_or(path);
            let Some(rest) = rest.strip_prefix("lib/modules/") else {
                return false;
            };
            match rest.split_once('/') {
                Some((version, "modules.dep")) => {
                    booted.release.as_deref().is_none_or(|r| r == version)
                }
                _ => false,
            }
        };
        for (_, file, report) in loaded {
            for (path, text) in &report.module_files {
                if wanted(path) {
                    merge(
                        &mut dep,
                        ModulesDep::parse(text)
                            .modules
                            .into_iter()
                            .map(|(m, d)| (m, d.deps)),
                    );
                    dep_sources.push(format!("{}:{path}", file.path));
                }
            }
        }
        let on_root = booted.modules_on_root();
        if let Some(m) = on_root.filter(|m| m.dep_found) {
            merge(&mut dep, m.deps.clone());
            dep_sources.push(format!(
                "({})/lib/modules/{}/modules.dep",
                m.volume,
                booted.release.as_deref().unwrap_or("RELEASE")
            ));
        }
        InitrdModules {
            reports: loaded.iter().map(|(_, _, r)| *r).collect(),
            dep,
            builtin: on_root.and_then(|m| m.builtin.clone()).unwrap_or_default(),
            dep_sources,
        }
    }

    pub fn has(&self, module: &str) -> bool {
        self.reports.iter().any(|r| r.has_module(module))
    }

    /// Modules the initrds hold, over all of them.
    pub fn count(&self) -> usize {
        self.reports.iter().map(|r| r.modules.len()).sum()
    }

    /// What `module` needs, as `modules.dep` lists it (itself excluded), the
    /// ones `modules.builtin` names marked as built in.
    pub fn dependencies(&self, module: &str) -> Vec<String> {
        self.dep
            .closure(module)
            .into_iter()
            .skip(1)
            .map(|m| match self.builtin.contains(&m) {
                true => format!("{m} (built in)"),
                false => m,
            })
            .collect()
    }

    /// `None` when one of `alternatives` is in the initrds with everything it
    /// needs that the kernel does not build in.
    pub fn lacks(&self, alternatives: &[String]) -> Option<Lack> {
        let mut best: Option<Lack> = None;
        for module in alternatives {
            let missing: Vec<String> = self
                .dep
                .closure(module)
                .into_iter()
                .filter(|m| !self.builtin.contains(m) && !self.has(m))
                .collect();
            if missing.is_empty() {
                return None;
            }
            if best
                .as_ref()
                .is_none_or(|b| missing.len() < b.missing.len())
            {
                best = Some(Lack {
                    module: module.clone(),
                    missing,
                });
            }
        }
        best
    }
}

fn merge(dep: &mut ModulesDep, lines: impl IntoIterator<Item = (String, Vec<String>)>) {
    for (module, deps) in lines {
        let entry = dep.modules.entry(module).or_insert_with(|| ModuleDep {
            path: String::new(),
            deps: Vec::new(),
        });
        for d in deps {
            if !entry.deps.contains(&d) {
                entry.deps.push(d);
            }
        }
    }
}

/// How the booted kernel provides one need of the root path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Have {
    /// Built in; the evidence says how bootvet knows.
    BuiltIn(String),
    /// Only as a module: one of `modules` must be in the initramfs. `how`
    /// says how bootvet knows: `CONFIG_EXT4_FS=m`, or the driver missing from
    /// `modules.builtin` when no config was read.
    Module { how: String, modules: Vec<String> },
    /// The kernel cannot provide it at all (config says not set).
    Absent(String),
    /// Neither a config nor modules.builtin tells; `looked` says what was
    /// looked for and why it told nothing.
    Unknown { looked: String },
}

/// One need of the root path (filesystem, bus driver) and how the kernel meets it.
#[derive(Clone, Debug)]
pub(super) struct Need {
    pub what: String,
    pub kind: NeedKind,
    pub have: Have,
}

fn have(booted: &Booted<'_>, need: &str) -> Have {
    let Some(p) = provider(need) else {
        return Have::Unknown {
            looked: format!("bootvet has no table row for {need}"),
        };
    };
    let builtin_list = booted.modules_on_root().and_then(|m| m.builtin.as_ref());
    if let Some(list) = builtin_list
        && let Some(m) = p.modules.iter().find(|m| list.contains(**m))
    {
        return Have::BuiltIn(format!("{m} is in modules.builtin"));
    }
    let config = booted.side.and_then(|s| s.config.as_ref());
    match config.and_then(|c| c.provision(need)) {
        Some(Provision::BuiltIn { symbol }) => Have::BuiltIn(format!("{symbol}=y")),
        Some(Provision::Module { symbol, modules }) => Have::Module {
            how: format!("{symbol}=m"),
            modules: modules.clone(),
        },
        Some(Provision::Missing) => Have::Absent(format!(
            "{} not set",
            p.symbols
                .iter()
                .map(|s| format!("CONFIG_{s}"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        // kbuild writes every built-in module's name to modules.builtin
        // (scripts/Makefile.modfinal's modules.builtin from modules.order of
        // obj-y): a driver missing from it is not built in, so without a
        // config it is a module or not in this kernel, and either way only an
        // initramfs can bring it.
        None if builtin_list.is_some() => Have::Module {
            how: format!(
                "not in ({})/lib/modules/{}/modules.builtin",
                booted.modules_on_root().map_or("?", |m| m.volume.as_str()),
                booted.release.as_deref().unwrap_or("RELEASE")
            ),
            modules: p.modules.iter().map(|m| m.to_string()).collect(),
        },
        None => Have::Unknown {
            looked: looked_for(booted),
        },
    }
}

/// What was looked for to tell a built-in driver from a module, and why each
/// told nothing: `config-RELEASE` beside the kernel, `modules.builtin` on root.
fn looked_for(booted: &Booted<'_>) -> String {
    let release = booted.release.as_deref().unwrap_or("RELEASE");
    let config = match booted.side {
        Some(side) => match (&side.config, &side.config_missing) {
            (Some(c), _) => format!("{} has no line for it", c.path),
            (None, Some(why)) => format!("no config-{release} ({why})"),
            (None, None) => format!("no config-{release}"),
        },
        None => format!("config-{release} was not looked for (the kernel was not read)"),
    };
    let builtin = match booted.modules_on_root() {
        Some(m) if !m.dir_found => format!(
            "no /lib/modules/{release} on ({}) to read modules.builtin from",
            m.volume
        ),
        Some(m) => format!(
            "no /lib/modules/{release}/modules.builtin on ({})",
            m.volume
        ),
        None => "root= is not a filesystem bootvet read, so no modules.builtin".to_string(),
    };
    format!("{config}; {builtin}")
}

/// The root filesystem's type, when root= resolves to exactly one volume.
pub(super) fn root_fstype<'a>(facts: &'a BootFacts, root: &str) -> Option<&'a str> {
    let walked = || super::root_stack::walked(facts, root).and_then(|s| s.fstype.as_deref());
    let Some(fact) = facts.root(root) else {
        return walked();
    };
    match fact.filesystems.as_slice() {
        [Some(fs)] => Some(fs.fstype.as_str()),
        // Live, a root inside dm/md is on no disk bootvet lists: the type
        // mountinfo gives for `/` (when root= names it) is the one to load.
        _ => walked(),
    }
}

/// What the root path needs that the kernel does not build in: the root
/// filesystem's driver, the drivers of the storage layers under it
/// (`root_stack`), and the bus. For a bus bootvet only assumes (images
/// without `--root-bus`), the bus counts as missing only when every candidate is
/// missing; `accept` says whether a candidate is met (built in, or in the initrd).
pub(super) fn unmet_needs(
    facts: &BootFacts,
    booted: &Booted<'_>,
    accept: impl Fn(&Need) -> bool,
) -> Vec<Need> {
    let mut out = Vec::new();
    let Some(root) = booted.root() else {
        return out;
    };
    if let Some(fstype) = root_fstype(facts, root)
        && provider(fstype).is_some()
    {
        let need = Need {
            what: fstype.to_string(),
            kind: NeedKind::Filesystem,
            have: have(booted, fstype),
        };
        if !accept(&need) {
            out.push(need);
        }
    }
    for layer in super::root_stack::layers(facts, booted.params, root) {
        for what in layer.needs() {
            let need = Need {
                what: what.to_string(),
                kind: NeedKind::Layer,
                have: have(booted, what),
            };
            if !out.iter().any(|n| n.what == need.what) && !accept(&need) {
                out.push(need);
            }
        }
    }
    let bus = &facts.root_bus;
    let needs: Vec<Need> = bus
        .drivers
        .iter()
        .filter(|d| provider(d).is_some())
        .map(|d| Need {
            what: d.clone(),
            kind: NeedKind::Bus,
            have: have(booted, d),
        })
        .collect();
    match bus.need {
        BusNeed::All => out.extend(needs.into_iter().filter(|n| !accept(n))),
        BusNeed::Any => {
            if !needs.is_empty() && !needs.iter().any(&accept) {
                out.extend(needs);
            }
        }
    }
    out
}

/// The modules the root path may load: every module of every need the kernel
/// has only as a module (filesystem, layers, each candidate bus).
pub(super) fn modular_root_path(facts: &BootFacts, booted: &Booted<'_>) -> Vec<String> {
    unmet_needs(facts, booted, |_| false)
        .into_iter()
        .filter_map(|n| match n.have {
            Have::Module { modules, .. } => Some(modules),
            _ => None,
        })
        .flatten()
        .collect()
}

/// A need's state as one evidence line.
pub(super) fn describe(need: &Need) -> String {
    let kind = match need.kind {
        NeedKind::Filesystem => "root filesystem",
        NeedKind::Bus => "disk driver",
        NeedKind::Layer => "storage layer",
    };
    match &need.have {
        Have::BuiltIn(how) => format!("{kind} {}: built in ({how})", need.what),
        Have::Module { how, modules } => format!(
            "{kind} {}: {how}, a module ({}.ko) only an initramfs can load",
            need.what,
            modules.join(".ko or ")
        ),
        Have::Absent(how) => format!("{kind} {}: not in this kernel ({how})", need.what),
        Have::Unknown { looked } => format!(
            "{kind} {}: built in or a module is unknown ({looked})",
            need.what
        ),
    }
}

/// Where the bus list came from, for evidence.
pub(super) fn bus_origin(facts: &BootFacts) -> String {
    let bus = &facts.root_bus;
    match (bus.need, bus.source.as_str()) {
        (BusNeed::Any, _) => format!(
            "the root disk's bus is not known for an image: any of {} will do (pin it with --root-bus)",
            bus.drivers.join(", ")
        ),
        (BusNeed::All, source) => {
            format!("root disk drivers ({source}): {}", bus.drivers.join(", "))
        }
    }
}

/// The kernel's `MAJ:MIN` of the volume root= resolves to, when probe knows it
/// (the live system); images have none.
pub(super) fn root_devno(facts: &BootFacts, root: &str) -> Option<String> {
    let fact = facts.root(root)?;
    let crate::facts::volumes::Resolution::One(volume) = &fact.resolution else {
        return None;
    };
    let disk = facts.storage.disks.get(volume.disk?)?;
    match volume.partition {
        Some(p) => disk.partitions.get(p)?.devno.clone(),
        None => disk.devno.clone(),
    }
}
