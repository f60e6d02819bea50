//! UEFI variables as the firmware keeps them, from the two places bootvet can read
//! them: an edk2/OVMF variable store file (`OVMF_VARS*.fd`: a firmware volume holding
//! the authenticated variable store, `store.rs`) and a copy of efivarfs (one file per
//! variable, `Name-GUID`, holding a little-endian u32 of attributes then the data;
//! efivar's `src/efivarfs.c`). Pure: bytes in, `Variable`s out; the caller (probe) does
//! every read. Bounded and linear whatever the bytes claim: every size is checked
//! against the bytes actually given, and a walk advances by at least one header.
//!
//! Layouts: `shared/reference/grub-loader-chain.md` §6, checked against edk2's
//! `MdeModulePkg/Include/Guid/VariableFormat.h` and
//! `MdeModulePkg/Universal/Variable/RuntimeDxe/VariableParsing.c`.

pub mod boot;
pub mod fuzz;
pub mod store;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use store::{StoreFormat, VarStore, parse_store};

/// EFI_VARIABLE_NON_VOLATILE.
pub const ATTR_NON_VOLATILE: u32 = 0x1;
/// EFI_VARIABLE_BOOTSERVICE_ACCESS.
pub const ATTR_BOOTSERVICE_ACCESS: u32 = 0x2;
/// EFI_VARIABLE_RUNTIME_ACCESS.
pub const ATTR_RUNTIME_ACCESS: u32 = 0x4;
/// EFI_VARIABLE_TIME_BASED_AUTHENTICATED_WRITE_ACCESS.
pub const ATTR_TIME_BASED_AUTH: u32 = 0x20;

/// The largest variable data bootvet keeps from an efivarfs file. Real variables
/// are small (dbx ~ 15 KiB, MokListRT tens of KiB); edk2's default
/// `PcdMaxVariableSize` is 0x2000 and OVMF's 0x8400 (Secure Boot), so 1 MiB is
/// generous and keeps a hostile directory from filling memory.
pub const MAX_VARIABLE_BYTES: usize = 1 << 20;

/// A vendor GUID, kept as its 16 on-disk bytes (EFI_GUID: u32, u16, u16 little
/// endian, then 8 bytes), shown and serialized in the usual text form.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Guid(pub [u8; 16]);

/// EFI_GLOBAL_VARIABLE: Boot####, BootOrder, BootNext, BootCurrent, SecureBoot, PK, KEK…
pub const GLOBAL: Guid = Guid::from_fields(
    0x8be4df61,
    0x93ca,
    0x11d2,
    [0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c],
);
/// EFI_IMAGE_SECURITY_DATABASE_GUID: db, dbx.
pub const IMAGE_SECURITY_DATABASE: Guid = Guid::from_fields(
    0xd719b2cb,
    0x3d3a,
    0x4596,
    [0xa3, 0xbc, 0xda, 0xd0, 0x0e, 0x67, 0x65, 0x6f],
);
/// SHIM_LOCK_GUID: MokList, MokListX, SbatLevel, MokSBState and their RT mirrors.
pub const SHIM_LOCK: Guid = Guid::from_fields(
    0x605dab50,
    0xe046,
    0x4300,
    [0xab, 0xb6, 0x3d, 0xd8, 0x10, 0xdd, 0x8b, 0x23],
);

impl Guid {
    pub const fn from_fields(a: u32, b: u16, c: u16, d: [u8; 8]) -> Guid {
        let a = a.to_le_bytes();
        let b = b.to_le_bytes();
        let c = c.to_le_bytes();
        Guid([
            a[0], a[1], a[2], a[3], b[0], b[1], c[0], c[1], d[0], d[1], d[2], d[3], d[4], d[5],
            d[6], d[7],
        ])
    }

    /// The 16 on-disk bytes at the start of `b`.
    pub fn from_slice(b: &[u8]) -> Option<Guid> {
        b.get(..16)?.try_into().ok().map(Guid)
    }

