//! Reads UEFI variables, read-only, from where the user points (`--efi-vars PATH`: an
//! edk2/OVMF `VARS.fd` file, or a directory copied from efivarfs) or, on the live
//! system, from `/sys/firmware/efi/efivars`. Parsing is `inspect::efivars`; this file
//! only opens, bounds and lists. Live efivarfs shows the runtime-visible variables
//! only (NV-only ones such as MokList or SbatLevel are not there: their RT mirrors are).

use std::io::Read;
use std::path::Path;

use crate::facts::firmware::{VarsFact, VarsKind};
use crate::inspect::efivars::{self, MAX_VARIABLE_BYTES, Variables};

/// Where the running system's firmware variables are.
pub const LIVE_EFIVARS: &str = "/sys/firmware/efi/efivars";

/// Bigger than any edk2 flash image bootvet knows (OVMF's whole 4 MiB `OVMF.fd`
/// holds its store at the start): a variable store file is read up to this.
pub const MAX_STORE_FILE: u64 = 64 << 20;

/// At most this many files are read from an efivarfs directory (a real machine has
/// a few hundred at most).
pub const MAX_EFIVARFS_FILES: usize = 4096;

/// Reads `path`: a directory is efivarfs (or a copy), a file a variable store.
/// Never fails: what could not be read is the fact's `error`.
pub fn read(path: &Path) -> VarsFact {
    let source = path.display().to_string();
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => read_dir(path, source),
        Ok(_) => read_store_file(path, source),
        Err(e) => VarsFact::failed(source, VarsKind::Store, format!("cannot read: {e}")),
    }
}

/// The live system's variables, when it booted by UEFI and efivarfs is mounted.
pub fn read_live() -> Option<VarsFact> {
    let dir = Path::new(LIVE_EFIVARS);
    dir.is_dir().then(|| read_dir(dir, LIVE_EFIVARS.into()))
}

fn read_store_file(path: &Path, source: String) -> VarsFact {
    let mut bytes = Vec::new();
    let read =
        std::fs::File::open(path).and_then(|f| f.take(MAX_STORE_FILE + 1).read_to_end(&mut bytes));
    if let Err(e) = read {
        return VarsFact::failed(source, VarsKind::Store, format!("cannot read: {e}"));
    }
    if bytes.len() as u64 > MAX_STORE_FILE {
        return VarsFact::failed(
            source,
            VarsKind::Store,
            format!("bigger than {MAX_STORE_FILE} bytes: not a firmware variable store"),
        );
    }
    match efivars::parse_store(&bytes) {
        Ok(store) => VarsFact {
            source,
            kind: VarsKind::Store,
            error: None,
            vars: store.vars,
        },
        Err(e) => VarsFact::failed(source, VarsKind::Store, e.to_string()),
    }
}

fn read_dir(dir: &Path, source: String) -> VarsFact {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            return VarsFact::failed(source, VarsKind::Efivarfs, format!("cannot list: {e}"));
        }
    };
    let mut names: Vec<String> = Vec::new();
    let mut vars = Variables::default();
    for entry in entries.flatten() {
        if names.len() >= MAX_EFIVARFS_FILES {
            vars.faults.push(format!(
                "more than {MAX_EFIVARFS_FILES} files: the rest were not read"
            ));
            break;
        }
        // Regular files only: a copied directory may hold symlinks pointing anywhere.
        if entry.file_type().is_ok_and(|t| t.is_file()) {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    // Directory order is the filesystem's; sorted, two runs say the same thing.
    names.sort();
    for name in names {
        if efivars::split_efivarfs_name(&name).is_none() {
            continue;
        }
        let mut bytes = Vec::new();
        let read = std::fs::File::open(dir.join(&name)).and_then(|f| {
            f.take(MAX_VARIABLE_BYTES as u64 + 5)
                .read_to_end(&mut bytes)
        });
        if let Err(e) = read {
            vars.faults.push(format!("{name}: {e}"));
            continue;
        }
        match efivars::parse_efivarfs_file(&name, &bytes) {
            Ok(v) => vars.variables.push(v),
            Err(e) => vars.faults.push(e.to_string()),
        }
    }
    VarsFact {
        source,
        kind: VarsKind::Efivarfs,
        error: None,
        vars,
    }
}
