//! The resolver: which volume a name designates — fs UUID, LABEL, PARTUUID,
//! PARTLABEL, a GRUB device, a kernel device path, `MAJ:MIN`, or GRUB's
//! `search --file`. The answer is none, one, or several (each named): never a
//! silent guess. Several are listed in GRUB's probe order (disk order, then
//! partition order), so the first is the one `search --set` would pick.
//!
//! Matching follows the consumer: GRUB compares fs UUIDs case-insensitively and
//! labels exactly (grub-core/commands/search.c); the kernel's `root=PARTUUID=`
//! is case-insensitive and takes `/PARTNROFF=N`; `root=UUID=`/`LABEL=` are the
//! initramfs's business (udev links, exact match). Reads facts only, except
//! `search_file`, which opens volumes through `fs`, and `/dev/disk/by-id` links,
//! which exist only on the live system.

use super::fs::{FileError, VolumeFiles};
use super::grub_names::{GrubDevice, parse_grub_device};
use crate::facts::files::FileKind;
use crate::facts::storage::{Filesystem, Partition, Source, Storage};
use crate::facts::volumes::{Resolution, VolumeRef, volumes};

/// What a name designates, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    FsUuid(String),
    Label(String),
    /// PARTUUID, with the kernel's optional `/PARTNROFF=N` (partition number offset).
    PartUuid {
        uuid: String,
        offset: i64,
    },
    PartLabel(String),
    Grub(GrubDevice),
    /// A device node or link: `/dev/sda2`, `/dev/disk/by-…/…`, `/dev/mapper/…`.
    DevicePath(String),
    DevNo {
        major: u32,
        minor: u32,
    },
}

impl Query {
    /// Parses the forms found in grub.cfg, fstab and `root=`.
    pub fn parse(text: &str) -> Result<Query, String> {
        let t = text.trim();
        let value = |prefix: &str| {
            t.strip_prefix(prefix)
                .map(|v| v.trim_matches('"').to_string())
        };
        if let Some(v) = value("UUID=") {
            return Ok(Query::FsUuid(v));
        }
        if let Some(v) = value("LABEL=") {
            return Ok(Query::Label(v));
        }
        if let Some(v) = value("PARTUUID=") {
            let (uuid, offset) = match v.split_once("/PARTNROFF=") {
                Some((u, o)) => (
                    u.to_string(),
                    o.parse().map_err(|_| format!("bad PARTNROFF in '{t}'"))?,
                ),
                None => (v, 0),
            };
            return Ok(Query::PartUuid { uuid, offset });
        }
        if let Some(v) = value("PARTLABEL=") {
            return Ok(Query::PartLabel(v));
        }
        if t.starts_with('/') {
            return Ok(Query::DevicePath(t.to_string()));
        }
        if let Some(g) = parse_grub_device(t) {
            return Ok(Query::Grub(g));
        }
        if let Some((a, b)) = t.split_once(':')
            && let (Ok(major), Ok(minor)) = (a.parse(), b.parse())
        {
            return Ok(Query::DevNo { major, minor });
        }
        Err(format!("'{t}' is not a device name bootvet understands"))
    }
}

/// The whole disk `hdN` as a volume, whether or not it carries a filesystem.
fn disk_volume(facts: &Storage, d: usize) -> Option<VolumeRef> {
    let disk = facts.disks.get(d)?;
    Some(VolumeRef {
        disk: Some(d),
        partition: None,
        name: disk.grub_name.clone(),
        kernel_name: disk.kernel_name.as_ref().map(|k| format!("/dev/{k}")),
    })
}

