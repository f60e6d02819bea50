use super::loader_common::loader;
use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::inspect::grub_image::version::KernelSeries;
use crate::menu::Platform;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV6205",
    name: "grub-version-mismatch",
    severity: Severity::Error,
    link: Link::Core,
    summary: "the GRUB image and the modules at `$prefix` come from different GRUB builds",
    fix: "reinstall GRUB so the image and the modules match: `grub-install` for the platform the machine boots with",
    doc: "## What it checks
The GRUB version the image carries (its `.sbat` rows, or an embedded
`normal.mod`) equals the version of the module directory at `$prefix`
(`modinfo.sh`'s `grub_package_version`, else normal.mod's version string).
An image that says no version (an i386-pc core.img never does; neither does a
`grub-mkimage` EFI image without `--sbat`) is placed by the names its kernel
exports to modules: 2.12 added `grub_env_get_bool` and `grub_mm_add_region_fn`,
so a kernel without them under a 2.12 module directory is a mismatch. A kernel
with them under an older directory is not judged: distributions backport them.

## Why it breaks the boot
GRUB's kernel exports its functions by name; modules from another build ask for
symbols it lacks, or load and then misbehave. Booted under QEMU, Debian 12's
2.06 image with Debian 13's 2.12 modules: on UEFI `error: symbol
`grub_acpi_find_table' not found.`, then every entry fails (`symbol
`grub_efi_load_image' not found`); on BIOS the menu appears and `Loading Linux`
ends in `out of range pointer` and `Aborted. Press any key to exit.` A 2.12
core with 2.06 modules resets the machine (reference §4). This follows a
grub-install to the wrong disk, or an upgrade with the ESP not mounted.

## Example
    ESP's grubx64.efi .sbat: grub.debian,…,2.06-13+deb12u2; /boot/grub/x86_64-efi/modinfo.sh: 2.12-1~bpo12+1
    core.img (hd0) exports no grub_env_get_bool: older than 2.12; /boot/grub/i386-pc/modinfo.sh: 2.12-9+deb13u4

## Fix
Run `grub-install` for the platform and disk the machine boots from (with the
ESP mounted on UEFI), so image and modules come from the same package.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(l) = loader(cx) else {
        return;
    };
    let Some(image) = l.image.as_ref() else {
        return;
    };
    let Some(modules) = l.modules_version() else {
        return;
    };
    let dir = l
        .prefix
        .as_ref()
        .map(|p| format!("{}/{}", p.value.trim_end_matches('/'), p.platform_dir))
        .unwrap_or_default();
    let finding = match &image.version {
        Some(version) => {
            let core = version
                .package_version
                .clone()
                .or(version.version.clone())
                .unwrap_or_default();
            if core.is_empty() || core == modules {
                return;
            }
            // Only an upstream version on one side (`2.06`) agrees with its package
            // versions (`2.06-13+deb12u2`).
            let upstream = |v: &str| v.split(['-', '+', '~']).next().unwrap_or(v).to_string();
            if (version.package_version.is_none() || !modules.contains('-'))
                && upstream(&core) == upstream(&modules)
            {
                return;
            }
            Finding::new(
                &INFO,
                format!("the GRUB image is {core} but the modules in {dir} are {modules}"),
            )
            .evidence(format!(
                "image version from {:?}; modules from modinfo.sh/normal.mod",
                version.source
            ))
        }
        None => {
            // Only a kernel without the 2.12 exports tells: distributions backport
            // them (Fedora's 2.06 carries the 2.12 heap growth), so having them
            // does not prove a 2.12 kernel, while every 2.12 kernel has them.
            let Some(series @ KernelSeries::Before2_12) = image.kernel_series else {
                return;
            };
            if series.differs_from(&modules) != Some(true) {
                return;
            }
            let finding = Finding::new(
                &INFO,
                format!(
                    "the GRUB image's kernel is {} but the modules in {dir} are {modules}",
                    series.describe()
                ),
            )
            .evidence(
                "the image says no version, and its kernel does not export both grub_env_get_bool and grub_mm_add_region_fn, as every GRUB 2.12 kernel does",
            )
            .evidence(format!("{dir}/modinfo.sh (or normal.mod): {modules}"));
            // What Debian 12's 2.06 image showed with Debian 13's 2.12 modules in
            // the QEMU suite (core-modules-mismatch).
            match l.platform {
                Platform::Efi => finding.prints("error: symbol `…' not found."),
                Platform::Pc => finding.prints("Aborted. Press any key to exit."),
            }
        }
    };
    out.push(finding.fix(format!(
        "reinstall GRUB so the image and the modules in {dir} match: `grub-install` to the disk the {} boots from{}",
        if l.platform == Platform::Efi { "firmware" } else { "BIOS" },
        if l.platform == Platform::Efi { ", with the ESP mounted" } else { "" }
    )));
}
