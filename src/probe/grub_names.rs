//! GRUB device names: `(hdN)`, `(hdN,gptM)`, `(hdN,msdosM)`, parsing them as GRUB
//! does and deciding which disk is `hdN`.
//!
//! The rule for `N`: with images, the order of `--image` (the firmware's order).
//! On the live system, `/boot/grub/device.map` when present (what grub-install
//! and grub-probe honour); otherwise the kernel's disk order (sd*, nvme*, vd*,
//! hd*, mmcblk*, sorted by name). That last one is a guess: BIOS numbers disks in
//! the firmware's boot order, which Linux cannot see — which is why generated
//! grub.cfg files find their root with `search --fs-uuid` instead of a name.
//! Partition numbers follow GRUB's partmaps: the GPT entry index (1-based), the
//! MBR slot 1–4, and logical partitions from 5 in chain order. Must do no IO.

use crate::facts::storage::TableKind;

pub fn disk_name(index: usize) -> String {
    format!("hd{index}")
}

pub fn partition_name(disk_index: usize, kind: TableKind, number: u32) -> String {
    format!("hd{disk_index},{}{number}", kind.grub_partmap())
}

/// A GRUB device expression, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrubDevice {
    Disk(usize),
    Partition {
        disk: usize,
        /// `gpt`/`msdos`, or `None` for `hd0,2` (GRUB matches any partmap).
        partmap: Option<String>,
        number: u32,
    },
}

/// Parses `(hd0,gpt2)`, `hd0,gpt2`, `hd0,2`, `(hd1)`. Other GRUB devices
/// (`(cd0)`, `(md/0)`, `(lvm/…)`, nested `(hd0,msdos1,bsd1)`) give `None`.
pub fn parse_grub_device(text: &str) -> Option<GrubDevice> {
    let t = text.trim();
    let t = t
        .strip_prefix('(')
        .map_or(t, |s| s.strip_suffix(')').unwrap_or(s));
    let mut parts = t.split(',');
    let disk = parts.next()?.strip_prefix("hd")?;
    if disk.is_empty() || !disk.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let disk: usize = disk.parse().ok()?;
    let Some(part) = parts.next() else {
        return Some(GrubDevice::Disk(disk));
    };
    if parts.next().is_some() {
        return None;
    }
    let split = part.find(|c: char| c.is_ascii_digit())?;
    let (map, num) = part.split_at(split);
    if !num.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number: u32 = num.parse().ok()?;
    let partmap = match map {
        "" => None,
        "gpt" | "msdos" => Some(map.to_string()),
        _ => return None,
    };
    Some(GrubDevice::Partition {
        disk,
        partmap,
        number,
    })
}

/// Reads a device.map: lines `(hd0) /dev/sda`, `#` comments. Returns (index, path).
pub fn parse_device_map(text: &str) -> Vec<(usize, String)> {
    text.lines()
        .filter_map(|line| {
            let line = line.split('#').next()?.trim();
            let (name, path) = line.split_once(char::is_whitespace)?;
            match parse_grub_device(name)? {
                GrubDevice::Disk(n) => Some((n, path.trim().to_string())),
                GrubDevice::Partition { .. } => None,
            }
        })
        .collect()
}

/// Sort key for the kernel-order guess: the bus families in the order distro
/// installers usually see them, then natural order within a family.
pub fn kernel_order_key(name: &str) -> (u8, usize, String) {
    let family = ["sd", "nvme", "vd", "xvd", "hd", "mmcblk"]
        .iter()
        .position(|p| name.starts_with(p))
        .unwrap_or(9) as u8;
    (family, name.len(), name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_grub_device_forms() {
        let p = |d, m: Option<&str>, n| GrubDevice::Partition {
            disk: d,
            partmap: m.map(str::to_string),
            number: n,
        };
        assert_eq!(parse_grub_device("(hd0,gpt2)"), Some(p(0, Some("gpt"), 2)));
        assert_eq!(
            parse_grub_device("hd1,msdos5"),
            Some(p(1, Some("msdos"), 5))
        );
        assert_eq!(parse_grub_device("hd0,2"), Some(p(0, None, 2)));
        assert_eq!(parse_grub_device("(hd3)"), Some(GrubDevice::Disk(3)));
        assert_eq!(parse_grub_device("(cd0)"), None);
        assert_eq!(parse_grub_device("(hd0,msdos1,bsd1)"), None);
        assert_eq!(parse_grub_device("(hd0,gptx)"), None);
        assert_eq!(parse_grub_device("hd"), None);
    }

    #[test]
    fn reads_device_map_lines() {
        let map = "# comment\n(hd0)\t/dev/disk/by-id/ata-X\n(hd1) /dev/sdb\n(fd0) /dev/fd0\n";
        assert_eq!(
            parse_device_map(map),
            vec![
                (0, "/dev/disk/by-id/ata-X".to_string()),
                (1, "/dev/sdb".to_string())
            ]
        );
    }

    #[test]
    fn kernel_order_puts_sdb_before_sdaa_and_sd_before_nvme() {
        let mut v = vec!["nvme0n1", "sdaa", "sdb", "sda", "vda"];
        v.sort_by_key(|n| kernel_order_key(n));
        assert_eq!(v, vec!["sda", "sdb", "sdaa", "nvme0n1", "vda"]);
    }
}
