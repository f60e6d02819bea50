//! Reads `/etc/fstab` and `/etc/crypttab` on each root filesystem an entry
//! mounts, and resolves each line's device against the disks (`resolve`): the
//! names systemd's generators turn into device units the boot waits for.
//! Never judges: which lines the boot waits for is the checks' business.
//!
//! Parsing follows util-linux's `mnt_table_parse_stream` and systemd's
//! `fstab-generator`/`cryptsetup-generator`: fields split on blanks, `#` lines
//! and blank lines skipped, octal escapes (`\040`) decoded, `UUID=`/`LABEL=`/
//! `PARTUUID=`/`PARTLABEL=` tags, quoted or not.

use std::io::Read;

use super::disk_files::DiskFiles;
use super::fs::{FileError, VolumeFiles};
use super::resolve::{Query, resolve};
use crate::facts::RootFact;
use crate::facts::fstab::{NETWORK_FS, RootPassword, TabDevice, TabFile, TabLine, TabsFact};
use crate::facts::storage::Storage;
use crate::facts::volumes::{Resolution, volumes};

/// fstab and crypttab are short; a longer file is read this far (lines past it
/// are not judged, never guessed).
const MAX_TAB_BYTES: u64 = 1 << 20;
/// Lines kept per file.
pub(super) const MAX_TAB_LINES: usize = 4096;

/// Filesystem types that name no block device (the source is a label for
/// people, a server, or a directory).
const VIRTUAL: &[&str] = &[
    "tmpfs",
    "proc",
    "sysfs",
    "devtmpfs",
    "devpts",
    "securityfs",
    "cgroup",
    "cgroup2",
    "debugfs",
    "tracefs",
    "hugetlbfs",
    "mqueue",
    "pstore",
    "efivarfs",
    "configfs",
    "fusectl",
    "ramfs",
    "overlay",
    "binfmt_misc",
    "autofs",
    "none",
    "bpf",
];

/// Fills `tabs` of every root that resolves to one volume.
pub fn gather_tabs(files: &DiskFiles<'_>, roots: &mut [RootFact]) {
    let storage = files.facts();
    for root in roots.iter_mut() {
        let Resolution::One(volume) = &root.resolution else {
            continue;
        };
        let opened = match super::btrfs_subvols::files_not_read(root) {
            Some(why) => Err(why),
            None => files.volume(volume),
        };
        root.tabs = Some(match opened {
            Ok(vf) => {
                let crypttab =
                    read_tab(vf.as_ref(), "/etc/crypttab", |f| crypttab_line(storage, f));
                let fstab = read_tab(vf.as_ref(), "/etc/fstab", |f| {
                    fstab_line(storage, f, crypttab.lines())
                });
                let fsck = checkers(vf.as_ref(), fstab.lines());
                let root_password = root_password(vf.as_ref());
                TabsFact {
                    fstab,
                    crypttab,
                    fsck,
                    root_password,
                }
            }
            Err(why) => TabsFact {
                fstab: TabFile::Unknown { why: why.clone() },
                crypttab: TabFile::Unknown { why },
                fsck: Vec::new(),
                root_password: RootPassword::Unknown,
            },
        });
    }
}

/// Where systemd (PID 1's default PATH, systemd 252 `DEFAULT_PATH`, with the
/// split-usr pair) looks for `fsck` and `fsck.TYPE`.
const FSCK_DIRS: [&str; 4] = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/// The types of fstab lines with a pass number for which this root has a
/// checker: systemd's `fsck_exists_for_fstype` wants `fsck` and `fsck.TYPE`
/// (symlinks followed inside the root, as `init_files` does). Its refusal of a
/// checker linked to /bin/true is not modelled (no distribution ships one).
fn checkers(vf: &dyn VolumeFiles, fstab: &[TabLine]) -> Vec<String> {
    let found = |name: &str| {
        FSCK_DIRS.iter().any(|d| {
            matches!(
                super::init_files::init_fact(vf, &format!("{d}/{name}")).state,
                crate::facts::init::InitState::Executable { .. }
            )
        })
    };
    let mut out: Vec<String> = Vec::new();
    if !found("fsck") {
        return out;
    }
    for line in fstab {
        let kind = line.kind.as_str();
        if line.pass == 0 || kind == "auto" || out.iter().any(|k| k == kind) {
            continue;
        }
        if found(&format!("fsck.{kind}")) {
            out.push(kind.to_string());
        }
    }
    out
}

