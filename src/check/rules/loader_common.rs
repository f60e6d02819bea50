//! What the BV6xxx checks (the links above grub.cfg, issue 14) share: the
//! loader facts, and the lines GRUB's kernel prints in rescue mode.
//!
//! Rescue mode (kern/main.c `grub_main` → `grub_rescue_run`): each failed step
//! prints `error: MESSAGE.` (kern/err.c `grub_print_error`), then the prompt
//! `grub rescue>`. Debian's 2.06 omits `Entering rescue mode...` (its
//! maybe-quiet patch prints it only in quiet builds; reference §3.3).

use crate::check::Context;
use crate::facts::loader::{LoaderFacts, PrefixFacts};

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
/// sector the MBR loads, the chain as read and its first fault. BV6002 (no core
/// image there) and BV6003 (a core image, damaged) split these between them.
pub(super) struct BrokenBiosChain<'a> {
    pub disk: &'a str,
    pub path: &'a str,
    pub kernel_sector: u64,
    pub chain: &'a crate::inspect::grub_image::BiosChain,
    pub fault: &'a crate::inspect::grub_image::ImageFault,
}

pub(super) fn broken_bios_chain<'a>(cx: &Context<'a>) -> Option<BrokenBiosChain<'a>> {
    let crate::facts::loader::FirmwareStep::Bios {
        disk,
        path,
        chain: crate::facts::loader::BiosRead::Read(chain),
    } = &loader(cx)?.firmware
    else {
        return None;
    };
    let crate::inspect::grub_image::BootSectorKind::Grub { kernel_sector, .. } =
        chain.boot_sector.kind
    else {
        return None;
    };
    Some(BrokenBiosChain {
        disk,
        path,
        kernel_sector,
        chain,
        fault: chain.fault.as_ref()?,
    })
}
