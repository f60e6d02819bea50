//! FAT12/16/32 read straight from a disk's bytes: boot sector, cluster chains,
//! directories with long names, matched case-insensitively as GRUB and the
//! firmware do. Files are streamed from their cluster chain, which is also what
//! gives their physical extents.
//!
//! Why not the `fatfs` crate here: 0.3 keeps cluster numbers private and its
//! files borrow the filesystem, so it can give neither extents nor an owned
//! stream; the tests use it as an independent oracle instead. Every chain is
//! bounded by the cluster count, so a looping FAT is an error, not a hang.
//! Must never write.

use super::{
    DirEntry, Extent, ExtentReader, FileError, FileKind, FileLayout, ReadSeek, VolumeFiles,
    components, finish_extents,
};
use crate::probe::image::DiskBytes;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FatType {
    Fat12,
    Fat16,
    Fat32,
}

#[derive(Debug, Clone)]
pub struct FatVolume {
    disk: DiskBytes,
    device: String,
    /// Partition start on the disk.
    start: u64,
    fat_type: FatType,
    bytes_per_sector: u64,
    cluster_bytes: u64,
    /// Byte offset of the first FAT, inside the partition.
    fat_offset: u64,
    /// Byte offset of cluster 2, inside the partition.
    data_offset: u64,
    /// FAT12/16 root directory: offset and size inside the partition.
    root_offset: u64,
    root_bytes: u64,
    root_cluster: u32,
    /// Highest valid cluster number + 1.
    cluster_limit: u32,
    /// The FAT sector read last: chains are mostly sequential, so one sector
    /// serves 128–341 links instead of one read each.
    fat_cache: std::cell::RefCell<Option<(u64, Vec<u8>)>>,
}

/// A directory entry as stored: name, attributes, first cluster, size.
#[derive(Debug, Clone)]
struct RawEntry {
    name: String,
    short: String,
    attr: u8,
    cluster: u32,
    size: u32,
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn corrupt(msg: impl Into<String>) -> FileError {
    FileError::Corrupt(format!("FAT: {}", msg.into()))
}

impl FatVolume {
    pub fn open(disk: DiskBytes, device: &str, start: u64, len: u64) -> Result<Self, FileError> {
        let len = len.min(disk.size().saturating_sub(start));
        if len < 512 {
            return Err(corrupt("too small for a boot sector"));
        }
        let mut b = [0u8; 512];
        disk.read_at(start, &mut b)?;
        let bps = u64::from(le16(&b, 11));
        let spc = u64::from(b[13]);
        let reserved = u64::from(le16(&b, 14));
        let fats = u64::from(b[16]);
        let root_entries = u64::from(le16(&b, 17));
        let total16 = u64::from(le16(&b, 19));
        let fatsz16 = u64::from(le16(&b, 22));
        let total = if total16 != 0 {
            total16
        } else {
            u64::from(le32(&b, 32))
        };
        let fatsz = if fatsz16 != 0 {
            fatsz16
        } else {
            u64::from(le32(&b, 36))
        };
        if !(512..=4096).contains(&bps) || !bps.is_power_of_two() {
            return Err(corrupt(format!("{bps} bytes per sector")));
        }
        if spc == 0 || !spc.is_power_of_two() || reserved == 0 || fats == 0 || fatsz == 0 {
            return Err(corrupt("boot sector geometry is invalid"));
        }
        let root_sectors = (root_entries * 32).div_ceil(bps);
        let first_data = reserved + fats * fatsz + root_sectors;
        if total <= first_data || total * bps > len {
            return Err(corrupt(format!(
                "boot sector claims {total} sectors, the partition has {}",
                len / bps
            )));
        }
        let clusters = (total - first_data) / spc;
        // Microsoft's rule: the type follows from the cluster count alone.
        let fat_type = if clusters < 4085 {
            FatType::Fat12
        } else if clusters < 65525 {
            FatType::Fat16
        } else {
            FatType::Fat32
        };
        let cluster_limit =
            u32::try_from(clusters + 2).map_err(|_| corrupt("too many clusters"))?;
        let fat_bytes_needed = match fat_type {
            FatType::Fat12 => (u64::from(cluster_limit) * 3).div_ceil(2),
            FatType::Fat16 => u64::from(cluster_limit) * 2,
            FatType::Fat32 => u64::from(cluster_limit) * 4,
        };
        if fatsz * bps < fat_bytes_needed {
            return Err(corrupt("the FAT is smaller than the cluster count needs"));
        }
        let root_cluster = if fat_type == FatType::Fat32 {
            le32(&b, 44)
        } else {
            0
        };
        Ok(FatVolume {
            disk,
            device: device.to_string(),
            start,
            fat_type,
            bytes_per_sector: bps,
            cluster_bytes: spc * bps,
            fat_offset: reserved * bps,
            data_offset: first_data * bps,
            root_offset: (reserved + fats * fatsz) * bps,
            root_bytes: root_sectors * bps,
            root_cluster,
            cluster_limit,
            fat_cache: std::cell::RefCell::new(None),
        })
    }

