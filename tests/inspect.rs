//! Inspect: real bytes made at test time by real tools — initrds by `cpio -H newc` and
//! each compressor the kernel knows, Debian's own kernel image, config and modules,
//! objects by `gcc -g` and `objcopy` — and broken copies of them. Fixtures are built
//! under CARGO_TARGET_TMPDIR; the Debian package is cached outside the repository.

use std::collections::BTreeSet;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use bootvet::inspect::initrd::{
    self, Compression, Depth, ErrorKind, LimitKind, Limits, SegmentKind,
};
use bootvet::inspect::kconfig::{KernelConfig, Value};
use bootvet::inspect::kernel::{self, Format};
use bootvet::inspect::{fuzz_support, modules};

mod support;
use support::{Rng, bootvet, fuzz_iterations};

// ---------------------------------------------------------------- helpers

fn tmp() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

/// Runs `sh -c script` with `input` on stdin; returns stdout; panics on failure.
fn sh(script: &str, input: &[u8]) -> Vec<u8> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sh");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().unwrap();
    assert!(out.status.success(), "`{script}` failed: {:?}", out.status);
    out.stdout
}

/// Deterministic bytes that compress about 3:1, like binaries do.
fn filler(seed: u64, len: usize) -> Vec<u8> {
    const WORDS: [&str; 12] = [
        "mov", "push", "call", "ret", "ext4", "nvme", "jbd2", "\0\0\0\0", "lea", "xor", "\x7fELF",
        "cmp",
    ];
    let mut rng = Rng::new(
        seed.wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407),
    );
    let mut out = Vec::with_capacity(len + 16);
    while out.len() < len {
        let x = rng.next_u64();
        if x.is_multiple_of(5) {
            out.push((x >> 24) as u8);
        } else {
            out.extend_from_slice(WORDS[(x >> 40) as usize % WORDS.len()].as_bytes());
        }
    }
    out.truncate(len);
    out
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// newc archive of a directory, in sorted order.
fn cpio_of(dir: &Path, format: &str) -> Vec<u8> {
    sh(
        &format!(
            "cd '{}' && find . | LC_ALL=C sort | cpio -o -H {format} --quiet",
            dir.display()
        ),
        b"",
    )
}

fn compress(method: Compression, data: &[u8]) -> Vec<u8> {
    let cmd = match method {
        Compression::Gzip => "gzip -6 -n -c",
        Compression::Zstd => "zstd -3 -q -c",
        Compression::Xz => "xz -1 --check=crc32 -c",
        Compression::Lzma => "lzma -1 -c",
        Compression::Bzip2 => "bzip2 -1 -c",
        Compression::Lz4 => "lz4 -l -q -c",
        Compression::Lzo => "lzop -q -c",
    };
    sh(cmd, data)
}

const VER: &str = "6.1.0-56-amd64";

struct Archives {
    microcode: Vec<u8>,
    main: Vec<u8>,
    main_entries: u64,
}

/// An early-microcode archive and a main archive with a modules tree (some 10 MiB, so
/// that lz4's 8 MiB blocks and every decoder's buffers are crossed).
fn archives() -> &'static Archives {
    static A: OnceLock<Archives> = OnceLock::new();
    A.get_or_init(|| {
        let root = tmp().join("initrd-src");
        let _ = std::fs::remove_dir_all(&root);
        let mc = root.join("mc");
        write(&mc.join("kernel/x86/microcode/GenuineIntel.bin"), &filler(1, 30_000));
        let main = root.join("main");
        let m = main.join(format!("usr/lib/modules/{VER}"));
        let kos = [
            "kernel/fs/ext4/ext4.ko",
            "kernel/fs/jbd2/jbd2.ko",
            "kernel/fs/mbcache.ko",
            "kernel/lib/crc16.ko",
            "kernel/drivers/nvme/host/nvme-core.ko",
            "kernel/drivers/nvme/host/nvme.ko",
            "kernel/drivers/block/virtio_blk.ko.zst",
            "kernel/drivers/md/dm-crypt.ko.xz",
        ];
        for (i, ko) in kos.iter().enumerate() {
            write(&m.join(ko), &filler(10 + i as u64, 200_000));
        }
        write(&m.join("modules.dep"), b"kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko\nkernel/fs/jbd2/jbd2.ko:\n");
        write(&m.join("modules.builtin"), b"kernel/drivers/block/loop.ko\n");
        write(&main.join("usr/lib/firmware/big.bin"), &filler(99, 9 << 20));
        write(&main.join("init"), b"#!/bin/sh\nexec /sbin/init\n");
        std::os::unix::fs::symlink("usr/lib", main.join("lib")).unwrap();
        let main_cpio = cpio_of(&main, "newc");
        let main_entries = sh(&format!("cd '{}' && find . | wc -l", main.display()), b"");
        let main_entries: u64 = String::from_utf8_lossy(&main_entries).trim().parse().unwrap();
        Archives { microcode: cpio_of(&mc, "newc"), main: main_cpio, main_entries: main_entries + 1 }
    })
}

/// microcode archive + compressed main archive, as initramfs-tools and dracut make them.
fn initrd_with(method: Compression) -> Vec<u8> {
    let a = archives();
    let mut out = a.microcode.clone();
    out.extend(compress(method, &a.main));
    out
}

fn deep(bytes: &[u8]) -> initrd::InitrdReport {
    initrd::inspect(Cursor::new(bytes), Depth::Deep).unwrap()
}

// ---------------------------------------------------------------- initrd: good archives

