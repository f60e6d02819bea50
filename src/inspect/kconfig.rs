//! Kernel configuration: `/boot/config-VER` text, or the `.config` a kernel embeds with
//! IKCONFIG (`IKCFG_ST` + gzip + `IKCFG_ED`, found in an uncompressed vmlinux or in
//! `configs.ko`), and the table from what the root path needs (filesystem type, storage
//! bus, stacking layer) to the config symbol and module that provide it. Text and bytes
//! in, answers out; no IO.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use serde::{Deserialize, Serialize};

use super::compression::Compression;
use super::modules::ModulesDep;

/// A symbol's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    /// `=y`: built in.
    Yes,
    /// `=m`: a module.
    Module,
    /// `# CONFIG_X is not set`, or absent.
    No,
    /// A string or number value.
    Other(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelConfig {
    /// Symbol (without `CONFIG_`) → value, for symbols the text mentions.
    pub symbols: BTreeMap<String, Value>,
}

fn strip(sym: &str) -> &str {
    sym.strip_prefix("CONFIG_").unwrap_or(sym)
}

/// The options that register a block-device filesystem (fs/*/Kconfig): those
/// whose `file_system_type` carries `FS_REQUIRES_DEV`, each with what must be
/// built in with it. `FUSE_FS` registers `fuseblk`; cramfs and romfs read a
/// block device only in their block-backed modes (Debian sets
/// `ROMFS_BACKED_BY_BOTH=y` with `ROMFS_FS=m`).
const BLOCK_FILESYSTEMS: &[&[&str]] = &[
    &["EXT4_FS"],
    &["EXT2_FS"],
    &["EXT3_FS"],
    &["BTRFS_FS"],
    &["XFS_FS"],
    &["JFS_FS"],
    &["REISERFS_FS"],
    &["F2FS_FS"],
    &["MSDOS_FS"],
    &["VFAT_FS"],
    &["EXFAT_FS"],
    &["NTFS_FS"],
    &["NTFS3_FS"],
    &["ISO9660_FS"],
    &["UDF_FS"],
    &["SQUASHFS"],
    &["CRAMFS", "CRAMFS_BLOCKDEV"],
    &["ROMFS_FS", "ROMFS_BACKED_BY_BLOCK"],
    &["ROMFS_FS", "ROMFS_BACKED_BY_BOTH"],
    &["EROFS_FS"],
    &["NILFS2_FS"],
    &["HFS_FS"],
    &["HFSPLUS_FS"],
    &["MINIX_FS"],
    &["BFS_FS"],
    &["EFS_FS"],
    &["QNX4FS_FS"],
    &["QNX6FS_FS"],
    &["UFS_FS"],
    &["SYSV_FS"],
    &["ADFS_FS"],
    &["AFFS_FS"],
    &["BEFS_FS"],
    &["HPFS_FS"],
    &["VXFS_FS"],
    &["OMFS_FS"],
    &["OCFS2_FS"],
    &["GFS2_FS"],
    &["ZONEFS_FS"],
    &["BCACHEFS_FS"],
    &["FUSE_FS"],
];

impl KernelConfig {
    /// Parses `.config` text. Unknown lines are skipped; it never fails.
    pub fn parse(text: &str) -> KernelConfig {
        let mut symbols = BTreeMap::new();
        for line in text.lines() {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("# CONFIG_") {
                if let Some(sym) = rest.strip_suffix(" is not set") {
                    symbols.insert(sym.to_string(), Value::No);
                }
                continue;
            }
            let Some(rest) = line.strip_prefix("CONFIG_") else {
                continue;
            };
            let Some((sym, val)) = rest.split_once('=') else {
                continue;
            };
            let v = match val {
                "y" => Value::Yes,
                "m" => Value::Module,
                "n" => Value::No,
                other => Value::Other(other.trim_matches('"').to_string()),
            };
            symbols.insert(sym.to_string(), v);
        }
        KernelConfig { symbols }
    }

    /// Whether text looks like a kernel config (for telling files apart).
    pub fn looks_like(text: &str) -> bool {
        text.lines()
            .take(200)
            .filter(|l| l.starts_with("CONFIG_") || l.starts_with("# CONFIG_"))
            .count()
            >= 3
    }

    /// A symbol's value; `CONFIG_` prefix optional; absent means not set.
    pub fn get(&self, sym: &str) -> Value {
        self.symbols.get(strip(sym)).cloned().unwrap_or(Value::No)
    }

    pub fn is_builtin(&self, sym: &str) -> bool {
        self.get(sym) == Value::Yes
    }

    pub fn is_module(&self, sym: &str) -> bool {
        self.get(sym) == Value::Module
    }

    /// Whether a filesystem that needs a block device (`FS_REQUIRES_DEV`) is built
    /// in: what init/do_mounts.c's `mount_block_root` tries on root= when no
    /// initramfs runs (`list_bdev_fs_names`).
    pub fn block_filesystem_built_in(&self) -> bool {
        BLOCK_FILESYSTEMS
            .iter()
            .any(|syms| syms.iter().all(|sym| self.is_builtin(sym)))
    }

    /// `CONFIG_BLK_DEV_INITRD`: the kernel can take an initrd at all.
    pub fn initrd_supported(&self) -> bool {
        self.is_builtin("BLK_DEV_INITRD")
    }

    /// Whether the kernel can unpack an initrd compressed with `c` (`CONFIG_RD_*`).
    pub fn supports(&self, c: Compression) -> bool {
        self.is_builtin(c.config_symbol())
    }

    /// The compressions the kernel can unpack.
    pub fn initrd_compressions(&self) -> Vec<Compression> {
        Compression::ALL
            .into_iter()
            .filter(|c| self.supports(*c))
            .collect()
    }

    /// The kernel release, when the config names it (`# Linux/x86 6.1.0 Kernel
    /// Configuration` gives only the base version; this returns that).
    pub fn version_comment(text: &str) -> Option<String> {
        text.lines().take(5).find_map(|l| {
            let rest = l.strip_prefix("# Linux/")?;
            let (_, rest) = rest.split_once(' ')?;
            rest.strip_suffix(" Kernel Configuration")
                .map(str::to_string)
        })
    }
}

/// Finds the IKCONFIG block in `bytes` and returns its text (bounded to 8 MiB).
/// `None` when there is none (in a bzImage it lives inside the compressed payload:
/// `kernel::embedded_config` decompresses it first).
pub fn extract_ikconfig(bytes: &[u8]) -> Option<String> {
    const START: &[u8] = b"IKCFG_ST";
    let at = bytes.windows(START.len()).position(|w| w == START)? + START.len();
    let gz = &bytes[at..];
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .take(8 << 20)
        .read_to_end(&mut out)
        .ok()?;
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// One thing the root path may need, and what provides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Provider {
    /// What it is called on the command line / by libblkid / in sysfs.
    pub need: &'static str,
    pub kind: NeedKind,
    /// Config symbols, any of which provides it (without `CONFIG_`).
    pub symbols: &'static [&'static str],
    /// Module names (underscored) that provide it when built as modules.
    pub modules: &'static [&'static str],
    /// Userspace the initramfs needs to set it up, if any.
    pub userspace: &'static [&'static str],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NeedKind {
    Filesystem,
    Bus,
    Layer,
}