    /// Parses `8be4df61-93ca-11d2-aa0d-00e098032b8c` (any case).
    pub fn parse(text: &str) -> Option<Guid> {
        let t = text.as_bytes();
        if t.len() != 36 || [8, 13, 18, 23].iter().any(|&i| t[i] != b'-') {
            return None;
        }
        let hex: String = text.chars().filter(|&c| c != '-').collect();
        if hex.len() != 32 || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok();
        let mut text_order = [0u8; 16];
        for (i, b) in text_order.iter_mut().enumerate() {
            *b = byte(i)?;
        }
        let t = text_order;
        Some(Guid([
            t[3], t[2], t[1], t[0], t[5], t[4], t[7], t[6], t[8], t[9], t[10], t[11], t[12], t[13],
            t[14], t[15],
        ]))
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.0;
        write!(
            f,
            "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-",
            b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9]
        )?;
        for x in &b[10..] {
            write!(f, "{x:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Guid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Guid {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Guid, D::Error> {
        let text = String::deserialize(d)?;
        Guid::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("not a GUID: {text}")))
    }
}

/// One live variable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variable {
    /// The UTF-16 name, decoded (unpaired surrogates become U+FFFD; see `name_lossy`).
    pub name: String,
    pub guid: Guid,
    pub attributes: u32,
    #[serde(with = "hex_bytes")]
    pub data: Vec<u8>,
    /// The name was not valid UTF-16 (or lacked its NUL): `name` is a lossy decode.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub name_lossy: bool,
}

/// Where a set of variables came from, with what was wrong while reading it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variables {
    pub variables: Vec<Variable>,
    /// Problems met on the way (a truncated record, an unreadable file): the
    /// variables listed are still the ones that were read whole.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<String>,
}

impl Variables {
    /// The variable `name` under `guid`.
    pub fn get(&self, guid: Guid, name: &str) -> Option<&Variable> {
        self.variables
            .iter()
            .find(|v| v.guid == guid && v.name == name)
    }

    /// A global variable's data (BootOrder, Boot0001, SecureBoot…).
    pub fn global(&self, name: &str) -> Option<&[u8]> {
        self.get(GLOBAL, name).map(|v| v.data.as_slice())
    }
}

/// Decodes a NUL-terminated (or not) UTF-16LE name; the bool says it was not clean
/// (odd length, missing NUL, unpaired surrogate, NUL inside).
pub fn decode_name(bytes: &[u8]) -> (String, bool) {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let mut lossy = !bytes.len().is_multiple_of(2);
    let end = match units.iter().position(|&u| u == 0) {
        Some(i) => {
            lossy |= i + 1 != units.len();
            i
        }
        None => {
            lossy = true;
            units.len()
        }
    };
    let mut name = String::with_capacity(end);
    for c in char::decode_utf16(units[..end].iter().copied()) {
        match c {
            Ok(c) => name.push(c),
            Err(_) => {
                lossy = true;
                name.push(char::REPLACEMENT_CHARACTER);
            }
        }
    }
    (name, lossy)
}

/// Why an efivarfs file is not a variable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EfivarfsError {
    #[error("file name '{0}' is not NAME-GUID")]
    BadName(String),
    #[error("'{0}' holds {1} bytes: fewer than the 4 bytes of attributes")]
    TooShort(String, usize),
    #[error("'{0}' holds more than {MAX_VARIABLE_BYTES} bytes")]
    TooBig(String),
}

/// Splits an efivarfs file name `Boot0001-8be4df61-93ca-11d2-aa0d-00e098032b8c`
/// into name and GUID (the GUID is always the last 36 characters; the name may
/// itself hold dashes).
pub fn split_efivarfs_name(file_name: &str) -> Option<(&str, Guid)> {
    let cut = file_name.len().checked_sub(37)?;
    if !file_name.is_char_boundary(cut) || file_name.as_bytes()[cut] != b'-' || cut == 0 {
        return None;
    }
    let guid = Guid::parse(&file_name[cut + 1..])?;
    Some((&file_name[..cut], guid))
}

