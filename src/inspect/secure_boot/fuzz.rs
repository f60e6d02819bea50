//! Bodies of the `secure_boot` fuzz target (`fuzz/fuzz_targets/secure_boot.rs`),
//! also run by `tests/secure_boot.rs` over mutated real binaries and noise. Each
//! returns for any input without panicking, in time linear in the input.

use super::{esl, inspect, sbat};

/// An EFI binary: digests, signatures, `.vendor_cert`, `.sbatlevel`, and checking
/// every certificate it carries as an anchor of its own signatures.
pub fn signed_image(data: &[u8]) {
    let Ok(img) = inspect(data) else {
        return;
    };
    assert_eq!(img.image.sha256.len(), 64);
    assert!(img.image.signatures.len() <= super::MAX_SIGNATURES);
    for (i, s) in img.image.signatures.iter().enumerate() {
        assert_eq!(img.tbs_hashes(i).len(), s.certificates.len());
    }
    let certs: Vec<_> = img
        .signatures
        .iter()
        .flatten()
        .flat_map(|s| s.certificates.iter().take(4).cloned())
        .take(8)
        .collect();
    for c in &certs {
        assert_eq!(img.anchored_by(c).len(), img.image.signatures.len());
    }
}

/// Signature lists and SBAT level text.
pub fn lists_and_levels(data: &[u8]) {
    let l = esl::parse(data);
    assert!(l.entries.len() <= data.len() / 16);
    let level = sbat::parse_level(data);
    assert!(level.rows.len() <= 256);
    let _ = sbat::parse_sbatlevel_section(data);
    let _ = sbat::revoked(&[], &level);
}
