//! The storage layers between `root=` and the disk — dm-crypt, LVM, md RAID — as
//! far as the facts tell: the kernel command line (`rd.luks.uuid=`,
//! `cryptdevice=`, `rd.lvm.lv=`, `rd.md.uuid=`, `root=/dev/mapper/…`,
//! `root=/dev/VG/LV`, `root=/dev/md…`) says so for certain; a LUKS, LVM or md
//! member on the disks (libblkid's type, and sysfs holders on the live system)
//! makes it likely when `root=` matches no volume bootvet can read, since the root
//! filesystem is then presumably inside it. Pure functions over the facts.
//!
//! On the live system, when `root=` names the device mounted at `/`, the stack
//! walked through sysfs (`facts::stack`, dm uuids and md levels) replaces all of
//! that inference: it is what the running kernel opened.

use crate::facts::BootFacts;
use crate::facts::stack::{RootStack, StackKind};
use crate::facts::volumes::{Resolution, volumes};
use crate::menu::KernelParam;

/// A kind of layer, with what the kernel and the initramfs need to open it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum LayerKind {
    Crypt,
    Lvm,
    Md,
    /// Some device-mapper target the name does not tell.
    Dm,
}

impl LayerKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            LayerKind::Crypt => "dm-crypt (LUKS)",
            LayerKind::Lvm => "LVM",
            LayerKind::Md => "md RAID",
            LayerKind::Dm => "device-mapper",
        }
    }

    /// Rows of the root-path table (`kconfig::ROOT_PATH`) the kernel must provide.
    pub fn needs(self) -> &'static [&'static str] {
        match self {
            LayerKind::Crypt => &["dm", "dm-crypt"],
            LayerKind::Lvm => &["lvm"],
            LayerKind::Md => &["md"],
            LayerKind::Dm => &["dm"],
        }
    }

    /// libblkid's type of a volume that holds this layer.
    fn container_type(self) -> Option<&'static str> {
        match self {
            LayerKind::Crypt => Some("crypto_LUKS"),
            LayerKind::Lvm => Some("LVM2_member"),
            LayerKind::Md => Some("linux_raid_member"),
            LayerKind::Dm => None,
        }
    }
}

/// One layer under root, and why bootvet believes it is there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Layer {
    pub kind: LayerKind,
    pub evidence: Vec<String>,
    /// Only inferred from a container on the disks, not said by the command line.
    pub inferred: bool,
    /// The command line names what to open (`rd.luks.uuid=`, `cryptdevice=`…),
    /// so an initramfs needs no configuration file of its own for it.
    pub named_on_cmdline: bool,
    /// Root-path rows this layer needs beyond its kind's (`needs`): the md
    /// level's personality (`raid1`, `raid456`), read live from `md/level`.
    pub extra_needs: Vec<&'static str>,
}

impl Layer {
    /// Every row of the root-path table this layer needs.
    pub(crate) fn needs(&self) -> Vec<&'static str> {
        let mut v = self.kind.needs().to_vec();
        for n in &self.extra_needs {
            if !v.contains(n) {
                v.push(n);
            }
        }
        v
    }
}

/// What a `/dev/mapper/NAME` is, by the names distributions give: `sda3_crypt`
/// (Debian's installer), `luks-UUID` (Fedora, systemd), `cryptroot` (Arch's
/// wiki); LVM's `VG-LV` (a single `-` between the two; `--` is an escaped dash).
fn mapper_kind(name: &str) -> LayerKind {
    let lower = name.to_ascii_lowercase();
    if lower.contains("crypt") || lower.starts_with("luks-") || lower.starts_with("luks_") {
        return LayerKind::Crypt;
    }
    let unescaped = name.replace("--", "");
    let parts: Vec<&str> = unescaped.split('-').collect();
    if parts.len() == 2 && parts.iter().all(|p| !p.is_empty()) {
        return LayerKind::Lvm;
    }
    LayerKind::Dm
}

/// The layer a `root=` value names by its form, if any.
fn root_form(root: &str) -> Option<(LayerKind, String)> {
    let why = |what: &str| format!("root={root} is {what}");
    if let Some(name) = root.strip_prefix("/dev/mapper/") {
        let kind = mapper_kind(name);
        let what = match kind {
            LayerKind::Crypt => "a device-mapper name of a LUKS mapping",
            LayerKind::Lvm => "a device-mapper name of an LVM volume (VG-LV)",
            _ => "a device-mapper device",
        };
        return Some((kind, why(what)));
    }
    if root.starts_with("/dev/dm-") {
        return Some((LayerKind::Dm, why("a device-mapper device")));
    }
    if root.starts_with("/dev/md") {
        return Some((LayerKind::Md, why("an md RAID device")));
    }
    let rest = root.strip_prefix("/dev/")?;
    let (dir, lv) = rest.split_once('/')?;
    let not_vg = [
        "disk", "mapper", "md", "block", "char", "cdrom", "bus", "input",
    ];
    (!lv.contains('/') && !lv.is_empty() && !not_vg.contains(&dir))
        .then(|| (LayerKind::Lvm, why("an LVM volume path (/dev/VG/LV)")))
}