/// One efivarfs file: its name and its bytes (u32 LE attributes, then the data).
pub fn parse_efivarfs_file(file_name: &str, bytes: &[u8]) -> Result<Variable, EfivarfsError> {
    let (name, guid) =
        split_efivarfs_name(file_name).ok_or_else(|| EfivarfsError::BadName(file_name.into()))?;
    if bytes.len() > MAX_VARIABLE_BYTES + 4 {
        return Err(EfivarfsError::TooBig(file_name.into()));
    }
    let Some((attr, data)) = bytes.split_first_chunk::<4>() else {
        return Err(EfivarfsError::TooShort(file_name.into(), bytes.len()));
    };
    Ok(Variable {
        name: name.into(),
        guid,
        attributes: u32::from_le_bytes(*attr),
        data: data.to_vec(),
        name_lossy: false,
    })
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        let mut text = String::with_capacity(b.len() * 2);
        for x in b {
            text.push_str(&format!("{x:02x}"));
        }
        s.serialize_str(&text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        if !text.len().is_multiple_of(2) {
            return Err(serde::de::Error::custom("odd hex length"));
        }
        (0..text.len())
            .step_by(2)
            .map(|i| {
                text.get(i..i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| serde::de::Error::custom("not hex"))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_round_trips_through_text() {
        assert_eq!(GLOBAL.to_string(), "8be4df61-93ca-11d2-aa0d-00e098032b8c");
        assert_eq!(
            Guid::parse("8BE4DF61-93CA-11D2-AA0D-00E098032B8C"),
            Some(GLOBAL)
        );
        assert_eq!(
            &GLOBAL.0[..4],
            &[0x61, 0xdf, 0xe4, 0x8b],
            "EFI_GUID's first field is little endian on disk"
        );
        assert_eq!(Guid::parse("8be4df61-93ca-11d2-aa0d-00e098032b8"), None);
        assert_eq!(Guid::parse("8be4df61x93ca-11d2-aa0d-00e098032b8c"), None);
        assert_eq!(Guid::parse("8be4df61-93ca-11d2-aa0d-00e098032bég"), None);
    }

    #[test]
    fn efivarfs_names_split_at_the_guid() {
        let (n, g) = split_efivarfs_name("Boot0001-8be4df61-93ca-11d2-aa0d-00e098032b8c").unwrap();
        assert_eq!((n, g), ("Boot0001", GLOBAL));
        let (n, _) = split_efivarfs_name("a-b-8be4df61-93ca-11d2-aa0d-00e098032b8c").unwrap();
        assert_eq!(n, "a-b");
        assert!(split_efivarfs_name("-8be4df61-93ca-11d2-aa0d-00e098032b8c").is_none());
        assert!(split_efivarfs_name("Boot0001").is_none());
        assert!(split_efivarfs_name("éé8be4df61-93ca-11d2-aa0d-00e098032b8c").is_none());
    }

    #[test]
    fn efivarfs_file_is_attributes_then_data() {
        let v = parse_efivarfs_file(
            "BootOrder-8be4df61-93ca-11d2-aa0d-00e098032b8c",
            &[7, 0, 0, 0, 1, 0, 0, 0],
        )
        .unwrap();
        assert_eq!((v.attributes, v.data.as_slice()), (7, &[1u8, 0, 0, 0][..]));
        assert!(matches!(
            parse_efivarfs_file("BootOrder-8be4df61-93ca-11d2-aa0d-00e098032b8c", &[7, 0]),
            Err(EfivarfsError::TooShort(_, 2))
        ));
    }

    #[test]
    fn names_decode_and_say_when_they_are_not_clean() {
        assert_eq!(decode_name(b"B\0o\0o\0t\0\0\0"), ("Boot".into(), false));
        assert_eq!(decode_name(b"B\0o\0"), ("Bo".into(), true));
        assert_eq!(decode_name(b"B\0\0\0x\0\0\0"), ("B".into(), true));
        assert_eq!(decode_name(&[0x00, 0xd8, 0, 0]), ("\u{fffd}".into(), true));
        assert_eq!(decode_name(b"B\0o"), ("B".into(), true));
    }
}
