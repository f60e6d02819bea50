//! Shared by the Secure Boot checks (BV70xx): the decision table of
//! shared/reference/secure-boot.md §10 applied to `facts::secure_boot`, one stage at
//! a time — the firmware (edk2 `DxeImageVerificationHandler`: dbx before db), shim
//! (`verify.c: verify_buffer()`: vendor dbx, dbx, MokListX deny; db, MokList,
//! vendor certificate allow; then SBAT), and GRUB handing the kernel to shim's
//! `Verify()` (same lists, `.sbat` optional). Unknown lists give `Unknown`, never
//! "allowed".

use crate::facts::BootFacts;
use crate::facts::secure_boot::{BinaryFact, KeyList, KeyRef, ListName, Policy, SbState, Stage};
use crate::inspect::secure_boot::sbat::{self, Revoked, SbatLevel};
use crate::inspect::secure_boot::{EslEntry, SignedImage, VendorCert};
use crate::menu::BootEntry;

/// One stage's answer for one binary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Allowed, and by what ("signed by …, verified by db entry …").
    Allowed(String),
    /// Denied by a forbidden hash or certificate.
    Denied(String),
    /// No trusted key verifies it (or it is unsigned).
    NotAllowed(String),
    /// Cannot tell: a list it depends on was not read.
    Unknown(String),
}

fn signer_text(img: &SignedImage) -> String {
    let names: Vec<String> = img
        .signatures
        .iter()
        .filter_map(|s| s.signer.as_ref())
        .map(|c| format!("'{}' (issuer '{}')", c.subject, c.issuer))
        .collect();
    if names.is_empty() {
        "unsigned".into()
    } else {
        format!("signed by {}", names.join(" and "))
    }
}

fn key_text(k: &KeyRef) -> String {
    format!("{} entry {} '{}'", k.list.name(), k.index, k.subject)
}

fn digests(img: &SignedImage) -> Vec<&str> {
    let mut d = vec![img.sha256.as_str(), img.sha1.as_str()];
    d.extend(img.sha256_shim.as_deref());
    d
}

fn hash_in(img: &SignedImage, list: Option<&KeyList>) -> bool {
    list.is_some_and(|l| digests(img).iter().any(|d| l.has_hash(d)))
}

fn vendor_dbx_has(img: &SignedImage, vendor: Option<&VendorCert>) -> bool {
    vendor.is_some_and(|v| {
        v.dbx.entries.iter().any(|(_, e)| {
            matches!(e, EslEntry::Hash { digest, .. } if digests(img).contains(&digest.as_str()))
        })
    })
}

fn anchors_in<'a>(b: &'a BinaryFact, lists: &[ListName]) -> Vec<&'a KeyRef> {
    b.anchors
        .iter()
        .flatten()
        .filter(|k| lists.contains(&k.list))
        .collect()
}

/// The firmware's verdict on the first loader (edk2 order, reference §1).
pub(super) fn firmware(policy: &Policy, b: &BinaryFact) -> Verdict {
    let Some(img) = &b.image else {
        return Verdict::Unknown(b.error.clone().unwrap_or_default());
    };
    let who = signer_text(img);
    if let Some(f) = &img.table_fault {
        return Verdict::Denied(format!("its certificate table is malformed ({f})"));
    }
    if let Some(k) = anchors_in(b, &[ListName::Dbx]).first() {
        return Verdict::Denied(format!("{who}; the signature chains to {}", key_text(k)));
    }
    if let Some(dbx) = &policy.dbx {
        let tbs = img
            .signatures
            .iter()
            .flat_map(|s| &s.certificates)
            .find(|c| dbx.tbs_hashes.contains(&c.tbs_sha256));
        if let Some(c) = tbs {
            return Verdict::Denied(format!(
                "{who}; certificate '{}' is revoked in dbx",
                c.subject
            ));
        }
    }
    if hash_in(img, policy.dbx.as_ref()) {
        return Verdict::Denied(format!("{who}; its hash {} is in dbx", img.sha256));
    }
    if let Some(k) = anchors_in(b, &[ListName::Db]).first() {
        return Verdict::Allowed(format!("{who}, verified by {}", key_text(k)));
    }
    if hash_in(img, policy.db.as_ref()) {
        return Verdict::Allowed(format!("its hash {} is in db", img.sha256));
    }
    match (&policy.db, &policy.dbx) {
        (Some(_), Some(_)) => Verdict::NotAllowed(format!(
            "{who}; no db certificate verifies it and its hash is not in db"
        )),
        _ => Verdict::Unknown(format!("{who}; db and dbx were not read")),
    }
}

