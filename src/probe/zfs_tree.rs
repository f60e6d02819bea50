//! `zfs.ko*` in the running system's `lib/modules/RELEASE`, for a kernel an
//! entry boots with a ZFS root. bootvet has no ZFS reader, so this is read only
//! on the live system and only when its own root is ZFS (mountinfo): then the
//! tree DKMS writes to (`updates/dkms/`) is the one the next initramfs is built
//! from. Names only: no module is opened. Bounded: ≤ 8 levels, ≤ 50 000 entries.

use std::path::Path;

use crate::facts::kernel::ZfsModuleTree;

const MAX_DEPTH: usize = 8;
const MAX_ENTRIES: usize = 50_000;

/// The running root filesystem, when it is ZFS: its dataset (mountinfo's source
/// field of the `/` mount).
pub fn live_zfs_root(mountinfo: &str) -> Option<String> {
    mountinfo.lines().find_map(|line| {
        let (left, right) = line.split_once(" - ")?;
        let mount_point = left.split(' ').nth(4)?;
        let mut fields = right.split(' ');
        let fstype = fields.next()?;
        let source = fields.next()?;
        (mount_point == "/" && fstype == "zfs").then(|| source.to_string())
    })
}

/// The `zfs.ko*` files under `modules_dir` (`/lib/modules/RELEASE`), as paths
/// relative to `system_root` (`/` live; a directory in tests).
pub fn zfs_modules(system_root: &Path, release: &str, label: String) -> ZfsModuleTree {
    let rel = format!("lib/modules/{release}");
    let dir = system_root.join(&rel);
    let mut found = Vec::new();
    let dir_found = dir.is_dir();
    if dir_found {
        let mut budget = MAX_ENTRIES;
        walk(&dir, &format!("/{rel}"), 0, &mut budget, &mut found);
    }
    found.sort();
    ZfsModuleTree {
        root: label,
        dir_found,
        found,
    }
}

fn walk(dir: &Path, shown: &str, depth: usize, budget: &mut usize, found: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        let name = entry.file_name().to_string_lossy().into_owned();
        // symlink_metadata: a link out of the tree (`build`, `source`) is not followed.
        let Ok(meta) = entry.path().symlink_metadata() else {
            continue;
        };
        let path = format!("{shown}/{name}");
        if meta.is_dir() && depth < MAX_DEPTH {
            walk(&entry.path(), &path, depth + 1, budget, found);
        } else if (name == "zfs.ko" || name.starts_with("zfs.ko.")) && !meta.is_dir() {
            found.push(path);
        }
    }
}

/// The tree for `release` when this is the live system and its root is ZFS.
pub fn gather(live: bool, release: &str) -> Option<ZfsModuleTree> {
    if !live {
        return None;
    }
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    let dataset = live_zfs_root(&mountinfo)?;
    Some(zfs_modules(
        Path::new("/"),
        release,
        format!("the running root {dataset} (zfs)"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_running_root_is_zfs_only_when_mountinfo_says_so() {
        let zfs = "25 1 0:22 / / rw,relatime shared:1 - zfs rpool/ROOT/debian rw,xattr\n26 25 0:5 / /dev rw - devtmpfs udev rw\n";
        assert_eq!(live_zfs_root(zfs).as_deref(), Some("rpool/ROOT/debian"));
        let ext4 = "25 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw\n40 25 0:30 / /tank rw - zfs tank rw\n";
        assert_eq!(live_zfs_root(ext4), None);
    }

    /// A real directory tree in DKMS's layout, with and without the module.
    #[test]
    fn dkms_and_kmod_layouts_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let rel = "6.1.0-28-amd64";
        let dkms = dir.path().join(format!("lib/modules/{rel}/updates/dkms"));
        std::fs::create_dir_all(&dkms).unwrap();
        std::fs::write(dkms.join("zfs.ko.xz"), b"\xfd7zXZ\0").unwrap();
        std::fs::write(dkms.join("spl.ko.xz"), b"\xfd7zXZ\0").unwrap();
        std::fs::create_dir_all(dir.path().join(format!("lib/modules/{rel}/kernel/fs/ext4")))
            .unwrap();
        let t = zfs_modules(dir.path(), rel, "t".into());
        assert!(t.dir_found);
        assert_eq!(
            t.found,
            [format!("/lib/modules/{rel}/updates/dkms/zfs.ko.xz")]
        );
        let other = zfs_modules(dir.path(), "6.1.0-29-amd64", "t".into());
        assert!(!other.dir_found && other.found.is_empty());
        std::fs::remove_file(dkms.join("zfs.ko.xz")).unwrap();
        assert!(zfs_modules(dir.path(), rel, "t".into()).found.is_empty());
    }
}
