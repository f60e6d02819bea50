//! The links above grub.cfg in the check report (issue 14): firmware → core →
//! prefix → config, each with its state and the facts it rests on, worded the
//! same for the text report and the JSON document's `chain`.

use serde::Serialize;

use crate::check::{Finding, Link, LinkState, Report, Severity};
use crate::facts::BootFacts;
use crate::facts::loader::{
    AttemptOutcome, BiosRead, EfiApp, EfiFile, FirmwareStep, FsReadable, LoaderFacts, PrefixDevice,
    Presence,
};
use crate::inspect::grub_image::{BootSectorKind, GrubImageKind};
use crate::units::human_size;

/// One pre-menu link line.
#[derive(Clone, Debug, Serialize)]
pub struct ChainLine {
    pub link: &'static str,
    pub state: LinkState,
    pub detail: String,
}

/// Live, the Secure Boot state this boot runs under and the keys it rests on,
/// each named by the efivarfs variable it was read from (the checks of the
/// chain's binaries read these; their findings say what fails).
fn secure_boot_line(facts: &BootFacts) -> Option<ChainLine> {
    use crate::facts::secure_boot::{PolicyFrom, SbState};
    let p = &facts.secure_boot.policy;
    if p.from != PolicyFrom::Efivarfs {
        return None;
    }
    let state = match p.state {
        SbState::On => "on",
        SbState::Off => "off",
        SbState::Unknown => return None,
    };
    let count =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let list = |name: &str, l: &Option<crate::facts::secure_boot::KeyList>| match l {
        Some(l) if l.fault.is_some() => format!("{name} unreadable"),
        Some(l) => format!(
            "{name} {}, {}",
            count(l.certs.len(), "certificate", "certificates"),
            count(l.hashes.len() + l.tbs_hashes.len(), "hash", "hashes")
        ),
        None => format!("{name} absent"),
    };
    let level = match &p.sbat_level {
        Some(l) => format!(
            "SbatLevelRT {}",
            l.datestamp
                .map(|d| d.to_string())
                .unwrap_or_else(|| "without datestamp".into())
        ),
        None => "no SbatLevelRT".into(),
    };
    Some(ChainLine {
        link: "secure boot",
        state: LinkState::Pass,
        detail: format!(
            "{state} ({}); keys from {}: {}; {}; {}; {}",
            p.why,
            p.source.as_deref().unwrap_or("efivarfs"),
            list("db", &p.db),
            list("dbx", &p.dbx),
            list("MokListRT", &p.mok),
            level
        ),
    })
}

/// The findings about the links above grub.cfg (indexes into `report.findings`).
pub fn findings(report: &Report) -> Vec<usize> {
    report
        .global
        .iter()
        .copied()
        .filter(|&i| report.findings[i].link.is_before_menu())
        .collect()
}

/// The pre-menu lines, or nothing when the chain was not looked at.
pub fn chain(facts: &BootFacts, report: &Report) -> Vec<ChainLine> {
    let Some(loader) = &facts.loader else {
        return Vec::new();
    };
    let worst = |link: Link| {
        findings(report)
            .iter()
            .map(|&i| &report.findings[i])
            .filter(|f: &&Finding| f.link == link)
            .map(|f| f.severity)
            .max()
    };
    let state = |link: Link, default: LinkState| match worst(link) {
        Some(Severity::Error) => LinkState::Fail,
        Some(Severity::Warning) => LinkState::Warn,
        _ => default,
    };
    let (fw_state, fw_detail) = firmware(loader);
    let mut lines = vec![ChainLine {
        link: "firmware",
        state: state(Link::Firmware, fw_state),
        detail: fw_detail,
    }];
    lines.extend(secure_boot_line(facts));
    let Some(image) = &loader.image else {
        // No image was parsed: a finding about the core (missing, damaged) still
        // makes it the link that stops the boot, as the header must say.
        let core_state = state(Link::Core, LinkState::Unknown);
        if matches!(core_state, LinkState::Fail | LinkState::Warn) {
            lines.push(ChainLine {
                link: "core",
                state: core_state,
                detail: "no GRUB image could be read".to_string(),
            });
        }
        return lines;
    };
    let mut core = match &image.kind {
        GrubImageKind::Bios { header, .. } => format!(
            "core.img {} compressed",
            human_size(u64::from(header.compressed_size))
        ),
        GrubImageKind::Efi { .. } => "GRUB EFI image".to_string(),
    };
    core.push_str(&format!(", {} modules", image.modules.len()));
    if let Some(v) = &image.version {
        let v = v.package_version.as_ref().or(v.version.as_ref());
        if let Some(v) = v {
            core.push_str(&format!(", GRUB {v}"));
        }
    }
    if let Some(p) = &image.prefix {
        core.push_str(&format!(", prefix `{p}`"));
    }
    lines.push(ChainLine {
        link: "core",
        state: state(Link::Core, LinkState::Pass),
        detail: core,
    });
    let Some(p) = &loader.prefix else {
        return lines;
    };
    let by = match &p.device {
        PrefixDevice::Named { .. } | PrefixDevice::BootDevice { .. } => String::new(),
        PrefixDevice::Search {
            how, key, found, ..
        } => format!(
            " (search.{how} {key}{})",
            if *found { "" } else { ": not found" }
        ),
        PrefixDevice::Unknown { why } => format!(" ({why})"),
    };
    let (fs_state, fs) = match &p.filesystem {
        FsReadable::Yes { fstype } => (LinkState::Pass, fstype.clone()),
        FsReadable::No { why } => (LinkState::Fail, why.clone()),
        FsReadable::NoDevice { message } => (LinkState::Fail, message.clone()),
        FsReadable::Unknown { why } => (LinkState::Unknown, why.clone()),
    };
    let normal = match &p.normal_mod {
        Presence::Found => format!(
            ", {}/normal.mod{}",
            p.platform_dir,
            p.normal_version
                .as_ref()
                .map(|v| format!(" {v}"))
                .unwrap_or_default()
        ),
        Presence::BuiltIn => ", normal built in".to_string(),
        Presence::Missing => format!(", {}/normal.mod missing", p.platform_dir),
        Presence::Unknown { .. } => String::new(),
    };
    let prefix_state = match (&fs_state, &p.normal_mod) {
        (LinkState::Pass, Presence::Missing) => LinkState::Fail,
        (LinkState::Pass, Presence::Unknown { .. }) => LinkState::Unknown,
        (s, _) => *s,
    };
    lines.push(ChainLine {
        link: "prefix",
        state: state(Link::Prefix, prefix_state),
        detail: format!("{}{by} {fs}{normal}", p.value),
    });
    let cfg = format!("{}/grub.cfg", p.value.trim_end_matches('/'));
    let (cfg_state, cfg_detail) = match &p.grub_cfg {
        Presence::Found | Presence::BuiltIn => (LinkState::Pass, cfg),
        Presence::Missing => (LinkState::Fail, format!("{cfg} missing")),
        Presence::Unknown { why } => (LinkState::Unknown, format!("{cfg}: {why}")),
    };
    lines.push(ChainLine {
        link: "config",
        state: cfg_state,
        detail: cfg_detail,
    });
    lines
}

