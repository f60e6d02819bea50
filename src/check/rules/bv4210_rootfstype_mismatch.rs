use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::storage::ExtFeatures;
use crate::facts::volumes::Resolution;
use crate::menu::{BootEntry, KernelParam};

use super::bv4205_init_missing::{Runner, runner};
use super::ext_types;
use super::needs_initramfs;
use super::root_mount_lines::MountingKernel;
use super::root_path::root_devno;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4210",
    name: "rootfstype-mismatch",
    severity: Severity::Error,
    link: Link::Root,
    summary: "rootfstype= names a filesystem type the root filesystem is not",
    fix: "remove rootfstype= from GRUB_CMDLINE_LINUX in /etc/default/grub (the type is then detected), or make it name the root's type (`blkid` shows it), and run update-grub",
    doc: "## What it checks
The last `rootfstype=` on an entry's kernel command line (the kernel,
initramfs-tools and dracut all keep the last one) against the type of the
filesystem root= resolves to, as libblkid identifies it. The entry fails
when no type in the comma-separated list can mount that filesystem. The
kernel's ext4 driver registers the ext3 and ext4 types, and ext2 where
the ext2 driver is not built (which checks the same features): `ext4`
mounts all three formats, while `ext2` and `ext3` refuse a filesystem with
an incompat feature their format never had (extent, 64bit, flex_bg, …;
ro_compat ones too when root is mounted `rw`), and `ext3` one without a
journal. bootvet reads those feature words from the superblock; where it
could not, an `ext2` or `ext3` list is not judged. FAT's `vfat` and `msdos`
are one family. `auto` lets initramfs-tools (`scripts/local`) and dracut
detect the type, so it is judged only where the kernel mounts root itself,
which knows no type of that name. A root of a type bootvet does not know
(ZFS, NFS, a stack it cannot see through) is not judged. Under an initramfs
that is neither initramfs-tools' nor dracut's the finding is a warning: its
init may not pass `rootfstype=` on.

## Why it breaks the boot
Nothing tries a type that mounts the filesystem. initramfs-tools passes
the list to `mount -t`, which fails (`Invalid argument` from a driver that
refuses the superblock, `No such device` when the type is not there), then
prints `Failed to mount /dev/… as root file system.` and stops at its
`(initramfs)` shell (busybox's mount is silent, so the driver does not
say why); dracut's `sysroot.mount` fails and it opens the
emergency shell. The kernel alone (no initrd) tries only the listed types
(init/do_mounts.c): one it lacks built in fails at once with error -19 and
the panic; built-in ones that refuse the superblock end in `No filesystem
could mount root, tried:` and the panic. Seen in QEMU boots of Debian 12's
initramfs and of its 6.12 cloud kernel alone. Typical causes: a command
line copied from another machine, an installer's template, or a root
filesystem converted (ext4 to btrfs, ext3 to ext4 with `tune2fs -O
extent`) or recreated with another type while /etc/default/grub kept the
old `rootfstype=`.

## Example
    linux /vmlinuz-6.1.0-28-amd64 root=UUID=7d0c… ro rootfstype=xfs
    # blkid: UUID=7d0c… TYPE=\"ext4\"

## Fix
Remove `rootfstype=` from `GRUB_CMDLINE_LINUX` in /etc/default/grub (the
type is detected: initramfs-tools reads it with blkid, the kernel alone
tries its built-in types), or make it name the type `blkid` shows for the
root, and run `update-grub`.",
    run,
};

/// Types of one driver family: any of them may mount a filesystem libblkid
/// names by another (the ext4 driver registers ext2 and ext3 too, which judge
/// the superblock's features: `ext_types`).
const FAMILIES: &[&[&str]] = &[
    &["ext2", "ext3", "ext4", "ext4dev"],
    &["xfs"],
    &["btrfs"],
    &["f2fs"],
    &["jfs"],
    &["reiserfs"],
    &["nilfs2"],
    &["vfat", "msdos"],
    &["erofs"],
    &["squashfs"],
];

fn family(fstype: &str) -> Option<&'static [&'static str]> {
    FAMILIES.iter().copied().find(|f| f.contains(&fstype))
}

/// What is known of the root filesystem a type list is judged against.
struct RootFs<'a> {
    /// libblkid's TYPE.
    fstype: &'a str,
    ext: Option<&'a ExtFeatures>,
    /// Mounted read-only first (`ro`, the default of the kernel, initramfs-tools
    /// and dracut), so ro_compat features do not matter.
    read_only: bool,
}

/// Whether the kernel's type `listed` mounts the root; `None` when not known.
fn type_mounts(listed: &str, root: &RootFs<'_>) -> Option<bool> {
    if !family(root.fstype)?.contains(&listed) {
        return Some(false);
    }
    match root.ext {
        Some(features) => match ext_types::refusal(listed, features, root.read_only) {
            Some(why) => Some(why.mounts()),
            None => Some(true),
        },
        // ext2 and ext3 judge features that are not known here.
        None => (!matches!(listed, "ext2" | "ext3")).then_some(true),
    }
}

