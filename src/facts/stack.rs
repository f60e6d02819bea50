//! The live root filesystem's block stack, as sysfs shows it (issue 17): the
//! device mounted at `/` and, through each device's `slaves/`, every device-mapper
//! and md device under it down to the partitions and disks. `probe::sysfs_stack`
//! walks it; `check::rules::root_stack` reads it instead of guessing the layers
//! from `root=` and mapper names. Nothing here does IO.

use serde::{Deserialize, Serialize};

/// The stack under the running system's root filesystem.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootStack {
    /// The kernel name of the device mounted at `/` (`dm-1`, `md127`, `vda4`).
    pub top: String,
    /// Its `MAJ:MIN`, from /proc/self/mountinfo.
    pub devno: String,
    /// The root filesystem's type, from mountinfo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fstype: Option<String>,
    /// The root filesystem's UUID and label, when its device could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fs_uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fs_label: Option<String>,
    /// Every device of the stack once, top first, in walk order (breadth first).
    pub devices: Vec<StackDevice>,
    /// What stopped the walk short (depth or fan-out cap, a loop, a slave
    /// with no sysfs entry): the stack is then incomplete.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<String>,
}

/// One block device of the stack.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackDevice {
    /// Kernel name (`dm-0`, `md127`, `vda4`).
    pub name: String,
    /// Steps below the top (the top is 0).
    pub depth: u32,
    pub kind: StackKind,
    /// What the kind says more precisely: the LUKS version (`LUKS2`), the md
    /// level (`raid1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// `dm/name` (the /dev/mapper name) and `dm/uuid`, for device-mapper devices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dm_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dm_uuid: Option<String>,
    /// `md/level`, for md devices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub md_level: Option<String>,
    /// The devices directly below (`slaves/`), by kernel name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slaves: Vec<String>,
}

/// What a device of the stack is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StackKind {
    /// device-mapper, dm uuid `CRYPT-…` (cryptsetup: `CRYPT-LUKS1-`, `CRYPT-LUKS2-`,
    /// `CRYPT-PLAIN-`, …).
    DmCrypt,
    /// device-mapper, dm uuid `LVM-…` (lvm2: `LVM-` + VG UUID + LV UUID).
    Lvm,
    /// device-mapper, dm uuid `mpath-…` (multipath-tools).
    Multipath,
    /// device-mapper, dm uuid `partN-…` (kpartx: a partition of a dm device).
    Kpartx,
    /// device-mapper with no uuid, or a prefix bootvet does not know: the target
    /// is unknown.
    DmUnknown,
    /// md RAID (`md/level`).
    Md,
    /// A partition (`partition` in sysfs); its disk is in the storage facts.
    Partition,
    /// Anything else: a whole disk, a loop device.
    Disk,
}

impl StackKind {
    /// Device-mapper kinds by the dm uuid prefix their userspace gives them, and
    /// what follows the prefix in cryptsetup's case (the format). lvm2 makes
    /// `LVM-<vg uuid><lv uuid>` (lib/activate/dev_manager.c, `UUID_PREFIX`);
    /// cryptsetup `CRYPT-<TYPE>-<uuid>-<name>` (lib/utils_dm.c: the type is
    /// `LUKS1`, `LUKS2`, `PLAIN`, `TCRYPT`, `BITLK`, …, and `CRYPT-SUBDEV-` for the
    /// helper devices of LUKS2 integrity); multipath-tools `mpath-<wwid>`; kpartx
    /// `part<N>-<parent uuid>`.
    pub fn of_dm_uuid(uuid: &str) -> (StackKind, Option<String>) {
        if let Some(rest) = uuid.strip_prefix("CRYPT-") {
            let format = rest
                .split_once('-')
                .map(|(t, _)| t)
                .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric()));
            return (StackKind::DmCrypt, format.map(str::to_string));
        }
        if uuid.starts_with("LVM-") {
            return (StackKind::Lvm, None);
        }
        if uuid.starts_with("mpath-") {
            return (StackKind::Multipath, None);
        }
        if let Some(rest) = uuid.strip_prefix("part")
            && let Some((n, _)) = rest.split_once('-')
            && !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
        {
            return (StackKind::Kpartx, Some(format!("partition {n}")));
        }
        (StackKind::DmUnknown, None)
    }

    /// The kernel module an md level needs (drivers/md: `raid4`, `raid5` and
    /// `raid6` are personalities of `raid456`); None for a level bootvet does not
    /// know (`container`, `multipath`, `faulty`).
    pub fn md_module(level: &str) -> Option<&'static str> {
        match level {
            "raid0" => Some("raid0"),
            "raid1" => Some("raid1"),
            "raid4" | "raid5" | "raid6" => Some("raid456"),
            "raid10" => Some("raid10"),
            "linear" => Some("linear"),
            _ => None,
        }
    }
}

impl RootStack {
    pub fn device(&self, name: &str) -> Option<&StackDevice> {
        self.devices.iter().find(|d| d.name == name)
    }

    /// The top device.
    pub fn top_device(&self) -> Option<&StackDevice> {
        self.device(&self.top)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dm_uuid_prefixes() {
        let k = |u: &str| StackKind::of_dm_uuid(u);
        assert_eq!(
            k("CRYPT-LUKS2-5a1b2c3d4e5f4a6b8c7d9e0f1a2b3c4d-cryptroot"),
            (StackKind::DmCrypt, Some("LUKS2".into()))
        );
        assert_eq!(
            k("CRYPT-PLAIN-swap"),
            (StackKind::DmCrypt, Some("PLAIN".into()))
        );
        assert_eq!(k("CRYPT-"), (StackKind::DmCrypt, None));
        assert_eq!(k("LVM-abcdef"), (StackKind::Lvm, None));
        assert_eq!(k("mpath-3600"), (StackKind::Multipath, None));
        assert_eq!(
            k("part1-mpath-3600"),
            (StackKind::Kpartx, Some("partition 1".into()))
        );
        assert_eq!(k("partx-1"), (StackKind::DmUnknown, None));
        assert_eq!(k(""), (StackKind::DmUnknown, None));
    }

    #[test]
    fn md_levels() {
        assert_eq!(StackKind::md_module("raid5"), Some("raid456"));
        assert_eq!(StackKind::md_module("raid6"), Some("raid456"));
        assert_eq!(StackKind::md_module("raid1"), Some("raid1"));
        assert_eq!(StackKind::md_module("container"), None);
    }
}
