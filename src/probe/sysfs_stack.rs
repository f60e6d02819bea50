//! The live root filesystem's block stack, walked down through sysfs (issue 17):
//! from the device mounted at `/` (its `MAJ:MIN` in /proc/self/mountinfo, matched
//! with `/sys/class/block/NAME/dev`), through each device's `slaves/` to the
//! partitions and disks. Each device-mapper device is named by its `dm/uuid`
//! prefix (the one its userspace gave it: `CRYPT-LUKS2-…`, `LVM-…`), each md
//! device by `md/level`. Read-only; bounded in depth, fan-out and device count,
//! and each device is visited once, so a loop of slaves cannot hang it.
//!
//! Only names are taken from `slaves/` (its entries are symlinks on a real
//! sysfs), so a copy of the files read here (`fixtures/live-sysfs/`) walks the
//! same way as the real thing.

use std::collections::{BTreeSet, VecDeque};
use std::fs;
use std::path::Path;

use crate::facts::stack::{RootStack, StackDevice, StackKind};

/// Where the kernel lists every block device.
pub const SYS_CLASS_BLOCK: &str = "/sys/class/block";

/// Deeper than any stack seen in the field (LUKS on LVM on md on partitions is 4).
pub const MAX_DEPTH: u32 = 16;
/// Slaves read per device (an md RAID of many disks is the widest case).
pub const MAX_SLAVES: usize = 64;
/// Devices walked in all.
pub const MAX_DEVICES: usize = 256;

/// The stack under the running system's `/`, or None when `/` is on no block
/// device (tmpfs, overlay, a btrfs whose anonymous `0:N` sysfs does not list,
/// NFS).
pub fn live_root_stack() -> Option<RootStack> {
    let mountinfo = fs::read_to_string("/proc/self/mountinfo").ok()?;
    let (devno, fstype) = root_mount(&mountinfo)?;
    let mut stack = walk(Path::new(SYS_CLASS_BLOCK), &devno)?;
    stack.fstype = fstype;
    // The filesystem's identity, when its device can be opened (root can):
    // root=UUID= is matched against it.
    if let Ok(bytes) = super::handles::disk(&Path::new("/dev").join(&stack.top))
        && let Ok(Some(fs)) = super::blkid::probe_range(&bytes, 0, bytes.size())
    {
        stack.fs_uuid = fs.uuid;
        stack.fs_label = fs.label;
    }
    Some(stack)
}

/// `/`'s `MAJ:MIN` and filesystem type from mountinfo: the last mount on `/`
/// (a later mount hides an earlier one).
pub fn root_mount(mountinfo: &str) -> Option<(String, Option<String>)> {
    mountinfo.lines().rev().find_map(|line| {
        let (left, right) = line.split_once(" - ")?;
        let f: Vec<&str> = left.split(' ').collect();
        (f.len() >= 5 && f[4] == "/").then(|| {
            let fstype = right.split(' ').next().map(str::to_string);
            (f[2].to_string(), fstype)
        })
    })
}

fn read_trim(p: &Path) -> Option<String> {
    // sysfs attributes are one short line; a copied tree might hold anything.
    let text = fs::read_to_string(p).ok()?;
    let line = text.lines().next().unwrap_or("").trim();
    (!line.is_empty() && line.len() <= 4096).then(|| line.to_string())
}

/// The kernel name whose `dev` is `devno` under `class_block`.
fn name_of(class_block: &Path, devno: &str) -> Option<String> {
    super::live::list_names(class_block)
        .into_iter()
        .find(|n| read_trim(&class_block.join(n).join("dev")).as_deref() == Some(devno))
}

/// A sysfs name safe to join to a path: one component, no `.`/`..`.
fn plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains('/')
}

/// Walks down from the device whose `MAJ:MIN` is `devno`. None when no device
/// under `class_block` has it.
pub fn walk(class_block: &Path, devno: &str) -> Option<RootStack> {
    let top = name_of(class_block, devno)?;
    let mut stack = RootStack {
        top: top.clone(),
        devno: devno.to_string(),
        ..RootStack::default()
    };
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut queue: VecDeque<(String, u32)> = VecDeque::from([(top, 0)]);
    while let Some((name, depth)) = queue.pop_front() {
        if !seen.insert(name.clone()) {
            // Reached twice: a device shared by two branches (fine) or a loop.
            continue;
        }
        if stack.devices.len() >= MAX_DEVICES {
            stack
                .faults
                .push(format!("more than {MAX_DEVICES} devices: the walk stopped"));
            break;
        }
        let dir = class_block.join(&name);
        if !dir.is_dir() {
            stack.faults.push(format!(
                "{name} is listed as a slave but has no {} entry",
                class_block.display()
            ));
            continue;
        }
        let device = read_device(&dir, &name, depth, &mut stack.faults);
        if depth >= MAX_DEPTH && !device.slaves.is_empty() {
            stack.faults.push(format!(
                "{name} is {depth} levels down and still has slaves: the walk stopped there"
            ));
        } else {
            for s in &device.slaves {
                queue.push_back((s.clone(), depth + 1));
            }
        }
        stack.devices.push(device);
    }
    Some(stack)
}