/// Whether no type of `listed` can mount the root; `None` when that is not
/// known (a type bootvet does not know, unread features, detection asked for).
fn refused(listed: &str, root: &RootFs<'_>, runner: &Runner) -> Option<bool> {
    let types: Vec<&str> = listed.split(',').filter(|t| !t.is_empty()).collect();
    let detects = !matches!(runner, Runner::Kernel);
    if types.is_empty() || (detects && types.contains(&"auto")) {
        return None;
    }
    let verdicts: Vec<Option<bool>> = types.iter().map(|t| type_mounts(t, root)).collect();
    if verdicts.contains(&Some(true)) {
        Some(false)
    } else if verdicts.iter().all(|v| *v == Some(false)) {
        Some(true)
    } else {
        None
    }
}

/// The listed ext2/ext3 types that refuse the root for its features, each with
/// why.
fn feature_refusals(listed: &str, root: &RootFs<'_>) -> Vec<(String, ext_types::Refusal)> {
    let Some(features) = root.ext else {
        return Vec::new();
    };
    listed
        .split(',')
        .filter_map(|t| {
            let why = ext_types::refusal(t, features, root.read_only)?;
            (!why.mounts()).then(|| (t.to_string(), why))
        })
        .collect()
}

/// What the console shows, by who mounts the root.
fn will_print(
    cx: &Context<'_>,
    entry: &BootEntry,
    runner: &Runner,
    root: &str,
    device: &str,
    one_type: bool,
) -> Vec<String> {
    match runner {
        // scripts/local `local_mount_root`: mount's own error, then panic() and
        // the shell (the words of the QEMU boot deb-rootfstype-xfs).
        Runner::InitramfsTools => vec![
            "mount: mounting … on /root failed: …".into(),
            format!("Failed to mount {device} as root file system."),
            "(initramfs) ".into(),
        ],
        Runner::Dracut => vec!["Failed to mount …/sysroot.".into()],
        // The kernel finds the device only for a root= it parses itself; for
        // the others BV4103 says what it prints.
        Runner::Kernel if needs_initramfs(root) => Vec::new(),
        // An image's device number is the machine's to give: `…` for it.
        Runner::Kernel => {
            let devno = root_devno(cx.facts, root).unwrap_or_else(|| "…:…".into());
            MountingKernel::of(cx.facts, entry).lines_with_wrong_type(root, &devno, one_type)
        }
        Runner::OtherInitrd => Vec::new(),
    }
}

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (entry, command, params, root, fact) in super::entries_with_root(cx) {
        let Some(listed) = super::param_value(params, "rootfstype") else {
            continue;
        };
        let (Resolution::One(volume), Some(Some(fs))) =
            (&fact.resolution, fact.filesystems.first())
        else {
            continue;
        };
        let runner = runner(cx, entry);
        let root_fs = RootFs {
            fstype: &fs.fstype,
            ext: fs.ext_features.as_ref(),
            read_only: mounts_read_only(params),
        };
        if refused(listed, &root_fs, &runner) != Some(true) {
            continue;
        }
        let device = volume.kernel_name.as_deref().unwrap_or("…");
        let one_type = !listed.contains(',');
        let refusals = feature_refusals(listed, &root_fs);
        // No `EXT4-fs (…): couldn't mount as ext3` line is promised: busybox's
        // mount and the kernel's own root mount both pass MS_SILENT, and the
        // driver then refuses without a word (QEMU boot deb-rootfstype-ext3).
        let lines = will_print(cx, entry, &runner, root, device, one_type);
        let uuid = fs
            .uuid
            .as_deref()
            .map(|u| format!(" UUID={u}"))
            .unwrap_or_default();
        let headline = format!(
            "rootfstype={listed}, but root={root} ({}) is {}: mounting the root fails",
            volume.name,
            article(&fs.fstype)
        );
        let fix = format!(
            "remove rootfstype={listed} from GRUB_CMDLINE_LINUX in /etc/default/grub (the type is then detected), or set rootfstype={}, and run update-grub",
            fs.fstype
        );
        let mut finding = Finding::new(&INFO, headline)
            .entry(entry)
            .at(command.location)
            .evidence(format!(
                "libblkid on {}:{uuid} TYPE=\"{}\"",
                volume.name, fs.fstype
            ))
            .fix(fix)
            .prints_all(lines);
        for (listed_type, why) in &refusals {
            finding = finding.evidence(format!(
                "the kernel's {listed_type} type ({}) will not mount {}{}: {}",
                if listed_type == "ext3" {
                    "the ext4 driver's, fs/ext4/super.c"
                } else {
                    "the ext4 driver's or the ext2 driver's: the same feature checks"
                },
                volume.name,
                if root_fs.read_only {
                    ""
                } else {
                    " read-write (`rw`)"
                },
                why.describe(listed_type)
            ));
        }
        match runner {
            Runner::Kernel => {
                finding = finding.evidence(format!(
                    "no initramfs runs: the kernel mounts root= itself and tries only {listed}"
                ));
            }
            // An init of its own may ignore rootfstype=: not a certain failure.
            Runner::OtherInitrd => {
                finding = finding
                    .evidence("the initramfs is neither initramfs-tools' nor dracut's: whether its init passes rootfstype= to mount is not known (mkinitcpio's does)")
                    .severity(Severity::Warning);
            }
            Runner::InitramfsTools | Runner::Dracut => {}
        }
        out.push(finding);
    }
}