/// shim's verdict on GRUB, or on a kernel GRUB hands to shim's Verify() (§3).
pub(super) fn shim(policy: &Policy, vendor: Option<&VendorCert>, b: &BinaryFact) -> Verdict {
    let Some(img) = &b.image else {
        return Verdict::Unknown(b.error.clone().unwrap_or_default());
    };
    let who = signer_text(img);
    if img.table_not_at_end {
        return Verdict::Denied("its certificate table is not at the file's end (shim: Malformed binary after Attribute Certificate Table)".into());
    }
    if vendor_dbx_has(img, vendor) {
        return Verdict::Denied(format!(
            "{who}; its hash {} is in shim's vendor dbx",
            img.sha256
        ));
    }
    if hash_in(img, policy.dbx.as_ref()) {
        return Verdict::Denied(format!("{who}; its hash {} is in dbx", img.sha256));
    }
    if hash_in(img, policy.mokx.as_ref()) {
        return Verdict::Denied(format!("{who}; its hash {} is in MokListX", img.sha256));
    }
    if hash_in(img, policy.db.as_ref()) || hash_in(img, policy.mok.as_ref()) {
        return Verdict::Allowed(format!("its hash {} is in db or MokList", img.sha256));
    }
    // Per signature: denied if a forbidden certificate anchors it, else allowed by a
    // trusted one; one passing signature suffices.
    for (i, anchors) in b.anchors.iter().enumerate() {
        let denied = anchors
            .iter()
            .any(|k| matches!(k.list, ListName::Dbx | ListName::MokX | ListName::VendorDbx));
        if denied {
            continue;
        }
        if let Some(k) = anchors
            .iter()
            .find(|k| matches!(k.list, ListName::Db | ListName::Mok | ListName::Vendor))
        {
            let signer = img
                .signatures
                .get(i)
                .and_then(|s| s.signer.as_ref())
                .map_or("?".to_string(), |c| c.subject.clone());
            return Verdict::Allowed(format!("signed by '{signer}', verified by {}", key_text(k)));
        }
    }
    if let Some(k) = anchors_in(b, &[ListName::Dbx, ListName::MokX, ListName::VendorDbx]).first() {
        return Verdict::Denied(format!("{who}; the signature chains to {}", key_text(k)));
    }
    if policy.db.is_none() || policy.mok.is_none() {
        return Verdict::Unknown(format!(
            "{who}; shim's vendor certificate does not verify it, and db and MokList were not read"
        ));
    }
    Verdict::NotAllowed(format!(
        "{who}; no certificate of db, MokList or shim's vendor certificate verifies it"
    ))
}

/// The first loader, when it is shim (its vendor lists and `.sbatlevel`).
pub(super) fn first_loader(facts: &BootFacts) -> Option<&BinaryFact> {
    facts.secure_boot.stage(Stage::FirstLoader).next()
}

pub(super) fn vendor(facts: &BootFacts) -> Option<&VendorCert> {
    first_loader(facts)?.image.as_ref()?.vendor.as_ref()
}

/// The SBAT level shim applies in secure mode: the variable, unless shim's
/// automatic level is newer (shim then writes it first, `set_sbat_uefi_variable()`).
pub(super) fn sbat_level(facts: &BootFacts) -> Option<SbatLevel> {
    let built_in = first_loader(facts)?
        .image
        .as_ref()?
        .sbat_levels
        .as_ref()
        .map(|l| l.automatic.clone());
    match (facts.secure_boot.policy.sbat_level.clone(), built_in) {
        (Some(v), Some(b)) if b.datestamp > v.datestamp => Some(b),
        (Some(v), _) => Some(v),
        (None, b) => b,
    }
}

