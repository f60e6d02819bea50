//! What sits beside each kernel an entry boots: its configuration reduced to
//! what the boot needs (`ConfigSummary`), `lib/modules/RELEASE` on each root it
//! boots with (`ModulesOnRoot`), and the storage drivers between the kernel and
//! the root disk (`RootBus`). `probe::kernel_side` reads them.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::inspect::initrd::Compression;
use crate::inspect::kconfig::{KernelConfig, Provision, ROOT_PATH};

/// The kernel configuration, reduced to what the boot needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigSummary {
    /// Where it was read: `(hd0,gpt3)/config-6.5.0-35-generic`.
    pub path: String,
    /// `CONFIG_BLK_DEV_INITRD=y`.
    pub initrd_supported: bool,
    /// The compressions the kernel can unpack (`CONFIG_RD_*=y`).
    pub initrd_compressions: Vec<Compression>,
    /// For every need of the root-path table, how this kernel provides it.
    pub root_path: Vec<(String, Provision)>,
    /// When the kernel refuses a module without a signature (`None`: facts
    /// recorded before bootvet read it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsigned_modules: Option<UnsignedModules>,
    /// Whether any filesystem that mounts a block device is built in (`None`:
    /// facts recorded before bootvet read it). With none, a kernel left to mount
    /// root= itself has nothing to try, and says so differently.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_filesystem_built_in: Option<bool>,
}

/// When a kernel refuses to load a module that carries no signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnsignedModules {
    /// No `CONFIG_MODULE_SIG`, or nothing enforces it.
    Loaded,
    /// `CONFIG_MODULE_SIG_FORCE`, or lockdown forced on at build time.
    RefusedAlways,
    /// `CONFIG_LOCK_DOWN_IN_EFI_SECURE_BOOT` (Debian's, Ubuntu's and Fedora's
    /// kernels): lockdown, and with it module signature enforcement, when the
    /// firmware booted with Secure Boot on.
    RefusedUnderSecureBoot,
}

impl UnsignedModules {
    /// security/lockdown (`lockdown_is_locked_down`) and kernel/module/signing.c
    /// (`module_sig_check`, Linux 6.1): without `MODULE_SIG` nothing is checked.
    pub fn from_config(config: &KernelConfig) -> Self {
        if !config.is_builtin("MODULE_SIG") {
            UnsignedModules::Loaded
        } else if config.is_builtin("MODULE_SIG_FORCE")
            || config.is_builtin("LOCK_DOWN_KERNEL_FORCE_INTEGRITY")
            || config.is_builtin("LOCK_DOWN_KERNEL_FORCE_CONFIDENTIALITY")
        {
            UnsignedModules::RefusedAlways
        } else if config.is_builtin("LOCK_DOWN_IN_EFI_SECURE_BOOT") {
            UnsignedModules::RefusedUnderSecureBoot
        } else {
            UnsignedModules::Loaded
        }
    }
}

impl ConfigSummary {
    pub fn from_config(path: String, config: &KernelConfig) -> Self {
        ConfigSummary {
            path,
            initrd_supported: config.initrd_supported(),
            initrd_compressions: config.initrd_compressions(),
            root_path: ROOT_PATH
                .iter()
                .map(|p| (p.need.to_string(), config.provision(p)))
                .collect(),
            unsigned_modules: Some(UnsignedModules::from_config(config)),
            block_filesystem_built_in: Some(config.block_filesystem_built_in()),
        }
    }

    pub fn provision(&self, need: &str) -> Option<&Provision> {
        let want = crate::inspect::kconfig::provider(need)?.need;
        self.root_path
            .iter()
            .find(|(n, _)| n == want)
            .map(|(_, p)| p)
    }
}

/// `lib/modules/RELEASE` on the root filesystem of one `root=` value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModulesOnRoot {
    pub root: String,
    /// The volume read: `hd0,gpt4`.
    pub volume: String,
    /// `lib/modules/RELEASE` exists there.
    pub dir_found: bool,
    /// Module names (underscored) of `modules.builtin`, when it was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub builtin: Option<BTreeSet<String>>,
    /// `modules.dep` is there.
    pub dep_found: bool,
    /// For each root-path module `modules.dep` lists, every module it needs
    /// (transitively, itself excluded). Only the root-path table's modules are
    /// kept: the whole file is thousands of lines the checks never ask about.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub deps: BTreeMap<String, Vec<String>>,
}

/// Everything read beside one kernel file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KernelSide {
    /// Index of the kernel's fact in `BootFacts::files`.
    pub file: usize,
    /// The kernel's path, as the entry names it (with the fact's device).
    pub kernel: String,
    pub release: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ConfigSummary>,
    /// Why no config was read (`config-RELEASE` absent, volume unreadable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_missing: Option<String>,
    /// One per `root=` value the kernel is booted with.
    pub modules: Vec<ModulesOnRoot>,
    /// `zfs.ko*` in the running system's `lib/modules/RELEASE`, read only when
    /// an entry boots this kernel with a ZFS root and the running root is ZFS
    /// (no ZFS reader offline); `None`: not looked at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zfs_tree: Option<ZfsModuleTree>,
}

/// Where DKMS (`updates/dkms/`) or a kmod package (`extra/`) put `zfs.ko` for one
/// release on the running root filesystem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZfsModuleTree {
    /// The running root, as mountinfo names it: `rpool/ROOT/debian (zfs)`.
    pub root: String,
    /// `/lib/modules/RELEASE` exists.
    pub dir_found: bool,
    /// Paths of `zfs.ko`, `zfs.ko.xz`, `zfs.ko.zst`… under it.
    pub found: Vec<String>,
}

/// The storage drivers on the way to the root disk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootBus {
    /// Driver names, as sysfs and the root-path table name them.
    pub drivers: Vec<String>,
    /// `all`: every driver is on the path (read from sysfs, or `--root-bus`);
    /// `any`: bootvet does not know the bus, one of these will do (images).
    pub need: BusNeed,
    /// Where the list came from: `sysfs`, `--root-bus`, `assumed`.
    pub source: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BusNeed {
    All,
    Any,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::kconfig::KernelConfig;

    const CONFIG: &str = "# Linux/x86 6.11.0 Kernel Configuration\nCONFIG_BLK_DEV_INITRD=y\nCONFIG_RD_GZIP=y\n# CONFIG_RD_ZSTD is not set\nCONFIG_EXT4_FS=m\nCONFIG_BLK_DEV_NVME=y\n";

    #[test]
    fn summary_keeps_what_the_boot_needs() {
        let s = ConfigSummary::from_config(
            "(hd0,gpt3)/config-6.11.0".into(),
            &KernelConfig::parse(CONFIG),
        );
        assert!(s.initrd_supported);
        assert_eq!(s.initrd_compressions, [Compression::Gzip]);
        assert_eq!(
            s.provision("ext4"),
            Some(&Provision::Module {
                symbol: "CONFIG_EXT4_FS".into(),
                modules: vec!["ext4".into()]
            })
        );
        assert_eq!(
            s.provision("nvme"),
            Some(&Provision::BuiltIn {
                symbol: "CONFIG_BLK_DEV_NVME".into()
            })
        );
        assert_eq!(s.provision("xfs"), Some(&Provision::Missing));
        assert_eq!(s.provision("no-such-driver"), None);
    }
}