pub fn resolve(facts: &Storage, query: &Query) -> Resolution {
    let all = volumes(facts);
    let pick = |f: &dyn Fn(Option<&Partition>, Option<&Filesystem>) -> bool| {
        Resolution::from_vec(
            all.iter()
                .filter(|(_, p, fs)| f(*p, *fs))
                .map(|(v, _, _)| v.clone())
                .collect(),
        )
    };
    match query {
        Query::FsUuid(u) => pick(&|_, fs| {
            fs.and_then(|f| f.uuid.as_deref())
                .is_some_and(|x| x.eq_ignore_ascii_case(u))
        }),
        Query::Label(l) => pick(&|_, fs| fs.and_then(|f| f.label.as_deref()) == Some(l.as_str())),
        Query::PartLabel(l) => {
            pick(&|p, _| p.and_then(|p| p.partlabel.as_deref()) == Some(l.as_str()))
        }
        Query::PartUuid { uuid, offset } => {
            let base: Vec<&VolumeRef> = all
                .iter()
                .filter(|(_, p, _)| {
                    p.and_then(|p| p.partuuid.as_deref())
                        .is_some_and(|x| x.eq_ignore_ascii_case(uuid))
                })
                .map(|(v, _, _)| v)
                .collect();
            let shifted = base
                .iter()
                .filter_map(|v| {
                    if *offset == 0 {
                        return Some((*v).clone());
                    }
                    let disk = v.disk.and_then(|d| facts.disks.get(d))?;
                    let number = i64::from(disk.partitions[v.partition?].number) + offset;
                    all.iter()
                        .find(|(w, p, _)| {
                            w.disk == v.disk && p.is_some_and(|p| i64::from(p.number) == number)
                        })
                        .map(|(w, _, _)| w.clone())
                })
                .collect();
            Resolution::from_vec(shifted)
        }
        Query::Grub(GrubDevice::Disk(d)) => {
            Resolution::from_vec(disk_volume(facts, *d).into_iter().collect())
        }
        Query::Grub(GrubDevice::Partition {
            disk,
            partmap,
            number,
        }) => Resolution::from_vec(
            all.iter()
                .filter(|(v, p, _)| {
                    v.disk == Some(*disk)
                        && p.is_some_and(|p| p.number == *number)
                        && partmap.as_ref().is_none_or(|m| {
                            facts.disks[*disk]
                                .table
                                .as_ref()
                                .is_some_and(|t| t.kind.grub_partmap() == m)
                        })
                })
                .map(|(v, _, _)| v.clone())
                .collect(),
        ),
        Query::DevNo { major, minor } => {
            let want = format!("{major}:{minor}");
            let mut found: Vec<VolumeRef> = facts
                .disks
                .iter()
                .enumerate()
                .filter(|(_, d)| d.devno.as_deref() == Some(want.as_str()))
                .filter_map(|(i, _)| disk_volume(facts, i))
                .collect();
            found.extend(
                all.iter()
                    .filter(|(_, p, _)| p.and_then(|p| p.devno.as_deref()) == Some(want.as_str()))
                    .map(|(v, _, _)| v.clone()),
            );
            Resolution::from_vec(found)
        }
        Query::DevicePath(path) => resolve_path(facts, path),
    }
}

