//! Lists the subvolumes of each btrfs root filesystem an entry mounts
//! (`inspect::btrfs`, read only, bounded by that module), so BV4209 can tell
//! whether `rootflags=subvol=`/`subvolid=` names one that is there. The bytes
//! come from the image, or from the live system's disk (root only); a
//! filesystem that cannot be listed records why. Never judges.

use std::path::Path;

use crate::facts::RootFact;
use crate::facts::btrfs::{BtrfsSubvolumes, SubvolumeFact};
use crate::facts::storage::{Source, Storage};
use crate::facts::volumes::{Resolution, VolumeRef};
use crate::inspect::btrfs::{self, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE};

/// Why files on a btrfs root are not read for its init or its fstab: which
/// subvolume is `/` depends on each entry's `rootflags=`, and a mount point
/// (the live system's) shows one subvolume, not necessarily that one; reading
/// it would judge the wrong tree (issue 17). `None` for any other filesystem.
pub fn files_not_read(root: &RootFact) -> Option<String> {
    let fs = root.filesystems.first()?.as_ref()?;
    (fs.fstype == "btrfs").then(|| {
        "files on a btrfs root are not read: / is the subvolume each entry's rootflags=subvol= names (only the subvolumes are listed, for BV4209)".to_string()
    })
}

/// Fills `btrfs` of every root that resolves to one btrfs volume.
pub fn gather_subvolumes(storage: &Storage, roots: &mut [RootFact]) {
    for root in roots.iter_mut() {
        let Resolution::One(volume) = &root.resolution else {
            continue;
        };
        let is_btrfs = root
            .filesystems
            .first()
            .and_then(Option::as_ref)
            .is_some_and(|fs| fs.fstype == "btrfs");
        if is_btrfs {
            root.btrfs = Some(list(storage, volume));
        }
    }
}

/// The subvolumes of one btrfs volume, or why they could not be listed.
pub fn list(storage: &Storage, volume: &VolumeRef) -> BtrfsSubvolumes {
    let unreadable = |why: String| BtrfsSubvolumes::Unreadable { why };
    let live = match &storage.source {
        Source::Images => false,
        Source::Live { .. } => true,
        Source::Replay { file, .. } => {
            return unreadable(format!("facts replayed from {file}: not read"));
        }
    };
    let Some(disk) = volume.disk.and_then(|d| storage.disks.get(d)) else {
        return unreadable(format!("({}) is on no disk bootvet read", volume.name));
    };
    let partition = volume.partition.and_then(|p| disk.partitions.get(p));
    let area = disk.area(partition);
    let bytes = match super::handles::disk(Path::new(&disk.path)) {
        Ok(b) => b,
        Err(e) => return unreadable(format!("{}: {e}", disk.path)),
    };
    let (start, size) = (area.start_byte, area.size_bytes);
    // Reads stay inside the volume: an offset the filesystem names past its
    // end is refused, not read from the next partition.
    let mut read = |at: u64, len: usize| -> Option<Vec<u8>> {
        let end = at.checked_add(len as u64)?;
        if end > size {
            return None;
        }
        bytes.read_vec(start.checked_add(at)?, len).ok()
    };
    let Some(sb_bytes) = read(SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE) else {
        return unreadable("the superblock could not be read".into());
    };
    let sb = match btrfs::parse_superblock(&sb_bytes) {
        Ok(sb) => sb,
        Err(e) => return unreadable(e.to_string()),
    };
    if sb.num_devices != 1 {
        return unreadable(format!(
            "a btrfs of {} devices: bootvet maps only single-device filesystems",
            sb.num_devices
        ));
    }
    match btrfs::list(&sb, &mut read) {
        Ok(listing) => {
            let mut subvolumes: Vec<SubvolumeFact> = listing
                .subvolumes
                .into_iter()
                .map(|s| SubvolumeFact {
                    id: s.id,
                    parent: s.parent,
                    path: s.path,
                })
                .collect();
            subvolumes.sort_by_key(|s| s.id);
            BtrfsSubvolumes::Read {
                subvolumes,
                default_id: listing.default_id,
                generation: sb.generation,
                live,
            }
        }
        Err(e) => unreadable(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::storage::{Filesystem, OfflineAccess};

    fn root(fstype: &str) -> RootFact {
        RootFact {
            value: "UUID=x".into(),
            unparsed: None,
            resolution: Resolution::None,
            filesystems: vec![Some(Filesystem {
                fstype: fstype.into(),
                usage: None,
                uuid: None,
                uuid_sub: None,
                label: None,
                version: None,
                block_size: None,
                size_bytes: None,
                ext_features: None,
                offline: OfflineAccess::Readable,
                blkid: Default::default(),
            })],
            inits: Vec::new(),
            tabs: None,
            btrfs: None,
        }
    }

    /// A live btrfs mount shows one subvolume, perhaps not the one an entry
    /// mounts as /: its init and fstab are never read through it.
    #[test]
    fn files_on_a_btrfs_root_are_never_read_for_init_or_fstab() {
        assert!(files_not_read(&root("btrfs")).is_some());
        assert!(files_not_read(&root("ext4")).is_none());
    }
}
