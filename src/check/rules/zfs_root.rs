//! A root on ZFS, as the command line asks for it, and what the initramfs needs
//! to import its pool. Read from OpenZFS's initramfs-tools integration
//! (contrib/initramfs: `conf.d/zfs` sets `BOOT=zfs` when `root=ZFS=…` or
//! `root=zfs:…`; `hooks/zfs.in` copies `zpool`, `zfs`, `mount.zfs` and the `zfs`
//! module; `scripts/zfs` loads the module, then imports the pool) and its dracut
//! module (contrib/dracut/90zfs: `module-setup.sh.in` installs `zpool` and
//! `/lib/dracut-zfs-lib.sh`), and initramfs-tools' own `init` (`.
//! "/scripts/${BOOT}"`, `BOOT=local` by default) and `scripts/local`. Pure
//! functions over the facts.

use crate::inspect::initrd::InitrdReport;
use crate::menu::KernelParam;

/// A ZFS root named on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ZfsRoot {
    /// `pool/dataset` (or a snapshot), `None` for `zfs:AUTO`.
    pub dataset: Option<String>,
    /// `root=ZFS=…` or `root=zfs:…`: initramfs-tools' `conf.d/zfs` switches to
    /// the ZFS boot script by itself.
    pub root_form: bool,
    /// `boot=zfs` is on the command line.
    pub boot_zfs: bool,
}

impl ZfsRoot {
    /// The pool the initramfs will import: the dataset's first component.
    pub fn pool(&self) -> Option<&str> {
        self.dataset.as_deref()?.split(['/', '@']).next()
    }
}

/// Whether the command line boots a ZFS root: `root=ZFS=pool/ds`,
/// `root=zfs:pool/ds`, `root=zfs:AUTO`, or `boot=zfs` (then `root=pool/ds`, or
/// no root= at all with `rpool=`/`bootfs=`: scripts/zfs reads all of them).
pub(super) fn zfs_root(params: &[KernelParam], root: Option<&str>) -> Option<ZfsRoot> {
    let boot_zfs = super::param_value(params, "boot") == Some("zfs");
    let stripped = root.and_then(|r| r.strip_prefix("ZFS=").or_else(|| r.strip_prefix("zfs:")));
    let root_form = stripped.is_some();
    if !root_form && !boot_zfs {
        return None;
    }
    let dataset = match stripped {
        Some("AUTO") => None,
        Some(d) => Some(d.to_string()),
        None => root.filter(|r| !r.starts_with('/')).map(str::to_string),
    }
    .filter(|d| !d.is_empty());
    Some(ZfsRoot {
        dataset,
        root_form,
        boot_zfs,
    })
}

/// The initramfs generator, told by its marks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Generator {
    InitramfsTools,
    Dracut,
    Unknown,
}