/// Undoes udev's `\xHH` escaping in /dev/disk/by-label and by-partlabel names.
fn unescape_udev(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && bytes.get(i + 1) == Some(&b'x')
            && let Some(h) = name.get(i + 2..i + 4)
            && let Ok(b) = u8::from_str_radix(h, 16)
        {
            out.push(b);
            i += 4;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn resolve_path(facts: &Storage, path: &str) -> Resolution {
    let by = |kind: &str| path.strip_prefix(&format!("/dev/disk/{kind}/"));
    // udev link names are exact (no case folding), unlike GRUB's UUID search.
    if let Some(u) = by("by-uuid") {
        return resolve_exact(facts, |_, fs| fs.and_then(|f| f.uuid.as_deref()) == Some(u));
    }
    if let Some(u) = by("by-partuuid") {
        return resolve_exact(facts, |p, _| {
            p.and_then(|p| p.partuuid.as_deref()) == Some(u)
        });
    }
    if let Some(l) = by("by-label") {
        let l = unescape_udev(l);
        return resolve_exact(facts, |_, fs| {
            fs.and_then(|f| f.label.as_deref()) == Some(l.as_str())
        });
    }
    if let Some(l) = by("by-partlabel") {
        let l = unescape_udev(l);
        return resolve_exact(facts, |p, _| {
            p.and_then(|p| p.partlabel.as_deref()) == Some(l.as_str())
        });
    }
    // Other links (by-id, by-path, /dev/mapper, /dev/root) only mean something on
    // the machine that has them: follow them there.
    let mut target = path.to_string();
    if matches!(facts.source, Source::Live { .. })
        && let Ok(real) = std::fs::canonicalize(path)
    {
        target = real.display().to_string();
    }
    let name = target.strip_prefix("/dev/").unwrap_or(&target);
    let mut found = Vec::new();
    for (d, disk) in facts.disks.iter().enumerate() {
        if disk.kernel_name.as_deref() == Some(name) || disk.path == target {
            found.extend(disk_volume(facts, d));
        }
    }
    found.extend(
        volumes(facts)
            .into_iter()
            .filter(|(v, _, _)| {
                v.partition.is_some() && v.kernel_name.as_deref() == Some(target.as_str())
            })
            .map(|(v, _, _)| v),
    );
    Resolution::from_vec(found)
}

fn resolve_exact(
    facts: &Storage,
    f: impl Fn(Option<&Partition>, Option<&Filesystem>) -> bool,
) -> Resolution {
    Resolution::from_vec(
        volumes(facts)
            .into_iter()
            .filter(|(_, p, fs)| f(*p, *fs))
            .map(|(v, _, _)| v)
            .collect(),
    )
}

/// GRUB's `search --file PATH`: every volume on which PATH exists as a file.
/// Volumes whose files cannot be read are returned apart, with the reason, so a
/// caller can say "not found on the readable volumes; N could not be read".
pub fn search_file(
    facts: &Storage,
    path: &str,
    open: impl Fn(&VolumeRef) -> Result<Box<dyn VolumeFiles>, FileError>,
) -> (Resolution, Vec<(VolumeRef, FileError)>) {
    let mut found = Vec::new();
    let mut unreadable = Vec::new();
    for (v, _, fs) in volumes(facts) {
        if fs.is_none() {
            continue;
        }
        match open(&v).and_then(|files| files.stat(path)) {
            Ok(stat) if stat.kind != FileKind::Directory => found.push(v),
            Ok(_) | Err(FileError::NotFound(_)) | Err(FileError::NotADirectory(_)) => {}
            Err(e) => unreadable.push((v, e)),
        }
    }
    (Resolution::from_vec(found), unreadable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_name_form() {
        let q = |s| Query::parse(s).unwrap();
        assert_eq!(q("UUID=abcd"), Query::FsUuid("abcd".into()));
        assert_eq!(q("LABEL=\"my root\""), Query::Label("my root".into()));
        assert_eq!(
            q("PARTUUID=deadbeef-02/PARTNROFF=1"),
            Query::PartUuid {
                uuid: "deadbeef-02".into(),
                offset: 1
            }
        );
        assert_eq!(q("PARTLABEL=ESP"), Query::PartLabel("ESP".into()));
        assert_eq!(q("/dev/sda2"), Query::DevicePath("/dev/sda2".into()));
        assert_eq!(q("8:2"), Query::DevNo { major: 8, minor: 2 });
        assert!(matches!(q("(hd0,gpt2)"), Query::Grub(_)));
        assert!(Query::parse("PARTUUID=x/PARTNROFF=z").is_err());
        assert!(Query::parse("whatever").is_err());
    }

    #[test]
    fn udev_escapes_are_undone() {
        assert_eq!(unescape_udev("EFI\\x20System"), "EFI System");
        assert_eq!(unescape_udev("a\\x2fb"), "a/b");
        assert_eq!(unescape_udev("bad\\xZZ"), "bad\\xZZ");
        assert_eq!(unescape_udev("tail\\x2"), "tail\\x2");
    }
}
