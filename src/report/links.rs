//! The per-entry link lines of the check report: each link's evidence, as the
//! text report and the JSON document's `detail` word it.

use crate::check::verdict::{DeviceEvidence, Evidence, InitrdEvidence, Loaded, RootEvidence};
use crate::facts::files::FileLookup;
use crate::units::human_size;

/// The detail of a link from its evidence (empty for the config link, whose
/// position `report::check` takes from the menu).
pub fn detail(evidence: &Evidence) -> String {
    match evidence {
        Evidence::Config => String::new(),
        Evidence::Device(device) => device_detail(device),
        Evidence::Kernel(Some(file)) => file_detail(file),
        Evidence::Kernel(None) => "no kernel".into(),
        Evidence::Initrd(InitrdEvidence::NotLinux) | Evidence::Root(RootEvidence::NotLinux) => {
            "not a Linux entry".into()
        }
        Evidence::Initrd(InitrdEvidence::NoInitrdLine) => "no initrd line".into(),
        Evidence::Initrd(InitrdEvidence::Files(files)) => files
            .iter()
            .map(file_detail)
            .collect::<Vec<_>>()
            .join(" + "),
        Evidence::Root(root) => root_detail(root),
    }
}

fn device_detail(device: &DeviceEvidence) -> String {
    match device {
        DeviceEvidence::Found {
            volume,
            fstype,
            fs_uuid,
            others,
            failed_search,
        } => {
            let fs = fstype
                .as_ref()
                .map(|t| {
                    let uuid = fs_uuid.as_ref().map(|u| format!(" {u}"));
                    format!(" {t}{}", uuid.unwrap_or_default())
                })
                .unwrap_or_default();
            let more = match others {
                0 => String::new(),
                n => format!(" (+{n} more)"),
            };
            match failed_search {
                Some(message) => format!("{message}; $root stays ({volume}){fs}{more}"),
                None => format!("({volume}){fs}{more}"),
            }
        }
        // GRUB's `no such partition` does not say which one.
        DeviceEvidence::Missing {
            message,
            grub_name: Some(name),
        } if !message.contains(name.as_str()) => format!("({name}): {message}"),
        DeviceEvidence::Missing { message, .. } => message.clone(),
        DeviceEvidence::Unknown { why } => why.clone(),
        DeviceEvidence::NothingLoaded => "nothing loaded".into(),
    }
}

/// `/vmlinuz-6.5.0 8.2 MiB, 6.5.0`, `/initrd.img not found`, `/x: why`.
fn file_detail(file: &Loaded) -> String {
    let path = &file.path;
    match &file.lookup {
        Some(FileLookup::Found { size }) => {
            let release = file
                .release
                .as_ref()
                .map(|r| format!(", {}", r.as_deref().unwrap_or("no version string")));
            format!(
                "{path} {}{}",
                human_size(*size),
                release.unwrap_or_default()
            )
        }
        Some(FileLookup::NotFound) => format!("{path} not found"),
        Some(FileLookup::Unreadable { message }) => format!("{path}: {message}"),
        Some(FileLookup::Unknown { why }) => format!("{path}: {why}"),
        None => path.clone(),
    }
}

fn root_detail(root: &RootEvidence) -> String {
    match root {
        RootEvidence::NotLinux => "not a Linux entry".into(),
        RootEvidence::NoRoot => "no root= on the command line".into(),
        RootEvidence::One {
            value,
            volume,
            fstype,
        } => {
            let fs = fstype.as_ref().map(|t| format!(" {t}"));
            format!("root={value} → ({volume}){}", fs.unwrap_or_default())
        }
        RootEvidence::Several { value, matches } => format!("root={value} → {matches} matches"),
        RootEvidence::NoDevice { value } => format!("root={value} → no device"),
        RootEvidence::Unverified { value } => format!("root={value}"),
        RootEvidence::Inside { value, layers } => {
            format!("root={value} inside {}", layers.join(" + "))
        }
        RootEvidence::Running {
            value,
            stack,
            fstype,
        } => {
            let fs = fstype.as_ref().map(|t| format!(" {t}"));
            format!("root={value} → / now: {stack}{}", fs.unwrap_or_default())
        }
    }
}