#[test]
fn every_kernel_compression_is_walked_to_its_end() {
    let a = archives();
    for method in Compression::ALL {
        let bytes = initrd_with(method);
        let r = deep(&bytes);
        let name = method.kernel_name();
        assert_eq!(r.error, None, "{name}");
        assert!(r.complete, "{name}");
        assert_eq!(r.segments.len(), 2, "{name}");
        assert_eq!(r.segments[0].kind, SegmentKind::Cpio);
        assert_eq!(r.segments[0].offset, 0);
        assert_eq!(r.segments[0].stored_size, Some(a.microcode.len() as u64));
        let s = &r.segments[1];
        assert_eq!(s.kind, SegmentKind::Compressed(method), "{name}");
        assert_eq!(s.offset, a.microcode.len() as u64, "{name}");
        assert_eq!(
            s.stored_size,
            Some((bytes.len() - a.microcode.len()) as u64),
            "{name}"
        );
        assert_eq!(s.cpio_size, a.main.len() as u64, "{name}");
        assert_eq!(s.entries, a.main_entries, "{name}");
        assert_eq!(s.trailers, 1);
        assert_eq!(r.microcode, ["kernel/x86/microcode/GenuineIntel.bin"]);
        assert_eq!(r.module_versions, BTreeSet::from([VER.to_string()]));
        let names: Vec<&str> = r.modules.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "crc16",
                "dm_crypt",
                "ext4",
                "jbd2",
                "mbcache",
                "nvme",
                "nvme_core",
                "virtio_blk"
            ],
            "{name}"
        );
        let dep = &r.module_files[&format!("usr/lib/modules/{VER}/modules.dep")];
        assert_eq!(
            modules::ModulesDep::parse(dep).closure("ext4"),
            ["ext4", "crc16", "mbcache", "jbd2"]
        );
    }
}

#[test]
fn zero_padding_between_and_after_segments_is_accepted() {
    let a = archives();
    let mut bytes = a.microcode.clone();
    bytes.extend([0u8; 512]);
    bytes.extend(compress(Compression::Zstd, &a.main));
    bytes.extend([0u8; 3]);
    let r = deep(&bytes);
    assert_eq!(r.error, None);
    assert!(r.complete);
    assert_eq!(r.segments[1].offset, a.microcode.len() as u64 + 512);
}

#[test]
fn magic_straddling_the_read_buffer_is_still_recognised() {
    // Zero padding up to one byte before the reader's 256 KiB buffer boundary: the two
    // magic bytes of the next segment arrive in two different reads.
    for pad in [(256 << 10) - 1, (512 << 10) - 1] {
        let mut bytes = vec![0u8; pad];
        bytes.extend(compress(Compression::Zstd, &archives().main));
        let r = deep(&bytes);
        assert_eq!(r.error, None, "pad {pad}");
        assert_eq!(r.segments.len(), 1);
        assert_eq!(r.segments[0].offset, pad as u64);
        assert_eq!(r.segments[0].stored_size, Some((bytes.len() - pad) as u64));
    }
}

#[test]
fn two_compressed_segments_are_two_segments() {
    let a = archives();
    let mut bytes = compress(Compression::Gzip, &a.microcode);
    bytes.extend(compress(Compression::Xz, &a.main));
    let r = deep(&bytes);
    assert_eq!(r.error, None);
    let kinds: Vec<_> = r.segments.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [
            SegmentKind::Compressed(Compression::Gzip),
            SegmentKind::Compressed(Compression::Xz)
        ]
    );
}

#[test]
fn crc_format_archives_are_checked() {
    let dir = tmp().join("crc-src");
    let _ = std::fs::remove_dir_all(&dir);
    write(&dir.join("etc/hello"), &filler(7, 5000));
    let mut bytes = cpio_of(&dir, "crc");
    assert!(deep(&bytes).error.is_none());
    // Flip one byte of the body of etc/hello: the 070702 sum no longer matches.
    let at = bytes.windows(9).position(|w| w == b"etc/hello").unwrap() + 200;
    bytes[at] ^= 0x55;
    let r = deep(&bytes);
    let e = r.error.expect("checksum fault");
    assert_eq!(e.kind, ErrorKind::BadChecksum);
    assert_eq!(
        e.kernel_line().as_deref(),
        Some("Initramfs unpacking failed: bad data checksum")
    );
}

#[test]
fn odc_archive_is_refused_as_the_kernel_does() {
    let dir = tmp().join("odc-src");
    let _ = std::fs::remove_dir_all(&dir);
    write(&dir.join("init"), b"x");
    let bytes = compress(Compression::Gzip, &cpio_of(&dir, "odc"));
    let e = deep(&bytes).error.expect("odc fault");
    assert_eq!(e.kind, ErrorKind::OldCpioFormat);
    assert_eq!(
        e.kernel_message.as_deref(),
        Some("incorrect cpio method used: use -H newc option")
    );
}

// ---------------------------------------------------------------- initrd: broken archives

#[test]
fn truncated_initrds_report_the_end_and_the_kernel_message() {
    let cases = [
        (Compression::Zstd, "ZSTD-compressed data is truncated"),
        (Compression::Gzip, "read error"),
        (Compression::Xz, "XZ-compressed data is corrupt"),
        (Compression::Lz4, "data corrupted"),
        (Compression::Lzo, "file corrupted"),
        (Compression::Bzip2, "decompressor failed"),
        (Compression::Lzma, "decompressor failed"),
    ];
    for (method, message) in cases {
        let full = initrd_with(method);
        let start = archives().microcode.len();
        for cut in [start + 2, start + 100, full.len() / 2, full.len() - 1] {
            let r = deep(&full[..cut]);
            let e = r
                .error
                .unwrap_or_else(|| panic!("{method:?} cut at {cut}: no error"));
            assert_eq!(
                e.kind,
                ErrorKind::Truncated,
                "{method:?} cut at {cut}: {e:?}"
            );
            assert_eq!(e.offset, cut as u64, "{method:?} cut at {cut}");
            assert_eq!(e.segment, 1);
            // Cut inside the header: gunzip and unlzo refuse it before decoding.
            let message = match method {
                Compression::Gzip if cut < start + 10 => Some("Not a gzip file"),
                Compression::Lzo if cut < start + 9 => Some("invalid header"),
                // Cut inside the trailer: every file is out, the kernel says nothing.
                Compression::Gzip if cut == full.len() - 1 => None,
                _ => Some(message),
            };
            assert_eq!(
                e.kernel_message.as_deref(),
                message,
                "{method:?} cut at {cut}"
            );
            assert!(!r.complete);
        }
    }
}

