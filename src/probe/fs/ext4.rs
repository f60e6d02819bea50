//! ext2/3/4 read straight from a disk's bytes. Reading files and directories goes
//! through the `ext4-view` crate (read-only by design); physical extents come from
//! a small walker of our own (superblock → group descriptor → inode → extent tree
//! or the ext2/3 block map), because ext4-view exposes no block numbers.
//!
//! Every number read from the disk is checked before use: depth, entry counts and
//! block numbers are bounded so a hostile image gives an error, not a hang.
//! Not handled: inline-data directories, bigalloc, encrypted names. Must never write.

use std::path::Path;

use ext4_view::{Ext4, Ext4Read};

use super::{
    DirEntry, Extent, FileError, FileKind, FileLayout, ReadSeek, VolumeFiles, components,
    finish_extents,
};
use crate::facts::storage::ExtFeatures;
use crate::probe::image::DiskBytes;

/// A file with more pieces than this is treated as damage, not fragmentation.
const MAX_EXTENTS: usize = 1 << 20;
/// Beyond this no kernel or initrd loads (GRUB's x86 loaders address 32 bits).
const MAX_LOADABLE_BYTES: u64 = 4 << 30;
/// A file with a million extents needs ~3000 leaf blocks; more nodes is a
/// tree pointing into itself.
const MAX_EXTENT_NODES: usize = 1 << 16;
/// Deeper trees than this do not exist (ext4 allows 5).
const MAX_DEPTH: u16 = 5;
/// Directories larger than this are damage (a real one holds ~1M entries).
const MAX_DIR_BYTES: u64 = 64 << 20;
/// 2^20 groups of 32768 4K blocks is 128 TiB: beyond any boot filesystem.
const MAX_GROUPS: u64 = 1 << 20;

const EXT4_EXTENTS_FL: u32 = 0x80000;
const EXT4_INLINE_DATA_FL: u32 = 0x1000_0000;
const INCOMPAT_64BIT: u32 = 0x80;

struct PartReader {
    disk: DiskBytes,
    start: u64,
    len: u64,
}

impl Ext4Read for PartReader {
    fn read(
        &mut self,
        start_byte: u64,
        dst: &mut [u8],
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync + 'static>> {
        let end = start_byte
            .checked_add(dst.len() as u64)
            .ok_or("read overflows")?;
        if end > self.len {
            return Err(
                format!("read at byte {start_byte} goes past the end of the partition").into(),
            );
        }
        self.disk.read_at(self.start + start_byte, dst)?;
        if start_byte < SUPERBLOCK_END && end > SUPERBLOCK_START {
            grub_view_of_superblock(&self.disk, self.start, start_byte, dst)?;
        }
        Ok(())
    }
}

const SUPERBLOCK_START: u64 = 1024;
const SUPERBLOCK_END: u64 = 2048;
const INCOMPAT_RECOVER: u32 = 0x4;
const RO_COMPAT_METADATA_CSUM: u32 = 0x400;

/// GRUB reads ext2/3/4 without its journal, even when `needs_recovery` says the
/// journal holds changes; ext4-view would replay it. Clearing the flag in the
/// superblock bytes ext4-view sees (and fixing the checksum it verifies) makes
/// bootvet see the files as GRUB will, not as Linux will after replay.
fn grub_view_of_superblock(
    disk: &DiskBytes,
    start: u64,
    start_byte: u64,
    dst: &mut [u8],
) -> std::io::Result<()> {
    let mut sb = [0u8; 1024];
    disk.read_at(start + SUPERBLOCK_START, &mut sb)?;
    let incompat = le32(&sb, 96);
    if le16(&sb, 56) != 0xEF53 || incompat & INCOMPAT_RECOVER == 0 {
        return Ok(());
    }
    sb[96..100].copy_from_slice(&(incompat & !INCOMPAT_RECOVER).to_le_bytes());
    if le32(&sb, 100) & RO_COMPAT_METADATA_CSUM != 0 {
        // ext4 stores crc32c without the final inversion.
        let crc = !crc::Crc::<u32>::new(&crc::CRC_32_ISCSI).checksum(&sb[..0x3FC]);
        sb[0x3FC..].copy_from_slice(&crc.to_le_bytes());
    }
    let from = start_byte.max(SUPERBLOCK_START);
    let to = (start_byte + dst.len() as u64).min(SUPERBLOCK_END);
    let (d0, s0, n) = (
        (from - start_byte) as usize,
        (from - SUPERBLOCK_START) as usize,
        (to - from) as usize,
    );
    dst[d0..d0 + n].copy_from_slice(&sb[s0..s0 + n]);
    Ok(())
}

