//! The registry of checks: one line per check, codes never reused.
//!
//! Codes are grouped by link of the chain: BV1xxx the config files, BV2xxx the
//! menu and its default, BV3xxx devices and partitions, BV40xx the kernel, BV41xx
//! the initrd, BV42xx the root filesystem, BV5xxx sectors and host state, BV6xxx
//! the links above grub.cfg (BV60xx boot sector and core image, BV61xx EFI loader
//! files, BV62xx prefix, modules and GRUB version).
//! Each check's documentation (`bootvet explain CODE`) has four sections: What it
//! checks / Why it breaks the boot / Example / Fix.

use serde::Serialize;

use super::finding::{Finding, Severity};
use super::{Context, rules};

/// The link of the chain a check looks at; the report groups evidence by link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Link {
    /// Above grub.cfg (issue 14): what the firmware starts (MBR code, EFI file).
    Firmware,
    /// The GRUB image it reaches (core.img, the EFI GRUB image).
    Core,
    /// `$prefix`: its device, filesystem, modules and grub.cfg.
    Prefix,
    Config,
    Menu,
    Device,
    Kernel,
    Initrd,
    Root,
}

impl Link {
    /// The links GRUB passes before it shows a menu: a failure there ends
    /// every entry's boot.
    pub fn is_before_menu(self) -> bool {
        matches!(self, Link::Firmware | Link::Core | Link::Prefix)
    }

    pub const ALL: [Link; 9] = [
        Link::Firmware,
        Link::Core,
        Link::Prefix,
        Link::Config,
        Link::Menu,
        Link::Device,
        Link::Kernel,
        Link::Initrd,
        Link::Root,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Link::Firmware => "firmware",
            Link::Core => "core",
            Link::Prefix => "prefix",
            Link::Config => "config",
            Link::Menu => "menu",
            Link::Device => "device",
            Link::Kernel => "kernel",
            Link::Initrd => "initrd",
            Link::Root => "root",
        }
    }
}

