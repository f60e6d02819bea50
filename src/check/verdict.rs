//! From findings to verdicts: per entry and per link of the chain, the entry
//! that boots next, and the exit status a hook can act on.

use serde::Serialize;

use super::finding::{EntryRef, Finding, Severity};
use super::registry::Link;
use crate::exit;
use crate::facts::volumes::DeviceResolution;
use crate::facts::volumes::Resolution;
use crate::facts::{BootFacts, files::FileLookup};
use crate::menu::{BootEntry, CommandKind, DeviceExpr};
use crate::units::human_size;

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

#[derive(Clone, Debug, Serialize)]
pub struct LinkStatus {
    pub link: Link,
    pub state: LinkState,
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Boots,
    /// Warnings only: it may not boot, or a later update will break it.
    MayFail,
    WillFail,
}

#[derive(Clone, Debug, Serialize)]
pub struct EntryVerdict {
    #[serde(flatten)]
    pub entry: EntryRef,
    pub boots_next: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditional: Option<String>,
    pub verdict: Verdict,
    pub links: Vec<LinkStatus>,
    /// Indexes into `Report::findings`.
    pub findings: Vec<usize>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub entries: Vec<EntryVerdict>,
    pub findings: Vec<Finding>,
    /// Findings about the config as a whole (indexes into `findings`).
    pub global: Vec<usize>,
    /// Index into `entries` of the entry that boots next.
    pub next: Option<usize>,
    pub exit_status: u8,
}

