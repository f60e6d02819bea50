//! The subvolumes of a btrfs root filesystem, read from its bytes (issue 17):
//! what `rootflags=subvol=`/`subvolid=` can name, and the default subvolume a
//! mount without them gets. Read by BV4209; never guessed: a filesystem that
//! could not be listed says why, and nothing is judged from it.

use serde::{Deserialize, Serialize};

/// The top-level subvolume (`BTRFS_FS_TREE_OBJECTID`): `subvolid=5`, `subvol=/`.
pub const TOP_LEVEL_ID: u64 = 5;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BtrfsSubvolumes {
    /// The root tree was read to its end.
    Read {
        /// Every subvolume and snapshot below the top level, with its path from
        /// the top level as `subvol=` names it (no leading slash).
        subvolumes: Vec<SubvolumeFact>,
        /// What a mount without `subvol=`/`subvolid=` mounts (5: the top level).
        default_id: u64,
        /// The superblock's generation (the last committed transaction): on a
        /// mounted filesystem, changes since then are not on the disk yet.
        generation: u64,
        /// Read from the disk of a running system, where the filesystem may be
        /// mounted and ahead of its bytes by up to one commit interval.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        live: bool,
    },
    /// Could not be listed (several devices, damage, a bound reached, no access).
    Unreadable { why: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubvolumeFact {
    pub id: u64,
    /// The subvolume it sits in (5: the top level).
    pub parent: u64,
    pub path: String,
}

/// What a mount option set names, resolved against the listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Named<'a> {
    /// The top level (`subvol=/`, `subvolid=5`, or the default when it is 5).
    TopLevel,
    Subvolume(&'a SubvolumeFact),
    /// Nothing by that path (or id) on the filesystem.
    Missing,
}

impl BtrfsSubvolumes {
    /// The subvolume a `subvol=` path names: leading, trailing and doubled
    /// slashes and `.` ignored as the kernel's path walk ignores them. `None`
    /// when not read, or when the path holds `..` (the walk would need the
    /// directories, which are not read).
    pub fn by_path(&self, path: &str) -> Option<Named<'_>> {
        let BtrfsSubvolumes::Read { subvolumes, .. } = self else {
            return None;
        };
        let parts: Vec<&str> = path
            .split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .collect();
        if parts.contains(&"..") {
            return None;
        }
        if parts.is_empty() {
            return Some(Named::TopLevel);
        }
        let want = parts.join("/");
        Some(
            subvolumes
                .iter()
                .find(|s| s.path == want)
                .map_or(Named::Missing, Named::Subvolume),
        )
    }

    /// The subvolume `subvolid=` names.
    pub fn by_id(&self, id: u64) -> Option<Named<'_>> {
        let BtrfsSubvolumes::Read { subvolumes, .. } = self else {
            return None;
        };
        if id == TOP_LEVEL_ID {
            return Some(Named::TopLevel);
        }
        Some(
            subvolumes
                .iter()
                .find(|s| s.id == id)
                .map_or(Named::Missing, Named::Subvolume),
        )
    }
}
