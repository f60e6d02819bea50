//! Which GRUB build runs grub.cfg (issue 21), decided from what is installed,
//! most direct evidence first: the GRUB image's `.sbat` vendor row (Red Hat's
//! builds carry `grub.rh`/`grub.fedora`/…, Debian's `grub.debian`, Ubuntu's
//! `grub.ubuntu`), the package version in `modinfo.sh` at `$prefix`
//! (`2.06-13+deb12u2`, `…el9…`, `…fc4x…`), where GRUB lives (`/boot/grub2`,
//! `\EFI\fedora`: the Red Hat layout), then `/etc/os-release`. `--grub-flavour`
//! overrides all of it. Nothing found: upstream rules, and no command is
//! judged missing (`ChosenBy::Nothing`).

use crate::facts::loader::{EfiFile, FirmwareStep, LoaderFacts};
use crate::menu::flavour::{ChosenBy, GrubBuild, Vendor};

/// The build: the flag's, else the first evidence that names a vendor.
pub fn choose(
    flag: Option<Vendor>,
    loader: Option<&LoaderFacts>,
    prefix_dir: &str,
    os_release: Option<&str>,
) -> GrubBuild {
    let mut build = match flag {
        Some(vendor) => GrubBuild::from_flag(vendor),
        None => loader
            .and_then(from_sbat)
            .or_else(|| loader.and_then(from_modules))
            .or_else(|| from_layout(loader, prefix_dir))
            .or_else(|| os_release.and_then(from_os_release))
            .unwrap_or_else(|| GrubBuild {
                vendor: Vendor::Upstream,
                version: None,
                chosen_by: ChosenBy::Nothing,
                evidence: "no GRUB build or os-release read: upstream rules".into(),
            }),
    };
    // The version decides which commands and options exist (menu::versions):
    // when the vendor's evidence named none, the modules that run grub.cfg
    // (modinfo.sh, normal.mod), else the image's own.
    if build.version.is_none() {
        build.version = loader.and_then(loaded_version);
    }
    build
}

/// The GRUB version the loader chain shows: the modules at `$prefix` (what
/// runs grub.cfg), else the GRUB image.
fn loaded_version(loader: &LoaderFacts) -> Option<String> {
    loader.modules_version().or_else(|| {
        let v = loader.image.as_ref()?.version.as_ref()?;
        v.package_version.clone().or_else(|| v.version.clone())
    })
}

/// `.sbat` rows of the GRUB image: the vendor's own `grub.VENDOR` row.
fn from_sbat(loader: &LoaderFacts) -> Option<GrubBuild> {
    let image = loader.image.as_ref()?;
    image.sbat.iter().find_map(|row| {
        let vendor = sbat_vendor(&row.component)?;
        Some(GrubBuild {
            vendor,
            version: Some(row.version.clone()).filter(|v| !v.is_empty()),
            chosen_by: ChosenBy::GrubImage,
            evidence: format!(
                "`.sbat` row {} of the GRUB image{}",
                row.component,
                efi_path(loader)
            ),
        })
    })
}

fn efi_path(loader: &LoaderFacts) -> String {
    match &loader.firmware {
        FirmwareStep::Efi(l) => match &l.second_stage {
            Some(s) if matches!(s.file, EfiFile::Found { .. }) => format!(" {}", s.path),
            _ => format!(" {}", l.path),
        },
        _ => String::new(),
    }
}

/// The component names vendors give their GRUB's SBAT row.
pub fn sbat_vendor(component: &str) -> Option<Vendor> {
    match component.strip_prefix("grub.")? {
        "rh" | "rhel" | "fedora" | "centos" | "rocky" | "almalinux" | "alma" | "ol" => {
            Some(Vendor::RedHat)
        }
        "debian" | "ubuntu" => Some(Vendor::Debian),
        _ => None,
    }
}

/// `modinfo.sh`'s `grub_package_version` at `$prefix`.
fn from_modules(loader: &LoaderFacts) -> Option<GrubBuild> {
    let version = loader.modules_version()?;
    let vendor = version_vendor(&version)?;
    Some(GrubBuild {
        vendor,
        version: Some(version.clone()),
        chosen_by: ChosenBy::Modules,
        evidence: format!("GRUB's modules at $prefix carry version {version}"),
    })
}

/// A distribution's package version: `2.06-13+deb12u2`, `2.12-1ubuntu7`,
/// `2.06-77.el9`, `2.12-10.fc41`.
pub fn version_vendor(version: &str) -> Option<Vendor> {
    let release = version.split_once('-')?.1;
    if release.contains("deb") || release.contains("ubuntu") {
        return Some(Vendor::Debian);
    }
    let red_hat = release.split(['.', '_', '+']).any(|part| {
        let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        part.strip_prefix("el").is_some_and(digits) || part.strip_prefix("fc").is_some_and(digits)
    });
    red_hat.then_some(Vendor::RedHat)
}

