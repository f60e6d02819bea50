//! EFI images (grub-mkimage x86_64-efi, Debian's signed grub and shim) and the
//! version sources (modinfo.sh, normal.mod, .sbat).

use std::path::Path;

use bootvet::inspect::grub_image::efi::{self, EfiKind};
use bootvet::inspect::grub_image::{FaultKind, VersionSource, version};

use super::{GRUB_LIB, LOAD_CFG, efi_image, gi_find, grub_of, modinfo, sh, tmp};

// ---------------------------------------------------------------- x86_64-efi

#[test]
fn mkimage_efi_image_with_sbat_prefix_config_and_normal_version() {
    let bytes = efi_image("efi", "", "part_gpt fat normal");
    let img = efi::inspect_efi(&bytes).unwrap();
    assert_eq!(img.machine, 0x8664);
    assert_eq!(img.subsystem, Some(10));
    let names: Vec<_> = img.sections.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, [".text", ".data", "mods", ".sbat", ".reloc"]);
    assert_eq!(img.sbat.len(), 3);
    let grub = &img.sbat[1];
    assert_eq!(
        (
            grub.component.as_str(),
            grub.generation,
            grub.vendor.as_str()
        ),
        ("grub", Some(3), "Free Software Foundation")
    );
    assert_eq!(grub.url, "https://www.gnu.org/software/grub/");
    let g = grub_of(&img);
    assert_eq!(g.prefix.as_deref(), Some("/EFI/test"));
    assert_eq!(g.config.as_deref(), Some(LOAD_CFG));
    assert!(g.modules.iter().any(|m| m == "normal"));
    assert!(g.modules.iter().any(|m| m == "fat"));
    let v = g.version.as_ref().unwrap();
    assert_eq!(v.source, VersionSource::Sbat);
    assert_eq!(v.version.as_deref(), Some("2.06"));
    assert_eq!(v.package_version.as_deref(), Some("2.06-99test1"));
    // The embedded normal.mod says the version of the package that built it.
    let normal = g
        .area
        .modules
        .iter()
        .find(|m| m.name.as_deref() == Some("normal"));
    assert_eq!(
        normal.unwrap().version,
        modinfo("x86_64-efi").grub_package_version
    );
    assert!(!g.area.disable_shim_lock && g.area.faults.is_empty());
}

#[test]
fn efi_image_with_memdisk_and_disable_shim_lock() {
    let d = tmp("memdisk-src");
    sh(
        &d,
        "mkfs.vfat -C -n MD memdisk.img 1440 >/dev/null && echo 'set x=1' > grub.cfg && \
         mcopy -i memdisk.img grub.cfg ::/grub.cfg",
    );
    let md = d.join("memdisk.img");
    let bytes = efi_image(
        "efi-memdisk",
        &format!("--disable-shim-lock -m {}", md.display()),
        "memdisk fat",
    );
    let img = efi::inspect_efi(&bytes).unwrap();
    let g = grub_of(&img);
    let m = g.memdisk.as_ref().unwrap();
    assert_eq!(m.size, std::fs::metadata(&md).unwrap().len());
    assert_eq!(m.filesystem.as_deref(), Some("fat12"));
    assert!(g.area.disable_shim_lock);
    // No normal.mod embedded: the version comes from .sbat alone.
    assert_eq!(g.version.as_ref().unwrap().source, VersionSource::Sbat);
}

#[test]
fn efi_without_sbat_takes_the_version_from_normal_mod() {
    let d = tmp("efi-nosbat");
    sh(
        &d,
        "grub-mkimage -O x86_64-efi -o x.efi -p /boot/grub normal part_gpt",
    );
    let img = efi::inspect_efi(&std::fs::read(d.join("x.efi")).unwrap()).unwrap();
    assert!(img.sbat.is_empty());
    let g = grub_of(&img);
    let v = g.version.as_ref().unwrap();
    assert_eq!(v.source, VersionSource::NormalMod);
    assert_eq!(
        v.package_version,
        modinfo("x86_64-efi").grub_package_version
    );
    assert_eq!(v.version, modinfo("x86_64-efi").grub_version);
    assert_eq!(g.prefix.as_deref(), Some("/boot/grub"));
    assert!(g.config.is_none());
}

