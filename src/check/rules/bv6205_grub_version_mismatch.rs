use super::loader_common::loader;
use crate::check::{CheckInfo, Context, Finding, Link, Severity};

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
An i386-pc core.img carries no version string, so on BIOS this is only checked
when the image says its version.

## Why it breaks the boot
GRUB's kernel exports its functions by name; modules from another build ask for
symbols it lacks (`error: symbol 'grub_calloc' not found.`), or load and then
misbehave: a 2.06 core with 2.12 modules shows `grub>` without a menu, a 2.12
core with 2.06 modules resets the machine (reference §4). This follows a
grub-install to the wrong disk, or an upgrade with the ESP not mounted.

## Example
    ESP's grubx64.efi .sbat: grub.debian,…,2.06-13+deb12u2; /boot/grub/x86_64-efi/modinfo.sh: 2.12-1~bpo12+1

## Fix
Run `grub-install` for the platform and disk the machine boots from (with the
ESP mounted on UEFI), so image and modules come from the same package.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(l) = loader(cx) else {
        return;
    };
    let Some(image) = l.image.as_ref().and_then(|i| i.version.as_ref()) else {
        return;
    };
    let Some(modules) = l.modules_version() else {
        return;
    };
    let core = image
        .package_version
        .clone()
        .or(image.version.clone())
        .unwrap_or_default();
    if core.is_empty() || core == modules {
        return;
    }
    // Only an upstream version on one side (`2.06`) agrees with its package
    // versions (`2.06-13+deb12u2`).
    let upstream = |v: &str| v.split(['-', '+', '~']).next().unwrap_or(v).to_string();
    if (image.package_version.is_none() || !modules.contains('-'))
        && upstream(&core) == upstream(&modules)
    {
        return;
    }
    let dir = l
        .prefix
        .as_ref()
        .map(|p| format!("{}/{}", p.value.trim_end_matches('/'), p.platform_dir))
        .unwrap_or_default();
    out.push(
        Finding::new(
            &INFO,
            format!("the GRUB image is {core} but the modules in {dir} are {modules}"),
        )
        .evidence(format!(
            "image version from {:?}; modules from modinfo.sh/normal.mod",
            image.source
        )),
    );
}
