//! What the kernel prints when no initramfs runs and it cannot mount root= itself
//! (init/do_mounts.c), which changed between releases:
//!   - up to 6.4 the quoted name drops a leading `/dev/` (`root=/dev/vda2` prints
//!     `"vda2"`); from 6.5 it is root= as given;
//!   - from 6.5 a built-in filesystem's hard error is followed by
//!     `List of all bdev filesystems:` and their names;
//!   - from 6.7 the panic after `No filesystem could mount root, tried:` names the
//!     root= string: `… on "UUID=…" or unknown-block(0,0)`.
//!
//! Which path the kernel takes depends on its config: with a block filesystem
//! built in (fuseblk counts: Debian's 6.12 builds FUSE in), the first one to try
//! the missing device fails hard (`Cannot open root device`, error -6 for device
//! number 0, -19 once `lookup_bdev` refuses that number: 6.12.117, 7.3); with
//! none built in there is nothing to try and it says so. `rootfstype=` changes that: its first type always fails hard on
//! 0:0, with ENODEV (-19) when it is not built in (no initramfs, so no module),
//! and after `Please append…` a kernel from 6.5 says `Can't find any bdev
//! filesystem to be used for mount!` when none is built in. Where the release or
//! the config is unknown, only the words common to every case are predicted, with
//! `…` for the rest.

use crate::facts::BootFacts;
use crate::inspect::kconfig::Provision;
use crate::menu::BootEntry;

use super::root_path::Booted;

/// Every form of the root-mount panic starts so; what follows names the device.
const PANIC: &str = "Kernel panic - not syncing: VFS: Unable to mount root fs on";

/// What decides the kernel's words: its version, whether a block filesystem is
/// built in (`None`: not known) and `rootfstype=`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct MountingKernel {
    /// (major, minor, sublevel) of the release; the sublevel is 0 when absent
    /// (and in Debian 6.1's `6.1.0-N` naming, whose real one is hidden).
    pub version: Option<(u32, u32, u32)>,
    pub block_fs: Option<bool>,
    pub first_type: FirstType,
}

/// The first type of `rootfstype=`, the one the kernel tries first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum FirstType {
    /// No `rootfstype=`: every built-in block filesystem is tried.
    #[default]
    Unset,
    BuiltIn,
    /// A module or not built: without an initramfs the kernel cannot load it.
    Absent,
    /// Not a filesystem of the root-path table, or the config is unknown.
    Unknown,
}

/// What the kernel's first attempt at the 0:0 device does.
enum Attempt {
    /// Fails hard, with this error number (`…`: unknown).
    Fails(&'static str),
    /// Nothing to try.
    Nothing,
    Unknown,
}

impl MountingKernel {
    /// The kernel an entry boots, from its header's release (else its file
    /// name's) and its config.
    pub fn of(facts: &BootFacts, entry: &BootEntry) -> MountingKernel {
        Booted::of(facts, entry)
            .map(|booted| MountingKernel::booting(&booted))
            .unwrap_or_default()
    }

    pub fn booting(booted: &Booted<'_>) -> MountingKernel {
        let config = booted.side.and_then(|side| side.config.as_ref());
        let first_type = match super::param_value(booted.params, "rootfstype") {
            None => FirstType::Unset,
            Some(types) => {
                let first = types.split(',').next().unwrap_or_default();
                let provision = config.and_then(|c| {
                    c.root_path
                        .iter()
                        .find(|(name, _)| name == first)
                        .map(|(_, provision)| provision)
                });
                match provision {
                    Some(Provision::BuiltIn { .. }) => FirstType::BuiltIn,
                    Some(Provision::Module { .. } | Provision::Missing) => FirstType::Absent,
                    None => FirstType::Unknown,
                }
            }
        };
        MountingKernel {
            version: booted.release.as_deref().and_then(linux_version),
            block_fs: config.and_then(|config| config.block_filesystem_built_in),
            first_type,
        }
    }

