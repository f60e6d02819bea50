//! From findings to verdicts: per entry and per link of the chain (its state
//! and the facts it rests on, which `report` words), the entry that boots next,
//! and the exit status a hook can act on.

use serde::Serialize;

use super::finding::{EntryRef, Finding, Severity};
use super::registry::Link;
use crate::exit;
use crate::facts::BootFacts;
use crate::facts::files::{FileFact, FileLookup};
use crate::facts::volumes::{DeviceResolution, Resolution};
use crate::menu::{BootEntry, CommandKind, DeviceExpr, FileRef};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    Pass,
    Warn,
    Fail,
    /// bootvet could not tell (decided at boot, not readable offline).
    Unknown,
    /// The entry has no such link (a chainloader has no initrd).
    None,
}

/// One link of an entry's chain: how it stands, and the facts that say so
/// (`report` words them).
#[derive(Clone, Debug)]
pub struct LinkStatus {
    pub link: Link,
    pub state: LinkState,
    pub evidence: Evidence,
}

/// What a link's state rests on, per link.
#[derive(Clone, Debug)]
pub enum Evidence {
    /// The entry's place in the config (its findings say the rest).
    Config,
    Device(DeviceEvidence),
    /// The file the entry loads (kernel, or chainloaded image); `None`: nothing.
    Kernel(Option<Loaded>),
    Initrd(InitrdEvidence),
    Root(RootEvidence),
}

/// The device of the file an entry loads.
#[derive(Clone, Debug)]
pub enum DeviceEvidence {
    /// GRUB uses `volume`; `others` volumes matched too; a failed `search` left
    /// `$root` at `volume`.
    Found {
        volume: String,
        /// The filesystem's type and UUID, when one was identified.
        fstype: Option<String>,
        fs_uuid: Option<String>,
        others: usize,
        failed_search: Option<String>,
    },
    /// GRUB fails with `message`, asked for `grub_name` (`hd0,gpt9`) when the
    /// entry named a GRUB device.
    Missing {
        message: String,
        grub_name: Option<String>,
    },
    Unknown {
        why: String,
    },
    NothingLoaded,
}

/// A file an entry loads, as it was looked up; `release`: for a kernel whose
/// header was read, the version string it carries (`None` inside: none).
#[derive(Clone, Debug)]
pub struct Loaded {
    pub path: String,
    pub lookup: Option<FileLookup>,
    pub release: Option<Option<String>>,
}

#[derive(Clone, Debug)]
pub enum InitrdEvidence {
    NotLinux,
    NoInitrdLine,
    Files(Vec<Loaded>),
}

/// What `root=` resolves to.
#[derive(Clone, Debug)]
pub enum RootEvidence {
    NotLinux,
    NoRoot,
    One {
        value: String,
        volume: String,
        fstype: Option<String>,
    },
    Several {
        value: String,
        matches: usize,
    },
    /// Nothing on the disks matches.
    NoDevice {
        value: String,
    },
    /// Not checked: replayed without it, not a device name, or no disks.
    Unverified {
        value: String,
    },
    /// Inside storage layers bootvet cannot open (dm-crypt, LVM, md).
    Inside {
        value: String,
        layers: Vec<&'static str>,
    },
    /// Live: the device mounted at `/` now, its stack walked through sysfs.
    Running {
        value: String,
        stack: String,
        fstype: Option<String>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Boots,
    /// Warnings only: it may not boot, or a later update will break it.
    MayFail,
    WillFail,
}

/// One entry's verdict (`report::check` words it, text and JSON).
#[derive(Clone, Debug)]
pub struct EntryVerdict {
    pub entry: EntryRef,
    pub boots_next: bool,
    pub conditional: Option<String>,
    pub verdict: Verdict,
    pub links: Vec<LinkStatus>,
    /// Indexes into `Report::findings`.
    pub findings: Vec<usize>,
}

#[derive(Clone, Debug)]
pub struct Report {
    pub entries: Vec<EntryVerdict>,
    pub findings: Vec<Finding>,
    /// Findings about the config as a whole (indexes into `findings`).
    pub global: Vec<usize>,
    /// Index into `entries` of the entry that boots next.
    pub next: Option<usize>,
    /// The first failing finding that stops the boot before the menu (index
    /// into `findings`): every entry fails with it.
    pub stops_before_menu: Option<usize>,
    pub exit_status: u8,
}

pub fn evaluate(facts: &BootFacts, findings: Vec<Finding>, strict: bool) -> Report {
    let fails =
        |f: &Finding| f.severity == Severity::Error || (strict && f.severity == Severity::Warning);
    let default_path = facts.menu.default.path.clone();
    // A failure before the menu (the loader chain, an empty menu, a reset at
    // top level) ends every entry's boot, whatever the entry holds.
    let stops_before_menu = findings.iter().position(|f| f.before_menu && fails(f));
    let mut entries = Vec::new();
    let mut next = None;
    for entry in facts.menu.boot_entries() {
        let reference = EntryRef::of(entry);
        let mine: Vec<usize> = findings
            .iter()
            .enumerate()
            .filter(|(_, f)| f.entry.as_ref().is_some_and(|e| e.path == reference.path))
            .map(|(i, _)| i)
            .collect();
        let verdict = if stops_before_menu.is_some() || mine.iter().any(|i| fails(&findings[*i])) {
            Verdict::WillFail
        } else if mine
            .iter()
            .any(|i| findings[*i].severity == Severity::Warning)
        {
            Verdict::MayFail
        } else {
            Verdict::Boots
        };
        let boots_next = default_path.as_deref() == Some(entry.head.path.as_slice());
        if boots_next {
            next = Some(entries.len());
        }
        entries.push(EntryVerdict {
            links: links(facts, entry, &findings, &mine),
            entry: reference,
            boots_next,
            conditional: entry.head.conditional.clone(),
            verdict,
            findings: mine,
        });
    }
    let global: Vec<usize> = findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.entry.is_none())
        .map(|(i, _)| i)
        .collect();
    // No menu at all (GRUB waits at a prompt), or a stop above grub.cfg: the
    // next boot fails although no entry's own links do.
    let next_fails = stops_before_menu.is_some()
        || next.is_some_and(|i| entries[i].verdict == Verdict::WillFail)
        || (strict && next.is_some_and(|i| entries[i].verdict == Verdict::MayFail));
    let any_fails = entries.iter().any(|e| e.verdict == Verdict::WillFail)
        || global.iter().any(|i| fails(&findings[*i]))
        || (strict && entries.iter().any(|e| e.verdict == Verdict::MayFail));
    let exit_status = if next_fails {
        exit::NEXT_BOOT_FAILS
    } else if any_fails {
        exit::FOUND
    } else {
        exit::OK
    };
    Report {
        entries,
        findings,
        global,
        next,
        stops_before_menu,
        exit_status,
    }
}

