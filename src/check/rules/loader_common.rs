//! What the BV6xxx checks (the links above grub.cfg, issue 14) share: the
//! loader facts, and the lines GRUB's kernel prints in rescue mode.
//!
//! Rescue mode (kern/main.c `grub_main` → `grub_rescue_run`): each failed step
//! prints `error: MESSAGE.` (kern/err.c `grub_print_error`), then the prompt
//! `grub rescue>`. Debian's 2.06 omits `Entering rescue mode...` (its
//! maybe-quiet patch prints it only in quiet builds; reference §3.3).

use crate::check::Context;
use crate::facts::loader::{LoaderFacts, ModuleFailure, PrefixFacts};

pub(super) const RESCUE_PROMPT: &str = "grub rescue>";

pub(super) fn loader<'a>(cx: &Context<'a>) -> Option<&'a LoaderFacts> {
    cx.facts.loader.as_ref()
}

pub(super) fn prefix<'a>(cx: &Context<'a>) -> Option<&'a PrefixFacts> {
    loader(cx)?.prefix.as_ref()
}

/// `grub_dl_load` (kern/dl.c) opens `$prefix/PLATFORM/NAME.mod`; a missing file
/// is ``file `PATH' not found`` (kern/file.c, with GRUB's backtick quote). The
/// path printed is the prefix's directory, without its device.
pub(super) fn module_not_found(dir: &str, platform_dir: &str, module: &str) -> String {
    super::grub_error(&format!(
        "file `{}/{platform_dir}/{module}.mod' not found",
        dir.trim_end_matches('/')
    ))
}

/// The line `grub_dl_load` leaves on the screen for a module it cannot load.
pub(super) fn module_failure_line(p: &PrefixFacts, failure: &ModuleFailure) -> String {
    match failure {
        ModuleFailure::Missing { module } => module_not_found(&p.dir, &p.platform_dir, module),
        ModuleFailure::Refused { message, .. } => super::grub_error(message),
    }
}

/// What GRUB prints once `$prefix` is set, loading `normal` from it
/// (kern/main.c `grub_load_normal_mode`), up to the rescue prompt; empty when
/// it would get past (normal.mod is there and readable, or unknown).
pub(super) fn after_prefix(p: &PrefixFacts) -> Vec<String> {
    use crate::facts::loader::{FsReadable, Presence};
    let first = match (&p.filesystem, &p.normal_mod) {
        // grub_fs_probe (kern/fs.c) fails with GRUB_ERR_UNKNOWN_FS.
        (FsReadable::No { .. }, Presence::Missing | Presence::Unknown { .. }) => {
            super::grub_error("unknown filesystem")
        }
        (FsReadable::NoDevice { message }, _) => super::grub_error(message),
        (FsReadable::Yes { .. }, Presence::Missing) => {
            module_not_found(&p.dir, &p.platform_dir, "normal")
        }
        _ => return Vec::new(),
    };
    vec![first, RESCUE_PROMPT.to_string()]
}

/// A GRUB MBR whose way to the core image broke: the disk the BIOS boots, the
/// sector the MBR loads, the chain as read and its first fault. BV6002, BV6003
/// and BV6004 split these between them by [`CoreBreak`].
pub(super) struct BrokenBiosChain<'a> {
    pub disk: &'a str,
    pub path: &'a str,
    pub kernel_sector: u64,
    pub fault: &'a crate::inspect::grub_image::ImageFault,
    pub kind: CoreBreak,
}

/// How the way to the core image broke; each kind is one check's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CoreBreak {
    /// No core image where the MBR points (blank, foreign or unreadable first
    /// sector, no diskboot read): BV6002.
    Missing,
    /// A payload that does not decode as stored, with Reed-Solomon codes placed
    /// where bootvet cannot apply them as GRUB does: BV6004.
    NeedsRepair,
    /// Anything else damaged (blocklist, sizes, a payload without codes): BV6003.
    Damaged,
}

fn core_break(
    chain: &crate::inspect::grub_image::BiosChain,
    fault: &crate::inspect::grub_image::ImageFault,
) -> CoreBreak {
    use crate::inspect::grub_image::{FaultKind, Region};
    let missing = chain.diskboot.is_none()
        && matches!(fault.region, Region::Diskboot | Region::BootSector)
        && matches!(
            fault.kind,
            FaultKind::Blank | FaultKind::NotGrub | FaultKind::Truncated
        );
    match fault.kind {
        _ if missing => CoreBreak::Missing,
        FaultKind::NeedsRepair => CoreBreak::NeedsRepair,
        _ => CoreBreak::Damaged,
    }
}

