//! `inspect::secure_boot` on Debian's signed chain and on binaries re-signed here.

use bootvet::inspect::secure_boot::{self, EslEntry, decode_cert, fuzz, sbat};

use super::support::{Rng, fuzz_iterations};
use super::{debian, fresh_key, sh, tmp};

fn vendor_cert(shim: &secure_boot::Inspected) -> x509_cert::Certificate {
    let v = shim.image.vendor.as_ref().expect(".vendor_cert");
    let EslEntry::X509 { der } = &v.db.entries[0].1 else {
        panic!("vendor db is not a certificate: {:?}", v.db.entries[0]);
    };
    decode_cert(der).expect("DER certificate")
}

#[test]
fn debian_signatures_carry_the_digest_of_the_file_and_verify_with_their_signer() {
    let Some(d) = debian() else { return };
    for (name, bytes, signers) in [
        ("shim", &d.shim, 2),
        ("grub", &d.grub, 1),
        ("kernel", &d.kernel, 1),
    ] {
        let img = secure_boot::inspect(bytes).unwrap().image;
        assert_eq!(img.signatures.len(), signers, "{name}");
        for s in &img.signatures {
            assert_eq!(s.digest_algorithm.as_deref(), Some("sha256"), "{name}");
            assert!(s.digest_matches, "{name}: embedded digest ≠ {}", img.sha256);
            assert!(s.signed_ok, "{name}: signer's signature does not verify");
        }
        assert!(img.table_fault.is_none() && !img.table_not_at_end, "{name}");
    }
    let grub = secure_boot::inspect(&d.grub).unwrap().image;
    let signer = grub.signatures[0].signer.as_ref().unwrap();
    assert_eq!(signer.subject, "Debian Secure Boot Signer 2022 - grub2");
    assert_eq!(signer.issuer, "Debian Secure Boot CA");
    let kernel = secure_boot::inspect(&d.kernel).unwrap().image;
    let signer = kernel.signatures[0].signer.as_ref().unwrap();
    assert_eq!(signer.subject, "Debian Secure Boot Signer 2022 - linux");
}

#[test]
fn shims_vendor_cert_anchors_debians_grub_and_kernel_but_not_shim_itself() {
    let Some(d) = debian() else { return };
    let shim = secure_boot::inspect(&d.shim).unwrap();
    let ca = vendor_cert(&shim);
    let name = secure_boot::CertName::of(&ca);
    assert_eq!(name.subject, "Debian Secure Boot CA");
    assert!(name.sha256.starts_with("07964697"), "{}", name.sha256);
    let v = shim.image.vendor.as_ref().unwrap();
    // Debian's vendor dbx: 114 one-entry SHA-256 lists (reference §3).
    assert_eq!(v.dbx.entries.len(), 114);
    assert!(v.dbx.fault.is_none());
    let grub = secure_boot::inspect(&d.grub).unwrap();
    let kernel = secure_boot::inspect(&d.kernel).unwrap();
    assert_eq!(grub.anchored_by(&ca), [true]);
    assert_eq!(kernel.anchored_by(&ca), [true]);
    assert_eq!(shim.anchored_by(&ca), [false, false]);
}

#[test]
fn shims_sbat_and_sbatlevel_and_the_revocation_rule() {
    let Some(d) = debian() else { return };
    let shim = secure_boot::inspect(&d.shim).unwrap().image;
    let levels = shim.sbat_levels.as_ref().expect(".sbatlevel");
    assert_eq!(levels.automatic.datestamp, Some(2025021800));
    assert_eq!(
        levels.automatic.rows[1..],
        [("shim".to_string(), 4), ("grub".to_string(), 5)]
    );
    assert_eq!(levels.latest.datestamp, Some(2025051000));
    let grub = secure_boot::inspect(&d.grub).unwrap().image;
    assert!(sbat::revoked(&grub.sbat, &levels.automatic).is_none());
    assert!(sbat::revoked(&shim.sbat, &levels.latest).is_none());
    let raised = sbat::parse_level(b"sbat,1,2099010100\ngrub,6\n");
    let r = sbat::revoked(&grub.sbat, &raised).expect("grub,5 < grub,6");
    assert_eq!(
        (r.component.as_str(), r.generation, r.level),
        ("grub", 5, 6)
    );
    // August 2024's level revokes every shim before 15.8 (shim,4), not Debian's 16.1.
    let aug = sbat::parse_level(b"sbat,1,2024010900\nshim,4\ngrub,3\ngrub.debian,4\n");
    assert!(sbat::revoked(&shim.sbat, &aug).is_none());
    // The kernel has no .sbat (allowed for images verified through shim's protocol).
    assert!(
        secure_boot::inspect(&d.kernel)
            .unwrap()
            .image
            .sbat
            .is_empty()
    );
}

