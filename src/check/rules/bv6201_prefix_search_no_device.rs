use super::loader_common::{after_prefix, prefix};
use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::loader::PrefixDevice;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV6201",
    name: "prefix-search-no-device",
    severity: Severity::Error,
    link: Link::Prefix,
    summary: "the GRUB image's embedded `search` finds no volume: `$prefix` points at the wrong device and GRUB stops at `grub rescue>`",
    fix: "reinstall GRUB so its image searches for /boot's current UUID (`grub-install`), or give /boot its old UUID back (`tune2fs -U OLD`)",
    doc: "## What it checks
The early config grub-install embeds in the GRUB image (`load.cfg`:
`search.fs_uuid UUID root`, then `set prefix=($root)'/grub'`) names a
filesystem that exists on the disks. grub-install writes it for UEFI images and
whenever /boot is on another disk than the boot sector; the UUID is /boot's at
install time.

## Why it breaks the boot
The search prints `error: no such device: UUID.` (commands/search.c) and leaves
`$root` at the device the image was loaded from (the whole boot disk on BIOS,
the ESP on UEFI), so `$prefix` points there. GRUB's kernel then cannot load
`normal.mod` — `error: unknown filesystem.` or ``error: file
`/grub/x86_64-efi/normal.mod' not found.`` — and stops at `grub rescue>`. This
is what happens after /boot is reformatted or restored from a backup with
`mkfs`, which gives it a new UUID, or when it is recreated with a feature
GRUB's driver refuses (ext4 `inline_data`): search.c reads each filesystem's
UUID through GRUB's own drivers, so one it cannot mount never matches.

## Example
    mkfs.ext4 /dev/sda3 && restore /boot   # new UUID; core.img still searches the old

## Fix
Reinstall GRUB so the embedded search names the current UUID: `grub-install
/dev/sda` (BIOS) or `grub-install --target=x86_64-efi …` (UEFI), then
`update-grub`; or give /boot its old UUID back with `tune2fs -U OLD-UUID
/dev/sda3`.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(p) = prefix(cx) else {
        return;
    };
    let PrefixDevice::Search {
        how,
        key,
        found: false,
        fallback,
        unreadable,
    } = &p.device
    else {
        return;
    };
    let after = after_prefix(p);
    let mut finding = Finding::new(
        &INFO,
        format!(
            "the GRUB image's embedded `search.{how} {key}` finds no volume: `$prefix` becomes {}",
            p.value
        ),
    )
    .evidence(match unreadable {
        Some(why) => format!(
            "{key} is on a filesystem GRUB cannot read, so its search never sees it: {why}; `$root` stays at ({fallback}), where the image was loaded from"
        ),
        None => format!(
            "no filesystem on the disks has {} {key}; `$root` stays at ({fallback}), where the image was loaded from",
            if how == "fs_uuid" { "UUID" } else { "that key:" }
        ),
    })
    .prints(super::grub_error(&format!("no such device: {key}")));
    if after.is_empty() {
        // normal.mod is found on the fallback device: the boot goes on from
        // there, reading whatever grub.cfg that device holds.
        finding = finding.severity(Severity::Warning);
    } else {
        finding = finding.prints_all(after);
    }
    out.push(finding);
}