/// The BIOS chain as read from the disk the firmware boots: (disk, path, chain).
pub(super) fn bios_chain<'a>(
    cx: &Context<'a>,
) -> Option<(&'a str, &'a str, &'a crate::inspect::grub_image::BiosChain)> {
    match &loader(cx)?.firmware {
        crate::facts::loader::FirmwareStep::Bios {
            disk,
            path,
            chain: crate::facts::loader::BiosRead::Read(chain),
        } => Some((disk, path, chain)),
        _ => None,
    }
}

pub(super) fn broken_bios_chain<'a>(cx: &Context<'a>) -> Option<BrokenBiosChain<'a>> {
    let (disk, path, chain) = bios_chain(cx)?;
    let crate::inspect::grub_image::BootSectorKind::Grub { kernel_sector, .. } =
        chain.boot_sector.kind
    else {
        return None;
    };
    let fault = chain.fault.as_ref()?;
    Some(BrokenBiosChain {
        disk,
        path,
        kernel_sector,
        fault,
        kind: core_break(chain, fault),
    })
}

/// The firmware's walk over its boot entries (BV615x), when they were read:
/// the EFI loader step holding it.
pub(super) fn efi_walk<'a>(cx: &Context<'a>) -> Option<&'a crate::facts::loader::EfiLoader> {
    match &loader(cx)?.firmware {
        crate::facts::loader::FirmwareStep::Efi(l) if !l.attempts.is_empty() => Some(l),
        _ => None,
    }
}

/// What the firmware runs in the end, said for a person: `Boot0002 "debian"
/// (\EFI\debian\shimx64.efi on (hd0,gpt2))`, or None when nothing runs.
pub(super) fn what_runs(l: &crate::facts::loader::EfiLoader) -> Option<String> {
    use crate::facts::loader::AttemptOutcome;
    l.attempts.iter().find_map(|a| match &a.outcome {
        AttemptOutcome::Runs { esp, file } => Some(match a.number {
            Some(n) => format!(
                "Boot{n:04X} \"{}\" ({file} on ({}))",
                a.description, esp.name
            ),
            None => format!("the removable fallback {file} on ({})", esp.name),
        }),
        _ => None,
    })
}

/// The attempt's `Boot####` name and description: `Boot0001 "debian"`.
pub(super) fn entry_name(a: &crate::facts::loader::BootAttempt) -> String {
    match a.number {
        Some(n) => format!("Boot{n:04X} \"{}\"", a.description),
        None => "the removable fallback".into(),
    }
}

/// The finding for one failed entry: an error when nothing later loads, else a
/// warning naming what the firmware falls back to. Shared with BV6151.
pub(super) fn failed_entry(
    info: &'static crate::check::CheckInfo,
    l: &crate::facts::loader::EfiLoader,
    message: String,
    printed: Option<&String>,
) -> crate::check::Finding {
    use crate::check::{Finding, Severity};
    use crate::facts::loader::AttemptOutcome;
    let undecided = l
        .attempts
        .iter()
        .any(|a| matches!(a.outcome, AttemptOutcome::Unknown { .. }));
    let mut f = Finding::new(info, message);
    f = match (what_runs(l), undecided) {
        (Some(runs), _) => f
            .severity(Severity::Warning)
            .evidence(format!("the firmware goes on and boots {runs}")),
        (None, true) => f.severity(Severity::Warning).evidence(
            "a later entry is one bootvet does not follow: whether the machine boots is not known",
        ),
        (None, false) => f.evidence(
            "nothing later loads: no other entry, and no removable \\EFI\\BOOT\\BOOTX64.EFI on the disks",
        ),
    };
    let order: Vec<String> = l
        .attempts
        .iter()
        .filter(|a| !matches!(a.outcome, AttemptOutcome::Skipped { .. }))
        .map(entry_name)
        .collect();
    f = f.evidence(format!(
        "the firmware tries, in order: {}",
        order.join(", ")
    ));
    match printed {
        Some(line) => f.prints(line.clone()),
        None => f,
    }
}

/// What GRUB under lockdown prints for loading `module` from the prefix: the
/// verifiers see a file only once it is open (kern/file.c opens it through the
/// filesystem first), so a module that is not there is ``file `…' not found``;
/// one that is there is refused by shim's verifier.
pub(super) fn lockdown_module_line(cx: &Context<'_>, module: &str) -> String {
    let missing = prefix(cx).and_then(|p| {
        let dir = p.module_dir.as_ref()?;
        let there = dir.refused.contains_key(module)
            || dir
                .loadable
                .binary_search_by(|l| l.as_str().cmp(module))
                .is_ok();
        (!there && !dir.cut).then(|| module_not_found(&p.dir, &p.platform_dir, module))
    });
    missing.unwrap_or_else(|| super::grub_error("prohibited by secure boot policy"))
}
