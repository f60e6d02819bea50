//! What Secure Boot looks at in an EFI binary (reference secure-boot.md §1, §3, §4):
//! its Authenticode digests, the signatures it carries (signer, the certificates in
//! the blob), which trusted or forbidden certificates anchor each signature,
//! `.sbat` generations, and shim's `.vendor_cert` and `.sbatlevel` sections. Pure:
//! bytes in, serde data out; the caller reads the file (≤ `MAX_IMAGE`).
//!
//! - `pe`: the layout the digest covers (`authenticode::PeTrait` over raw headers).
//! - `pkcs7`: one signature and whether a certificate anchors it.
//! - `esl`: EFI_SIGNATURE_LIST data (db, dbx, MokList…, vendor dbx).
//! - `sbat`: SbatLevel text, shim's `.sbatlevel` and the revocation rule.
//! - `fuzz`: bodies of the `secure_boot` fuzz target.

pub mod esl;
pub mod fuzz;
pub mod pe;
pub mod pkcs7;
pub mod sbat;

use authenticode::AttributeCertificateIterator;
use der::{Decode, Encode};
use serde::{Deserialize, Serialize};
use x509_cert::Certificate;

use crate::inspect::grub_image::efi::{self, SbatRow};
pub use esl::{EslEntry, SignatureLists, hex};
use pkcs7::Signature;

/// Largest file verified: shim, GRUB and kernels are < 20 MiB.
pub const MAX_IMAGE: u64 = 64 << 20;
/// Most signatures read from one table (shim carries two).
const MAX_SIGNATURES: usize = 16;

/// A certificate as people name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertName {
    /// The subject's CN (else the whole subject).
    pub subject: String,
    pub issuer: String,
    /// SHA-256 of the DER certificate (hex), as `sbverify`/`openssl x509 -fingerprint`.
    pub sha256: String,
    /// SHA-256 of the TBSCertificate (hex): what dbx `EFI_CERT_X509_SHA256` holds.
    pub tbs_sha256: String,
}

fn cn(name: &x509_cert::name::Name) -> String {
    for rdn in name.0.iter() {
        for atv in rdn.0.iter() {
            if atv.oid.to_string() == "2.5.4.3" {
                if let Ok(s) = atv.value.decode_as::<der::asn1::Utf8StringRef>() {
                    return s.to_string();
                }
                if let Ok(s) = atv.value.decode_as::<der::asn1::PrintableStringRef>() {
                    return s.to_string();
                }
            }
        }
    }
    name.to_string()
}

impl CertName {
    pub fn of(c: &Certificate) -> CertName {
        let der = c.to_der().unwrap_or_default();
        let tbs = c.tbs_certificate.to_der().unwrap_or_default();
        CertName {
            subject: cn(&c.tbs_certificate.subject),
            issuer: cn(&c.tbs_certificate.issuer),
            sha256: hex(&pkcs7::hash("sha256", &der).unwrap_or_default()),
            tbs_sha256: hex(&pkcs7::hash("sha256", &tbs).unwrap_or_default()),
        }
    }
}

/// One signature of the certificate table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureFact {
    /// The digest algorithm it names (`sha256`…), `None` when unknown.
    pub digest_algorithm: Option<String>,
    /// The digest it signs equals the file's digest by that algorithm.
    pub digest_matches: bool,
    /// The signer's own signature verifies with its certificate's key.
    pub signed_ok: bool,
    pub signer: Option<CertName>,
    /// The other certificates the blob carries.
    #[serde(default)]
    pub certificates: Vec<CertName>,
    /// Why the entry is not a usable signature (type, revision, DER).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

