//! The disks as GRUB sees them, for the menu and the checks: a device expression
//! (`$root` when a command runs) resolved to a volume the way GRUB would pick it,
//! and that volume's files read through `fs` (images offline, the live system
//! through its mounts). Also finds where GRUB reads grub.cfg and which platform
//! an image boots on. Read-only; opened volumes are cached for the run.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Read;
use std::rc::Rc;

use super::fs::{FileError as VolumeError, VolumeFiles, open_volume};
use super::grub_names::{GrubDevice, disk_name, parse_grub_device};
use super::resolve::{Query, resolve, search_file};
use crate::facts::files::{FileKind, FileLayout};
use crate::facts::storage::Storage;
use crate::facts::volumes::{DeviceResolution, Resolution, VolumeRef, volumes};
use crate::menu::files::{FileError, FileSource, FileStat, MAX_FILE_BYTES};
use crate::menu::{DeviceExpr, Platform};

/// How the menu and the checks reach files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Through the disks: `$root` starts at the volume grub.cfg was read from.
    Disks { prefix: Option<VolumeRef> },
    /// Every device GRUB names is this directory.
    BootDir(String),
    /// Nothing is looked up: the config is not where GRUB reads it.
    Nothing,
}

/// A volume's files once opened, or why it could not be.
type OpenedVolume = Result<Rc<dyn VolumeFiles>, String>;

pub struct DiskFiles<'a> {
    facts: &'a Storage,
    /// The disks (`$root` starting at the volume GRUB read grub.cfg from), a
    /// `--boot-dir` directory standing for every filesystem GRUB names, or nothing.
    reach: Reach,
    opened: RefCell<BTreeMap<String, OpenedVolume>>,
}

/// Where GRUB looks for its config, most specific first: the ESP's stub config
/// (efi), then `$prefix/grub.cfg` on a separate /boot or inside the root fs.
const CONFIG_PATHS: &[&str] = &[
    "/boot/grub/grub.cfg",
    "/grub/grub.cfg",
    "/boot/grub2/grub.cfg",
    "/grub2/grub.cfg",
];

impl<'a> DiskFiles<'a> {
    /// `root=` is always resolved against `facts`; GRUB's devices as `reach` says.
    pub fn new(facts: &'a Storage, reach: Reach) -> Self {
        DiskFiles {
            facts,
            reach,
            opened: RefCell::new(BTreeMap::new()),
        }
    }

    pub fn facts(&self) -> &Storage {
        self.facts
    }

    /// The same disks for another thread: volumes are reopened there (their
    /// readers are not shared across threads), the disk handles are the run's
    /// (`handles`), so every thread reads the same opened files.
    /// Made where it is used: a `DiskFiles` stays on the thread that opened it.
    pub fn fork(&self) -> impl FnOnce() -> DiskFiles<'a> + Send + use<'a> {
        let (facts, reach) = (self.facts, self.reach.clone());
        move || DiskFiles::new(facts, reach)
    }

    /// The files of a volume, opened once per run.
    pub fn volume(&self, volume: &VolumeRef) -> Result<Rc<dyn VolumeFiles>, String> {
        if let Some(cached) = self.opened.borrow().get(&volume.name) {
            return cached.clone();
        }
        if let Reach::BootDir(dir) = &self.reach
            && volume.is_boot_dir()
        {
            let files: Rc<dyn VolumeFiles> = Rc::new(super::fs::live::LiveVolume::new(dir));
            self.opened
                .borrow_mut()
                .insert(volume.name.clone(), Ok(files.clone()));
            return Ok(files);
        }
        let opened = open_volume(self.facts, volume)
            .map(Rc::from)
            .map_err(|e| e.to_string());
        self.opened
            .borrow_mut()
            .insert(volume.name.clone(), opened.clone());
        opened
    }

