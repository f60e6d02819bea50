//! Whether modules fit a kernel (§4 of the loader-chain reference). GRUB's kernel
//! registers its exports by name (`grub_register_exported_symbols`, a table generated
//! from `EXPORT_FUNC`/`EXPORT_VAR`), and `grub_dl_resolve_symbols` (`kern/dl.c`) needs
//! every undefined symbol of a module there or in a module it depends on, else
//! `symbol 'NAME' not found`. The export names are NUL-terminated strings in the
//! kernel's bytes, so a name that is nowhere in the kernel cannot be exported by it;
//! other strings that look like names only make this lenient.

use std::collections::BTreeSet;

use object::{Object, ObjectSymbol};
use serde::{Deserialize, Serialize};

/// Most names collected from one kernel or module (a GRUB kernel has ~700 exports).
const MAX_NAMES: usize = 200_000;

/// Every NUL-terminated C identifier in `kernel` (the decoded kernel part of a core,
/// or an EFI image's `.text`/`.data`).
pub fn kernel_names(kernel: &[u8]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for s in kernel.split(|&b| b == 0) {
        if out.len() == MAX_NAMES {
            break;
        }
        // A string that starts mid-buffer is preceded by NUL by construction of split;
        // identifiers only.
        let ok = s.len() >= 2
            && s.len() <= 128
            && (s[0].is_ascii_alphabetic() || s[0] == b'_')
            && s.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_');
        if ok {
            out.insert(String::from_utf8_lossy(s).into_owned());
        }
    }
    out
}

/// A module's global definitions and undefined references.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleSymbols {
    pub defined: Vec<String>,
    pub undefined: Vec<String>,
}

/// Reads a `.mod`'s symbol table; `None` when it is not an ELF object.
pub fn module_symbols(elf: &[u8]) -> Option<ModuleSymbols> {
    let file = object::File::parse(elf).ok()?;
    let mut out = ModuleSymbols::default();
    for sym in file.symbols().take(MAX_NAMES) {
        let Ok(name) = sym.name() else { continue };
        if name.is_empty() {
            continue;
        }
        if sym.is_undefined() {
            out.undefined.push(name.to_string());
        } else if sym.is_global() {
            out.defined.push(name.to_string());
        }
    }
    out.defined.sort();
    out.defined.dedup();
    out.undefined.sort();
    out.undefined.dedup();
    Some(out)
}

/// The undefined symbols of `module` that neither the kernel names nor the modules it
/// depends on (their definitions, already closed over `.moddeps`) provide: what GRUB
/// will report as `symbol 'NAME' not found`.
pub fn unresolved<'a>(
    module: &'a ModuleSymbols,
    kernel: &BTreeSet<String>,
    deps_defined: &BTreeSet<&str>,
) -> Vec<&'a str> {
    module
        .undefined
        .iter()
        .map(String::as_str)
        .filter(|s| !kernel.contains(*s) && !deps_defined.contains(s))
        .collect()
}