#[test]
fn gzip_is_read_as_the_kernel_reads_it() {
    // The kernel's gunzip skips the CRC32 trailer unchecked: a damaged CRC boots.
    let mut bytes = initrd_with(Compression::Gzip);
    let crc = bytes.len() - 8;
    bytes[crc] ^= 0xff;
    let r = deep(&bytes);
    assert_eq!(r.error, None);
    assert!(r.complete);
    // The old gzip magic is detected as gzip, then refused by the header check.
    let mut old = archives().microcode.clone();
    let at = old.len() as u64;
    old.extend(compress(Compression::Gzip, b"x"));
    old[at as usize + 1] = 0x9e;
    let e = deep(&old).error.expect("fault");
    assert_eq!(e.kind, ErrorKind::Corrupt);
    assert_eq!(e.offset, at + 10);
    assert_eq!(e.kernel_message.as_deref(), Some("Not a gzip file"));
    assert!(e.kernel_message_exact);
}

#[test]
fn truncated_uncompressed_archive_is_silent_in_the_kernel() {
    let a = archives();
    let cut = 700;
    let r = deep(&a.microcode[..cut]);
    let e = r.error.expect("fault");
    assert_eq!(e.kind, ErrorKind::TruncatedCpio);
    assert_eq!(e.kernel_message, None);
    // The entry that was cut is the microcode blob, after ./, ./kernel, ./kernel/x86 and
    // ./kernel/x86/microcode: find its header.
    let blob = a
        .microcode
        .windows(6)
        .enumerate()
        .filter(|(_, w)| *w == b"070701")
        .nth(4)
        .unwrap()
        .0;
    assert_eq!(e.offset, blob as u64);
}

#[test]
fn flipped_byte_in_zstd_data_is_corrupt() {
    let mut bytes = initrd_with(Compression::Zstd);
    let at = archives().microcode.len() + 40_000;
    bytes[at] ^= 0xff;
    let r = deep(&bytes);
    let e = r.error.expect("fault");
    assert_eq!(e.segment, 1);
    assert_eq!(e.kind, ErrorKind::Corrupt, "{e:?}");
    assert_eq!(
        e.kernel_line().as_deref(),
        Some("Initramfs unpacking failed: ZSTD-compressed data is corrupt")
    );
    // The decoder reads ahead by at most its input buffer.
    assert!(
        e.offset + (256 << 10) >= at as u64 && e.offset <= bytes.len() as u64,
        "{e:?}"
    );
}

#[test]
fn corrupt_header_inside_compressed_archive_is_junk_within() {
    // Corrupt the magic of the second header inside the main archive, then compress:
    // the decompressor is happy, the cpio walk is not.
    let a = archives();
    let mut main = a.main.clone();
    let second = main
        .windows(6)
        .enumerate()
        .filter(|(_, w)| *w == b"070701")
        .nth(1)
        .unwrap()
        .0;
    main[second] = b'X';
    let mut bytes = a.microcode.clone();
    bytes.extend(compress(Compression::Gzip, &main));
    let e = deep(&bytes).error.expect("fault");
    assert_eq!(e.kind, ErrorKind::JunkWithin);
    assert_eq!(e.decompressed_offset, Some(second as u64));
    assert_eq!(
        e.kernel_message.as_deref(),
        Some("junk within compressed archive")
    );
}

#[test]
fn archive_cut_before_compression_is_junk_at_the_end() {
    let a = archives();
    let mut bytes = a.microcode.clone();
    bytes.extend(compress(Compression::Zstd, &a.main[..a.main.len() - 1000]));
    let e = deep(&bytes).error.expect("fault");
    assert_eq!(e.kind, ErrorKind::JunkAtEnd);
    assert_eq!(
        e.kernel_message.as_deref(),
        Some("junk at the end of compressed archive")
    );
}

#[test]
fn junk_after_the_archive_is_invalid_magic_at_its_offset() {
    let mut bytes = initrd_with(Compression::Zstd);
    let end = bytes.len() as u64;
    bytes.extend_from_slice(b"JUNK AFTER THE END");
    let r = deep(&bytes);
    let e = r.error.expect("fault");
    assert_eq!(e.kind, ErrorKind::InvalidMagic);
    assert_eq!(e.offset, end);
    assert_eq!(e.segment, 2);
    assert_eq!(r.segments[2].kind, SegmentKind::Junk);
    assert_eq!(
        e.kernel_line().as_deref(),
        Some("Initramfs unpacking failed: invalid magic at start of compressed archive")
    );
    // Everything before the junk was still read, and the kernel runs /init from it.
    assert!(r.segments[1].complete);
    let kept = r.kept.as_ref().expect("what the kernel keeps");
    assert_eq!(
        (kept.segments, kept.init, kept.all_evidence),
        (2, true, true)
    );
    assert_eq!(kept.entries, r.entries);
}

/// A later segment cut short: the kernel keeps the whole ones before it, with
/// /init; whether they hold everything depends on what the cut one carried.
#[test]
fn a_cut_later_segment_keeps_the_whole_ones_before_it() {
    let extra = tmp().join("initrd-extra");
    let _ = std::fs::remove_dir_all(&extra);
    write(&extra.join("etc/motd"), b"a later segment\n");
    let plain = compress(Compression::Gzip, &cpio_of(&extra, "newc"));
    write(
        &extra.join(format!("usr/lib/modules/{VER}/kernel/drivers/ata/ahci.ko")),
        &filler(7, 5000),
    );
    let with_module = compress(Compression::Gzip, &cpio_of(&extra, "newc"));
    for (later, all_evidence) in [(plain, true), (with_module, false)] {
        let mut bytes = initrd_with(Compression::Zstd);
        bytes.extend_from_slice(&later[..later.len() - 12]);
        let r = deep(&bytes);
        let e = r.error.as_ref().expect("fault");
        assert_eq!((e.kind, e.segment), (ErrorKind::Truncated, 2));
        let kept = r.init_kept_before(e).expect("/init kept");
        assert_eq!(kept.segments, 2);
        assert_eq!(kept.all_evidence, all_evidence);
        let whole: u64 = r.segments[..2].iter().map(|s| s.entries).sum();
        assert_eq!(kept.entries, whole);
    }
    // Cut in the segment that holds /init: nothing runs it.
    let bytes = initrd_with(Compression::Zstd);
    let r = deep(&bytes[..bytes.len() / 2]);
    let e = r.error.as_ref().expect("fault");
    assert_eq!(e.segment, 1);
    assert!(r.init_kept_before(e).is_none());
    assert_eq!(r.kept.as_ref().map(|k| k.init), Some(false));
}

