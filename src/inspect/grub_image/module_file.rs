//! A module file at `$prefix/PLATFORM/`, as GRUB's loader first looks at it, and
//! `moddep.lst`. GRUB reads the whole file, then refuses it before relocating
//! anything when its ELF header fails (kern/dl.c `grub_dl_load_file` →
//! `grub_dl_load_core_noinit` → `grub_dl_check_header`, kern/i386/dl.c and
//! kern/x86_64/dl.c `grub_arch_dl_check_header`). A module a full /boot cut short
//! during grub-install, or left empty, fails here with one of these messages.

/// The bytes of a module's start the checks below read: an ELF64 header.
pub const HEADER_BYTES: usize = 64;

/// The ELF class GRUB's loader wants: i386-pc and i386-efi modules are ELF32
/// (EM_386), x86_64-efi modules ELF64 (EM_X86_64).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleArch {
    I386,
    X86_64,
}

impl ModuleArch {
    /// The platform directory's architecture (`i386-pc`, `x86_64-efi`, …).
    pub fn of_platform_dir(dir: &str) -> Option<ModuleArch> {
        match dir.split('-').next()? {
            "i386" => Some(ModuleArch::I386),
            "x86_64" => Some(ModuleArch::X86_64),
            _ => None,
        }
    }

    fn header_size(self) -> u64 {
        match self {
            ModuleArch::I386 => 52,
            ModuleArch::X86_64 => 64,
        }
    }
}

/// What GRUB prints (without `error: ` and the final dot) when it refuses a module
/// of `size` bytes whose first bytes are `head` (at least `HEADER_BYTES` of them
/// when the file has that many), or `None` when the header passes GRUB's checks.
pub fn refusal(head: &[u8], size: u64, arch: ModuleArch) -> Option<&'static str> {
    if size < arch.header_size() || (head.len() as u64) < arch.header_size() {
        return Some("ELF header smaller than expected");
    }
    let u16_at = |at: usize| {
        head.get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let u32_at = |at: usize| {
        head.get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    if head[..4] != *b"\x7fELF" || head[6] != 1 || u32_at(20) != Some(1) {
        return Some("invalid arch-independent ELF magic");
    }
    let (class, machine) = match arch {
        ModuleArch::I386 => (1, 3),
        ModuleArch::X86_64 => (2, 62),
    };
    if head[4] != class || head[5] != 1 || u16_at(18) != Some(machine) {
        return Some("invalid arch-dependent ELF magic");
    }
    // ET_REL: a module is a relocatable object.
    if u16_at(16) != Some(1) {
        return Some("this ELF file is not of the right type");
    }
    let (shoff, shentsize, shnum) = match arch {
        ModuleArch::I386 => (u32_at(32).map(u64::from), u16_at(46), u16_at(48)),
        ModuleArch::X86_64 => (
            head.get(40..48).map(|b| {
                let mut w = [0u8; 8];
                w.copy_from_slice(b);
                u64::from_le_bytes(w)
            }),
            u16_at(58),
            u16_at(60),
        ),
    };
    let (Some(shoff), Some(shentsize), Some(shnum)) = (shoff, shentsize, shnum) else {
        return Some("ELF header smaller than expected");
    };
    // `size < e_shoff + e_shentsize * e_shnum`, in GRUB's native width (32-bit
    // on i386: a sum that wraps passes there, as it does here).
    let table_end = match arch {
        ModuleArch::I386 => u64::from(
            (shoff as u32).wrapping_add(u32::from(shentsize).wrapping_mul(u32::from(shnum))),
        ),
        ModuleArch::X86_64 => {
            shoff.wrapping_add(u64::from(u32::from(shentsize) * u32::from(shnum)))
        }
    };
    (size < table_end).then_some("ELF sections outside core")
}

/// Most lines of `moddep.lst` kept (Debian's has ~290) and most bytes read.
pub const MAX_MODDEP_BYTES: usize = 1 << 20;
const MAX_MODDEP_LINES: usize = 20_000;

/// `moddep.lst`: `module: dep dep …` per line, as grub-mkimage and GRUB's build
/// write it from each module's `.moddeps` (the names `grub_dl_resolve_dependencies`
/// loads first). Malformed lines are skipped.
pub fn parse_moddep(text: &str) -> Vec<(String, Vec<String>)> {
    text.lines()
        .take(MAX_MODDEP_LINES)
        .filter_map(|line| {
            let (name, deps) = line.split_once(':')?;
            let name = name.trim();
            (!name.is_empty() && !name.contains(char::is_whitespace)).then(|| {
                (
                    name.to_string(),
                    deps.split_whitespace().map(str::to_string).collect(),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elf32(size_field: u32) -> Vec<u8> {
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(b"\x7fELF");
        h[4] = 1;
        h[5] = 1;
        h[6] = 1;
        h[16] = 1;
        h[18] = 3;
        h[20] = 1;
        h[32..36].copy_from_slice(&size_field.to_le_bytes());
        h[46] = 40;
        h[48] = 10;
        h
    }

    #[test]
    fn grubs_refusals_in_grubs_order() {
        let arch = ModuleArch::I386;
        assert_eq!(
            refusal(&[], 0, arch),
            Some("ELF header smaller than expected")
        );
        let good = elf32(1000);
        assert_eq!(refusal(&good, 1400, arch), None);
        assert_eq!(
            refusal(&good, 1399, arch),
            Some("ELF sections outside core")
        );
        let mut bad = good.clone();
        bad[0] = 0;
        assert_eq!(
            refusal(&bad, 1400, arch),
            Some("invalid arch-independent ELF magic")
        );
        assert_eq!(
            refusal(&good, 1400, ModuleArch::X86_64),
            Some("invalid arch-dependent ELF magic")
        );
        let mut exec = good;
        exec[16] = 2;
        assert_eq!(
            refusal(&exec, 1400, arch),
            Some("this ELF file is not of the right type")
        );
    }

    #[test]
    fn moddep_lines() {
        let deps = parse_moddep("normal: extcmd crypto\nfshelp:\n\nbad line\n: x\n");
        assert_eq!(
            deps,
            vec![
                (
                    "normal".to_string(),
                    vec!["extcmd".to_string(), "crypto".to_string()]
                ),
                ("fshelp".to_string(), vec![]),
            ]
        );
    }
}
