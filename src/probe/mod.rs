//! probe: the only module that touches disks and files. It reads raw images and
//! the live system (sysfs, mountinfo, block devices, mount points) and produces
//! the plain serializable facts of `crate::facts`, plus read access to files on
//! volumes (`fs`). Everything is opened read-only; nothing here judges what it
//! finds — damaged tables are recorded as problems for the checks to weigh.
//!
//! Entry: `plan` turns what the flags ask for into the system a run looks at
//! (storage, platform, config, `$prefix`), once, for `check`, `entries` and
//! `devices`; `plan::boot_facts` builds a complete `BootFacts` in one call.
//! Layout: `image` (read-only bytes), `partitions` (GPT/MBR), `blkid` (fs
//! identity), `grub_names`, `live` (sysfs + mountinfo), `fs` (files and extents),
//! `resolve` (UUID/LABEL/GRUB name/path → volume), `disk_files` (the one file
//! source of a run: GRUB's devices on the disks or a `--boot-dir`), `gather`,
//! `kernel_side`, `host`, `modules_tree`, `raw_read` (the facts of a menu),
//! `boot_facts_file` (`--dump-facts`/`--facts`), `fuzz_support`.

pub mod bds;
pub mod blkid;
pub mod boot_facts_file;
pub mod btrfs_subvols;
pub mod disk_files;
pub mod efivars;
pub mod fs;
pub mod fstab_files;
pub mod fuzz_support;
pub mod gather;
pub mod grub_build;
pub mod grub_names;
pub mod handles;
pub mod host;
pub mod image;
pub mod init_files;
pub mod kernel_side;
pub mod live;
pub mod loader;
pub mod modules_tree;
pub mod partitions;
pub mod plan;
pub mod prefix_files;
pub mod progress;
pub mod raw_read;
pub mod resolve;
pub mod secure_boot;
pub mod sysfs_stack;
pub mod zfs_tree;

use std::path::{Path, PathBuf};

use crate::facts::replay;
use crate::facts::storage::{
    Disk, DiskProblem, FACTS_SCHEMA, Partition, ProblemKind, Source, Storage, TableFacts, TableKind,
};
use image::DiskBytes;

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "{path} is a {format} image, not a raw disk image: convert with qemu-img convert -O raw {path} {path}.raw"
    )]
    Format { path: String, format: &'static str },
    #[error(
        "{path} is a directory, not a disk image (for a directory that holds /boot's files, use --boot-dir {path})"
    )]
    Directory { path: String },
    #[error("{path} is not a bootvet facts file: {message}")]
    Facts { path: String, message: String },
}

impl ProbeError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        ProbeError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

/// Probes raw disk images; `paths[N]` becomes `hdN`.
pub fn probe_images(paths: &[PathBuf]) -> Result<Storage, ProbeError> {
    let mut facts = Storage::new(Source::Images);
    for (index, path) in paths.iter().enumerate() {
        let disk = handles::disk(path)?;
        let (d, problems) = describe_disk(&disk, index, &path.display().to_string(), None);
        facts.disks.push(d);
        facts.problems.extend(problems);
    }
    let shared = duplicate_ids(&facts);
    facts.problems.extend(shared);
    Ok(facts)
}

/// Identifiers that should be unique but are not, across every disk: a cloned
/// disk makes GRUB's search and the initramfs pick whichever they see first.
/// Members of one multi-device volume (btrfs, md) share a UUID by design and
/// differ in UUID_SUB; they are not reported.
pub fn duplicate_ids(facts: &Storage) -> Vec<DiskProblem> {
    use std::collections::BTreeMap;
    let mut by_uuid: BTreeMap<String, Vec<(String, Option<String>)>> = BTreeMap::new();
    let mut by_partuuid: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (v, p, fs) in crate::facts::volumes::volumes(facts) {
        if let Some(f) = fs
            && let Some(u) = &f.uuid
        {
            by_uuid
                .entry(u.to_ascii_lowercase())
                .or_default()
                .push((v.name.clone(), f.uuid_sub.clone()));
        }
        if let Some(pu) = p.and_then(|p| p.partuuid.as_ref()) {
            by_partuuid
                .entry(pu.to_ascii_lowercase())
                .or_default()
                .push(v.name.clone());
        }
    }
    let mut problems = Vec::new();
    for (uuid, holders) in by_uuid {
        let subs: Vec<&Option<String>> = holders.iter().map(|h| &h.1).collect();
        let members = subs.iter().all(|s| s.is_some())
            && subs.iter().enumerate().all(|(i, s)| !subs[..i].contains(s));
        if holders.len() > 1 && !members {
            let names: Vec<String> = holders.iter().map(|h| format!("({})", h.0)).collect();
            problems.push(DiskProblem {
                kind: ProblemKind::DuplicateFsUuid,
                device: holders[0].0.clone(),
                message: format!(
                    "filesystem UUID {uuid} is on {} volumes: {}; GRUB's search --fs-uuid and root=UUID= take the first they find",
                    holders.len(),
                    names.join(", ")
                ),
            });
        }
    }
    for (partuuid, holders) in by_partuuid {
        if holders.len() > 1 {
            let names: Vec<String> = holders.iter().map(|h| format!("({h})")).collect();
            problems.push(DiskProblem {
                kind: ProblemKind::DuplicatePartuuid,
                device: holders[0].clone(),
                message: format!(
                    "PARTUUID {partuuid} is on {} partitions: {}; root=PARTUUID= takes the first the kernel finds",
                    holders.len(),
                    names.join(", ")
                ),
            });
        }
    }
    problems
}

