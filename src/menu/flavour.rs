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
//!   command.lst and from upstream up to 2.12).

use serde::{Deserialize, Serialize};

use super::model::{Flavour, Location, Platform};

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
}

impl Rule {
    pub fn name(self) -> &'static str {
        match self {
            Rule::SubmenuVariables => "submenu-variables",
            Rule::HexEscape => "hex-escape",
            Rule::MissingCommand => "missing-command",
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
    /// For `MissingCommand`: the command's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

/// Whether `name` exists in `vendor`'s GRUB on `platform`: `None` for the
/// commands every build has (or that bootvet has no table for).
pub fn has_command(vendor: Vendor, platform: Platform, name: &str) -> Option<bool> {
    match name {
        // Registered by Red Hat's loader/i386/efi/linux.c and Debian's
        // linuxefi.mod (x86_64-efi command.lst: `linuxefi: linuxefi`,
        // `initrdefi: linuxefi`); neither build has them on i386-pc
        // (Debian's i386-pc command.lst), upstream nowhere.
        "linuxefi" | "initrdefi" => Some(match vendor {
            Vendor::Upstream => false,
            Vendor::Debian | Vendor::RedHat => platform == Platform::Efi,
        }),
        // Red Hat's commands/blscfg.c registers both names.
        "blscfg" | "bls_import" => Some(vendor == Vendor::RedHat),
        _ => None,
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

    #[test]
    fn command_table() {
        use Platform::*;
        assert_eq!(has_command(Vendor::Upstream, Efi, "linuxefi"), Some(false));
        assert_eq!(has_command(Vendor::Debian, Efi, "linuxefi"), Some(true));
        assert_eq!(has_command(Vendor::Debian, Pc, "initrdefi"), Some(false));
        assert_eq!(has_command(Vendor::RedHat, Efi, "initrdefi"), Some(true));
        assert_eq!(has_command(Vendor::Debian, Efi, "blscfg"), Some(false));
        assert_eq!(has_command(Vendor::RedHat, Pc, "blscfg"), Some(true));
        assert_eq!(has_command(Vendor::Upstream, Pc, "linux"), None);
    }
}
