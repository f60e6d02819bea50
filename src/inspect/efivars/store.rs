//! The edk2 variable store inside a firmware volume (`OVMF_VARS*.fd`), read the way
//! edk2's variable driver reads it at boot (`VariableParsing.c`): the store header
//! must be formatted and healthy, records are walked from the first 4-aligned offset
//! after the header while `StartId` is 0x55AA, each record's name and data follow its
//! header with no padding on x86 (`ALIGNMENT` 1), the next header is 4-aligned
//! (`GetNextVariablePtr`, `HEADER_ALIGN`). A record counts when its state is
//! `VAR_ADDED` (0x3F), or `VAR_ADDED & VAR_IN_DELETED_TRANSITION` (0x3E) when no
//! 0x3F twin of the same name and GUID exists (`FindVariableEx`); deleted (0x3D, 0x3C)
//! and header-only (0x7F) records are history. Sizes read as all-ones (or a record
//! whose state/attributes are all-ones) count as 0, as `NameSizeOfVariable` does.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::{Guid, Variable, Variables, decode_name};

/// gEfiSystemNvDataFvGuid: the FileSystemGuid of the volume that holds the store.
pub const NV_DATA_FV: Guid = Guid::from_fields(
    0xfff12b8d,
    0x7696,
    0x4c8b,
    [0xa9, 0x85, 0x27, 0x47, 0x07, 0x5b, 0x4f, 0x50],
);
/// gEfiAuthenticatedVariableGuid: records carry the 60-byte authenticated header.
pub const AUTHENTICATED_STORE: Guid = Guid::from_fields(
    0xaaf32c78,
    0x947b,
    0x439a,
    [0xa1, 0x80, 0x2e, 0x14, 0x4e, 0xc3, 0x77, 0x92],
);
/// gEfiVariableGuid: records carry the 32-byte plain header.
pub const PLAIN_STORE: Guid = Guid::from_fields(
    0xddcf3616,
    0x3275,
    0x4164,
    [0x98, 0xb6, 0xfe, 0x85, 0x70, 0x7f, 0xfe, 0x7d],
);

const STORE_HEADER: usize = 28;
const VARIABLE_DATA: u16 = 0x55aa;
const VAR_ADDED: u8 = 0x3f;
const VAR_IN_TRANSITION_ADDED: u8 = 0x3e;
const VARIABLE_STORE_FORMATTED: u8 = 0x5a;
const VARIABLE_STORE_HEALTHY: u8 = 0xfe;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreFormat {
    Authenticated,
    Plain,
}

impl StoreFormat {
    fn header_len(self) -> usize {
        match self {
            StoreFormat::Authenticated => 60,
            StoreFormat::Plain => 32,
        }
    }
}

/// A parsed variable store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VarStore {
    pub format: StoreFormat,
    /// Byte offset of the variable store header in the file.
    pub offset: u64,
    /// The store's size as its header gives it (bounded by the file).
    pub size: u64,
    /// Live variables in store order, and what was wrong on the way.
    pub vars: Variables,
    /// Records walked, of which deleted or header-only (history, not variables).
    pub records: usize,
    pub deleted: usize,
    /// In-deleted-transition records dropped because a live twin exists.
    pub superseded: usize,
}

/// Why a file is not a variable store the firmware would use.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("no firmware volume (_FVH) nor variable store header at the start of the file")]
    NotAStore,
    #[error(
        "the variable store header at {offset:#x} is not formatted and healthy (format {format:#04x}, state {state:#04x}): edk2 treats it as invalid"
    )]
    Unhealthy { offset: u64, format: u8, state: u8 },
    #[error("the file ends inside the variable store header at {0:#x}")]
    Truncated(u64),
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

fn align4(x: usize) -> Option<usize> {
    Some(x.checked_add(3)? & !3)
}

/// Where the variable store header starts: after a firmware volume header whose
/// FileSystemGuid is gEfiSystemNvDataFvGuid (`PiFirmwareVolume.h`: GUID at 0x10,
/// `_FVH` at 0x28, HeaderLength at 0x30), or at 0 for a bare store.
fn store_start(file: &[u8]) -> Option<(usize, usize)> {
    if file.get(0x28..0x2c) == Some(b"_FVH".as_slice())
        && Guid::from_slice(file.get(0x10..)?) == Some(NV_DATA_FV)
    {
        let header = usize::from(u16_at(file, 0x30)?);
        let fv_len = u64_at(file, 0x20)?;
        let fv_end = usize::try_from(fv_len)
            .unwrap_or(usize::MAX)
            .min(file.len());
        return Some((header, fv_end));
    }
    let sig = Guid::from_slice(file)?;
    (sig == AUTHENTICATED_STORE || sig == PLAIN_STORE).then_some((0, file.len()))
}

