//! Volumes and what names resolve to: `VolumeRef` (a partition, or a whole disk
//! with a filesystem), `Resolution` (none, one, several: never a silent guess),
//! `DeviceResolution` (the volume GRUB uses for a device expression), and
//! `volumes`, every volume in GRUB's probe order.

use serde::{Deserialize, Serialize};

use super::storage::{Filesystem, Partition, Storage};

/// One volume: a partition, or a whole disk that carries a filesystem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeRef {
    /// Index into `Storage::disks`; `None` for the `--boot-dir` directory, which
    /// is on no disk of the facts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk: Option<usize>,
    /// Index into `Disk::partitions`; `None` for the whole disk.
    pub partition: Option<usize>,
    /// GRUB name without parentheses: `hd0,gpt2`.
    pub name: String,
    /// `/dev/sda2` on the live system.
    pub kernel_name: Option<String>,
}

/// The name a `--boot-dir` directory goes by: it stands for every filesystem
/// GRUB names, and is on no disk of the facts.
pub const BOOT_DIR_VOLUME: &str = "boot-dir";

impl VolumeRef {
    /// The `--boot-dir` directory as a volume: it is on no disk of the facts,
    /// and its kernel name is the directory.
    pub fn boot_dir(dir: &str) -> VolumeRef {
        VolumeRef {
            disk: None,
            partition: None,
            name: BOOT_DIR_VOLUME.to_string(),
            kernel_name: Some(dir.to_string()),
        }
    }

    /// The `--boot-dir` directory rather than a volume on a disk.
    pub fn is_boot_dir(&self) -> bool {
        self.name == BOOT_DIR_VOLUME
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "found", content = "volumes", rename_all = "snake_case")]
pub enum Resolution {
    None,
    One(VolumeRef),
    /// Ambiguous: every match, in GRUB's probe order.
    Several(Vec<VolumeRef>),
}

impl Resolution {
    pub fn from_vec(mut v: Vec<VolumeRef>) -> Self {
        match v.len() {
            0 => Resolution::None,
            1 => Resolution::One(v.remove(0)),
            _ => Resolution::Several(v),
        }
    }

    pub fn volumes(&self) -> Vec<&VolumeRef> {
        match self {
            Resolution::None => Vec::new(),
            Resolution::One(v) => vec![v],
            Resolution::Several(v) => v.iter().collect(),
        }
    }
}

/// What a device expression designates at boot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "found", rename_all = "snake_case")]
pub enum DeviceResolution {
    /// GRUB uses `volume`; `others` also matched (GRUB takes the first it probes).
    Found {
        volume: VolumeRef,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        others: Vec<VolumeRef>,
        /// A `search` found nothing: GRUB printed this error and kept what the
        /// variable held before, which is `volume`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        failed_search: Option<String>,
    },
    /// Nothing matches: GRUB fails (`no such device`, `disk … not found`).
    Missing { message: String },
    /// bootvet cannot tell (decided at boot, a loopback image, replayed facts).
    Unknown { why: String },
}

impl DeviceResolution {
    pub fn volume(&self) -> Option<&VolumeRef> {
        match self {
            DeviceResolution::Found { volume, .. } => Some(volume),
            _ => None,
        }
    }
}

/// Every volume in GRUB's probe order, with what identifies it.
pub fn volumes(facts: &Storage) -> Vec<(VolumeRef, Option<&Partition>, Option<&Filesystem>)> {
    let mut out = Vec::new();
    for (d, disk) in facts.disks.iter().enumerate() {
        if let Some(fs) = &disk.filesystem {
            out.push((
                VolumeRef {
                    disk: Some(d),
                    partition: None,
                    name: disk.grub_name.clone(),
                    kernel_name: disk.kernel_name.as_ref().map(|k| format!("/dev/{k}")),
                },
                None,
                Some(fs),
            ));
        }
        for (i, p) in disk.partitions.iter().enumerate() {
            out.push((
                VolumeRef {
                    disk: Some(d),
                    partition: Some(i),
                    name: p.grub_name.clone(),
                    kernel_name: p.kernel_name.clone(),
                },
                Some(p),
                p.filesystem.as_ref(),
            ));
        }
    }
    out
}