#[test]
fn padding_that_breaks_alignment_is_broken_padding() {
    let a = archives();
    let mut bytes = a.microcode.clone();
    bytes.extend([0u8; 3]);
    bytes.extend_from_slice(&a.microcode);
    let e = deep(&bytes).error.expect("fault");
    assert_eq!(e.kind, ErrorKind::BrokenPadding);
    assert_eq!(e.offset, a.microcode.len() as u64 + 3);
    assert_eq!(e.kernel_message.as_deref(), Some("broken padding"));
}

#[test]
fn compression_the_kernel_lacks_is_the_first_fault() {
    let bytes = initrd_with(Compression::Lz4);
    let r = deep(&bytes);
    assert!(r.has_module("nvme-core") && r.has_module("dm_crypt") && !r.has_module("xfs"));
    assert!(r.has_modules_for(VER));
    let config =
        KernelConfig::parse("CONFIG_BLK_DEV_INITRD=y\nCONFIG_RD_GZIP=y\nCONFIG_RD_ZSTD=y\n");
    let e = r.first_fault_for(|c| config.supports(c)).expect("fault");
    assert_eq!(e.kind, ErrorKind::NotConfigured);
    assert_eq!(e.offset, archives().microcode.len() as u64);
    assert_eq!(
        e.kernel_line().as_deref(),
        Some("Initramfs unpacking failed: compression method lz4 not configured")
    );
    assert_eq!(r.first_fault_for(|_| true), None);
    // An earlier fault wins, as the kernel keeps its first message.
    let mut junk = b"JUNK".to_vec();
    junk.extend(&bytes);
    let r = deep(&junk);
    assert_eq!(
        r.first_fault_for(|c| config.supports(c)).map(|e| e.kind),
        Some(ErrorKind::InvalidMagic)
    );
}

#[test]
fn wrong_version_directory_is_visible() {
    let dir = tmp().join("wrongver-src");
    let _ = std::fs::remove_dir_all(&dir);
    write(
        &dir.join("usr/lib/modules/6.0.0-9-amd64/kernel/fs/ext4/ext4.ko"),
        &filler(3, 1000),
    );
    let bytes = compress(Compression::Zstd, &cpio_of(&dir, "newc"));
    let r = deep(&bytes);
    assert_eq!(r.error, None);
    assert_eq!(
        r.module_versions,
        BTreeSet::from(["6.0.0-9-amd64".to_string()])
    );
    assert!(!r.module_versions.contains(VER));
}

#[test]
fn quick_mode_reads_only_the_start_of_the_first_compressed_segment() {
    let bytes = initrd_with(Compression::Zstd);
    let r = initrd::inspect(Cursor::new(&bytes), Depth::Quick).unwrap();
    assert_eq!(r.error, None);
    assert_eq!(r.limit, None);
    assert!(!r.complete);
    assert_eq!(r.segments.len(), 2);
    assert!(r.segments[0].complete);
    assert!(!r.segments[1].complete);
    assert!(r.segments[1].cpio_size <= Limits::for_input(0).quick_output);
    assert!(r.segments[1].entries > 0);
}

#[test]
fn decompression_bomb_stops_at_the_limit() {
    let dir = tmp().join("bomb-src");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    sh(&format!("truncate -s 512M '{}/zeros'", dir.display()), b"");
    let bytes = sh(
        &format!(
            "cd '{}' && echo zeros | cpio -o -H newc --quiet | zstd -1 -q -c",
            dir.display()
        ),
        b"",
    );
    assert!(bytes.len() < 1 << 20, "the bomb is small: {}", bytes.len());
    let limits = Limits {
        max_output: 64 << 20,
        ..Limits::for_input(bytes.len() as u64)
    };
    let r = initrd::inspect_with(
        Cursor::new(&bytes),
        bytes.len() as u64,
        Depth::Deep,
        &limits,
    )
    .unwrap();
    let hit = r.limit.expect("limit");
    assert_eq!(hit.kind, LimitKind::Output);
    assert_eq!(hit.segment, 0);
    assert_eq!(r.error, None);
    assert!(r.segments[0].cpio_size <= 64 << 20);
    assert!(!r.complete);
}

#[test]
fn evidence_is_bounded_but_the_walk_goes_on() {
    let bytes = initrd_with(Compression::Zstd);
    let limits = Limits {
        max_evidence: 3,
        ..Limits::for_input(bytes.len() as u64)
    };
    let r = initrd::inspect_with(
        Cursor::new(&bytes),
        bytes.len() as u64,
        Depth::Deep,
        &limits,
    )
    .unwrap();
    assert!(r.evidence_cut);
    assert!(r.modules.len() + r.module_versions.len() + r.microcode.len() <= 3);
    assert_eq!(r.error, None);
    assert!(r.complete);
    assert!(!deep(&bytes).evidence_cut);
}

#[test]
fn entry_limit_stops_the_walk() {
    let a = archives();
    let limits = Limits {
        max_entries: 3,
        ..Limits::for_input(0)
    };
    let r = initrd::inspect_with(
        Cursor::new(&a.microcode),
        a.microcode.len() as u64,
        Depth::Deep,
        &limits,
    )
    .unwrap();
    assert_eq!(r.limit.map(|l| l.kind), Some(LimitKind::Entries));
    assert_eq!(r.entries, 3);
}

// ---------------------------------------------------------------- Debian's kernel package

/// Debian's kernel package (the one `linux-image-amd64` depends on) and its release.
fn debian_kernel() -> Option<&'static (PathBuf, String)> {
    static K: OnceLock<Option<(PathBuf, String)>> = OnceLock::new();
    K.get_or_init(|| {
        let pkg = support::debian_kernel_package().unwrap_or_else(|| format!("linux-image-{VER}"));
        let root = support::debian_package(&pkg)?;
        Some((root, pkg.trim_start_matches("linux-image-").to_string()))
    })
    .as_ref()
}