    fn is_at_least(&self, wanted: (u32, u32)) -> Option<bool> {
        self.version
            .map(|(major, minor, _)| (major, minor) >= wanted)
    }

    /// Every line, in order, when root= names no device the kernel has (device
    /// number 0:0): it never appeared, or only an initramfs could have found it.
    pub fn lines_without_device(&self, root: &str) -> Vec<String> {
        match self.first_attempt() {
            Attempt::Fails(error) => self.hard_failure(root, "0:0", error),
            Attempt::Nothing => self.nothing_mounted(root, "0:0"),
            // A hard failure panics on the device number alone; nothing tried
            // panics with root= quoted from 6.7 on.
            Attempt::Unknown => match self.is_at_least((6, 7)) {
                Some(false) => vec![format!("{PANIC} unknown-block(0,0)")],
                _ => vec![format!("{PANIC} …unknown-block(0,0)")],
            },
        }
    }

    /// When root='s device is there (`devno`, `MAJ:MIN`) but no filesystem the
    /// kernel has built in mounts it: the built-in ones refuse its superblock
    /// and it says what it tried, unless `rootfstype=` names one it lacks.
    pub fn lines_with_device(&self, root: &str, devno: &str) -> Vec<String> {
        match self.first_type {
            FirstType::Absent => self.hard_failure(root, devno, "-19"),
            _ => vec![self.nothing_mounted_panic(root, devno)],
        }
    }

    /// When root='s device is there but `rootfstype=` names only types that
    /// are not its filesystem's: the first one decides. One the kernel lacks
    /// fails hard with ENODEV; a built-in one refuses the superblock (EINVAL),
    /// and the kernel goes on to the next, so with one type alone nothing
    /// mounts. With more, what the later ones do is not known here.
    pub fn lines_with_wrong_type(&self, root: &str, devno: &str, one_type: bool) -> Vec<String> {
        match self.first_type {
            FirstType::Absent => self.hard_failure(root, devno, "-19"),
            FirstType::BuiltIn if one_type => self.nothing_mounted(root, devno),
            _ => vec![format!("{PANIC} …{}", unknown_block(devno))],
        }
    }

    /// Every type tried refused the device `devno` (or there was none to try).
    fn nothing_mounted(&self, root: &str, devno: &str) -> Vec<String> {
        vec![
            "List of all partitions:".into(),
            "No filesystem could mount root, tried:".into(),
            self.nothing_mounted_panic(root, devno),
        ]
    }

    /// A filesystem's hard error on device `devno`: `Cannot open root device`,
    /// the partitions, from 6.5 the block filesystems there are, the panic.
    fn hard_failure(&self, root: &str, devno: &str, error: &str) -> Vec<String> {
        let block = unknown_block(devno);
        let mut lines = vec![
            format!(
                "VFS: Cannot open root device \"{}\" or {block}: error {error}",
                self.quoted(root)
            ),
            "Please append a correct \"root=\" boot option; here are the available partitions:"
                .into(),
        ];
        if self.is_at_least((6, 5)) == Some(true) {
            match self.block_fs {
                Some(true) => lines.push("List of all bdev filesystems:".into()),
                Some(false) => {
                    lines.push("Can't find any bdev filesystem to be used for mount!".into())
                }
                None => {}
            }
        }
        lines.push(format!("{PANIC} {block}"));
        lines
    }

    fn first_attempt(&self) -> Attempt {
        match (self.first_type, self.block_fs) {
            (FirstType::Unset, Some(true)) | (FirstType::BuiltIn, _) => {
                Attempt::Fails(self.no_device_error())
            }
            // The filesystem type is not there: ENODEV before any device.
            (FirstType::Absent, _) => Attempt::Fails("-19"),
            (FirstType::Unset, Some(false)) => Attempt::Nothing,
            (FirstType::Unset, None) | (FirstType::Unknown, _) => Attempt::Unknown,
        }
    }