pub struct CheckInfo {
    pub code: &'static str,
    /// Kebab-case name, for people.
    pub name: &'static str,
    pub severity: Severity,
    pub link: Link,
    pub summary: &'static str,
    /// The usual fix, when a finding has nothing more specific to say.
    pub fix: &'static str,
    /// Markdown-ish text with the four sections.
    pub doc: &'static str,
    pub run: fn(&Context<'_>, &mut Vec<Finding>),
}

/// Every check, in code order.
pub static CHECKS: &[CheckInfo] = &[
    rules::bv1001_syntax_error::INFO,
    rules::bv1002_missing_sourced_file::INFO,
    rules::bv1003_evaluation_budget_reached::INFO,
    rules::bv1101_command_not_in_grub_build::INFO,
    rules::bv2001_default_matches_nothing::INFO,
    rules::bv2002_grubenv_corrupt::INFO,
    rules::bv2003_duplicate_entry_id::INFO,
    rules::bv2004_initrd_before_linux::INFO,
    rules::bv2005_entry_loads_nothing::INFO,
    rules::bv2006_menu_empty::INFO,
    rules::bv2101_menu_waits::INFO,
    rules::bv2102_entry_needs_password::INFO,
    rules::bv2103_interactive_command::INFO,
    rules::bv3001_search_no_such_device::INFO,
    rules::bv3002_search_ambiguous::INFO,
    rules::bv3003_grub_device_missing::INFO,
    rules::bv3004_filesystem_grub_cannot_read::INFO,
    rules::bv4001_kernel_not_found::INFO,
    rules::bv4002_kernel_unreadable::INFO,
    rules::bv4003_kernel_truncated::INFO,
    rules::bv4004_kernel_not_bootable::INFO,
    rules::bv4005_kernel_version_mismatch::INFO,
    rules::bv4006_kernel_without_initrd_support::INFO,
    rules::bv4007_chainload_not_loadable::INFO,
    rules::bv4101_initrd_not_found::INFO,
    rules::bv4102_initrd_empty::INFO,
    rules::bv4103_no_initrd_root_needs_initramfs::INFO,
    rules::bv4104_initrd_corrupt::INFO,
    rules::bv4105_initrd_for_other_kernel::INFO,
    rules::bv4106_initrd_compression_not_configured::INFO,
    rules::bv4107_initrd_lacks_root_driver::INFO,
    rules::bv4108_initrd_over_limit::INFO,
    rules::bv4109_initrd_lacks_layer_userspace::INFO,
    rules::bv4110_initrd_module_vermagic_mismatch::INFO,
    rules::bv4111_initrd_cannot_import_zfs_root::INFO,
    rules::bv4112_initramfs_out_of_memory::INFO,
    rules::bv4113_initrd_without_init::INFO,
    rules::bv4201_no_root_parameter::INFO,
    rules::bv4202_root_not_found::INFO,
    rules::bv4203_root_ambiguous::INFO,
    rules::bv4204_root_not_a_root_filesystem::INFO,
    rules::bv4205_init_missing::INFO,
    rules::bv4206_fstab_device_missing::INFO,
    rules::bv4207_crypttab_device_missing::INFO,
    rules::bv4208_fstab_root_mismatch::INFO,
    rules::bv4209_btrfs_subvolume_missing::INFO,
    rules::bv4210_rootfstype_mismatch::INFO,
    rules::bv5001_extent_outside_disk::INFO,
    rules::bv5002_beyond_firmware_reach::INFO,
    rules::bv5003_initrd_too_big::INFO,
    rules::bv5004_initrd_size_outlier::INFO,
    rules::bv5005_boot_too_full::INFO,
    rules::bv5006_leftover_images::INFO,
    rules::bv5007_journal_not_replayed::INFO,
    rules::bv5008_modules_missing::INFO,
    rules::bv5009_unstripped_modules::INFO,
    rules::bv5010_sector_unreadable::INFO,
    rules::bv5011_not_on_disk_yet::INFO,
    rules::bv6001_mbr_not_grub::INFO,
    rules::bv6002_core_image_missing::INFO,
    rules::bv6003_core_image_corrupt::INFO,
    rules::bv6004_core_image_needs_repair::INFO,
    rules::bv6101_efi_loader_missing::INFO,
    rules::bv6102_shim_without_second_stage::INFO,
    rules::bv6150_boot_entry_partition_missing::INFO,
    rules::bv6151_boot_entry_file_missing::INFO,
    rules::bv6152_boot_next_missing::INFO,
    rules::bv6153_boot_entry_other_disk::INFO,
    rules::bv6201_prefix_search_no_device::INFO,
    rules::bv6202_prefix_filesystem_unreadable::INFO,
    rules::bv6203_normal_mod_missing::INFO,
    rules::bv6204_grub_cfg_missing::INFO,
    rules::bv6205_grub_version_mismatch::INFO,
    rules::bv6206_fwsetup_is_supported::INFO,
    rules::bv6207_module_unloadable::INFO,
    rules::bv6301_loader_out_of_memory::INFO,
    rules::bv7001_firmware_rejects_loader::INFO,
    rules::bv7002_shim_rejects_grub::INFO,
    rules::bv7003_kernel_rejected::INFO,
    rules::bv7004_sbat_revoked::INFO,
    rules::bv7005_secure_boot_unknown::INFO,
    rules::bv7006_kernel_key_not_enrolled::INFO,
    rules::bv7007_secure_boot_module_refused::INFO,
    rules::bv7008_secure_boot_insmod_refused::INFO,
    rules::bv7009_secure_boot_chainload_rejected::INFO,
    rules::bv7010_secure_boot_grub_without_shim::INFO,
    rules::bv7011_secure_boot_font_refused::INFO,
    rules::bv7012_secure_boot_module_unsigned::INFO,
];

/// A check by code, case-insensitively.
pub fn lookup(code: &str) -> Option<&'static CheckInfo> {
    CHECKS.iter().find(|c| c.code.eq_ignore_ascii_case(code))
}

/// The headings every doc text must carry, in this order.
pub const DOC_SECTIONS: [&str; 4] = ["What it checks", "Why it breaks the boot", "Example", "Fix"];
