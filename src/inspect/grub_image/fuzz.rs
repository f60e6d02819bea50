//! Bodies of the `grub_image` fuzz target (`fuzz/fuzz_targets/grub_image.rs`), also
//! run by `tests/grub_image.rs` over seeded mutations of real images. Each must return
//! for any input without panicking, in bounded time and memory, and check what the
//! parsers promise about their results.

use super::boot_sector::SECTOR;
use super::{
    core, early_config, efi, follow_bios_chain, module_area, module_file, symbols, version,
};

/// The BIOS chain over a byte string taken as a disk image: LBA 0 is the MBR, and the
/// chain's reads are served from the same bytes (past the end: unreadable).
pub fn bios_disk(data: &[u8]) {
    let mut requested = 0u64;
    let mut read = |lba: u64, count: u32| -> Option<Vec<u8>> {
        requested += u64::from(count);
        assert!(
            requested <= super::MAX_CHAIN_SECTORS,
            "the chain asked for {requested} sectors"
        );
        let start = usize::try_from(lba).ok()?.checked_mul(SECTOR)?;
        let end = start.checked_add(count as usize * SECTOR)?;
        data.get(start..end).map(<[u8]>::to_vec)
    };
    let chain = follow_bios_chain(data, &mut read);
    if let Some(core) = &chain.core {
        assert!(chain.fault.is_none());
        assert!(chain.diskboot.is_some());
        assert!(core.modules.len() <= data.len() / 8);
    }
    // The same bytes as the installed core.img, whole and cut short.
    if !chain.core_bytes.is_empty() {
        for file in [
            &chain.core_bytes[..],
            &chain.core_bytes[..chain.core_bytes.len() / 2],
        ] {
            let entries = chain.diskboot.as_ref().map_or(0, |d| d.blocklist.len());
            if let core::InstalledCore::UnprotectedDiffers { first, last, .. } =
                core::compare_installed(&chain.core_bytes, file, entries)
            {
                assert!(first <= last && last < file.len());
            }
        }
    }
}

/// A core and an installed core.img: the input split at its first byte's share.
pub fn installed_core(data: &[u8]) {
    let Some((&cut, rest)) = data.split_first() else {
        return;
    };
    let (embedded, file) = rest.split_at(rest.len() * usize::from(cut) / 256);
    let _ = core::compare_installed(embedded, file, usize::from(cut % 40));
}

/// A core.img file, and a module area read at the start of the bytes.
pub fn core_image(data: &[u8]) {
    if let Ok(core) = core::parse_core(data) {
        assert!(core.kernel_size < u64::from(core.header.uncompressed_size));
        let _ = core.into_image();
    }
    let _ = symbols::kernel_names(data);
    if let Some(s) = symbols::module_symbols(data) {
        let _ = symbols::unresolved(&s, &Default::default(), &Default::default());
    }
    for word in [module_area::Word::W32, module_area::Word::W64] {
        let area = module_area::walk(data, word);
        assert!(area.modules.len() <= data.len() / 8);
        for m in &area.modules {
            assert!(m.offset + m.size <= data.len() as u64);
        }
    }
}

/// An EFI file.
pub fn efi_image(data: &[u8]) {
    if let Ok(img) = efi::inspect_efi(data) {
        assert!(img.sections.len() <= 96);
        if let efi::EfiKind::Grub(g) = &img.kind {
            assert!(g.modules.len() <= data.len() / 8);
        }
    }
}

/// `modinfo.sh` and `command.lst` text, and the `normal.mod` version finder.
pub fn modinfo(data: &[u8]) {
    let m = version::parse_modinfo(&String::from_utf8_lossy(data));
    let _ = m.target();
    if let Some(v) = version::normal_mod_version(data) {
        assert!(v.len() <= 64);
    }
    let text = String::from_utf8_lossy(data);
    let _ = version::upstream_of(&text);
    for (name, _) in module_file::parse_moddep(&text) {
        assert!(!name.is_empty());
    }
    for arch in [
        module_file::ModuleArch::I386,
        module_file::ModuleArch::X86_64,
    ] {
        let head = &data[..data.len().min(module_file::HEADER_BYTES)];
        let _ = module_file::refusal(head, data.len() as u64, arch);
        let _ = module_file::refusal(head, u64::MAX, arch);
    }
    for c in version::parse_command_lst(&text) {
        assert!(!c.command.is_empty() && !c.module.is_empty());
    }
}

/// The embedded early config, as the rescue parser runs it.
pub fn early_config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let steps = early_config::steps(&text);
    assert!(steps.len() <= text.lines().count());
    for s in &steps {
        if let early_config::Step::Set { value, .. } = s {
            let _ = early_config::expand(value, |_| Some("hd0,gpt3".into()));
        }
    }
    let _ = early_config::split_prefix(&text);
}

/// The fuzz target: the first byte picks the parser.
pub fn grub_image(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    match which % 6 {
        0 => bios_disk(rest),
        1 => core_image(rest),
        2 => efi_image(rest),
        3 => modinfo(rest),
        4 => installed_core(rest),
        _ => early_config(rest),
    }
}
