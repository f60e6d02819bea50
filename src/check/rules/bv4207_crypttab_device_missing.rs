use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::fstab::{TabDevice, TabLine};

use super::mounts::{
    Timeout, Wait, device_timeout, emergency_lines, fsck_unit, fstab_wait, root_password_evidence,
    timeout_lines,
};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4207",
    name: "crypttab-device-missing",
    severity: Severity::Error,
    link: Link::Root,
    summary: "an /etc/crypttab line the boot opens names a device that is not on the disks",
    fix: "put the encrypted device's current UUID (`blkid`) in /etc/crypttab, or add `nofail` (crypttab and the fstab line using it)",
    doc: "## What it checks
Every line of `/etc/crypttab` on the root filesystem an entry boots that
systemd's cryptsetup-generator opens at boot (not `noauto`, not `nofail`): its
device (`UUID=`, `PARTUUID=`, `/dev/disk/by-*`…) must be on the disks. Kernel
names and names inside containers bootvet does not open are not judged.

## Why it breaks the boot
`systemd-cryptsetup@NAME.service` binds to the device unit and waits for it
(90 s, or `x-systemd.device-timeout=`). When the device never comes, the
service fails its dependency, and so does `cryptsetup.target` (Local Encrypted
Volumes). When an fstab line the boot requires mounts `/dev/mapper/NAME`,
`local-fs.target` fails too and the boot stops in emergency mode (systemd 252
prints a `Dependency failed for` line for each: the service, the
`/dev/mapper/NAME` device, the mount, Local File Systems, the mount's check
when the root has its `fsck.TYPE`, Local Encrypted Volumes; booted:
`deb-crypttab-missing`), whose console a locked root cannot open; otherwise
(encrypted swap, a `nofail` mount) the boot goes on after the wait.

## Example
    cryptdata  UUID=0d1c…  none  luks       # the disk was replaced
    /dev/mapper/cryptdata  /srv  ext4  defaults  0 2

## Fix
Put the encrypted device's current UUID (`blkid`) in /etc/crypttab, or add
`nofail` to the crypttab line and to the fstab line that mounts it.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (entry, command, _, root, fact) in super::entries_with_root(cx) {
        let Some(tabs) = &fact.tabs else {
            continue;
        };
        for line in tabs.crypttab.lines() {
            if line.device != TabDevice::Missing || line.has("noauto") || line.has("nofail") {
                continue;
            }
            let mapper = format!("/dev/mapper/{}", line.target);
            let users: Vec<&TabLine> = tabs
                .fstab
                .lines()
                .iter()
                .filter(|f| f.source == mapper)
                .collect();
            let required = users
                .iter()
                .find(|f| matches!(fstab_wait(f), Wait::Required { .. }));
            let timeout = device_timeout(line);
            let failed = failed_units(line, &users, &tabs.fsck);
            let (severity, ending) = match (timeout, required) {
                (Timeout::Forever, _) => (
                    Severity::Error,
                    "the boot waits for it forever (no device timeout)".to_string(),
                ),
                (Timeout::Seconds(s), Some(f)) => (
                    Severity::Error,
                    format!(
                        "{} is mounted from it, so after {s} s the boot stops in emergency mode",
                        f.target
                    ),
                ),
                (Timeout::Seconds(s), None) => (
                    Severity::Warning,
                    format!("the boot waits {s} s for it, then goes on without {mapper}"),
                ),
            };
            let mut lines = Vec::new();
            if let Timeout::Seconds(_) = timeout {
                lines = timeout_lines(&line.source, &failed);
                if required.is_some() {
                    lines.extend(emergency_lines(&tabs.root_password));
                }
            }
            let mut finding = Finding::new(
                &INFO,
                format!(
                    "/etc/crypttab line {} ({} from {}) on root={root} names a device that is not on the disks; {ending}",
                    line.line, line.target, line.source
                ),
            )
            .severity(severity)
            .entry(entry)
            .at(command.location)
            .evidence(format!(
                "/etc/crypttab:{}: {} {} {} {}",
                line.line,
                line.target,
                line.source,
                line.kind,
                line.options.join(",")
            ));
            for f in &users {
                finding = finding.evidence(format!(
                    "/etc/fstab:{}: {} {} mounts it",
                    f.line, f.source, f.target
                ));
            }
            if required.is_some() && timeout != Timeout::Forever {
                finding = finding.evidence(root_password_evidence(&tabs.root_password));
            }
            finding = finding.prints_all(lines).fix(format!(
                "in /etc/crypttab line {}, put the encrypted device's current UUID (`blkid`) instead of {}, or add `nofail` to it{}",
                line.line,
                line.source,
                if users.is_empty() { "" } else { " and to the fstab line that mounts it" }
            ));
            out.push(finding);
        }
    }
}

/// The units whose jobs fail, in the order systemd 252 prints `Dependency
/// failed for` when the crypttab device never comes. job.c's
/// `job_finish_and_invalidate` prints a unit's line, then fails the jobs of
/// the units that need it (`job_fail_dependencies`), depth first: the
/// cryptsetup service; the `/dev/mapper/NAME` device that requires it
/// (generator's `dev-mapper-NAME.device.requires/`), when a mount pulls that
/// device in; each mount of it, then `local-fs.target` when the mount is
/// required; the mount's `systemd-fsck@` check; last `cryptsetup.target`,
/// which requires the service. Booted twice (deb-crypttab-missing): `Cryptography
/// Setup for cryptdata`, `/dev/mapper/cryptdata`, `/srv`, `Local File
/// Systems`, `File System Check on /dev/mapper/cryptdata`, `Local Encrypted
/// Volumes`; and with `Local Encrypted Volumes` second, right after the
/// service. Among units failed by the same unit the order is that of
/// systemd's hashmaps (unit dependencies keyed by pointer, siphash with a key
/// drawn at each boot), so this order is one of those systemd prints.
fn failed_units(line: &TabLine, users: &[&TabLine], checkers: &[String]) -> Vec<String> {
    let mut failed = vec![format!("Cryptography Setup for {}", line.target)];
    if !users.is_empty() {
        failed.push(format!("/dev/mapper/{}", line.target));
    }
    let mut local_fs = false;
    let mut checks = Vec::new();
    for f in users {
        failed.push(f.target.clone());
        if !local_fs && matches!(fstab_wait(f), Wait::Required { .. }) {
            failed.push("Local File Systems".into());
            local_fs = true;
        }
        checks.extend(fsck_unit(f, checkers));
    }
    failed.extend(checks);
    failed.push("Local Encrypted Volumes".into());
    failed
}
