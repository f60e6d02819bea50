use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::btrfs::{BtrfsSubvolumes, Named, TOP_LEVEL_ID};
use crate::facts::volumes::Resolution;
use crate::menu::KernelParam;

use super::bv4205_init_missing::{Runner, runner};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4209",
    name: "btrfs-subvolume-missing",
    severity: Severity::Error,
    link: Link::Root,
    summary: "rootflags= names a btrfs subvolume the root filesystem does not have",
    fix: "point rootflags=subvol= at a subvolume that exists (`btrfs subvolume list /`) in /etc/default/grub, or restore it; for snapshot entries (grub-btrfs) regenerate the menu with update-grub",
    doc: "## What it checks
A btrfs root mounted with `rootflags=subvol=PATH` or `rootflags=subvolid=N`:
the subvolume is looked up in the root filesystem's own trees (its root tree's
`ROOT_REF` items, paths from the top level), read from the image or the disk.
Both given: they must name the same subvolume. Without either, the default
subvolume is mounted and nothing is checked. A filesystem that cannot be read
(several devices, damage, no access) is not judged, nor a path with `..`.
Limits: the path is matched against the subvolumes' own paths, so a `subvol=`
reaching a subvolume through a symlinked directory would be reported missing;
on a running system the disk is read, and a subvolume renamed or deleted
within the last commit interval (30 s by default) is seen as it was.