/// The layer a command-line parameter asks the initramfs to set up.
fn param_kind(p: &KernelParam) -> Option<LayerKind> {
    let value = p.value.as_deref().unwrap_or("");
    match p.key.as_str() {
        "rd.luks.uuid" | "rd.luks.name" | "luks.uuid" | "luks.name" | "cryptdevice" => {
            Some(LayerKind::Crypt)
        }
        "rd.lvm.lv" | "rd.lvm.vg" => Some(LayerKind::Lvm),
        "rd.md.uuid" => Some(LayerKind::Md),
        _ => None,
    }
    .filter(|_| !value.is_empty())
}

/// The UUID a crypt parameter names (`luks-` prefixes and `=NAME` tails removed;
/// `cryptdevice=UUID=…:name`).
fn named_uuid(p: &KernelParam) -> Option<String> {
    let value = p.value.as_deref()?;
    let value = value.strip_prefix("UUID=").unwrap_or(value);
    let value = value.split([':', '=']).next()?;
    let value = value.strip_prefix("luks-").unwrap_or(value);
    Some(value.to_ascii_lowercase())
}

/// The layers under `root` for an entry booted with `params`.
pub(crate) fn layers(facts: &BootFacts, params: &[KernelParam], root: &str) -> Vec<Layer> {
    if let Some(stack) = walked(facts, root) {
        return walked_layers(stack, params, root);
    }
    let mut out: Vec<Layer> = Vec::new();
    let mut add = |kind: LayerKind, line: String, inferred: bool, named: bool| match out
        .iter_mut()
        .find(|l| l.kind == kind)
    {
        Some(l) => {
            if !l.evidence.contains(&line) {
                l.evidence.push(line);
            }
            l.inferred &= inferred;
            l.named_on_cmdline |= named;
        }
        None => out.push(Layer {
            kind,
            evidence: vec![line],
            inferred,
            named_on_cmdline: named,
            extra_needs: Vec::new(),
        }),
    };
    if let Some((kind, line)) = root_form(root) {
        add(kind, line, false, false);
    }
    let mut uuids = Vec::new();
    for p in params {
        if let Some(kind) = param_kind(p) {
            add(
                kind,
                format!(
                    "the command line has {}={}",
                    p.key,
                    p.value.as_deref().unwrap_or("")
                ),
                false,
                true,
            );
            uuids.extend(named_uuid(p));
        }
    }
    let unresolved = facts
        .root(root)
        .is_none_or(|r| r.resolution == Resolution::None);
    for (volume, partition, fs) in volumes(&facts.storage) {
        let Some(fs) = fs else { continue };
        let Some(kind) = [LayerKind::Crypt, LayerKind::Lvm, LayerKind::Md]
            .into_iter()
            .find(|k| k.container_type() == Some(fs.fstype.as_str()))
        else {
            continue;
        };
        let named = fs
            .uuid
            .as_ref()
            .is_some_and(|u| uuids.contains(&u.to_ascii_lowercase()));
        // A container the command line does not name counts only when root=
        // matches nothing readable: then the root filesystem is presumably in it.
        if !named && !unresolved {
            continue;
        }
        let holders = match partition {
            Some(p) => p.holders.clone(),
            None => volume
                .disk
                .and_then(|d| facts.storage.disks.get(d))
                .map(|d| d.holders.clone())
                .unwrap_or_default(),
        };
        let mut line = format!(
            "({}) is {}{}",
            volume.name,
            fs.fstype,
            fs.uuid
                .as_ref()
                .map(|u| format!(" UUID={u}"))
                .unwrap_or_default()
        );
        if !holders.is_empty() {
            line.push_str(&format!(", open as {}", holders.join(", ")));
        }
        if named {
            line.push_str(": the volume the command line names");
        } else {
            line.push_str(&format!(
                ": root={root} matches no volume bootvet can read, so it is presumably inside"
            ));
        }
        add(kind, line, !named, false);
    }
    // A named layer makes the generic device-mapper one redundant.
    if out
        .iter()
        .any(|l| matches!(l.kind, LayerKind::Crypt | LayerKind::Lvm))
    {
        out.retain(|l| l.kind != LayerKind::Dm);
    }
    out.sort_by_key(|l| l.kind);
    out
}