    /// The volume GRUB uses for `device`, as its `search`/device code picks it.
    pub fn resolve(&self, device: &DeviceExpr) -> DeviceResolution {
        // A loopback image and a device decided at boot are unknown whatever
        // the reach; every other device is the boot directory, or nothing.
        let named = !matches!(
            device,
            DeviceExpr::Loopback { .. } | DeviceExpr::Unknown { .. }
        );
        let prefix = match &self.reach {
            Reach::Nothing if named => {
                return DeviceResolution::Unknown {
                    why: "no file source given".into(),
                };
            }
            Reach::BootDir(dir) if named => {
                return DeviceResolution::Found {
                    volume: VolumeRef::boot_dir(dir),
                    others: Vec::new(),
                    failed_search: None,
                };
            }
            Reach::BootDir(dir) => Some(VolumeRef::boot_dir(dir)),
            Reach::Nothing => None,
            Reach::Disks { prefix } => prefix.clone(),
        };
        let from = |resolution: Resolution, missing: String| match resolution {
            Resolution::None => DeviceResolution::Missing { message: missing },
            Resolution::One(volume) => DeviceResolution::Found {
                volume,
                others: Vec::new(),
                failed_search: None,
            },
            Resolution::Several(mut all) => {
                let volume = all.remove(0);
                DeviceResolution::Found {
                    volume,
                    others: all,
                    failed_search: None,
                }
            }
        };
        match device {
            DeviceExpr::Unset => DeviceResolution::Unknown {
                why: "`$root` is empty".into(),
            },
            DeviceExpr::PrefixDevice => match prefix {
                Some(volume) => DeviceResolution::Found {
                    volume,
                    others: Vec::new(),
                    failed_search: None,
                },
                None => DeviceResolution::Unknown {
                    why: "the device grub.cfg was read from is not known".into(),
                },
            },
            DeviceExpr::Grub { name } => match parse_grub_device(name) {
                Some(parsed) => {
                    let missing = grub_device_missing(self.facts, &parsed, name);
                    from(resolve(self.facts, &Query::Grub(parsed)), missing)
                }
                None => DeviceResolution::Unknown {
                    why: format!("`{name}` is a GRUB device bootvet does not model"),
                },
            },
            DeviceExpr::FsUuid {
                uuid, otherwise, ..
            } => self.kept_after_failure(
                from(
                    resolve(self.facts, &Query::FsUuid(uuid.clone())),
                    format!("no such device: {uuid}"),
                ),
                otherwise.as_deref(),
            ),
            DeviceExpr::Label {
                label, otherwise, ..
            } => self.kept_after_failure(
                from(
                    resolve(self.facts, &Query::Label(label.clone())),
                    format!("no such device: {label}"),
                ),
                otherwise.as_deref(),
            ),
            DeviceExpr::File {
                path, otherwise, ..
            } => {
                let (resolution, _unreadable) = search_file(self.facts, path, |v| {
                    self.volume(v)
                        .map(|rc| Box::new(SharedVolume(rc)) as Box<dyn VolumeFiles>)
                        .map_err(VolumeError::Unsupported)
                });
                self.kept_after_failure(
                    from(resolution, format!("no such device: {path}")),
                    otherwise.as_deref(),
                )
            }
            DeviceExpr::Loopback { name, .. } => DeviceResolution::Unknown {
                why: format!("({name}) is a loopback image, not followed"),
            },
            DeviceExpr::Unknown { text } => DeviceResolution::Unknown {
                why: format!("`{text}` is decided at boot"),
            },
        }
    }

    /// A `search` that finds nothing does not stop the entry: GRUB prints the
    /// error and the variable keeps its old device, where the files are then
    /// looked up.
    fn kept_after_failure(
        &self,
        searched: DeviceResolution,
        otherwise: Option<&DeviceExpr>,
    ) -> DeviceResolution {
        let (DeviceResolution::Missing { message }, Some(before)) = (&searched, otherwise) else {
            return searched;
        };
        match self.resolve(before) {
            DeviceResolution::Found { volume, others, .. } => DeviceResolution::Found {
                volume,
                others,
                failed_search: Some(message.clone()),
            },
            _ => searched,
        }
    }

    fn files_at(&self, device: &DeviceExpr) -> Result<Rc<dyn VolumeFiles>, FileError> {
        match self.resolve(device) {
            DeviceResolution::Found { volume, .. } => {
                self.volume(&volume).map_err(FileError::Unknown)
            }
            DeviceResolution::Missing { message } => Err(FileError::Unknown(message)),
            DeviceResolution::Unknown { why } => Err(FileError::Unknown(why)),
        }
    }
}

/// What `grub_disk_open` says when a device name matches nothing: the whole name
/// when the disk is absent, `no such partition` when only the partition is.
fn grub_device_missing(facts: &Storage, parsed: &GrubDevice, name: &str) -> String {
    match parsed {
        GrubDevice::Partition { disk, .. }
            if facts.disks.iter().any(|d| d.grub_name == disk_name(*disk)) =>
        {
            "no such partition".into()
        }
        _ => format!("disk `{name}' not found"),
    }
}

/// Lets a cached volume be handed out where a `Box<dyn VolumeFiles>` is wanted.
struct SharedVolume(Rc<dyn VolumeFiles>);

impl VolumeFiles for SharedVolume {
    fn open(&self, path: &str) -> Result<Box<dyn super::fs::ReadSeek>, VolumeError> {
        self.0.open(path)
    }
    fn stat(&self, path: &str) -> Result<FileLayout, VolumeError> {
        self.0.stat(path)
    }
    fn list_dir(&self, path: &str) -> Result<Vec<super::fs::DirEntry>, VolumeError> {
        self.0.list_dir(path)
    }
}

fn menu_error(err: VolumeError) -> FileError {
    match err {
        VolumeError::NotFound(_) => FileError::NotFound,
        VolumeError::Unsupported(why) => FileError::Unknown(why),
        other => FileError::Io(other.to_string()),
    }
}