#[test]
fn grub_resigned_with_a_fresh_key_verifies_only_with_that_key() {
    let Some(d) = debian() else { return };
    let dir = tmp("resigned");
    std::fs::write(dir.join("grub.signed"), &d.grub).unwrap();
    fresh_key(&dir, "bootvet test key");
    sh(
        &dir,
        "sbattach --remove grub.signed && cp grub.signed grub.unsigned && \
         sbsign --key key.pem --cert cert.pem --output grub.mine grub.unsigned 2>/dev/null",
    );
    let unsigned = std::fs::read(dir.join("grub.unsigned")).unwrap();
    let mine = std::fs::read(dir.join("grub.mine")).unwrap();
    let signed = secure_boot::inspect(&d.grub).unwrap();
    let u = secure_boot::inspect(&unsigned).unwrap();
    // The certificate table is outside the digest: removing it keeps the hash.
    assert_eq!(u.image.sha256, signed.image.sha256);
    assert!(u.image.signatures.is_empty());
    let m = secure_boot::inspect(&mine).unwrap();
    assert_eq!(m.image.sha256, signed.image.sha256);
    assert!(m.image.signatures[0].digest_matches && m.image.signatures[0].signed_ok);
    let key = x509_cert::der::Decode::from_der(&std::fs::read(dir.join("cert.der")).unwrap());
    let key: x509_cert::Certificate = key.unwrap();
    assert_eq!(m.anchored_by(&key), [true]);
    let shim = secure_boot::inspect(&d.shim).unwrap();
    assert_eq!(m.anchored_by(&vendor_cert(&shim)), [false]);
    assert_eq!(signed.anchored_by(&key), [false]);
}

#[test]
fn a_changed_byte_breaks_the_digest_and_every_anchor() {
    let Some(d) = debian() else { return };
    let shim = secure_boot::inspect(&d.shim).unwrap();
    let ca = vendor_cert(&shim);
    let mut k = d.kernel.clone();
    let at = k.len() / 2;
    k[at] ^= 0x20;
    let img = secure_boot::inspect(&k).unwrap();
    assert!(!img.image.signatures[0].digest_matches);
    assert!(
        img.image.signatures[0].signed_ok,
        "the signature itself is intact"
    );
    assert_eq!(img.anchored_by(&ca), [false]);
}

#[test]
fn fuzz_bodies_over_mutated_debian_binaries_and_noise() {
    let Some(d) = debian() else { return };
    let mut rng = Rng::new(0x5ec0_b007);
    let seeds = [&d.shim, &d.grub];
    for i in 0..fuzz_iterations() / 10 {
        let mut b = seeds[i % 2].clone();
        for _ in 0..1 + rng.below(8) {
            let at = rng.below(b.len());
            b[at] = rng.next_u64() as u8;
        }
        if i % 7 == 0 {
            b.truncate(rng.below(b.len()));
        }
        fuzz::signed_image(&b);
    }
    for _ in 0..fuzz_iterations() {
        let n = rng.below(4096);
        let b: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
        fuzz::signed_image(&b);
        fuzz::lists_and_levels(&b);
    }
    // Large: a 48 MiB file of noise behind a real header, and lists of 16 MiB.
    let mut big = d.grub.clone();
    big.resize(48 << 20, 0xA5);
    fuzz::signed_image(&big);
    fuzz::lists_and_levels(&vec![0xff; 16 << 20]);
}
