//! GRUB flavours (issue 21): whose build of GRUB runs grub.cfg, and the rules
//! in which the builds really differ. Pure data and tables; the evaluator asks
//! them, `probe::grub_build` decides the build from what is installed, and
//! every place a rule changed a result is kept as a `FlavourEffect` in the menu.
//!
//! Each rule is sourced from the flavour's own code (reference note:
//! `docs/grub-flavours.md`):
//! - submenus and `configfile` see every variable on Red Hat's GRUB: rhboot/grub2
//!   commit e71c7d4c2 ("Export all variables from the initial context when
//!   creating a submenu", rhel-9-main, Fedora 34+) makes `grub_env_context_open`
//!   call `grub_env_new_context (1)`; upstream (normal/context.c) passes 0, so a
//!   new context holds only exported variables;
//! - `\xHH` passes through on Red Hat's GRUB: rhboot/grub2 commit ead577db9
//!   ("Pass \x[[:hex:]][[:hex:]] straight through unmolested", RHEL 7.6+) keeps
//!   the four bytes in script/execute.c's `wildcard_escape`/`wildcard_unescape`
//!   and in lib/cmdline.c's `grub_create_loader_cmdline`; upstream drops the
//!   backslash of an unquoted escape and doubles a quoted one on the command line;
//! - commands that exist in one build only: `linuxefi`/`initrdefi` (Red Hat's
//!   loader/i386/efi/linux.c registers both; Debian 2.06-13's x86_64-efi
//!   command.lst lists them from its linuxefi.mod; upstream has neither),
//!   `blscfg`/`bls_import` (Red Hat's commands/blscfg.c; absent from Debian's
//!   command.lst and from upstream up to 2.12);
//! - Debian dropped `linuxefi`/`initrdefi` with 2.12: 2.12-9+deb13u4's
//!   x86_64-efi command.lst (trixie) has neither, 2.06-13's has both; upstream
//!   2.14 (commands/blsuki.c) and Debian's 2.14-4 have `blscfg`. Versions by
//!   release: `super::versions`.

use serde::{Deserialize, Serialize};

use super::model::{Flavour, Location, Platform};
use super::versions;

/// Whose GRUB it is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Vendor {
    /// GNU GRUB as released (or a build whose vendor is unknown).
    #[default]
    Upstream,
    /// Debian's `grub2` package and its derivatives (Ubuntu).
    Debian,
    /// Red Hat's tree (rhboot/grub2): Fedora, RHEL, CentOS and their rebuilds.
    RedHat,
}

impl Vendor {
    pub fn name(self) -> &'static str {
        match self {
            Vendor::Upstream => "upstream",
            Vendor::Debian => "Debian/Ubuntu",
            Vendor::RedHat => "Red Hat",
        }
    }

    /// The script rules this build follows: only Red Hat's patches change how
    /// grub.cfg runs (Debian's patches change no rule bootvet models).
    pub fn flavour(self) -> Flavour {
        match self {
            Vendor::RedHat => Flavour::Fedora,
            Vendor::Upstream | Vendor::Debian => Flavour::Upstream,
        }
    }
}

/// Where the build was learnt from, most direct first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChosenBy {
    /// `--grub-flavour`.
    Flag,
    /// The GRUB image the firmware runs (`.sbat` rows).
    GrubImage,
    /// The modules at `$prefix` (`modinfo.sh`'s package version).
    Modules,
    /// Where GRUB lives: `/boot/grub2`, `\EFI\fedora`.
    Layout,
    /// `/etc/os-release` of the system.
    OsRelease,
    /// Nothing told: upstream rules.
    #[default]
    Nothing,
}

/// The GRUB build grub.cfg was evaluated for, and the evidence.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrubBuild {
    pub vendor: Vendor,
    /// The version that evidence names (`2.06-13+deb12u2`), when it names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub chosen_by: ChosenBy,
    /// What was read, in words (`.sbat row grub.debian in \EFI\BOOT\BOOTX64.EFI`).
    pub evidence: String,
}

impl GrubBuild {
    pub fn from_flag(vendor: Vendor) -> Self {
        GrubBuild {
            vendor,
            version: None,
            chosen_by: ChosenBy::Flag,
            evidence: "--grub-flavour".into(),
        }
    }

    /// One line for people: `Red Hat (from .sbat row grub.rh in …)`.
    pub fn describe(&self) -> String {
        let version = self
            .version
            .as_deref()
            .map(|v| format!(" {v}"))
            .unwrap_or_default();
        format!("{}{version} ({})", self.vendor.name(), self.evidence)
    }

    /// Ubuntu's build (its version or `.sbat` row says so): Debian's rules
    /// apply, but its backports and later dropped patches were not read here.
    pub fn is_ubuntu(&self) -> bool {
        let said = |t: &str| t.to_ascii_lowercase().contains("ubuntu");
        self.version.as_deref().is_some_and(said) || said(&self.evidence)
    }