/// The superblock fields the block walker needs.
#[derive(Debug, Clone, Copy)]
struct Super {
    block_size: u64,
    blocks_count: u64,
    inodes_count: u32,
    inodes_per_group: u32,
    first_data_block: u64,
    inode_size: u64,
    desc_size: u64,
}

pub struct Ext4Volume {
    disk: DiskBytes,
    device: String,
    start: u64,
    len: u64,
    fs: Ext4,
    sb: Super,
}

impl Ext4Volume {
    pub fn open(disk: DiskBytes, device: &str, start: u64, len: u64) -> Result<Self, FileError> {
        // The geometry is checked against the partition as the table declares it: a
        // disk copied short still has its filesystem, and the blocks past the copy's
        // end are what BV5001 reports (reads there fail, as GRUB's would).
        // `MAX_GROUPS` is what bounds the allocation for a lying partition table.
        // A filesystem grown past its partition (or the partition shrunk under
        // it) is still read, as GRUB reads it: its geometry may reach the disk's
        // end, but every read stops at the partition's (`outside of partition`).
        let declared = len;
        let rest_of_disk = disk.size().saturating_sub(start);
        let len = len.min(rest_of_disk);
        let sb = read_super(&disk, start, declared.max(rest_of_disk))?;
        let reader = PartReader {
            disk: disk.clone(),
            start,
            len,
        };
        let fs =
            Ext4::load(Box::new(reader)).map_err(|e| FileError::Corrupt(format!("ext4: {e}")))?;
        Ok(Ext4Volume {
            disk,
            device: device.to_string(),
            start,
            len,
            fs,
            sb,
        })
    }

    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<(), FileError> {
        let end = offset
            .checked_add(buf.len() as u64)
            .filter(|&e| e <= self.len)
            .ok_or_else(|| {
                FileError::Corrupt(format!("byte {offset} is outside the filesystem"))
            })?;
        let _ = end;
        self.disk
            .read_at(self.start + offset, buf)
            .map_err(|e| FileError::Io(e.to_string()))
    }

    fn read_inode(&self, ino: u32) -> Result<Vec<u8>, FileError> {
        let sb = &self.sb;
        if ino == 0 || ino > sb.inodes_count {
            return Err(FileError::Corrupt(format!("inode {ino} is out of range")));
        }
        let group = u64::from((ino - 1) / sb.inodes_per_group);
        let index = u64::from((ino - 1) % sb.inodes_per_group);
        let gdt = (sb.first_data_block + 1) * sb.block_size;
        let mut desc = vec![0u8; sb.desc_size as usize];
        self.read(gdt + group * sb.desc_size, &mut desc)?;
        let mut table = u64::from(le32(&desc, 8));
        if sb.desc_size >= 64 {
            table |= u64::from(le32(&desc, 0x28)) << 32;
        }
        let mut inode = vec![0u8; sb.inode_size as usize];
        let at = table
            .checked_mul(sb.block_size)
            .and_then(|t| t.checked_add(index * sb.inode_size))
            .ok_or_else(|| FileError::Corrupt(format!("inode {ino} table is out of range")))?;
        self.read(at, &mut inode)?;
        Ok(inode)
    }

    /// Physical runs of an inode as (logical block, physical block, count, unwritten).
    fn block_runs(&self, inode: &[u8], size: u64) -> Result<Vec<(u64, u64, u64, bool)>, FileError> {
        let flags = le32(inode, 32);
        let i_block = &inode[40..100];
        let nblocks = size.div_ceil(self.sb.block_size);
        let mut runs = Vec::new();
        if flags & EXT4_EXTENTS_FL != 0 {
            let mut nodes = MAX_EXTENT_NODES;
            self.walk_extent_node(i_block, MAX_DEPTH + 1, &mut runs, &mut nodes)?;
        } else {
            let mut budget = MAX_EXTENTS;
            let mut logical = 0u64;
            for (i, slot) in i_block.chunks_exact(4).enumerate() {
                let ptr = u64::from(le32(slot, 0));
                let level = i.saturating_sub(11) as u32; // 0 direct, 1..3 indirect
                let span = (self.sb.block_size / 4).pow(level);
                if logical >= nblocks {
                    break;
                }
                if ptr != 0 {
                    self.walk_map(ptr, level, logical, nblocks, &mut runs, &mut budget)?;
                }
                logical += span;
            }
        }
        Ok(runs)
    }

