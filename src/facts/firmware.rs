//! The firmware above GRUB: the UEFI variables bootvet was given or found (a
//! variable store file, an efivarfs directory, the live efivarfs) and what they say.
//! `probe::efivars` reads them; `inspect::efivars` parses them; checks read this.

use serde::{Deserialize, Serialize};

use crate::inspect::efivars::Variables;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FirmwareFacts {
    /// The variables, when a store was given (`--efi-vars`) or the live system has
    /// efivarfs; None: no variables known (a disk image alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vars: Option<VarsFact>,
}

impl FirmwareFacts {
    pub fn is_empty(&self) -> bool {
        self.vars.is_none()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VarsKind {
    /// An edk2/OVMF variable store file (`VARS.fd`).
    Store,
    /// efivarfs, or a copy of it: one `Name-GUID` file per variable.
    Efivarfs,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VarsFact {
    /// The path read.
    pub source: String,
    pub kind: VarsKind,
    /// Why nothing could be read (then `vars` is empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(flatten)]
    pub vars: Variables,
}

impl VarsFact {
    pub fn failed(source: String, kind: VarsKind, error: String) -> VarsFact {
        VarsFact {
            source,
            kind,
            error: Some(error),
            vars: Variables::default(),
        }
    }
}