/// The live stack, when `root` names the device it was walked from: by kernel
/// name, /dev/mapper name, LVM's /dev/VG/LV, the filesystem's UUID or label, or
/// the partition `root=` resolved to.
pub(crate) fn walked<'a>(facts: &'a BootFacts, root: &str) -> Option<&'a RootStack> {
    let stack = facts.root_stack.as_ref()?;
    let top = stack.top_device();
    let mut names = vec![format!("/dev/{}", stack.top)];
    if let Some(dm) = top.and_then(|t| t.dm_name.as_deref()) {
        names.push(format!("/dev/mapper/{dm}"));
        if top.is_some_and(|t| t.kind == StackKind::Lvm)
            && let Some((vg, lv)) = split_lvm_name(dm)
        {
            names.push(format!("/dev/{vg}/{lv}"));
        }
    }
    let tag = |prefix: &str, dir: &str| {
        root.strip_prefix(prefix)
            .or_else(|| root.strip_prefix(dir))
            .map(str::to_string)
    };
    let by_uuid = tag("UUID=", "/dev/disk/by-uuid/").is_some_and(|u| {
        stack
            .fs_uuid
            .as_ref()
            .is_some_and(|f| f.eq_ignore_ascii_case(&u))
    });
    let by_label = tag("LABEL=", "/dev/disk/by-label/")
        .is_some_and(|l| stack.fs_label.as_deref() == Some(l.as_str()));
    let resolved = facts.root(root).is_some_and(|r| match &r.resolution {
        crate::facts::volumes::Resolution::One(v) => {
            v.kernel_name.as_deref() == Some(names[0].as_str())
        }
        _ => false,
    });
    (names.iter().any(|n| n == root) || by_uuid || by_label || resolved).then_some(stack)
}

/// The walked stack in one line, top down: `dm-1 cryptroot (CRYPT-LUKS2) → vda4`.
pub(crate) fn describe_walk(stack: &RootStack) -> String {
    let mut parts: Vec<String> = stack
        .devices
        .iter()
        .map(|d| {
            let what = match d.kind {
                StackKind::DmCrypt => format!(
                    "dm-crypt{}",
                    d.detail
                        .as_ref()
                        .map(|f| format!(" {f}"))
                        .unwrap_or_default()
                ),
                StackKind::Lvm => "LVM".into(),
                StackKind::Multipath => "multipath".into(),
                StackKind::Kpartx => "kpartx".into(),
                StackKind::DmUnknown => "device-mapper, target unknown".into(),
                StackKind::Md => format!("md {}", d.md_level.as_deref().unwrap_or("?")),
                StackKind::Partition | StackKind::Disk => return d.name.clone(),
            };
            match &d.dm_name {
                Some(n) => format!("{} {n} ({what})", d.name),
                None => format!("{} ({what})", d.name),
            }
        })
        .collect();
    if !stack.faults.is_empty() {
        parts.push("… (walk incomplete)".into());
    }
    parts.join(" → ")
}

/// LVM's device-mapper name `VG-LV` split back (a `-` inside either is doubled).
fn split_lvm_name(dm: &str) -> Option<(String, String)> {
    let bytes = dm.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'-' {
            if bytes.get(i + 1) == Some(&b'-') {
                i += 2;
                continue;
            }
            let (vg, lv) = (&dm[..i], &dm[i + 1..]);
            return (!vg.is_empty() && !lv.is_empty())
                .then(|| (vg.replace("--", "-"), lv.replace("--", "-")));
        }
        i += 1;
    }
    None
}

