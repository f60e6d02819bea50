//! EFI_SIGNATURE_LIST concatenations (db, dbx, KEK, PK, MokList*, shim's vendor
//! dbx), reference secure-boot.md §1: `SignatureType GUID, ListSize u32, HeaderSize
//! u32, SignatureSize u32`, HeaderSize bytes, then `{Owner GUID, Data}` entries of
//! SignatureSize bytes. A list whose sizes do not fit ends the walk with a fault
//! (edk2 and shim stop there too); nothing is allocated beyond the input's size.

use serde::{Deserialize, Serialize};

/// One entry of a signature list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum EslEntry {
    /// EFI_CERT_SHA256/SHA1/SHA384/SHA512: an image digest (hex).
    Hash { alg: String, digest: String },
    /// EFI_CERT_X509: a DER certificate (hex, so facts files stay text).
    X509 { der: String },
    /// EFI_CERT_X509_SHA256/384/512: the hash of a certificate's TBSCertificate.
    TbsHash { alg: String, digest: String },
    /// Anything else (RSA2048, PKCS7…): ignored for images by edk2 and shim.
    Other { guid: String },
}

/// A parsed list: its entries (with their owners) and the first fault, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureLists {
    pub entries: Vec<(String, EslEntry)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

pub fn guid_string(b: &[u8]) -> String {
    if b.len() < 16 {
        return String::new();
    }
    // The first three fields are little-endian.
    format!(
        "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{}",
        b[3],
        b[2],
        b[1],
        b[0],
        b[5],
        b[4],
        b[7],
        b[6],
        b[8],
        b[9],
        hex(&b[10..16])
    )
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn u32_at(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize)
}

fn entry(kind: &str, data: &[u8]) -> EslEntry {
    let hash = |alg: &str, len: usize| match data.get(..len) {
        Some(d) if data.len() == len => EslEntry::Hash {
            alg: alg.into(),
            digest: hex(d),
        },
        _ => EslEntry::Other { guid: kind.into() },
    };
    // The TBS-hash types carry the digest then an EFI_TIME revocation time.
    let tbs = |alg: &str, len: usize| match data.get(..len) {
        Some(d) => EslEntry::TbsHash {
            alg: alg.into(),
            digest: hex(d),
        },
        None => EslEntry::Other { guid: kind.into() },
    };
    match kind {
        "c1c41626-504c-4092-aca9-41f936934328" => hash("sha256", 32),
        "826ca512-cf10-4ac9-b187-be01496631bd" => hash("sha1", 20),
        "ff3e5307-9fd0-48c9-85f1-8ad56c701e01" => hash("sha384", 48),
        "093e0fae-a6c4-4f50-9f1b-d41e2b89c19a" => hash("sha512", 64),
        "a5c059a1-94e4-4aa7-87b5-ab155c2bf072" => EslEntry::X509 { der: hex(data) },
        "3bd2a492-96c0-4079-b420-fcf98ef103ed" => tbs("sha256", 32),
        "7076876e-80c2-4ee6-aad2-28b349a6865b" => tbs("sha384", 48),
        "446dbf63-2502-4cda-bcfa-2465d2b0fe9d" => tbs("sha512", 64),
        _ => EslEntry::Other { guid: kind.into() },
    }
}

/// Walks the lists of one variable's data.
pub fn parse(data: &[u8]) -> SignatureLists {
    let mut out = SignatureLists::default();
    let mut at = 0usize;
    while at < data.len() {
        let fault = |msg: &str| Some(format!("signature list at byte {at}: {msg}"));
        let (Some(kind), Some(size), Some(header), Some(sig_size)) = (
            data.get(at..at + 16).map(guid_string),
            u32_at(data, at + 16),
            u32_at(data, at + 20),
            u32_at(data, at + 24),
        ) else {
            out.fault = fault("header cut off");
            break;
        };
        let end = at.saturating_add(size);
        let first = at.saturating_add(28).saturating_add(header);
        if size < 28 || end > data.len() || first > end || sig_size < 16 {
            out.fault = fault(&format!(
                "sizes do not fit (list {size}, header {header}, entry {sig_size})"
            ));
            break;
        }
        if !(end - first).is_multiple_of(sig_size) {
            out.fault = fault(&format!(
                "{} bytes of entries is not a multiple of {sig_size}",
                end - first
            ));
            break;
        }
        for e in (first..end).step_by(sig_size) {
            let owner = guid_string(&data[e..e + 16]);
            out.entries
                .push((owner, entry(&kind, &data[e + 16..e + sig_size])));
        }
        at = end;
    }
    out
}
