//! One Authenticode signature (a WIN_CERTIFICATE of type PKCS_SIGNED_DATA): what it
//! claims (the image digest, the signer, the certificates it carries) and whether a
//! given certificate anchors it, checked the way edk2's `AuthenticodeVerify` and
//! shim's Cryptlib do (reference secure-boot.md §1, §9): the messageDigest signed
//! attribute equals the hash of the SpcIndirectDataContent, the signer's RSA
//! PKCS#1 v1.5 signature covers the DER SET OF signed attributes, and a chain runs
//! from the signer through the blob's certificates to the anchor, which may be the
//! leaf, an intermediate or a root (OpenSSL `PARTIAL_CHAIN`). Expiry and EKU are
//! not checked, as neither verifier checks them.
//!
//! Parsing is `authenticode`/`cms`/`x509-cert` (DER, bounded by the blob); the
//! chain walk is bounded by `MAX_CHAIN`.

use authenticode::AuthenticodeSignature;
use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode, SliceReader};
use rsa::RsaPublicKey;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs1v15::Pkcs1v15Sign;
use sha2::Digest;
use x509_cert::Certificate;

/// PKCS#9 messageDigest, the signed attribute holding the content's hash.
const MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");

/// Longest chain followed from the signer (real ones are 2–3 certificates).
const MAX_CHAIN: usize = 8;

/// A parsed signature, ready to be checked against anchors.
pub struct Signature {
    pub parsed: AuthenticodeSignature,
    /// The certificates the blob carries (only `Certificate` choices).
    pub certificates: Vec<Certificate>,
    /// Index in `certificates` of the signer, found by issuer and serial.
    pub signer: Option<usize>,
    /// The signer's own signature over the signed attributes verifies with the
    /// signer certificate's key (and the messageDigest attribute is right).
    pub signed_ok: bool,
}

/// Names of the digest algorithms Authenticode uses.
pub fn digest_name(oid: &ObjectIdentifier) -> Option<&'static str> {
    Some(match oid.to_string().as_str() {
        "2.16.840.1.101.3.4.2.1" => "sha256",
        "2.16.840.1.101.3.4.2.2" => "sha384",
        "2.16.840.1.101.3.4.2.3" => "sha512",
        "1.3.14.3.2.26" => "sha1",
        _ => return None,
    })
}

/// The hash a certificate's signatureAlgorithm names (RSA only: what UEFI signs with).
fn cert_digest(oid: &ObjectIdentifier) -> Option<&'static str> {
    Some(match oid.to_string().as_str() {
        "1.2.840.113549.1.1.11" => "sha256",
        "1.2.840.113549.1.1.12" => "sha384",
        "1.2.840.113549.1.1.13" => "sha512",
        "1.2.840.113549.1.1.5" => "sha1",
        _ => return None,
    })
}

pub fn hash(alg: &str, data: &[u8]) -> Option<Vec<u8>> {
    Some(match alg {
        "sha256" => sha2::Sha256::digest(data).to_vec(),
        "sha384" => sha2::Sha384::digest(data).to_vec(),
        "sha512" => sha2::Sha512::digest(data).to_vec(),
        "sha1" => sha1::Sha1::digest(data).to_vec(),
        _ => return None,
    })
}

/// RSA PKCS#1 v1.5 over `message` hashed with `alg`, with the key of `cert`.
fn rsa_verifies(cert: &Certificate, alg: &str, message: &[u8], signature: &[u8]) -> bool {
    let spki = &cert.tbs_certificate.subject_public_key_info;
    let Ok(key) = RsaPublicKey::from_pkcs1_der(spki.subject_public_key.raw_bytes()) else {
        return false;
    };
    let Some(hashed) = hash(alg, message) else {
        return false;
    };
    let scheme = match alg {
        "sha256" => Pkcs1v15Sign::new::<sha2::Sha256>(),
        "sha384" => Pkcs1v15Sign::new::<sha2::Sha384>(),
        "sha512" => Pkcs1v15Sign::new::<sha2::Sha512>(),
        "sha1" => Pkcs1v15Sign::new::<sha1::Sha1>(),
        _ => return false,
    };
    key.verify(scheme, &hashed, signature).is_ok()
}

