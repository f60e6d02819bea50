//! The PE layout Authenticode hashes (reference secure-boot.md §1, edk2
//! `DxeImageVerificationLib.c: HashPeImage()`): where the checksum and the
//! certificate-table directory entry sit, `SizeOfHeaders`, the sections' raw ranges
//! and the certificate table. Implements `authenticode::PeTrait` so the crate's
//! `authenticode_digest` does the hashing; every offset is checked against the file
//! before it is handed over.

use std::ops::Range;

use authenticode::{PeOffsetError, PeOffsets, PeTrait};

use crate::inspect::grub_image::{le16, le32};

/// The PE/COFF limit on sections.
const MAX_SECTIONS: usize = 96;

/// A PE file's Authenticode layout.
pub struct PeLayout<'a> {
    data: &'a [u8],
    offsets: PeOffsets,
    sections: Vec<Range<usize>>,
    /// The certificate table (directory entry 4, whose address is a file offset).
    cert_table: Option<Range<usize>>,
}

impl<'a> PeLayout<'a> {
    /// `Err` names the first header field that does not fit the file.
    pub fn parse(data: &'a [u8]) -> Result<Self, String> {
        if !data.starts_with(b"MZ") {
            return Err("not a PE file (no MZ header)".into());
        }
        let pe = le32(data, 0x3c).ok_or("cut off in the DOS header")? as usize;
        if data.get(pe..pe.saturating_add(4)) != Some(&b"PE\0\0"[..]) {
            return Err("no PE signature at e_lfanew".into());
        }
        let nsections = usize::from(le16(data, pe + 6).ok_or("COFF header cut off")?);
        let opt_size = usize::from(le16(data, pe + 20).ok_or("COFF header cut off")?);
        if nsections > MAX_SECTIONS {
            return Err(format!("{nsections} sections (PE allows {MAX_SECTIONS})"));
        }
        let opt = pe + 24;
        // PE32 keeps its data directories 16 bytes earlier than PE32+.
        let (count_at, dirs_at) = match le16(data, opt) {
            Some(0x10b) => (opt + 92, opt + 96),
            Some(0x20b) => (opt + 108, opt + 112),
            Some(m) => return Err(format!("optional header magic {m:#x}")),
            None => return Err("optional header cut off".into()),
        };
        let headers = le32(data, opt + 60).ok_or("optional header cut off")? as usize;
        let ndirs = le32(data, count_at).ok_or("optional header cut off")? as usize;
        if headers > data.len() || headers < dirs_at {
            return Err(format!("SizeOfHeaders {headers} does not fit the file"));
        }
        let check_sum = opt + 64;
        let certdir = dirs_at + 4 * 8;
        // With ≤ 4 directories there is no entry 4: edk2 hashes [opt+68, SizeOfHeaders).
        let (security_data_dir, after_security_data_dir, cert_table) =
            if ndirs > 4 && certdir + 8 <= headers {
                let at = le32(data, certdir).unwrap_or(0) as usize;
                let size = le32(data, certdir + 4).unwrap_or(0) as usize;
                let table = (size > 0).then(|| at..at.saturating_add(size));
                if let Some(t) = &table
                    && t.end > data.len()
                {
                    return Err(format!(
                        "certificate table ({size} bytes at {at:#x}) runs past the file's end"
                    ));
                }
                (certdir, certdir + 8, table)
            } else {
                (headers, headers, None)
            };
        let table = opt + opt_size;
        let mut sections = Vec::with_capacity(nsections);
        for n in 0..nsections {
            let s = table + n * 40;
            let raw_size = le32(data, s + 16).ok_or("section table cut off")? as usize;
            let raw_at = le32(data, s + 20).ok_or("section table cut off")? as usize;
            if raw_size == 0 {
                continue;
            }
            let end = raw_at.saturating_add(raw_size);
            if end > data.len() {
                return Err(format!(
                    "section {n} ({raw_size} bytes at {raw_at:#x}) runs past the file's end"
                ));
            }
            sections.push(raw_at..end);
        }
        Ok(PeLayout {
            data,
            offsets: PeOffsets {
                check_sum,
                after_check_sum: check_sum + 4,
                security_data_dir,
                after_security_data_dir,
                after_header: headers,
            },
            sections,
            cert_table,
        })
    }

    pub fn cert_table(&self) -> Option<Range<usize>> {
        self.cert_table.clone()
    }

    /// shim refuses a certificate table that is not the file's last bytes
    /// (`pe.c: generate_hash()`, "Malformed binary after Attribute Certificate Table").
    pub fn cert_table_at_end(&self) -> bool {
        self.cert_table
            .as_ref()
            .is_none_or(|t| t.end == self.data.len())
    }
}

impl PeTrait for PeLayout<'_> {
    fn data(&self) -> &[u8] {
        self.data
    }
    fn num_sections(&self) -> usize {
        self.sections.len()
    }
    fn section_data_range(&self, index: usize) -> Result<Range<usize>, PeOffsetError> {
        index
            .checked_sub(1)
            .and_then(|i| self.sections.get(i))
            .cloned()
            .ok_or(PeOffsetError)
    }
    fn certificate_table_range(&self) -> Result<Option<Range<usize>>, PeOffsetError> {
        Ok(self.cert_table.clone())
    }
    fn offsets(&self) -> Result<PeOffsets, PeOffsetError> {
        Ok(self.offsets.clone())
    }
}