fn links(
    facts: &BootFacts,
    entry: &BootEntry,
    findings: &[Finding],
    mine: &[usize],
) -> Vec<LinkStatus> {
    let worst = |link: Link| {
        mine.iter()
            .map(|i| &findings[*i])
            .filter(|f| f.link == link)
            .map(|f| f.severity)
            .max()
    };
    let state_for = |link: Link, default: LinkState| match worst(link) {
        Some(Severity::Error) => LinkState::Fail,
        Some(Severity::Warning) => LinkState::Warn,
        _ => default,
    };
    let linux = entry.linux();
    let kernel_file = linux.and_then(|c| match &c.kind {
        CommandKind::Linux { file, .. } => Some(file),
        _ => None,
    });
    let loaded = kernel_file.or_else(|| {
        entry.commands.iter().find_map(|c| match &c.kind {
            CommandKind::Chainloader { file, .. } | CommandKind::Load { file, .. } => Some(file),
            _ => None,
        })
    });
    let loaded_fact = loaded.and_then(|f| facts.file(f));

    let mut out = vec![LinkStatus {
        link: Link::Config,
        state: state_for(Link::Config, LinkState::Pass),
        evidence: Evidence::Config,
    }];

    let device = device_evidence(loaded, loaded_fact);
    let device_state = match &device {
        DeviceEvidence::Found {
            failed_search: Some(_),
            ..
        } => LinkState::Warn,
        DeviceEvidence::Found { .. } => LinkState::Pass,
        DeviceEvidence::Missing { .. } => LinkState::Fail,
        DeviceEvidence::Unknown { .. } => LinkState::Unknown,
        DeviceEvidence::NothingLoaded => LinkState::None,
    };
    out.push(LinkStatus {
        link: Link::Device,
        state: match state_for(Link::Device, device_state) {
            LinkState::Pass if device_state != LinkState::Pass => device_state,
            s => s,
        },
        evidence: Evidence::Device(device),
    });

    let kernel = match (loaded, loaded_fact) {
        (Some(file), Some(fact)) => Some(Loaded {
            path: file.path.clone(),
            lookup: Some(fact.lookup.clone()),
            release: fact.kernel.as_ref().map(|k| k.release.clone()),
        }),
        _ => None,
    };
    let kernel_state = match kernel.as_ref().and_then(|k| k.lookup.as_ref()) {
        Some(FileLookup::Found { .. }) => LinkState::Pass,
        Some(FileLookup::NotFound | FileLookup::Unreadable { .. }) => LinkState::Fail,
        Some(FileLookup::Unknown { .. }) => LinkState::Unknown,
        None => LinkState::None,
    };
    out.push(LinkStatus {
        link: Link::Kernel,
        state: state_for(Link::Kernel, kernel_state),
        evidence: Evidence::Kernel(kernel),
    });

    let initrds = entry.initrds();
    let (initrd_state, initrd) = if kernel_file.is_none() {
        (LinkState::None, InitrdEvidence::NotLinux)
    } else if initrds.is_empty() {
        (LinkState::Pass, InitrdEvidence::NoInitrdLine)
    } else {
        let files: Vec<Loaded> = initrds
            .iter()
            .map(|f| Loaded {
                path: f.path.clone(),
                lookup: facts.file(f).map(|fact| fact.lookup.clone()),
                release: None,
            })
            .collect();
        let unknown = files
            .iter()
            .any(|f| matches!(f.lookup, Some(FileLookup::Unknown { .. }) | None));
        let state = if unknown {
            LinkState::Unknown
        } else {
            LinkState::Pass
        };
        (state, InitrdEvidence::Files(files))
    };
    out.push(LinkStatus {
        link: Link::Initrd,
        state: state_for(Link::Initrd, initrd_state),
        evidence: Evidence::Initrd(initrd),
    });

    let root = linux.and_then(|c| match &c.kind {
        CommandKind::Linux { params, .. } => params
            .iter()
            .rev()
            .find(|p| p.key == "root")
            .and_then(|p| p.value.clone()),
        _ => None,
    });
    let root = match (root, kernel_file) {
        (_, None) => RootEvidence::NotLinux,
        (None, Some(_)) => RootEvidence::NoRoot,
        (Some(value), Some(_)) => root_evidence(facts, linux, value),
    };
    let root_state = match &root {
        RootEvidence::NotLinux => LinkState::None,
        RootEvidence::One { .. } | RootEvidence::Several { .. } | RootEvidence::Running { .. } => {
            LinkState::Pass
        }
        RootEvidence::NoDevice { .. } => LinkState::Fail,
        RootEvidence::NoRoot | RootEvidence::Unverified { .. } | RootEvidence::Inside { .. } => {
            LinkState::Unknown
        }
    };
    out.push(LinkStatus {
        link: Link::Root,
        state: state_for(Link::Root, root_state),
        evidence: Evidence::Root(root),
    });
    out
}