pub(super) fn revoked(img: &SignedImage, level: &SbatLevel) -> Option<Revoked> {
    sbat::revoked(&img.sbat, level)
}

/// Whether shim and GRUB enforce: SB on and shim's validation not disabled.
pub(super) fn shim_enforces(policy: &Policy) -> bool {
    policy.state == SbState::On && !policy.shim_insecure
}

/// The entries whose booting kernel is `b` (by its file index).
pub(super) fn entries_booting<'a>(cx: &super::Context<'a>, b: &BinaryFact) -> Vec<&'a BootEntry> {
    super::entries(cx)
        .into_iter()
        .filter(|e| {
            super::linux(e).is_some_and(|(_, file, _)| {
                cx.facts
                    .files
                    .iter()
                    .position(|f| f.device == file.device && f.path == file.path)
                    == b.file
            })
        })
        .collect()
}

/// What shim shows when it refuses the image it loads itself (reference §3, [exp]).
pub(super) fn shim_refusal() -> Vec<String> {
    vec![
        "Verification failed: (0x1A) Security Violation".into(),
        "Failed to load image: Security Policy Violation".into(),
    ]
}

/// The loader-level refusal that stops every entry before grub.cfg runs, if any:
/// the firmware refusing the first loader, shim's own SBAT, shim refusing GRUB.
pub(super) fn loader_blocked(facts: &BootFacts) -> bool {
    let policy = &facts.secure_boot.policy;
    if policy.state != SbState::On {
        return false;
    }
    let Some(first) = first_loader(facts) else {
        return false;
    };
    if matches!(
        firmware(policy, first),
        Verdict::Denied(_) | Verdict::NotAllowed(_)
    ) {
        return true;
    }
    if !shim_enforces(policy) {
        return false;
    }
    let level = sbat_level(facts);
    let revoked_img = |b: &BinaryFact| {
        b.image
            .as_ref()
            .zip(level.as_ref())
            .is_some_and(|(i, l)| revoked(i, l).is_some() || i.sbat.is_empty())
    };
    if first.image.as_ref().is_some_and(|i| i.vendor.is_some()) && revoked_img(first) {
        return true;
    }
    facts.secure_boot.stage(Stage::SecondStage).any(|g| {
        matches!(
            shim(policy, vendor(facts), g),
            Verdict::Denied(_) | Verdict::NotAllowed(_)
        ) || revoked_img(g)
    })
}

/// A finding that stops every entry: attached to each (all fail), else global.
pub(super) fn for_every_entry(
    cx: &super::Context<'_>,
    finding: crate::check::Finding,
    out: &mut Vec<crate::check::Finding>,
) {
    let entries = super::entries(cx);
    if entries.is_empty() {
        out.push(finding);
        return;
    }
    for e in entries {
        out.push(finding.clone().entry(e));
    }
}

/// "(ESP) /EFI/BOOT/BOOTX64.EFI" for evidence.
pub(super) fn named(b: &BinaryFact) -> String {
    match &b.volume {
        Some(v) => format!("({v}){}", b.path),
        None => b.path.clone(),
    }
}

/// The GRUB image the firmware starts itself under Secure Boot, with no shim
/// before it (the first loader is a GRUB EFI image, nothing second): GRUB then
/// has no shim_lock protocol to verify with (kern/efi/sb.c), and shim's lists
/// decide nothing. `None` when shim (or nothing known) starts GRUB.
pub(super) fn grub_without_shim(
    facts: &BootFacts,
) -> Option<&crate::inspect::grub_image::GrubImage> {
    use crate::inspect::grub_image::GrubImageKind;
    let first = first_loader(facts)?;
    let img = first.image.as_ref()?;
    if img.vendor.is_some()
        || img.sbat.iter().any(|r| r.component == "shim")
        || facts.secure_boot.stage(Stage::SecondStage).next().is_some()
    {
        return None;
    }
    match facts.loader.as_ref()?.image.as_ref()? {
        grub @ crate::inspect::grub_image::GrubImage {
            kind: GrubImageKind::Efi { .. },
            ..
        } => Some(grub),
        _ => None,
    }
}
