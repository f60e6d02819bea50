//! Bodies of the fuzz targets (`fuzz/fuzz_targets/*.rs`), kept in the library so that
//! the same code runs under cargo-fuzz and under the plain `#[test]` that CI runs with
//! pseudo-random and mutated inputs. Each function must return for any input, without
//! panicking, in bounded time and memory.

use std::io::Cursor;

use super::initrd::{self, Depth, Limits};
use super::{kconfig, kernel, modules};

/// The kernel-image parser over arbitrary bytes.
pub fn kernel_image(data: &[u8]) {
    let _ = kernel::inspect(Cursor::new(data));
}

/// Limits small enough that a fuzzer's bomb stops within milliseconds.
pub fn fuzz_limits() -> Limits {
    Limits {
        max_output: 32 << 20,
        max_entries: 100_000,
        quick_output: 1 << 20,
        max_capture: 1 << 20,
        max_evidence: 10_000,
        lzma_memlimit: 64 << 20,
    }
}

/// The initrd walker over arbitrary bytes, at both depths.
pub fn initrd_walk(data: &[u8]) {
    let limits = fuzz_limits();
    for depth in [Depth::Quick, Depth::Deep] {
        let Ok(report) = initrd::inspect_with(Cursor::new(data), data.len() as u64, depth, &limits)
        else {
            continue;
        };
        // What the kernel keeps before a fault: only whole segments, before it.
        if let Some(kept) = &report.kept {
            let at = report.error.as_ref().map(|e| e.segment);
            assert!(
                at == Some(kept.segments) && kept.segments > 0,
                "kept {kept:?} at {at:?}"
            );
            assert!(kept.entries <= report.entries);
            assert!(report.segments[..kept.segments].iter().all(|s| s.complete));
        }
        // "No /init" is said only of an archive read to its end (BV4113 acts on it).
        if report.no_init {
            assert!(report.complete && report.error.is_none() && report.limit.is_none());
        }
    }
}

/// Config text and module ELF parsing over arbitrary bytes.
pub fn text_and_elf(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = kconfig::KernelConfig::parse(&text);
    let _ = modules::ModulesDep::parse(&text).closure("ext4");
    let _ = kconfig::extract_ikconfig(data);
    let _ = modules::inspect_ko(data);
}

/// The lz4 block decoder (the kernel's `LZ4_decompress_safe`) over arbitrary bytes,
/// at a capacity the input's first bytes choose (so that the decoder's paths near
/// the end of the output run too), and on the whole input at the legacy frame's.
pub fn lz4_block(data: &[u8]) {
    let cap = match data {
        [a, b, ..] => usize::from(u16::from_le_bytes([*a, *b])),
        _ => 0,
    };
    let mut out = vec![0u8; cap + super::lz4_block::SLACK];
    let _ = super::lz4_block::decode(data.get(2..).unwrap_or(&[]), &mut out, cap);
    let mut big = vec![0u8; (1 << 20) + super::lz4_block::SLACK];
    let _ = super::lz4_block::decode(data, &mut big, 1 << 20);
}