#[test]
fn debian_bzimage_header_and_version() {
    let Some((root, release)) = debian_kernel() else {
        return;
    };
    let path = root.join(format!("boot/vmlinuz-{release}"));
    let k = kernel::inspect(std::fs::File::open(&path).unwrap()).unwrap();
    let Format::BzImage { header, efi_stub } = &k.format else {
        panic!("{k:?}")
    };
    assert_eq!(header.protocol, 0x020f);
    assert_eq!(header.protocol_string(), "2.15");
    assert!(header.setup_sects > 0);
    assert_eq!(header.initrd_addr_max, Some(0x7fff_ffff));
    assert_eq!(header.effective_initrd_addr_max(), 0x7fff_ffff);
    assert!(header.can_load_above_4g());
    assert_eq!(
        header.xloadflags.map(|x| x & kernel::XLF_EFI_HANDOVER_64),
        Some(kernel::XLF_EFI_HANDOVER_64)
    );
    assert_eq!(k.release.as_deref(), Some(release.as_str()));
    assert!(
        k.version_string
            .as_deref()
            .unwrap()
            .contains("(debian-kernel@lists.debian.org)")
    );
    assert_eq!(k.payload_compression.as_deref(), Some("xz"));
    assert_eq!(
        efi_stub.as_ref().map(|pe| pe.machine_name()),
        Some("x86_64")
    );
    assert_eq!(k.truncated, None);
    assert!(k.bootable_by.pc_linux && k.bootable_by.efi_linux);
    // `file(1)` reads the same version string.
    let file = sh(&format!("file -b '{}' || true", path.display()), b"");
    if !file.is_empty() {
        assert!(String::from_utf8_lossy(&file).contains(release.as_str()));
    }
}

#[test]
fn debian_bzimage_truncated_at_several_offsets() {
    let Some((root, release)) = debian_kernel() else {
        return;
    };
    let bytes = std::fs::read(root.join(format!("boot/vmlinuz-{release}"))).unwrap();
    let full = kernel::inspect(Cursor::new(&bytes)).unwrap();
    let Format::BzImage { header, efi_stub } = &full.format else {
        panic!()
    };
    let declared = header
        .declared_size()
        .max(efi_stub.as_ref().map(|p| p.declared_size()).unwrap_or(0));
    assert!(declared <= bytes.len() as u64);
    let payload_end = header.payload_start().unwrap() + u64::from(header.payload_length.unwrap());
    for (cut, place) in [
        (0x240usize, kernel::Cut::SetupHeader),
        (20_000, kernel::Cut::SetupCode),
        (1 << 20, kernel::Cut::Payload),
        (bytes.len() / 2, kernel::Cut::Payload),
        (payload_end as usize + 10, kernel::Cut::Decompressor),
    ] {
        let k = kernel::inspect(Cursor::new(&bytes[..cut])).unwrap();
        let t = k
            .truncated
            .unwrap_or_else(|| panic!("cut at {cut} not seen"));
        assert_eq!((t.actual, t.declared, t.cut), (cut as u64, declared, place));
        assert_eq!(k.tail_cut, None);
        if cut > 0x300 {
            assert_eq!(k.release.as_deref(), Some(release.as_str()));
        }
    }
    // Only the CRC, or the zero fill before it: the boot reads none of it.
    for cut in [declared as usize - 1, declared as usize - 30] {
        let k = kernel::inspect(Cursor::new(&bytes[..cut])).unwrap();
        assert_eq!(k.truncated, None, "cut at {cut}");
        let t = k
            .tail_cut
            .unwrap_or_else(|| panic!("cut at {cut} not seen"));
        assert_eq!((t.actual, t.cut), (cut as u64, kernel::Cut::Trailer));
    }
}

#[test]
fn uki_sections_are_read() {
    // A UKI made as ukify does it: sections appended to systemd's EFI stub.
    let Some((root, release)) = debian_kernel() else {
        return;
    };
    let Some(sd) = support::debian_package("systemd-boot-efi") else {
        return;
    };
    let stub = sd.join("usr/lib/systemd/boot/efi/linuxx64.efi.stub");
    let dir = tmp().join("uki");
    std::fs::create_dir_all(&dir).unwrap();
    let vmlinuz = root.join(format!("boot/vmlinuz-{release}"));
    write(&dir.join("uname"), release.as_bytes());
    write(&dir.join("cmdline"), b"root=UUID=1234 ro quiet");
    write(&dir.join("osrel"), b"ID=debian\nVERSION_ID=12\n");
    write(&dir.join("initrd"), &initrd_with(Compression::Zstd));
    let out = dir.join("uki.efi");
    let script = format!(
        "cd '{d}' && objcopy --add-section .osrel=osrel --change-section-vma .osrel=0x20000 \
         --add-section .cmdline=cmdline --change-section-vma .cmdline=0x30000 \
         --add-section .uname=uname --change-section-vma .uname=0x40000 \
         --add-section .linux='{v}' --change-section-vma .linux=0x2000000 \
         --add-section .initrd=initrd --change-section-vma .initrd=0x3000000 \
         '{s}' '{o}'",
        d = dir.display(),
        v = vmlinuz.display(),
        s = stub.display(),
        o = out.display()
    );
    sh(&script, b"");
    let bytes = std::fs::read(&out).unwrap();
    let k = kernel::inspect(Cursor::new(&bytes)).unwrap();
    let Format::Uki(u) = &k.format else {
        panic!("{:?}", k.format)
    };
    assert_eq!(u.uname.as_deref(), Some(release.as_str()));
    assert_eq!(u.cmdline.as_deref(), Some("root=UUID=1234 ro quiet"));
    assert_eq!(u.osrel.as_deref(), Some("ID=debian\nVERSION_ID=12"));
    assert!(u.has_initrd);
    assert_eq!(u.linux.as_ref().map(|h| h.protocol), Some(0x020f));
    assert_eq!(k.release.as_deref(), Some(release.as_str()));
    assert!(
        k.version_string
            .as_deref()
            .unwrap()
            .starts_with(release.as_str())
    );
    assert_eq!(k.truncated, None);
    assert!(k.bootable_by.efi_linux && !k.bootable_by.pc_linux);
    for s in [".linux", ".initrd", ".uname", ".cmdline", ".osrel"] {
        assert!(
            u.pe.section(s).is_some(),
            "{s} missing: {:?}",
            u.pe.sections
        );
    }
    // Cut inside .initrd: the PE section table declares more than the file holds.
    let declared = u.pe.declared_size();
    assert!(declared <= bytes.len() as u64);
    let cut = kernel::inspect(Cursor::new(&bytes[..declared as usize - 1])).unwrap();
    assert_eq!(
        cut.truncated.map(|t| (t.declared, t.actual)),
        Some((declared, declared - 1))
    );
}