    pub fn fat_type(&self) -> FatType {
        self.fat_type
    }

    fn next_cluster(&self, cluster: u32) -> Result<Option<u32>, FileError> {
        let c = u64::from(cluster);
        let (at, width) = match self.fat_type {
            FatType::Fat12 => (c + c / 2, 2),
            FatType::Fat16 => (c * 2, 2),
            FatType::Fat32 => (c * 4, 4),
        };
        let mut buf = [0u8; 4];
        self.read_fat(self.start + self.fat_offset + at, &mut buf[..width])?;
        let (value, eoc, bad) = match self.fat_type {
            FatType::Fat12 => {
                let v = u32::from(le16(&buf, 0));
                let v = if cluster & 1 == 1 { v >> 4 } else { v & 0xFFF };
                (v, 0xFF8, 0xFF7)
            }
            FatType::Fat16 => (u32::from(le16(&buf, 0)), 0xFFF8, 0xFFF7),
            FatType::Fat32 => (le32(&buf, 0) & 0x0FFF_FFFF, 0x0FFF_FFF8, 0x0FFF_FFF7),
        };
        if value >= eoc {
            Ok(None)
        } else if value == bad {
            Err(corrupt(format!(
                "cluster {cluster} is followed by a bad-cluster mark"
            )))
        } else if value < 2 || value >= self.cluster_limit {
            Err(corrupt(format!(
                "cluster {cluster} links to invalid cluster {value}"
            )))
        } else {
            Ok(Some(value))
        }
    }

    fn read_fat(&self, at: u64, buf: &mut [u8]) -> Result<(), FileError> {
        let bps = self.bytes_per_sector;
        let sector = at - at % bps;
        let inner = (at - sector) as usize;
        if inner + buf.len() > bps as usize {
            // A FAT12 entry straddling two sectors: read it directly.
            return Ok(self.disk.read_at(at, buf)?);
        }
        let mut cache = self.fat_cache.borrow_mut();
        if cache.as_ref().is_none_or(|(s, _)| *s != sector) {
            let mut data = vec![0u8; bps as usize];
            self.disk.read_at(sector, &mut data)?;
            *cache = Some((sector, data));
        }
        if let Some((_, data)) = cache.as_ref() {
            buf.copy_from_slice(&data[inner..inner + buf.len()]);
        }
        Ok(())
    }