## Why it breaks the boot
The kernel resolves `subvol=` as a path from the top level (fs/btrfs/super.c
`mount_subvol`): a path that is not there fails the mount with ENOENT, one that
is a plain directory with EINVAL (`'…' is not a valid subvolume`); `subvolid=`
of no subvolume fails with ENOENT, and both naming different subvolumes with
EINVAL (`subvol '…' does not match subvolid N`). initramfs-tools then prints
`mount: mounting /dev/vda4 on /root failed: No such file or directory` and
`Failed to mount /dev/vda4 as root file system.` (seen in a QEMU boot of
Debian 12's initramfs) and stops at its `(initramfs)` shell; dracut's
`sysroot.mount` fails and it opens the emergency shell; the kernel alone
panics with `VFS: Unable to mount root fs`. Typical causes: the
root subvolume renamed or recreated by a rollback (`@` moved to `@old`), a
snapshot deleted (snapper's cleanup) while grub-btrfs's menu still lists it.

## Example
    linux /@/boot/vmlinuz root=UUID=… rootflags=subvol=@/.snapshots/41/snapshot
    # snapper deleted snapshot 41; `btrfs subvolume list /` no longer shows it

## Fix
Point `rootflags=subvol=` (`GRUB_CMDLINE_LINUX` in /etc/default/grub) at a
subvolume that exists, or restore the one it names (`btrfs subvolume snapshot`
from a snapshot, or rename it back); for snapshot entries regenerate the menu
(`update-grub`, grub-btrfs's `grub-btrfsd` does it on every change).",
    run,
};

/// `subvol=` and `subvolid=` of the last `rootflags=` (the kernel and
/// initramfs-tools keep the last one), each the last of its kind in the
/// options as btrfs's option parser keeps it; `subvolid=0` means the top level
/// (`btrfs_parse_subvol_options`).
fn subvol_options(params: &[KernelParam]) -> (Option<&str>, Option<Result<u64, &str>>) {
    let Some(flags) = super::param_value(params, "rootflags") else {
        return (None, None);
    };
    let mut path = None;
    let mut id = None;
    for option in flags.split(',') {
        if let Some(v) = option.strip_prefix("subvol=") {
            path = Some(v);
        } else if let Some(v) = option.strip_prefix("subvolid=") {
            id = Some(
                v.parse::<u64>()
                    .map(|n| if n == 0 { TOP_LEVEL_ID } else { n })
                    .map_err(|_| v),
            );
        }
    }
    (path, id)
}

fn id_of(named: &Named<'_>) -> Option<u64> {
    match named {
        Named::TopLevel => Some(TOP_LEVEL_ID),
        Named::Subvolume(s) => Some(s.id),
        Named::Missing => None,
    }
}

/// What the boot prints when the mount fails with `errno`.
fn will_print(runner: &Runner, device: &str, errno: i32) -> Vec<String> {
    match runner {
        // scripts/local `local_mount_root`: mount's own error (busybox's
        // `mount: mounting /dev/vda4 on /root failed: No such file or
        // directory`, klibc's shorter), then panic "Failed to mount ${ROOT} as
        // root file system." (ROOT resolved to the device node) and the shell;
        // seen word for word in the QEMU boot deb-root-btrfs-subvol-gone.
        Runner::InitramfsTools => vec![
            format!(
                "mount: … {}",
                if errno == -2 {
                    "No such file or directory"
                } else {
                    "Invalid argument"
                }
            ),
            format!("Failed to mount {device} as root file system."),
            "(initramfs) ".into(),
        ],
        // systemd in the initrd: sysroot.mount fails (systemd < 253 says
        // `Failed to mount /sysroot.`, later `Failed to mount sysroot.mount - /sysroot.`).
        Runner::Dracut => vec!["Failed to mount …/sysroot.".into()],
        // init/do_mounts.c `mount_block_root`: ENOENT stops at once with
        // `VFS: Cannot open root device`, EINVAL tries the other types first.
        Runner::Kernel => {
            let mut lines = Vec::new();
            if errno == -2 {
                lines.push("VFS: Cannot open root device … or …: error -2".into());
            }
            lines.push("Kernel panic - not syncing: VFS: Unable to mount root fs on …".into());
            lines
        }
        Runner::OtherInitrd => Vec::new(),
    }
}

fn listed(subvolumes: &BtrfsSubvolumes) -> String {
    let BtrfsSubvolumes::Read {
        subvolumes,
        default_id,
        generation,
        live,
    } = subvolumes
    else {
        return String::new();
    };
    const SHOWN: usize = 12;
    let mut names: Vec<String> = subvolumes
        .iter()
        .take(SHOWN)
        .map(|s| format!("{} (id {})", s.path, s.id))
        .collect();
    if subvolumes.len() > SHOWN {
        names.push(format!("and {} more", subvolumes.len() - SHOWN));
    }
    let names = if names.is_empty() {
        "none below the top level".to_string()
    } else {
        names.join(", ")
    };
    let when = if *live {
        format!(
            "read from the running system's disk at generation {generation} (a change of the last ~30 s may not be there yet)"
        )
    } else {
        format!("generation {generation}")
    };
    format!("subvolumes on the filesystem: {names}; default subvolume id {default_id}; {when}")
}

/// What is wrong with the subvolume these parameters mount, and the errno the
/// mount fails with; `None` when nothing is (or nothing can be said).
fn judge(subvols: &BtrfsSubvolumes, params: &[KernelParam]) -> Option<(String, i32)> {
    let (path, id) = subvol_options(params);
    // An id the kernel would refuse to parse is another failure, not this one.
    let id = match id {
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => return None,
        None => None,
    };
    match (path, id) {
        // The default subvolume: the kernel refuses to delete it, so it is there.
        (None, None) => None,
        (Some(p), id) => {
            let named = subvols.by_path(p)?;
            match (id_of(&named), id) {
                (None, _) => Some((
                    format!("rootflags=subvol={p}: no subvolume by that path"),
                    -2,
                )),
                (Some(have), Some(want)) if have != want => Some((
                    format!(
                        "rootflags=subvol={p} is subvolume id {have}, but subvolid={want}: the kernel refuses the pair (`subvol '{p}' does not match subvolid {want}`)"
                    ),
                    -22,
                )),
                _ => None,
            }
        }
        (None, Some(n)) => match subvols.by_id(n)? {
            Named::Missing => Some((
                format!("rootflags=subvolid={n}: no subvolume has that id"),
                -2,
            )),
            _ => None,
        },
    }
}

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (entry, command, params, root, fact) in super::entries_with_root(cx) {
        let (Resolution::One(volume), Some(subvols)) = (&fact.resolution, &fact.btrfs) else {
            continue;
        };
        let Some((problem, errno)) = judge(subvols, params) else {
            continue;
        };
        let device = volume.kernel_name.as_deref().unwrap_or("…");
        let lines = will_print(&runner(cx, entry), device, errno);
        out.push(
            Finding::new(
                &INFO,
                format!(
                    "on root={root} ({}, btrfs), {problem}; mounting the root fails",
                    volume.name
                ),
            )
            .entry(entry)
            .at(command.location)
            .evidence(listed(subvols))
            .prints_all(lines),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::btrfs::SubvolumeFact;

    fn fs() -> BtrfsSubvolumes {
        let sub = |id, parent, path: &str| SubvolumeFact {
            id,
            parent,
            path: path.into(),
        };
        BtrfsSubvolumes::Read {
            subvolumes: vec![
                sub(256, 5, "@"),
                sub(257, 5, "@home"),
                sub(259, 256, "@/.snapshots/1/snapshot"),
            ],
            default_id: 5,
            generation: 9,
            live: false,
        }
    }

    fn params(line: &str) -> Vec<KernelParam> {
        line.split(' ')
            .map(|w| match w.split_once('=') {
                Some((k, v)) => KernelParam {
                    key: k.into(),
                    value: Some(v.into()),
                },
                None => KernelParam {
                    key: w.into(),
                    value: None,
                },
            })
            .collect()
    }

    fn errno(line: &str) -> Option<i32> {
        judge(&fs(), &params(line)).map(|(_, e)| e)
    }

    #[test]
    fn subvol_paths_are_found_as_the_kernel_walks_them() {
        assert_eq!(errno("root=UUID=x rootflags=subvol=@"), None);
        assert_eq!(errno("rootflags=subvol=/@/"), None);
        assert_eq!(errno("rootflags=subvol=//@/.snapshots/1/snapshot"), None);
        assert_eq!(errno("rootflags=subvol=/"), None);
        assert_eq!(errno("rootflags=subvol=@/.snapshots/2/snapshot"), Some(-2));
        assert_eq!(errno("rootflags=compress=zstd,subvol=@root"), Some(-2));
        // `..` needs the directories: not judged.
        assert_eq!(errno("rootflags=subvol=@home/../@root"), None);
        // The last rootflags= and the last subvol= in it count.
        assert_eq!(errno("rootflags=subvol=@gone rootflags=subvol=@"), None);
        assert_eq!(errno("rootflags=subvol=@,subvol=@gone"), Some(-2));
        // No subvol=: the default subvolume, not judged.
        assert_eq!(errno("root=UUID=x ro"), None);
    }

    #[test]
    fn subvolid_alone_and_with_subvol() {
        assert_eq!(errno("rootflags=subvolid=257"), None);
        assert_eq!(errno("rootflags=subvolid=5"), None);
        assert_eq!(errno("rootflags=subvolid=0"), None);
        assert_eq!(errno("rootflags=subvolid=258"), Some(-2));
        assert_eq!(errno("rootflags=subvol=@,subvolid=256"), None);
        assert_eq!(errno("rootflags=subvol=@,subvolid=257"), Some(-22));
        assert_eq!(errno("rootflags=subvol=/,subvolid=0"), None);
        // Not a number: mount's own error, not this check's.
        assert_eq!(errno("rootflags=subvolid=x"), None);
    }

    #[test]
    fn an_unreadable_filesystem_is_never_judged() {
        let unread = BtrfsSubvolumes::Unreadable {
            why: "a btrfs of 2 devices".into(),
        };
        assert_eq!(judge(&unread, &params("rootflags=subvol=@gone")), None);
        assert_eq!(judge(&unread, &params("rootflags=subvolid=999")), None);
    }
}
