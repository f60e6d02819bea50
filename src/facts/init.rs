//! What the boot will execute as init on a root filesystem: the path asked for
//! (`init=` or `/sbin/init`) and the fallbacks the kernel and initramfs-tools try
//! (`/etc/init`, `/bin/init`, `/bin/sh`), each resolved inside that filesystem.

use serde::{Deserialize, Serialize};

/// The paths tried after the requested init fails, in the order both the kernel
/// (init/main.c `kernel_init`) and initramfs-tools' `init` try them.
pub const FALLBACKS: [&str; 4] = ["/sbin/init", "/etc/init", "/bin/init", "/bin/sh"];

/// The init path nobody asked for by `init=`.
pub const DEFAULT_INIT: &str = "/sbin/init";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitFact {
    /// The path as the boot names it.
    pub path: String,
    /// Each symlink followed on the way, as `link -> target`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
    pub state: InitState,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum InitState {
    /// Something the kernel can execute on this machine: `kind` says what
    /// (`ELF 64-bit x86-64`, `script run by /bin/sh`).
    Executable {
        resolved: String,
        kind: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Nothing there: `ended` is the path where the lookup (after any links) stopped.
    Missing { ended: String },
    /// There, but not something this machine executes (a directory, an ARM
    /// binary, a script whose interpreter is missing).
    NotExecutable { resolved: String, why: String },
    /// Could not be read (a filesystem bootvet does not read, an IO error).
    Unknown { why: String },
}

impl InitFact {
    pub fn runs(&self) -> bool {
        matches!(self.state, InitState::Executable { .. })
    }

    pub fn unknown(&self) -> bool {
        matches!(self.state, InitState::Unknown { .. })
    }
}