    fn walk_map(
        &self,
        ptr: u64,
        level: u32,
        logical: u64,
        nblocks: u64,
        runs: &mut Vec<(u64, u64, u64, bool)>,
        budget: &mut usize,
    ) -> Result<(), FileError> {
        *budget = budget
            .checked_sub(1)
            .ok_or_else(|| FileError::Corrupt("block map is larger than any real file".into()))?;
        if level == 0 {
            self.check_data_block(ptr)?;
            runs.push((logical, ptr, 1, false));
            return Ok(());
        }
        self.check_block(ptr)?;
        let per = self.sb.block_size / 4;
        let mut block = vec![0u8; self.sb.block_size as usize];
        self.read(ptr * self.sb.block_size, &mut block)?;
        let span = per.pow(level - 1);
        for (i, slot) in block.chunks_exact(4).enumerate() {
            let child_logical = logical + i as u64 * span;
            if child_logical >= nblocks {
                break;
            }
            let child = u64::from(le32(slot, 0));
            if child != 0 {
                self.walk_map(child, level - 1, child_logical, nblocks, runs, budget)?;
            }
        }
        Ok(())
    }

    fn walk_extent_node(
        &self,
        node: &[u8],
        depth_left: u16,
        runs: &mut Vec<(u64, u64, u64, bool)>,
        nodes: &mut usize,
    ) -> Result<(), FileError> {
        // Index entries may all point at one child: without a budget a 4-level
        // tree of such nodes is billions of reads.
        *nodes = nodes.checked_sub(1).ok_or_else(|| {
            FileError::Corrupt("extent tree has more nodes than any real file".into())
        })?;
        if node.len() < 12 || le16(node, 0) != 0xF30A {
            return Err(FileError::Corrupt(
                "extent tree node has a bad magic".into(),
            ));
        }
        let entries = le16(node, 2) as usize;
        let depth = le16(node, 6);
        if depth >= depth_left || 12 + entries * 12 > node.len() {
            return Err(FileError::Corrupt(format!(
                "extent tree node claims depth {depth} and {entries} entries"
            )));
        }
        for e in node[12..12 + entries * 12].chunks_exact(12) {
            if depth == 0 {
                let logical = u64::from(le32(e, 0));
                let raw_len = u64::from(le16(e, 4));
                let (len, unwritten) = if raw_len > 32768 {
                    (raw_len - 32768, true)
                } else {
                    (raw_len, false)
                };
                let phys = (u64::from(le16(e, 6)) << 32) | u64::from(le32(e, 8));
                self.check_data_block(phys)?;
                if len > 0 {
                    self.check_data_block(phys + len - 1)?;
                }
                if runs.len() >= MAX_EXTENTS {
                    return Err(FileError::Corrupt(
                        "file has more extents than any real file".into(),
                    ));
                }
                runs.push((logical, phys, len, unwritten));
            } else {
                let child = (u64::from(le16(e, 8)) << 32) | u64::from(le32(e, 4));
                self.check_block(child)?;
                let mut block = vec![0u8; self.sb.block_size as usize];
                self.read(child * self.sb.block_size, &mut block)?;
                self.walk_extent_node(&block, depth, runs, nodes)?;
            }
        }
        Ok(())
    }

    fn check_block(&self, block: u64) -> Result<(), FileError> {
        if block >= self.sb.blocks_count || block.saturating_mul(self.sb.block_size) >= self.len {
            return Err(FileError::Corrupt(format!(
                "block {block} is past the end of the filesystem"
            )));
        }
        Ok(())
    }

    /// Data blocks are only described, not read, by `stat`: one inside the
    /// filesystem but past the end of a truncated image is a fact for the
    /// sector checks (GRUB's `outside of disk`), not damage.
    fn check_data_block(&self, block: u64) -> Result<(), FileError> {
        if block >= self.sb.blocks_count {
            return Err(FileError::Corrupt(format!(
                "block {block} is past the end of the filesystem"
            )));
        }
        Ok(())
    }