/// `/boot/grub2` (grub2-install's `--with-grubdir=grub2`, Red Hat's spec) or
/// the config in `\EFI\fedora`, `\EFI\redhat`, `\EFI\centos`…
fn from_layout(loader: Option<&LoaderFacts>, prefix_dir: &str) -> Option<GrubBuild> {
    let dir = loader
        .and_then(|l| l.prefix.as_ref())
        .map_or(prefix_dir, |p| p.dir.as_str());
    let lower = dir.to_ascii_lowercase();
    let red_hat_efi = ["fedora", "redhat", "centos", "rocky", "almalinux"]
        .iter()
        .any(|v| lower.trim_end_matches('/').ends_with(&format!("/efi/{v}")));
    let grub2 = lower.trim_end_matches('/').ends_with("/grub2") || lower == "/grub2";
    (grub2 || red_hat_efi).then(|| GrubBuild {
        vendor: Vendor::RedHat,
        version: None,
        chosen_by: ChosenBy::Layout,
        evidence: format!("GRUB's directory is {dir} (Red Hat's layout)"),
    })
}

/// `ID` and `ID_LIKE` of os-release.
pub fn from_os_release(text: &str) -> Option<GrubBuild> {
    let mut ids = Vec::new();
    for line in text.lines().take(200) {
        if let Some((key, value)) = line.split_once('=')
            && matches!(key.trim(), "ID" | "ID_LIKE")
        {
            let value = value.trim().trim_matches(['"', '\'']);
            ids.extend(value.split_whitespace().map(str::to_ascii_lowercase));
        }
    }
    let vendor = ids.iter().find_map(|id| match id.as_str() {
        "fedora" | "rhel" | "centos" => Some(Vendor::RedHat),
        "debian" | "ubuntu" => Some(Vendor::Debian),
        _ => None,
    })?;
    Some(GrubBuild {
        vendor,
        version: None,
        chosen_by: ChosenBy::OsRelease,
        evidence: format!("/etc/os-release says ID/ID_LIKE {}", ids.join(" ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_versions_name_their_vendor() {
        assert_eq!(version_vendor("2.06-13+deb12u2"), Some(Vendor::Debian));
        assert_eq!(version_vendor("2.12-1ubuntu7"), Some(Vendor::Debian));
        assert_eq!(version_vendor("2.06-77.el9"), Some(Vendor::RedHat));
        assert_eq!(version_vendor("2.12-10.fc41"), Some(Vendor::RedHat));
        assert_eq!(version_vendor("2.06"), None);
        assert_eq!(version_vendor("2.12-rc1"), None);
        assert_eq!(version_vendor("2.06-3.elastic"), None);
    }

    #[test]
    fn sbat_rows_name_their_vendor() {
        assert_eq!(sbat_vendor("grub.rh"), Some(Vendor::RedHat));
        assert_eq!(sbat_vendor("grub.fedora"), Some(Vendor::RedHat));
        assert_eq!(sbat_vendor("grub.debian"), Some(Vendor::Debian));
        assert_eq!(sbat_vendor("grub"), None);
        assert_eq!(sbat_vendor("shim.debian"), None);
    }

    #[test]
    fn os_release_and_layout() {
        let fedora =
            from_os_release("NAME=\"Rocky Linux\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n");
        assert_eq!(fedora.map(|b| b.vendor), Some(Vendor::RedHat));
        let mint = from_os_release("ID=linuxmint\nID_LIKE=\"ubuntu debian\"\n");
        assert_eq!(mint.map(|b| b.vendor), Some(Vendor::Debian));
        assert!(from_os_release("ID=arch\n").is_none());
        assert_eq!(
            choose(None, None, "/boot/grub2", None).vendor,
            Vendor::RedHat
        );
        assert_eq!(
            choose(None, None, "/EFI/fedora", None).chosen_by,
            ChosenBy::Layout
        );
        let none = choose(None, None, "/boot/grub", Some("ID=arch\n"));
        assert_eq!(
            (none.vendor, none.chosen_by),
            (Vendor::Upstream, ChosenBy::Nothing)
        );
        let flag = choose(Some(Vendor::Debian), None, "/boot/grub2", None);
        assert_eq!(
            (flag.vendor, flag.chosen_by),
            (Vendor::Debian, ChosenBy::Flag)
        );
    }
}
