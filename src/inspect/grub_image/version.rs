//! Which GRUB a set of bytes is. An i386-pc core carries no version string; the module
//! directory says it in `modinfo.sh` (`grub-core/modinfo.sh.in`), `normal.mod` holds the
//! `PACKAGE_VERSION` it prints as `GNU GRUB  version %s` (`normal/main.c`), and EFI
//! images have `.sbat` rows.

use serde::{Deserialize, Serialize};

use super::efi::SbatRow;
use super::find;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrubVersion {
    /// Upstream version, `2.06`.
    pub version: Option<String>,
    /// The distribution's package version, `2.06-13+deb12u2`.
    pub package_version: Option<String>,
    pub source: VersionSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionSource {
    Sbat,
    NormalMod,
    ModinfoSh,
}

/// `$prefix/<platform>/modinfo.sh`: the build's identity. `grub-install` copies it
/// beside the modules; it is shell, of which only `key=value` / `key="value"` /
/// `key='value'` lines matter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Modinfo {
    /// `grub_version`, `2.06`.
    pub grub_version: Option<String>,
    /// `grub_package_version`, `2.06-13+deb12u2`.
    pub grub_package_version: Option<String>,
    /// `grub_modinfo_platform`, `pc` / `efi`.
    pub platform: Option<String>,
    /// `grub_modinfo_target_cpu`, `i386` / `x86_64`.
    pub target_cpu: Option<String>,
}

impl Modinfo {
    /// `i386-pc`, `x86_64-efi`: the module directory's name.
    pub fn target(&self) -> Option<String> {
        Some(format!(
            "{}-{}",
            self.target_cpu.as_deref()?,
            self.platform.as_deref()?
        ))
    }

    pub fn version(&self) -> Option<GrubVersion> {
        (self.grub_version.is_some() || self.grub_package_version.is_some()).then(|| GrubVersion {
            version: self.grub_version.clone(),
            package_version: self.grub_package_version.clone(),
            source: VersionSource::ModinfoSh,
        })
    }
}

/// Longest `modinfo.sh` read; the real one is ~4 KiB.
const MAX_MODINFO: usize = 256 << 10;

pub fn parse_modinfo(text: &str) -> Modinfo {
    let mut m = Modinfo::default();
    let cut = (0..=MAX_MODINFO.min(text.len()))
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let text = &text[..cut];
    for line in text.lines() {
        let Some((key, value)) = line.trim().split_once('=') else {
            continue;
        };
        let value = unquote(value.trim());
        let slot = match key.trim() {
            "grub_version" => &mut m.grub_version,
            "grub_package_version" => &mut m.grub_package_version,
            "grub_modinfo_platform" => &mut m.platform,
            "grub_modinfo_target_cpu" => &mut m.target_cpu,
            _ => continue,
        };
        *slot = Some(value).filter(|v| !v.is_empty());
    }
    m
}

fn unquote(v: &str) -> String {
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|r| r.split_once(q)) {
            return inner.0.to_string();
        }
    }
    v.split_whitespace().next().unwrap_or("").to_string()
}

const BANNER: &[u8] = b"GNU GRUB  version %s\0";

/// Plausible version text: starts with a digit, then digits, letters and `.+~:_-`.
fn looks_like_version(s: &[u8]) -> bool {
    (2..=64).contains(&s.len())
        && s[0].is_ascii_digit()
        && s.contains(&b'.')
        && s.iter()
            .all(|&c| c.is_ascii_alphanumeric() || b".+~:_-".contains(&c))
}

/// The version `normal.mod` prints. Its banner format string and `PACKAGE_VERSION` are
/// separate strings; GCC places them next to each other in `.rodata.str` (Debian 2.06
/// [E]), so the string right after the banner is taken. Otherwise, when the banner is
/// there, the one string in the module that looks like a version (none if several do).
pub fn normal_mod_version(module: &[u8]) -> Option<String> {
    let at = find(module, BANNER)?;
    let after = &module[at + BANNER.len()..];
    let next = &after[..after.iter().position(|&b| b == 0).unwrap_or(after.len())];
    if looks_like_version(next) {
        return Some(String::from_utf8_lossy(next).into_owned());
    }
    let mut found = None;
    for s in module.split(|&b| b == 0) {
        if looks_like_version(s) {
            if found.is_some() {
                return None;
            }
            found = Some(String::from_utf8_lossy(s).into_owned());
        }
    }
    found
}

/// `2.06` from `2.06-13+deb12u2` (also `2.12~rc1`, `2.06.r456.g65bc4596` stay whole
/// up to the first `-`).
pub fn upstream_of(package_version: &str) -> Option<String> {
    let v = package_version.split('-').next()?;
    Some(v.to_string()).filter(|v| !v.is_empty())
}

/// GRUB's version from `.sbat`: the `grub` row holds upstream's, a `grub.<vendor>` row
/// the package's.
pub fn from_sbat(rows: &[SbatRow]) -> Option<GrubVersion> {
    let upstream = rows
        .iter()
        .find(|r| r.component == "grub")
        .map(|r| r.version.clone());
    let package = rows
        .iter()
        .find(|r| r.component.starts_with("grub.") && !r.version.is_empty())
        .map(|r| r.version.clone());
    (upstream.is_some() || package.is_some()).then(|| GrubVersion {
        version: upstream.or_else(|| package.as_deref().and_then(upstream_of)),
        package_version: package,
        source: VersionSource::Sbat,
    })
}

