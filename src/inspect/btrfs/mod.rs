//! btrfs, read only as far as the subvolumes: the superblock, the chunk map
//! (`sys_chunk_array`, then the chunk tree), the root tree's `ROOT_REF` items
//! (one per subvolume: parent, child id, directory inode, name) and, for a
//! subvolume that sits in a subdirectory of its parent (snapper's
//! `@/.snapshots/N/snapshot`), the parent tree's `INODE_REF` items up to its top
//! directory. Layouts from btrfs-progs' `kernel-shared/uapi/btrfs_tree.h`
//! (`btrfs_super_block`, `btrfs_header`, `btrfs_item`, `btrfs_key_ptr`,
//! `btrfs_chunk`, `btrfs_stripe`, `btrfs_root_item`, `btrfs_root_ref`,
//! `btrfs_inode_ref`).
//!
//! No IO: the caller serves reads of the one device through a closure. Only a
//! single-device filesystem is mapped (a stripe on this device's id); checksums are
//! not verified (a torn node is refused by its own header: bytenr and level).
//! Bounded: `MAX_NODES` nodes read in all, trees ≤ `MAX_LEVEL` deep, ≤
//! `MAX_SUBVOLUMES` subvolumes, path ≤ `MAX_PATH_PARTS` components; every node
//! is visited once.

pub mod fuzz;

use std::collections::{BTreeMap, BTreeSet};

/// Where the primary superblock sits.
pub const SUPERBLOCK_OFFSET: u64 = 0x10000;
pub const SUPERBLOCK_SIZE: usize = 4096;
const MAGIC: &[u8; 8] = b"_BHRfS_M";
const HEADER_SIZE: usize = 101;
const ITEM_SIZE: usize = 25;
const KEY_PTR_SIZE: usize = 33;
const MAX_NODES: usize = 20_000;
const MAX_LEVEL: u8 = 7;
const MAX_SUBVOLUMES: usize = 10_000;
const MAX_PATH_PARTS: usize = 64;

const INODE_REF_KEY: u8 = 12;
const DIR_ITEM_KEY: u8 = 84;
/// The root tree's directory (`BTRFS_ROOT_TREE_DIR_OBJECTID`), which holds the
/// `default` item `btrfs subvolume set-default` rewrites.
const ROOT_TREE_DIR: u64 = 6;
const ROOT_ITEM_KEY: u8 = 132;
const ROOT_REF_KEY: u8 = 156;
const CHUNK_ITEM_KEY: u8 = 228;
/// The top-level subvolume (`BTRFS_FS_TREE_OBJECTID`) and every tree's top
/// directory inode (`BTRFS_FIRST_FREE_OBJECTID`).
pub const TOP_LEVEL: u64 = 5;
const TOP_DIR: u64 = 256;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BtrfsError {
    NotBtrfs,
    /// A structure runs past its buffer or names an impossible size.
    Malformed(&'static str),
    /// A logical address no chunk maps onto this device (several devices, RAID).
    Unmapped(u64),
    /// A node could not be read, or its header does not match where it was read.
    BadNode(u64),
    /// A bound of this module was reached.
    Limit(&'static str),
}

impl std::fmt::Display for BtrfsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BtrfsError::NotBtrfs => write!(f, "no btrfs superblock"),
            BtrfsError::Malformed(what) => write!(f, "malformed {what}"),
            BtrfsError::Unmapped(l) => {
                write!(f, "logical address {l} is on no chunk of this device")
            }
            BtrfsError::BadNode(l) => {
                write!(f, "the tree node at logical {l} is unreadable or torn")
            }
            BtrfsError::Limit(what) => write!(f, "more {what} than bootvet reads"),
        }
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// A key: (objectid, type, offset), ordered as btrfs orders them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub objectid: u64,
    pub kind: u8,
    pub offset: u64,
}

fn key_at(b: &[u8], at: usize) -> Option<Key> {
    Some(Key {
        objectid: u64_at(b, at)?,
        kind: *b.get(at + 8)?,
        offset: u64_at(b, at + 9)?,
    })
}

/// One chunk: a logical range and where its first copy sits on this device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    pub logical: u64,
    pub length: u64,
    /// (devid, physical offset) of each stripe.
    pub stripes: Vec<(u64, u64)>,
}

