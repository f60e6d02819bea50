use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::files::is_blocklist;
use crate::inspect::kernel::{ChainImage, EFI_SUBSYSTEMS, PeInfo};
use crate::menu::{CommandKind, Platform};

use super::grub_error;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4007",
    name: "chainload-not-loadable",
    severity: Severity::Error,
    link: Link::Kernel,
    summary: "the file `chainloader` loads is not something this platform can start",
    fix: "on UEFI chainload the other system's EFI loader on its ESP (run update-grub with os-prober enabled); on BIOS chainload its partition's boot sector (`chainloader +1`)",
    doc: "## What it checks
What a `chainloader` command hands over to: on efi, a PE image for the firmware's
machine (x86_64) with an EFI subsystem (application or driver), which the
firmware's LoadImage accepts; on pc, a 512-byte boot sector ending in 0x55 0xAA
(GRUB checks it unless `--force`).

## Why it breaks the boot
On efi the firmware refuses anything else and GRUB prints `error: cannot load
image.`: a BIOS boot sector (`chainloader +1` in an entry copied from a BIOS
install), a 32-bit loader on 64-bit firmware, a file that is not a loader at all.
On pc a file without the boot signature gives `error: invalid signature.` — an
`.efi` file chainloaded by a BIOS GRUB does. An empty or short file gives
`error: premature end of file …`. The entry returns to the menu.

## Example
    chainloader +1                                   # on a UEFI boot
    chainloader /EFI/Microsoft/Boot/bootmgfw.efi     # on a BIOS boot

## Fix
Let os-prober write the entry for the way the machine boots (`GRUB_DISABLE_OS_PROBER=false`
in /etc/default/grub, then `update-grub`); by hand, use the other system's
`EFI/…/*.efi` on UEFI and `chainloader +1` on its partition on BIOS.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let platform = cx.facts.platform;
    for entry in super::entries(cx) {
        for command in &entry.commands {
            let CommandKind::Chainloader { file, args } = &command.kind else {
                continue;
            };
            let force = args.iter().any(|a| a == "--force");
            let problem = if is_blocklist(&file.path) {
                // The sectors of a partition: a BIOS boot sector, whatever it holds.
                (platform == Platform::Efi
                    && cx
                        .facts
                        .file(file)
                        .is_some_and(|f| f.resolution.volume().is_some()))
                .then(|| Problem {
                    message: format!(
                        "`chainloader {}` hands UEFI firmware a BIOS boot sector",
                        file.path
                    ),
                    evidence: format!(
                        "{} names sectors of the partition, not an EFI loader",
                        file.path
                    ),
                    prints: "cannot load image".into(),
                })
            } else {
                let Some(image) = cx.facts.file(file).and_then(|f| f.chainload.as_ref()) else {
                    continue;
                };
                problem(platform, &file.path, image, force)
            };
            if let Some(p) = problem {
                out.push(
                    Finding::new(&INFO, p.message)
                        .entry(entry)
                        .at(command.location)
                        .evidence(p.evidence)
                        .prints(grub_error(&p.prints)),
                );
            }
        }
    }
}

struct Problem {
    message: String,
    evidence: String,
    prints: String,
}

fn problem(platform: Platform, path: &str, image: &ChainImage, force: bool) -> Option<Problem> {
    let short = match platform {
        Platform::Efi => image.size == 0,
        Platform::Pc => image.size < 512,
    };
    if short {
        return Some(Problem {
            message: format!("'{path}' is too short to be a boot loader"),
            evidence: format!("{} bytes", image.size),
            prints: format!("premature end of file {path}"),
        });
    }
    match platform {
        Platform::Efi => {
            let why = match &image.pe {
                None if image.boot_signature => {
                    "no PE header; it ends its first sector with 0x55 0xAA: a BIOS boot sector"
                        .to_string()
                }
                None => "no PE header (`MZ` … `PE\\0\\0`): not an EFI image".to_string(),
                Some(pe) if pe.machine != 0x8664 => format!(
                    "a PE image for {} (machine {:#06x}); the firmware runs x86_64",
                    pe.machine_name(),
                    pe.machine
                ),
                Some(PeInfo {
                    subsystem: Some(s), ..
                }) if !EFI_SUBSYSTEMS.contains(s) => {
                    format!(
                        "a PE image with subsystem {s} ({}), not an EFI one",
                        subsystem_name(*s)
                    )
                }
                Some(_) => return None,
            };
            Some(Problem {
                message: format!("'{path}' is not an EFI image the firmware can load"),
                evidence: why,
                prints: "cannot load image".into(),
            })
        }
        Platform::Pc if image.boot_signature || force => None,
        Platform::Pc => Some(Problem {
            message: format!("'{path}' is not a BIOS boot sector"),
            evidence: match &image.pe {
                Some(_) => "a PE/EFI image: BIOS GRUB chainloads 512-byte boot sectors".into(),
                None => "its first sector does not end with 0x55 0xAA".into(),
            },
            prints: "invalid signature".into(),
        }),
    }
}

fn subsystem_name(subsystem: u16) -> &'static str {
    match subsystem {
        1 => "native",
        2 => "Windows GUI",
        3 => "Windows console",
        _ => "not EFI",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pe(machine: u16, subsystem: Option<u16>) -> Option<PeInfo> {
        Some(PeInfo {
            pe_offset: 0x80,
            machine,
            subsystem,
            sections: Vec::new(),
        })
    }

    fn image(size: u64, pe: Option<PeInfo>, boot_signature: bool) -> ChainImage {
        ChainImage {
            size,
            pe,
            boot_signature,
        }
    }

    fn prints(platform: Platform, image: &ChainImage, force: bool) -> Option<String> {
        problem(platform, "/x.efi", image, force).map(|p| p.prints)
    }

    #[test]
    fn efi_wants_an_x86_64_pe_with_an_efi_subsystem() {
        let cannot = Some("cannot load image".to_string());
        let efi = Platform::Efi;
        assert_eq!(
            prints(efi, &image(4096, pe(0x8664, Some(10)), false), false),
            None
        );
        assert_eq!(
            prints(efi, &image(4096, pe(0x8664, Some(11)), false), false),
            None
        );
        assert_eq!(
            prints(efi, &image(4096, pe(0x014c, Some(10)), false), false),
            cannot
        );
        assert_eq!(
            prints(efi, &image(4096, pe(0x8664, Some(3)), false), false),
            cannot
        );
        assert_eq!(prints(efi, &image(512, None, true), false), cannot);
        assert_eq!(prints(efi, &image(100, None, false), false), cannot);
        assert_eq!(
            prints(efi, &image(0, None, false), false),
            Some("premature end of file /x.efi".into())
        );
    }

    #[test]
    fn pc_wants_a_boot_sector_unless_forced() {
        let pc = Platform::Pc;
        assert_eq!(prints(pc, &image(512, None, true), false), None);
        let invalid = Some("invalid signature".to_string());
        assert_eq!(
            prints(pc, &image(66048, pe(0x8664, Some(10)), false), false),
            invalid
        );
        assert_eq!(
            prints(pc, &image(66048, pe(0x8664, Some(10)), false), true),
            None
        );
        assert_eq!(
            prints(pc, &image(100, None, false), true),
            Some("premature end of file /x.efi".into())
        );
    }
}