    /// The chain starting at `first`, as disk byte runs; bounded by the cluster
    /// count so a loop is reported instead of followed forever.
    fn chain(&self, first: u32, max_bytes: Option<u64>) -> Result<Vec<Extent>, FileError> {
        let mut extents = Vec::new();
        if first == 0 {
            return Ok(extents);
        }
        if first < 2 || first >= self.cluster_limit {
            return Err(corrupt(format!("first cluster {first} is invalid")));
        }
        let mut cluster = Some(first);
        let mut offset = 0u64;
        let mut steps = 0u32;
        while let Some(c) = cluster {
            if max_bytes.is_some_and(|m| offset >= m) {
                break;
            }
            steps += 1;
            if steps > self.cluster_limit {
                return Err(corrupt(format!("cluster chain from {first} loops")));
            }
            let disk_at = self.start + self.data_offset + u64::from(c - 2) * self.cluster_bytes;
            extents.push(Extent {
                file_offset: offset,
                disk_byte_offset: disk_at,
                length: self.cluster_bytes,
                unwritten: false,
            });
            offset += self.cluster_bytes;
            cluster = self.next_cluster(c)?;
        }
        Ok(extents)
    }

    fn read_dir_raw(&self, cluster: u32) -> Result<Vec<RawEntry>, FileError> {
        let runs = if cluster == 0 && self.fat_type != FatType::Fat32 {
            vec![Extent {
                file_offset: 0,
                disk_byte_offset: self.start + self.root_offset,
                length: self.root_bytes,
                unwritten: false,
            }]
        } else {
            self.chain(cluster, None)?
        };
        let mut entries = Vec::new();
        let mut lfn: Vec<(u8, [u16; 13])> = Vec::new();
        let mut buf = vec![0u8; self.bytes_per_sector as usize];
        for run in runs {
            let mut at = 0;
            while at < run.length {
                self.disk.read_at(run.disk_byte_offset + at, &mut buf)?;
                at += self.bytes_per_sector;
                for e in buf.chunks_exact(32) {
                    if e[0] == 0 {
                        return Ok(entries);
                    }
                    if e[0] == 0xE5 {
                        lfn.clear();
                        continue;
                    }
                    let attr = e[11];
                    if attr & 0x3F == 0x0F {
                        let mut units = [0u16; 13];
                        let spots = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];
                        for (u, &s) in units.iter_mut().zip(spots.iter()) {
                            *u = le16(e, s);
                        }
                        lfn.push((e[13], units));
                        continue;
                    }
                    if attr & 0x08 != 0 {
                        lfn.clear();
                        continue;
                    }
                    let short = short_name(e);
                    let sum = short_checksum(e);
                    let long = if !lfn.is_empty() && lfn.iter().all(|(c, _)| *c == sum) {
                        let units: Vec<u16> = lfn
                            .iter()
                            .rev()
                            .flat_map(|(_, u)| u.iter().copied())
                            .take_while(|&u| u != 0)
                            .collect();
                        Some(String::from_utf16_lossy(&units))
                    } else {
                        None
                    };
                    lfn.clear();
                    let cluster = (u32::from(le16(e, 20)) << 16) | u32::from(le16(e, 26));
                    let cluster = if self.fat_type == FatType::Fat32 {
                        cluster
                    } else {
                        cluster & 0xFFFF
                    };
                    entries.push(RawEntry {
                        name: long.unwrap_or_else(|| short.clone()),
                        short,
                        attr,
                        cluster,
                        size: le32(e, 28),
                    });
                }
            }
        }
        Ok(entries)
    }

    fn lookup(&self, path: &str) -> Result<RawEntry, FileError> {
        let mut current = RawEntry {
            name: "/".into(),
            short: "/".into(),
            attr: 0x10,
            cluster: if self.fat_type == FatType::Fat32 {
                self.root_cluster
            } else {
                0
            },
            size: 0,
        };
        for name in components(path) {
            if current.attr & 0x10 == 0 {
                return Err(FileError::NotADirectory(path.to_string()));
            }
            let entries = self.read_dir_raw(current.cluster)?;
            current = entries
                .into_iter()
                .find(|e| e.name.eq_ignore_ascii_case(name) || e.short.eq_ignore_ascii_case(name))
                .ok_or_else(|| FileError::NotFound(path.to_string()))?;
            // `..` pointing at the root is stored as cluster 0.
            if current.attr & 0x10 != 0 && current.cluster == 0 && self.fat_type == FatType::Fat32 {
                current.cluster = self.root_cluster;
            }
        }
        Ok(current)
    }

