//! Renders disk facts for `bootvet devices`: one block per disk, an aligned table
//! of partitions (like `lsblk -f` with GRUB names), then the problems found.
//! Does no IO: it is handed the facts and returns text.

use std::fmt::Write;

use colored::Colorize;

use crate::facts::storage::{Disk, Filesystem, HeaderState, OfflineAccess, Storage, TableKind};
use crate::units::human_size;

pub fn render_devices(facts: &Storage) -> String {
    let mut out = String::new();
    if facts.disks.is_empty() {
        out.push_str("no disks found\n");
    }
    for disk in &facts.disks {
        render_disk(&mut out, disk);
        out.push('\n');
    }
    let (notes, problems): (Vec<_>, Vec<_>) = facts
        .problems
        .iter()
        .partition(|p| p.kind.is_informational());
    if !problems.is_empty() {
        let _ = writeln!(out, "{}", "problems:".bold());
        for p in problems {
            let _ = writeln!(out, "  {} {}: {}", "✗".red(), p.device.bold(), p.message);
        }
    }
    if !notes.is_empty() {
        let _ = writeln!(out, "{}", "notes:".bold());
        for p in notes {
            let _ = writeln!(out, "  {} {}: {}", "·".dimmed(), p.device.bold(), p.message);
        }
    }
    out
}

fn render_disk(out: &mut String, disk: &Disk) {
    let mut line = format!(
        "({}) {}  {}  sectors {}/{}",
        disk.grub_name,
        disk.path,
        human_size(disk.size_bytes),
        disk.logical_sector_size,
        disk.physical_sector_size
    );
    if let Some(k) = &disk.kernel_name {
        let _ = write!(line, "  kernel {k}");
    }
    if let Some(d) = &disk.devno {
        let _ = write!(line, " [{d}]");
    }
    if disk.removable {
        line.push_str("  removable");
    }
    let _ = writeln!(out, "{}", line.bold());
    match &disk.table {
        Some(t) => {
            let mut desc = format!("  table: {} {}", t.kind.grub_partmap(), t.id);
            if t.kind == TableKind::Gpt {
                let state = |h: &Option<HeaderState>| match h {
                    Some(HeaderState::Valid) => "ok".to_string(),
                    Some(HeaderState::Invalid { .. }) => "BAD".to_string(),
                    None => "-".to_string(),
                };
                let _ = write!(
                    desc,
                    "  primary header {}, backup header {}, entries from {}",
                    state(&t.primary_header),
                    state(&t.backup_header),
                    t.entries_from.as_deref().unwrap_or("-")
                );
                if t.hybrid_mbr {
                    desc.push_str(", hybrid MBR");
                }
            }
            let _ = writeln!(out, "{desc}");
        }
        None => {
            let what = disk.table_error.as_deref().unwrap_or("no partition table");
            let _ = writeln!(out, "  table: {what}");
        }
    }
    if !disk.holders.is_empty() {
        let _ = writeln!(out, "  holders: {}", disk.holders.join(", "));
    }
    let header = [
        "GRUB",
        "KERNEL",
        "START",
        "SIZE",
        "TYPE",
        "FSTYPE",
        "LABEL",
        "UUID",
        "PARTUUID",
        "PARTLABEL",
        "MOUNTPOINTS",
    ];
    let mut rows: Vec<Vec<String>> = Vec::new();
    if let Some(fs) = &disk.filesystem {
        let kernel = disk.kernel_name.as_ref().map(|k| format!("/dev/{k}"));
        rows.push(fs_row(
            &disk.grub_name,
            kernel.as_deref(),
            0,
            disk.size_bytes,
            "(whole disk)",
            Some(fs),
            None,
            None,
            &disk.mountpoints,
        ));
    }
    for p in &disk.partitions {
        rows.push(fs_row(
            &p.grub_name,
            p.kernel_name.as_deref(),
            p.start_byte,
            p.size_bytes,
            &p.type_name,
            p.filesystem.as_ref(),
            p.partuuid.as_deref(),
            p.partlabel.as_deref(),
            &p.mountpoints,
        ));
    }
    if rows.is_empty() {
        return;
    }
    // Drop columns empty on every row (no kernel names for images, etc.).
    let keep: Vec<bool> = (0..header.len())
        .map(|c| rows.iter().any(|r| !r[c].is_empty()))
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([header[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let render_row = |cells: &[String]| {
        let mut s = String::from(" ");
        for (c, cell) in cells.iter().enumerate() {
            if !keep[c] {
                continue;
            }
            let pad = widths[c].saturating_sub(cell.chars().count());
            // Numbers align right, text left.
            if c == 2 || c == 3 {
                let _ = write!(s, " {}{}", " ".repeat(pad), cell);
            } else {
                let _ = write!(s, " {}{}", cell, " ".repeat(pad));
            }
        }
        s.trim_end().to_string()
    };
    let head: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    let _ = writeln!(out, "{}", render_row(&head).dimmed());
    for r in &rows {
        let _ = writeln!(out, "{}", render_row(r));
    }
    for p in &disk.partitions {
        if !p.holders.is_empty() {
            let _ = writeln!(out, "  ({}): held by {}", p.grub_name, p.holders.join(", "));
        }
        if let Some(Filesystem {
            offline: OfflineAccess::NotReadable { reason },
            ..
        }) = &p.filesystem
        {
            let _ = writeln!(out, "  {}: {}", p.grub_name, reason.dimmed());
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn fs_row(
    grub: &str,
    kernel: Option<&str>,
    start: u64,
    size: u64,
    type_name: &str,
    fs: Option<&Filesystem>,
    partuuid: Option<&str>,
    partlabel: Option<&str>,
    mounts: &[String],
) -> Vec<String> {
    let opt = |v: Option<&str>| v.unwrap_or("").to_string();
    vec![
        format!("({grub})"),
        opt(kernel),
        start.to_string(),
        human_size(size),
        type_name.to_string(),
        opt(fs.map(|f| f.fstype.as_str())),
        opt(fs.and_then(|f| f.label.as_deref())),
        opt(fs.and_then(|f| f.uuid.as_deref())),
        opt(partuuid),
        opt(partlabel),
        mounts.join(","),
    ]
}
