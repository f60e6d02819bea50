//! Gathers, for every file and root device the menu's entries name, what is really
//! there: the device GRUB will use, the file's size and extents, what its bytes are
//! (kernel header, initrd segments), and what `root=` resolves to. The result is
//! plain data the checks read; this is the last step that touches the disks.

use serde::Serialize;

use super::disk_files::{DeviceResolution, DiskFiles};
use super::facts::{Facts, Filesystem};
use super::fs::{FileError as VolumeError, FileKind, FileStat};
use super::resolve::{Query, Resolution, VolumeRef, resolve, volumes};
use crate::inspect::initrd::{self, Depth, InitrdReport};
use crate::inspect::kernel::{self, KernelImage};
use crate::menu::{CommandKind, DeviceExpr, FileRef, Menu, Platform};

pub const BOOT_FACTS_SCHEMA: &str = "bootvet.boot-facts/1";

/// Everything the checks need, for one machine or set of images.
#[derive(Clone, Debug, Serialize)]
pub struct BootFacts {
    pub schema: &'static str,
    pub platform: Platform,
    pub config: ConfigOrigin,
    pub disks: Facts,
    pub menu: Menu,
    /// Each distinct (device, path) an entry loads, in first-use order.
    pub files: Vec<FileFact>,
    /// Each distinct `root=` value, resolved.
    pub roots: Vec<RootFact>,
    /// Free space, leftovers and journal state of the boot directories, the
    /// firmware's reach, the machine's memory (`probe::host`).
    pub host: super::host::HostFacts,
}

#[derive(Clone, Debug, Serialize)]
pub struct ConfigOrigin {
    /// The config as the user named it, or where bootvet found it.
    pub path: String,
    /// The volume it was read from, when it came from the disks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume: Option<VolumeRef>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Kernel,
    Initrd,
    Chainload,
    Other,
}

#[derive(Clone, Debug, Serialize)]
pub struct FileFact {
    pub device: DeviceExpr,
    pub path: String,
    pub role: Role,
    pub resolution: DeviceResolution,
    pub lookup: FileLookup,
    /// `stat` of the file, when found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stat: Option<FileStat>,
    /// The filesystem it lives on, when resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filesystem: Option<Filesystem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel: Option<KernelImage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initrd: Option<InitrdReport>,
    /// Why the bytes could not be inspected although the file was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inspect_error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum FileLookup {
    Found {
        size: u64,
    },
    NotFound,
    /// The file is there but cannot be read (I/O error, damaged filesystem).
    Unreadable {
        message: String,
    },
    /// bootvet cannot look (device unknown, filesystem not readable offline).
    Unknown {
        why: String,
    },
}

#[derive(Clone, Debug, Serialize)]
pub struct RootFact {
    /// The `root=` value as the kernel receives it.
    pub value: String,
    /// Why the value is not a device name bootvet understands.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unparsed: Option<String>,
    pub resolution: Resolution,
    /// The filesystem of each match, in the same order.
    pub filesystems: Vec<Option<Filesystem>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GatherOptions {
    /// Decompress initrds to their end (`--deep`).
    pub deep: bool,
}

impl BootFacts {
    /// The fact for a file an entry names.
    pub fn file(&self, file: &FileRef) -> Option<&FileFact> {
        self.files
            .iter()
            .find(|f| f.device == file.device && f.path == file.path)
    }

