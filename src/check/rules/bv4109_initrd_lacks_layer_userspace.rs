use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::inspect::initrd::InitrdReport;

use super::root_path::{Booted, whole_initrds};
use super::root_stack::{Layer, LayerKind, layers};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4109",
    name: "initrd-lacks-layer-userspace",
    severity: Severity::Error,
    link: Link::Initrd,
    summary: "root sits on dm-crypt, LVM or md, and the initrd lacks the tool (or the crypttab) to open it",
    fix: "install the layer's initramfs support (cryptsetup-initramfs, lvm2, mdadm; dracut: the crypt, lvm, mdraid modules) and rebuild the initramfs",
    doc: "## What it checks
When the root filesystem sits on a storage layer — dm-crypt (LUKS), LVM or md
RAID — the initramfs must open that layer before it can mount root. bootvet
decides that root sits on a layer from the kernel command line (`rd.luks.uuid=`,
`rd.luks.name=`, `cryptdevice=`, `rd.lvm.lv=`, `rd.md.uuid=`,
`root=/dev/mapper/…`, `root=/dev/VG/LV`, `root=/dev/md…`), or, when root=
matches no volume it can read, from a LUKS, LVM or md member on the disks
(libblkid's type; on the live system sysfs holders show what holds it open) —
then as a warning, since
the root filesystem is only presumably inside it. For each layer the entry's
initrd must hold the userspace: `cryptsetup` (or `systemd-cryptsetup`) and,
unless the command line names the LUKS volume, a crypttab (initramfs-tools:
`cryptroot/crypttab` or `conf/conf.d/cryptroot`; dracut: `etc/crypttab`);
`lvm`; `mdadm`. The kernel drivers of the layer (dm_crypt, dm_mod, md_mod)
are BV4107's. The generator is told by its marks (initramfs-tools'
`conf/initramfs.conf`, dracut's `initrd-release`): what is printed at boot
depends on it.

## Why it breaks the boot
The kernel cannot unlock LUKS, activate a volume group or assemble an array by
itself. An initramfs built without the tool — cryptsetup-initramfs not
installed, an image built in a chroot that did not see the encrypted root, a
generator run with the layer's hook disabled — waits for a device that never
appears. initramfs-tools prints `Gave up waiting for root file system device.
Common problems:` and `ALERT!  /dev/mapper/… does not exist.  Dropping to a
shell!`; dracut times out with `Warning: dracut-initqueue: timeout, still
waiting for following initqueue hooks:` and `Warning: Could not boot.`.

## Example
    linux /vmlinuz-6.11.0 root=/dev/mapper/cryptroot ro
    initrd /initrd.img-6.11.0      # no usr/sbin/cryptsetup, no cryptroot/crypttab

## Fix
initramfs-tools: `apt install cryptsetup-initramfs` (LVM: `lvm2`, md: `mdadm`),
make sure /etc/crypttab names the root's LUKS volume, then `update-initramfs
-u -k VERSION`. dracut: `add_dracutmodules+=\" crypt lvm mdraid \"` in
/etc/dracut.conf.d/ and `dracut -f --kver VERSION`.",
    run,
};

/// Where a tool lives inside an initrd: a `bin`/`sbin` directory (systemd's
/// helpers live in `lib/systemd`).
fn tools<'a>(initrds: &[&'a InitrdReport], name: &str) -> Vec<&'a str> {
    initrds
        .iter()
        .flat_map(|r| r.layer_file(name))
        .filter(|p| {
            let dir = p.rsplit_once('/').map_or("", |(d, _)| d);
            dir.ends_with("bin") || dir.ends_with("lib/systemd")
        })
        .collect()
}

/// What the initramfs generator prints when the root device never appears.
enum Generator {
    InitramfsTools,
    Dracut,
    Unknown,
}

fn generator(initrds: &[&InitrdReport]) -> Generator {
    let has = |path: &str| initrds.iter().any(|r| r.layer_files.contains(path));
    if has("conf/initramfs.conf") {
        Generator::InitramfsTools
    } else if initrds
        .iter()
        .any(|r| !r.layer_file("initrd-release").is_empty())
    {
        Generator::Dracut
    } else {
        Generator::Unknown
    }
}

