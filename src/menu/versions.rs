//! GRUB releases (issue 21): which commands and options appeared in which
//! upstream release, for the ones grub.cfg files really use, so that a
//! grub.cfg written for a newer GRUB (another distribution's grub-mkconfig, a
//! copied config, a hand-written LUKS or TPM setup) is judged by the GRUB that
//! will run it.
//!
//! How the table was established (reference note: `docs/grub-flavours.md`):
//! the commands each release registers (`grub_register_command`/`_extcmd`
//! names in grub-core/ at the upstream tags grub-2.04, grub-2.06, grub-2.12 and
//! the commit "Release 2.14", d38d6a1a9b79, of upstream's tree as carried in
//! rhboot/grub2's `master`), and each extcmd's `struct grub_arg_option` table at
//! the same points, diffed release to release. Debian's binaries agree item by
//! item: 2.06-13+deb12u2 (bookworm) lacks every 2.12 row, 2.12-9+deb13u4
//! (trixie) has them and lacks the 2.14 rows, 2.14-4 (sid) has those
//! (`tests/flavours.rs` re-reads each package's command.lst and modules).
//!
//! What GRUB does with what it lacks: an unknown command is
//! ``error: can't find command `X'.`` (script/function.c) and the script goes
//! on with a non-zero `$?`; an unknown option of an extcmd makes
//! `grub_arg_parse` (lib/arg.c) fail with ``unknown argument `--X'`` and
//! `grub_extcmd_dispatcher` (commands/extcmd.c) returns without running the
//! command at all: `search --efidisk-only … --set=root` then sets nothing.
//!
//! Red Hat's builds are not judged by this table: they backport by hand
//! (rhboot's `rhel-9-main`, a 2.06, has `search --efidisk-only`,
//! `cryptomount --key-file` and `plainmount`). Ubuntu's are not either: no
//! Ubuntu binary could be read here to tell its backports.

use super::flavour::{GrubBuild, Vendor};

/// An upstream release, `(2, 6)` for 2.06.
pub type Release = (u32, u32);

/// The upstream release a version string is built from: `2.06-13+deb12u2`,
/// `2.12~rc1`, `2.06` → (2, 6).
pub fn release(version: &str) -> Option<Release> {
    let head = version.split(['-', '+', '~', ' ']).next()?;
    let mut parts = head.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// `2.06` for (2, 6).
pub fn release_name(r: Release) -> String {
    format!("{}.{:02}", r.0, r.1)
}

/// An option as GRUB's `struct grub_arg_option` declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opt {
    pub long: &'static str,
    pub short: Option<char>,
}

/// A command, or an option of one, and the first release that has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Introduced {
    pub command: &'static str,
    pub option: Option<Opt>,
    pub release: Release,
    /// Where the release defines it (file at the tag).
    pub source: &'static str,
}

const fn cmd(command: &'static str, release: Release, source: &'static str) -> Introduced {
    Introduced {
        command,
        option: None,
        release,
        source,
    }
}

const fn opt(
    command: &'static str,
    long: &'static str,
    short: Option<char>,
    release: Release,
    source: &'static str,
) -> Introduced {
    Introduced {
        command,
        option: Some(Opt { long, short }),
        release,
        source,
    }
}

const V206: Release = (2, 6);
const V212: Release = (2, 12);
const V214: Release = (2, 14);

/// Everything grub.cfg files use that is not in every release from 2.04 on.
/// 2.04 → 2.06 added only `smbios` and `probe --part-uuid`; 2.06 → 2.12 and
/// 2.12 → 2.14 as below. `fwsetup --is-supported` (2.12) is not here: 2.06's
/// `fwsetup` is a plain command that ignores its arguments and resets into
/// firmware setup, which BV6206 reports.
pub const INTRODUCED: &[Introduced] = &[
    cmd("smbios", V206, "grub-core/commands/smbios.c (grub-2.06)"),
    opt(
        "probe",
        "part-uuid",
        None,
        V206,
        "grub-core/commands/probe.c options (grub-2.06)",
    ),
    cmd(
        "efitextmode",
        V212,
        "grub-core/commands/efi/efitextmode.c (grub-2.12)",
    ),
    cmd(
        "plainmount",
        V212,
        "grub-core/disk/plainmount.c (grub-2.12)",
    ),
    cmd("net_set_vlan", V212, "grub-core/net/net.c (grub-2.12)"),
    opt(
        "search",
        "efidisk-only",
        None,
        V212,
        "grub-core/commands/search_wrap.c options (grub-2.12)",
    ),
    opt(
        "cryptomount",
        "password",
        Some('p'),
        V212,
        "grub-core/disk/cryptodisk.c options (grub-2.12)",
    ),
    opt(
        "cryptomount",
        "key-file",
        Some('k'),
        V212,
        "grub-core/disk/cryptodisk.c options (grub-2.12)",
    ),
    opt(
        "cryptomount",
        "keyfile-offset",
        Some('O'),
        V212,
        "grub-core/disk/cryptodisk.c options (grub-2.12)",
    ),
    opt(
        "cryptomount",
        "keyfile-size",
        Some('S'),
        V212,
        "grub-core/disk/cryptodisk.c options (grub-2.12)",
    ),
    opt(
        "cryptomount",
        "header",
        Some('H'),
        V212,
        "grub-core/disk/cryptodisk.c options (grub-2.12)",
    ),
    opt(
        "loopback",
        "decompress",
        Some('D'),
        V212,
        "grub-core/disk/loopback.c options (grub-2.12)",
    ),
    cmd("blscfg", V214, "grub-core/commands/blsuki.c (GRUB 2.14)"),
    cmd("uki", V214, "grub-core/commands/blsuki.c (GRUB 2.14)"),
    cmd(
        "tpm2_key_protector_init",
        V214,
        "grub-core/commands/tpm2_key_protector/module.c (GRUB 2.14)",
    ),
    cmd(
        "tpm2_key_protector_clear",
        V214,
        "grub-core/commands/tpm2_key_protector/module.c (GRUB 2.14)",
    ),
    cmd(
        "tpm2_dump_pcr",
        V214,
        "grub-core/commands/tpm2_key_protector/module.c (GRUB 2.14)",
    ),
    cmd(
        "cryptocheck",
        V214,
        "grub-core/disk/diskfilter.c (GRUB 2.14)",
    ),
    opt(
        "cryptomount",
        "protector",
        Some('P'),
        V214,
        "grub-core/disk/cryptodisk.c options (GRUB 2.14)",
    ),
    opt(
        "cryptomount",
        "hw-accel",
        Some('A'),
        V214,
        "grub-core/disk/cryptodisk.c options (GRUB 2.14)",
    ),
    opt(
        "search",
        "cryptodisk-only",
        None,
        V214,
        "grub-core/commands/search_wrap.c options (GRUB 2.14)",
    ),
];