    pub fn root(&self, value: &str) -> Option<&RootFact> {
        self.roots.iter().find(|r| r.value == value)
    }
}

pub fn gather(
    menu: Menu,
    files: &DiskFiles<'_>,
    platform: Platform,
    config: ConfigOrigin,
    options: GatherOptions,
) -> BootFacts {
    let mut facts = BootFacts {
        schema: BOOT_FACTS_SCHEMA,
        platform,
        config,
        disks: files.facts().clone(),
        menu: Menu {
            entries: Vec::new(),
            ..menu.clone()
        },
        files: Vec::new(),
        roots: Vec::new(),
        host: Default::default(),
    };
    for entry in menu.boot_entries() {
        for command in &entry.commands {
            let (refs, role): (Vec<&FileRef>, Role) = match &command.kind {
                CommandKind::Linux { file, params, .. } => {
                    for param in params.iter().filter(|p| p.key == "root") {
                        if let Some(value) = &param.value
                            && facts.root(value).is_none()
                        {
                            facts.roots.push(root_fact(files.facts(), value));
                        }
                    }
                    (vec![file], Role::Kernel)
                }
                CommandKind::Initrd { files, .. } => (files.iter().collect(), Role::Initrd),
                CommandKind::Chainloader { file, .. } => (vec![file], Role::Chainload),
                CommandKind::Load { file, .. } => (vec![file], Role::Other),
                _ => (Vec::new(), Role::Other),
            };
            for file in refs {
                if facts.file(file).is_none() {
                    facts.files.push(file_fact(files, file, role, options));
                }
            }
        }
    }
    facts.menu = menu;
    facts
}

fn file_fact(
    files: &DiskFiles<'_>,
    file: &FileRef,
    role: Role,
    options: GatherOptions,
) -> FileFact {
    let mut fact = FileFact {
        device: file.device.clone(),
        path: file.path.clone(),
        role,
        resolution: files.resolve(&file.device),
        lookup: FileLookup::Unknown { why: String::new() },
        stat: None,
        filesystem: None,
        kernel: None,
        initrd: None,
        inspect_error: None,
    };
    if file.uncertain {
        fact.lookup = FileLookup::Unknown {
            why: format!("`{}` is only known at boot", file.text),
        };
        return fact;
    }
    if file.path.starts_with('+') || file.path.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        fact.lookup = FileLookup::Unknown {
            why: "a blocklist, not a file".into(),
        };
        return fact;
    }
    let volume = match &fact.resolution {
        DeviceResolution::Found { volume, .. } => volume.clone(),
        DeviceResolution::Missing { message } => {
            fact.lookup = FileLookup::Unknown {
                why: message.clone(),
            };
            return fact;
        }
        DeviceResolution::Unknown { why } => {
            fact.lookup = FileLookup::Unknown { why: why.clone() };
            return fact;
        }
    };
    fact.filesystem = volume_filesystem(files.facts(), &volume);
    let vf = match files.volume(&volume) {
        Ok(vf) => vf,
        Err(why) => {
            fact.lookup = FileLookup::Unknown { why };
            return fact;
        }
    };
    let stat = match vf.stat(&file.path) {
        Ok(stat) if stat.kind == FileKind::Directory => {
            fact.lookup = FileLookup::Unreadable {
                message: format!("'{}' is a directory", file.path),
            };
            return fact;
        }
        Ok(stat) => stat,
        Err(VolumeError::NotFound(_)) => {
            fact.lookup = FileLookup::NotFound;
            return fact;
        }
        Err(VolumeError::Unsupported(why)) => {
            fact.lookup = FileLookup::Unknown { why };
            return fact;
        }
        Err(err) => {
            fact.lookup = FileLookup::Unreadable {
                message: err.to_string(),
            };
            return fact;
        }
    };
    fact.lookup = FileLookup::Found { size: stat.size };
    fact.stat = Some(stat.clone());
    if stat.size == 0 {
        return fact;
    }
    let stream = match vf.open(&file.path) {
        Ok(stream) => stream,
        Err(err) => {
            fact.lookup = FileLookup::Unreadable {
                message: err.to_string(),
            };
            return fact;
        }
    };
    match role {
        Role::Kernel => match kernel::inspect(stream) {
            Ok(image) => fact.kernel = Some(image),
            Err(err) => fact.inspect_error = Some(err.to_string()),
        },
        Role::Initrd => {
            let depth = if options.deep {
                Depth::Deep
            } else {
                Depth::Quick
            };
            match initrd::inspect(stream, depth) {
                Ok(report) => fact.initrd = Some(report),
                Err(err) => fact.inspect_error = Some(err.to_string()),
            }
        }
        Role::Chainload | Role::Other => {}
    }
    fact
}

fn volume_filesystem(facts: &Facts, volume: &VolumeRef) -> Option<Filesystem> {
    volumes(facts)
        .into_iter()
        .find(|(v, _, _)| v == volume)
        .and_then(|(_, _, fs)| fs.cloned())
}

fn root_fact(facts: &Facts, value: &str) -> RootFact {
    let kernel_name = value.starts_with("/dev/") && !value.starts_with("/dev/disk/by-");
    if kernel_name && matches!(facts.source, super::facts::Source::Images) {
        // sda/vda/nvme0n1 names are handed out by the booting kernel's drivers.
        return RootFact {
            value: value.to_string(),
            unparsed: Some("kernel device names are given at boot; images do not have them".into()),
            resolution: Resolution::None,
            filesystems: Vec::new(),
        };
    }
    match Query::parse(value) {
        Ok(query) => {
            let resolution = resolve(facts, &query);
            let filesystems = resolution
                .volumes()
                .into_iter()
                .map(|v| volume_filesystem(facts, v))
                .collect();
            RootFact {
                value: value.to_string(),
                unparsed: None,
                resolution,
                filesystems,
            }
        }
        Err(why) => RootFact {
            value: value.to_string(),
            unparsed: Some(why),
            resolution: Resolution::None,
            filesystems: Vec::new(),
        },
    }
}