    /// Whether rhboot/grub2 e71c7d4c2 is in this build: submenus and
    /// `configfile` see every variable, and `default` is kept when a submenu
    /// opens. Red Hat's builds from Fedora 30 and RHEL 9 on (the
    /// `grub_env_new_context (1)` in normal/context.c of branches fedora-30…
    /// and rhel-9-main); not RHEL 7 or 8 (rhel-7.9, rhel-8-main: `(0)` and
    /// the unset), nor Fedora 29 and older. A Red Hat build whose version is
    /// not known is taken to have it.
    pub fn keeps_all_variables(&self) -> bool {
        if self.vendor != Vendor::RedHat {
            return false;
        }
        let Some(v) = self.version.as_deref() else {
            return true;
        };
        let release = v.split_once('-').map_or("", |(_, r)| r);
        let old = release.split(['.', '_', '+']).any(|part| {
            let num = |p: Option<&str>| p.and_then(|n| n.parse::<u32>().ok());
            num(part.strip_prefix("el")).is_some_and(|n| n < 9)
                || num(part.strip_prefix("fc")).is_some_and(|n| n < 30)
        });
        !old
    }

    /// `--grub-version`: the version the user says, over any read one.
    pub fn with_version(mut self, version: Option<&str>) -> Self {
        if let Some(v) = version {
            self.version = Some(v.to_string());
            self.evidence = format!("{}; version from --grub-version", self.evidence);
        }
        self
    }
}

/// A flavour rule that decided something.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Which variables a submenu or `configfile` sees.
    SubmenuVariables,
    /// What `\xHH` becomes.
    HexEscape,
    /// A command the build does not have.
    MissingCommand,
    /// Which entry of a submenu `default` boots (Red Hat keeps `default`).
    SubmenuDefault,
    /// An option the build's command rejects (`unknown argument`): the
    /// command does not run.
    MissingOption,
}

impl Rule {
    pub fn name(self) -> &'static str {
        match self {
            Rule::SubmenuVariables => "submenu-variables",
            Rule::HexEscape => "hex-escape",
            Rule::MissingCommand => "missing-command",
            Rule::MissingOption => "missing-option",
            Rule::SubmenuDefault => "submenu-default",
        }
    }
}

/// One place where the flavour changed what bootvet computed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlavourEffect {
    pub rule: Rule,
    pub message: String,
    pub location: Location,
    /// The entry whose body ran it (index path); `None` outside entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<Vec<usize>>,
    /// For `MissingCommand`: the command's name; for `MissingOption`: the
    /// command and the word GRUB rejects (`search --efidisk-only`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

/// Whether `name` exists in `build`'s GRUB on `platform`: `None` for the
/// commands every build has, or where bootvet cannot tell (version unknown,
/// a build whose patches were not read).
pub fn has_command(build: &GrubBuild, platform: Platform, name: &str) -> Option<bool> {
    let release = build.version.as_deref().and_then(versions::release);
    match name {
        // Registered by Red Hat's loader/i386/efi/linux.c and Debian's
        // linuxefi.mod up to 2.06 (x86_64-efi command.lst: `linuxefi:
        // linuxefi`, `initrdefi: linuxefi`); gone from Debian's 2.12 and 2.14;
        // never on i386-pc (Debian's i386-pc command.lst), upstream nowhere.
        "linuxefi" | "initrdefi" => match build.vendor {
            Vendor::Upstream => Some(false),
            Vendor::RedHat => Some(platform == Platform::Efi),
            Vendor::Debian if platform != Platform::Efi => Some(false),
            Vendor::Debian => match release {
                Some(r) if r < (2, 12) => Some(true),
                Some(_) if build.is_ubuntu() => None,
                Some(_) => Some(false),
                None => None,
            },
        },
        // Red Hat's commands/blscfg.c registers both names; upstream's
        // commands/blsuki.c registers `blscfg` from 2.14 (Debian's 2.14 too).
        "blscfg" | "bls_import" => match build.vendor {
            Vendor::RedHat => Some(true),
            _ if name == "bls_import" => Some(false),
            _ => match release {
                Some(r) if r >= (2, 14) => Some(true),
                Some(_) if build.is_ubuntu() => None,
                Some(_) => Some(false),
                None if build.vendor == Vendor::Debian => Some(false),
                None => None,
            },
        },
        _ => None,
    }
}

