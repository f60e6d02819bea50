//! Menu: runs a parsed grub.cfg the way GRUB does, symbolically, into the menu it
//! will show — entries, submenus, the commands each entry runs with the device
//! expression in force, and the entry that boots next.
//!
//! Owns the evaluator, GRUB's `test`, grubenv and BLS readers, kernel command
//! line splitting and default resolution. Does no IO: everything it reads comes
//! through a [`FileSource`]; implementations that touch files live in
//! `crate::probe`. It never writes anything (`save_env` is recorded as a note).
//!
//! ```
//! use bootvet::menu::{self, MemoryFiles, Options, Platform};
//! let cfg = b"set default=1\nmenuentry 'A' { linux /vmlinuz-a root=/dev/sda1 }\nmenuentry 'B' { linux /vmlinuz-b }\n";
//! let opts = Options { platform: Platform::Efi, ..Options::default() };
//! let m = menu::evaluate(cfg, &opts, &MemoryFiles::new());
//! assert_eq!(m.default.path, Some(vec![1]));
//! ```

pub mod bls;
pub mod cmdline;
pub mod default;
mod eval;
pub mod files;
pub mod flavour;
pub mod grubenv;
pub mod model;
mod test_expr;
mod truth;
pub mod versions;

pub use eval::{MAX_DEPTH, MAX_LOOP, MAX_STEPS, Options, evaluate};
pub use files::{FileError, FileSource, FileStat, MemoryFiles, NoFiles};
pub use model::*;

/// The body of the parse + evaluate fuzz target (`fuzz/fuzz_targets/menu.rs`)
/// and of its in-CI runner: any bytes as grub.cfg, with the same bytes also
/// served as every file the config might read (grubenv, sourced files, BLS).
pub fn fuzz_evaluate(data: &[u8]) {
    let files = MemoryFiles::new()
        .with("/boot/grub/grubenv", data)
        .with("/boot/grub/custom.cfg", data)
        .with("/loader/entries/fuzz-1.0.conf", data);
    for platform in [Platform::Pc, Platform::Efi] {
        let opts = Options {
            platform,
            ..Options::default()
        };
        let menu = evaluate(data, &opts, &files);
        // The result must always be serializable data.
        let _ = serde_json::to_vec(&menu);
    }
}