const fn p(
    need: &'static str,
    kind: NeedKind,
    symbols: &'static [&'static str],
    modules: &'static [&'static str],
    userspace: &'static [&'static str],
) -> Provider {
    Provider {
        need,
        kind,
        symbols,
        modules,
        userspace,
    }
}

use NeedKind::{Bus, Filesystem, Layer};

/// The root-path table: filesystem types (libblkid names), storage buses (sysfs driver
/// names) and stacking layers.
pub const ROOT_PATH: &[Provider] = &[
    p("ext4", Filesystem, &["EXT4_FS"], &["ext4"], &[]),
    p(
        "ext3",
        Filesystem,
        &["EXT4_FS", "EXT3_FS"],
        &["ext4", "ext3"],
        &[],
    ),
    p(
        "ext2",
        Filesystem,
        &["EXT2_FS", "EXT4_USE_FOR_EXT2"],
        &["ext2", "ext4"],
        &[],
    ),
    p("xfs", Filesystem, &["XFS_FS"], &["xfs"], &[]),
    p("btrfs", Filesystem, &["BTRFS_FS"], &["btrfs"], &[]),
    p("vfat", Filesystem, &["VFAT_FS"], &["vfat"], &[]),
    p("f2fs", Filesystem, &["F2FS_FS"], &["f2fs"], &[]),
    p("jfs", Filesystem, &["JFS_FS"], &["jfs"], &[]),
    p("squashfs", Filesystem, &["SQUASHFS"], &["squashfs"], &[]),
    p("nvme", Bus, &["BLK_DEV_NVME"], &["nvme"], &[]),
    p("ahci", Bus, &["SATA_AHCI"], &["ahci"], &[]),
    p("ata_piix", Bus, &["ATA_PIIX"], &["ata_piix"], &[]),
    p("virtio_blk", Bus, &["VIRTIO_BLK"], &["virtio_blk"], &[]),
    p("virtio_scsi", Bus, &["SCSI_VIRTIO"], &["virtio_scsi"], &[]),
    p("sd", Bus, &["BLK_DEV_SD"], &["sd_mod"], &[]),
    p("usb-storage", Bus, &["USB_STORAGE"], &["usb_storage"], &[]),
    p("uas", Bus, &["USB_UAS"], &["uas"], &[]),
    p("mmc", Bus, &["MMC_BLOCK"], &["mmc_block"], &[]),
    p(
        "xen_blkfront",
        Bus,
        &["XEN_BLKDEV_FRONTEND"],
        &["xen_blkfront"],
        &[],
    ),
    p("hv_storvsc", Bus, &["HYPERV_STORAGE"], &["hv_storvsc"], &[]),
    p(
        "dm-crypt",
        Layer,
        &["DM_CRYPT"],
        &["dm_crypt"],
        &["cryptsetup"],
    ),
    p("lvm", Layer, &["BLK_DEV_DM"], &["dm_mod"], &["lvm"]),
    p("dm", Layer, &["BLK_DEV_DM"], &["dm_mod"], &[]),
    p("md", Layer, &["BLK_DEV_MD"], &["md_mod"], &["mdadm"]),
    p("raid0", Layer, &["MD_RAID0"], &["raid0"], &["mdadm"]),
    p("raid1", Layer, &["MD_RAID1"], &["raid1"], &["mdadm"]),
    p("raid10", Layer, &["MD_RAID10"], &["raid10"], &["mdadm"]),
    p("raid456", Layer, &["MD_RAID456"], &["raid456"], &["mdadm"]),
];

