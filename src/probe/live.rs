//! The live system as facts: disks and partitions from /sys/block (sizes, sector
//! sizes, removable, holders), mount points from /proc/self/mountinfo, the
//! partition table and filesystem identity read from /dev/DISK when the system
//! lets us (otherwise from sysfs and the /dev/disk/by-* links, with a problem
//! saying the table itself could not be read), and GRUB's `hdN` order from
//! device.map or the kernel's order (see `grub_names`).
//!
//! Never writes; a device that cannot be opened is a fact, not a failure.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::grub_names::{kernel_order_key, parse_device_map};
use super::{blkid, describe_disk};
use crate::facts::storage::{
    Disk, DiskProblem, Filesystem, Partition, ProblemKind, Source, Storage,
};

/// A disk as sysfs shows it.
#[derive(Debug, Clone)]
struct SysDisk {
    name: String,
    devno: String,
    size: u64,
    logical: u64,
    physical: u64,
    removable: bool,
    holders: Vec<String>,
    partitions: Vec<SysPart>,
}

#[derive(Debug, Clone)]
struct SysPart {
    name: String,
    holders: Vec<String>,
    devno: String,
    number: u32,
    start: u64,
    size: u64,
}

fn read_trim(p: &Path) -> Option<String> {
    fs::read_to_string(p).ok().map(|s| s.trim().to_string())
}

fn read_num(p: &Path) -> Option<u64> {
    read_trim(p)?.parse().ok()
}

pub(super) fn list_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Disks worth showing: real devices and attached loop devices; not zram, ram,
/// or stacked dm/md devices (those appear as holders of their disks).
fn sys_disks(root: &Path) -> Vec<SysDisk> {
    let mut disks = Vec::new();
    for name in list_names(root) {
        let dir = root.join(&name);
        if ["ram", "zram", "dm-", "md", "sr", "fd"]
            .iter()
            .any(|p| name.starts_with(p))
        {
            continue;
        }
        let size = read_num(&dir.join("size")).unwrap_or(0) * 512;
        if size == 0 {
            continue;
        }
        let mut partitions = Vec::new();
        for child in list_names(&dir) {
            let pdir = dir.join(&child);
            let Some(number) = read_num(&pdir.join("partition")) else {
                continue;
            };
            partitions.push(SysPart {
                devno: read_trim(&pdir.join("dev")).unwrap_or_default(),
                number: number as u32,
                start: read_num(&pdir.join("start")).unwrap_or(0) * 512,
                size: read_num(&pdir.join("size")).unwrap_or(0) * 512,
                holders: list_names(&pdir.join("holders")),
                name: child,
            });
        }
        partitions.sort_by_key(|p| p.number);
        disks.push(SysDisk {
            devno: read_trim(&dir.join("dev")).unwrap_or_default(),
            size,
            logical: read_num(&dir.join("queue/logical_block_size")).unwrap_or(512),
            physical: read_num(&dir.join("queue/physical_block_size")).unwrap_or(512),
            removable: read_num(&dir.join("removable")) == Some(1),
            holders: list_names(&dir.join("holders")),
            partitions,
            name,
        });
    }
    disks
}

/// Mount points by `MAJ:MIN`, only where the filesystem's root is mounted (a
/// bind mount of a subdirectory would give wrong paths for files).
pub fn parse_mountinfo(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        if f.len() < 5 || f[3] != "/" {
            continue;
        }
        map.entry(f[2].to_string())
            .or_default()
            .push(super::fstab_files::unescape_octal(f[4]));
    }
    map
}

/// Filesystem type by `MAJ:MIN`, from the field after mountinfo's ` - `.
pub fn mountinfo_fstypes(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let devno = left.split(' ').nth(2)?;
            let fstype = right.split(' ').next()?;
            Some((devno.to_string(), fstype.to_string()))
        })
        .collect()
}

