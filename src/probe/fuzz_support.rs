//! Entry points for fuzzing: arbitrary bytes as a disk image, run through every
//! reader of untrusted bytes (partition tables, libblkid, ext4, FAT). The cargo-fuzz
//! targets in `fuzz/` and the in-CI `#[test]` runner both call these, so CI
//! exercises the same code the fuzzer does.
//!
//! Must not panic, hang or allocate without bound on any input; that is the
//! property being tested. The bytes go through an anonymous memory file (memfd),
//! never a file on disk.

use std::io::Write;

use super::fs::{self, VolumeFiles};
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
        if e.kind == fs::FileKind::Directory {
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