/// The table row for `need` (case-insensitive; `_` and `-` alike).
pub fn provider(need: &str) -> Option<&'static Provider> {
    let norm = |s: &str| s.to_ascii_lowercase().replace('_', "-");
    let want = norm(need);
    ROOT_PATH.iter().find(|p| norm(p.need) == want)
}

/// How the kernel provides a root-path need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provision {
    /// Some symbol is `=y`.
    BuiltIn {
        symbol: String,
    },
    /// Only as modules; the initramfs must carry one of them.
    Module {
        symbol: String,
        modules: Vec<String>,
    },
    Missing,
}

impl KernelConfig {
    pub fn provision(&self, p: &Provider) -> Provision {
        if let Some(s) = p.symbols.iter().find(|s| self.is_builtin(s)) {
            return Provision::BuiltIn {
                symbol: format!("CONFIG_{s}"),
            };
        }
        if let Some(s) = p.symbols.iter().find(|s| self.is_module(s)) {
            return Provision::Module {
                symbol: format!("CONFIG_{s}"),
                modules: p.modules.iter().map(|m| m.to_string()).collect(),
            };
        }
        Provision::Missing
    }
}

/// Whether one root-path need is met at boot, before the root filesystem is mounted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum NeedStatus {
    /// Built into the kernel (`=y`, or listed in `modules.builtin`).
    BuiltIn { by: String },
    /// A module, and the initrd carries it with everything it depends on.
    InInitrd { modules: Vec<String> },
    /// A module the initrd lacks (`missing` includes missing dependencies).
    MissingFromInitrd {
        module: String,
        missing: Vec<String>,
    },
    /// The kernel has it neither built in nor as a module.
    NotInKernel,
}

