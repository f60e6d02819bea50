use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::files::FileLookup;
use crate::inspect::kernel::cut::CRC_LEN;
use crate::inspect::kernel::{Cut, Format, KernelImage, Truncation};
use crate::menu::{BootEntry, CommandKind, Platform};

use super::{grub_error, where_found};

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
the missing bytes. Its own code and data follow the payload in the file, so a
cut anywhere from the payload on leaves it without them: the machine hangs or
resets with nothing printed (seen in QEMU on pc and efi).
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
        let Some((command, file, fact)) = super::linux_fact(cx, entry) else {
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
            out.push(cut_finding(f, &file.path, image, cut, entry));
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
            // The decompressor's C code and data are linked after the payload
            // (arch/x86/boot/compressed/vmlinux.lds.S), so a file cut inside the
            // payload has lost them too: its error path never runs. The QEMU suite's
            // kernel-cut-payload resets on pc and on efi with nothing printed.
            f.evidence(
                "the decompressor's own code, which follows the payload in the file, is cut off too: the machine hangs or resets with nothing printed",
            )
        }
        Cut::PeSections => f.evidence("the PE sections' raw data run past the end of the file"),
        _ => f.evidence(
            "GRUB loads the file by its own size without a word; the decompressor then runs on whatever memory holds for the missing bytes: a hang or a reset, with nothing printed",
        ),
    }
}

fn initrd_follows(entry: &BootEntry) -> bool {
    entry
        .commands
        .iter()
        .any(|c| matches!(c.kind, CommandKind::Initrd { .. }))
}
