//! What systemd does with an fstab or crypttab line at boot, shared by BV4206,
//! BV4207 and BV4208: whether the boot waits for the line's device, how long,
//! and what the console shows when the device never comes. Modelled on
//! systemd's `fstab-generator.c` (`noauto`, `nofail`, `x-systemd.automount`,
//! `x-systemd.device-timeout=` written as the device unit's
//! `JobRunningTimeoutSec=`, swap lines `RequiredBy=swap.target`, network
//! filesystems under `remote-fs.target`), `cryptsetup-generator.c` and
//! `unit-name.c` (`unit_name_path_escape`).

use crate::facts::fstab::{NETWORK_FS, RootPassword, TabLine};

/// The job timeout of a device unit unless `x-systemd.device-timeout=` says
/// otherwise: systemd 252's `DefaultDeviceTimeoutSec=` (device.c `device_init`:
/// `job_running_timeout = default_device_timeout_usec`, 90 s by default,
/// `DEFAULT_TIMEOUT_USEC`), before 252 `DefaultTimeoutStartSec=`, also 90 s.
/// Measured on Debian 12 (QEMU suite, `deb-fstab-esp-stale`): the console
/// counts `(1min 29s / 1min 30s)`, then the timeout line.
pub(super) const DEFAULT_DEVICE_TIMEOUT: u64 = 90;