/// Decides one need from the kernel's config (when known), its `modules.builtin` and
/// `modules.dep` (when known), and what the initrd holds (`in_initrd(name)`). Of the
/// alternative modules, the one with the fewest missing pieces is reported.
pub fn root_need(
    need: &Provider,
    config: Option<&KernelConfig>,
    builtin: &BTreeSet<String>,
    dep: Option<&ModulesDep>,
    in_initrd: impl Fn(&str) -> bool,
) -> NeedStatus {
    if let Some(c) = config
        && let Provision::BuiltIn { symbol } = c.provision(need)
    {
        return NeedStatus::BuiltIn { by: symbol };
    }
    if let Some(m) = need.modules.iter().find(|m| builtin.contains(**m)) {
        return NeedStatus::BuiltIn {
            by: format!("modules.builtin ({m})"),
        };
    }
    if config.is_some_and(|c| c.provision(need) == Provision::Missing) {
        return NeedStatus::NotInKernel;
    }
    let mut best: Option<(String, Vec<String>, Vec<String>)> = None;
    for m in need.modules {
        let closure = match dep {
            Some(d) => d.closure(m),
            None => vec![m.to_string()],
        };
        let closure: Vec<String> = closure
            .into_iter()
            .filter(|x| !builtin.contains(x))
            .collect();
        let missing: Vec<String> = closure.iter().filter(|x| !in_initrd(x)).cloned().collect();
        if best
            .as_ref()
            .is_none_or(|(_, _, b)| missing.len() < b.len())
        {
            best = Some((m.to_string(), closure, missing));
        }
    }
    match best {
        Some((_, closure, missing)) if missing.is_empty() => {
            NeedStatus::InInitrd { modules: closure }
        }
        Some((module, _, missing)) => NeedStatus::MissingFromInitrd { module, missing },
        None => NeedStatus::NotInKernel,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "#\n# Automatically generated file; DO NOT EDIT.\n# Linux/x86 6.1.192 Kernel Configuration\n#\nCONFIG_BLK_DEV_INITRD=y\nCONFIG_RD_GZIP=y\n# CONFIG_RD_LZ4 is not set\nCONFIG_RD_ZSTD=y\nCONFIG_EXT4_FS=m\nCONFIG_BLK_DEV_NVME=y\nCONFIG_LOCALVERSION=\"-test\"\n";

    #[test]
    fn reads_tristates_and_strings() {
        let c = KernelConfig::parse(SAMPLE);
        assert!(c.initrd_supported());
        assert_eq!(c.get("CONFIG_EXT4_FS"), Value::Module);
        assert_eq!(c.get("RD_LZ4"), Value::No);
        assert_eq!(c.get("XFS_FS"), Value::No);
        assert_eq!(c.get("LOCALVERSION"), Value::Other("-test".into()));
        assert_eq!(
            c.initrd_compressions(),
            [Compression::Gzip, Compression::Zstd]
        );
        assert_eq!(
            KernelConfig::version_comment(SAMPLE).as_deref(),
            Some("6.1.192")
        );
        assert!(KernelConfig::looks_like(SAMPLE));
    }

    #[test]
    fn block_filesystem_built_in_needs_the_filesystem_itself() {
        // Debian 6.1: every block filesystem a module, romfs's block mode set.
        let debian = KernelConfig::parse(&format!(
            "{SAMPLE}CONFIG_ROMFS_FS=m\nCONFIG_ROMFS_BACKED_BY_BOTH=y\nCONFIG_FUSE_FS=m\n"
        ));
        assert!(!debian.block_filesystem_built_in());
        let ubuntu = KernelConfig::parse(&SAMPLE.replace("CONFIG_EXT4_FS=m", "CONFIG_EXT4_FS=y"));
        assert!(ubuntu.block_filesystem_built_in());
    }

    #[test]
    fn provision_of_root_path() {
        let c = KernelConfig::parse(SAMPLE);
        let ext4 = provider("ext4").unwrap();
        assert_eq!(
            c.provision(ext4),
            Provision::Module {
                symbol: "CONFIG_EXT4_FS".into(),
                modules: vec!["ext4".into()]
            }
        );
        assert_eq!(
            c.provision(provider("NVME").unwrap()),
            Provision::BuiltIn {
                symbol: "CONFIG_BLK_DEV_NVME".into()
            }
        );
        assert_eq!(c.provision(provider("xfs").unwrap()), Provision::Missing);
        assert!(provider("dm_crypt").is_some());
    }

    #[test]
    fn root_need_decides_from_config_builtin_and_initrd() {
        let c = KernelConfig::parse(SAMPLE);
        let dep = ModulesDep::parse(
            "kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko kernel/fs/mbcache.ko\n\
             kernel/fs/jbd2/jbd2.ko:\nkernel/fs/mbcache.ko:\n",
        );
        let none = BTreeSet::new();
        let ext4 = provider("ext4").unwrap();
        let all = |_: &str| true;
        assert_eq!(
            root_need(ext4, Some(&c), &none, Some(&dep), all),
            NeedStatus::InInitrd {
                modules: vec!["ext4".into(), "jbd2".into(), "mbcache".into()]
            }
        );
        let without_jbd2 = |m: &str| m != "jbd2";
        assert_eq!(
            root_need(ext4, Some(&c), &none, Some(&dep), without_jbd2),
            NeedStatus::MissingFromInitrd {
                module: "ext4".into(),
                missing: vec!["jbd2".into()]
            }
        );
        assert_eq!(
            root_need(provider("nvme").unwrap(), Some(&c), &none, None, |_| false),
            NeedStatus::BuiltIn {
                by: "CONFIG_BLK_DEV_NVME".into()
            }
        );
        assert_eq!(
            root_need(provider("xfs").unwrap(), Some(&c), &none, None, all),
            NeedStatus::NotInKernel
        );
        // Without a config, modules.builtin decides.
        let builtin = BTreeSet::from(["ext4".to_string()]);
        assert_eq!(
            root_need(ext4, None, &builtin, None, |_| false),
            NeedStatus::BuiltIn {
                by: "modules.builtin (ext4)".into()
            }
        );
    }

    #[test]
    fn ikconfig_round_trip() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(SAMPLE.as_bytes()).unwrap();
        let mut blob = b"junk IKCFG_ST".to_vec();
        blob.extend(enc.finish().unwrap());
        blob.extend_from_slice(b"IKCFG_ED");
        assert_eq!(extract_ikconfig(&blob).as_deref(), Some(SAMPLE));
        assert_eq!(extract_ikconfig(b"nothing here"), None);
    }
}