/// What one layer lacks in the initrds: the missing pieces, as evidence lines.
fn lacking(layer: &Layer, initrds: &[&InitrdReport]) -> Vec<String> {
    let mut out = Vec::new();
    let (tool, alternatives): (&str, &[&str]) = match layer.kind {
        LayerKind::Crypt => ("cryptsetup", &["cryptsetup", "systemd-cryptsetup"]),
        LayerKind::Lvm => ("lvm", &["lvm"]),
        LayerKind::Md => ("mdadm", &["mdadm"]),
        LayerKind::Dm => return out,
    };
    if alternatives.iter().all(|a| tools(initrds, a).is_empty()) {
        out.push(format!(
            "the initrd holds no {} (looked for {} in bin/, sbin/, usr/bin/, usr/sbin/{})",
            tool,
            alternatives.join(", "),
            if layer.kind == LayerKind::Crypt {
                ", lib/systemd/"
            } else {
                ""
            }
        ));
    }
    if layer.kind == LayerKind::Crypt && !layer.named_on_cmdline {
        let config: Vec<&str> = initrds
            .iter()
            .flat_map(|r| {
                let mut v = r.layer_file("crypttab");
                v.extend(
                    r.layer_file("cryptroot")
                        .into_iter()
                        .filter(|p| p.starts_with("conf/conf.d/")),
                );
                v
            })
            .collect();
        if config.is_empty() {
            out.push("the initrd holds no crypttab (cryptroot/crypttab, conf/conf.d/cryptroot, etc/crypttab) and the command line names no LUKS volume (rd.luks.uuid=, rd.luks.name=, cryptdevice=): nothing tells the initramfs what to unlock".to_string());
        }
    }
    out
}

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        let Some(booted) = Booted::of(cx.facts, entry) else {
            continue;
        };
        let Some(root) = booted.root() else {
            continue;
        };
        let Some((command, loaded)) = whole_initrds(cx.facts, entry) else {
            continue;
        };
        // The files a layer needs are known only when none was dropped for room.
        if loaded.iter().any(|(_, _, r)| r.evidence_cut) {
            continue;
        }
        let reports: Vec<&InitrdReport> = loaded.iter().map(|(_, _, r)| *r).collect();
        let stack = layers(cx.facts, booted.params, root);
        let gaps: Vec<(&Layer, Vec<String>)> = stack
            .iter()
            .map(|l| (l, lacking(l, &reports)))
            .filter(|(_, g)| !g.is_empty())
            .collect();
        if gaps.is_empty() {
            continue;
        }
        let names: Vec<&str> = gaps.iter().map(|(l, _)| l.kind.name()).collect();
        let paths: Vec<&str> = loaded.iter().map(|(_, f, _)| f.path.as_str()).collect();
        let inferred = gaps.iter().all(|(l, _)| l.inferred);
        let mut finding = Finding::new(
            &INFO,
            format!(
                "initrd '{}' cannot open the {} under root={root}",
                paths.join("' + '"),
                names.join(" and ")
            ),
        )
        .entry(entry)
        .at(command.location);
        for (layer, gap) in &gaps {
            for line in layer.evidence.iter().chain(gap) {
                finding = finding.evidence(line.clone());
            }
        }
        let release = booted.release.as_deref().unwrap_or("VERSION");
        let packages: Vec<&str> = gaps
            .iter()
            .filter_map(|(l, _)| match l.kind {
                LayerKind::Crypt => Some("cryptsetup-initramfs"),
                LayerKind::Lvm => Some("lvm2"),
                LayerKind::Md => Some("mdadm"),
                LayerKind::Dm => None,
            })
            .collect();
        let modules: Vec<&str> = gaps
            .iter()
            .filter_map(|(l, _)| match l.kind {
                LayerKind::Crypt => Some("crypt"),
                LayerKind::Lvm => Some("lvm"),
                LayerKind::Md => Some("mdraid"),
                LayerKind::Dm => None,
            })
            .collect();
        match generator(&reports) {
            Generator::InitramfsTools => {
                finding = finding
                    .evidence("an initramfs-tools image (conf/initramfs.conf)")
                    .prints("Gave up waiting for root file system device.  Common problems:")
                    .prints(format!(
                        "ALERT!  {root} does not exist.  Dropping to a shell!"
                    ))
                    .fix(format!(
                        "`apt install {}`{}, then `update-initramfs -u -k {release}`",
                        packages.join(" "),
                        if packages.contains(&"cryptsetup-initramfs") {
                            " and make sure /etc/crypttab names the root's LUKS volume"
                        } else {
                            ""
                        }
                    ));
            }
            Generator::Dracut => {
                finding = finding
                    .evidence("a dracut image (initrd-release, no conf/initramfs.conf)")
                    .prints("Warning: dracut-initqueue: timeout, still waiting for following initqueue hooks:")
                    .prints("Warning: Could not boot.")
                    .fix(format!(
                        "add `add_dracutmodules+=\" {} \"` to /etc/dracut.conf.d/, then `dracut -f --kver {release}`",
                        modules.join(" ")
                    ));
            }
            Generator::Unknown => {}
        }
        if inferred {
            finding = finding.severity(Severity::Warning);
        }
        out.push(finding);
    }
}