fn firmware(loader: &LoaderFacts) -> (LinkState, String) {
    match &loader.firmware {
        FirmwareStep::Unknown { why } => (LinkState::Unknown, why.clone()),
        FirmwareStep::Bios {
            disk,
            chain: BiosRead::Unknown { why },
            ..
        } => (LinkState::Unknown, format!("BIOS boots ({disk}): {why}")),
        FirmwareStep::Bios {
            disk,
            chain: BiosRead::Read(chain),
            ..
        } => match chain.boot_sector.kind {
            BootSectorKind::Blank => (
                LinkState::Unknown,
                format!(
                    "BIOS boots ({disk}): its MBR has no boot code (GRUB not installed on this disk)"
                ),
            ),
            BootSectorKind::Other => (
                LinkState::Warn,
                format!("BIOS boots ({disk}): its MBR code is not GRUB's"),
            ),
            BootSectorKind::Grub { kernel_sector, .. } => (
                LinkState::Pass,
                format!("BIOS boots ({disk}): GRUB boot.img → core at LBA {kernel_sector}"),
            ),
        },
        FirmwareStep::Efi(l) => {
            let on = l
                .esp
                .as_ref()
                .map_or(String::new(), |e| format!(" on ({})", e.name));
            let what = |f: &EfiFile| match f {
                EfiFile::Missing => "missing".to_string(),
                EfiFile::Found { size, app } => format!(
                    "{} {}",
                    match app {
                        EfiApp::Grub => "GRUB image",
                        EfiApp::Shim { .. } => "shim",
                        EfiApp::Other => "EFI application (not GRUB)",
                    },
                    human_size(*size)
                ),
                EfiFile::Bad { .. } => "not a loadable EFI application".to_string(),
                EfiFile::Unknown { why } => format!("not read: {why}"),
            };
            let mut detail = format!("UEFI runs {}{on}: {}", l.path, what(&l.file));
            // With the firmware's entries read: which one, after which failures.
            if !l.attempts.is_empty() {
                let failed: Vec<String> = l
                    .attempts
                    .iter()
                    .filter(|a| matches!(a.outcome, AttemptOutcome::Fails { .. }))
                    .filter_map(|a| a.number.map(|n| format!("Boot{n:04X}")))
                    .collect();
                detail.push_str(&format!(" ({}", l.chosen_by));
                if !failed.is_empty() {
                    detail.push_str(&format!("; {} failed before it", failed.join(", ")));
                }
                detail.push(')');
            }
            if let Some(s) = &l.second_stage {
                detail.push_str(&format!(" → {}: {}", s.path, what(&s.file)));
            }
            let state = match (&l.file, &loader.image) {
                (EfiFile::Found { .. }, Some(_)) => LinkState::Pass,
                (EfiFile::Missing | EfiFile::Bad { .. }, _) => LinkState::Fail,
                _ => LinkState::Unknown,
            };
            (state, detail)
        }
    }
}
