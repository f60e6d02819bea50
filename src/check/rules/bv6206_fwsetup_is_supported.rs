use super::loader_common::loader;
use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::menu::{Location, Platform};
use crate::script::ast::Span;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV6206",
    name: "fwsetup-is-supported-on-old-grub",
    severity: Severity::Error,
    link: Link::Config,
    summary: "grub.cfg runs `fwsetup --is-supported` (GRUB 2.12's 30_uefi-firmware) under a GRUB older than 2.12: every boot enters firmware setup",
    fix: "regenerate grub.cfg with the installed GRUB's own grub-mkconfig (`update-grub`), or upgrade GRUB's image and modules to 2.12 (`grub-install`)",
    doc: "## What it checks
grub.cfg runs `fwsetup --is-supported` (what GRUB 2.12's
/etc/grub.d/30_uefi-firmware writes at top level, on EFI), while the GRUB
modules that will run it (modinfo.sh, normal.mod at `$prefix`) are older than
2.12. When their version is unknown the finding is a warning.

## Why it breaks the boot
GRUB 2.06's `fwsetup` ignores its arguments (commands/efi/efifwsetup.c
`grub_cmd_fwsetup`): it sets OsIndications' BOOT_TO_FW_UI bit and resets the
machine. The line runs while grub.cfg is read, before the menu, so on firmware
that offers a setup screen (OVMF, most PCs) every boot ends in the firmware's
setup instead of the menu. (2.12 added `--is-supported`, which only answers.)
This happens when a grub.cfg written by a newer grub-mkconfig (a chroot, a
backported grub2-common) is read by an older installed GRUB.

## Example
    if [ \"$grub_platform\" = \"efi\" ]; then
    	fwsetup --is-supported
    	if [ \"$?\" = 0 ]; then
    		menuentry 'UEFI Firmware Settings' $menuentry_id_option 'uefi-firmware' {

## Fix
Regenerate grub.cfg with the grub-mkconfig of the GRUB that boots
(`update-grub`), or bring the installed GRUB up to 2.12 (`grub-install`, with
the ESP mounted).",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    if cx.facts.platform != Platform::Efi {
        return;
    }
    let version = loader(cx).and_then(|l| l.modules_version());
    let older = match version.as_deref().and_then(crate::menu::versions::release) {
        Some((major, minor)) => (major, minor) < (2, 12),
        None => true,
    };
    if !older {
        return;
    }
    for (index, file) in cx.facts.menu.files.iter().enumerate() {
        let text = String::from_utf8_lossy(&file.bytes);
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let words: Vec<&str> = line.split_whitespace().collect();
            if words.first() == Some(&"fwsetup") && words.contains(&"--is-supported") {
                let start = offset + (line.len() - line.trim_start().len());
                let mut finding = Finding::new(
                    &INFO,
                    match &version {
                        Some(v) => format!("`fwsetup --is-supported` under GRUB {v}, which has no such option: the machine resets into firmware setup on every boot"),
                        None => "`fwsetup --is-supported` needs GRUB 2.12; the installed GRUB's version is not known: older ones reset into firmware setup on every boot".to_string(),
                    },
                )
                .before_menu()
                .at(Location {
                    file: index,
                    span: Span {
                        start,
                        end: start + "fwsetup".len(),
                    },
                })
                .evidence("GRUB 2.06's fwsetup ignores its arguments, sets BOOT_TO_FW_UI and resets (commands/efi/efifwsetup.c)");
                if version.is_none() {
                    finding = finding.severity(Severity::Warning);
                }
                out.push(finding);
                return;
            }
            offset += line.len();
        }
    }
}