    /// The panic when no filesystem the kernel tried could mount root= on the
    /// device `devno` (`MAJ:MIN`).
    pub fn nothing_mounted_panic(&self, root: &str, devno: &str) -> String {
        let block = unknown_block(devno);
        match self.is_at_least((6, 7)) {
            Some(true) => format!("{PANIC} \"{root}\" or {block}"),
            Some(false) => format!("{PANIC} {block}"),
            None => format!("{PANIC} …{block}"),
        }
    }

    /// The error a built-in filesystem gets on the 0:0 device node: ENXIO when it
    /// opens it, ENODEV once `lookup_bdev` refuses a node whose device number is
    /// 0 (`/dev/root: Can't lookup blockdev`): queued for 7.3, and in 6.12.117
    /// (Debian's 6.12.118 in the suite). Other stable branches still maintained
    /// when it came may have taken it too: unknown there, past 6.1.192 (the newest
    /// 6.1 then, without it) for 6.1.
    fn no_device_error(&self) -> &'static str {
        let Some((major, minor, sublevel)) = self.version else {
            return "…";
        };
        let rejects_dev_0 = match (major, minor) {
            (7, 3..) | (8.., _) => Some(true),
            (6, 12) => Some(sublevel >= 117),
            (6, 1) => (sublevel <= 192).then_some(false),
            (5, 10) | (5, 15) | (6, 6) | (6, 18) | (7, 0..=2) => None,
            _ => Some(false),
        };
        match rejects_dev_0 {
            Some(true) => "-19",
            Some(false) => "-6",
            None => "…",
        }
    }

    /// root= as `Cannot open root device "…"` quotes it.
    fn quoted(&self, root: &str) -> String {
        match (self.is_at_least((6, 5)), root.strip_prefix("/dev/")) {
            (Some(false), Some(rest)) => rest.to_string(),
            (None, Some(rest)) => format!("…{rest}"),
            _ => root.to_string(),
        }
    }
}

/// `MAJ:MIN` as the kernel names a device it has no name for.
fn unknown_block(devno: &str) -> String {
    let (major, minor) = devno.split_once(':').unwrap_or((devno, "0"));
    format!("unknown-block({major},{minor})")
}