pub(super) fn generator(initrds: &[&InitrdReport]) -> Generator {
    if initrds
        .iter()
        .any(|r| r.layer_files.contains("conf/initramfs.conf"))
    {
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

/// What the initrds hold of the ZFS boot path.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct ZfsInInitrd {
    /// initramfs-tools' `scripts/zfs`, or dracut's `lib/dracut-zfs-lib.sh`.
    pub boot_script: Option<String>,
    /// initramfs-tools' `conf/conf.d/zfs` (switches `BOOT` to zfs).
    pub conf_d: bool,
    /// Where `zfs.ko*` is.
    pub module: Option<String>,
    /// Where `zpool` is (a `bin`/`sbin` directory).
    pub zpool: Option<String>,
}

pub(super) fn zfs_in_initrd(initrds: &[&InitrdReport], generator: Generator) -> ZfsInInitrd {
    let first = |name: &str, keep: &dyn Fn(&str) -> bool| {
        initrds
            .iter()
            .flat_map(|r| r.layer_file(name))
            .find(|p| keep(p))
            .map(str::to_string)
    };
    let boot_script = match generator {
        Generator::Dracut => first("dracut-zfs-lib.sh", &|_| true),
        _ => first("zfs", &|p| p == "scripts/zfs"),
    };
    ZfsInInitrd {
        boot_script,
        conf_d: first("zfs", &|p| p == "conf/conf.d/zfs").is_some(),
        module: initrds.iter().find_map(|r| r.modules.get("zfs").cloned()),
        zpool: first("zpool", &|p| {
            p.rsplit_once('/')
                .is_some_and(|(dir, _)| dir.ends_with("bin"))
        }),
    }
}

/// The first thing an initramfs-tools boot of `root` hits, as the console shows
/// it, or `None` when the ZFS path is whole.
pub(super) fn initramfs_tools_failure(
    zfs: &ZfsRoot,
    root: Option<&str>,
    has: &ZfsInInitrd,
) -> Option<Vec<String>> {
    // init sources conf/conf.d/* (OpenZFS's sets BOOT=zfs for root=ZFS=/zfs:),
    // then boot= from the command line; BOOT defaults to local.
    let boot_is_zfs = zfs.boot_zfs || (zfs.root_form && has.conf_d);
    if !boot_is_zfs {
        let root = root.unwrap_or("");
        // scripts/local waits only for names blkid can resolve or /dev paths
        // (`${dev_id#*=}` / `${dev_id#/dev}`); anything else is handed to mount.
        return Some(if root.contains('=') || root.starts_with("/dev") {
            vec![
                "Gave up waiting for root file system device.  Common problems:".into(),
                format!("ALERT!  {root} does not exist.  Dropping to a shell!"),
            ]
        } else {
            vec![format!("Failed to mount {root} as root file system.")]
        });
    }
    if has.boot_script.is_none() {
        // `. "/scripts/${BOOT}"` in init: a missing file ends the shell that is
        // PID 1 (busybox sh: "can't open '/scripts/zfs'"), and the kernel panics.
        return Some(vec![
            "/init: .: line 246: can't open '/scripts/zfs': No such file or directory".into(),
            "Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000200".into(),
        ]);
    }
    if has.module.is_none() {
        return Some(vec![
            "Failed to load ZFS modules.".into(),
            "Manually load the modules and exit.".into(),
        ]);
    }
    if has.zpool.is_none() {
        return Some(match zfs.pool() {
            Some(pool) => vec![
                format!("Failed to import pool '{pool}'."),
                "Manually import the pool and exit.".into(),
            ],
            None => vec![
                "No pool imported. Manually import the root pool".into(),
                "at the command prompt and then exit.".into(),
            ],
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(k: &str, v: Option<&str>) -> KernelParam {
        KernelParam {
            key: k.into(),
            value: v.map(str::to_string),
        }
    }

    #[test]
    fn command_line_forms() {
        let z = zfs_root(&[], Some("ZFS=rpool/ROOT/debian")).unwrap();
        assert_eq!(z.dataset.as_deref(), Some("rpool/ROOT/debian"));
        assert_eq!(z.pool(), Some("rpool"));
        assert!(z.root_form && !z.boot_zfs);
        let z = zfs_root(&[], Some("zfs:AUTO")).unwrap();
        assert_eq!(z.dataset, None);
        let z = zfs_root(&[p("boot", Some("zfs"))], Some("bpool/ROOT/x@snap")).unwrap();
        assert_eq!(z.pool(), Some("bpool"));
        assert!(z.boot_zfs && !z.root_form);
        assert_eq!(zfs_root(&[], Some("UUID=abc")), None);
        assert_eq!(
            zfs_root(&[p("boot", Some("local"))], Some("/dev/sda2")),
            None
        );
    }

    #[test]
    fn the_first_failure_is_the_one_printed() {
        let z = zfs_root(&[], Some("ZFS=rpool/ROOT/debian")).unwrap();
        let whole = ZfsInInitrd {
            boot_script: Some("scripts/zfs".into()),
            conf_d: true,
            module: Some("lib/modules/6.1.0/updates/dkms/zfs.ko.xz".into()),
            zpool: Some("usr/sbin/zpool".into()),
        };
        assert_eq!(
            initramfs_tools_failure(&z, Some("ZFS=rpool/ROOT/debian"), &whole),
            None
        );
        let no_hook = ZfsInInitrd::default();
        assert_eq!(
            initramfs_tools_failure(&z, Some("ZFS=rpool/ROOT/debian"), &no_hook).unwrap()[1],
            "ALERT!  ZFS=rpool/ROOT/debian does not exist.  Dropping to a shell!"
        );
        let no_module = ZfsInInitrd {
            module: None,
            ..whole.clone()
        };
        assert_eq!(
            initramfs_tools_failure(&z, Some("ZFS=rpool/ROOT/debian"), &no_module).unwrap()[0],
            "Failed to load ZFS modules."
        );
        let no_zpool = ZfsInInitrd {
            zpool: None,
            ..whole.clone()
        };
        assert_eq!(
            initramfs_tools_failure(&z, Some("ZFS=rpool/ROOT/debian"), &no_zpool).unwrap()[0],
            "Failed to import pool 'rpool'."
        );
        let boot = zfs_root(&[p("boot", Some("zfs"))], Some("ZFS=rpool/ROOT/debian")).unwrap();
        assert!(
            initramfs_tools_failure(&boot, Some("ZFS=rpool/ROOT/debian"), &no_hook).unwrap()[0]
                .contains("can't open '/scripts/zfs'")
        );
    }
}
