//! What sits beside each kernel an entry boots: its `config-RELEASE` (read through
//! the volume the kernel is on), the `lib/modules/RELEASE` index on the root
//! filesystem `root=` names (when that filesystem is readable offline), and the
//! storage drivers between the kernel and its root disk. It gathers plain data for
//! the initrd and root-driver checks; it reads small text files only, never a
//! module or a whole directory tree, and never writes.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use super::disk_files::DiskFiles;
use crate::facts::kernel::{BusNeed, ConfigSummary, ModulesOnRoot, RootBus};
use crate::facts::storage::Source;
use crate::facts::volumes::{Resolution, VolumeRef};
use crate::inspect::kconfig::{KernelConfig, NeedKind, ROOT_PATH};
use crate::inspect::modules::{ModulesDep, parse_builtin};

/// Largest `config-RELEASE` / `modules.builtin` read (distribution configs are
/// ~300 KiB, modules.builtin ~100 KiB).
const MAX_TEXT: u64 = 8 << 20;

/// The buses bootvet assumes for an image's root disk when `--root-bus` is not
/// given: a virtual machine's or a current PC's, any one of them will do.
pub const DEFAULT_IMAGE_BUSES: [&str; 3] = ["virtio_blk", "ahci", "nvme"];

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

/// The config the kernel embeds (`CONFIG_IKCONFIG`), from its compressed payload,
/// for when `config-RELEASE` is absent (Arch, self-built kernels installed by
/// hand). Decompression is bounded by `kernel::IKCONFIG_MAX_OUTPUT`.
pub fn read_embedded_config(
    files: &DiskFiles<'_>,
    volume: &VolumeRef,
    kernel_path: &str,
) -> Result<ConfigSummary, String> {
    let vf = files.volume(volume)?;
    let stream = vf.open(kernel_path).map_err(|e| e.to_string())?;
    match crate::inspect::kernel::embedded_config(
        stream,
        crate::inspect::kernel::IKCONFIG_MAX_OUTPUT,
    ) {
        Ok(Some(crate::inspect::kernel::PayloadScan {
            method,
            config: Some(text),
            ..
        })) => Ok(ConfigSummary::from_config(
            format!(
                "({}){kernel_path} (IKCONFIG in its {} payload)",
                volume.name,
                method.kernel_name()
            ),
            &KernelConfig::parse(&text),
        )),
        Ok(Some(scan)) => Err(format!(
            "no IKCONFIG in the kernel's {} payload ({} bytes decompressed{})",
            scan.method.kernel_name(),
            scan.output,
            if scan.ended { "" } else { ", not to its end" }
        )),
        Ok(None) => Err("the kernel has no compressed payload bootvet can read".into()),
        Err(e) => Err(format!("{kernel_path}: {e}")),
    }
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
        deps: BTreeMap::new(),
    };
    if let Some(dir) = dir {
        out.builtin = read_text(files, volume, &format!("{dir}/modules.builtin"))
            .ok()
            .map(|t| parse_builtin(&t));
        if let Ok(text) = read_text(files, volume, &format!("{dir}/modules.dep")) {
            out.dep_found = true;
            out.deps = root_path_closures(&ModulesDep::parse(&text));
        }
    }
    Some(out)
}

/// The dependency closure of every root-path module `dep` lists.
pub fn root_path_closures(dep: &ModulesDep) -> BTreeMap<String, Vec<String>> {
    ROOT_PATH
        .iter()
        .flat_map(|p| p.modules.iter())
        .filter(|m| dep.modules.contains_key(**m))
        .map(|m| (m.to_string(), dep.closure(m).into_iter().skip(1).collect()))
        .collect()
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

/// Live, the bus drivers under the running root's stack (the partitions and
/// disks at its bottom): for a root inside dm/md, which resolves to no volume,
/// the root bus is then what sysfs says instead of assumed.
pub fn stack_bus(stack: &crate::facts::stack::RootStack) -> Option<RootBus> {
    use crate::facts::stack::StackKind;
    let mut drivers: Vec<String> = Vec::new();
    for d in &stack.devices {
        if matches!(d.kind, StackKind::Partition | StackKind::Disk) {
            for driver in sysfs_drivers(&d.name) {
                if !drivers.contains(&driver) {
                    drivers.push(driver);
                }
            }
        }
    }
    (!drivers.is_empty()).then(|| RootBus {
        drivers,
        need: BusNeed::All,
        source: format!("sysfs, under / ({})", stack.top),
    })
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