/// The device of the file an entry loads, as GRUB will pick it.
fn device_evidence(loaded: Option<&FileRef>, loaded_fact: Option<&FileFact>) -> DeviceEvidence {
    let filesystem = loaded_fact.and_then(|f| f.filesystem.as_ref());
    match loaded_fact.map(|f| &f.resolution) {
        Some(DeviceResolution::Found {
            volume,
            others,
            failed_search,
        }) => DeviceEvidence::Found {
            volume: volume.name.clone(),
            fstype: filesystem.map(|fs| fs.fstype.clone()),
            fs_uuid: filesystem.and_then(|fs| fs.uuid.clone()),
            others: others.len(),
            failed_search: failed_search.clone(),
        },
        Some(DeviceResolution::Missing { message }) => DeviceEvidence::Missing {
            message: message.clone(),
            grub_name: match loaded.map(|f| &f.device) {
                Some(DeviceExpr::Grub { name }) => Some(name.clone()),
                _ => None,
            },
        },
        Some(DeviceResolution::Unknown { why }) => DeviceEvidence::Unknown { why: why.clone() },
        None => DeviceEvidence::NothingLoaded,
    }
}

/// What `root=VALUE` resolves to, as the root link shows it.
fn root_evidence(
    facts: &BootFacts,
    linux: Option<&crate::menu::EntryCommand>,
    value: String,
) -> RootEvidence {
    let Some(fact) = facts.root(&value) else {
        return RootEvidence::Unverified { value };
    };
    match &fact.resolution {
        Resolution::One(v) => RootEvidence::One {
            volume: v.name.clone(),
            fstype: fact
                .filesystems
                .first()
                .cloned()
                .flatten()
                .map(|fs| fs.fstype),
            value,
        },
        Resolution::Several(all) => RootEvidence::Several {
            value,
            matches: all.len(),
        },
        Resolution::None => {
            let params = match linux.map(|c| &c.kind) {
                Some(CommandKind::Linux { params, .. }) => params.as_slice(),
                _ => &[],
            };
            if let Some(walked) = super::rules::root_stack::walked(facts, &value) {
                return RootEvidence::Running {
                    stack: super::rules::root_stack::describe_walk(walked),
                    fstype: walked.fstype.clone(),
                    value,
                };
            }
            let stack = super::rules::root_stack::layers(facts, params, &value);
            if !stack.is_empty() {
                // The filesystem is inside a layer bootvet cannot open.
                let layers = stack.iter().map(|l| l.kind.name()).collect();
                RootEvidence::Inside { value, layers }
            } else if fact.unparsed.is_some() || facts.storage.disks.is_empty() {
                RootEvidence::Unverified { value }
            } else {
                RootEvidence::NoDevice { value }
            }
        }
    }
}
