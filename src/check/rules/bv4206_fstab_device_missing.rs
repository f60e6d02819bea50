use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::fstab::{TabDevice, TabLine};

use super::mounts::{
    Timeout, Wait, emergency_lines, fsck_unit, fstab_wait, root_password_evidence, timeout_lines,
    unit_name_path_escape,
};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4206",
    name: "fstab-device-missing",
    severity: Severity::Error,
    link: Link::Root,
    summary: "an /etc/fstab line the boot waits for names a device that is not on the disks",
    fix: "put the device's new UUID (`blkid`) in /etc/fstab, or add `nofail` to the line's options if the boot must not depend on it",
    doc: "## What it checks
Every line of `/etc/fstab` on the root filesystem an entry boots that systemd's
fstab-generator makes the boot wait for: not `noauto`, not `nofail`, not
`x-systemd.automount`, not a network filesystem (`_netdev`, nfs, cifs…), not
`/` itself (the initramfs mounts root). Its device (`UUID=`, `LABEL=`,
`PARTUUID=`, `PARTLABEL=`, `/dev/disk/by-*`) must be on the disks. Kernel names
(`/dev/sda1`) are given at boot and device-mapper names are made at boot: those
are not judged, nor a UUID that may sit inside a LUKS/LVM/md container bootvet
does not open.

## Why it breaks the boot
The generator turns the line into a mount unit required by
`local-fs.target`, which waits for the device unit
(`dev-disk-by\\x2duuid-….device`). A device that never comes times out after
`DefaultDeviceTimeoutSec` (systemd 252; `DefaultTimeoutStartSec` before:
90 s either way) or `x-systemd.device-timeout=`; the mount fails its
dependency, `local-fs.target` fails, and its `OnFailure=emergency.target`
stops the boot at the emergency shell: a server is not reachable, and a
password is needed at the console. There sulogin asks for root's password as
/etc/shadow holds it; a locked root (`root:*:` or `root:!…`, Ubuntu's and
debootstrap's default) gets `Cannot open access to console, the root account
is locked.` and no shell at all (booted: `deb-fstab-esp-locked`). A line with
a pass number whose `fsck.TYPE` the root has also fails its
`systemd-fsck@` check (`File System Check on …`). A swap line does not stop the boot
(`swap.target` is only wanted): it costs the wait. With
`x-systemd.device-timeout=0` the boot waits forever. Booted on Debian 12
(systemd 252, the QEMU suite's `deb-fstab-esp-stale`): 90 s of `Job
dev-disk-by….device/start running (…s / 1min 30s)`, then `Timed out waiting for device
dev-disk-by\\x2duuid-9A3F\\x2d11C2.device - /dev/disk/by-uuid/9A3F-11C2.`,
`Dependency failed for boot-efi.mount - /boot/efi.` and emergency mode
(Debian prints `unit - description`, `StatusUnitFormat=combined`; upstream's
default prints the description alone; an 80-column console cuts the middle
of a long line to `…`).

## Example
    UUID=1234-ABCD  /boot/efi  vfat  umask=0077  0 1     # the ESP was reformatted: its UUID changed

## Fix
Put the device's current UUID (`blkid /dev/sdXN`) in /etc/fstab, or add
`nofail` (and perhaps `x-systemd.device-timeout=5s`) to its options so the
boot goes on without it.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (entry, command, _, root, fact) in super::entries_with_root(cx) {
        let Some(tabs) = &fact.tabs else {
            continue;
        };
        for line in tabs.fstab.lines() {
            if line.device != TabDevice::Missing || line.target == "/" {
                continue;
            }
            let (severity, ending, lines) = match fstab_wait(line) {
                Wait::Not { .. } => continue,
                Wait::Required {
                    timeout: Timeout::Forever,
                }
                | Wait::Delay {
                    timeout: Timeout::Forever,
                } => (
                    Severity::Error,
                    "the boot waits for it forever (no device timeout)".to_string(),
                    Vec::new(),
                ),
                Wait::Required {
                    timeout: Timeout::Seconds(s),
                } => {
                    // systemd fails the units bound to the device depth
                    // first (job.c `job_fail_dependencies`): the mount, then
                    // what requires it, then the device's check. Booted:
                    // deb-fstab-esp-stale (no fsck.vfat there: no check line).
                    let mut failed = vec![line.target.clone(), "Local File Systems".into()];
                    failed.extend(fsck_unit(line, &tabs.fsck));
                    let mut lines = timeout_lines(&line.source, &failed);
                    lines.extend(emergency_lines(&tabs.root_password));
                    (
                        Severity::Error,
                        format!("after {s} s the boot stops in emergency mode"),
                        lines,
                    )
                }
                Wait::Delay {
                    timeout: Timeout::Seconds(s),
                } => (
                    Severity::Warning,
                    format!("the boot waits {s} s for it, then goes on without swap"),
                    timeout_lines(
                        &line.source,
                        &[super::mounts::udev_node(&line.source), "Swaps".into()],
                    ),
                ),
            };
            let mut finding = Finding::new(
                &INFO,
                format!(
                    "/etc/fstab line {} ({} on {}) on root={root} names a device that is not on the disks; {ending}",
                    line.line,
                    line.source,
                    shown_target(line)
                ),
            )
            .severity(severity)
            .entry(entry)
            .at(command.location)
            .evidence(format!(
                "/etc/fstab:{}: {} {} {} {}",
                line.line,
                line.source,
                line.target,
                line.kind,
                line.options.join(",")
            ))
            .evidence(format!(
                "mount unit {}.mount requires {}",
                unit_name_path_escape(&line.target),
                super::mounts::device_unit(&line.source)
            ))
            .prints_all(lines);
            if matches!(
                fstab_wait(line),
                Wait::Required {
                    timeout: Timeout::Seconds(_)
                }
            ) {
                finding = finding.evidence(root_password_evidence(&tabs.root_password));
            }
            finding = finding.fix(format!(
                "in /etc/fstab line {}, put the device's current UUID (`blkid`) instead of {}, or add `nofail` to its options ({}) so the boot goes on without it",
                line.line,
                line.source,
                line.options.join(",")
            ));
            out.push(finding);
        }
    }
}

fn shown_target(line: &TabLine) -> &str {
    if line.kind == "swap" {
        "swap"
    } else {
        &line.target
    }
}
