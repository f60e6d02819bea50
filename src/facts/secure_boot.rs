//! Secure Boot: the policy the firmware, shim and GRUB will apply (state, where it
//! was read, the key lists) and, per binary of the chain, what Secure Boot sees in
//! it (`inspect::secure_boot::SignedImage`) and which keys anchor each signature.
//! `probe::secure_boot` fills it (the only place that verifies signatures, since it
//! needs the bytes); the BV70xx checks apply the decision table
//! (shared/reference/secure-boot.md §10) to it.

use serde::{Deserialize, Serialize};

use crate::inspect::secure_boot::sbat::SbatLevel;
use crate::inspect::secure_boot::{CertName, SignedImage};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SecureBootFacts {
    pub policy: Policy,
    /// The binaries of the chain, first loader first.
    #[serde(default)]
    pub chain: Vec<BinaryFact>,
}

impl SecureBootFacts {
    pub fn is_empty(&self) -> bool {
        self.chain.is_empty() && self.policy.from == PolicyFrom::Nothing
    }

    pub fn stage(&self, stage: Stage) -> impl Iterator<Item = &BinaryFact> {
        self.chain.iter().filter(move |b| b.stage == stage)
    }
}

/// `--secure-boot on|off`: the state is the flag's, the keys stay those read.
pub fn what_if(facts: &mut SecureBootFacts, on: bool) {
    let p = &mut facts.policy;
    p.state = if on { SbState::On } else { SbState::Off };
    let keys = p
        .source
        .clone()
        .unwrap_or_else(|| "none read: db, dbx and MOK unknown".into());
    p.why = format!(
        "--secure-boot {} (keys: {keys})",
        if on { "on" } else { "off" }
    );
    p.from = PolicyFrom::Flag;
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SbState {
    On,
    Off,
    #[default]
    Unknown,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyFrom {
    /// `/sys/firmware/efi/efivars` (or a copy): the current boot's variables.
    Efivarfs,
    /// An edk2/OVMF variable store file (`--efi-vars VARS.fd`).
    VarStore,
    /// `--secure-boot on|off`: what if.
    Flag,
    #[default]
    Nothing,
}

/// The policy, and what each part of it rests on.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Policy {
    pub state: SbState,
    pub from: PolicyFrom,
    /// The path the variables came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// How the state was decided, or what is unknown.
    pub why: String,
    /// shim's validation is off (MokSBState = 1): shim, GRUB and Linux verify
    /// nothing, the firmware still verifies shim.
    #[serde(default)]
    pub shim_insecure: bool,
    /// `None`: not known (no variables read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db: Option<KeyList>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dbx: Option<KeyList>,
    /// MokList (store) or MokListRT (live).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mok: Option<KeyList>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mokx: Option<KeyList>,
    /// SbatLevel (store) or SbatLevelRT (live); `None` with variables read:
    /// absent (shim then writes its automatic level in secure mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sbat_level: Option<SbatLevel>,
    /// A MOK enrollment waits for MokManager at the next boot (`MokNew`).
    #[serde(default)]
    pub mok_pending: bool,
}

/// One key list (db, dbx, MOK…), summarised.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyList {
    pub certs: Vec<CertName>,
    /// Image digests (hex; SHA-256 and SHA-1 entries).
    #[serde(default)]
    pub hashes: Vec<String>,
    /// TBSCertificate SHA-256 digests (`EFI_CERT_X509_SHA256`).
    #[serde(default)]
    pub tbs_hashes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

impl KeyList {
    pub fn has_hash(&self, hex: &str) -> bool {
        self.hashes.iter().any(|h| h == hex)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// What the firmware runs (`\EFI\BOOT\BOOTX64.EFI`): shim or GRUB.
    FirstLoader,
    /// What shim runs (grubx64.efi beside it).
    SecondStage,
    /// A kernel an entry boots (GRUB hands it to shim's Verify()).
    Kernel,
    /// An EFI image an entry chainloads.
    Chainloaded,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListName {
    Db,
    Dbx,
    Mok,
    MokX,
    /// shim's built-in `.vendor_cert`.
    Vendor,
    /// shim's built-in vendor dbx.
    VendorDbx,
}

impl ListName {
    pub fn name(self) -> &'static str {
        match self {
            ListName::Db => "db",
            ListName::Dbx => "dbx",
            ListName::Mok => "MokList",
            ListName::MokX => "MokListX",
            ListName::Vendor => "shim's vendor certificate",
            ListName::VendorDbx => "shim's vendor dbx",
        }
    }
}

/// A certificate of a key list that anchors a signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRef {
    pub list: ListName,
    pub index: usize,
    pub subject: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BinaryFact {
    pub stage: Stage,
    /// The path as the firmware or GRUB names it.
    pub path: String,
    /// The volume it was read from (GRUB's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<String>,
    /// For kernels and chainloaded images: the index in `BootFacts::files`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<usize>,
    /// Why it could not be read or is not a PE image (then `image` is None).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<SignedImage>,
    /// Per signature (same order as `image.signatures`): the certificates of
    /// db, dbx, MOK, MOKX and the first loader's vendor lists that anchor it.
    #[serde(default)]
    pub anchors: Vec<Vec<KeyRef>>,
}