impl FileSource for DiskFiles<'_> {
    fn read(&self, at: &DeviceExpr, path: &str) -> Result<Vec<u8>, FileError> {
        let files = self.files_at(at)?;
        let stat = files.stat(path).map_err(menu_error)?;
        if stat.size > MAX_FILE_BYTES {
            return Err(FileError::TooLarge(stat.size));
        }
        let mut bytes = Vec::new();
        files
            .open(path)
            .map_err(menu_error)?
            .take(MAX_FILE_BYTES)
            .read_to_end(&mut bytes)
            .map_err(|e| FileError::Io(e.to_string()))?;
        Ok(bytes)
    }

    fn stat(&self, at: &DeviceExpr, path: &str) -> Result<FileStat, FileError> {
        let stat = self.files_at(at)?.stat(path).map_err(menu_error)?;
        Ok(FileStat {
            is_dir: stat.kind == FileKind::Directory,
            size: stat.size,
        })
    }

    fn list_dir(&self, at: &DeviceExpr, path: &str) -> Result<Vec<String>, FileError> {
        Ok(self
            .files_at(at)?
            .list_dir(path)
            .map_err(menu_error)?
            .into_iter()
            .map(|e| e.name)
            .collect())
    }

    fn describe(&self) -> String {
        match &self.reach {
            Reach::Disks { prefix: Some(v) } => {
                format!("the disks, with grub.cfg read from ({})", v.name)
            }
            Reach::Disks { prefix: None } => "the disks".into(),
            Reach::BootDir(dir) => format!("directory {dir} stands for every boot filesystem"),
            Reach::Nothing => "no files (nothing referenced by the config is looked up)".into(),
        }
    }
}

/// Where GRUB reads its config on these disks: the first volume, in GRUB's probe
/// order, holding one of the usual paths; on efi, the ESP's `EFI/*/grub.cfg`
/// first (it usually hands over to the real one with `configfile`).
pub fn find_config(files: &DiskFiles<'_>, platform: Platform) -> Option<(VolumeRef, String)> {
    let candidates: Vec<VolumeRef> = volumes(files.facts())
        .into_iter()
        .filter(|(_, _, fs)| fs.is_some())
        .map(|(v, _, _)| v)
        .collect();
    if platform == Platform::Efi {
        for volume in &candidates {
            if let Some(path) = esp_config(files, volume) {
                return Some((volume.clone(), path));
            }
        }
    }
    for path in CONFIG_PATHS {
        for volume in &candidates {
            let Ok(vf) = files.volume(volume) else {
                continue;
            };
            if vf.stat(path).is_ok_and(|s| s.kind == FileKind::File) {
                return Some((volume.clone(), path.to_string()));
            }
        }
    }
    None
}

fn esp_config(files: &DiskFiles<'_>, volume: &VolumeRef) -> Option<String> {
    let vf = files.volume(volume).ok()?;
    let vendors = vf.list_dir("/EFI").ok()?;
    vendors
        .iter()
        .filter(|d| d.kind == FileKind::Directory && !d.name.eq_ignore_ascii_case("boot"))
        .map(|d| format!("/EFI/{}/grub.cfg", d.name))
        .find(|p| vf.stat(p).is_ok_and(|s| s.kind == FileKind::File))
}

/// An image boots on efi when an ESP holds a GRUB (or shim) EFI binary; or
/// when an ESP holds only the removable loader `\EFI\BOOT\BOOTX64.EFI`
/// (`grub-install --removable`) and the first disk carries no BIOS boot code
/// (its MBR's code area blank: nothing a BIOS could run); else pc.
pub fn detect_platform(files: &DiskFiles<'_>) -> Platform {
    let mut removable = false;
    for (volume, partition, fs) in volumes(files.facts()) {
        let is_esp = partition.is_some_and(|p| p.type_name.contains("EFI System"));
        if !is_esp || fs.is_none() {
            continue;
        }
        let Ok(vf) = files.volume(&volume) else {
            continue;
        };
        let Ok(vendors) = vf.list_dir("/EFI") else {
            continue;
        };
        removable |= super::bds::find_ci(vf.as_ref(), super::bds::REMOVABLE).is_some();
        for vendor in vendors.iter().filter(|d| d.kind == FileKind::Directory) {
            let dir = format!("/EFI/{}", vendor.name);
            if let Ok(entries) = vf.list_dir(&dir)
                && entries.iter().any(|e| {
                    let name = e.name.to_ascii_lowercase();
                    (name.starts_with("grub") || name.starts_with("shim")) && name.ends_with(".efi")
                })
            {
                return Platform::Efi;
            }
        }
    }
    if removable && !first_disk_has_boot_code(files.facts()) {
        return Platform::Efi;
    }
    Platform::Pc
}

/// The first disk's MBR holds boot code (GRUB's boot.img or another loader):
/// a BIOS could start it. Unreadable counts as boot code (pc stays the guess).
fn first_disk_has_boot_code(storage: &Storage) -> bool {
    let Some(disk) = storage.disks.first() else {
        return false;
    };
    let sector = super::handles::disk(std::path::Path::new(&disk.path))
        .ok()
        .and_then(|b| b.read_vec(0, 512).ok());
    match sector.map(|s| crate::inspect::grub_image::boot_sector::parse_boot_sector(&s)) {
        Some(Ok(bs)) => bs.kind != crate::inspect::grub_image::boot_sector::BootSectorKind::Blank,
        _ => true,
    }
}
