use super::loader_common::{after_prefix, prefix};
use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::loader::{FsReadable, PrefixDevice, Presence};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV6203",
    name: "normal-mod-missing",
    severity: Severity::Error,
    link: Link::Prefix,
    summary: "`$prefix/PLATFORM/normal.mod` is missing: GRUB stops at `grub rescue>`",
    fix: "reinstall GRUB's modules: `grub-install` (it copies /usr/lib/grub/PLATFORM to the prefix)",
    doc: "## What it checks
The module directory for the platform (`i386-pc`, `x86_64-efi`) at `$prefix`
holds `normal.mod`, unless the image has it built in (Debian's signed
monolithic `grubx64.efi`).

## Why it breaks the boot
After the embedded config, GRUB's kernel loads `normal` from
`$prefix/PLATFORM/normal.mod` (kern/main.c `grub_load_normal_mode`, kern/dl.c).
Without it it prints ``error: file `/grub/i386-pc/normal.mod' not found.`` and
stops at `grub rescue>`: no menu, no grub.cfg. The directory goes missing when
/boot/grub is cleaned by hand, restored partly, or when the other platform's
GRUB is installed (`grub-install --target=x86_64-efi` on a BIOS machine leaves
no `i386-pc`).

## Example
    rm -rf /boot/grub/i386-pc

## Fix
Run `grub-install` for the platform the machine boots with (`grub-install
/dev/sda` on BIOS, `grub-install --target=x86_64-efi` on UEFI): it copies the
modules, `modinfo.sh` and the `*.lst` files to the prefix.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(p) = prefix(cx) else {
        return;
    };
    if matches!(p.device, PrefixDevice::Search { found: false, .. })
        || !matches!(p.filesystem, FsReadable::Yes { .. })
        || p.normal_mod != Presence::Missing
    {
        return;
    }
    out.push(
        Finding::new(
            &INFO,
            format!(
                "{}/{}/normal.mod is missing: GRUB cannot start its normal mode",
                p.value.trim_end_matches('/'),
                p.platform_dir
            ),
        )
        .evidence(format!(
            "the GRUB image's prefix `{}` resolves to {}",
            p.embedded, p.value
        ))
        .prints_all(after_prefix(p)),
    );
}
