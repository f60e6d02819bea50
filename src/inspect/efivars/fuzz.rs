//! Bodies of the `efivars` fuzz target (`fuzz/fuzz_targets/efivars.rs`), also run by
//! `tests/efivars.rs` over random bytes and seeded mutations of Debian's OVMF
//! variable stores. Each must return for any input without panicking and check what
//! the parsers promise: nothing read is bigger than what was given.

use super::boot::{self, BootManager};
use super::{parse_efivarfs_file, parse_store};

/// A variable store file, then the boot manager over what it held.
pub fn store(data: &[u8]) {
    if let Ok(s) = parse_store(data) {
        let bytes: usize = s
            .vars
            .variables
            .iter()
            .map(|v| v.data.len() + v.name.len())
            .sum();
        assert!(bytes <= data.len() * 3, "more bytes out than in");
        assert!(s.records >= s.vars.variables.len());
        assert!(s.records <= data.len() / 32 + 1);
        let m = BootManager::from_variables(&s.vars);
        assert!(m.options.len() <= s.vars.variables.len());
        for (_, o) in &m.options {
            let _ = boot::path_text(&o.path);
            let _ = o.file();
        }
    }
}

/// One load option and one device path.
pub fn load_option(data: &[u8]) {
    let o = boot::parse_load_option(data);
    assert!(o.path.len() <= data.len() / 4);
    assert!(o.optional_data <= data.len());
    let _ = boot::path_text(&o.path);
    // edk2's text of the path (the line OVMF prints on a failed load).
    if let Some(text) = boot::edk2_text(&o.path) {
        assert!(
            text.len() <= data.len() * 4 + 64,
            "edk2 text out of proportion"
        );
    }
    let (nodes, _) = boot::parse_device_path(data);
    assert!(nodes.len() <= data.len() / 4);
    let _ = boot::u16_list(data);
}

/// An efivarfs file whose name is taken from the first bytes.
pub fn efivarfs(data: &[u8]) {
    let cut = data.first().map_or(0, |&n| usize::from(n).min(data.len()));
    let name = String::from_utf8_lossy(&data[..cut]);
    if let Ok(v) = parse_efivarfs_file(&name, &data[cut..]) {
        assert_eq!(v.data.len() + 4, data.len() - cut);
    }
}

/// The fuzz target: the first byte picks the parser.
pub fn efivars(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    match which % 3 {
        0 => store(rest),
        1 => load_option(rest),
        _ => efivarfs(rest),
    }
}