#[test]
fn debian_config_parses_every_symbol() {
    let Some((root, release)) = debian_kernel() else {
        return;
    };
    let text = std::fs::read_to_string(root.join(format!("boot/config-{release}"))).unwrap();
    let c = KernelConfig::parse(&text);
    let mut checked = 0;
    for line in text.lines() {
        if let Some(sym) = line
            .strip_prefix("CONFIG_")
            .and_then(|l| l.strip_suffix("=y"))
        {
            assert_eq!(c.get(sym), Value::Yes, "{sym}");
            checked += 1;
        } else if let Some(sym) = line
            .strip_prefix("CONFIG_")
            .and_then(|l| l.strip_suffix("=m"))
        {
            assert_eq!(c.get(sym), Value::Module, "{sym}");
            checked += 1;
        } else if let Some(sym) = line
            .strip_prefix("# CONFIG_")
            .and_then(|l| l.strip_suffix(" is not set"))
        {
            assert_eq!(c.get(sym), Value::No, "{sym}");
            checked += 1;
        }
    }
    assert!(checked > 5000, "{checked}");
    assert!(c.initrd_supported());
    assert_eq!(c.initrd_compressions(), Compression::ALL);
}

#[test]
fn debian_modules_are_stripped_signed_and_match_the_release() {
    let Some((root, release)) = debian_kernel() else {
        return;
    };
    let m = root.join(format!("lib/modules/{release}"));
    let ext4 = std::fs::read(m.join("kernel/fs/ext4/ext4.ko")).unwrap();
    let info = modules::inspect_ko(&ext4).unwrap();
    assert_eq!(info.name.as_deref(), Some("ext4"));
    assert_eq!(
        info.vermagic.as_deref().and_then(modules::vermagic_release),
        Some(release.as_str())
    );
    assert!(info.signed);
    assert!(!info.unstripped());
    let builtin =
        modules::parse_builtin(&std::fs::read_to_string(m.join("modules.builtin")).unwrap());
    assert!(builtin.len() > 50);
    // Compressed copies decompress to the same module.
    for method in [Compression::Xz, Compression::Zstd, Compression::Gzip] {
        let packed = compress(method, &ext4);
        let back = modules::decompress_ko(Cursor::new(packed), method, 64 << 20).unwrap();
        assert_eq!(back, ext4);
    }
    let packed = compress(Compression::Zstd, &ext4);
    assert!(modules::decompress_ko(Cursor::new(packed), Compression::Zstd, 1000).is_err());
}

#[test]
fn mkinitramfs_image_lists_like_lsinitramfs() {
    if !support::privileged("needs root and mount namespaces") {
        return;
    }
    let Some((root, release)) = debian_kernel() else {
        return;
    };
    // mkinitramfs reads /usr/lib/modules/VER and /boot/config-VER; show it the Debian
    // package's through read-only overlays in a private mount namespace, so the host
    // is not touched.
    let dir = tmp().join("mkinitramfs");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("root/lib/modules")).unwrap();
    std::fs::create_dir_all(dir.join("boot")).unwrap();
    let img = dir.join("initrd.img");
    let d = dir.display();
    let r = root.display();
    sh(
        &format!(
            "set -e; cp -a '{r}/lib/modules/{release}' '{d}/root/lib/modules/'; \
             cp '{r}/boot/config-{release}' '{d}/boot/'; depmod -b '{d}/root' {release}; \
             unshare -m --propagation private sh -c \"set -e; \
               mount -t overlay overlay -o lowerdir='{d}/root/lib':/usr/lib /usr/lib; \
               mount -t overlay overlay -o lowerdir='{d}/boot':/boot /boot; \
               mkinitramfs -o '{}' {release}\" >/dev/null 2>&1",
            img.display()
        ),
        b"",
    );
    let bytes = std::fs::read(&img).unwrap();
    let (r, names) = initrd::inspect_listing(
        Cursor::new(&bytes),
        bytes.len() as u64,
        Depth::Deep,
        &Limits::for_input(bytes.len() as u64),
    )
    .unwrap();
    assert_eq!(r.error, None);
    assert!(r.complete);
    assert!(r.has_modules_for(release));
    assert_eq!(
        r.segments.last().map(|s| s.kind),
        Some(SegmentKind::Compressed(Compression::Zstd))
    );
    let config = KernelConfig::parse(
        &std::fs::read_to_string(root.join(format!("boot/config-{release}"))).unwrap(),
    );
    assert_eq!(r.first_fault_for(|c| config.supports(c)), None);
    let listed = sh(&format!("lsinitramfs '{}'", img.display()), b"");
    let listed: Vec<String> = String::from_utf8_lossy(&listed)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(names, listed);
}

// ---------------------------------------------------------------- .ko debug info

#[test]
fn unstripped_and_stripped_objects() {
    let dir = tmp().join("ko");
    std::fs::create_dir_all(&dir).unwrap();
    write(
        &dir.join("m.c"),
        b"static const char vm[] __attribute__((section(\".modinfo\"), used)) = \"vermagic=6.1.0-56-amd64 SMP preempt mod_unload modversions \";\n\
          struct point { int x, y; };\nint area(struct point *p) { return p->x * p->y; }\n",
    );
    let d = dir.display();
    sh(
        &format!(
            "cd '{d}' && gcc -g -O1 -c m.c -o m.ko && objcopy --strip-debug m.ko s.ko && \
             gcc -g -gz=zlib -O1 -c m.c -o z.ko"
        ),
        b"",
    );
    let unstripped = modules::inspect_ko(&std::fs::read(dir.join("m.ko")).unwrap()).unwrap();
    assert!(unstripped.unstripped());
    assert!(
        unstripped
            .debug_sections
            .iter()
            .any(|s| s.name == ".debug_info")
    );
    assert!(unstripped.debug_file_bytes > 0);
    assert_eq!(
        unstripped
            .vermagic
            .as_deref()
            .and_then(modules::vermagic_release),
        Some(VER)
    );
    assert!(!unstripped.signed);

    let stripped = modules::inspect_ko(&std::fs::read(dir.join("s.ko")).unwrap()).unwrap();
    assert!(!stripped.unstripped());
    assert_eq!(stripped.debug_file_bytes, 0);
    assert!(stripped.size < unstripped.size);

    // SHF_COMPRESSED sections count as they expand, not as stored.
    let z = modules::inspect_ko(&std::fs::read(dir.join("z.ko")).unwrap()).unwrap();
    let info = z
        .debug_sections
        .iter()
        .find(|s| s.name == ".debug_info")
        .unwrap();
    let plain = unstripped
        .debug_sections
        .iter()
        .find(|s| s.name == ".debug_info")
        .unwrap();
    assert_eq!(info.size, plain.size);
    assert!(info.file_size < info.size);
}

