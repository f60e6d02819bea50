//! Filesystem identity through libblkid (the `libblkid-rs` binding): TYPE, UUID,
//! UUID_SUB, LABEL, VERSION, USAGE of whatever lies in a byte range of a disk,
//! and an ext2/3/4 superblock's feature words, which libblkid does not report.
//!
//! Probes a byte range of an already-open read-only file descriptor, so images are
//! probed at a partition's offset without loop devices. PARTUUID and PARTLABEL do
//! not come from here (libblkid takes them from the parent disk through sysfs);
//! `partitions` reads them from the table. Must never open or write anything.

use std::collections::BTreeMap;
use std::os::fd::AsRawFd;

use libblkid_rs::{BlkidProbe, BlkidSafeprobeRet, BlkidSublks, BlkidSublksFlags};

use super::image::DiskBytes;
use crate::facts::storage::{Filesystem, OfflineAccess};

/// Probes `size` bytes at `offset` of `disk`. `Ok(None)`: nothing recognised.
pub fn probe_range(disk: &DiskBytes, offset: u64, size: u64) -> Result<Option<Filesystem>, String> {
    let size = size.min(disk.size().saturating_sub(offset));
    if size == 0 {
        return Ok(None);
    }
    let off = i64::try_from(offset).map_err(|_| "offset out of range".to_string())?;
    let len = i64::try_from(size).map_err(|_| "size out of range".to_string())?;
    let mut probe = BlkidProbe::new().map_err(|e| format!("libblkid: {e}"))?;
    probe
        .set_device(disk.file().as_raw_fd(), off, len)
        .map_err(|e| format!("libblkid cannot use the device: {e}"))?;
    probe
        .enable_superblocks(true)
        .and_then(|_| {
            probe.set_superblock_flags(BlkidSublksFlags::new(vec![
                BlkidSublks::Label,
                BlkidSublks::Uuid,
                BlkidSublks::Type,
                BlkidSublks::Sectype,
                BlkidSublks::Usage,
                BlkidSublks::Version,
            ]))
        })
        .and_then(|_| probe.enable_partitions(false))
        .map_err(|e| format!("libblkid setup: {e}"))?;
    match probe.do_safeprobe() {
        Ok(BlkidSafeprobeRet::Success) => {}
        Ok(BlkidSafeprobeRet::None) => return Ok(None),
        Ok(BlkidSafeprobeRet::Ambiguous) => {
            return Err("libblkid found several conflicting signatures (ambiguous probe)".into());
        }
        Err(e) => return Err(format!("libblkid probe failed: {e}")),
    }
    let mut values = BTreeMap::new();
    let count = probe.numof_values().unwrap_or(0);
    for i in 0..count {
        // A value that is not UTF-8 (a hostile label) is left out rather than guessed.
        if let Ok((name, value)) = probe.get_value(i as libc::c_uint) {
            values.insert(name, value);
        }
    }
    let Some(fstype) = values.get("TYPE").cloned() else {
        return Ok(None);
    };
    // libblkid names the type by these words too but does not report them; the
    // kernel's ext2 and ext3 types judge by them (BV4210).
    let ext_features = matches!(fstype.as_str(), "ext2" | "ext3" | "ext4" | "ext4dev")
        .then(|| super::fs::ext4::features(disk, offset))
        .flatten();
    Ok(Some(Filesystem {
        ext_features,
        offline: offline_access(&fstype),
        usage: values.get("USAGE").cloned(),
        uuid: values.get("UUID").cloned(),
        uuid_sub: values.get("UUID_SUB").cloned(),
        label: values.get("LABEL").cloned(),
        version: values.get("VERSION").cloned(),
        block_size: values.get("BLOCK_SIZE").and_then(|v| v.parse().ok()),
        size_bytes: None,
        fstype,
        blkid: values,
    }))
}

/// Which filesystem types bootvet reads from raw bytes; everything else needs the
/// running system (a mount point) to be read.
pub fn offline_access(fstype: &str) -> OfflineAccess {
    match fstype {
        "ext2" | "ext3" | "ext4" | "vfat" => OfflineAccess::Readable,
        other => OfflineAccess::NotReadable {
            reason: format!(
                "cannot read {other} without mounting; run on the live system or mount it"
            ),
        },
    }
}