    /// A size field larger than the whole filesystem is damage (or a trap): the
    /// bytes past the extents read as zeros, so reading the claimed size (up to
    /// 2^64) would take hours and GRUB itself would run out of memory. Refused
    /// when the file is opened for reading, so every reader's work stays bounded
    /// by the filesystem; `stat` still reports the size (a sparse initrd larger
    /// than /boot is a real, if odd, "too big for GRUB's loader").
    fn check_file_size(&self, path: &str, size: u64) -> Result<(), FileError> {
        let fs_bytes = self.sb.blocks_count.saturating_mul(self.sb.block_size);
        // A sparse file may exceed its filesystem (the scenarios' 460 MiB
        // initrd on a 24 MiB /boot); past 4 GiB nothing GRUB loads is real.
        if size > fs_bytes && size > MAX_LOADABLE_BYTES {
            return Err(FileError::Corrupt(format!(
                "{path}: its inode claims {size} bytes, more than the whole filesystem ({fs_bytes} bytes)"
            )));
        }
        Ok(())
    }

    /// Finds an inode by path with a linear scan of each directory (works for
    /// htree directories too: their index blocks read as empty entries).
    fn lookup(&self, path: &str) -> Result<u32, FileError> {
        let mut ino = 2u32;
        for name in components(path) {
            let inode = self.read_inode(ino)?;
            if le16(&inode, 0) & 0xF000 != 0x4000 {
                return Err(FileError::NotADirectory(path.to_string()));
            }
            ino = self
                .find_in_dir(&inode, name.as_bytes())?
                .ok_or_else(|| FileError::NotFound(path.to_string()))?;
        }
        Ok(ino)
    }

    fn find_in_dir(&self, inode: &[u8], name: &[u8]) -> Result<Option<u32>, FileError> {
        if le32(inode, 32) & EXT4_INLINE_DATA_FL != 0 {
            return Err(FileError::Unsupported(
                "ext4 inline-data directories are not read".into(),
            ));
        }
        let size = inode_size(inode);
        if size > MAX_DIR_BYTES {
            return Err(FileError::Corrupt(format!("directory claims {size} bytes")));
        }
        let bs = self.sb.block_size;
        let mut block = vec![0u8; bs as usize];
        for (logical, phys, count, _) in self.block_runs(inode, size)? {
            for k in 0..count {
                if (logical + k) * bs >= size {
                    break;
                }
                self.read((phys + k) * bs, &mut block)?;
                let mut at = 0usize;
                while at + 8 <= block.len() {
                    let entry_ino = le32(&block, at);
                    let rec_len = le16(&block, at + 4) as usize;
                    let name_len = block[at + 6] as usize;
                    if rec_len < 8 || at + rec_len > block.len() || 8 + name_len > rec_len {
                        return Err(FileError::Corrupt(
                            "directory entry has a bad length".into(),
                        ));
                    }
                    if entry_ino != 0 && &block[at + 8..at + 8 + name_len] == name {
                        return Ok(Some(entry_ino));
                    }
                    at += rec_len;
                }
            }
        }
        Ok(None)
    }

    /// Follows symlinks with ext4-view, which resolves them as the kernel does.
    fn canonical(&self, path: &str) -> Result<String, FileError> {
        let p = if path.starts_with('/') {
            path.to_string()
        } else {
            format!("/{path}")
        };
        let c = self
            .fs
            .canonicalize(p.as_str())
            .map_err(|e| map_err(&p, e))?;
        Ok(c.display().to_string())
    }
}

fn inode_size(inode: &[u8]) -> u64 {
    u64::from(le32(inode, 4)) | (u64::from(le32(inode, 108)) << 32)
}