// ---------------------------------------------------------------- the command

#[test]
fn cli_inspect_json_and_exit_statuses() {
    let dir = tmp().join("cli");
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("initrd.img-good");
    let bad = dir.join("initrd.img-bad");
    let bytes = initrd_with(Compression::Zstd);
    write(&good, &bytes);
    write(&bad, &bytes[..bytes.len() - 10]);
    let (code, out, _) = bootvet(&["inspect", "--deep", "--json", good.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["schema"], "bootvet.inspect/1");
    assert_eq!(v["files"][0]["kind"], "initrd");
    assert_eq!(v["files"][0]["segments"][1]["kind"]["compressed"], "zstd");
    assert_eq!(v["files"][0]["error"], serde_json::Value::Null);

    let (code, out, _) = bootvet(&[
        "inspect",
        "--deep",
        "--color",
        "never",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("kernel     Initramfs unpacking failed: ZSTD-compressed data is truncated"),
        "{out}"
    );

    let (code, _, _) = bootvet(&["inspect", dir.join("missing").to_str().unwrap()]);
    assert_eq!(code, 2);
}

#[test]
fn cli_inspect_text_for_a_broken_initrd() {
    // Sizes and offsets only depend on names and sizes, not on cpio's mtimes.
    let dir = tmp().join("cli-text");
    let _ = std::fs::remove_dir_all(&dir);
    write(
        &dir.join("src/kernel/x86/microcode/AuthenticAMD.bin"),
        &filler(4, 1000),
    );
    let mut bytes = cpio_of(&dir.join("src"), "newc");
    let end = bytes.len();
    bytes.extend_from_slice(b"\x42\x42junk");
    write(&dir.join("initrd.img-test"), &bytes);
    let out = support::bootvet_command()
        .current_dir(&dir)
        .args(["inspect", "--color", "never", "initrd.img-test"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let expected = format!(
        "initrd.img-test: initrd (quick)\n\
         \x20 size       {total} bytes, 6 entries\n\
         \x20 segment 0  at 0          cpio  {kib} KiB → {kib} KiB cpio, 6 entries, trailer\n\
         \x20 segment 1  at {end:<10} junk\n\
         \x20 microcode  kernel/x86/microcode/AuthenticAMD.bin\n\
         \x20 modules    0 in lib/modules/{{}}\n\
         \x20 error      at byte {end} (segment 1): bytes 42 42 at offset {end} are neither zero padding, a cpio header nor a known compression magic\n\
         \x20 kernel     Initramfs unpacking failed: invalid magic at start of compressed archive\n",
        total = bytes.len(),
        kib = format!("{:.1}", end as f64 / 1024.0),
    );
    assert_eq!(text, expected);
}

// ---------------------------------------------------------------- fuzz bodies in CI

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + rng.below(8) {
        match rng.below(5) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = [0, 0xff, b'0', 0x7f][rng.below(4)];
            }
            2 => v.truncate(rng.below(v.len() + 1)),
            3 if !v.is_empty() => {
                // Write a big hex number into a cpio size field or a header word.
                let i = rng.below(v.len());
                for (k, b) in b"FFFFFFF0".iter().enumerate() {
                    if let Some(x) = v.get_mut(i + k) {
                        *x = *b;
                    }
                }
            }
            _ => {
                let i = rng.below(v.len() + 1);
                let junk: Vec<u8> = (0..rng.below(64)).map(|_| rng.next_u64() as u8).collect();
                v.splice(i..i, junk);
            }
        }
    }
    v
}

fn small_initrd_seeds() -> Vec<Vec<u8>> {
    let dir = tmp().join("fuzz-seed-src");
    let _ = std::fs::remove_dir_all(&dir);
    write(
        &dir.join("usr/lib/modules/6.1.0/kernel/ext4.ko"),
        &filler(5, 3000),
    );
    write(&dir.join("init"), b"#!/bin/sh\n");
    let plain = cpio_of(&dir, "newc");
    let mut seeds = vec![plain.clone()];
    for method in Compression::ALL {
        let mut s = plain.clone();
        s.extend(compress(method, &plain));
        seeds.push(s);
    }
    seeds
}

#[test]
fn fuzz_initrd_walker_on_mutated_archives() {
    let seeds = small_initrd_seeds();
    let mut rng = Rng::new(0x5eed_1234_abcd_0001);
    for i in 0..fuzz_iterations() {
        let seed = &seeds[i % seeds.len()];
        let input = if i % 10 == 0 {
            (0..rng.below(4096)).map(|_| rng.next_u64() as u8).collect()
        } else {
            mutate(&mut rng, seed)
        };
        fuzz_support::initrd_walk(&input);
    }
}

/// The lz4 block decoder alone, over the blocks `lz4 -l` writes (the 4-byte size
/// before each cut off), mutated, and over random bytes, small and large.
#[test]
fn fuzz_lz4_block_decoder_on_mutated_blocks() {
    let plain = &small_initrd_seeds()[0];
    let framed = compress(Compression::Lz4, plain);
    // Magic and chunk size cut off; the fuzz body's first two bytes are the
    // capacity it decodes under (64 KiB).
    let mut seed = 0xffffu16.to_le_bytes().to_vec();
    seed.extend(&framed[8..]);
    let mut rng = Rng::new(0x5eed_1234_abcd_0019);
    for i in 0..fuzz_iterations() {
        let input: Vec<u8> = match i % 10 {
            0 => (0..rng.below(4096)).map(|_| rng.next_u64() as u8).collect(),
            1 if i % 100 == 1 => (0..rng.below(2 << 20))
                .map(|_| rng.next_u64() as u8)
                .collect(),
            _ => mutate(&mut rng, &seed),
        };
        fuzz_support::lz4_block(&input);
    }
}

#[test]
fn fuzz_kernel_header_on_mutated_images() {
    let mut seed = vec![0u8; 0x2000];
    seed[0..2].copy_from_slice(b"MZ");
    seed[0x3c..0x40].copy_from_slice(&0x40u32.to_le_bytes());
    seed[0x40..0x44].copy_from_slice(b"PE\0\0");
    seed[0x46] = 4; // sections
    seed[0x1f1] = 3;
    seed[0x1fe..0x200].copy_from_slice(&[0x55, 0xaa]);
    seed[0x202..0x206].copy_from_slice(b"HdrS");
    seed[0x206..0x208].copy_from_slice(&0x020fu16.to_le_bytes());
    seed[0x20e..0x210].copy_from_slice(&0x100u16.to_le_bytes());
    let mut seeds = vec![seed];
    if let Some((root, release)) = debian_kernel() {
        let k = std::fs::read(root.join(format!("boot/vmlinuz-{release}"))).unwrap();
        seeds.push(k[..64 << 10].to_vec());
    }
    let mut rng = Rng::new(0x5eed_0000_0000_0002);
    for i in 0..fuzz_iterations() {
        let input = mutate(&mut rng, &seeds[i % seeds.len()]);
        fuzz_support::kernel_image(&input);
        if i % 3 == 0 {
            fuzz_support::text_and_elf(&input);
        }
    }
}

// ---------------------------------------------------------------- JSON is public API

/// The `bootvet inspect --json` fixtures (made by fixtures/inspect/gen.sh) must still
/// deserialize into the inspect types, and say the same when serialized again.
#[test]
fn json_fixtures_still_deserialize() {
    fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(name: &str) -> T {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/inspect")
            .join(name);
        let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        assert_eq!(doc["schema"], "bootvet.inspect/1");
        let mut file = doc["files"][0].clone();
        let obj = file.as_object_mut().unwrap();
        obj.remove("path");
        obj.remove("kind");
        let value: T =
            serde_json::from_value(file.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(serde_json::to_value(&value).unwrap(), file, "{name}");
        value
    }
    let k: kernel::KernelImage = round_trip("kernel-debian.json");
    assert_eq!(k.release.as_deref(), Some("6.1.0-56-amd64"));
    let r: initrd::InitrdReport = round_trip("initrd-truncated.json");
    let e = r.error.unwrap();
    assert_eq!(e.kind, ErrorKind::Truncated);
    assert_eq!(e.offset, r.size);
    assert_eq!(
        e.kernel_message.as_deref(),
        Some("ZSTD-compressed data is truncated")
    );
}

/// IKCONFIG inside the compressed payload of a stand-in bzImage (a real gzip, xz or
/// zstd stream located by payload_offset/payload_length), and the output bound.
#[test]
fn ikconfig_inside_a_compressed_bzimage_payload() {
    let dir = tmp().join("ikconfig");
    std::fs::create_dir_all(&dir).unwrap();
    let config = "# Linux/x86 6.12.0 Kernel Configuration\nCONFIG_BLK_DEV_INITRD=y\nCONFIG_RD_GZIP=y\n# CONFIG_RD_ZSTD is not set\nCONFIG_EXT4_FS=m\n";
    write(&dir.join("config"), config.as_bytes());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/scenarios/standin-kernel.py");
    for (name, method) in [
        ("gzip", Compression::Gzip),
        ("xz", Compression::Xz),
        ("zstd", Compression::Zstd),
    ] {
        let out = dir.join(format!("vmlinuz-{name}"));
        let status = Command::new("python3")
            .arg(&script)
            .args(["6.12.0", out.to_str().unwrap(), "--ikconfig"])
            .arg(dir.join("config"))
            .args(["--compress", name])
            .status()
            .unwrap();
        assert!(status.success());
        let bytes = std::fs::read(&out).unwrap();
        let scan = kernel::embedded_config(Cursor::new(&bytes), kernel::IKCONFIG_MAX_OUTPUT)
            .unwrap()
            .expect("a payload");
        assert_eq!(scan.method, method);
        assert_eq!(scan.config.as_deref(), Some(config), "{name}");
        let parsed = KernelConfig::parse(scan.config.as_deref().unwrap());
        assert_eq!(parsed.get("EXT4_FS"), Value::Module);
        // The marker sits ~96 KiB in: a 64 KiB bound stops before it.
        let short = kernel::embedded_config(Cursor::new(&bytes), 64 << 10)
            .unwrap()
            .unwrap();
        assert_eq!(short.config, None, "{name}");
        assert!(
            !short.ended && short.output <= 64 << 10,
            "{name}: {short:?}"
        );
    }
    // A stand-in without a compressed payload has nothing to scan.
    let plain = dir.join("vmlinuz-plain");
    let status = Command::new("python3")
        .arg(&script)
        .args(["6.12.0", plain.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    let bytes = std::fs::read(&plain).unwrap();
    assert_eq!(
        kernel::embedded_config(Cursor::new(&bytes), kernel::IKCONFIG_MAX_OUTPUT).unwrap(),
        None
    );
}

/// Debian builds without CONFIG_IKCONFIG: its real xz payload (BCJ-filtered) is
/// decompressed to its end and yields no config.
#[test]
fn debian_bzimage_payload_has_no_ikconfig() {
    let Some((root, release)) = debian_kernel() else {
        return;
    };
    let bytes = std::fs::read(root.join(format!("boot/vmlinuz-{release}"))).unwrap();
    let scan = kernel::embedded_config(Cursor::new(&bytes), kernel::IKCONFIG_MAX_OUTPUT)
        .unwrap()
        .expect("a payload");
    assert_eq!(scan.method, Compression::Xz);
    assert!(scan.ended, "{scan:?}");
    assert!(scan.output > 16 << 20, "a whole vmlinux: {scan:?}");
    assert_eq!(scan.config, None);
}