/// What Secure Boot sees in one binary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedImage {
    /// The Authenticode SHA-256 as edk2 computes it (hex).
    pub sha256: String,
    /// shim zero-pads unsigned images to a multiple of 8 before hashing
    /// (`pe.c: generate_hash()`); set only when that differs from `sha256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256_shim: Option<String>,
    pub sha1: String,
    pub signatures: Vec<SignatureFact>,
    /// The certificate table is not at the file's end (shim refuses the image).
    #[serde(default)]
    pub table_not_at_end: bool,
    /// The table does not parse (edk2 rejects the image).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_fault: Option<String>,
    pub sbat: Vec<SbatRow>,
    /// shim's built-in trust (`.vendor_cert`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<VendorCert>,
    /// shim's `.sbatlevel` (the levels it applies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sbat_levels: Option<sbat::SbatLevels>,
}

/// shim's `.vendor_cert` section (`cert.S`): `u32 authorized_size,
/// deauthorized_size, authorized_off, deauthorized_off`, offsets from the section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorCert {
    /// The authorized certificates (one DER cert, or an ESL list: sniffed).
    pub db: SignatureLists,
    /// The vendor dbx (an ESL list).
    pub dbx: SignatureLists,
}

/// The parsed binary plus its signatures, for `anchors`.
pub struct Inspected {
    pub image: SignedImage,
    signatures: Vec<Option<Signature>>,
}

/// `Err` only when the file is not a PE image whose headers fit it.
pub fn inspect(data: &[u8]) -> Result<Inspected, String> {
    let layout = pe::PeLayout::parse(data)?;
    let digest = |alg: &str| -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        let ok = match alg {
            "sha256" => run_digest::<sha2::Sha256>(&layout, &mut out),
            "sha384" => run_digest::<sha2::Sha384>(&layout, &mut out),
            "sha512" => run_digest::<sha2::Sha512>(&layout, &mut out),
            _ => run_digest::<sha1::Sha1>(&layout, &mut out),
        };
        ok.then_some(out)
            .ok_or_else(|| "sections overlap the headers or each other".to_string())
    };
    let sha256 = digest("sha256")?;
    let sha1 = digest("sha1")?;
    let mut sha256_shim = None;
    if layout.cert_table().is_none() && !data.len().is_multiple_of(8) {
        let mut padded = data.to_vec();
        padded.resize(data.len().next_multiple_of(8), 0);
        if let Ok(p) = pe::PeLayout::parse(&padded) {
            let mut out = Vec::new();
            if run_digest::<sha2::Sha256>(&p, &mut out) && out != sha256 {
                sha256_shim = Some(hex(&out));
            }
        }
    }
    let mut signatures = Vec::new();
    let mut facts = Vec::new();
    let mut table_fault = None;
    match AttributeCertificateIterator::new(&layout) {
        Ok(None) => {}
        Err(e) => table_fault = Some(e.to_string()),
        Ok(Some(iter)) => {
            for cert in iter.take(MAX_SIGNATURES) {
                let cert = match cert {
                    Ok(c) => c,
                    Err(e) => {
                        table_fault = Some(e.to_string());
                        break;
                    }
                };
                let (fact, sig) = signature_fact(&cert, &digest);
                facts.push(fact);
                signatures.push(sig);
            }
        }
    }
    let img = efi::inspect_efi(data).ok();
    let section = |name: &str| {
        let s = img.as_ref()?.sections.iter().find(|s| s.name == name)?;
        let start = s.raw_offset as usize;
        // shim reads min(VirtualSize, SizeOfRawData) of these sections.
        let len = s.raw_size.min(s.virtual_size.max(1)) as usize;
        data.get(start..start.checked_add(len)?.min(data.len()))
    };
    let vendor = section(".vendor_cert").map(vendor_cert);
    let sbat_levels = section(".sbatlevel").and_then(sbat::parse_sbatlevel_section);
    Ok(Inspected {
        image: SignedImage {
            sha256: hex(&sha256),
            sha256_shim,
            sha1: hex(&sha1),
            signatures: facts,
            table_not_at_end: !layout.cert_table_at_end(),
            table_fault,
            sbat: img.map(|i| i.sbat).unwrap_or_default(),
            vendor,
            sbat_levels,
        },
        signatures,
    })
}

