//! The firmware above GRUB: the UEFI variables bootvet was given or found (a
//! variable store file, an efivarfs directory, the live efivarfs) and what they say.
//! `probe::efivars` reads them; `inspect::efivars` parses them; checks read this.

use serde::{Deserialize, Serialize};

use crate::inspect::efivars::Variables;
use crate::inspect::efivars::boot::{self, BootManager, LoadOption};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FirmwareFacts {
    /// The variables, when a store was given (`--efi-vars`) or the live system has
    /// efivarfs; None: no variables known (a disk image alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vars: Option<VarsFact>,
    /// The boot manager's variables decoded from `vars` (issue 14): what the
    /// firmware will try, in which order. None: no variables were read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot: Option<BootEntries>,
}

impl FirmwareFacts {
    pub fn is_empty(&self) -> bool {
        self.vars.is_none() && self.boot.is_none()
    }
}

/// `BootOrder`, `BootNext`, `BootCurrent` and every `Boot####`, as read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootEntries {
    /// `BootOrder`; None when the variable does not exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<Vec<u16>>,
    /// `BootNext`: tried once, first, then deleted by BdsDxe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<u16>,
    /// `BootCurrent`: the entry this boot came from (live systems only: the
    /// variable is volatile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<u16>,
    pub entries: Vec<BootEntry>,
}

/// One `Boot####` variable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootEntry {
    pub number: u16,
    /// LOAD_OPTION_ACTIVE and the BOOT category: BdsDxe tries it.
    pub active: bool,
    /// The device path in efivar's text form (`HD(1,GPT,…,0x800,0x100000)/File(\EFI\debian\shimx64.efi)`).
    pub text: String,
    #[serde(flatten)]
    pub option: LoadOption,
}

impl BootEntries {
    pub fn from_manager(m: &BootManager) -> BootEntries {
        BootEntries {
            order: m.order.clone(),
            next: m.next,
            current: m.current,
            entries: m
                .options
                .iter()
                .map(|(n, o)| BootEntry {
                    number: *n,
                    active: o.bootable(),
                    text: boot::path_text(&o.path),
                    option: o.clone(),
                })
                .collect(),
        }
    }

    pub fn entry(&self, number: u16) -> Option<&BootEntry> {
        self.entries.iter().find(|e| e.number == number)
    }
}

impl BootEntry {
    /// `Boot0001`, as the variable is named.
    pub fn name(&self) -> String {
        format!("Boot{:04X}", self.number)
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
