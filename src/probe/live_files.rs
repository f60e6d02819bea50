//! The live system as a file source: a device expression is resolved to a mounted
//! filesystem through `/dev/disk/by-uuid`, `/dev/disk/by-label` and
//! `/proc/self/mountinfo`; the device grub.cfg was read from is the mount holding
//! it. GRUB device names (`hd0,gpt2`) need the disk layer and stay unknown here.
//! Read-only, bounded reads; never mounts anything.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::boot_dir::{list_path, read_bounded, stat_path};
use crate::menu::DeviceExpr;
use crate::menu::files::{FileError, FileSource, FileStat};

#[derive(Clone, Debug)]
pub struct LiveFiles {
    /// Mount point of the filesystem holding grub.cfg.
    prefix_mount: PathBuf,
    mounts: Vec<Mount>,
}

#[derive(Clone, Debug)]
struct Mount {
    dev: (u64, u64),
    mount_point: PathBuf,
}

/// `\040`-style escapes in mountinfo paths.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 3 < bytes.len()
            && bytes[i + 1..i + 4]
                .iter()
                .all(|b| (b'0'..=b'7').contains(b))
        {
            let v = (bytes[i + 1] - b'0') * 64 + (bytes[i + 2] - b'0') * 8 + (bytes[i + 3] - b'0');
            out.push(v);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whole-filesystem mounts (root `/`) from mountinfo text.
fn parse_mountinfo(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            let (major, minor) = fields.get(2)?.split_once(':')?;
            if *fields.get(3)? != "/" {
                return None;
            }
            Some(Mount {
                dev: (major.parse().ok()?, minor.parse().ok()?),
                mount_point: PathBuf::from(unescape(fields.get(4)?)),
            })
        })
        .collect()
}

impl LiveFiles {
    /// `config` is the grub.cfg being evaluated; the mount holding it stands for
    /// the device GRUB found its prefix on.
    pub fn new(config: &Path) -> Self {
        let mounts = std::fs::read_to_string("/proc/self/mountinfo")
            .map(|t| parse_mountinfo(&t))
            .unwrap_or_default();
        let prefix_mount = mount_point_of(config).unwrap_or_else(|| PathBuf::from("/"));
        LiveFiles {
            prefix_mount,
            mounts,
        }
    }

    pub fn prefix_mount(&self) -> &Path {
        &self.prefix_mount
    }

    fn mount_for_node(&self, node: &Path) -> Result<PathBuf, FileError> {
        let meta = std::fs::metadata(node).map_err(|_| {
            FileError::Unknown(format!("{} does not exist on this system", node.display()))
        })?;
        let rdev = meta.rdev();
        let dev = (u64::from(libc_major(rdev)), u64::from(libc_minor(rdev)));
        self.mounts
            .iter()
            .find(|m| m.dev == dev)
            .map(|m| m.mount_point.clone())
            .ok_or_else(|| FileError::Unknown(format!("{} is not mounted", node.display())))
    }

    fn base(&self, at: &DeviceExpr) -> Result<PathBuf, FileError> {
        match at {
            DeviceExpr::PrefixDevice => Ok(self.prefix_mount.clone()),
            DeviceExpr::FsUuid { uuid, .. } => {
                self.mount_for_node(&Path::new("/dev/disk/by-uuid").join(uuid.to_lowercase()))
            }
            DeviceExpr::Label { label, .. } => {
                self.mount_for_node(&Path::new("/dev/disk/by-label").join(label))
            }
            other => Err(FileError::Unknown(format!(
                "device `{}` needs the disk layer to resolve",
                other.display()
            ))),
        }
    }

    fn host_path(&self, at: &DeviceExpr, path: &str) -> Result<PathBuf, FileError> {
        let mut host = self.base(at)?;
        host.extend(
            path.split('/')
                .filter(|p| !p.is_empty() && *p != "." && *p != ".."),
        );
        Ok(host)
    }
}

// Linux's encoding of dev_t (glibc `gnu_dev_major`/`gnu_dev_minor`).
fn libc_major(dev: u64) -> u32 {
    (((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0xfff)) as u32
}
fn libc_minor(dev: u64) -> u32 {
    (((dev >> 12) & 0xffff_ff00) | (dev & 0xff)) as u32
}

/// The mount point of the filesystem holding `path`: climb while st_dev stays.
pub fn mount_point_of(path: &Path) -> Option<PathBuf> {
    let path = std::fs::canonicalize(path).ok()?;
    let dev = std::fs::metadata(&path).ok()?.dev();
    let mut current = path.as_path();
    while let Some(parent) = current.parent() {
        if std::fs::metadata(parent).ok()?.dev() != dev {
            break;
        }
        current = parent;
    }
    Some(current.to_path_buf())
}

impl FileSource for LiveFiles {
    fn read(&self, at: &DeviceExpr, path: &str) -> Result<Vec<u8>, FileError> {
        read_bounded(&self.host_path(at, path)?)
    }
    fn stat(&self, at: &DeviceExpr, path: &str) -> Result<FileStat, FileError> {
        stat_path(&self.host_path(at, path)?)
    }
    fn list_dir(&self, at: &DeviceExpr, path: &str) -> Result<Vec<String>, FileError> {
        list_path(&self.host_path(at, path)?)
    }
    fn describe(&self) -> String {
        format!(
            "the live system (grub.cfg's filesystem is mounted at {})",
            self.prefix_mount.display()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_keeps_whole_filesystems_and_unescapes() {
        let text = "22 1 8:2 / / rw - ext4 /dev/sda2 rw\n\
                    30 22 8:1 / /boot/my\\040efi rw - vfat /dev/sda1 rw\n\
                    31 22 8:3 /sub /bind rw - ext4 /dev/sda3 rw\n";
        let mounts = parse_mountinfo(text);
        assert_eq!(mounts.len(), 2);
        assert_eq!(mounts[1].mount_point, PathBuf::from("/boot/my efi"));
        assert_eq!(mounts[1].dev, (8, 1));
    }
}

#[cfg(test)]
mod live_tests {
    use super::*;

    #[test]
    fn prefix_device_reads_from_the_mount_holding_the_config() {
        let dir = std::env::temp_dir().join(format!("bootvet-live-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("grub")).unwrap();
        let cfg = dir.join("grub/grub.cfg");
        std::fs::write(&cfg, b"menuentry x { true; }\n").unwrap();
        std::fs::write(dir.join("grub/grubenv"), b"# GRUB Environment Block\n").unwrap();
        let live = LiveFiles::new(&cfg);
        let mount = live.prefix_mount().to_path_buf();
        let canon = std::fs::canonicalize(&dir).unwrap();
        let rel = canon.strip_prefix(&mount).unwrap();
        let grub_path = format!("/{}/grub/grubenv", rel.display());
        let bytes = live.read(&DeviceExpr::PrefixDevice, &grub_path).unwrap();
        assert!(bytes.starts_with(b"# GRUB"));
        assert_eq!(
            live.stat(&DeviceExpr::PrefixDevice, "/definitely/not/here"),
            Err(FileError::NotFound)
        );
        // GRUB device names need the disk layer: undecided, not missing.
        let hd = DeviceExpr::Grub {
            name: "hd0,gpt2".into(),
        };
        assert!(matches!(live.read(&hd, "/x"), Err(FileError::Unknown(_))));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
