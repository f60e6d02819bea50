use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::inspect::kernel::cut::CRC_LEN;
use crate::inspect::kernel::{Cut, Format, KernelImage, Truncation};
use crate::menu::{BootEntry, CommandKind, KernelParam, Platform};
use crate::facts::files::FileLookup;

use super::{grub_error, linux, where_found};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV4003",
    name: "kernel-truncated",
    severity: Severity::Error,
    link: Link::Kernel,
    summary: "the kernel file is empty or cut short where the boot reads it",
    fix: "free space on /boot and reinstall the kernel (the copy was cut short)",
    doc: "## What it checks
The kernel image is not empty and holds every byte the boot reads: the setup
sectors, the decompressor and its compressed payload (located by the header's
`payload_offset` and `payload_length`, boot protocol 2.08+), and the
decompressor's own code and data after the payload. The header declares
`(setup_sects + 1) × 512 + syssize × 16` bytes; the last 4 are the build tool's
CRC-32, preceded by up to 511 bytes of zero fill (31 before Linux 6.7), which
nothing at boot reads: a file cut only there gets an info note, not an error.

## Why it breaks the boot
GRUB's `linux` (pc, and efi without Secure Boot) loads the file by its own size:
it notices a cut only inside the setup header (`error: premature end of file
/vmlinuz-…`) or the setup sectors (`error: attempt to seek outside of the
file`; `linux16`: `error: overflow is detected`); an empty file is `error: invalid magic number`. A file cut later loads
without a word; the kernel's decompressor then reads whatever memory holds for
the missing bytes: a cut payload stops it with `XZ-compressed data is corrupt`,
` -- System halted` (on the VGA text screen on pc; on efi only on a serial port
with `earlyprintk=serial`), a cut decompressor hangs or resets the machine.
Under Secure Boot, shim rejects a signed kernel cut anywhere (`error: … has
invalid signature`).

## Example
    /boot/vmlinuz-6.11.0-rc1+   4 194 304 bytes, header declares 14 680 064

## Fix
Free space on /boot (`apt autoremove --purge` old kernels, remove leftovers),
then reinstall the kernel (`make install` again for a self-built one) and run
`update-grub`.",
    run,
};

const TAIL_FIX: &str = "nothing is needed for this boot; reinstall the kernel when convenient, as a copy cut short may have lost more elsewhere";

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for entry in super::entries(cx) {
        let Some((command, file, params)) = linux(entry) else {
            continue;
        };
        let Some(fact) = cx.facts.file(file) else {
            continue;
        };
        let FileLookup::Found { size } = fact.lookup else {
            continue;
        };
        let finding = |message: String| {
            Finding::new(&INFO, message)
                .entry(entry)
                .at(command.location)
                .evidence(format!("on {}", where_found(fact)))
        };
        let image = fact.kernel.as_ref();
        if size == 0 {
            out.push(
                finding(format!("kernel '{}' is empty", file.path))
                    .prints(grub_error("invalid magic number")),
            );
        } else if let Some((image, cut)) = image.and_then(|k| Some((k, k.truncated?))) {
            let f = finding(String::new());
            out.push(cut_finding(
                f,
                &file.path,
                image,
                cut,
                cx.facts.platform,
                params,
                entry,
            ));
        } else if let Some(tail) = image.and_then(|k| k.tail_cut) {
            let missing = tail.declared - tail.actual;
            let place = if missing <= CRC_LEN {
                "inside the build tool's CRC-32 (the last 4 bytes)"
            } else {
                "inside the zero fill before the build tool's CRC-32 (the bytes before the cut are zero too)"
            };
            let mut note = finding(format!(
                "kernel '{}' lacks its last {missing} bytes, which nothing at boot reads",
                file.path
            ))
            .evidence(format!(
                "{} bytes of the {} its header declares: the cut is {place}",
                tail.actual, tail.declared
            ))
            .evidence("GRUB's `linux` loads the file by its own size; the decompressor's data end before the fill")
            .severity(Severity::Info)
            .fix(TAIL_FIX);
            if cx.facts.platform == Platform::Efi {
                note = note.evidence("under Secure Boot it would not boot: shim refuses a signed kernel cut anywhere (`error: … has invalid signature.`)");
            }
            out.push(note);
        }
    }
}