/// The layers the walked stack shows, top first by kind order.
fn walked_layers(stack: &RootStack, params: &[KernelParam], root: &str) -> Vec<Layer> {
    let mut out: Vec<Layer> = Vec::new();
    for d in &stack.devices {
        let node = d
            .dm_name
            .as_ref()
            .map(|n| format!("{} (/dev/mapper/{n})", d.name))
            .unwrap_or_else(|| d.name.clone());
        let (kind, line, extra): (LayerKind, String, Option<&'static str>) = match d.kind {
            StackKind::DmCrypt => (
                LayerKind::Crypt,
                format!(
                    "sysfs: {node} has dm uuid {}: a {}dm-crypt mapping",
                    d.dm_uuid.as_deref().unwrap_or(""),
                    d.detail
                        .as_ref()
                        .map(|f| format!("{f} "))
                        .unwrap_or_default()
                ),
                None,
            ),
            StackKind::Lvm => (
                LayerKind::Lvm,
                format!(
                    "sysfs: {node} has dm uuid {}: an LVM logical volume",
                    d.dm_uuid.as_deref().unwrap_or("")
                ),
                None,
            ),
            StackKind::Multipath | StackKind::Kpartx | StackKind::DmUnknown => (
                LayerKind::Dm,
                format!(
                    "sysfs: {node} is a device-mapper device ({}): {}",
                    d.dm_uuid
                        .as_deref()
                        .map(|u| format!("dm uuid {u}"))
                        .unwrap_or_else(|| "no dm uuid".into()),
                    match d.kind {
                        StackKind::Multipath =>
                            "multipath; its own module and userspace are not checked",
                        StackKind::Kpartx => "a kpartx partition",
                        _ => "its target is unknown",
                    }
                ),
                None,
            ),
            StackKind::Md => {
                let level = d.md_level.as_deref().unwrap_or("unknown");
                let module = StackKind::md_module(level)
                    .filter(|m| crate::inspect::kconfig::provider(m).is_some());
                (
                    LayerKind::Md,
                    format!(
                        "sysfs: {node} is md RAID, md/level {level}{}",
                        match module {
                            Some(m) => format!(": the {m} personality"),
                            None => ": its personality module is not checked".into(),
                        }
                    ),
                    module,
                )
            }
            StackKind::Partition | StackKind::Disk => continue,
        };
        match out.iter_mut().find(|l| l.kind == kind) {
            Some(l) => {
                l.evidence.push(line);
                l.extra_needs
                    .extend(extra.filter(|e| !l.extra_needs.contains(e)));
            }
            None => out.push(Layer {
                kind,
                evidence: vec![line],
                inferred: false,
                named_on_cmdline: false,
                extra_needs: extra.into_iter().collect(),
            }),
        }
    }
    for l in &mut out {
        l.evidence.insert(
            0,
            format!(
                "root={root} is the running system's / ({}), walked down through /sys/class/block/*/slaves",
                stack.top
            ),
        );
        if !stack.faults.is_empty() {
            l.evidence.push(format!(
                "the walk is incomplete: {}",
                stack.faults.join("; ")
            ));
        }
        l.named_on_cmdline = params.iter().any(|p| param_kind(p) == Some(l.kind));
    }
    out.sort_by_key(|l| l.kind);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapper_names() {
        assert_eq!(mapper_kind("sda3_crypt"), LayerKind::Crypt);
        assert_eq!(
            mapper_kind("luks-5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"),
            LayerKind::Crypt
        );
        assert_eq!(mapper_kind("debian--vg-root"), LayerKind::Lvm);
        assert_eq!(mapper_kind("vg0-root"), LayerKind::Lvm);
        assert_eq!(mapper_kind("mpatha"), LayerKind::Dm);
    }

    #[test]
    fn root_forms() {
        assert_eq!(
            root_form("/dev/vg0/root").map(|r| r.0),
            Some(LayerKind::Lvm)
        );
        assert_eq!(root_form("/dev/md127").map(|r| r.0), Some(LayerKind::Md));
        assert_eq!(root_form("/dev/md/root").map(|r| r.0), Some(LayerKind::Md));
        assert_eq!(root_form("/dev/dm-2").map(|r| r.0), Some(LayerKind::Dm));
        assert_eq!(root_form("/dev/disk/by-uuid/x").map(|r| r.0), None);
        assert_eq!(root_form("/dev/sda2").map(|r| r.0), None);
        assert_eq!(root_form("UUID=abc").map(|r| r.0), None);
    }

    #[test]
    fn crypt_parameters_name_uuids() {
        let p = |k: &str, v: &str| KernelParam {
            key: k.into(),
            value: Some(v.into()),
        };
        assert_eq!(
            named_uuid(&p("rd.luks.uuid", "luks-ABC-1")).as_deref(),
            Some("abc-1")
        );
        assert_eq!(
            named_uuid(&p("rd.luks.name", "abc-1=root")).as_deref(),
            Some("abc-1")
        );
        assert_eq!(
            named_uuid(&p("cryptdevice", "UUID=abc-1:cryptroot")).as_deref(),
            Some("abc-1")
        );
        assert_eq!(param_kind(&p("rd.lvm.lv", "vg/root")), Some(LayerKind::Lvm));
        assert_eq!(param_kind(&p("rd.md.uuid", "1:2:3:4")), Some(LayerKind::Md));
        assert_eq!(param_kind(&p("quiet", "")), None);
    }
}
