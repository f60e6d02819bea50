//! One file per check. Each file holds the check's registry entry (`INFO`, with
//! its documentation) and its `run` function over the facts.

pub mod bv1001_syntax_error;
pub mod bv1002_missing_sourced_file;
pub mod bv1003_evaluation_budget_reached;
pub mod bv1101_command_not_in_grub_build;
pub mod bv2001_default_matches_nothing;
pub mod bv2002_grubenv_corrupt;
pub mod bv2003_duplicate_entry_id;
pub mod bv2004_initrd_before_linux;
pub mod bv2005_entry_loads_nothing;
pub mod bv2006_menu_empty;
pub mod bv2101_menu_waits;
pub mod bv2102_entry_needs_password;
pub mod bv2103_interactive_command;
pub mod bv3001_search_no_such_device;
pub mod bv3002_search_ambiguous;
pub mod bv3003_grub_device_missing;
pub mod bv3004_filesystem_grub_cannot_read;
pub mod bv4001_kernel_not_found;
pub mod bv4002_kernel_unreadable;
pub mod bv4003_kernel_truncated;
pub mod bv4004_kernel_not_bootable;
pub mod bv4005_kernel_version_mismatch;
pub mod bv4006_kernel_without_initrd_support;
pub mod bv4007_chainload_not_loadable;
pub mod bv4101_initrd_not_found;
pub mod bv4102_initrd_empty;
pub mod bv4103_no_initrd_root_needs_initramfs;
pub mod bv4104_initrd_corrupt;
pub mod bv4105_initrd_for_other_kernel;
pub mod bv4106_initrd_compression_not_configured;
pub mod bv4107_initrd_lacks_root_driver;
pub mod bv4108_initrd_over_limit;
pub mod bv4109_initrd_lacks_layer_userspace;
pub mod bv4110_initrd_module_vermagic_mismatch;
pub mod bv4111_initrd_cannot_import_zfs_root;
pub mod bv4112_initramfs_out_of_memory;
pub mod bv4113_initrd_without_init;
pub mod bv4201_no_root_parameter;
pub mod bv4202_root_not_found;
pub mod bv4203_root_ambiguous;
pub mod bv4204_root_not_a_root_filesystem;
pub mod bv4205_init_missing;
pub mod bv4206_fstab_device_missing;
pub mod bv4207_crypttab_device_missing;
pub mod bv4208_fstab_root_mismatch;
pub mod bv4209_btrfs_subvolume_missing;
pub mod bv4210_rootfstype_mismatch;
pub mod bv5001_extent_outside_disk;
pub mod bv5002_beyond_firmware_reach;
pub mod bv5003_initrd_too_big;
pub mod bv5004_initrd_size_outlier;
pub mod bv5005_boot_too_full;
pub mod bv5006_leftover_images;
pub mod bv5007_journal_not_replayed;
pub mod bv5008_modules_missing;
pub mod bv5009_unstripped_modules;
pub mod bv5010_sector_unreadable;
pub mod bv5011_not_on_disk_yet;
pub mod bv6001_mbr_not_grub;
pub mod bv6002_core_image_missing;
pub mod bv6003_core_image_corrupt;
pub mod bv6004_core_image_needs_repair;
pub mod bv6101_efi_loader_missing;
pub mod bv6102_shim_without_second_stage;
pub mod bv6150_boot_entry_partition_missing;
pub mod bv6151_boot_entry_file_missing;
pub mod bv6152_boot_next_missing;
pub mod bv6153_boot_entry_other_disk;
pub mod bv6201_prefix_search_no_device;
pub mod bv6202_prefix_filesystem_unreadable;
pub mod bv6203_normal_mod_missing;
pub mod bv6204_grub_cfg_missing;
pub mod bv6205_grub_version_mismatch;
pub mod bv6206_fwsetup_is_supported;
pub mod bv6207_module_unloadable;
pub mod bv6301_loader_out_of_memory;
pub mod bv7001_firmware_rejects_loader;
pub mod bv7002_shim_rejects_grub;
pub mod bv7003_kernel_rejected;
pub mod bv7004_sbat_revoked;
pub mod bv7005_secure_boot_unknown;
pub mod bv7006_kernel_key_not_enrolled;
pub mod bv7007_secure_boot_module_refused;
pub mod bv7008_secure_boot_insmod_refused;
pub mod bv7009_secure_boot_chainload_rejected;
pub mod bv7010_secure_boot_grub_without_shim;
pub mod bv7011_secure_boot_font_refused;
pub mod bv7012_secure_boot_module_unsigned;
mod ext_types;
mod kernel_alone;
mod loader_common;
pub(super) mod mounts;
mod root_mount_lines;
mod root_path;
pub(crate) mod root_stack;
mod sectors_common;
mod secure_boot;
mod zfs_root;

use crate::facts::BootFacts;
use crate::facts::files::FileFact;
use crate::menu::bls::Snippet;
use crate::menu::{BootEntry, CommandKind, EntryCommand, FileKind, FileRef, KernelParam};

use super::Context;

/// Every boot entry, with the facts of the files its commands load.
pub(super) fn entries<'a>(cx: &Context<'a>) -> Vec<&'a BootEntry> {
    cx.facts.menu.boot_entries()
}

/// The BLS snippet `blscfg` built an entry from: its path and its keys.
pub(super) fn bls_snippet(cx: &Context<'_>, entry: &BootEntry) -> Option<(String, Snippet)> {
    let file = cx.facts.menu.files.get(entry.head.location.file)?;
    if file.kind != FileKind::Bls {
        return None;
    }
    let name = file.path.rsplit('/').next().unwrap_or(&file.path);
    let path = file
        .path
        .split_once(')')
        .map_or(file.path.as_str(), |(_, p)| p);
    Some((path.to_string(), crate::menu::bls::parse(name, &file.bytes)))
}