#[test]
fn non_grub_pe_and_truncated_efi_images() {
    let bytes = efi_image("efi-trunc", "", "part_gpt");
    let e = efi::inspect_efi(b"not a PE file at all").unwrap_err();
    assert_eq!(e.kind, FaultKind::BadPe);
    for cut in [2, 0x3c, 0x40, 0x90, 0x100, 0x200] {
        assert!(efi::inspect_efi(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    // Cut inside `mods`: a GRUB image whose area is truncated.
    let img = efi::inspect_efi(&bytes[..0x1d000 + 0x800]).unwrap();
    assert!(img.faults.iter().any(|f| f.kind == FaultKind::Truncated));
    let g = grub_of(&img);
    assert!(
        g.area
            .faults
            .iter()
            .any(|f| f.kind == FaultKind::Truncated || f.kind == FaultKind::BadModuleArea)
    );
    // The `mods` section renamed: some other EFI application.
    let mut other = bytes.clone();
    let p = gi_find(&other, b"mods\0\0\0\0").unwrap();
    other[p..p + 4].copy_from_slice(b"xxxx");
    assert!(matches!(
        efi::inspect_efi(&other).unwrap().kind,
        EfiKind::Other
    ));
}

// ---------------------------------------------------------------- version sources

#[test]
fn modinfo_sh_of_both_platforms_agrees_with_their_normal_mod() {
    for (target, cpu, platform) in [("i386-pc", "i386", "pc"), ("x86_64-efi", "x86_64", "efi")] {
        let m = modinfo(target);
        assert_eq!(m.target_cpu.as_deref(), Some(cpu));
        assert_eq!(m.platform.as_deref(), Some(platform));
        assert_eq!(m.target().as_deref(), Some(target));
        let pkg = m.grub_package_version.clone().unwrap();
        assert!(pkg.starts_with(m.grub_version.as_deref().unwrap()), "{pkg}");
        let normal = std::fs::read(format!("{GRUB_LIB}/{target}/normal.mod")).unwrap();
        assert_eq!(version::normal_mod_version(&normal), Some(pkg.clone()));
        // dpkg agrees about which package this is.
        let dpkg = sh(Path::new("/"), "dpkg-query -W -f='${Version}' grub-common");
        assert_eq!(dpkg.trim(), pkg);
        assert_eq!(m.version().unwrap().source, VersionSource::ModinfoSh);
    }
    let m =
        version::parse_modinfo("grub_version='2.12'\n  grub_package_version=2.12-1~bpo12+1 # x\n");
    assert_eq!(m.grub_version.as_deref(), Some("2.12"));
    assert_eq!(m.grub_package_version.as_deref(), Some("2.12-1~bpo12+1"));
    assert_eq!(version::parse_modinfo("").version(), None);
    // A module without the banner has no version, whatever strings it holds.
    let ext2 = std::fs::read(format!("{GRUB_LIB}/i386-pc/ext2.mod")).unwrap();
    assert_eq!(version::normal_mod_version(&ext2), None);
}

// ---------------------------------------------------------------- Debian's signed images

fn debian_signed_grub() -> Option<Vec<u8>> {
    let root = crate::support::debian_package("grub-efi-amd64-signed")?;
    Some(std::fs::read(root.join("usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed")).unwrap())
}

#[test]
fn debian_signed_monolithic_grub() {
    let Some(bytes) = debian_signed_grub() else {
        return;
    };
    let img = efi::inspect_efi(&bytes).unwrap();
    assert!(img.faults.is_empty(), "{:?}", img.faults);
    let g = grub_of(&img);
    assert_eq!(g.prefix.as_deref(), Some("/EFI/debian"));
    assert!(
        g.config.as_deref().unwrap().contains("(memdisk)/grub.cfg"),
        "{:?}",
        g.config
    );
    assert_eq!(
        g.memdisk.as_ref().unwrap().filesystem.as_deref(),
        Some("fat12")
    );
    assert!(g.modules.len() >= 100, "{} modules", g.modules.len());
    eprintln!(
        "Debian signed grubx64.efi: {} modules, memdisk {:?}, config {:?}, sbat {:?}",
        g.modules.len(),
        g.memdisk,
        g.config,
        img.sbat
    );
    for m in [
        "normal", "ext2", "btrfs", "lvm", "luks2", "linux", "linuxefi", "tpm",
    ] {
        assert!(g.modules.iter().any(|x| x == m), "{m} missing");
    }
    assert!(g.area.faults.is_empty(), "{:?}", g.area.faults);
    assert!(g.area.modules.iter().all(|m| m.license_accepted()));
    let comps: Vec<_> = img.sbat.iter().map(|r| r.component.as_str()).collect();
    assert_eq!(&comps[..3], ["sbat", "grub", "grub.debian"]);
    let v = g.version.as_ref().unwrap();
    assert_eq!(v.source, VersionSource::Sbat);
    assert_eq!(v.version.as_deref(), Some("2.06"));
    // .sbat and the embedded normal.mod name the same package version.
    let normal = g
        .area
        .modules
        .iter()
        .find(|m| m.name.as_deref() == Some("normal"));
    assert_eq!(normal.unwrap().version, v.package_version);
    // The deb's own version (1+2.06+13+deb12u2) encodes the same.
    let dir = sh(
        &crate::support::package_cache(),
        "ls grub-efi-amd64-signed_*.deb",
    );
    let pv = v.package_version.as_deref().unwrap();
    assert!(dir.contains(&pv.replace('-', "+")), "{dir} vs {pv}");
}

#[test]
fn debian_shim_is_shim_not_grub() {
    let Some(root) = crate::support::debian_package("shim-signed") else {
        return;
    };
    let bytes = std::fs::read(root.join("usr/lib/shim/shimx64.efi.signed")).unwrap();
    let img = efi::inspect_efi(&bytes).unwrap();
    match &img.kind {
        EfiKind::Shim {
            vendor_cert,
            version,
        } => {
            assert!(*vendor_cert);
            assert!(
                version
                    .as_deref()
                    .is_some_and(|v| v.starts_with(char::is_numeric))
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(img.sbat.iter().any(|r| r.component == "shim"));
}

#[test]
fn command_lst_names_the_module_of_each_command() {
    let text = std::fs::read_to_string(format!("{GRUB_LIB}/i386-pc/command.lst")).unwrap();
    let cmds = version::parse_command_lst(&text);
    assert_eq!(cmds.len(), text.lines().count(), "every line is an entry");
    let module_of = |c: &str| {
        cmds.iter()
            .find(|e| e.command == c)
            .map(|e| (e.module.as_str(), e.extcmd))
    };
    assert_eq!(module_of("search.fs_uuid"), Some(("search_fs_uuid", false)));
    assert_eq!(module_of("acpi"), Some(("acpi", true)));
    assert_eq!(module_of("linux"), Some(("linux", false)));
    // Every module named exists in the directory.
    for e in &cmds {
        let m = format!("{GRUB_LIB}/i386-pc/{}.mod", e.module);
        assert!(Path::new(&m).exists(), "{m}");
    }
    assert!(version::parse_command_lst("junk\n: x\nname:\n").is_empty());
}