/// Why `has_command` said no, with its source, for the report.
pub fn why_missing(build: &GrubBuild, platform: Platform, name: &str) -> &'static str {
    match (name, build.vendor) {
        ("linuxefi" | "initrdefi", Vendor::Upstream) => {
            "upstream never had it; its `linux` starts EFI-stub kernels since 2.04"
        }
        ("linuxefi" | "initrdefi", Vendor::Debian) if platform != Platform::Efi => {
            "Debian builds linuxefi.mod for x86_64-efi only, says its i386-pc command.lst"
        }
        ("linuxefi" | "initrdefi", _) => {
            "Debian dropped linuxefi.mod with 2.12, says the x86_64-efi command.lst of 2.12-9+deb13u4"
        }
        ("bls_import", _) => "only Red Hat's commands/blscfg.c registers it",
        _ => "Red Hat's commands/blscfg.c, upstream's commands/blsuki.c from 2.14",
    }
}

/// What GRUB's unescaping leaves of an unquoted word's raw text. Upstream
/// (script/execute.c `wildcard_unescape` after the lexer kept `\c`): a
/// backslash takes the next character literally. Red Hat (rhboot ead577db9):
/// `\x` followed by two hex digits stays as the four bytes. A
/// backslash-newline vanishes in both.
pub fn unescape_unquoted(raw: &str, keep_hex: bool) -> String {
    let b = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            if keep_hex && is_hex_escape(&b[i..]) {
                out.push_str(&raw[i..i + 4]);
                i += 4;
                continue;
            }
            match b.get(i + 1) {
                Some(b'\n') => i += 2,
                Some(b'\r') if b.get(i + 2) == Some(&b'\n') => i += 3,
                Some(_) => {
                    let len = raw[i + 1..].chars().next().map_or(1, char::len_utf8);
                    out.push_str(&raw[i + 1..i + 1 + len]);
                    i += 1 + len;
                }
                None => i += 1,
            }
            continue;
        }
        let len = raw[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&raw[i..i + len]);
        i += len;
    }
    out
}

/// `\xHH` at the start of `b`.
pub fn is_hex_escape(b: &[u8]) -> bool {
    b.len() >= 4
        && b[0] == b'\\'
        && b[1] == b'x'
        && b[2].is_ascii_hexdigit()
        && b[3].is_ascii_hexdigit()
}

/// Whether raw text holds a `\xHH` escape.
pub fn has_hex_escape(raw: &str) -> bool {
    let b = raw.as_bytes();
    (0..b.len()).any(|i| is_hex_escape(&b[i..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centos7_label_under_each_rule() {
        let raw = r"inst.stage2=hd:LABEL=CentOS\x207\x20x86_64";
        assert_eq!(
            unescape_unquoted(raw, false),
            "inst.stage2=hd:LABEL=CentOSx207x20x86_64"
        );
        assert_eq!(unescape_unquoted(raw, true), raw);
    }

    #[test]
    fn other_escapes_are_the_same_in_both() {
        for keep in [false, true] {
            assert_eq!(unescape_unquoted(r"a\ b\q\\", keep), r"a bq\");
            assert_eq!(unescape_unquoted("a\\\nb", keep), "ab");
            assert_eq!(unescape_unquoted(r"\xg1\x2", keep), "xg1x2");
            assert_eq!(unescape_unquoted("é\\é", keep), "éé");
        }
    }

    fn build(vendor: Vendor, version: Option<&str>) -> GrubBuild {
        GrubBuild::from_flag(vendor).with_version(version)
    }

    #[test]
    fn command_table() {
        use Platform::*;
        let up = build(Vendor::Upstream, None);
        let deb = build(Vendor::Debian, Some("2.06-13+deb12u2"));
        let trixie = build(Vendor::Debian, Some("2.12-9+deb13u4"));
        let noble = build(Vendor::Debian, Some("2.12-1ubuntu7"));
        let rh = build(Vendor::RedHat, None);
        assert_eq!(has_command(&up, Efi, "linuxefi"), Some(false));
        assert_eq!(has_command(&deb, Efi, "linuxefi"), Some(true));
        assert_eq!(has_command(&trixie, Efi, "linuxefi"), Some(false));
        assert_eq!(has_command(&noble, Efi, "linuxefi"), None);
        assert_eq!(
            has_command(&build(Vendor::Debian, None), Efi, "linuxefi"),
            None
        );
        assert_eq!(has_command(&deb, Pc, "initrdefi"), Some(false));
        assert_eq!(has_command(&rh, Efi, "initrdefi"), Some(true));
        assert_eq!(has_command(&deb, Efi, "blscfg"), Some(false));
        assert_eq!(has_command(&trixie, Efi, "blscfg"), Some(false));
        assert_eq!(
            has_command(&build(Vendor::Debian, Some("2.14-4")), Efi, "blscfg"),
            Some(true)
        );
        assert_eq!(has_command(&up, Efi, "blscfg"), None);
        assert_eq!(
            has_command(&build(Vendor::Upstream, Some("2.12")), Efi, "blscfg"),
            Some(false)
        );
        assert_eq!(has_command(&rh, Pc, "blscfg"), Some(true));
        assert_eq!(has_command(&up, Pc, "linux"), None);
    }
}