fn map_err(path: &str, e: ext4_view::Ext4Error) -> FileError {
    use ext4_view::Ext4Error as E;
    match e {
        E::NotFound => FileError::NotFound(path.to_string()),
        E::IsADirectory => FileError::IsADirectory(path.to_string()),
        E::NotADirectory => FileError::NotADirectory(path.to_string()),
        E::Io(io) => FileError::Io(io.to_string()),
        other => FileError::Corrupt(format!("ext4: {other}")),
    }
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// The size the superblock declares (block count × block size), for checking it
/// against the partition; `None` if there is no plausible superblock.
pub fn declared_size(disk: &DiskBytes, start: u64) -> Option<u64> {
    let mut s = [0u8; 1024];
    disk.read_at(start.checked_add(1024)?, &mut s).ok()?;
    if le16(&s, 56) != 0xEF53 || le32(&s, 24) > 6 {
        return None;
    }
    let mut blocks = u64::from(le32(&s, 4));
    if le32(&s, 96) & INCOMPAT_64BIT != 0 {
        blocks |= u64::from(le32(&s, 0x150)) << 32;
    }
    blocks.checked_mul(1024u64 << le32(&s, 24))
}

/// The three feature words of the superblock at `start`; `None` without a
/// plausible one.
pub fn features(disk: &DiskBytes, start: u64) -> Option<ExtFeatures> {
    let mut s = [0u8; 1024];
    disk.read_at(start.checked_add(1024)?, &mut s).ok()?;
    (le16(&s, 56) == 0xEF53).then(|| ExtFeatures {
        compat: le32(&s, 92),
        incompat: le32(&s, 96),
        ro_compat: le32(&s, 100),
    })
}

fn read_super(disk: &DiskBytes, start: u64, len: u64) -> Result<Super, FileError> {
    if len < 2048 {
        return Err(FileError::Corrupt(
            "too small for an ext2/3/4 superblock".into(),
        ));
    }
    let mut s = [0u8; 1024];
    disk.read_at(start + 1024, &mut s)
        .map_err(|e| FileError::Io(e.to_string()))?;
    if le16(&s, 56) != 0xEF53 {
        return Err(FileError::Corrupt("no ext2/3/4 superblock magic".into()));
    }
    let log = le32(&s, 24);
    if log > 6 {
        return Err(FileError::Corrupt(format!(
            "block size 1024<<{log} is invalid"
        )));
    }
    let block_size = 1024u64 << log;
    let incompat = le32(&s, 96);
    let mut blocks_count = u64::from(le32(&s, 4));
    let blocks_hi = u64::from(le32(&s, 0x150));
    let desc_size = if incompat & INCOMPAT_64BIT != 0 {
        blocks_count |= blocks_hi << 32;
        u64::from(le16(&s, 254))
    } else {
        // ext4-view reads the high half regardless of the feature; a stray value
        // there would make it size its tables from a number that is not real.
        if blocks_hi != 0 {
            return Err(FileError::Corrupt(
                "high half of the block count is set without the 64bit feature".into(),
            ));
        }
        32
    };
    let inode_size = if le32(&s, 76) == 0 {
        128
    } else {
        u64::from(le16(&s, 88))
    };
    let inodes_per_group = le32(&s, 40);
    if !(32..=1024).contains(&desc_size) || !desc_size.is_power_of_two() {
        return Err(FileError::Corrupt(format!(
            "group descriptor size {desc_size} is invalid"
        )));
    }
    if !(128..=block_size).contains(&inode_size)
        || inodes_per_group == 0
        || u64::from(inodes_per_group) > 8 * block_size
    {
        return Err(FileError::Corrupt("inode geometry is invalid".into()));
    }
    // ext4-view allocates one descriptor per group up front, so the group count
    // must be bounded by the bytes that really exist before it sees the superblock.
    let blocks_per_group = u64::from(le32(&s, 32));
    if !(256..=8 * block_size).contains(&blocks_per_group) {
        return Err(FileError::Corrupt(format!(
            "{blocks_per_group} blocks per group is invalid"
        )));
    }
    if blocks_count.saturating_mul(block_size) > len {
        return Err(FileError::Corrupt(format!(
            "filesystem claims {} bytes but its partition holds at most {len} (up to the disk's end)",
            blocks_count.saturating_mul(block_size)
        )));
    }
    let groups = blocks_count.div_ceil(blocks_per_group);
    if groups > MAX_GROUPS {
        return Err(FileError::Corrupt(format!(
            "{groups} block groups is more than bootvet reads"
        )));
    }
    Ok(Super {
        block_size,
        blocks_count,
        inodes_count: le32(&s, 0),
        inodes_per_group,
        first_data_block: u64::from(le32(&s, 20)),
        inode_size,
        desc_size,
    })
}

fn kind_of(ft: ext4_view::FileType) -> FileKind {
    FileKind::from_tests(ft.is_regular_file(), ft.is_dir(), ft.is_symlink())
}

impl VolumeFiles for Ext4Volume {
    fn read_link(&self, path: &str) -> Result<Option<String>, FileError> {
        let p = format!("/{}", components(path).join("/"));
        let meta = self
            .fs
            .symlink_metadata(p.as_str())
            .map_err(|e| map_err(path, e))?;
        if !meta.file_type().is_symlink() {
            return Ok(None);
        }
        let target = self
            .fs
            .read_link(p.as_str())
            .map_err(|e| map_err(path, e))?;
        Ok(Some(target.display().to_string()))
    }

    fn open(&self, path: &str) -> Result<Box<dyn ReadSeek>, FileError> {
        let p = self.canonical(path)?;
        let meta = self
            .fs
            .metadata(Path::new(&p))
            .map_err(|e| map_err(path, e))?;
        self.check_file_size(path, meta.len())?;
        let file = self.fs.open(Path::new(&p)).map_err(|e| map_err(path, e))?;
        Ok(Box::new(file))
    }

    fn stat(&self, path: &str) -> Result<FileLayout, FileError> {
        let p = self.canonical(path)?;
        let meta = self
            .fs
            .metadata(Path::new(&p))
            .map_err(|e| map_err(path, e))?;
        let kind = kind_of(meta.file_type());
        let ino = self.lookup(&p)?;
        let inode = self.read_inode(ino)?;
        let size = meta.len();
        let inline = le32(&inode, 32) & EXT4_INLINE_DATA_FL != 0;
        let mut extents = Vec::new();
        if !inline && kind != FileKind::Symlink {
            let bs = self.sb.block_size;
            for (logical, phys, count, unwritten) in self.block_runs(&inode, size)? {
                let file_offset = logical.saturating_mul(bs);
                if file_offset >= size {
                    continue;
                }
                let length = count.saturating_mul(bs).min(size - file_offset);
                extents.push(Extent {
                    file_offset,
                    disk_byte_offset: self.start + phys * bs,
                    length,
                    unwritten,
                });
            }
        }
        let (extents, has_holes) = finish_extents(extents, size);
        Ok(FileLayout {
            size,
            kind,
            device: self.device.clone(),
            extents,
            has_holes: has_holes && !inline,
            inline,
            extents_unknown: None,
            unflushed_bytes: 0,
        })
    }

    fn list_dir(&self, path: &str) -> Result<Vec<DirEntry>, FileError> {
        let p = self.canonical(path)?;
        let mut out = Vec::new();
        for entry in self
            .fs
            .read_dir(Path::new(&p))
            .map_err(|e| map_err(path, e))?
        {
            let entry = entry.map_err(|e| map_err(path, e))?;
            let name = String::from_utf8_lossy(entry.file_name().as_ref()).into_owned();
            if name == "." || name == ".." {
                continue;
            }
            let meta = entry.metadata().map_err(|e| map_err(path, e))?;
            out.push(DirEntry {
                name,
                kind: kind_of(meta.file_type()),
                size: meta.len(),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::fuzz_support::disk_from_bytes;

    /// A 1K-block superblock with just enough fields to pass the magic check.
    fn superblock(blocks: u32, blocks_hi: u32, per_group: u32) -> Vec<u8> {
        let mut d = vec![0u8; 1 << 20];
        let s = 1024;
        d[s..s + 4].copy_from_slice(&64u32.to_le_bytes()); // inodes
        d[s + 4..s + 8].copy_from_slice(&blocks.to_le_bytes());
        d[s + 20..s + 24].copy_from_slice(&1u32.to_le_bytes()); // first data block
        d[s + 32..s + 36].copy_from_slice(&per_group.to_le_bytes());
        d[s + 40..s + 44].copy_from_slice(&64u32.to_le_bytes()); // inodes per group
        d[s + 56..s + 58].copy_from_slice(&0xEF53u16.to_le_bytes());
        d[s + 0x150..s + 0x154].copy_from_slice(&blocks_hi.to_le_bytes());
        d
    }

    fn open(d: &[u8]) -> Result<Ext4Volume, FileError> {
        let disk = disk_from_bytes(d).unwrap();
        let len = disk.size();
        Ext4Volume::open(disk, "test", 0, len)
    }

    /// Found by the fuzz runner: ext4-view sized its group table (45 GB) from a
    /// block count whose high half was set without the 64bit feature.
    #[test]
    fn stray_high_block_count_is_refused_before_ext4_view_allocates() {
        let err = open(&superblock(1024, 0x2a, 8192)).err().unwrap();
        assert!(err.to_string().contains("64bit"), "{err}");
    }

    #[test]
    fn filesystem_larger_than_its_partition_is_refused() {
        let err = open(&superblock(1 << 30, 0, 8192)).err().unwrap();
        assert!(err.to_string().contains("partition holds"), "{err}");
    }

    #[test]
    fn tiny_blocks_per_group_is_refused() {
        let err = open(&superblock(1000, 0, 1)).err().unwrap();
        assert!(err.to_string().contains("blocks per group"), "{err}");
    }
}
