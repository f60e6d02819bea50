//! SBAT revocation levels (reference secure-boot.md §4, shim `sbat.c`): the
//! `SbatLevel` variable's text (`sbat,1,YYYYMMDDHH`, then `component,generation`
//! lines), shim's `.sbatlevel` section (`u32 0, u32 automatic_off, u32 latest_off`,
//! offsets from byte 4, NUL-terminated levels), and shim's rule
//! (`verify_single_entry()`): for each row of an image, the *first* level row of
//! the same component revokes it when the image's generation is lower; components
//! the level does not list pass; non-numeric generations read as 0 (`atoi`).
//!
//! The `sbat` crate validates differently from shim (every same-name row,
//! character set, numeric generations), so the rule is written here as shim has it.

use serde::{Deserialize, Serialize};

use crate::inspect::grub_image::efi::SbatRow;

/// Longest level text read (real ones are < 200 bytes).
const MAX_LEVEL: usize = 16 << 10;
const MAX_ROWS: usize = 256;

/// One SBAT level: its datestamp and its `component,generation` rows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SbatLevel {
    /// The `sbat,1,DATESTAMP` header's datestamp (`YYYYMMDDHH`), `None` if absent.
    pub datestamp: Option<u64>,
    pub rows: Vec<(String, u32)>,
}

/// shim's built-in levels (`.sbatlevel`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SbatLevels {
    /// Applied by default in secure mode (shim ≤ 15.7 called it "previous").
    pub automatic: SbatLevel,
    /// Applied when `SbatPolicy` asks for latest.
    pub latest: SbatLevel,
}

/// C's `atoi`: leading digits, else 0.
fn atoi(s: &str) -> u32 {
    let s = s.trim_start();
    let digits: String = s.chars().take_while(char::is_ascii_digit).take(9).collect();
    digits.parse().unwrap_or(0)
}

/// Parses level text up to the first NUL.
pub fn parse_level(data: &[u8]) -> SbatLevel {
    let data = &data[..data.len().min(MAX_LEVEL)];
    let text = &data[..data.iter().position(|&b| b == 0).unwrap_or(data.len())];
    let text = String::from_utf8_lossy(text);
    let mut level = SbatLevel::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()).take(MAX_ROWS) {
        let mut f = line.trim_end_matches('\r').split(',');
        let name = f.next().unwrap_or_default().to_string();
        let generation = atoi(f.next().unwrap_or_default());
        if name == "sbat" && level.rows.is_empty() {
            level.datestamp = f.next().and_then(|d| {
                let digits: String = d
                    .trim()
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .take(12)
                    .collect();
                digits.parse().ok()
            });
        }
        level.rows.push((name, generation));
    }
    level
}

/// `.sbatlevel`: `None` when the header does not fit the section.
pub fn parse_sbatlevel_section(s: &[u8]) -> Option<SbatLevels> {
    let u = |at: usize| -> Option<usize> {
        Some(u32::from_le_bytes(s.get(at..at + 4)?.try_into().ok()?) as usize)
    };
    if u(0)? != 0 {
        return None;
    }
    let automatic = s.get(4usize.checked_add(u(4)?)?..)?;
    let latest = s.get(4usize.checked_add(u(8)?)?..)?;
    Some(SbatLevels {
        automatic: parse_level(automatic),
        latest: parse_level(latest),
    })
}

/// A revoked row: the image's component and generation, and the level's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revoked {
    pub component: String,
    pub generation: u32,
    pub level: u32,
}

/// shim's `verify_sbat()` over an image's rows: the first revoked row, if any.
pub fn revoked(image: &[SbatRow], level: &SbatLevel) -> Option<Revoked> {
    image.iter().find_map(|row| {
        let (_, min) = level.rows.iter().find(|(n, _)| *n == row.component)?;
        let generation = row.generation.unwrap_or(0);
        (generation < *min).then(|| Revoked {
            component: row.component.clone(),
            generation,
            level: *min,
        })
    })
}