/// The `linux` command that will run last (the one that boots).
pub(super) fn linux(entry: &BootEntry) -> Option<(&EntryCommand, &FileRef, &[KernelParam])> {
    let command = entry.linux()?;
    match &command.kind {
        CommandKind::Linux { file, params, .. } => Some((command, file, params)),
        _ => None,
    }
}

/// The booting `linux` command, its file, and what was found at that file.
pub(super) fn linux_fact<'a>(
    cx: &Context<'a>,
    entry: &'a BootEntry,
) -> Option<(&'a EntryCommand, &'a FileRef, &'a FileFact)> {
    let (command, file, _) = linux(entry)?;
    Some((command, file, cx.facts.file(file)?))
}

/// The value of the last `KEY=` on the command line: the kernel, initramfs-tools
/// and dracut all keep the last one.
pub(super) fn param_value<'a>(params: &'a [KernelParam], key: &str) -> Option<&'a str> {
    params
        .iter()
        .rev()
        .find(|p| p.key == key)
        .and_then(|p| p.value.as_deref())
}

/// The value of the last `root=` on the command line.
pub(super) fn root_value(params: &[KernelParam]) -> Option<&str> {
    param_value(params, "root")
}

/// An entry whose booting `linux` command has a `root=`: the entry, that command,
/// its parameters, the `root=` value and what the facts say that value names.
pub(super) type RootedEntry<'a> = (
    &'a BootEntry,
    &'a EntryCommand,
    &'a [KernelParam],
    &'a str,
    &'a crate::facts::RootFact,
);

/// Every entry whose kernel is given a `root=` the facts looked up.
pub(super) fn entries_with_root<'a>(cx: &Context<'a>) -> Vec<RootedEntry<'a>> {
    let mut out = Vec::new();
    for entry in entries(cx) {
        let Some((command, _, params)) = linux(entry) else {
            continue;
        };
        let Some(root) = root_value(params) else {
            continue;
        };
        if let Some(fact) = cx.facts.root(root) {
            out.push((entry, command, params, root, fact));
        }
    }
    out
}

/// Every (command, file) an entry loads, in order.
pub(super) fn loaded_files(entry: &BootEntry) -> Vec<(&EntryCommand, &FileRef)> {
    let mut out = Vec::new();
    for command in &entry.commands {
        match &command.kind {
            CommandKind::Linux { file, .. }
            | CommandKind::Chainloader { file, .. }
            | CommandKind::Load { file, .. } => out.push((command, file)),
            CommandKind::Initrd { files, .. } => out.extend(files.iter().map(|f| (command, f))),
            _ => {}
        }
    }
    out
}

/// Every file an entry loads that the facts hold, with the command that loads it
/// and what was found there.
pub(super) fn loaded_facts<'a>(
    cx: &Context<'a>,
    entry: &'a BootEntry,
) -> Vec<(&'a EntryCommand, &'a FileRef, &'a FileFact)> {
    loaded_files(entry)
        .into_iter()
        .filter_map(|(command, file)| Some((command, file, cx.facts.file(file)?)))
        .collect()
}

/// Every file of every `initrd` command of an entry, with the command that loads
/// it and what was found there.
pub(super) fn initrd_facts<'a>(
    cx: &Context<'a>,
    entry: &'a BootEntry,
) -> Vec<(&'a EntryCommand, &'a FileRef, &'a FileFact)> {
    let mut out = Vec::new();
    for command in &entry.commands {
        if let CommandKind::Initrd { files, .. } = &command.kind {
            out.extend(
                files
                    .iter()
                    .filter_map(|file| Some((command, file, cx.facts.file(file)?))),
            );
        }
    }
    out
}

/// What the kernel prints when this entry boots without its initramfs: the panic
/// when root= needs one, nothing bootvet can predict otherwise.
pub(super) fn panic_if_root_needs_initramfs(facts: &BootFacts, entry: &BootEntry) -> Vec<String> {
    linux(entry)
        .and_then(|(_, _, params)| root_value(params))
        .filter(|root| needs_initramfs(root))
        .map(|root| root_mount_lines::MountingKernel::of(facts, entry).lines_without_device(root))
        .unwrap_or_default()
}

/// `root=` forms only an initramfs understands: the kernel alone knows /dev/…,
/// MAJ:MIN, PARTUUID= and PARTLABEL= (init/do_mounts.c), not UUID= or LABEL=.
pub(super) fn needs_initramfs(root: &str) -> bool {
    root.starts_with("UUID=")
        || root.starts_with("LABEL=")
        || root.starts_with("ZFS=")
        || root.starts_with("zfs:")
}

/// "(hd0,gpt2) ext4 UUID=…" for evidence lines.
pub(super) fn where_found(fact: &FileFact) -> String {
    let device = fact
        .resolution
        .volume()
        .map(|v| format!("({})", v.name))
        .unwrap_or_else(|| format!("({})", fact.device.display()));
    match &fact.filesystem {
        Some(fs) => format!(
            "{device} {}{}",
            fs.fstype,
            fs.uuid
                .as_ref()
                .map(|u| format!(" UUID={u}"))
                .unwrap_or_default()
        ),
        None => device,
    }
}

/// GRUB's `error: …` line (grub_print_error adds the final period).
pub(super) fn grub_error(message: &str) -> String {
    format!("error: {message}.")
}