/// udev's /dev/disk/by-* links, as kernel name → (tag, value).
fn udev_tags() -> BTreeMap<String, Vec<(String, String)>> {
    let mut map: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (dir, tag) in [
        ("by-uuid", "UUID"),
        ("by-label", "LABEL"),
        ("by-partuuid", "PARTUUID"),
        ("by-partlabel", "PARTLABEL"),
    ] {
        let base = PathBuf::from("/dev/disk").join(dir);
        for name in list_names(&base) {
            if let Ok(real) = fs::canonicalize(base.join(&name))
                && let Some(k) = real.file_name()
            {
                map.entry(k.to_string_lossy().into_owned())
                    .or_default()
                    .push((tag.to_string(), name));
            }
        }
    }
    map
}

fn device_map() -> Option<Vec<(usize, String)>> {
    ["/boot/grub/device.map", "/boot/grub2/device.map"]
        .iter()
        .find_map(|p| fs::read_to_string(p).ok())
        .map(|t| parse_device_map(&t))
}

pub fn probe_live() -> Storage {
    probe_live_at(Path::new("/sys/block"))
}

fn probe_live_at(sys_block: &Path) -> Storage {
    let mut disks = sys_disks(sys_block);
    disks.sort_by_key(|d| kernel_order_key(&d.name));
    let mut order = "kernel-order".to_string();
    if let Some(map) = device_map() {
        // Disks named in device.map take their hdN; the rest follow in kernel order.
        let index_of = |d: &SysDisk| {
            map.iter().find_map(|(n, path)| {
                let real = fs::canonicalize(path).ok()?;
                (real == Path::new("/dev").join(&d.name)).then_some(*n)
            })
        };
        disks.sort_by_key(|d| (index_of(d).unwrap_or(usize::MAX), kernel_order_key(&d.name)));
        order = "device.map".to_string();
    }
    let mountinfo = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mounts = parse_mountinfo(&mountinfo);
    let fstypes = mountinfo_fstypes(&mountinfo);
    let tags = udev_tags();
    let mut facts = Storage::new(Source::Live { grub_order: order });
    for (index, sd) in disks.iter().enumerate() {
        let dev_path = format!("/dev/{}", sd.name);
        let (mut disk, problems) = match super::handles::disk(Path::new(&dev_path)) {
            Ok(bytes) => describe_disk(&bytes, index, &dev_path, Some(sd.logical)),
            Err(e) => from_sysfs(sd, index, &dev_path, &e.to_string(), &tags),
        };
        disk.kernel_name = Some(sd.name.clone());
        disk.devno = Some(sd.devno.clone());
        disk.size_bytes = sd.size;
        disk.logical_sector_size = sd.logical;
        disk.physical_sector_size = sd.physical;
        disk.removable = sd.removable;
        disk.holders = sd.holders.clone();
        disk.mountpoints = mounts.get(&sd.devno).cloned().unwrap_or_default();
        // A mounted whole-disk filesystem the probe could not read is still a
        // volume whose files are reachable through its mount point.
        if disk.filesystem.is_none()
            && disk.partitions.is_empty()
            && !disk.mountpoints.is_empty()
            && let Some(t) = fstypes.get(&sd.devno)
        {
            disk.filesystem = Some(mounted_fs(t));
        }
        // The kernel and GRUB number partitions the same way; join on the number.
        for p in &mut disk.partitions {
            if let Some(k) = sd.partitions.iter().find(|k| k.number == p.number) {
                p.kernel_name = Some(format!("/dev/{}", k.name));
                p.devno = Some(k.devno.clone());
                p.mountpoints = mounts.get(&k.devno).cloned().unwrap_or_default();
                p.holders = k.holders.clone();
            }
        }
        facts.disks.push(disk);
        facts.problems.extend(problems);
    }
    let shared = super::duplicate_ids(&facts);
    facts.problems.extend(shared);
    facts
}