/// Parses a `btrfs_chunk` at `at`; returns it and its size in bytes.
fn chunk_at(b: &[u8], at: usize, logical: u64) -> Option<(Chunk, usize)> {
    let length = u64_at(b, at)?;
    let num_stripes = usize::from(u16_at(b, at + 44)?);
    if num_stripes == 0 {
        return None;
    }
    let size = 48 + 32 * num_stripes;
    let mut stripes = Vec::with_capacity(num_stripes);
    for i in 0..num_stripes {
        let s = at + 48 + 32 * i;
        stripes.push((u64_at(b, s)?, u64_at(b, s + 8)?));
    }
    Some((
        Chunk {
            logical,
            length,
            stripes,
        },
        size,
    ))
}

/// What the superblock says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Superblock {
    pub fsid: [u8; 16],
    pub label: String,
    pub generation: u64,
    pub root: u64,
    pub root_level: u8,
    pub chunk_root: u64,
    pub chunk_root_level: u8,
    pub nodesize: u32,
    pub num_devices: u64,
    /// This device's id (`dev_item.devid`).
    pub devid: u64,
    /// The system chunks, which map the chunk tree.
    pub sys_chunks: Vec<Chunk>,
}

/// Parses the 4 KiB primary superblock.
pub fn parse_superblock(b: &[u8]) -> Result<Superblock, BtrfsError> {
    if b.get(0x40..0x48) != Some(MAGIC.as_slice()) {
        return Err(BtrfsError::NotBtrfs);
    }
    let bad = || BtrfsError::Malformed("superblock");
    let nodesize = u32_at(b, 0x94).ok_or_else(bad)?;
    if !(4096..=65536).contains(&nodesize) || !nodesize.is_power_of_two() {
        return Err(BtrfsError::Malformed("superblock node size"));
    }
    let array_size = u32_at(b, 0xa0).ok_or_else(bad)? as usize;
    let array = b.get(0x32b..0x32b + array_size.min(2048)).ok_or_else(bad)?;
    let mut sys_chunks = Vec::new();
    let mut at = 0;
    while at + 17 <= array.len() {
        let key = key_at(array, at).ok_or_else(bad)?;
        if key.kind != CHUNK_ITEM_KEY {
            return Err(BtrfsError::Malformed("system chunk array"));
        }
        let (chunk, size) =
            chunk_at(array, at + 17, key.offset).ok_or(BtrfsError::Malformed("system chunk"))?;
        sys_chunks.push(chunk);
        at += 17 + size;
    }
    let label = b.get(0x12b..0x22b).ok_or_else(bad)?;
    let label_end = label.iter().position(|&c| c == 0).unwrap_or(label.len());
    let mut fsid = [0u8; 16];
    fsid.copy_from_slice(b.get(0x20..0x30).ok_or_else(bad)?);
    Ok(Superblock {
        fsid,
        label: String::from_utf8_lossy(&label[..label_end]).into_owned(),
        generation: u64_at(b, 0x48).ok_or_else(bad)?,
        root: u64_at(b, 0x50).ok_or_else(bad)?,
        root_level: *b.get(0xc6).ok_or_else(bad)?,
        chunk_root: u64_at(b, 0x58).ok_or_else(bad)?,
        chunk_root_level: *b.get(0xc7).ok_or_else(bad)?,
        nodesize,
        num_devices: u64_at(b, 0x88).ok_or_else(bad)?,
        devid: u64_at(b, 0xc9).ok_or_else(bad)?,
        sys_chunks,
    })
}

/// A tree node: a leaf's items (key and data), or an internal node's children.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    Leaf(Vec<(Key, Vec<u8>)>),
    Internal(Vec<(Key, u64)>),
}