/// Reads the table and probes every partition of one disk. `sector_hint` is the
/// logical sector size when the device reports one.
pub fn describe_disk(
    disk: &DiskBytes,
    index: usize,
    path: &str,
    sector_hint: Option<u64>,
) -> (Disk, Vec<DiskProblem>) {
    let grub_disk = grub_names::disk_name(index);
    let read = partitions::read_table(disk, sector_hint);
    let kind = read.table.as_ref().map(|t| t.kind);
    let sector = read
        .table
        .as_ref()
        .map_or(sector_hint.unwrap_or(512), |t| t.sector_size);
    let mut problems = Vec::new();
    let mut parts = Vec::new();
    for p in &read.partitions {
        let grub_name =
            grub_names::partition_name(index, kind.unwrap_or(TableKind::Msdos), p.number);
        let filesystem = match blkid::probe_range(disk, p.start_byte, p.size_bytes) {
            Ok(Some(mut fs)) => {
                fs.size_bytes = declared_size(disk, p.start_byte, &fs.fstype);
                if let Some(size) = fs.size_bytes
                    && size > p.size_bytes
                {
                    problems.push(DiskProblem {
                        kind: ProblemKind::FilesystemLargerThanPartition,
                        device: grub_name.clone(),
                        message: format!(
                            "{} filesystem declares {size} bytes but its partition holds {}: the last {} bytes are outside it (partition shrunk?)",
                            fs.fstype,
                            p.size_bytes,
                            size - p.size_bytes
                        ),
                    });
                }
                Some(fs)
            }
            Ok(None) => None,
            Err(message) => {
                problems.push(DiskProblem {
                    kind: ProblemKind::FilesystemProbeFailed,
                    device: grub_name.clone(),
                    message,
                });
                None
            }
        };
        parts.push(Partition {
            number: p.number,
            grub_name,
            kernel_name: None,
            devno: None,
            start_byte: p.start_byte,
            size_bytes: p.size_bytes,
            type_name: p.type_name.clone(),
            type_id: p.type_id.clone(),
            partuuid: p.partuuid.clone(),
            partlabel: p.partlabel.clone(),
            logical: p.logical,
            bootable: p.bootable,
            filesystem,
            mountpoints: Vec::new(),
            holders: Vec::new(),
        });
    }
    for (kind, number, message) in read.problems {
        let device = match (number, kind_of(&read.table)) {
            (Some(n), Some(k)) => grub_names::partition_name(index, k, n),
            _ => grub_disk.clone(),
        };
        problems.push(DiskProblem {
            kind,
            device,
            message,
        });
    }
    // A whole-disk filesystem only where no table claims the disk. A table that
    // cannot be used claims nothing: GRUB's partmap and the kernel both give up
    // on it and see the whole disk, e.g. ext4 over a stale backup GPT header.
    let filesystem = if read.table.is_none() {
        blkid::probe_range(disk, 0, disk.size())
            .ok()
            .flatten()
            .map(|mut fs| {
                fs.size_bytes = declared_size(disk, 0, &fs.fstype);
                fs
            })
    } else {
        None
    };
    let d = Disk {
        grub_name: grub_disk,
        path: path.to_string(),
        kernel_name: None,
        devno: None,
        size_bytes: disk.size(),
        logical_sector_size: sector,
        physical_sector_size: sector,
        removable: false,
        holders: Vec::new(),
        table: read.table,
        table_error: read.error,
        partitions: parts,
        filesystem,
        mountpoints: Vec::new(),
    };
    (d, problems)
}

/// What the filesystem says its own size is, for the types bootvet reads.
fn declared_size(disk: &DiskBytes, start: u64, fstype: &str) -> Option<u64> {
    match fstype {
        "ext2" | "ext3" | "ext4" => fs::ext4::declared_size(disk, start),
        "vfat" => fs::fat::declared_size(disk, start),
        _ => None,
    }
}

fn kind_of(table: &Option<TableFacts>) -> Option<TableKind> {
    table.as_ref().map(|t| t.kind)
}

/// Reads a facts file written by `--dump-facts`.
pub fn load_facts(path: &Path) -> Result<Storage, ProbeError> {
    // Facts of a real machine are kilobytes; a bigger file is not one of ours.
    const MAX_FACTS_BYTES: u64 = 64 << 20;
    let len = std::fs::metadata(path)
        .map_err(|e| ProbeError::io(path, e))?
        .len();
    if len > MAX_FACTS_BYTES {
        return Err(ProbeError::Facts {
            path: path.display().to_string(),
            message: format!("{len} bytes is more than any facts file"),
        });
    }
    let text = std::fs::read_to_string(path).map_err(|e| ProbeError::io(path, e))?;
    let mut facts: Storage = serde_json::from_str(&text).map_err(|e| ProbeError::Facts {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    if facts.schema != FACTS_SCHEMA {
        return Err(ProbeError::Facts {
            path: path.display().to_string(),
            message: format!(
                "schema is {:?}, this bootvet reads {FACTS_SCHEMA:?}",
                facts.schema
            ),
        });
    }
    facts.source = replay::replayed(facts.source, &path.display().to_string());
    Ok(facts)
}

/// Writes facts as JSON (the only file bootvet ever writes, and only when asked).
pub fn dump_facts(facts: &Storage, path: &Path) -> Result<(), ProbeError> {
    let mut text = serde_json::to_string_pretty(facts).map_err(|e| ProbeError::Facts {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    text.push('\n');
    std::fs::write(path, text).map_err(|e| ProbeError::io(path, e))
}