/// When /dev/DISK cannot be read: partitions from sysfs, identity from udev links
/// or from the partition node if that one can be read.
fn from_sysfs(
    sd: &SysDisk,
    index: usize,
    dev_path: &str,
    why: &str,
    tags: &BTreeMap<String, Vec<(String, String)>>,
) -> (Disk, Vec<DiskProblem>) {
    let grub_disk = super::grub_names::disk_name(index);
    let problems = vec![DiskProblem {
        kind: ProblemKind::TableUnreadable,
        device: grub_disk.clone(),
        message: format!(
            "{why}; partitions come from sysfs and the table itself (its type, GPT headers, GRUB partmap) could not be checked"
        ),
    }];
    let partitions = sd
        .partitions
        .iter()
        .map(|k| {
            let node = format!("/dev/{}", k.name);
            let fs = super::handles::disk(Path::new(&node))
                .ok()
                .and_then(|b| blkid::probe_range(&b, 0, b.size()).ok().flatten())
                .or_else(|| fs_from_tags(tags.get(&k.name)));
            let tag = |t: &str| {
                tags.get(&k.name)
                    .and_then(|v| v.iter().find(|(n, _)| n == t).map(|(_, v)| v.clone()))
            };
            Partition {
                number: k.number,
                // Without the table the partmap is unknown; GRUB accepts `hdN,M`.
                grub_name: format!("{grub_disk},{}", k.number),
                kernel_name: Some(node),
                devno: Some(k.devno.clone()),
                start_byte: k.start,
                size_bytes: k.size,
                type_name: "unknown (table not readable)".into(),
                type_id: String::new(),
                partuuid: tag("PARTUUID"),
                partlabel: tag("PARTLABEL"),
                logical: k.number > 4 && sd.partitions.len() > 4,
                bootable: false,
                filesystem: fs,
                mountpoints: Vec::new(),
                holders: k.holders.clone(),
            }
        })
        .collect();
    let disk = Disk {
        grub_name: grub_disk,
        path: dev_path.to_string(),
        kernel_name: None,
        devno: None,
        size_bytes: sd.size,
        logical_sector_size: sd.logical,
        physical_sector_size: sd.physical,
        removable: sd.removable,
        holders: Vec::new(),
        table: None,
        table_error: Some(format!("{why} (table not read)")),
        partitions,
        filesystem: None,
        mountpoints: Vec::new(),
    };
    (disk, problems)
}

fn mounted_fs(fstype: &str) -> Filesystem {
    Filesystem {
        fstype: fstype.to_string(),
        usage: Some("filesystem".into()),
        uuid: None,
        uuid_sub: None,
        label: None,
        version: None,
        block_size: None,
        size_bytes: None,
        ext_features: None,
        offline: blkid::offline_access(fstype),
        blkid: Default::default(),
    }
}

fn fs_from_tags(tags: Option<&Vec<(String, String)>>) -> Option<Filesystem> {
    let tags = tags?;
    let get = |t: &str| tags.iter().find(|(n, _)| n == t).map(|(_, v)| v.clone());
    let uuid = get("UUID");
    let label = get("LABEL");
    if uuid.is_none() && label.is_none() {
        return None;
    }
    Some(Filesystem {
        fstype: "unknown".into(),
        usage: None,
        uuid,
        uuid_sub: None,
        label,
        version: None,
        block_size: None,
        size_bytes: None,
        ext_features: None,
        offline: blkid::offline_access("unknown"),
        blkid: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_keeps_root_mounts_and_unescapes_spaces() {
        let text = "36 1 8:2 / / rw - ext4 /dev/sda2 rw\n\
                    37 36 8:1 / /boot/efi rw - vfat /dev/sda1 rw\n\
                    38 36 8:2 /home/x /mnt/bind rw - ext4 /dev/sda2 rw\n\
                    39 36 8:3 / /mnt/my\\040disk rw - ext4 /dev/sda3 rw\n";
        let m = parse_mountinfo(text);
        assert_eq!(m["8:2"], vec!["/"]);
        assert_eq!(m["8:1"], vec!["/boot/efi"]);
        assert_eq!(m["8:3"], vec!["/mnt/my disk"]);
    }
}
