//! Helpers the BV5xxx checks share: where a boot file's bytes sit on its disk,
//! and what GRUB and the kernel print once GRUB could not load it.

use crate::check::{Finding, Link};
use crate::facts::storage::{Disk, Partition};
use crate::facts::{
    BootFacts,
    files::{FileFact, Role},
};
use crate::menu::BootEntry;

use super::root_mount_lines::MountingKernel;
use super::{linux, needs_initramfs, root_value};

/// GRUB's disk layer counts in 512-byte sectors whatever the device's own size.
pub(super) const GRUB_SECTOR: u64 = 512;

/// `0x16f8d40`: how GRUB prints a sector number.
pub(super) fn sector_hex(byte: u64) -> String {
    format!("0x{:x}", byte / GRUB_SECTOR)
}

/// `file bytes 0–3146809 at disk sectors 0xa1c0–0xb9c2`: one extent of a file, as
/// the evidence of a finding about where it lies.
pub(super) fn extent_span(extent: &crate::facts::files::Extent) -> String {
    format!(
        "file bytes {}–{} at disk sectors {}–{}",
        extent.file_offset,
        extent.file_offset + extent.length,
        sector_hex(extent.disk_byte_offset),
        sector_hex(extent.disk_byte_offset + extent.length.saturating_sub(1)),
    )
}

/// `initrd.img-6.1.0.new, vmlinuz.dpkg-tmp`: the leftovers in a boot directory.
pub(super) fn leftover_names(dir: &crate::facts::host::BootDirFact) -> String {
    let names: Vec<&str> = dir.leftovers.iter().map(|l| l.name.as_str()).collect();
    names.join(", ")
}

/// The disk and partition a file's extents address.
pub(super) fn placement<'a>(
    facts: &'a BootFacts,
    fact: &FileFact,
) -> Option<(&'a Disk, Option<&'a Partition>)> {
    let volume = fact.resolution.volume()?;
    let disk = facts.storage.disks.get(volume.disk?)?;
    let partition = volume.partition.and_then(|i| disk.partitions.get(i));
    Some((disk, partition))
}

/// The link a file's failure breaks.
pub(super) fn link_of(role: Role) -> Link {
    match role {
        Role::Initrd => Link::Initrd,
        _ => Link::Kernel,
    }
}

pub(super) fn role_name(role: Role) -> &'static str {
    match role {
        Role::Kernel => "kernel",
        Role::Initrd => "initrd",
        Role::Chainload => "chainloaded image",
        Role::Other => "file",
    }
}

/// What follows GRUB's error: no kernel means `boot` refuses; no initrd means the
/// kernel starts without one and, when root needs an initramfs, panics.
pub(super) fn consequence(
    mut finding: Finding,
    facts: &BootFacts,
    entry: &BootEntry,
    role: Role,
) -> Finding {
    match role {
        Role::Initrd => {
            finding = finding.evidence("GRUB goes on and boots the kernel without an initramfs");
            let root = linux(entry).and_then(|(_, _, params)| root_value(params));
            if let Some(root) = root.filter(|r| needs_initramfs(r)) {
                finding =
                    finding.prints_all(MountingKernel::of(facts, entry).lines_without_device(root));
            }
            finding
        }
        _ => finding.prints("error: you need to load the kernel first."),
    }
}

/// Each Linux entry's `linux` command with the `/lib/modules` facts of the release
/// its kernel reports (one per root filesystem the entries name).
pub(super) fn entries_with_modules<'a>(
    cx: &crate::check::Context<'a>,
) -> Vec<(
    &'a BootEntry,
    &'a crate::menu::EntryCommand,
    &'a crate::menu::FileRef,
    &'a crate::facts::host::ModulesFact,
)> {
    let mut out = Vec::new();
    for entry in super::entries(cx) {
        let Some((command, file, _)) = linux(entry) else {
            continue;
        };
        let Some(release) = cx
            .facts
            .file(file)
            .and_then(|f| f.kernel.as_ref())
            .and_then(|k| k.release.as_deref())
        else {
            continue;
        };
        for fact in cx
            .facts
            .host
            .modules
            .iter()
            .filter(|m| m.release == release)
        {
            out.push((entry, command, file, fact));
        }
    }
    out
}

/// Every file an entry loads that `--deep` read raw, with its command, its facts
/// and what the raw read found.
pub(super) fn raw_reads_of<'a>(
    cx: &crate::check::Context<'a>,
    entry: &'a BootEntry,
) -> Vec<(
    &'a crate::menu::EntryCommand,
    &'a crate::menu::FileRef,
    &'a FileFact,
    &'a crate::facts::host::RawReadFact,
)> {
    super::loaded_files(entry)
        .into_iter()
        .filter_map(|(command, file)| {
            let fact = cx.facts.file(file)?;
            let raw = cx
                .facts
                .host
                .raw_reads
                .iter()
                .find(|r| r.device == file.device && r.path == file.path)?;
            Some((command, file, fact, raw))
        })
        .collect()
}
