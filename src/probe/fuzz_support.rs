//! Entry points for fuzzing: arbitrary bytes as a disk image, run through every
//! reader of untrusted bytes (partition tables, libblkid, ext4, FAT, the host
//! state's superblock reader). The cargo-fuzz
//! targets in `fuzz/` and the in-CI `#[test]` runner both call these, so CI
//! exercises the same code the fuzzer does.
//!
//! Must not panic, hang or allocate without bound on any input; that is the
//! property being tested. The bytes go through an anonymous memory file (memfd),
//! never a file on disk.

use std::io::Write;

use super::fs::{self, VolumeFiles};
use super::host;
use super::image::DiskBytes;
use super::partitions;

/// A disk image in memory, behind the same `DiskBytes` the real readers use.
pub fn disk_from_bytes(data: &[u8]) -> std::io::Result<DiskBytes> {
    // SAFETY: the name is a valid NUL-terminated string; the returned descriptor
    // is owned by the File below and closed with it.
    let fd = unsafe { libc::memfd_create(c"bootvet-fuzz".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh descriptor that nothing else owns.
    let mut file = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    file.write_all(data)?;
    DiskBytes::from_file(file)
}

/// Partition tables and filesystem identity: what `bootvet devices --image` does.
pub fn fuzz_disk_image(data: &[u8]) {
    let Ok(disk) = disk_from_bytes(data) else {
        return;
    };
    let _ = partitions::read_table(&disk, None);
    let _ = super::describe_disk(&disk, 0, "fuzz", None);
}

/// The offline filesystem readers over the whole input: walk the tree a little,
/// stat and read every file found (bounded).
pub fn fuzz_filesystems(data: &[u8]) {
    let Ok(disk) = disk_from_bytes(data) else {
        return;
    };
    for fstype in ["ext4", "vfat"] {
        if let Ok(v) = fs::open_offline(disk.clone(), "fuzz", 0, disk.size(), fstype) {
            walk(v.as_ref(), "/", 0);
        }
    }
}

/// What `host` reads from an image's bytes for BV5005–BV5007: the ext2/3/4
/// superblock (free space, size, `needs_recovery`) of the whole image and of
/// every partition its table names, then each volume's root and /boot listings
/// sorted into initrds and leftovers as `host` sorts them.
///
/// Panics if the superblock reader reports more free bytes than the filesystem
/// has, or a size that is not a whole number of blocks: the facts BV5005 compares.
pub fn fuzz_host_state(data: &[u8]) {
    let Ok(disk) = disk_from_bytes(data) else {
        return;
    };
    let mut volumes = vec![(0, disk.size())];
    let table = partitions::read_table(&disk, None);
    volumes.extend(
        table
            .partitions
            .iter()
            .take(16)
            .map(|p| (p.start_byte, p.size_bytes)),
    );
    for (start, len) in volumes {
        if let Ok(Some(state)) = host::read_ext_state(&disk, start, len) {
            assert!(state.free_bytes <= state.size_bytes, "{state:?}");
            assert_eq!(state.size_bytes % 1024, 0, "{state:?}");
        }
        for fstype in ["ext4", "vfat"] {
            let Ok(v) = fs::open_offline(disk.clone(), "fuzz", start, len, fstype) else {
                continue;
            };
            for dir in ["/", "/boot"] {
                for e in v.list_dir(dir).unwrap_or_default().into_iter().take(4096) {
                    let _ = (host::is_leftover(&e.name), host::is_initrd_name(&e.name));
                }
            }
        }
    }
}

/// The body of the `tabs` fuzz target: arbitrary bytes as /etc/crypttab and as
/// /etc/fstab (`fstab_files`), each line resolved against disks that hold
/// nothing, then what the checks make of it (`check::fuzz_tab_line`: the wait,
/// the timeout, the unit names, the console lines).
///
/// Panics if lines come out of order or past the cap, a field is empty, a raw
/// comment line is kept, an escape makes a field longer, or a name is found on no
/// disks.
pub fn fuzz_tabs(data: &[u8]) {
    use super::fstab_files::{MAX_TAB_LINES, crypttab_line, fstab_line, parse, unescape_octal};
    use crate::facts::fstab::TabDevice;
    use crate::facts::storage::{Source, Storage};

    let storage = Storage {
        schema: String::new(),
        source: Source::Images,
        disks: Vec::new(),
        problems: Vec::new(),
    };
    let fields = parse(data);
    assert!(fields.len() <= MAX_TAB_LINES);
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.lines().collect();
    let mut last = 0;
    for f in &fields {
        assert!(f.line > last, "line {} after {last}", f.line);
        last = f.line;
        assert!(!f.fields.is_empty());
        // A comment is a line whose raw first word starts with `#`, as libmount
        // reads it; `\043` decodes to a name that starts with one.
        let raw = lines
            .get(f.line - 1)
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or_default();
        assert!(!raw.starts_with('#'), "a comment kept: {f:?}");
        assert_eq!(unescape_octal(raw), f.fields[0], "{f:?}");
        assert!(f.fields.iter().all(|x| !x.is_empty()), "{f:?}");
    }
    for word in text.split_whitespace().take(4096) {
        assert!(unescape_octal(word).chars().count() <= word.chars().count());
    }
    let crypttab: Vec<_> = fields
        .iter()
        .map(|f| crypttab_line(&storage, f.clone()))
        .collect();
    let fstab: Vec<_> = fields
        .iter()
        .map(|f| fstab_line(&storage, f.clone(), &crypttab))
        .collect();
    for line in crypttab.iter().chain(&fstab) {
        assert!(
            !matches!(line.device, TabDevice::Found { .. }),
            "found on no disks: {line:?}"
        );
        crate::check::fuzz_tab_line(line);
    }
    // The same bytes as /etc/passwd or /etc/shadow: root's field, as sulogin
    // reads it, is a part of one `root:` line and never spans lines.
    if let Some(field) = super::fstab_files::root_field(data) {
        assert!(!field.contains('\n') && !field.contains(':'), "{field:?}");
        let state = super::fstab_files::password_state(&field);
        assert_eq!(
            field.is_empty(),
            state == crate::facts::fstab::RootPassword::Empty
        );
    }
}

fn walk(v: &dyn VolumeFiles, dir: &str, depth: usize) {
    if depth > 4 {
        return;
    }
    let Ok(entries) = v.list_dir(dir) else {
        return;
    };
    for e in entries.into_iter().take(64) {
        let path = format!("{}/{}", dir.trim_end_matches('/'), e.name);
        let _ = v.stat(&path);
        if e.kind == crate::facts::files::FileKind::Directory {
            walk(v, &path, depth + 1);
        } else if let Ok(mut f) = v.open(&path) {
            let mut buf = vec![0u8; 1 << 16];
            let mut total = 0usize;
            // Bounded: a lying size must not make the fuzzer read gigabytes.
            while total < 4 << 20 {
                match std::io::Read::read(&mut f, &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => total += n,
                }
            }
        }
    }
}