/// The release whose table judges `build`: upstream's and Debian's builds
/// with a version that names one; `None` (nothing judged) for Red Hat's and
/// Ubuntu's, which backport, and for an unknown version.
pub fn judged_release(build: &GrubBuild) -> Option<Release> {
    match build.vendor {
        Vendor::RedHat => None,
        Vendor::Debian if build.is_ubuntu() => None,
        Vendor::Upstream | Vendor::Debian => release(build.version.as_deref()?),
    }
}

/// The row saying `name` is newer than `have`, when it is.
pub fn missing_command(have: Release, name: &str) -> Option<&'static Introduced> {
    INTRODUCED
        .iter()
        .find(|i| i.option.is_none() && i.command == name && i.release > have)
}

/// The first argument of `name` that `have` rejects as an unknown option, as
/// written, with its row. Parsing follows `grub_arg_parse` (lib/arg.c): every
/// word starting with `-` is an option until `--`; `--name=value` and
/// `--name`; `-abc` is the short options a, b, c.
pub fn missing_option<'a>(
    have: Release,
    name: &str,
    args: impl IntoIterator<Item = &'a str>,
) -> Option<(&'a str, &'static Introduced)> {
    let newer: Vec<&Introduced> = INTRODUCED
        .iter()
        .filter(|i| i.command == name && i.option.is_some() && i.release > have)
        .collect();
    if newer.is_empty() {
        return None;
    }
    for arg in args {
        if arg == "--" {
            return None;
        }
        let hit = if let Some(long) = arg.strip_prefix("--") {
            let long = long.split('=').next().unwrap_or(long);
            newer
                .iter()
                .find(|i| i.option.is_some_and(|o| o.long == long))
        } else if let Some(shorts) = arg.strip_prefix('-') {
            shorts.chars().find_map(|c| {
                newer
                    .iter()
                    .find(|i| i.option.is_some_and(|o| o.short == Some(c)))
            })
        } else {
            None
        };
        if let Some(row) = hit {
            return Some((arg, row));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_from_package_versions() {
        assert_eq!(release("2.06-13+deb12u2"), Some((2, 6)));
        assert_eq!(release("2.12-9+deb13u4"), Some((2, 12)));
        assert_eq!(release("2.12~rc1"), Some((2, 12)));
        assert_eq!(release("2.14"), Some((2, 14)));
        assert_eq!(release("2.02+dfsg1-20"), Some((2, 2)));
        assert_eq!(release("unknown"), None);
        assert_eq!(release_name((2, 6)), "2.06");
    }

    #[test]
    fn options_by_release() {
        let efidisk = ["--no-floppy", "--efidisk-only", "--fs-uuid", "--set=root"];
        let (arg, row) = missing_option((2, 6), "search", efidisk).unwrap();
        assert_eq!((arg, row.release), ("--efidisk-only", (2, 12)));
        assert!(missing_option((2, 12), "search", efidisk).is_none());
        assert!(missing_option((2, 6), "search", ["-u", "x", "--set", "root"]).is_none());
        // Short options, clustered or not; a value that is not an option.
        assert!(missing_option((2, 6), "cryptomount", ["-u", "abc", "-k", "(hd0)/k"]).is_some());
        assert!(missing_option((2, 12), "cryptomount", ["-P", "tpm2"]).is_some());
        assert!(missing_option((2, 14), "cryptomount", ["-P", "tpm2"]).is_none());
        assert!(missing_option((2, 6), "cryptomount", ["-ua", "uuid"]).is_none());
        // After `--` nothing is an option.
        assert!(missing_option((2, 6), "search", ["--", "--efidisk-only"]).is_none());
        assert!(missing_option((2, 6), "loopback", ["--decompress=1"]).is_some());
    }

    #[test]
    fn commands_by_release() {
        assert!(missing_command((2, 12), "blscfg").is_some());
        assert!(missing_command((2, 14), "blscfg").is_none());
        assert!(missing_command((2, 4), "smbios").is_some());
        assert!(missing_command((2, 6), "smbios").is_none());
        assert!(missing_command((2, 2), "linux").is_none());
    }
}
