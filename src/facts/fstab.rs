//! What `/etc/fstab` and `/etc/crypttab` on a root filesystem ask the booted
//! system to wait for: each line as written, and what its device names on the
//! disks. Plain data: which lines the boot waits for, and what the console then
//! shows, is the checks' business (`check/rules/mounts.rs`).

use serde::{Deserialize, Serialize};

use super::volumes::VolumeRef;

/// Network filesystem types: systemd orders them after the network
/// (`remote-fs.target`), and the probe does not look them up on the disks.
pub const NETWORK_FS: &[&str] = &[
    "nfs",
    "nfs4",
    "cifs",
    "smb3",
    "smbfs",
    "sshfs",
    "fuse.sshfs",
    "ceph",
    "glusterfs",
    "9p",
    "davfs",
    "ncpfs",
    "lustre",
    "afs",
    "gfs",
    "gfs2",
    "ocfs2",
];

/// Both tables of one root filesystem, and the two other files that decide
/// what the console shows when a line's device never comes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TabsFact {
    pub fstab: TabFile,
    pub crypttab: TabFile,
    /// The filesystem types of fstab lines with a pass number whose checker
    /// systemd's fstab-generator finds on this root (`fsck` and `fsck.TYPE`
    /// in /usr/sbin, /usr/bin, /sbin or /bin: systemd's `fsck_exists_for_fstype`);
    /// only those lines get a `systemd-fsck@.service`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fsck: Vec<String>,
    /// root's password as util-linux's sulogin (systemd's emergency shell)
    /// reads it; never the hash itself.
    #[serde(default)]
    pub root_password: RootPassword,
}

/// root's password field, from /etc/shadow (or /etc/passwd's own field when it
/// is not `x`), as sulogin's `getrootpwent` and `locked_account_password` see it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RootPassword {
    /// A password hash: sulogin asks for it.
    Set,
    /// An empty field: sulogin asks for Enter.
    Empty,
    /// Starts with `*` or `!` (`marker`: the first character): sulogin refuses
    /// the console (Ubuntu's and debootstrap's default root).
    Locked { marker: String },
    /// Not told: no readable /etc/passwd or /etc/shadow, or no root line.
    #[default]
    Unknown,
}

/// One table file: not there (nothing to wait for), unreadable, or its lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TabFile {
    Absent,
    /// Could not be read (a filesystem bootvet does not read, an IO error):
    /// nothing is said about its lines.
    Unknown {
        why: String,
    },
    Read {
        lines: Vec<TabLine>,
    },
}

impl TabFile {
    pub fn lines(&self) -> &[TabLine] {
        match self {
            TabFile::Read { lines } => lines,
            _ => &[],
        }
    }
}

/// One line of fstab (`spec file vfstype options`) or crypttab (`name device
/// keyfile options`), octal escapes (`\040`) decoded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TabLine {
    /// 1-based line number in the file.
    pub line: usize,
    /// The device as written: `UUID=…`, `/dev/sda1`, `tmpfs`, `server:/export`.
    pub source: String,
    /// fstab: the mount point (`none`/`swap` for swap); crypttab: the mapped name.
    pub target: String,
    /// fstab: the filesystem type; crypttab: the key file (`none`, `/dev/urandom`).
    pub kind: String,
    pub options: Vec<String>,
    pub device: TabDevice,
    /// fstab's sixth field (fsck pass; 0 when absent); 0 for crypttab.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pass: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl TabLine {
    /// The option given as `name` or `name=value` (the last one wins, as in
    /// systemd's `fstab_filter_options`).
    pub fn option(&self, name: &str) -> Option<&str> {
        self.options.iter().rev().find_map(|o| {
            if o == name {
                Some("")
            } else {
                o.strip_prefix(name).and_then(|r| r.strip_prefix('='))
            }
        })
    }

    pub fn has(&self, name: &str) -> bool {
        self.option(name).is_some()
    }
}

/// What the source names on the disks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "found", rename_all = "snake_case")]
pub enum TabDevice {
    /// A volume (or several: a multi-device filesystem) carries that name.
    Found { volumes: Vec<VolumeRef> },
    /// No volume on the disks carries the name, and no container bootvet
    /// cannot open could hold it.
    Missing,
    /// Not a block device: `tmpfs`, `proc`, a network share, a bind mount.
    NotADevice { why: String },
    /// Not decided here: a kernel name (`/dev/sda1`, given at boot), a
    /// device-mapper name made at boot, a name that may be inside an unopened
    /// LUKS/LVM/md container.
    Unknown { why: String },
}