/// root's password field as util-linux's sulogin reads it (`getrootpwent`
/// without `-e`, which is how systemd-sulogin-shell runs it): getpwnam's
/// field, replaced by getspnam's when it is `x`; `*` or `!` first is locked
/// (`locked_account_password`). Only the field's state is kept, never a hash.
pub fn root_password(vf: &dyn VolumeFiles) -> RootPassword {
    let field = |path: &str| -> Option<String> {
        let mut bytes = Vec::new();
        vf.open(path)
            .ok()?
            .take(MAX_TAB_BYTES)
            .read_to_end(&mut bytes)
            .ok()?;
        root_field(&bytes)
    };
    let Some(mut pw) = field("/etc/passwd") else {
        return RootPassword::Unknown;
    };
    if pw == "x" {
        match field("/etc/shadow") {
            Some(sp) => pw = sp,
            // getspnam fails: sulogin keeps `x`, a hash no password matches.
            None => return RootPassword::Set,
        }
    }
    password_state(&pw)
}

/// The second field of the first `root:` line.
pub fn root_field(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let line = text.lines().find(|l| l.starts_with("root:"))?;
    Some(line.split(':').nth(1).unwrap_or("").to_string())
}

/// sulogin's reading of a password field.
pub fn password_state(field: &str) -> RootPassword {
    match field.chars().next() {
        None => RootPassword::Empty,
        Some(c @ ('*' | '!')) => RootPassword::Locked {
            marker: c.to_string(),
        },
        Some(_) => RootPassword::Set,
    }
}

/// Reads one table and turns each meaningful line into a `TabLine`.
fn read_tab(vf: &dyn VolumeFiles, path: &str, line: impl Fn(Fields) -> TabLine) -> TabFile {
    let mut bytes = Vec::new();
    let read = vf.open(path).and_then(|r| {
        r.take(MAX_TAB_BYTES)
            .read_to_end(&mut bytes)
            .map_err(|e| FileError::Io(e.to_string()))
    });
    match read {
        Ok(_) => TabFile::Read {
            lines: parse(&bytes).into_iter().map(line).collect(),
        },
        Err(FileError::NotFound(_)) => TabFile::Absent,
        Err(e) => TabFile::Unknown {
            why: format!("{path}: {e}"),
        },
    }
}

/// The fields of one line, escapes decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields {
    pub line: usize,
    pub fields: Vec<String>,
}

/// Splits a table into lines of fields (comments and blank lines dropped).
pub fn parse(bytes: &[u8]) -> Vec<Fields> {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let l = l.trim();
            if l.is_empty() || l.starts_with('#') {
                return None;
            }
            Some(Fields {
                line: i + 1,
                fields: l.split_whitespace().map(unescape_octal).collect(),
            })
        })
        .take(MAX_TAB_LINES)
        .collect()
}