/// Parses a node read at `logical`, refusing one whose header names another
/// address or level (stale or torn).
pub fn parse_node(b: &[u8], logical: u64, level: u8) -> Result<Node, BtrfsError> {
    let torn = BtrfsError::BadNode(logical);
    if u64_at(b, 0x30) != Some(logical) || b.get(0x64) != Some(&level) {
        return Err(torn);
    }
    let count = u32_at(b, 0x60).ok_or(torn.clone())? as usize;
    if level == 0 {
        if count > b.len() / ITEM_SIZE {
            return Err(torn);
        }
        let mut items = Vec::with_capacity(count);
        for i in 0..count {
            let at = HEADER_SIZE + ITEM_SIZE * i;
            let key = key_at(b, at).ok_or(torn.clone())?;
            let offset = u32_at(b, at + 17).ok_or(torn.clone())? as usize;
            let size = u32_at(b, at + 21).ok_or(torn.clone())? as usize;
            let start = HEADER_SIZE + offset;
            let data = b
                .get(start..start.saturating_add(size))
                .ok_or(torn.clone())?;
            items.push((key, data.to_vec()));
        }
        Ok(Node::Leaf(items))
    } else {
        if count > b.len() / KEY_PTR_SIZE {
            return Err(torn);
        }
        let mut ptrs = Vec::with_capacity(count);
        for i in 0..count {
            let at = HEADER_SIZE + KEY_PTR_SIZE * i;
            ptrs.push((
                key_at(b, at).ok_or(torn.clone())?,
                u64_at(b, at + 17).ok_or(torn.clone())?,
            ));
        }
        Ok(Node::Internal(ptrs))
    }
}

/// Reads of the device: `(physical offset, length) → bytes`, `None` if unreadable.
pub type ReadAt<'a> = dyn FnMut(u64, usize) -> Option<Vec<u8>> + 'a;

/// A walker over one filesystem's trees, with the chunk map and the node budget.
struct Trees<'r, 'a> {
    read: &'r mut ReadAt<'a>,
    nodesize: usize,
    devid: u64,
    chunks: Vec<Chunk>,
    nodes_read: usize,
    seen: BTreeSet<u64>,
}

impl Trees<'_, '_> {
    fn physical(&self, logical: u64) -> Result<u64, BtrfsError> {
        self.chunks
            .iter()
            .find(|c| logical >= c.logical && logical - c.logical < c.length)
            .and_then(|c| {
                let (_, start) = c.stripes.iter().find(|(d, _)| *d == self.devid)?;
                start.checked_add(logical - c.logical)
            })
            .ok_or(BtrfsError::Unmapped(logical))
    }

    fn node(&mut self, logical: u64, level: u8) -> Result<Node, BtrfsError> {
        if level > MAX_LEVEL {
            return Err(BtrfsError::Malformed("tree level"));
        }
        if self.nodes_read >= MAX_NODES {
            return Err(BtrfsError::Limit("tree nodes"));
        }
        self.nodes_read += 1;
        let at = self.physical(logical)?;
        let bytes = (self.read)(at, self.nodesize).ok_or(BtrfsError::BadNode(logical))?;
        parse_node(&bytes, logical, level)
    }

    /// Every item with `lo <= key <= hi` in the tree rooted at `root`, in key
    /// order. Each node is read at most once per walk (a loop in a corrupt tree
    /// ends there).
    fn range(
        &mut self,
        root: u64,
        level: u8,
        lo: Key,
        hi: Key,
    ) -> Result<Vec<(Key, Vec<u8>)>, BtrfsError> {
        self.seen.clear();
        let mut out = Vec::new();
        self.range_in(root, level, lo, hi, &mut out)?;
        Ok(out)
    }

    fn range_in(
        &mut self,
        at: u64,
        level: u8,
        lo: Key,
        hi: Key,
        out: &mut Vec<(Key, Vec<u8>)>,
    ) -> Result<(), BtrfsError> {
        if !self.seen.insert(at) {
            return Err(BtrfsError::Malformed("tree (a node is reached twice)"));
        }
        match self.node(at, level)? {
            Node::Leaf(items) => {
                out.extend(items.into_iter().filter(|(k, _)| *k >= lo && *k <= hi));
                if out.len() > MAX_NODES * 16 {
                    return Err(BtrfsError::Limit("items"));
                }
            }
            Node::Internal(ptrs) => {
                let child = level
                    .checked_sub(1)
                    .ok_or(BtrfsError::Malformed("tree level"))?;
                for (i, (key, ptr)) in ptrs.iter().enumerate() {
                    if *key > hi {
                        break;
                    }
                    // A child holds keys from its key up to the next child's.
                    if ptrs.get(i + 1).is_some_and(|(next, _)| *next <= lo) {
                        continue;
                    }
                    self.range_in(*ptr, child, lo, hi, out)?;
                }
            }
        }
        Ok(())
    }
}

const ALL: Key = Key {
    objectid: u64::MAX,
    kind: u8::MAX,
    offset: u64::MAX,
};
const NONE: Key = Key {
    objectid: 0,
    kind: 0,
    offset: 0,
};