/// Parses a variable store file (an edk2 `*_VARS.fd`, or a bare store).
pub fn parse_store(file: &[u8]) -> Result<VarStore, StoreError> {
    let (at, fv_end) = store_start(file).ok_or(StoreError::NotAStore)?;
    let header = file
        .get(at..at.saturating_add(STORE_HEADER))
        .filter(|h| h.len() == STORE_HEADER)
        .ok_or(StoreError::Truncated(at as u64))?;
    let sig = Guid::from_slice(header).ok_or(StoreError::Truncated(at as u64))?;
    let (format_byte, state) = (header[20], header[21]);
    let format = match sig {
        s if s == AUTHENTICATED_STORE => StoreFormat::Authenticated,
        s if s == PLAIN_STORE => StoreFormat::Plain,
        _ if header.iter().all(|&b| b == 0xff) => {
            // `EfiRaw`: never formatted; the firmware formats it empty on first boot.
            return Ok(VarStore {
                format: StoreFormat::Authenticated,
                offset: at as u64,
                size: 0,
                vars: Variables::default(),
                records: 0,
                deleted: 0,
                superseded: 0,
            });
        }
        _ => return Err(StoreError::NotAStore),
    };
    if format_byte != VARIABLE_STORE_FORMATTED || state != VARIABLE_STORE_HEALTHY {
        return Err(StoreError::Unhealthy {
            offset: at as u64,
            format: format_byte,
            state,
        });
    }
    let size = u32_at(header, 16).unwrap_or(0) as usize;
    let mut store = VarStore {
        format,
        offset: at as u64,
        size: size as u64,
        vars: Variables::default(),
        records: 0,
        deleted: 0,
        superseded: 0,
    };
    let claimed_end = at.saturating_add(size) & !3;
    let end = claimed_end.min(fv_end).min(file.len());
    if claimed_end > end {
        store.vars.faults.push(format!(
            "the store claims {size:#x} bytes from {at:#x} but the file ends at {end:#x}"
        ));
    }
    let start = align4(at + STORE_HEADER).unwrap_or(usize::MAX);
    walk(file, start, end, format, &mut store);
    Ok(store)
}

/// One record's header fields.
struct Record {
    state: u8,
    attributes: u32,
    name_size: usize,
    data_size: usize,
    guid: Guid,
}

fn record_at(file: &[u8], pos: usize, format: StoreFormat) -> Option<Record> {
    let (sizes, guid) = match format {
        StoreFormat::Authenticated => (36, 44),
        StoreFormat::Plain => (8, 16),
    };
    let state = *file.get(pos + 2)?;
    let attributes = u32_at(file, pos + 4)?;
    let name = u32_at(file, pos + sizes)?;
    let data = u32_at(file, pos + sizes + 4)?;
    let guid = Guid::from_slice(file.get(pos + guid..)?)?;
    let blank = state == 0xff || name == u32::MAX || data == u32::MAX || attributes == u32::MAX;
    Some(Record {
        // A blank record has no name edk2 could ever match: history, not a variable.
        state: if blank { 0 } else { state },
        attributes,
        name_size: if blank { 0 } else { name as usize },
        data_size: if blank { 0 } else { data as usize },
        guid,
    })
}

fn walk(file: &[u8], start: usize, end: usize, format: StoreFormat, store: &mut VarStore) {
    let header_len = format.header_len();
    // Live records (state, raw name) in store order; in-transition ones resolved after.
    let mut found: Vec<(u8, Vec<u8>, Variable)> = Vec::new();
    let mut pos = start;
    while pos.checked_add(header_len).is_some_and(|h| h <= end) {
        if u16_at(file, pos) != Some(VARIABLE_DATA) {
            // 0xFFFF is the erased space after the last record; anything else is a
            // damaged store, where edk2 stops too.
            if u16_at(file, pos) != Some(0xffff) {
                store.vars.faults.push(format!(
                    "no record start (0x55AA) at {pos:#x}: the walk stops"
                ));
            }
            break;
        }
        let Some(r) = record_at(file, pos, format) else {
            break;
        };
        store.records += 1;
        let name_at = pos + header_len;
        let data_at = name_at.checked_add(r.name_size);
        let data_end = data_at.and_then(|d| d.checked_add(r.data_size));
        let (Some(data_at), Some(data_end)) = (data_at, data_end.filter(|&e| e <= end)) else {
            store.vars.faults.push(format!(
                "record at {pos:#x} claims a {}-byte name and {} bytes of data past the store's end {end:#x}",
                r.name_size, r.data_size
            ));
            break;
        };
        if r.state == VAR_ADDED || r.state == VAR_IN_TRANSITION_ADDED {
            let raw = file[name_at..data_at].to_vec();
            let (name, name_lossy) = decode_name(&raw);
            let v = Variable {
                name,
                guid: r.guid,
                attributes: r.attributes,
                data: file[data_at..data_end].to_vec(),
                name_lossy,
            };
            found.push((r.state, raw, v));
        } else {
            store.deleted += 1;
        }
        // Always moves forward: at least one header.
        pos = match align4(data_end) {
            Some(p) => p,
            None => break,
        };
    }
    // FindVariableEx: the first VAR_ADDED record of a name wins; an in-transition
    // record counts only when no VAR_ADDED record has the name.
    let added: HashSet<(Guid, &[u8])> = found
        .iter()
        .filter(|(s, _, _)| *s == VAR_ADDED)
        .map(|(_, raw, v)| (v.guid, raw.as_slice()))
        .collect();
    let mut seen: HashSet<(Guid, Vec<u8>)> = HashSet::new();
    let mut out = Vec::new();
    for (state, raw, v) in &found {
        if *state == VAR_IN_TRANSITION_ADDED && added.contains(&(v.guid, raw.as_slice())) {
            store.superseded += 1;
            continue;
        }
        if *state == VAR_ADDED || !added.contains(&(v.guid, raw.as_slice())) {
            if seen.insert((v.guid, raw.clone())) {
                out.push(v.clone());
            } else {
                store.superseded += 1;
            }
        }
    }
    store.vars.variables = out;
}