fn run_digest<D: sha2::Digest + sha2::digest::Update + Default>(
    layout: &pe::PeLayout,
    out: &mut Vec<u8>,
) -> bool {
    let mut d = D::default();
    if authenticode::authenticode_digest(layout, &mut d).is_err() {
        return false;
    }
    *out = d.finalize().to_vec();
    true
}

fn signature_fact(
    cert: &authenticode::AttributeCertificate,
    digest: &dyn Fn(&str) -> Result<Vec<u8>, String>,
) -> (SignatureFact, Option<Signature>) {
    let bad = |msg: String| SignatureFact {
        digest_algorithm: None,
        digest_matches: false,
        signed_ok: false,
        signer: None,
        certificates: Vec::new(),
        fault: Some(msg),
    };
    if cert.revision != authenticode::WIN_CERT_REVISION_2_0
        || cert.certificate_type != authenticode::WIN_CERT_TYPE_PKCS_SIGNED_DATA
    {
        let msg = format!(
            "WIN_CERTIFICATE revision {:#x} type {:#x} is not PKCS_SIGNED_DATA",
            cert.revision, cert.certificate_type
        );
        return (bad(msg), None);
    }
    let sig = match Signature::parse(cert.data) {
        Ok(s) => s,
        Err(e) => return (bad(format!("not an Authenticode signature: {e}")), None),
    };
    let alg = pkcs7::digest_name(&sig.parsed.digest_algorithm().oid);
    let matches = alg
        .and_then(|a| digest(a).ok())
        .is_some_and(|d| d == sig.parsed.digest());
    let fact = SignatureFact {
        digest_algorithm: alg.map(str::to_string),
        digest_matches: matches,
        signed_ok: sig.signed_ok,
        signer: sig.signer_cert().map(CertName::of),
        certificates: sig.certificates.iter().map(CertName::of).collect(),
        fault: None,
    };
    (fact, Some(sig))
}

fn vendor_cert(section: &[u8]) -> VendorCert {
    let field = |i: usize| {
        section
            .get(i * 4..i * 4 + 4)
            .and_then(|b| b.try_into().ok())
            .map_or(0, |b| u32::from_le_bytes(b) as usize)
    };
    let blob = |size: usize, off: usize| {
        section
            .get(off..off.saturating_add(size))
            .unwrap_or_default()
    };
    let auth = blob(field(0), field(2));
    let deauth = blob(field(1), field(3));
    // One DER certificate starts with a SEQUENCE (30 82); else it is an ESL list.
    let db = if auth.starts_with(&[0x30, 0x82]) {
        SignatureLists {
            entries: vec![(
                "605dab50-e046-4300-abb6-3dd810dd8b23".into(),
                EslEntry::X509 { der: hex(auth) },
            )],
            fault: None,
        }
    } else {
        esl::parse(auth)
    };
    VendorCert {
        db,
        dbx: esl::parse(deauth),
    }
}

/// A certificate of a trust list, decoded once.
pub fn decode_cert(der_hex: &str) -> Option<Certificate> {
    Certificate::from_der(&esl::unhex(der_hex)?).ok()
}

impl Inspected {
    /// For each signature (in table order), whether `anchor` anchors it.
    pub fn anchored_by(&self, anchor: &Certificate) -> Vec<bool> {
        self.signatures
            .iter()
            .zip(&self.image.signatures)
            .map(|(s, f)| f.digest_matches && s.as_ref().is_some_and(|s| s.anchored_by(anchor)))
            .collect()
    }

    /// The TBS hashes (hex SHA-256) of every certificate of signature `i`, for dbx's
    /// `EFI_CERT_X509_SHA256` entries (edk2 `IsForbiddenByDbx()`).
    pub fn tbs_hashes(&self, i: usize) -> Vec<String> {
        self.image
            .signatures
            .get(i)
            .map(|s| {
                s.certificates
                    .iter()
                    .map(|c| c.tbs_sha256.clone())
                    .collect()
            })
            .unwrap_or_default()
    }
}
