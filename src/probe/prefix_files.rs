//! What the probe reads at GRUB's prefix beyond whether `normal.mod` and
//! `grub.cfg` are there (`loader::at_prefix`): the module directory as GRUB's
//! loader will find it, and the `core.img` grub-install left there, against
//! which the embedded core's unprotected bytes are checked. Read-only, bounded.

use super::disk_files::DiskFiles;
use super::fs::VolumeFiles;
use super::loader::{MAX_MODINFO, read_bounded};
use crate::facts::files::FileKind;
use crate::facts::loader::{ModuleDir, PrefixFacts};
use crate::inspect::grub_image::{self, GrubImageKind, version};

/// Largest core.img read at the prefix (GRUB's own limit on a core is 0x6f000 bytes
/// after diskboot; `core::MAX_COMPRESSED`).
const MAX_CORE_FILE: u64 = 1 << 20;

/// The bytes of an embedded core that GRUB's Reed-Solomon codes do not cover
/// (diskboot's code, the decompressor's first `no_rs_length` bytes) are checked
/// against the `core.img` grub-install left at the prefix, from which grub-bios-setup
/// embedded it: when everything the codes cover matches that file and these bytes
/// do not, they were damaged after the install (a program writing to the sectors
/// after the MBR, the usual culprit), and GRUB runs damaged code before it reads
/// anything: the chain's fault. The core's bytes are dropped here either way: they
/// are not facts.
pub(super) fn check_against_installed(
    chain: &mut grub_image::BiosChain,
    prefix: Option<&PrefixFacts>,
    files: &DiskFiles<'_>,
) {
    use crate::inspect::grub_image::core::{InstalledCore, compare_installed};
    use crate::inspect::grub_image::{FaultKind, ImageFault, Region};
    let embedded = std::mem::take(&mut chain.core_bytes);
    let (Some(p), Some(diskboot)) = (prefix, &chain.diskboot) else {
        return;
    };
    if chain.fault.is_some() || embedded.is_empty() || p.platform_dir != "i386-pc" {
        return;
    }
    let Some(Ok(vf)) = p.volume.as_ref().map(|v| files.volume(v)) else {
        return;
    };
    let path = format!("{}/i386-pc/core.img", p.dir.trim_end_matches('/'));
    let Ok(file) = read_bounded(vf.as_ref(), &path, MAX_CORE_FILE) else {
        return;
    };
    let InstalledCore::UnprotectedDiffers {
        first,
        last,
        bytes,
        sectors,
    } = compare_installed(&embedded, &file, diskboot.blocklist.len())
    else {
        return;
    };
    let no_rs = match chain.core.as_ref().map(|c| &c.kind) {
        Some(GrubImageKind::Bios { header, .. }) => header.no_rs_length,
        _ => 0,
    };
    let at: Vec<String> = sectors
        .iter()
        .map(|&s| match chain.core_sector_lba(u64::from(s)) {
            Some(lba) => format!("{s} (LBA {lba})"),
            None => s.to_string(),
        })
        .collect();
    chain.fault = Some(ImageFault::new(
        FaultKind::Unprotected,
        Region::CoreImage,
        first as u64,
        format!(
            "{bytes} byte{} at core offsets {first:#x}–{last:#x}, in core sector{} {}, differ from ({}){path}, from which this core was embedded; GRUB's Reed-Solomon codes do not cover them (diskboot's code and the decompressor's first {no_rs} bytes)",
            if bytes == 1 { "" } else { "s" },
            if sectors.len() == 1 { "" } else { "s" },
            at.join(", "),
            p.value
                .split_once(')')
                .map_or("", |(d, _)| d)
                .trim_start_matches('('),
        ),
    ));
}

/// Most module files looked at in one directory (a platform has ~290).
const MAX_MODULE_FILES: usize = 4096;

/// `PLATFORM/` at the prefix: each `*.mod` as GRUB's loader first checks it (its
/// size and ELF header), `moddep.lst` and `command.lst`. `None`: not a directory
/// bootvet can list.
pub(super) fn module_dir(
    vf: &dyn VolumeFiles,
    platform: &str,
    platform_dir: &str,
) -> Option<ModuleDir> {
    use crate::inspect::grub_image::module_file::{self, HEADER_BYTES, ModuleArch};
    let arch = ModuleArch::of_platform_dir(platform_dir)?;
    let entries = vf.list_dir(platform).ok()?;
    let mut dir = ModuleDir::default();
    let mods: Vec<_> = entries
        .iter()
        .filter(|e| e.kind == FileKind::File && e.name.ends_with(".mod"))
        .collect();
    dir.cut = mods.len() > MAX_MODULE_FILES;
    for e in mods.into_iter().take(MAX_MODULE_FILES) {
        let name = e.name.trim_end_matches(".mod").to_string();
        let head = read_bounded(vf, &format!("{platform}/{}", e.name), HEADER_BYTES as u64);
        match head {
            Ok(head) => match module_file::refusal(&head, e.size, arch) {
                None => dir.loadable.push(name),
                Some(why) => {
                    dir.refused.insert(name, why.to_string());
                }
            },
            // Unreadable here is not a refusal GRUB prints: leave it out of both.
            Err(_) => dir.cut = true,
        }
    }
    dir.loadable.sort();
    if let Ok(b) = read_bounded(
        vf,
        &format!("{platform}/moddep.lst"),
        module_file::MAX_MODDEP_BYTES as u64,
    ) {
        dir.deps = module_file::parse_moddep(&String::from_utf8_lossy(&b))
            .into_iter()
            .collect();
    }
    if let Ok(b) = read_bounded(vf, &format!("{platform}/command.lst"), MAX_MODINFO) {
        dir.commands = version::parse_command_lst(&String::from_utf8_lossy(&b))
            .into_iter()
            .map(|c| (c.command, c.module))
            .collect();
    }
    Some(dir)
}