/// The finding for a kernel cut where the boot reads it: where the cut is, and
/// what the loader or the decompressor that meets it prints.
fn cut_finding(
    f: Finding,
    path: &str,
    image: &KernelImage,
    t: Truncation,
    platform: Platform,
    params: &[KernelParam],
    entry: &BootEntry,
) -> Finding {
    let header = match &image.format {
        Format::BzImage { header, .. } => Some(header),
        _ => None,
    };
    let place = match t.cut {
        Cut::SetupHeader => "inside the setup header GRUB reads".to_string(),
        Cut::SetupCode => "inside the real-mode setup sectors".to_string(),
        Cut::DecompressorHead => "before its compressed payload, in the decompressor".to_string(),
        Cut::Payload => match &image.payload_compression {
            Some(c) => format!("inside its {c}-compressed payload"),
            None => "inside its compressed payload".to_string(),
        },
        Cut::Decompressor => "after its payload, in the decompressor's code or data".to_string(),
        Cut::PeSections => "inside its PE sections".to_string(),
        Cut::ProtectedMode | Cut::Trailer => "inside its protected-mode code".to_string(),
    };
    let mut f = Finding {
        message: format!(
            "kernel '{path}' is truncated {place}: {} bytes of the {} its header declares",
            t.actual, t.declared
        ),
        ..f
    };
    let grub_stops = |f: Finding, message: String| {
        let f = f.prints(grub_error(&message));
        if initrd_follows(entry) {
            f.prints(grub_error("you need to load the kernel first"))
        } else {
            f
        }
    };
    match t.cut {
        Cut::SetupHeader => grub_stops(f, format!("premature end of file {path}")),
        Cut::SetupCode => {
            if let Some(h) = header {
                f = f.evidence(format!(
                    "the setup sectors end at byte {}; GRUB seeks there to read the rest",
                    h.setup_size()
                ));
            }
            // loader/i386/linux.c's seek fails; linux16 (loader/i386/pc/linux.c)
            // subtracts the setup size from the file size first and checks it.
            let linux16 = entry.linux().is_some_and(
                |c| matches!(&c.kind, CommandKind::Linux { command, .. } if command == "linux16"),
            );
            let message = if linux16 {
                "overflow is detected"
            } else {
                "attempt to seek outside of the file"
            };
            grub_stops(f, message.to_string())
        }
        Cut::Payload => {
            if let Some((start, len)) = header.and_then(|h| Some((h.payload_start()?, h.payload_length?))) {
                f = f.evidence(format!(
                    "the payload runs from byte {start} to {}; GRUB loads the file by its own size without a word",
                    start + u64::from(len)
                ));
            }
            let Some(message) = image.payload_compression.as_deref().and_then(decompressor_error) else {
                return f.evidence("the kernel's decompressor then fails on the missing bytes");
            };
            let shown = match platform {
                Platform::Pc => true,
                Platform::Efi => serial_early_console(params),
            };
            if shown {
                f.prints(message).prints(" -- System halted")
            } else {
                f.evidence(format!(
                    "the decompressor halts with `{message} -- System halted` written only to VGA text and an early serial console: on efi GRUB hands over a framebuffer, so the screen keeps GRUB's last lines (add `earlyprintk=serial` to see it)"
                ))
            }
        }
        Cut::PeSections => f.evidence("the PE sections' raw data run past the end of the file"),
        _ => f.evidence(
            "GRUB loads the file by its own size without a word; the decompressor then runs on whatever memory holds for the missing bytes: a hang or a reset, with nothing printed",
        ),
    }
}

/// What the kernel's boot decompressor prints for a payload it cannot decode
/// (lib/decompress_unxz.c `unxz`, decompress_unzstd.c `handle_zstd_error`,
/// decompress_inflate.c `__gunzip`); `None` for the others.
fn decompressor_error(compression: &str) -> Option<&'static str> {
    Some(match compression {
        "xz" => "XZ-compressed data is corrupt",
        "zstd" => "ZSTD-compressed data is corrupt",
        "gzip" => "uncompression error",
        _ => return None,
    })
}

/// `earlyprintk=serial…|ttyS…` or `console=uart8250,io,…|uart,io,…`: what the
/// decompressor's console_init (arch/x86/boot/early_serial_console.c) reads.
fn serial_early_console(params: &[KernelParam]) -> bool {
    params
        .iter()
        .any(|p| match (p.key.as_str(), p.value.as_deref()) {
            ("earlyprintk", Some(v)) => v.starts_with("serial") || v.starts_with("ttyS"),
            ("console", Some(v)) => v.starts_with("uart8250,io,") || v.starts_with("uart,io,"),
            _ => false,
        })
}

fn initrd_follows(entry: &BootEntry) -> bool {
    entry
        .commands
        .iter()
        .any(|c| matches!(c.kind, CommandKind::Initrd { .. }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(line: &str) -> Vec<KernelParam> {
        line.split_whitespace()
            .map(|w| match w.split_once('=') {
                Some((k, v)) => KernelParam {
                    key: k.to_string(),
                    value: Some(v.to_string()),
                },
                None => KernelParam {
                    key: w.to_string(),
                    value: None,
                },
            })
            .collect()
    }

    #[test]
    fn only_the_options_the_decompressor_reads_open_a_serial_console() {
        for line in [
            "earlyprintk=serial",
            "earlyprintk=serial,ttyS0,115200",
            "earlyprintk=ttyS1",
            "quiet console=uart8250,io,0x3f8,115200n8",
            "console=uart,io,0x2f8",
        ] {
            assert!(serial_early_console(&params(line)), "{line}");
        }
        // console=ttyS0 is the kernel's, read long after the decompressor.
        for line in ["console=ttyS0,115200", "earlyprintk=vga", "earlyprintk", ""] {
            assert!(!serial_early_console(&params(line)), "{line}");
        }
    }

    #[test]
    fn decompressor_messages_are_the_kernels() {
        assert_eq!(
            decompressor_error("xz"),
            Some("XZ-compressed data is corrupt")
        );
        assert_eq!(
            decompressor_error("zstd"),
            Some("ZSTD-compressed data is corrupt")
        );
        assert_eq!(decompressor_error("gzip"), Some("uncompression error"));
        assert_eq!(decompressor_error("lz4"), None);
    }
}
