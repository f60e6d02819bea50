//! GRUB's own images on real bytes made at test time: `grub-mkimage` cores (i386-pc)
//! and EFI images (x86_64-efi, with `--sbat`, memdisk, `--disable-shim-lock`), a real
//! `grub-install --target=i386-pc` onto a loop device (behind BOOTVET_PRIVILEGED_TESTS),
//! Debian's signed monolithic grubx64.efi and its shim — and broken copies of them.
//! Fixtures are built under CARGO_TARGET_TMPDIR; Debian packages are cached outside
//! the repository.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use bootvet::inspect::grub_image::boot_sector::{self, BootSectorKind};
use bootvet::inspect::grub_image::core::{self, parse_core};
use bootvet::inspect::grub_image::efi::{self, EfiKind};
use bootvet::inspect::grub_image::module_area::{self, Word};
use bootvet::inspect::grub_image::{self as gi, FaultKind, GrubImage, GrubImageKind, version};

// ---------------------------------------------------------------- helpers

fn tmp(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("grub_image")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs a shell script in `dir`; panics with its stderr when it fails.
fn sh(dir: &Path, script: &str) -> String {
    let out = Command::new("sh")
        .arg("-ec")
        .arg(script)
        .current_dir(dir)
        .output()
        .expect("sh");
    assert!(
        out.status.success(),
        "`{script}` failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const GRUB_LIB: &str = "/usr/lib/grub";
const LOAD_CFG: &str = "search.fs_uuid 3ed3aa88-452d-4f63-bde7-71e878b4ad20 root hd0,gpt3\nset prefix=($root)'/boot/grub'\n";
const SBAT: &str = "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n\
                    grub,3,Free Software Foundation,grub,2.06,https://www.gnu.org/software/grub/\n\
                    grub.test,1,bootvet tests,grub2,2.06-99test1,https://example.invalid/\n";

/// `grub-mkimage -O i386-pc` with the modules of the reference's example (§1.4).
fn pc_core() -> &'static Vec<u8> {
    static CORE: OnceLock<Vec<u8>> = OnceLock::new();
    CORE.get_or_init(|| {
        let d = tmp("pc-core");
        std::fs::write(d.join("load.cfg"), LOAD_CFG).unwrap();
        sh(
            &d,
            "grub-mkimage -O i386-pc -o core.img -p '(,gpt3)/boot/grub' -c load.cfg \
             biosdisk part_gpt ext2 search_fs_uuid",
        );
        std::fs::read(d.join("core.img")).unwrap()
    })
}

fn efi_image(name: &str, extra: &str, modules: &str) -> Vec<u8> {
    let d = tmp(name);
    std::fs::write(d.join("load.cfg"), LOAD_CFG).unwrap();
    std::fs::write(d.join("sbat.csv"), SBAT).unwrap();
    sh(
        &d,
        &format!(
            "grub-mkimage -O x86_64-efi -o grubx64.efi -p /EFI/test -c load.cfg \
             --sbat sbat.csv {extra} {modules}"
        ),
    );
    std::fs::read(d.join("grubx64.efi")).unwrap()
}

fn grub_of(img: &efi::EfiImage) -> &GrubImage {
    match &img.kind {
        EfiKind::Grub(g) => g,
        other => panic!("not a GRUB image: {other:?}"),
    }
}

fn modinfo(target: &str) -> version::Modinfo {
    let text = std::fs::read_to_string(format!("{GRUB_LIB}/{target}/modinfo.sh")).unwrap();
    version::parse_modinfo(&text)
}

// ---------------------------------------------------------------- i386-pc

#[test]
fn mkimage_pc_core_gives_prefix_config_and_modules_in_dependency_order() {
    let bytes = pc_core();
    let core = parse_core(bytes).unwrap();
    let decompressor = std::fs::metadata(format!("{GRUB_LIB}/i386-pc/lzma_decompress.img"))
        .unwrap()
        .len();
    assert_eq!(u64::from(core.decompressor_size), decompressor);
    assert_eq!(
        bytes.len() as u64,
        512 + decompressor + u64::from(core.header.compressed_size)
    );
    assert_eq!(
        core.header.rs_redundancy, 0,
        "grub-setup adds RS, mkimage does not"
    );
    assert_eq!(core.header.boot_device, [0xff, 0xff, 0xff, 0]);
    assert!(core.area.faults.is_empty(), "{:?}", core.area.faults);
    let img = core.into_image();
    assert_eq!(img.prefix.as_deref(), Some("(,gpt3)/boot/grub"));
    assert_eq!(img.config.as_deref(), Some(LOAD_CFG));
    // moddep.lst: ext2 needs fshelp; mkimage writes dependencies first.
    assert_eq!(
        img.modules,
        ["biosdisk", "part_gpt", "fshelp", "ext2", "search_fs_uuid"]
    );
    let ext2 = &img.area.modules[3];
    assert_eq!(ext2.deps, ["fshelp"]);
    assert!(img.area.modules.iter().all(|m| m.license_accepted()));
    // Each embedded module is byte-for-byte the file in /usr/lib/grub/i386-pc: the
    // walk found the real object boundaries.
    let GrubImageKind::Bios { kernel_size, .. } = img.kind else {
        panic!("not a BIOS core")
    };
    assert!(kernel_size > 0x4000 && kernel_size < 0x68000 - 0x9000);
    assert!(img.version.is_none(), "an i386-pc core carries no version");
    // Debian 12's GRUB is 2.06: its kernel lacks the exports 2.12 added (BV6205).
    assert_eq!(
        modinfo("i386-pc").grub_version.as_deref(),
        Some("2.06"),
        "this test knows Debian 12's GRUB"
    );
    assert_eq!(img.kernel_series, Some(version::KernelSeries::Before2_12));
    assert!(img.memdisk.is_none() && img.sbat.is_empty());
}

#[test]
fn embedded_modules_are_the_files_grub_ships() {
    let bytes = pc_core();
    let core = parse_core(bytes).unwrap();
    let start = 512 + core.decompressor_size as usize;
    let image = core::decode(
        &bytes[start..start + core.header.compressed_size as usize],
        core.header.uncompressed_size as usize,
    )
    .unwrap();
    let area = &image[core.kernel_size as usize..];
    for m in &core.area.modules {
        let name = m.name.as_deref().unwrap();
        let file = std::fs::read(format!("{GRUB_LIB}/i386-pc/{name}.mod")).unwrap();
        let got = &area[m.offset as usize..(m.offset + m.size) as usize];
        // mkimage pads each module to 4 bytes with zeros.
        assert_eq!(&got[..file.len()], &file[..], "{name}");
        assert!(got[file.len()..].iter().all(|&b| b == 0));
    }
}

#[test]
fn pristine_diskboot_blocklist_is_relative_and_covers_the_core() {
    let bytes = pc_core();
    let d = boot_sector::parse_diskboot(&bytes[..512], None).unwrap();
    assert_eq!(d.blocklist.len(), 1);
    let e = d.blocklist[0];
    assert_eq!((e.start, e.segment), (2, 0x820));
    assert_eq!(u64::from(e.len), (bytes.len() as u64 - 512).div_ceil(512));
}

#[test]
fn pristine_boot_img_is_grubs_and_loads_sector_one() {
    let b = std::fs::read(format!("{GRUB_LIB}/i386-pc/boot.img")).unwrap();
    let s = boot_sector::parse_boot_sector(&b).unwrap();
    assert!(s.signature);
    assert_eq!(
        s.kind,
        BootSectorKind::Grub {
            kernel_sector: 1,
            boot_drive: 0xff
        }
    );
}

#[test]
fn blank_foreign_and_unsigned_boot_sectors() {
    let zero = vec![0u8; 512];
    let s = boot_sector::parse_boot_sector(&zero).unwrap();
    assert_eq!((s.kind, s.signature), (BootSectorKind::Blank, false));
    // A protective MBR from sgdisk: table and signature, no code.
    let d = tmp("pmbr");
    sh(&d, "truncate -s 4M d.img && sgdisk -o d.img >/dev/null");
    let pmbr = std::fs::read(d.join("d.img")).unwrap();
    let s = boot_sector::parse_boot_sector(&pmbr[..512]).unwrap();
    assert_eq!((s.kind, s.signature), (BootSectorKind::Blank, true));
    // GRUB's lnxboot.img is GRUB code, but not boot.img: not what the BIOS path needs.
    let other = std::fs::read(format!("{GRUB_LIB}/i386-pc/lnxboot.img")).unwrap();
    let s = boot_sector::parse_boot_sector(&other[..512]).unwrap();
    assert_eq!(s.kind, BootSectorKind::Other);
    let mut b = std::fs::read(format!("{GRUB_LIB}/i386-pc/boot.img")).unwrap();
    b[0x1fe] = 0;
    let s = boot_sector::parse_boot_sector(&b).unwrap();
    assert!(matches!(s.kind, BootSectorKind::Grub { .. }) && !s.signature);
    let e = boot_sector::parse_boot_sector(&b[..300]).unwrap_err();
    assert_eq!(e.kind, FaultKind::Truncated);
}

/// A disk image laid out as grub-setup embeds: boot.img at LBA 0 pointing at LBA
/// `at`, the core there with its blocklist rewritten to absolute LBAs.
fn embedded_disk(at: u64) -> Vec<u8> {
    let core = pc_core();
    let mut disk = vec![0u8; (at as usize + 1) * 512 + core.len().next_multiple_of(512)];
    let boot = std::fs::read(format!("{GRUB_LIB}/i386-pc/boot.img")).unwrap();
    disk[..512].copy_from_slice(&boot);
    disk[0x5c..0x64].copy_from_slice(&at.to_le_bytes());
    let c = at as usize * 512;
    disk[c..c + core.len()].copy_from_slice(core);
    disk[c + 0x1f4..c + 0x1fc].copy_from_slice(&(at + 1).to_le_bytes());
    disk
}

fn chain_of(disk: &[u8]) -> gi::BiosChain {
    let mut read = |lba: u64, n: u32| {
        let s = lba as usize * 512;
        disk.get(s..s + n as usize * 512).map(<[u8]>::to_vec)
    };
    gi::follow_bios_chain(&disk[..512], &mut read)
}

#[test]
fn bios_chain_follows_mbr_to_core() {
    let chain = chain_of(&embedded_disk(2048));
    assert!(chain.fault.is_none(), "{:?}", chain.fault);
    let core = chain.core.unwrap();
    assert_eq!(core.prefix.as_deref(), Some("(,gpt3)/boot/grub"));
    assert_eq!(core.modules.len(), 5);
    assert_eq!(chain.diskboot.unwrap().blocklist[0].start, 2049);
}

#[test]
fn bios_chain_to_zeroed_core_says_blank() {
    let mut disk = embedded_disk(2048);
    disk[2048 * 512..].fill(0);
    let chain = chain_of(&disk);
    assert!(matches!(
        chain.boot_sector.kind,
        BootSectorKind::Grub { .. }
    ));
    let f = chain.fault.unwrap();
    assert_eq!(f.kind, FaultKind::Blank, "{f}");
    // kernel_sector past the end of the disk.
    let mut disk = embedded_disk(2048);
    disk[0x5c..0x64].copy_from_slice(&1_000_000u64.to_le_bytes());
    let f = chain_of(&disk).fault.unwrap();
    assert_eq!(f.kind, FaultKind::Truncated);
    assert!(f.message.contains("1000000"), "{f}");
}

#[test]
fn hostile_blocklists_are_refused_with_the_reason() {
    type Case = (&'static str, fn(&mut [u8]), &'static str);
    let cases: [Case; 5] = [
        (
            "self",
            |s| s[0x1f4..0x1fc].copy_from_slice(&2048u64.to_le_bytes()),
            "diskboot sector itself",
        ),
        (
            "mbr",
            |s| s[0x1f4..0x1fc].copy_from_slice(&0u64.to_le_bytes()),
            "LBA 0",
        ),
        (
            "huge",
            |s| s[0x1fc..0x1fe].copy_from_slice(&0xffffu16.to_le_bytes()),
            "more than",
        ),
        (
            "segment",
            |s| s[0x1fe..0x200].copy_from_slice(&0x1000u16.to_le_bytes()),
            "segment",
        ),
        (
            "overlap",
            |s| {
                // A second entry reading the first entry's sectors again.
                s[0x1e8..0x1f0].copy_from_slice(&2050u64.to_le_bytes());
                s[0x1f0..0x1f2].copy_from_slice(&4u16.to_le_bytes());
                let len = u16::from_le_bytes([s[0x1fc], s[0x1fd]]);
                s[0x1f2..0x1f4].copy_from_slice(&(0x820 + len * 0x20).to_le_bytes());
            },
            "overlaps entry 1",
        ),
    ];
    for (name, patch, says) in cases {
        let mut disk = embedded_disk(2048);
        patch(&mut disk[2048 * 512..2049 * 512]);
        let f = chain_of(&disk)
            .fault
            .unwrap_or_else(|| panic!("{name}: no fault"));
        assert!(
            matches!(f.kind, FaultKind::BadBlocklist | FaultKind::TooBig),
            "{name}: {f}"
        );
        assert!(f.message.contains(says), "{name}: {f}");
    }
}

#[test]
fn lying_core_sizes_are_bounded_errors() {
    let good = pc_core();
    let set = |off: usize, v: u32| {
        let mut b = good.clone();
        b[off..off + 4].copy_from_slice(&v.to_le_bytes());
        b
    };
    let e = parse_core(&set(0x20c, u32::MAX)).unwrap_err();
    assert_eq!(e.kind, FaultKind::TooBig);
    assert_eq!(e.offset, 0x20c);
    let e = parse_core(&set(0x208, u32::MAX)).unwrap_err();
    assert_eq!((e.kind, e.offset), (FaultKind::TooBig, 0x208));
    let c = parse_core(good).unwrap();
    // A compressed size longer than the file: truncated.
    let e = parse_core(&set(0x208, c.header.compressed_size + 4096)).unwrap_err();
    assert_eq!(e.kind, FaultKind::Truncated, "{e}");
    // Uncompressed sizes that do not match what the payload holds.
    for delta in [-100i64, -1, 1, 5000] {
        let v = (i64::from(c.header.uncompressed_size) + delta) as u32;
        let e = parse_core(&set(0x20c, v)).unwrap_err();
        assert!(
            matches!(e.kind, FaultKind::NoModuleArea | FaultKind::Decompress),
            "{delta}: {e}"
        );
    }
}

#[test]
fn truncated_cores_fail_at_every_interesting_offset() {
    let good = pc_core();
    let c = parse_core(good).unwrap();
    let payload = 512 + c.decompressor_size as usize;
    for cut in [
        0,
        100,
        511,
        512,
        0x208,
        0x21b,
        0x21c,
        payload - 1,
        payload,
        payload + 1,
        payload + 100,
        good.len() / 2,
        good.len() - 8,
        good.len() - 1,
    ] {
        let e = parse_core(&good[..cut]).unwrap_err();
        assert!(
            matches!(e.kind, FaultKind::Truncated | FaultKind::Decompress),
            "cut at {cut}: {e}"
        );
    }
}

#[test]
fn flipped_payload_bytes_never_pass_silently() {
    let good = pc_core();
    let c = parse_core(good).unwrap();
    let payload = 512 + c.decompressor_size as usize;
    let mut errors = 0;
    for at in (payload + 16..good.len()).step_by(997) {
        let mut b = good.clone();
        b[at] ^= 0x55;
        match parse_core(&b) {
            Err(_) => errors += 1,
            // A flip deep in the payload can decode to other bytes of the same length;
            // the area must then still be consistent.
            Ok(core) => assert_eq!(core.kernel_size, c.kernel_size, "flip at {at}"),
        }
    }
    assert!(errors > 0);
}

/// Re-encodes a patched kernel + module area with `xz --format=raw` (LZMA1 with GRUB's
/// parameters) behind the real decompressor, to test the module-area walk end to end.
fn recompressed_core(image: &[u8]) -> Vec<u8> {
    let good = pc_core();
    let c = parse_core(good).unwrap();
    // Two tests recompress at once: each call gets its own directory, or one test's
    // cleanup deletes the other's input mid-run.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = tmp(&format!("recompress-{call}"));
    std::fs::write(d.join("image"), image).unwrap();
    sh(
        &d,
        "xz --format=raw --lzma1=dict=64KiB,lc=3,lp=0,pb=2 -c image > payload",
    );
    let payload = std::fs::read(d.join("payload")).unwrap();
    let mut core = good[..512 + c.decompressor_size as usize].to_vec();
    core[0x208..0x20c].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    core[0x20c..0x210].copy_from_slice(&(image.len() as u32).to_le_bytes());
    core.extend_from_slice(&payload);
    core
}

fn decoded_pc_image() -> (Vec<u8>, usize) {
    let good = pc_core();
    let c = parse_core(good).unwrap();
    let start = 512 + c.decompressor_size as usize;
    let image = core::decode(
        &good[start..start + c.header.compressed_size as usize],
        c.header.uncompressed_size as usize,
    )
    .unwrap();
    (image, c.kernel_size as usize)
}

#[test]
fn module_area_faults_end_to_end() {
    let (image, at) = decoded_pc_image();
    // Round trip first: the re-encoded core reads the same.
    let same = parse_core(&recompressed_core(&image)).unwrap();
    assert_eq!(same.into_image().modules.len(), 5);
    // The first object (biosdisk) claims a size past the area's end.
    let mut bad = image.clone();
    let first = at + 12;
    bad[first + 4..first + 8].copy_from_slice(&0x0100_0000u32.to_le_bytes());
    let img = parse_core(&recompressed_core(&bad)).unwrap().into_image();
    assert!(img.modules.is_empty() && img.prefix.is_none());
    let f = &img.area.faults[0];
    assert_eq!(f.kind, FaultKind::BadModuleArea);
    assert!(f.message.contains("runs past the module area's end"), "{f}");
    // Size 0: GRUB itself would spin on it.
    bad[first + 4..first + 8].copy_from_slice(&0u32.to_le_bytes());
    let img = parse_core(&recompressed_core(&bad)).unwrap().into_image();
    assert!(
        img.area.faults[0]
            .message
            .contains("smaller than its header")
    );
    // A module whose license GRUB refuses.
    let mut lic = image.clone();
    let p = gi_find(&lic[at..], b"LICENSE=GPLv3+").unwrap() + at;
    lic[p + 8..p + 14].copy_from_slice(b"MIT\0\0\0");
    let img = parse_core(&recompressed_core(&lic)).unwrap().into_image();
    assert!(
        img.area
            .faults
            .iter()
            .any(|f| f.kind == FaultKind::BadModule && f.message.contains("incompatible license")),
        "{:?}",
        img.area.faults
    );
}

/// `grub-install --force` without embedding: diskboot reads the core.img *file* by
/// blocklist, so the bytes come in whole sectors with no Reed-Solomon length to say
/// where the payload starts; the decompressor's size is then found by search.
#[test]
fn core_read_in_whole_sectors_without_rs_is_found_by_search() {
    let good = pc_core();
    let want = parse_core(good).unwrap();
    for pad in [1, 100, 511] {
        let mut b = good.clone();
        b.resize(good.len() + pad, 0);
        let c = parse_core(&b).unwrap();
        assert_eq!(c.decompressor_size, want.decompressor_size, "pad {pad}");
        assert_eq!(c.area, want.area);
    }
}

/// A payload that really decodes to the claimed size but holds no module area (a
/// zero bomb at our 16 MiB cap), and one claiming a byte more than the cap.
#[test]
fn zero_bomb_at_the_cap_is_decoded_and_refused() {
    let zeros = vec![0u8; core::MAX_UNCOMPRESSED as usize];
    let bomb = recompressed_core(&zeros);
    assert!(bomb.len() < 64 << 10, "{} bytes", bomb.len());
    let started = std::time::Instant::now();
    let e = parse_core(&bomb).unwrap_err();
    assert_eq!(e.kind, FaultKind::NoModuleArea, "{e}");
    eprintln!("16 MiB bomb refused in {:?}", started.elapsed());
    let mut over = bomb.clone();
    over[0x20c..0x210].copy_from_slice(&(core::MAX_UNCOMPRESSED + 1).to_le_bytes());
    assert_eq!(parse_core(&over).unwrap_err().kind, FaultKind::TooBig);
}

fn gi_find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn module_area_header_lies_are_faults() {
    let (image, at) = decoded_pc_image();
    let mut area = image[at..].to_vec();
    area[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    let a = module_area::walk(&area, Word::W32);
    assert_eq!(a.faults[0].kind, FaultKind::Truncated);
    assert_eq!(
        a.modules.len(),
        5,
        "the objects that are there are still read"
    );
    let a = module_area::walk(&area, Word::W64);
    assert_eq!(a.faults[0].kind, FaultKind::NoModuleArea);
}

// ---------------------------------------------------------------- grub-install (privileged)

fn privileged() -> bool {
    if std::env::var_os("BOOTVET_PRIVILEGED_TESTS").is_none() {
        eprintln!("skipped: set BOOTVET_PRIVILEGED_TESTS=1 (needs root and loop devices)");
        return false;
    }
    true
}

/// A real `grub-install --target=i386-pc` onto a GPT disk (BIOS boot partition +
/// ext4) attached as a whole-disk loop device; the boot directory is the ext4, mounted
/// through a second loop device at the partition's offset (this kernel makes no
/// partition nodes), so grub-install embeds a `search.fs_uuid` config.
#[test]
fn grub_install_onto_a_loop_device_reads_back_from_the_image() {
    if !privileged() {
        return;
    }
    let d = tmp("grub-install");
    let script = r#"
        truncate -s 64M disk.img
        sgdisk -n1:2048:+1M -t1:ef02 -n2:4096:0 -t2:8300 disk.img >/dev/null
        mkfs.ext4 -q -F -E offset=$((4096*512)) disk.img $(( (131039-4096)/2 ))k
        disk=$(losetup -f --show disk.img)
        part=$(losetup -f --show -o $((4096*512)) --sizelimit $(( (131039-4096)*512 )) disk.img)
        mkdir -p mnt
        mount "$part" mnt
        cleanup() { umount mnt || true; losetup -d "$part" || true; losetup -d "$disk" || true; }
        trap cleanup EXIT
        mkdir -p mnt/boot
        grub-install --target=i386-pc --boot-directory="$PWD/mnt/boot" --modules='part_gpt ext2' "$disk" >log 2>&1
        cp mnt/boot/grub/i386-pc/core.img mnt/boot/grub/i386-pc/load.cfg mnt/boot/grub/i386-pc/modinfo.sh .
        blkid -p -o value -s UUID "$part" > uuid
    "#;
    sh(&d, script);
    let disk = std::fs::read(d.join("disk.img")).unwrap();
    let chain = chain_of(&disk);
    assert!(chain.fault.is_none(), "{:?}", chain.fault);
    assert!(chain.boot_sector.signature);
    assert_eq!(
        chain.boot_sector.kind,
        BootSectorKind::Grub {
            kernel_sector: 2048,
            boot_drive: 0xff
        }
    );
    let db = chain.diskboot.unwrap();
    assert_eq!(db.blocklist.len(), 1);
    assert_eq!(db.blocklist[0].start, 2049, "embedded right after diskboot");
    let from_disk = chain.core.unwrap();
    let file = std::fs::read(d.join("core.img")).unwrap();
    let from_file = parse_core(&file).unwrap();
    assert!(
        from_file.header.rs_redundancy == 0,
        "the file is grub-mkimage's output"
    );
    let from_file = from_file.into_image();
    let GrubImageKind::Bios { header, .. } = &from_disk.kind else {
        panic!()
    };
    assert!(
        header.rs_redundancy > 0,
        "grub-setup added Reed-Solomon bytes"
    );
    assert_eq!(from_disk.prefix, from_file.prefix);
    assert_eq!(from_disk.config, from_file.config);
    assert_eq!(from_disk.modules, from_file.modules);
    let load_cfg = std::fs::read_to_string(d.join("load.cfg")).unwrap();
    eprintln!(
        "grub-install core: prefix {:?}, modules {:?}, blocklist {:?}, {:?}",
        from_disk.prefix, from_disk.modules, db.blocklist, from_disk.kind
    );
    assert_eq!(from_disk.config.as_deref(), Some(load_cfg.as_str()));
    let uuid = std::fs::read_to_string(d.join("uuid")).unwrap();
    assert!(load_cfg.contains(uuid.trim()), "{load_cfg}");
    assert_eq!(from_disk.prefix.as_deref(), Some("/boot/grub"));
    for m in ["biosdisk", "part_gpt", "ext2", "search_fs_uuid"] {
        assert!(
            from_disk.modules.iter().any(|x| x == m),
            "{m}: {:?}",
            from_disk.modules
        );
    }
    let m = version::parse_modinfo(&std::fs::read_to_string(d.join("modinfo.sh")).unwrap());
    assert_eq!(m.target().as_deref(), Some("i386-pc"));
}

#[path = "grub_image/efi.rs"]
mod efi_images;
#[path = "grub_image/fuzz.rs"]
mod fuzz_runs;

// ---------------------------------------------------------------- kernel exports vs modules

/// Unresolved symbols of every module in a directory against a kernel, with each
/// module's `.moddeps` closure (read from the same directory).
fn unresolved_in_dir(kernel: &[u8], dir: &str) -> Vec<(String, String)> {
    use bootvet::inspect::grub_image::symbols;
    use std::collections::{BTreeMap, BTreeSet};
    let names = symbols::kernel_names(kernel);
    let mut mods = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "mod") {
            let bytes = std::fs::read(&p).unwrap();
            let info = module_area::read_module(&bytes, 0).unwrap();
            let syms = symbols::module_symbols(&bytes).unwrap();
            mods.insert(info.name.clone().unwrap(), (info.deps, syms));
        }
    }
    let mut out = Vec::new();
    for (name, (deps, syms)) in &mods {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<&str> = deps.iter().map(String::as_str).collect();
        while let Some(d) = todo.pop() {
            if seen.insert(d)
                && let Some((dd, _)) = mods.get(d)
            {
                todo.extend(dd.iter().map(String::as_str));
            }
        }
        let defined: BTreeSet<&str> = seen
            .iter()
            .filter_map(|d| mods.get(*d))
            .flat_map(|(_, s)| s.defined.iter().map(String::as_str))
            .collect();
        for s in symbols::unresolved(syms, &names, &defined) {
            out.push((name.clone(), s.to_string()));
        }
    }
    out
}

#[test]
fn every_module_of_the_same_build_resolves_against_the_core_kernel() {
    let (image, at) = decoded_pc_image();
    let kernel = &image[..at];
    let missing = unresolved_in_dir(kernel, &format!("{GRUB_LIB}/i386-pc"));
    assert!(missing.is_empty(), "{missing:?}");
    // The same kernel without `grub_calloc` (new in 2.06: a 2.04 core): the modules
    // that call it are the ones GRUB would refuse with `symbol 'grub_calloc' not found`.
    let mut old = kernel.to_vec();
    let p = gi_find(&old, b"\0grub_calloc\0").unwrap();
    old[p + 1..p + 12].copy_from_slice(b"grub_callox");
    let missing = unresolved_in_dir(&old, &format!("{GRUB_LIB}/i386-pc"));
    assert!(!missing.is_empty());
    assert!(
        missing.iter().all(|(_, s)| s == "grub_calloc"),
        "{missing:?}"
    );
    assert!(missing.iter().any(|(m, _)| m == "normal"), "{missing:?}");
}