/// Decodes `\NNN` octal escapes: getmntent's `\040` for a space in fstab, and
/// how /proc/self/mountinfo writes space, tab, newline and backslash (`live`).
pub(super) fn unescape_octal(field: &str) -> String {
    let b = field.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && let Some(oct) = field.get(i + 1..i + 4)
            && oct.bytes().all(|c| (b'0'..=b'7').contains(&c))
            && let Ok(v) = u8::from_str_radix(oct, 8)
        {
            out.push(v);
            i += 4;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn field(f: &Fields, i: usize) -> String {
    f.fields.get(i).cloned().unwrap_or_default()
}

fn options(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|o| !o.is_empty())
        .map(String::from)
        .collect()
}

pub(super) fn fstab_line(storage: &Storage, f: Fields, crypttab: &[TabLine]) -> TabLine {
    let source = field(&f, 0);
    let kind = field(&f, 2);
    let device = if VIRTUAL.contains(&kind.as_str()) || NETWORK_FS.contains(&kind.as_str()) {
        TabDevice::NotADevice {
            why: format!("a {kind} filesystem"),
        }
    } else if source.contains(":/") || source.starts_with("//") {
        TabDevice::NotADevice {
            why: "a network share".into(),
        }
    } else if options(&field(&f, 3))
        .iter()
        .any(|o| o == "bind" || o == "rbind")
    {
        TabDevice::NotADevice {
            why: "a bind mount".into(),
        }
    } else if let Some(name) = source.strip_prefix("/dev/mapper/")
        && let Some(c) = crypttab.iter().find(|c| c.target == name)
    {
        TabDevice::Unknown {
            why: format!(
                "opened at boot by /etc/crypttab line {} from {}",
                c.line, c.source
            ),
        }
    } else {
        device(storage, &source)
    };
    TabLine {
        line: f.line,
        target: field(&f, 1),
        kind,
        options: options(&field(&f, 3)),
        source,
        device,
        pass: field(&f, 5).parse().unwrap_or(0),
    }
}

pub(super) fn crypttab_line(storage: &Storage, f: Fields) -> TabLine {
    let source = field(&f, 1);
    TabLine {
        line: f.line,
        target: field(&f, 0),
        kind: field(&f, 2),
        options: options(&field(&f, 3)),
        device: device(storage, &source),
        source,
        pass: 0,
    }
}

/// What a device name designates on the disks, saying "unknown" wherever the
/// name is made at boot or could sit inside something bootvet does not open.
pub fn device(storage: &Storage, source: &str) -> TabDevice {
    // A swap file (`/swapfile none swap sw`) or a directory: no device unit.
    if source.starts_with('/') && !source.starts_with("/dev/") {
        return TabDevice::NotADevice {
            why: format!("{source} is a file or directory, not a device"),
        };
    }
    let kernel_name = source.starts_with("/dev/")
        && !source.starts_with("/dev/disk/by-uuid/")
        && !source.starts_with("/dev/disk/by-label/")
        && !source.starts_with("/dev/disk/by-partuuid/")
        && !source.starts_with("/dev/disk/by-partlabel/");
    let query = match Query::parse(source) {
        Ok(q) => q,
        Err(why) => return TabDevice::Unknown { why },
    };
    let live = matches!(storage.source, crate::facts::storage::Source::Live { .. });
    let found = resolve(storage, &query)
        .volumes()
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    if !found.is_empty() {
        return TabDevice::Found { volumes: found };
    }
    if kernel_name {
        let why = if source.starts_with("/dev/disk/") {
            format!("{source} is a link only the booting machine's udev makes")
        } else if source.starts_with("/dev/mapper/")
            || source.starts_with("/dev/md")
            || source.matches('/').count() == 3 && !source.starts_with("/dev/disk/")
        {
            "a device-mapper, md or LVM name, made at boot".to_string()
        } else if live {
            format!("{source} is not on this machine now; kernel names can change between boots")
        } else {
            "unknown, by kernel name: the booting kernel hands out sdX/vdX/nvmeXnY names"
                .to_string()
        };
        return TabDevice::Unknown { why };
    }
    // A UUID or label may belong to a filesystem inside a container the
    // images do not show opened.
    let containers: Vec<String> = volumes(storage)
        .into_iter()
        .filter(|(_, _, fs)| {
            fs.is_some_and(|f| {
                matches!(f.usage.as_deref(), Some("crypto" | "raid"))
                    || matches!(
                        f.fstype.as_str(),
                        "crypto_LUKS"
                            | "LVM2_member"
                            | "linux_raid_member"
                            | "zfs_member"
                            | "bcache"
                    )
            })
        })
        .map(|(v, _, fs)| {
            format!(
                "({}) {}",
                v.name,
                fs.map(|f| f.fstype.as_str()).unwrap_or("")
            )
        })
        .collect();
    if !containers.is_empty() {
        return TabDevice::Unknown {
            why: format!(
                "not on the disks' filesystems; it may be inside {}, which bootvet does not open",
                containers.join(", ")
            ),
        };
    }
    TabDevice::Missing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_password_is_read_as_sulogin_reads_it() {
        // debootstrap's root, Ubuntu's, a hash, an empty field, no root line.
        let state = |t: &[u8]| root_field(t).map(|f| password_state(&f));
        assert_eq!(
            state(b"daemon:*:19000::::::\nroot:*:19000:0:99999:7:::\n"),
            Some(RootPassword::Locked { marker: "*".into() })
        );
        assert_eq!(
            state(b"root:!:19000:0:99999:7:::\n"),
            Some(RootPassword::Locked { marker: "!".into() })
        );
        assert_eq!(
            state(b"root:!$y$j9T$abc:19000:0:99999:7:::\n"),
            Some(RootPassword::Locked { marker: "!".into() })
        );
        assert_eq!(
            state(b"root:$y$j9T$4gmF$enuo:20793:0:99999:7:::\n"),
            Some(RootPassword::Set)
        );
        assert_eq!(
            state(b"root::20793:0:99999:7:::\n"),
            Some(RootPassword::Empty)
        );
        assert_eq!(state(b"rooter:x:0:0::/:/bin/sh\n"), None);
        // A line with no second field is sulogin's empty password.
        assert_eq!(state(b"root\n"), None);
        assert_eq!(state(b"root:"), Some(RootPassword::Empty));
    }

    #[test]
    fn fields_escapes_and_comments() {
        let t = parse(b"# c\n\nUUID=ab /mnt/my\\040disk ext4 defaults,nofail 0 2\n  LABEL=\"x y\"\t/x vfat umask=0077\n");
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].line, 3);
        assert_eq!(t[0].fields[1], "/mnt/my disk");
        assert_eq!(t[1].fields[0], "LABEL=\"x");
    }

    #[test]
    fn an_escaped_hash_starts_a_name_not_a_comment() {
        // The tabs fuzz campaign's crash (0bda27c, 4.8 million runs in): its body
        // took `\043uTR`, decoded to `#uTR`, for a comment kept. libmount skips a
        // line only when its raw first character is `#`.
        let crash = b"\x01\0\0\0\0\0\0\n\\040Aux\x8a88w-\0\0\n\\043uTR\t";
        let t = parse(crash);
        assert_eq!(t.len(), 3);
        assert_eq!(t[2].line, 3);
        assert_eq!(t[2].fields, ["#uTR"]);
        crate::probe::fuzz_support::fuzz_tabs(crash);
        assert!(parse(b"  # UUID=x / ext4 defaults 0 1\n").is_empty());
    }

    #[test]
    fn random_and_large_inputs_do_not_panic() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for len in [0usize, 1, 7, 100, 5000] {
            for _ in 0..200 {
                let bytes: Vec<u8> = (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        (state >> 24) as u8
                    })
                    .collect();
                let _ = parse(&bytes);
                let _ = unescape_octal(&String::from_utf8_lossy(&bytes));
                crate::probe::fuzz_support::fuzz_tabs(&bytes);
                let mut shadow = b"root:".to_vec();
                shadow.extend_from_slice(&bytes);
                crate::probe::fuzz_support::fuzz_tabs(&shadow);
            }
        }
        let big = "UUID=x / ext4 defaults 0 1\n".repeat(100_000);
        assert_eq!(parse(big.as_bytes()).len(), MAX_TAB_LINES);
        assert_eq!(unescape_octal("\\04"), "\\04");
        assert_eq!(unescape_octal("a\\011b\\"), "a\tb\\");
    }
}
