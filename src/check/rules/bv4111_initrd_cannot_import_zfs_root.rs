use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::kernel::ZfsModuleTree;
use crate::inspect::initrd::InitrdReport;

use super::root_path::{Booted, whole_initrds};
use super::zfs_root::{
    Generator, ZfsInInitrd, generator, initramfs_tools_failure, zfs_in_initrd, zfs_root,
};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4111",
    name: "initrd-cannot-import-zfs-root",
    severity: Severity::Error,
    link: Link::Initrd,
    summary: "root is on ZFS, and the initrd lacks the zfs module, zpool or the ZFS boot script",
    fix: "build zfs.ko for the kernel (`dkms autoinstall -k VERSION`), install zfs-initramfs, then `update-initramfs -u -k VERSION`",
    doc: "## What it checks
An entry whose command line boots a ZFS root — `root=ZFS=pool/dataset`,
`root=zfs:pool/dataset`, `root=zfs:AUTO`, or `boot=zfs` — needs its whole
initrd to hold what OpenZFS's initramfs integration installs: the `zfs`
module (any path: `lib/modules/RELEASE/updates/dkms/zfs.ko.xz` from DKMS,
`extra/` from a kmod package, `kernel/zfs/` from Ubuntu's kernel), `zpool`, and
the boot script (initramfs-tools: `scripts/zfs`, with `conf/conf.d/zfs` that
switches to it for `root=ZFS=`/`root=zfs:`; dracut: `lib/dracut-zfs-lib.sh`).
On the running system, when its root is ZFS, bootvet also looks in
`/lib/modules/RELEASE` for `zfs.ko*`, to tell which fix applies.

## Why it breaks the boot
The kernel cannot read ZFS by itself, and the module is built outside the
kernel: by DKMS (zfs-dkms) after each kernel install. When DKMS runs after
the initramfs was built, or fails for a new kernel, the initrd has no zfs.ko
and OpenZFS's `scripts/zfs` stops with `Failed to load ZFS modules.` and a
shell. Without the ZFS hook (zfs-initramfs not installed) initramfs-tools
boots with `scripts/local`, which takes `ZFS=…` for a device name and gives up
waiting for it; with `boot=zfs` and no `scripts/zfs`, `/init` itself fails to
source the script and the kernel panics. Without `zpool` no pool is imported.

## Example
    linux /vmlinuz-6.1.0-28-amd64 root=ZFS=rpool/ROOT/debian ro
    initrd /initrd.img-6.1.0-28-amd64   # scripts/zfs and zpool, no zfs.ko

## Fix
If `/lib/modules/VERSION/updates/dkms/zfs.ko*` exists, rebuild the initrd:
`update-initramfs -u -k VERSION` (dracut: `dracut -f --kver VERSION`). If it
does not, build it first: `dkms autoinstall -k VERSION` (install zfs-dkms and
the kernel's headers if needed), then rebuild the initrd. Without the ZFS
hook, `apt install zfs-initramfs` first.",
    run,
};

/// What the initrds lack, as evidence lines.
fn lacks(has: &ZfsInInitrd, generator: Generator) -> Vec<String> {
    let mut out = Vec::new();
    if has.boot_script.is_none() {
        out.push(match generator {
            Generator::Dracut => "the initrd holds no lib/dracut-zfs-lib.sh: dracut's zfs module was not included".to_string(),
            _ => "the initrd holds no scripts/zfs (OpenZFS's initramfs-tools boot script: zfs-initramfs)".to_string(),
        });
    }
    if has.module.is_none() {
        out.push(
            "the initrd holds no zfs module (zfs.ko, zfs.ko.xz, zfs.ko.zst… under lib/modules/)"
                .into(),
        );
    }
    if has.zpool.is_none() {
        out.push("the initrd holds no zpool (looked in bin/, sbin/, usr/bin/, usr/sbin/)".into());
    }
    out
}

/// The fix for a missing module: the running system's modules tree tells
/// whether zfs.ko was built for the release (DKMS ran after the initrd) or not.
fn module_fix(
    tree: Option<&ZfsModuleTree>,
    release: &str,
    rebuild: &str,
) -> (Option<String>, String) {
    match tree {
        Some(t) if !t.found.is_empty() => (
            Some(format!(
                "{} holds {} for {release}: it was built after the initrd",
                t.root,
                t.found.join(", ")
            )),
            format!("rebuild the initrd: {rebuild}"),
        ),
        Some(t) => (
            Some(format!(
                "{} has no zfs.ko* under /lib/modules/{release}{}",
                t.root,
                if t.dir_found {
                    ""
                } else {
                    " (the directory does not exist)"
                }
            )),
            format!(
                "build the module first: `dkms autoinstall -k {release}` (install zfs-dkms and linux-headers-{release} if needed), then {rebuild}"
            ),
        ),
        None => (
            None,
            format!(
                "make sure /lib/modules/{release}/updates/dkms/zfs.ko* exists (`dkms status`; else `dkms autoinstall -k {release}`), then {rebuild}"
            ),
        ),
    }
}

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        let Some(booted) = Booted::of(cx.facts, entry) else {
            continue;
        };
        let root = booted.root();
        let Some(zfs) = zfs_root(booted.params, root) else {
            continue;
        };
        let Some((command, loaded)) = whole_initrds(cx.facts, entry) else {
            continue;
        };
        // A list cut for room may hide the very file; say nothing then.
        if loaded.iter().any(|(_, _, r)| r.evidence_cut) {
            continue;
        }
        let reports: Vec<&InitrdReport> = loaded.iter().map(|(_, _, r)| *r).collect();
        let generator = generator(&reports);
        let has = zfs_in_initrd(&reports, generator);
        let lacking = lacks(&has, generator);
        if lacking.is_empty() {
            continue;
        }
        let prints = match generator {
            Generator::InitramfsTools => match initramfs_tools_failure(&zfs, root, &has) {
                Some(lines) => lines,
                // Only a piece the boot never reaches is missing.
                None => continue,
            },
            // dracut without its zfs module waits for a root it never sees
            // (as BV4109 for the other layers); its messages for the other
            // pieces are not modelled.
            Generator::Dracut if has.boot_script.is_none() => vec![
                "Warning: dracut-initqueue: timeout, still waiting for following initqueue hooks:"
                    .into(),
                "Warning: Could not boot.".into(),
            ],
            _ => Vec::new(),
        };
        let release = booted.release.as_deref().unwrap_or("VERSION");
        let rebuild = match generator {
            Generator::Dracut => format!("`dracut -f --kver {release}`"),
            _ => format!("`update-initramfs -u -k {release}`"),
        };
        let paths: Vec<&str> = loaded.iter().map(|(_, f, _)| f.path.as_str()).collect();
        let what = match (&zfs.dataset, root) {
            (Some(d), _) => format!("pool '{}' (root dataset {d})", zfs.pool().unwrap_or(d)),
            (None, Some(r)) => format!("the root pool (root={r})"),
            (None, None) => "the root pool (boot=zfs)".into(),
        };
        let mut finding = Finding::new(
            &INFO,
            format!("initrd '{}' cannot import ZFS {what}", paths.join("' + '")),
        )
        .entry(entry)
        .at(command.location);
        finding = finding.evidence(format!(
            "the command line boots a ZFS root ({}{})",
            root.map(|r| format!("root={r}")).unwrap_or_default(),
            if zfs.boot_zfs { " boot=zfs" } else { "" }
        ));
        for (label, value) in [
            ("boot script", &has.boot_script),
            ("zfs module", &has.module),
            ("zpool", &has.zpool),
        ] {
            if let Some(v) = value {
                finding = finding.evidence(format!("{label} in the initrd: {v}"));
            }
        }
        for line in &lacking {
            finding = finding.evidence(line.clone());
        }
        let tree = booted.side.and_then(|s| s.zfs_tree.as_ref());
        let mut fixes = Vec::new();
        if has.boot_script.is_none() {
            fixes.push(match generator {
                Generator::Dracut => {
                    "add `add_dracutmodules+=\" zfs \"` to /etc/dracut.conf.d/".to_string()
                }
                _ => "`apt install zfs-initramfs` (the hook that adds scripts/zfs and zpool)"
                    .to_string(),
            });
        }
        if has.module.is_none() {
            let (line, fix) = module_fix(tree, release, &rebuild);
            if let Some(line) = line {
                finding = finding.evidence(line);
            }
            fixes.push(fix);
        } else {
            fixes.push(format!("rebuild the initrd: {rebuild}"));
        }
        out.push(finding.prints_all(prints).fix(fixes.join("; ")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(found: &[&str], dir_found: bool) -> ZfsModuleTree {
        ZfsModuleTree {
            root: "the running root rpool/ROOT/debian (zfs)".into(),
            dir_found,
            found: found.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// DKMS built zfs.ko after the initramfs: only the initrd needs rebuilding.
    #[test]
    fn module_in_the_tree_means_rebuild_the_initrd() {
        let t = tree(
            &["/lib/modules/6.1.0-28-amd64/updates/dkms/zfs.ko.xz"],
            true,
        );
        let (evidence, fix) = module_fix(
            Some(&t),
            "6.1.0-28-amd64",
            "`update-initramfs -u -k 6.1.0-28-amd64`",
        );
        assert!(evidence.unwrap().contains("built after the initrd"));
        assert_eq!(
            fix,
            "rebuild the initrd: `update-initramfs -u -k 6.1.0-28-amd64`"
        );
    }

    /// Neither the tree nor the initrd: the module must be built first.
    #[test]
    fn module_nowhere_means_dkms_first() {
        let (evidence, fix) = module_fix(Some(&tree(&[], true)), "6.1.0-29-amd64", "R");
        assert!(evidence.unwrap().contains("has no zfs.ko*"));
        assert!(fix.starts_with("build the module first: `dkms autoinstall -k 6.1.0-29-amd64`"));
        let (evidence, fix) = module_fix(None, "6.1.0-29-amd64", "R");
        assert!(evidence.is_none() && fix.contains("dkms status"));
    }
}