/// `child` was signed by `parent`'s key (the issuer name must match too).
pub fn issued_by(child: &Certificate, parent: &Certificate) -> bool {
    if child.tbs_certificate.issuer != parent.tbs_certificate.subject {
        return false;
    }
    let (Some(alg), Ok(tbs)) = (
        cert_digest(&child.signature_algorithm.oid),
        child.tbs_certificate.to_der(),
    ) else {
        return false;
    };
    child
        .signature
        .as_bytes()
        .is_some_and(|sig| rsa_verifies(parent, alg, &tbs, sig))
}

impl Signature {
    /// Parses one WIN_CERTIFICATE's data (the DER ContentInfo, possibly followed by
    /// padding). `Err` says why it is not an Authenticode signature.
    pub fn parse(data: &[u8]) -> Result<Signature, String> {
        let parsed = AuthenticodeSignature::from_bytes(data).map_err(|e| format!("{e:?}"))?;
        // The crate's `certificates()` panics on an absent set: read them ourselves.
        let mut reader = SliceReader::new(data).map_err(|e| e.to_string())?;
        let info = ContentInfo::decode(&mut reader).map_err(|e| e.to_string())?;
        let signed: SignedData = info.content.decode_as().map_err(|e| e.to_string())?;
        let certificates: Vec<Certificate> = signed
            .certificates
            .iter()
            .flat_map(|set| set.0.iter())
            .filter_map(|c| match c {
                CertificateChoices::Certificate(c) => Some(c.clone()),
                CertificateChoices::Other(_) => None,
            })
            .collect();
        let signer = match &parsed.signer_info().sid {
            SignerIdentifier::IssuerAndSerialNumber(id) => certificates.iter().position(|c| {
                c.tbs_certificate.issuer == id.issuer
                    && c.tbs_certificate.serial_number == id.serial_number
            }),
            SignerIdentifier::SubjectKeyIdentifier(_) => None,
        };
        let mut sig = Signature {
            parsed,
            certificates,
            signer,
            signed_ok: false,
        };
        sig.signed_ok = sig.check_signer();
        Ok(sig)
    }

    /// The signer's key signed the attributes, and the attributes name the content.
    fn check_signer(&self) -> bool {
        let Some(cert) = self.signer.and_then(|i| self.certificates.get(i)) else {
            return false;
        };
        let info = self.parsed.signer_info();
        let Some(alg) = digest_name(&info.digest_alg.oid) else {
            return false;
        };
        let Some(content) = self.parsed.encapsulated_content() else {
            return false;
        };
        let Some(content_hash) = hash(alg, content) else {
            return false;
        };
        let signature = self.parsed.signature();
        match &info.signed_attrs {
            None => rsa_verifies(cert, alg, content, signature),
            Some(attrs) => {
                let digest_attr = attrs
                    .iter()
                    .find(|a| a.oid == MESSAGE_DIGEST)
                    .and_then(|a| a.values.iter().next())
                    .and_then(|v| v.decode_as::<der::asn1::OctetString>().ok());
                if digest_attr.is_none_or(|d| d.as_bytes() != content_hash.as_slice()) {
                    return false;
                }
                // The signature covers the attributes re-tagged as a DER SET OF.
                attrs
                    .to_der()
                    .is_ok_and(|der| rsa_verifies(cert, alg, &der, signature))
            }
        }
    }

    pub fn signer_cert(&self) -> Option<&Certificate> {
        self.signer.and_then(|i| self.certificates.get(i))
    }

    /// Whether `anchor` anchors this signature: the signer verifies and a chain of
    /// the blob's certificates leads from it to `anchor` (or is `anchor`).
    pub fn anchored_by(&self, anchor: &Certificate) -> bool {
        if !self.signed_ok {
            return false;
        }
        let Some(mut cur) = self.signer_cert() else {
            return false;
        };
        for _ in 0..MAX_CHAIN {
            if cur == anchor || issued_by(cur, anchor) {
                return true;
            }
            let next = self
                .certificates
                .iter()
                .find(|c| *c != cur && issued_by(cur, c));
            match next {
                Some(n) => cur = n,
                None => return false,
            }
        }
        false
    }
}