/// `6.12.100+deb12-amd64` → (6, 12, 100); `6.8-rc3` → (6, 8, 0).
pub(super) fn linux_version(release: &str) -> Option<(u32, u32, u32)> {
    let leading = |part: Option<&str>| -> Option<u32> {
        let digits: String = part?.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    let mut parts = release.splitn(3, '.');
    let major = parts.next()?.parse().ok()?;
    let minor_part = parts.next();
    let minor = leading(minor_part)?;
    // `6.8-rc3`: no sublevel after a minor that does not end at a dot.
    let sublevel = if minor_part.is_some_and(|m| m.len() == minor.to_string().len()) {
        leading(parts.next()).unwrap_or(0)
    } else {
        0
    };
    Some((major, minor, sublevel))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kernel(version: Option<(u32, u32)>, block_fs: Option<bool>) -> MountingKernel {
        let version = version.map(|(major, minor)| (major, minor, 0));
        MountingKernel {
            version,
            block_fs,
            first_type: FirstType::Unset,
        }
    }

    #[test]
    fn versions_come_from_the_release_string() {
        assert_eq!(linux_version("6.12.100+deb12-amd64"), Some((6, 12, 100)));
        assert_eq!(linux_version("6.1.0-57-amd64"), Some((6, 1, 0)));
        assert_eq!(linux_version("6.11.0-rc1+"), Some((6, 11, 0)));
        assert_eq!(linux_version("6.8-rc3"), Some((6, 8, 0)));
        assert_eq!(linux_version("6.8.12"), Some((6, 8, 12)));
        assert_eq!(linux_version("3.10.0-1160.el7.x86_64"), Some((3, 10, 0)));
        assert_eq!(linux_version("linux"), None);
        assert_eq!(linux_version("6"), None);
        assert_eq!(linux_version("6.x"), None);
    }

    #[test]
    fn a_built_in_filesystem_fails_hard_and_newer_kernels_list_the_filesystems() {
        let old = kernel(Some((6, 1)), Some(true)).lines_without_device("/dev/vda2");
        assert_eq!(
            old[0],
            "VFS: Cannot open root device \"vda2\" or unknown-block(0,0): error -6"
        );
        assert!(!old.iter().any(|l| l.contains("bdev filesystems")));
        let new = kernel(Some((6, 11)), Some(true)).lines_without_device("/dev/vda2");
        assert_eq!(
            new[0],
            "VFS: Cannot open root device \"/dev/vda2\" or unknown-block(0,0): error -6"
        );
        // What Debian's 6.12.118 printed in the QEMU suite (fuseblk built in).
        let uuid = "UUID=7d0cf1b2-55aa-4e2b-9c1d-0a1b2c3d4e5f";
        let debian = MountingKernel {
            version: Some((6, 12, 118)),
            block_fs: Some(true),
            first_type: FirstType::Unset,
        };
        assert_eq!(
            debian.lines_without_device(uuid),
            [
                format!("VFS: Cannot open root device \"{uuid}\" or unknown-block(0,0): error -19"),
                "Please append a correct \"root=\" boot option; here are the available partitions:"
                    .into(),
                "List of all bdev filesystems:".into(),
                "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)"
                    .into(),
            ]
        );
        assert_eq!(new[2], "List of all bdev filesystems:");
        // The panic names only the device number, in every release.
        for lines in [&old, &new] {
            assert_eq!(
                lines.last().map(String::as_str),
                Some(
                    "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)"
                )
            );
        }
        let unknown = kernel(None, Some(true)).lines_without_device("/dev/vda2");
        assert_eq!(
            unknown[0],
            "VFS: Cannot open root device \"…vda2\" or unknown-block(0,0): error …"
        );
    }

    #[test]
    fn the_error_for_device_0_follows_the_lookup_bdev_fix() {
        let error = |release: &str| {
            MountingKernel {
                version: linux_version(release),
                block_fs: Some(true),
                first_type: FirstType::Unset,
            }
            .no_device_error()
        };
        assert_eq!(error("6.11.11"), "-6");
        assert_eq!(error("6.12.116"), "-6");
        assert_eq!(error("6.12.117"), "-19");
        assert_eq!(error("7.3.0"), "-19");
        assert_eq!(error("6.1.0-57-amd64"), "-6");
        // Branches that may have taken the fix since.
        assert_eq!(error("6.1.200"), "…");
        assert_eq!(error("6.6.50"), "…");
        assert_eq!(error("7.2.4"), "…");
    }

    #[test]
    fn rootfstype_makes_the_first_attempt_fail_hard() {
        let uuid = "UUID=7d0cf1b2-55aa-4e2b-9c1d-0a1b2c3d4e5f";
        // Debian's 6.1 with rootfstype=ext4: ext4 is a module, nothing built in.
        let debian = MountingKernel {
            version: Some((6, 1, 0)),
            block_fs: Some(false),
            first_type: FirstType::Absent,
        };
        assert_eq!(
            debian.lines_without_device(uuid),
            [
                format!("VFS: Cannot open root device \"{uuid}\" or unknown-block(0,0): error -19"),
                "Please append a correct \"root=\" boot option; here are the available partitions:"
                    .into(),
                "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)"
                    .into(),
            ]
        );
        // From 6.5 the hint after the partitions says none is built in.
        let newer = MountingKernel {
            version: Some((6, 8, 0)),
            ..debian
        };
        assert_eq!(
            newer.lines_without_device(uuid)[2],
            "Can't find any bdev filesystem to be used for mount!"
        );
        // A built-in first type fails like any built-in filesystem.
        let built_in = MountingKernel {
            first_type: FirstType::BuiltIn,
            ..debian
        };
        assert!(built_in.lines_without_device(uuid)[0].ends_with("error -6"));
        let unknown = MountingKernel {
            first_type: FirstType::Unknown,
            ..debian
        };
        assert_eq!(unknown.lines_without_device(uuid).len(), 1);
    }

    #[test]
    fn nothing_to_try_panics_with_root_quoted_from_6_7() {
        let root = "UUID=7d0cf1b2-55aa-4e2b-9c1d-0a1b2c3d4e5f";
        let last = |k: MountingKernel| k.lines_without_device(root).pop().unwrap_or_default();
        assert_eq!(
            last(kernel(Some((6, 6)), Some(false))),
            "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)"
        );
        assert_eq!(
            last(kernel(Some((6, 12)), Some(false))),
            format!(
                "Kernel panic - not syncing: VFS: Unable to mount root fs on \"{root}\" or unknown-block(0,0)"
            )
        );
        assert_eq!(
            last(kernel(None, Some(false))),
            "Kernel panic - not syncing: VFS: Unable to mount root fs on …unknown-block(0,0)"
        );
        // The config unknown: both paths are possible, so from 6.7 the name is a gap.
        assert_eq!(
            kernel(Some((6, 1)), None).lines_without_device(root),
            ["Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)"]
        );
        assert_eq!(
            kernel(Some((6, 12)), None).lines_without_device(root),
            ["Kernel panic - not syncing: VFS: Unable to mount root fs on …unknown-block(0,0)"]
        );
    }

    #[test]
    fn a_found_device_panics_on_its_number() {
        let k = kernel(Some((6, 12)), Some(false));
        assert_eq!(
            k.nothing_mounted_panic("/dev/vda2", "253:2"),
            "Kernel panic - not syncing: VFS: Unable to mount root fs on \"/dev/vda2\" or unknown-block(253,2)"
        );
        let k = kernel(Some((6, 1)), Some(false));
        assert_eq!(
            k.nothing_mounted_panic("/dev/vda2", "253:2"),
            "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(253,2)"
        );
    }

    #[test]
    fn a_wrong_rootfstype_on_a_found_device() {
        let root = "PARTUUID=4c8f2d3e-1a5b-4c6d-9e7f-0a1b2c3d4e5f";
        let with = |first_type| MountingKernel {
            first_type,
            ..kernel(Some((6, 12)), Some(true))
        };
        // The 6.12 cloud kernel with rootfstype=xfs, a module (the QEMU boot
        // no-initrd-partuuid-xfs@6.12-cloud): ENODEV on the disk's number.
        assert_eq!(
            with(FirstType::Absent).lines_with_wrong_type(root, "259:4", true),
            [
                format!(
                    "VFS: Cannot open root device \"{root}\" or unknown-block(259,4): error -19"
                ),
                "Please append a correct \"root=\" boot option; here are the available partitions:"
                    .into(),
                "List of all bdev filesystems:".into(),
                "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(259,4)"
                    .into(),
            ]
        );
        // A built-in type refuses the superblock: with it alone nothing mounts.
        assert_eq!(
            with(FirstType::BuiltIn).lines_with_wrong_type(root, "259:4", true),
            [
                "List of all partitions:".to_string(),
                "No filesystem could mount root, tried:".into(),
                format!(
                    "Kernel panic - not syncing: VFS: Unable to mount root fs on \"{root}\" or unknown-block(259,4)"
                ),
            ]
        );
        // More types after it, or a type not known: the panic's common words.
        for (first_type, one_type) in [(FirstType::BuiltIn, false), (FirstType::Unknown, true)] {
            assert_eq!(
                with(first_type).lines_with_wrong_type(root, "259:4", one_type),
                [
                    "Kernel panic - not syncing: VFS: Unable to mount root fs on …unknown-block(259,4)"
                ]
            );
        }
    }
}