pub fn evaluate(facts: &BootFacts, findings: Vec<Finding>, strict: bool) -> Report {
    let fails =
        |f: &Finding| f.severity == Severity::Error || (strict && f.severity == Severity::Warning);
    let default_path = facts.menu.default.path.clone();
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
        let verdict = if mine.iter().any(|i| fails(&findings[*i])) {
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
    let next_fails = next.is_some_and(|i| entries[i].verdict == Verdict::WillFail)
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
        detail: String::new(),
    }];

    let (device_state, device_detail) = match loaded_fact.map(|f| &f.resolution) {
        Some(DeviceResolution::Found {
            volume,
            others,
            failed_search,
        }) => {
            let fs = loaded_fact
                .and_then(|f| f.filesystem.as_ref())
                .map(|fs| {
                    format!(
                        " {}{}",
                        fs.fstype,
                        fs.uuid
                            .as_ref()
                            .map(|u| format!(" {u}"))
                            .unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            let more = if others.is_empty() {
                String::new()
            } else {
                format!(" (+{} more)", others.len())
            };
            match failed_search {
                Some(message) => (
                    LinkState::Warn,
                    format!("{message}; $root stays ({}){fs}{more}", volume.name),
                ),
                None => (LinkState::Pass, format!("({}){fs}{more}", volume.name)),
            }
        }
        Some(DeviceResolution::Missing { message }) => {
            // GRUB's `no such partition` does not say which one.
            let detail = match loaded.map(|f| &f.device) {
                Some(DeviceExpr::Grub { name }) if !message.contains(name.as_str()) => {
                    format!("({name}): {message}")
                }
                _ => message.clone(),
            };
            (LinkState::Fail, detail)
        }
        Some(DeviceResolution::Unknown { why }) => (LinkState::Unknown, why.clone()),
        None => (LinkState::None, "nothing loaded".into()),
    };
    out.push(LinkStatus {
        link: Link::Device,
        state: match state_for(Link::Device, device_state) {
            LinkState::Pass if device_state != LinkState::Pass => device_state,
            s => s,
        },
        detail: device_detail,
    });

    let (kernel_state, kernel_detail) = match (loaded, loaded_fact) {
        (Some(file), Some(fact)) => match &fact.lookup {
            FileLookup::Found { size } => {
                let what = fact
                    .kernel
                    .as_ref()
                    .map(|k| {
                        format!(
                            ", {}",
                            k.release
                                .clone()
                                .unwrap_or_else(|| "no version string".into())
                        )
                    })
                    .unwrap_or_default();
                (
                    LinkState::Pass,
                    format!("{} {}{what}", file.path, human_size(*size)),
                )
            }
            FileLookup::NotFound => (LinkState::Fail, format!("{} not found", file.path)),
            FileLookup::Unreadable { message } => {
                (LinkState::Fail, format!("{}: {message}", file.path))
            }
            FileLookup::Unknown { why } => (LinkState::Unknown, format!("{}: {why}", file.path)),
        },
        _ => (LinkState::None, "no kernel".into()),
    };
    out.push(LinkStatus {
        link: Link::Kernel,
        state: state_for(Link::Kernel, kernel_state),
        detail: kernel_detail,
    });

    let initrds = entry.initrds();
    let (initrd_state, initrd_detail) = if kernel_file.is_none() {
        (LinkState::None, "not a Linux entry".to_string())
    } else if initrds.is_empty() {
        (LinkState::Pass, "no initrd line".to_string())
    } else {
        let parts: Vec<String> = initrds
            .iter()
            .map(|f| match facts.file(f).map(|fact| &fact.lookup) {
                Some(FileLookup::Found { size }) => format!("{} {}", f.path, human_size(*size)),
                Some(FileLookup::NotFound) => format!("{} not found", f.path),
                Some(FileLookup::Unreadable { message }) => format!("{}: {message}", f.path),
                Some(FileLookup::Unknown { why }) => format!("{}: {why}", f.path),
                None => f.path.clone(),
            })
            .collect();
        let unknown = initrds.iter().any(|f| {
            matches!(
                facts.file(f).map(|x| &x.lookup),
                Some(FileLookup::Unknown { .. }) | None
            )
        });
        (
            if unknown {
                LinkState::Unknown
            } else {
                LinkState::Pass
            },
            parts.join(" + "),
        )
    };
    out.push(LinkStatus {
        link: Link::Initrd,
        state: state_for(Link::Initrd, initrd_state),
        detail: initrd_detail,
    });

    let root = linux.and_then(|c| match &c.kind {
        CommandKind::Linux { params, .. } => params
            .iter()
            .rev()
            .find(|p| p.key == "root")
            .and_then(|p| p.value.clone()),
        _ => None,
    });
    let (root_state, root_detail) = match (&root, kernel_file) {
        (_, None) => (LinkState::None, "not a Linux entry".to_string()),
        (None, Some(_)) => (
            LinkState::Unknown,
            "no root= on the command line".to_string(),
        ),
        (Some(value), Some(_)) => match facts.root(value) {
            Some(fact) => match &fact.resolution {
                Resolution::One(v) => {
                    let fs = fact
                        .filesystems
                        .first()
                        .cloned()
                        .flatten()
                        .map(|fs| format!(" {}", fs.fstype))
                        .unwrap_or_default();
                    (LinkState::Pass, format!("root={value} → ({}){fs}", v.name))
                }
                Resolution::Several(all) => (
                    LinkState::Pass,
                    format!("root={value} → {} matches", all.len()),
                ),
                Resolution::None => {
                    let params = match linux.map(|c| &c.kind) {
                        Some(CommandKind::Linux { params, .. }) => params.as_slice(),
                        _ => &[],
                    };
                    let stack = super::rules::root_stack::layers(facts, params, value);
                    if stack.is_empty() {
                        if fact.unparsed.is_some() || facts.storage.disks.is_empty() {
                            (LinkState::Unknown, format!("root={value}"))
                        } else {
                            (LinkState::Fail, format!("root={value} → no device"))
                        }
                    } else {
                        // The filesystem is inside a layer bootvet cannot open.
                        let names: Vec<&str> = stack.iter().map(|l| l.kind.name()).collect();
                        (
                            LinkState::Unknown,
                            format!("root={value} inside {}", names.join(" + ")),
                        )
                    }
                }
            },
            None => (LinkState::Unknown, format!("root={value}")),
        },
    };
    out.push(LinkStatus {
        link: Link::Root,
        state: state_for(Link::Root, root_state),
        detail: root_detail,
    });
    out
}