fn read_device(dir: &Path, name: &str, depth: u32, faults: &mut Vec<String>) -> StackDevice {
    let mut slaves = super::live::list_names(&dir.join("slaves"));
    slaves.retain(|n| plain_name(n));
    if slaves.len() > MAX_SLAVES {
        faults.push(format!(
            "{name} has {} slaves: only the first {MAX_SLAVES} were walked",
            slaves.len()
        ));
        slaves.truncate(MAX_SLAVES);
    }
    let dm_name = read_trim(&dir.join("dm/name"));
    let dm_uuid = read_trim(&dir.join("dm/uuid"));
    let md_level = read_trim(&dir.join("md/level"));
    let (kind, detail) = if dir.join("dm").is_dir() {
        match &dm_uuid {
            Some(u) => StackKind::of_dm_uuid(u),
            None => (StackKind::DmUnknown, None),
        }
    } else if dir.join("md").is_dir() {
        (StackKind::Md, md_level.clone())
    } else if dir.join("partition").is_file() {
        (StackKind::Partition, None)
    } else {
        (StackKind::Disk, None)
    };
    StackDevice {
        name: name.to_string(),
        depth,
        kind,
        detail,
        dm_name,
        dm_uuid,
        md_level,
        slaves,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    #[test]
    fn root_mount_takes_the_last_mount_on_slash() {
        let text = "1 1 0:2 / / rw - rootfs rootfs rw\n\
                    20 1 253:1 / / rw,relatime - ext4 /dev/mapper/vg-root rw\n\
                    21 20 0:5 / /dev rw - devtmpfs udev rw\n";
        assert_eq!(
            root_mount(text),
            Some(("253:1".to_string(), Some("ext4".to_string())))
        );
        assert_eq!(root_mount("21 20 0:5 / /dev rw - devtmpfs udev rw\n"), None);
    }

    #[test]
    fn a_loop_of_slaves_ends() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        put(root, "dm-0/dev", "253:0\n");
        put(root, "dm-0/dm/uuid", "LVM-x\n");
        put(root, "dm-1/dev", "253:1\n");
        put(root, "dm-1/dm/uuid", "CRYPT-LUKS2-abc-c\n");
        put(root, "dm-0/slaves/dm-1", "");
        put(root, "dm-1/slaves/dm-0", "");
        let s = walk(root, "253:0").unwrap();
        let names: Vec<&str> = s.devices.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["dm-0", "dm-1"]);
        assert_eq!(s.devices[1].kind, StackKind::DmCrypt);
    }

    #[test]
    fn a_deep_chain_stops_at_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for i in 0..40 {
            put(root, &format!("dm-{i}/dev"), &format!("253:{i}\n"));
            put(root, &format!("dm-{i}/dm/name"), &format!("d{i}\n"));
            put(root, &format!("dm-{i}/slaves/dm-{}", i + 1), "");
        }
        let s = walk(root, "253:0").unwrap();
        assert_eq!(s.devices.len() as u32, MAX_DEPTH + 1);
        assert!(s.faults.iter().any(|f| f.contains("walk stopped")));
        assert!(s.devices.iter().all(|d| d.kind == StackKind::DmUnknown));
    }

    #[test]
    fn a_missing_slave_is_a_fault_and_no_device_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        put(root, "md127/dev", "9:127\n");
        put(root, "md127/md/level", "raid5\n");
        put(root, "md127/slaves/vdb1", "");
        let s = walk(root, "9:127").unwrap();
        assert_eq!(s.devices[0].kind, StackKind::Md);
        assert_eq!(s.devices[0].detail.as_deref(), Some("raid5"));
        assert_eq!(s.faults.len(), 1);
        assert!(walk(root, "8:1").is_none());
    }
}
