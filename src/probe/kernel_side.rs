//! What sits beside each kernel an entry boots: its `config-RELEASE` (read through
//! the volume the kernel is on), the `lib/modules/RELEASE` index on the root
//! filesystem `root=` names (when that filesystem is readable offline), and the
//! storage drivers between the kernel and its root disk. It gathers plain data for
//! the initrd and root-driver checks; it reads small text files only, never a
//! module or a whole directory tree, and never writes.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::disk_files::DiskFiles;
use super::facts::Source;
use super::resolve::{Resolution, VolumeRef};
use crate::inspect::initrd::Compression;
use crate::inspect::kconfig::{KernelConfig, NeedKind, Provision, ROOT_PATH};
use crate::inspect::modules::parse_builtin;

/// Largest `config-RELEASE` / `modules.builtin` read (distribution configs are
/// ~300 KiB, modules.builtin ~100 KiB).
const MAX_TEXT: u64 = 8 << 20;

/// The buses bootvet assumes for an image's root disk when `--root-bus` is not
/// given: a virtual machine's or a current PC's, any one of them will do.
pub const DEFAULT_IMAGE_BUSES: [&str; 3] = ["virtio_blk", "ahci", "nvme"];

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

/// Reads `config-RELEASE` next to the kernel, on the same volume.
pub fn read_config(
    files: &DiskFiles<'_>,
    volume: &VolumeRef,
    kernel_path: &str,
    release: &str,
) -> Result<ConfigSummary, String> {
    let dir = kernel_path
        .rsplit_once('/')
        .map(|(d, _)| d)
        .unwrap_or_default();
    let path = format!("{dir}/config-{release}");
    let text = read_text(files, volume, &path)?;
    Ok(ConfigSummary::from_config(
        format!("({}){path}", volume.name),
        &KernelConfig::parse(&text),
    ))
}

/// Reads `lib/modules/RELEASE/{modules.builtin,modules.dep}` on the root volume.
pub fn modules_on_root(
    files: &DiskFiles<'_>,
    root: &str,
    resolution: &Resolution,
    release: &str,
) -> Option<ModulesOnRoot> {
    let Resolution::One(volume) = resolution else {
        return None;
    };
    let vf = files.volume(volume).ok()?;
    let dir = format!("/lib/modules/{release}");
    // usrmerge systems keep /lib as a symlink; the readers do not follow it.
    let dir = [dir.clone(), format!("/usr{dir}")]
        .into_iter()
        .find(|d| vf.list_dir(d).is_ok());
    let mut out = ModulesOnRoot {
        root: root.to_string(),
        volume: volume.name.clone(),
        dir_found: dir.is_some(),
        builtin: None,
        dep_found: false,
    };
    if let Some(dir) = dir {
        out.builtin = read_text(files, volume, &format!("{dir}/modules.builtin"))
            .ok()
            .map(|t| parse_builtin(&t));
        out.dep_found = vf.stat(&format!("{dir}/modules.dep")).is_ok();
    }
    Some(out)
}

fn read_text(files: &DiskFiles<'_>, volume: &VolumeRef, path: &str) -> Result<String, String> {
    let vf = files.volume(volume)?;
    let stream = vf.open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    stream
        .take(MAX_TEXT)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{path}: {e}"))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The root disk's storage drivers: `--root-bus` when given, sysfs on the live
/// system, else the assumption for images.
pub fn root_bus(files: &DiskFiles<'_>, given: &[String], roots: &[&Resolution]) -> RootBus {
    if !given.is_empty() {
        return RootBus {
            drivers: given.to_vec(),
            need: BusNeed::All,
            source: "--root-bus".into(),
        };
    }
    if matches!(files.facts().source, Source::Live { .. }) {
        let mut drivers = Vec::new();
        for resolution in roots {
            if let Resolution::One(volume) = resolution
                && let Some(name) = &volume.kernel_name
            {
                for d in sysfs_drivers(name) {
                    if !drivers.contains(&d) {
                        drivers.push(d);
                    }
                }
            }
        }
        if !drivers.is_empty() {
            return RootBus {
                drivers,
                need: BusNeed::All,
                source: "sysfs".into(),
            };
        }
    }
    RootBus {
        drivers: DEFAULT_IMAGE_BUSES.iter().map(|s| s.to_string()).collect(),
        need: BusNeed::Any,
        source: "assumed".into(),
    }
}

/// Bus drivers bound to the devices above a block device (`/dev/nvme0n1p2` →
/// `nvme`; `/dev/sda2` → `sd`, `ahci`), as far as the root-path table knows them.
fn sysfs_drivers(dev: &str) -> Vec<String> {
    let name = dev.rsplit('/').next().unwrap_or(dev);
    let mut block = Path::new("/sys/class/block").join(name);
    // A partition's device is its disk's.
    if block.join("partition").exists()
        && let Ok(real) = std::fs::canonicalize(&block)
        && let Some(parent) = real.parent()
    {
        block = parent.to_path_buf();
    }
    let Ok(mut at) = std::fs::canonicalize(block.join("device")) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // sysfs paths are a few levels deep; the bound keeps a loop in a strange
    // sysfs from running away.
    for _ in 0..16 {
        if let Ok(link) = std::fs::read_link(at.join("driver"))
            && let Some(driver) = link.file_name().and_then(|n| n.to_str())
            && crate::inspect::kconfig::provider(driver).is_some_and(|p| p.kind == NeedKind::Bus)
        {
            out.push(driver.replace('-', "_"));
        }
        if !at.pop() || at == Path::new("/sys/devices") {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