/// Whether root is mounted read-only first: the last of `ro` and `rw`, and
/// read-only without either (the kernel's `root_mountflags`, initramfs-tools'
/// `readonly=y`, systemd's fstab-generator).
fn mounts_read_only(params: &[KernelParam]) -> bool {
    params
        .iter()
        .rev()
        .find(|p| p.value.is_none() && (p.key == "ro" || p.key == "rw"))
        .is_none_or(|p| p.key == "ro")
}

fn article(fstype: &str) -> String {
    let vowel_sound = fstype.starts_with(['e', 'f', 'x', 'a', 'i', 'o', 'u']);
    format!(
        "{} {fstype} filesystem",
        if vowel_sound { "an" } else { "a" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(fstype: &str) -> RootFs<'_> {
        RootFs {
            fstype,
            ext: None,
            read_only: true,
        }
    }

    #[test]
    fn only_a_type_of_another_family_is_refused() {
        let r = |listed, fstype| refused(listed, &root(fstype), &Runner::InitramfsTools);
        assert_eq!(r("xfs", "ext4"), Some(true));
        assert_eq!(r("ext4", "btrfs"), Some(true));
        assert_eq!(r("etx4", "ext4"), Some(true));
        assert_eq!(r("ext4", "ext4"), Some(false));
        // The ext4 type mounts the whole family; FAT's two names.
        assert_eq!(r("ext4", "ext3"), Some(false));
        assert_eq!(r("msdos", "vfat"), Some(false));
        // ext3 and ext2 judge features, unread here.
        assert_eq!(r("ext3", "ext4"), None);
        assert_eq!(r("xfs,ext3", "ext4"), None);
        // A list: one that mounts is enough.
        assert_eq!(r("xfs,ext4", "ext4"), Some(false));
        assert_eq!(r("xfs,btrfs", "ext4"), Some(true));
        // A root of a type not known here, and an empty value.
        assert_eq!(r("ext4", "zfs_member"), None);
        assert_eq!(r("", "ext4"), None);
    }

    #[test]
    fn ext3_and_ext2_are_judged_by_the_superblocks_features() {
        // mke2fs 1.47's ext4 and ext3 defaults (ext_types' tests).
        let ext4 = ExtFeatures {
            compat: 0x3c,
            incompat: 0x2c2,
            ro_compat: 0x46b,
        };
        let ext3 = ExtFeatures {
            compat: 0x3c,
            incompat: 0x2,
            ro_compat: 0x3,
        };
        let on = |fstype, features: &ExtFeatures, listed| {
            let root = RootFs {
                fstype,
                ext: Some(features),
                read_only: true,
            };
            refused(listed, &root, &Runner::InitramfsTools)
        };
        assert_eq!(on("ext4", &ext4, "ext3"), Some(true));
        assert_eq!(on("ext4", &ext4, "ext2"), Some(true));
        assert_eq!(on("ext4", &ext4, "ext3,ext4"), Some(false));
        assert_eq!(on("ext3", &ext3, "ext3"), Some(false));
        assert_eq!(on("ext3", &ext3, "ext2"), Some(false));
        let root = RootFs {
            fstype: "ext4",
            ext: Some(&ext4),
            read_only: true,
        };
        let refusals = feature_refusals("ext3,ext4", &root);
        assert_eq!(refusals.len(), 1);
        assert_eq!(refusals[0].0, "ext3");
        assert_eq!(refusals[0].1.features, ["extent", "64bit", "flex_bg"]);
    }

    #[test]
    fn root_is_mounted_read_only_unless_rw_comes_last() {
        let params = |keys: &[&str]| -> Vec<KernelParam> {
            keys.iter()
                .map(|k| KernelParam {
                    key: k.to_string(),
                    value: None,
                })
                .collect()
        };
        assert!(mounts_read_only(&params(&[])));
        assert!(mounts_read_only(&params(&["rw", "ro"])));
        assert!(!mounts_read_only(&params(&["ro", "quiet", "rw"])));
    }

    #[test]
    fn auto_detects_in_an_initramfs_and_is_no_type_to_the_kernel() {
        let ext4 = root("ext4");
        assert_eq!(refused("auto", &ext4, &Runner::InitramfsTools), None);
        assert_eq!(refused("auto", &ext4, &Runner::Dracut), None);
        assert_eq!(refused("auto", &ext4, &Runner::Kernel), Some(true));
        assert_eq!(refused("auto,ext4", &ext4, &Runner::Kernel), Some(false));
    }

    #[test]
    fn articles_follow_the_sound() {
        assert_eq!(article("ext4"), "an ext4 filesystem");
        assert_eq!(article("xfs"), "an xfs filesystem");
        assert_eq!(article("btrfs"), "a btrfs filesystem");
    }
}