    fn file_extents(&self, e: &RawEntry) -> Result<Vec<Extent>, FileError> {
        let size = u64::from(e.size);
        let mut extents = self.chain(e.cluster, Some(size))?;
        let covered: u64 = extents.iter().map(|x| x.length).sum();
        if covered < size {
            return Err(corrupt(format!(
                "'{}' is {size} bytes but its cluster chain holds {covered}",
                e.name
            )));
        }
        // The last cluster is only partly the file's.
        let mut left = size;
        for x in &mut extents {
            x.length = x.length.min(left);
            left -= x.length;
        }
        Ok(finish_extents(extents, size).0)
    }
}

/// The size the boot sector declares (total sectors × sector size); `None` if
/// the sector size is implausible.
pub fn declared_size(disk: &DiskBytes, start: u64) -> Option<u64> {
    let mut b = [0u8; 512];
    disk.read_at(start, &mut b).ok()?;
    let bps = u64::from(le16(&b, 11));
    if !(512..=4096).contains(&bps) || !bps.is_power_of_two() {
        return None;
    }
    let total16 = u64::from(le16(&b, 19));
    let total = if total16 != 0 {
        total16
    } else {
        u64::from(le32(&b, 32))
    };
    Some(total * bps)
}

fn short_name(e: &[u8]) -> String {
    let lower_base = e[12] & 0x08 != 0;
    let lower_ext = e[12] & 0x10 != 0;
    let mut base: Vec<u8> = e[0..8].to_vec();
    if base[0] == 0x05 {
        base[0] = 0xE5;
    }
    let conv = |b: &[u8], lower: bool| -> String {
        let s: String = b.iter().map(|&c| c as char).collect();
        let s = s.trim_end().to_string();
        if lower { s.to_ascii_lowercase() } else { s }
    };
    let base = conv(&base, lower_base);
    let ext = conv(&e[8..11], lower_ext);
    if ext.is_empty() {
        base
    } else {
        format!("{base}.{ext}")
    }
}

fn short_checksum(e: &[u8]) -> u8 {
    e[..11]
        .iter()
        .fold(0u8, |sum, &c| sum.rotate_right(1).wrapping_add(c))
}

impl VolumeFiles for FatVolume {
    fn open(&self, path: &str) -> Result<Box<dyn ReadSeek>, FileError> {
        let e = self.lookup(path)?;
        if e.attr & 0x10 != 0 {
            return Err(FileError::IsADirectory(path.to_string()));
        }
        let extents = self.file_extents(&e)?;
        Ok(Box::new(ExtentReader::new(
            self.disk.clone(),
            extents,
            u64::from(e.size),
        )))
    }

    fn stat(&self, path: &str) -> Result<FileLayout, FileError> {
        let e = self.lookup(path)?;
        let dir = e.attr & 0x10 != 0;
        let (size, extents) = if dir {
            let ext = self.chain(e.cluster, None)?;
            let size = ext.iter().map(|x| x.length).sum();
            (size, finish_extents(ext, size).0)
        } else {
            (u64::from(e.size), self.file_extents(&e)?)
        };
        Ok(FileLayout {
            size,
            kind: if dir {
                FileKind::Directory
            } else {
                FileKind::File
            },
            device: self.device.clone(),
            extents,
            has_holes: false,
            inline: false,
            extents_unknown: None,
            unflushed_bytes: 0,
        })
    }

    fn list_dir(&self, path: &str) -> Result<Vec<DirEntry>, FileError> {
        let e = self.lookup(path)?;
        if e.attr & 0x10 == 0 {
            return Err(FileError::NotADirectory(path.to_string()));
        }
        Ok(self
            .read_dir_raw(e.cluster)?
            .into_iter()
            .filter(|e| e.name != "." && e.name != "..")
            .map(|e| DirEntry {
                kind: if e.attr & 0x10 != 0 {
                    FileKind::Directory
                } else {
                    FileKind::File
                },
                size: u64::from(e.size),
                name: e.name,
            })
            .collect())
    }
}