/// One line of `$prefix/<platform>/command.lst`: which module registers a command
/// (`normal/dyncmd.c` reads it to autoload; a leading `*` marks an extcmd).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandEntry {
    pub command: String,
    pub module: String,
    pub extcmd: bool,
}

/// Longest `command.lst` read (Debian's is ~6 KiB) and most entries kept.
const MAX_COMMAND_LST: usize = 1 << 20;
const MAX_COMMANDS: usize = 20_000;

/// Parses `command.lst` (`[*]name: module` per line); other lines are skipped.
pub fn parse_command_lst(text: &str) -> Vec<CommandEntry> {
    let cut = (0..=MAX_COMMAND_LST.min(text.len()))
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    text[..cut]
        .lines()
        .filter_map(|line| {
            let (name, module) = line.split_once(':')?;
            let (extcmd, name) = match name.strip_prefix('*') {
                Some(n) => (true, n),
                None => (false, name),
            };
            let (name, module) = (name.trim(), module.trim());
            (!name.is_empty() && !module.is_empty() && !module.contains(char::is_whitespace)).then(
                || CommandEntry {
                    command: name.to_string(),
                    module: module.to_string(),
                    extcmd,
                },
            )
        })
        .take(MAX_COMMANDS)
        .collect()
}

/// The GRUB series a kernel belongs to, told by the names it exports to modules
/// (`grub_register_exported_symbols`): a 2.12 module directory beside an older
/// core builds no menu (`grub>`), a 2.12 core with older modules resets the
/// machine (reference §4), and an i386-pc core says its version nowhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KernelSeries {
    /// Lacks the exports 2.12 added.
    Before2_12,
    /// Has them.
    Since2_12,
}

/// Exports the GRUB 2.12 kernel has and 2.06's lacks, on i386-pc and x86_64-efi
/// alike (the kernel.img of Debian 12's grub-pc-bin/grub-efi-amd64-bin
/// 2.06-13+deb12u2 against Debian 13's 2.12-9+deb13u4): `grub_env_get_bool`
/// (kern/env.c) and `grub_mm_add_region_fn` (kern/mm.c, the dynamic heap growth
/// that 2.12 brought).
const SINCE_2_12: [&str; 2] = ["grub_env_get_bool", "grub_mm_add_region_fn"];
/// Exported by every GRUB 2 kernel (kern/dl.c): without it the names were not
/// found at all, and nothing can be said.
const EVERY_KERNEL: &str = "grub_dl_load";

impl KernelSeries {
    pub fn of(names: &std::collections::BTreeSet<String>) -> Option<KernelSeries> {
        if !names.contains(EVERY_KERNEL) {
            return None;
        }
        Some(if SINCE_2_12.iter().all(|n| names.contains(*n)) {
            KernelSeries::Since2_12
        } else {
            KernelSeries::Before2_12
        })
    }

    /// Whether a module directory of upstream version `modules` (`2.06`, `2.12`)
    /// belongs to another series than this kernel; `None` when `modules` is not
    /// a version.
    pub fn differs_from(self, modules: &str) -> Option<bool> {
        let mut parts = modules.split(['.', '-', '~', '+']);
        let major: u32 = parts.next()?.parse().ok()?;
        let minor: u32 = parts.next()?.parse().ok()?;
        let modules_since = (major, minor) >= (2, 12);
        Some(modules_since != (self == KernelSeries::Since2_12))
    }

    pub fn describe(self) -> &'static str {
        match self {
            KernelSeries::Before2_12 => "older than 2.12",
            KernelSeries::Since2_12 => "2.12 or later",
        }
    }
}

#[cfg(test)]
mod series_tests {
    use super::KernelSeries;

    fn names(list: &[&str]) -> std::collections::BTreeSet<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_2_12_exports_place_a_kernel_and_a_module_directory_of_another_series_differs() {
        let old = KernelSeries::of(&names(&["grub_dl_load", "grub_env_get"]));
        assert_eq!(old, Some(KernelSeries::Before2_12));
        let new = KernelSeries::of(&names(&[
            "grub_dl_load",
            "grub_env_get_bool",
            "grub_mm_add_region_fn",
        ]));
        assert_eq!(new, Some(KernelSeries::Since2_12));
        assert_eq!(KernelSeries::of(&names(&["grub_env_get_bool"])), None);
        let old = KernelSeries::Before2_12;
        assert_eq!(old.differs_from("2.12-9+deb13u4"), Some(true));
        assert_eq!(old.differs_from("2.06-13+deb12u2"), Some(false));
        assert_eq!(KernelSeries::Since2_12.differs_from("2.06"), Some(true));
        assert_eq!(
            KernelSeries::Since2_12.differs_from("2.14~rc1"),
            Some(false)
        );
        assert_eq!(old.differs_from("unknown"), None);
    }
}