/// One subvolume (or snapshot) and its path from the top level, as `subvol=`
/// names it (no leading slash).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Subvolume {
    pub id: u64,
    pub parent: u64,
    pub path: String,
}

/// The filesystem's subvolumes, below the top level (id 5, path "").
pub fn subvolumes(sb: &Superblock, read: &mut ReadAt<'_>) -> Result<Vec<Subvolume>, BtrfsError> {
    Ok(list(sb, read)?.subvolumes)
}

/// What a mount without `subvol=`/`subvolid=` needs too: the subvolumes and
/// the default one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listing {
    pub subvolumes: Vec<Subvolume>,
    /// The subvolume mounted when none is named: the root tree directory's
    /// `default` item (fs/btrfs/super.c `get_default_subvol_objectid`; without
    /// the item the kernel mounts the top level, 5, and so does this).
    pub default_id: u64,
}

/// The subvolumes and the default one.
pub fn list(sb: &Superblock, read: &mut ReadAt<'_>) -> Result<Listing, BtrfsError> {
    let mut trees = Trees {
        read,
        nodesize: sb.nodesize as usize,
        devid: sb.devid,
        chunks: sb.sys_chunks.clone(),
        nodes_read: 0,
        seen: BTreeSet::new(),
    };
    // The chunk tree maps everything else.
    let chunk_items = trees.range(sb.chunk_root, sb.chunk_root_level, NONE, ALL)?;
    for (key, data) in chunk_items.iter().filter(|(k, _)| k.kind == CHUNK_ITEM_KEY) {
        if let Some((chunk, _)) = chunk_at(data, 0, key.offset)
            && !trees.chunks.contains(&chunk)
        {
            trees.chunks.push(chunk);
        }
    }
    let root_items = trees.range(sb.root, sb.root_level, NONE, ALL)?;
    // Where each subvolume's own tree starts (ROOT_ITEM: bytenr at 176, level at 238).
    let mut tree_roots: BTreeMap<u64, (u64, u8)> = BTreeMap::new();
    // child id → (parent id, directory inode in the parent, name).
    let mut refs: BTreeMap<u64, (u64, u64, String)> = BTreeMap::new();
    let mut default_id = TOP_LEVEL;
    for (key, data) in &root_items {
        match key.kind {
            // btrfs_dir_item: location key (17 bytes), transid, data_len (u16 at
            // 25), name_len (u16 at 27), type, then the name at 30.
            DIR_ITEM_KEY if key.objectid == ROOT_TREE_DIR => {
                let len = usize::from(u16_at(data, 27).ok_or(BtrfsError::Malformed("dir item"))?);
                if data.get(30..30 + len) == Some(b"default".as_slice()) {
                    default_id = u64_at(data, 0).ok_or(BtrfsError::Malformed("dir item"))?;
                }
            }
            ROOT_ITEM_KEY => {
                if let (Some(bytenr), Some(level)) = (u64_at(data, 176), data.get(238)) {
                    tree_roots.insert(key.objectid, (bytenr, *level));
                }
            }
            ROOT_REF_KEY => {
                let dirid = u64_at(data, 0).ok_or(BtrfsError::Malformed("root ref"))?;
                let len = usize::from(u16_at(data, 16).ok_or(BtrfsError::Malformed("root ref"))?);
                let name = data
                    .get(18..18 + len)
                    .ok_or(BtrfsError::Malformed("root ref name"))?;
                if refs.len() >= MAX_SUBVOLUMES {
                    return Err(BtrfsError::Limit("subvolumes"));
                }
                refs.insert(
                    key.offset,
                    (
                        key.objectid,
                        dirid,
                        String::from_utf8_lossy(name).into_owned(),
                    ),
                );
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (&id, (parent, _, _)) in &refs {
        let mut parts: Vec<String> = Vec::new();
        let mut at = id;
        while at != TOP_LEVEL {
            let Some((up, dirid, name)) = refs.get(&at) else {
                // Orphaned (its parent is being deleted): no path.
                parts.clear();
                break;
            };
            parts.push(name.clone());
            let dirs = dir_path(&mut trees, tree_roots.get(up).copied(), *dirid)?;
            parts.extend(dirs.into_iter().rev());
            if parts.len() > MAX_PATH_PARTS {
                return Err(BtrfsError::Limit("path components"));
            }
            at = *up;
        }
        if parts.is_empty() {
            continue;
        }
        parts.reverse();
        out.push(Subvolume {
            id,
            parent: *parent,
            path: parts.join("/"),
        });
    }
    Ok(Listing {
        subvolumes: out,
        default_id,
    })
}

/// The directory names from a tree's top directory down to inode `dir`, by the
/// `INODE_REF` items (key: inode, 12, parent inode; data: index, name_len, name).
fn dir_path(
    trees: &mut Trees<'_, '_>,
    tree: Option<(u64, u8)>,
    mut dir: u64,
) -> Result<Vec<String>, BtrfsError> {
    let mut parts = Vec::new();
    while dir != TOP_DIR {
        let (root, level) = tree.ok_or(BtrfsError::Malformed("root ref (parent tree unknown)"))?;
        let lo = Key {
            objectid: dir,
            kind: INODE_REF_KEY,
            offset: 0,
        };
        let hi = Key {
            offset: u64::MAX,
            ..lo
        };
        let items = trees.range(root, level, lo, hi)?;
        let (key, data) = items
            .first()
            .ok_or(BtrfsError::Malformed("directory (no inode ref)"))?;
        let len = usize::from(u16_at(data, 8).ok_or(BtrfsError::Malformed("inode ref"))?);
        let name = data
            .get(10..10 + len)
            .ok_or(BtrfsError::Malformed("inode ref name"))?;
        parts.push(String::from_utf8_lossy(name).into_owned());
        if parts.len() > MAX_PATH_PARTS || key.offset == dir {
            return Err(BtrfsError::Limit("path components"));
        }
        dir = key.offset;
    }
    parts.reverse();
    Ok(parts)
}

/// The subvolume a `subvol=` path names (leading and doubled slashes ignored,
/// as the kernel's path lookup does), or the top level for "" and "/".
pub fn find_subvolume<'s>(
    subvolumes: &'s [Subvolume],
    path: &str,
) -> Option<Option<&'s Subvolume>> {
    let want: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if want.is_empty() {
        return Some(None);
    }
    let want = want.join("/");
    subvolumes.iter().find(|s| s.path == want).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixture made by fixtures/btrfs/gen.sh (mkfs.btrfs, btrfs subvolume create).
    fn image(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/fixtures/btrfs/{name}.img.xz",
            env!("CARGO_MANIFEST_DIR")
        );
        let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut liblzma::read::XzDecoder::new(file), &mut out).unwrap();
        out
    }

    fn paths(img: &[u8]) -> Vec<String> {
        let sb = parse_superblock(&img[SUPERBLOCK_OFFSET as usize..]).unwrap();
        let mut read =
            |at: u64, len: usize| img.get(at as usize..at as usize + len).map(<[u8]>::to_vec);
        let mut p: Vec<String> = subvolumes(&sb, &mut read)
            .unwrap()
            .into_iter()
            .map(|s| s.path)
            .collect();
        p.sort();
        p
    }

    #[test]
    fn subvolumes_of_a_real_filesystem_with_their_paths() {
        let img = image("subvols");
        let sb = parse_superblock(&img[SUPERBLOCK_OFFSET as usize..]).unwrap();
        assert_eq!(sb.label, "bootvet-subvols");
        assert_eq!(sb.num_devices, 1);
        assert_eq!(
            paths(&img),
            [
                "@",
                "@/.snapshots",
                "@/.snapshots/1/snapshot",
                "@/srv/data/vol",
                "@home"
            ]
        );
    }

    #[test]
    fn deleted_subvolumes_are_gone() {
        let img = image("deleted");
        let p = paths(&img);
        assert_eq!(p, ["@", "@/.snapshots", "@/srv/data/vol"]);
        let sb = parse_superblock(&img[SUPERBLOCK_OFFSET as usize..]).unwrap();
        let mut read =
            |at: u64, len: usize| img.get(at as usize..at as usize + len).map(<[u8]>::to_vec);
        let subs = subvolumes(&sb, &mut read).unwrap();
        assert_eq!(find_subvolume(&subs, "/@").unwrap().unwrap().path, "@");
        assert_eq!(
            find_subvolume(&subs, "//@/.snapshots/")
                .unwrap()
                .unwrap()
                .path,
            "@/.snapshots"
        );
        assert!(find_subvolume(&subs, "@home").is_none());
        assert!(find_subvolume(&subs, "@/.snapshots/1/snapshot").is_none());
        assert_eq!(find_subvolume(&subs, "/"), Some(None));
    }

    #[test]
    fn a_renamed_subvolume_moves_its_children_and_the_default_is_read() {
        let img = image("moved");
        assert_eq!(
            paths(&img),
            [
                "@home",
                "@old",
                "@old/.snapshots",
                "@old/.snapshots/1/snapshot",
                "@old/srv/data/vol"
            ]
        );
        let sb = parse_superblock(&img[SUPERBLOCK_OFFSET as usize..]).unwrap();
        let mut read =
            |at: u64, len: usize| img.get(at as usize..at as usize + len).map(<[u8]>::to_vec);
        let listing = list(&sb, &mut read).unwrap();
        let home = listing
            .subvolumes
            .iter()
            .find(|s| s.path == "@home")
            .unwrap();
        // `btrfs subvolume set-default` rewrote the root tree's `default` item.
        assert_eq!(listing.default_id, home.id);
        assert_ne!(home.id, TOP_LEVEL);
        // mkfs.btrfs's own `default` item names the top level.
        let img = image("subvols");
        let sb = parse_superblock(&img[SUPERBLOCK_OFFSET as usize..]).unwrap();
        let mut read =
            |at: u64, len: usize| img.get(at as usize..at as usize + len).map(<[u8]>::to_vec);
        assert_eq!(list(&sb, &mut read).unwrap().default_id, TOP_LEVEL);
    }

    #[test]
    fn not_btrfs_and_torn_nodes_are_refused() {
        assert_eq!(parse_superblock(&[0u8; 4096]), Err(BtrfsError::NotBtrfs));
        let mut img = image("subvols");
        let sb = parse_superblock(&img[SUPERBLOCK_OFFSET as usize..]).unwrap();
        // The root tree's root node claims another address: refused, not misread.
        let mut read =
            |at: u64, len: usize| img.get(at as usize..at as usize + len).map(<[u8]>::to_vec);
        let trees_root = {
            let mut t = Trees {
                read: &mut read,
                nodesize: sb.nodesize as usize,
                devid: sb.devid,
                chunks: sb.sys_chunks.clone(),
                nodes_read: 0,
                seen: BTreeSet::new(),
            };
            let items = t
                .range(sb.chunk_root, sb.chunk_root_level, NONE, ALL)
                .unwrap();
            for (k, d) in items.iter().filter(|(k, _)| k.kind == CHUNK_ITEM_KEY) {
                t.chunks.push(chunk_at(d, 0, k.offset).unwrap().0);
            }
            t.physical(sb.root).unwrap() as usize
        };
        img[trees_root + 0x30] ^= 0xff;
        let mut read =
            |at: u64, len: usize| img.get(at as usize..at as usize + len).map(<[u8]>::to_vec);
        assert!(matches!(
            subvolumes(&sb, &mut read),
            Err(BtrfsError::BadNode(_))
        ));
    }

    #[test]
    fn fuzz_body_survives_random_and_mutated_inputs() {
        let img = image("subvols");
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..64 {
            let len = (next() % 8192) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            fuzz::btrfs(&bytes);
        }
        // Mutations of the metadata of a real filesystem: bytes of the
        // superblock and of the nodes a clean walk reads, changed at random.
        let sb = parse_superblock(&img[SUPERBLOCK_OFFSET as usize..]).unwrap();
        let mut nodes = Vec::new();
        let mut read = |at: u64, len: usize| {
            nodes.push(at as usize);
            img.get(at as usize..at as usize + len).map(<[u8]>::to_vec)
        };
        subvolumes(&sb, &mut read).unwrap();
        assert!(nodes.len() >= 3, "{nodes:?}");
        let nodesize = sb.nodesize as usize;
        let mut m = img.clone();
        for _ in 0..48 {
            let mut changed = Vec::new();
            for _ in 0..16 {
                let at = if next() % 4 == 0 {
                    SUPERBLOCK_OFFSET as usize + (next() % 4096) as usize
                } else {
                    nodes[(next() as usize) % nodes.len()] + (next() as usize) % nodesize
                };
                changed.push(at);
                m[at] = next() as u8;
            }
            fuzz::btrfs(&m);
            for at in changed {
                m[at] = img[at];
            }
        }
        fuzz::btrfs(&img);
    }
}