/// How the boot treats a line whose device does not come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Wait {
    /// `local-fs.target` requires it: after the timeout, emergency mode.
    Required { timeout: Timeout },
    /// The boot waits, then goes on without it (swap, crypttab without a
    /// required mount).
    Delay { timeout: Timeout },
    /// Not waited for at boot: `noauto`, `nofail`, automount, network.
    Not { why: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Timeout {
    Seconds(u64),
    /// `x-systemd.device-timeout=0` or `infinity`: no job timeout at all.
    Forever,
}

/// `x-systemd.device-timeout=`, read as systemd's `parse_sec` reads it (plain
/// seconds, or a number with s/sec/ms/min/m/h); `None` when unreadable.
pub(super) fn device_timeout(line: &TabLine) -> Timeout {
    let Some(text) = line.option("x-systemd.device-timeout") else {
        return Timeout::Seconds(DEFAULT_DEVICE_TIMEOUT);
    };
    let text = text.trim();
    if text == "infinity" {
        return Timeout::Forever;
    }
    let digits: String = text.chars().take_while(|c| c.is_ascii_digit()).collect();
    let Ok(n) = digits.parse::<u64>() else {
        return Timeout::Seconds(DEFAULT_DEVICE_TIMEOUT);
    };
    let seconds = match text[digits.len()..].trim() {
        "" | "s" | "sec" | "second" | "seconds" => n,
        "ms" | "msec" => n.div_ceil(1000),
        "m" | "min" | "minute" | "minutes" => n.saturating_mul(60),
        "h" | "hr" | "hour" | "hours" => n.saturating_mul(3600),
        _ => return Timeout::Seconds(DEFAULT_DEVICE_TIMEOUT),
    };
    if seconds == 0 {
        Timeout::Forever
    } else {
        Timeout::Seconds(seconds)
    }
}

/// How the boot treats one fstab line.
pub(super) fn fstab_wait(line: &TabLine) -> Wait {
    let not = |why: &str| Wait::Not { why: why.into() };
    if line.has("noauto") {
        return not("noauto: not mounted at boot");
    }
    if line.has("x-systemd.automount") {
        return not("x-systemd.automount: mounted on first access, not at boot");
    }
    if line.has("_netdev") || NETWORK_FS.contains(&line.kind.as_str()) {
        return not("a network filesystem (remote-fs.target): no emergency mode");
    }
    if line.kind == "swap" {
        if line.has("nofail") {
            return not("nofail");
        }
        return Wait::Delay {
            timeout: device_timeout(line),
        };
    }
    if line.has("nofail") {
        return not("nofail: the boot goes on without it");
    }
    Wait::Required {
        timeout: device_timeout(line),
    }
}

/// The path systemd's fstab-generator turns a `TAG=value` source into
/// (`fstab_node_to_udev_node`).
pub(super) fn udev_node(source: &str) -> String {
    for (tag, dir) in [
        ("UUID=", "by-uuid"),
        ("LABEL=", "by-label"),
        ("PARTUUID=", "by-partuuid"),
        ("PARTLABEL=", "by-partlabel"),
    ] {
        if let Some(v) = source.strip_prefix(tag) {
            let v = v.trim_matches('"');
            let mut escaped = String::new();
            // udev's encode_devnode_name: `/` and blanks become \x2f/\x20.
            for c in v.chars() {
                if c == '/' || c.is_whitespace() || c == '\\' {
                    escaped.push_str(&format!("\\x{:02x}", c as u32));
                } else {
                    escaped.push(c);
                }
            }
            return format!("/dev/disk/{dir}/{escaped}");
        }
    }
    source.to_string()
}

/// systemd's `unit_name_path_escape`: the path simplified, outer slashes
/// dropped, `/` → `-`, a leading `.` and every byte outside `[A-Za-z0-9:_.]`
/// (including `-` and `\`) as `\xHH`; `/` alone is `-`.
pub(super) fn unit_name_path_escape(path: &str) -> String {
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if parts.is_empty() {
        return "-".into();
    }
    let joined = parts.join("/");
    let mut out = String::new();
    for (i, b) in joined.bytes().enumerate() {
        let plain = b.is_ascii_alphanumeric() || b == b':' || b == b'_' || b == b'.';
        if b == b'/' {
            out.push('-');
        } else if (i == 0 && b == b'.') || !plain {
            out.push_str(&format!("\\x{b:02x}"));
        } else {
            out.push(b as char);
        }
    }
    out
}

/// The device unit systemd waits for: `dev-disk-by\x2duuid-….device`.
pub(super) fn device_unit(source: &str) -> String {
    format!("{}.device", unit_name_path_escape(&udev_node(source)))
}

/// What the console shows while and after a device does not come: the
/// device job's timeout (`device.c`, `finished_start_job[JOB_TIMEOUT]`), then
/// each unit that needed it (`job.c`, `Dependency failed for %s.`). The `%s` is
/// `unit_status_string()` (unit.c): by `StatusUnitFormat=` the unit's id, its
/// description, or `id - description`. Debian 12's systemd 252 prints the
/// combined form (booted: `Timed out waiting for device
/// dev-disk-by\x2duuid-9A3F\x2d11C2.device - /dev/disk/by-uuid/9A3F-11C2.`),
/// upstream's default is the description; a device never seen has the path
/// its name stands for as description (`device_load()`: `unit_name_to_path`).
/// So each line names the description after a `…` (any text: the id and ` - `
/// or nothing), which both forms print. `failed`: the descriptions of the
/// units that fail with it (a mount unit's is its mount point).
pub(super) fn timeout_lines(source: &str, failed: &[String]) -> Vec<String> {
    let mut lines = vec![format!(
        "[ TIME ] Timed out waiting for device …{}.",
        udev_node(source)
    )];
    for unit in failed {
        lines.push(format!("[DEPEND] Dependency failed for …{unit}."));
    }
    lines
}

/// The `Dependency failed` line of the `systemd-fsck@.service` instance the
/// fstab-generator adds for `line` (a pass number, and a checker on the root:
/// `TabsFact::fsck`); its description is `File System Check on %f`, the
/// device's path. None when no such unit is made.
pub(super) fn fsck_unit(line: &TabLine, checkers: &[String]) -> Option<String> {
    (line.pass > 0 && checkers.contains(&line.kind))
        .then(|| format!("File System Check on {}", udev_node(&line.source)))
}

/// What the console shows once the emergency shell starts:
/// systemd-sulogin-shell's `print_mode("emergency")` (systemd ≥ 240), then
/// util-linux sulogin's prompt for root's password field (login-utils/sulogin.c,
/// `doprompt`: systemd runs it without `-e`, so a locked root is refused, and
/// Enter then ends sulogin with nothing opened). Unknown: the common part only.
pub(super) fn emergency_lines(root: &RootPassword) -> Vec<String> {
    let mut lines: Vec<String> = vec![
        "You are in emergency mode. After logging in, type \"journalctl -xb\" to view".into(),
        "system logs, \"systemctl reboot\" to reboot, \"systemctl default\" or \"exit\"".into(),
        "to boot into default mode.".into(),
    ];
    let prompt: &[&str] = match root {
        RootPassword::Set => &[
            "Give root password for maintenance",
            "(or press Control-D to continue):",
        ],
        RootPassword::Empty => &[
            "Press Enter for maintenance",
            "(or press Control-D to continue):",
        ],
        RootPassword::Locked { .. } => &[
            "Cannot open access to console, the root account is locked.",
            "See sulogin(8) man page for more details.",
            "Press Enter to continue.",
        ],
        RootPassword::Unknown => &[],
    };
    lines.extend(prompt.iter().map(|l| l.to_string()));
    lines
}

/// One evidence line on how the emergency shell will treat the console.
pub(super) fn root_password_evidence(root: &RootPassword) -> String {
    match root {
        RootPassword::Set => "root has a password (/etc/shadow): sulogin asks for it".into(),
        RootPassword::Empty => {
            "root's password field is empty (/etc/shadow): sulogin opens a shell on Enter".into()
        }
        RootPassword::Locked { marker } => format!(
            "root is locked (/etc/shadow's field starts with `{marker}`): sulogin refuses the console, so the emergency shell cannot be used (rescue.target runs the same sulogin): only `init=/bin/sh` on the kernel line (GRUB's `e`) or other media reach the disk then"
        ),
        RootPassword::Unknown => {
            "root's password was not read (/etc/shadow): what sulogin prints after the emergency-mode lines is not known".into()
        }
    }
}

/// The fuzz body for one line (`check::fuzz_tab_line`): the wait, the
/// timeout and the names must come out for any text, and the unit names must
/// be names systemd could have made (no `/`, only `[A-Za-z0-9:_.\\-]`).
pub(in crate::check) fn fuzz_line(line: &TabLine) {
    let unit_chars = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b":_.\\-".contains(&b))
    };
    for path in [&line.target, &line.source] {
        let escaped = unit_name_path_escape(path);
        assert!(
            !escaped.is_empty() && unit_chars(&escaped),
            "{path:?} → {escaped:?}"
        );
    }
    let unit = device_unit(&line.source);
    assert!(unit.ends_with(".device") && unit_chars(&unit), "{unit:?}");
    let timeout = device_timeout(line);
    if let Timeout::Seconds(s) = timeout {
        assert!(s > 0);
    }
    match fstab_wait(line) {
        Wait::Required { timeout: t } | Wait::Delay { timeout: t } => assert_eq!(t, timeout),
        Wait::Not { why } => assert!(!why.is_empty()),
    }
    let lines = timeout_lines(&line.source, std::slice::from_ref(&line.target));
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with("[ TIME ] Timed out waiting for device …"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_emergency_shell_prompts_by_roots_password() {
        // util-linux 2.38 sulogin.c `doprompt`; the locked lines as a locked
        // root's console shows them (deb-fstab-esp-locked, booted).
        let tail = |r: RootPassword| emergency_lines(&r)[3..].to_vec();
        assert_eq!(
            tail(RootPassword::Set),
            [
                "Give root password for maintenance",
                "(or press Control-D to continue):"
            ]
        );
        assert_eq!(
            tail(RootPassword::Locked { marker: "*".into() }),
            [
                "Cannot open access to console, the root account is locked.",
                "See sulogin(8) man page for more details.",
                "Press Enter to continue."
            ]
        );
        assert_eq!(tail(RootPassword::Empty)[0], "Press Enter for maintenance");
        assert!(tail(RootPassword::Unknown).is_empty());
        assert!(
            emergency_lines(&RootPassword::Unknown)[0].starts_with("You are in emergency mode.")
        );
    }

    #[test]
    fn a_check_unit_needs_a_pass_number_and_a_checker() {
        let line = |kind: &str, pass: u32| TabLine {
            line: 1,
            source: "UUID=1234-ABCD".into(),
            target: "/boot/efi".into(),
            kind: kind.into(),
            options: vec![],
            device: crate::facts::fstab::TabDevice::Missing,
            pass,
        };
        let ext4 = vec!["ext4".to_string()];
        assert_eq!(
            fsck_unit(&line("ext4", 2), &ext4).as_deref(),
            Some("File System Check on /dev/disk/by-uuid/1234-ABCD")
        );
        assert_eq!(fsck_unit(&line("ext4", 0), &ext4), None);
        // No fsck.vfat on the root (minbase): no unit (deb-fstab-esp-stale).
        assert_eq!(fsck_unit(&line("vfat", 1), &ext4), None);
    }

    #[test]
    fn unit_names_are_escaped_as_systemd_escape_path_does() {
        // `systemd-escape -p --suffix=device /dev/disk/by-uuid/1234-ABCD`
        assert_eq!(
            device_unit("UUID=1234-ABCD"),
            "dev-disk-by\\x2duuid-1234\\x2dABCD.device"
        );
        assert_eq!(unit_name_path_escape("/"), "-");
        assert_eq!(unit_name_path_escape("/boot/efi/"), "boot-efi");
        assert_eq!(unit_name_path_escape("/.hidden/a b"), "\\x2ehidden-a\\x20b");
        assert_eq!(
            device_unit("LABEL=my disk"),
            "dev-disk-by\\x2dlabel-my\\x5cx20disk.device"
        );
    }
}
