//! The storage layers between `root=` and the disk — dm-crypt, LVM, md RAID — as
//! far as the facts tell: the kernel command line (`rd.luks.uuid=`,
//! `cryptdevice=`, `rd.lvm.lv=`, `rd.md.uuid=`, `root=/dev/mapper/…`,
//! `root=/dev/VG/LV`, `root=/dev/md…`) says so for certain; a LUKS, LVM or md
//! member on the disks (libblkid's type, and sysfs holders on the live system)
//! makes it likely when `root=` matches no volume bootvet can read, since the root
//! filesystem is then presumably inside it. Pure functions over the facts.

use crate::facts::BootFacts;
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
