//! `bootvet devices` and the probe API on real images built at test time with
//! real tools (sgdisk, sfdisk, mkfs.ext4 -d, mkfs.vfat + mcopy, mkswap, blkid,
//! debugfs). Images live in a temp dir and are never committed.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::{FileExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use bootvet::facts::files::FileKind;
use bootvet::facts::storage::{
    HeaderState, OfflineAccess, ProblemKind, Source, Storage, TableKind,
};
use bootvet::facts::volumes::{Resolution, VolumeRef, volumes};
use bootvet::probe::fs::{FileError, VolumeFiles, open_volume};
use bootvet::probe::resolve::{Query, resolve, search_file};
use bootvet::probe::{self, fuzz_support};

mod support;
use support::{Rng, run};

const MIB: u64 = 1024 * 1024;

/// Deterministic bytes that compress badly, so extents are real data.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed | 1);
    (0..len).map(|_| (rng.next_u64() >> 24) as u8).collect()
}

/// The files every test filesystem carries.
fn source_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    files.insert("boot/vmlinuz-6.1.0-13-amd64".to_string(), noise(700_000, 1));
    // A run of zeros in the middle: mkfs.ext4 -d turns it into a hole.
    let mut initrd = noise(300_000, 2);
    initrd.extend(vec![0u8; 200_000]);
    initrd.extend(noise(123_457, 3));
    files.insert("boot/initrd.img-6.1.0-13-amd64".to_string(), initrd);
    files.insert(
        "boot/grub/grub.cfg".to_string(),
        b"set default=0\nmenuentry 'Debian' {\n  linux /boot/vmlinuz root=UUID=x\n}\n".to_vec(),
    );
    files.insert("boot/empty".to_string(), Vec::new());
    files.insert("EFI/debian/shimx64.efi".to_string(), noise(50_001, 4));
    files.insert(
        "EFI/debian/A long file name.conf".to_string(),
        b"long names come from VFAT LFN entries\n".to_vec(),
    );
    for (name, data) in &files {
        let p = dir.join(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, data).unwrap();
    }
    files
}

struct Part {
    start: u64,
    size: u64,
}

/// Partition start/size in bytes as sfdisk reads them (an independent reader).
fn sfdisk_layout(img: &Path, sector: u64) -> Vec<Part> {
    let out = run("sfdisk", &["--json", img.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["partitiontable"]["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| Part {
            start: p["start"].as_u64().unwrap() * sector,
            size: p["size"].as_u64().unwrap() * sector,
        })
        .collect()
}

fn mkfs_ext4(img: &Path, src: &Path, start: u64, size: u64, extra: &[&str]) {
    let offset = format!("offset={start}");
    let blocks = format!("{}k", size / 1024);
    let mut args = vec![
        "-q",
        "-F",
        "-t",
        "ext4",
        "-d",
        src.to_str().unwrap(),
        "-E",
        &offset,
    ];
    args.extend_from_slice(extra);
    args.push(img.to_str().unwrap());
    args.push(&blocks);
    run("mke2fs", &args);
}

fn mkfs_vfat(img: &Path, src: &Path, start: u64, size: u64, extra: &[&str]) {
    assert_eq!(start % 512, 0);
    let off = format!("--offset={}", start / 512);
    let blocks = (size / 1024).to_string();
    let mut args = vec![off.as_str()];
    args.extend_from_slice(extra);
    args.push(img.to_str().unwrap());
    args.push(&blocks);
    run("mkfs.vfat", &args);
    let target = format!("{}@@{start}", img.display());
    for entry in fs::read_dir(src).unwrap() {
        let p = entry.unwrap().path();
        run("mcopy", &["-s", "-i", &target, p.to_str().unwrap(), "::/"]);
    }
}

fn mkswap_at(dir: &Path, img: &Path, start: u64, size: u64) {
    let swap = dir.join("swap.bin");
    run(
        "truncate",
        &["-s", &size.to_string(), swap.to_str().unwrap()],
    );
    run("mkswap", &["-q", "-L", "swaplabel", swap.to_str().unwrap()]);
    let data = fs::read(&swap).unwrap();
    let f = fs::OpenOptions::new().write(true).open(img).unwrap();
    f.write_all_at(&data, start).unwrap();
}

/// A GPT disk: BIOS boot, ESP (FAT32), root (ext4), swap.
fn gpt_image(dir: &Path, name: &str, ext4_uuid: &str) -> (PathBuf, BTreeMap<String, Vec<u8>>) {
    let img = dir.join(name);
    let src = dir.join(format!("{name}.src"));
    let files = source_tree(&src);
    run("truncate", &["-s", "160M", img.to_str().unwrap()]);
    run(
        "sgdisk",
        &[
            "-n1:2048:+1M",
            "-t1:ef02",
            "-c1:bios",
            "-n2:0:+40M",
            "-t2:ef00",
            "-c2:EFI system",
            "-n3:0:+100M",
            "-t3:8300",
            "-c3:root",
            "-n4:0:0",
            "-t4:8200",
            "-c4:swap",
            img.to_str().unwrap(),
        ],
    );
    let parts = sfdisk_layout(&img, 512);
    mkfs_vfat(
        &img,
        &src,
        parts[1].start,
        parts[1].size,
        &["-F", "32", "-n", "ESPLABEL", "-i", "1234ABCD"],
    );
    mkfs_ext4(
        &img,
        &src,
        parts[2].start,
        parts[2].size,
        &["-L", "rootfs", "-U", ext4_uuid],
    );
    mkswap_at(dir, &img, parts[3].start, parts[3].size);
    (img, files)
}

/// An MBR disk: two primaries, an extended partition with three logicals.
fn mbr_image(dir: &Path) -> (PathBuf, BTreeMap<String, Vec<u8>>) {
    let img = dir.join("mbr.img");
    let src = dir.join("mbr.src");
    let files = source_tree(&src);
    run("truncate", &["-s", "200M", img.to_str().unwrap()]);
    // Logical partitions are the ones that start inside the extended one.
    let script = "label: dos\nlabel-id: 0xdeadbeef\n\
                  start=2048, size=81920, type=c, bootable\n\
                  start=83968, size=40960, type=83\n\
                  start=124928, size=266240, type=5\n\
                  start=126976, size=102400, type=83\n\
                  start=231424, size=61440, type=82\n\
                  start=294912, size=96256, type=83\n";
    let mut child = Command::new("sfdisk")
        .args(["-q", img.to_str().unwrap()])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), script.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    let parts = sfdisk_layout(&img, 512);
    // sfdisk lists 1, 2, 3 (extended), 5, 6, 7.
    mkfs_vfat(
        &img,
        &src,
        parts[0].start,
        parts[0].size,
        &["-F", "16", "-n", "BOOTFAT"],
    );
    mkfs_ext4(
        &img,
        &src,
        parts[3].start,
        parts[3].size,
        &["-L", "logical5"],
    );
    mkswap_at(dir, &img, parts[4].start, parts[4].size);
    (img, files)
}

fn facts_for(images: &[&Path]) -> Storage {
    let paths: Vec<PathBuf> = images.iter().map(|p| p.to_path_buf()).collect();
    probe::probe_images(&paths).expect("probe images")
}

fn volume(facts: &Storage, grub: &str) -> VolumeRef {
    match resolve(facts, &Query::parse(grub).unwrap()) {
        Resolution::One(v) => v,
        other => panic!("{grub} resolved to {other:?}"),
    }
}

fn read_all(v: &dyn VolumeFiles, path: &str) -> Vec<u8> {
    let mut f = v.open(path).unwrap_or_else(|e| panic!("open {path}: {e}"));
    let mut data = Vec::new();
    f.read_to_end(&mut data).unwrap();
    data
}

/// Every extent must address exactly the file's bytes on the image.
fn assert_extents_match(img: &Path, v: &dyn VolumeFiles, path: &str, expected: &[u8]) {
    let stat = v.stat(path).unwrap();
    assert_eq!(stat.size, expected.len() as u64, "{path} size");
    assert_eq!(stat.kind, FileKind::File);
    let image = fs::File::open(img).unwrap();
    let mut covered = 0;
    for e in &stat.extents {
        let mut buf = vec![0u8; e.length as usize];
        image.read_exact_at(&mut buf, e.disk_byte_offset).unwrap();
        let want = &expected[e.file_offset as usize..(e.file_offset + e.length) as usize];
        assert!(
            buf == want,
            "{path}: extent {e:?} does not hold the file's bytes"
        );
        covered += e.length;
    }
    // Whatever no extent covers must be a hole, i.e. zeros.
    let mut mapped = vec![false; expected.len()];
    for e in &stat.extents {
        mapped[e.file_offset as usize..(e.file_offset + e.length) as usize].fill(true);
    }
    for (i, m) in mapped.iter().enumerate() {
        if !m {
            assert_eq!(expected[i], 0, "{path}: unmapped byte {i} is not zero");
        }
    }
    assert_eq!(
        stat.has_holes,
        covered < expected.len() as u64,
        "{path} holes flag"
    );
}

/// `blkid -p` on the same byte range, as KEY=VALUE pairs.
fn blkid_p(img: &Path, start: u64, size: u64) -> BTreeMap<String, String> {
    let out = Command::new("blkid")
        .args([
            "-p",
            "-o",
            "export",
            "-O",
            &start.to_string(),
            "-S",
            &size.to_string(),
            img.to_str().unwrap(),
        ])
        .output()
        .expect("run blkid");
    // Status 2: nothing recognised (the BIOS boot partition).
    assert!(
        matches!(out.status.code(), Some(0 | 2)),
        "blkid failed: {out:?}"
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        // `-o export` escapes spaces for the shell: `LVM2\ 001`.
        .map(|(k, v)| (k.to_string(), v.replace("\\ ", " ")))
        .collect()
}

#[test]
fn gpt_image_lists_partitions_with_names_types_and_uuids() {
    let dir = tempfile::tempdir().unwrap();
    let (img, _) = gpt_image(
        dir.path(),
        "gpt.img",
        "6a0e7b0e-1111-4a4a-9b9b-0123456789ab",
    );
    let facts = facts_for(&[&img]);
    let disk = &facts.disks[0];
    let table = disk.table.as_ref().unwrap();
    assert_eq!(table.kind, TableKind::Gpt);
    assert_eq!(table.sector_size, 512);
    assert_eq!(table.primary_header, Some(HeaderState::Valid));
    assert_eq!(table.backup_header, Some(HeaderState::Valid));
    assert!(table.has_bios_boot_partition && table.has_esp && table.protective_mbr);
    let names: Vec<&str> = disk
        .partitions
        .iter()
        .map(|p| p.grub_name.as_str())
        .collect();
    assert_eq!(names, ["hd0,gpt1", "hd0,gpt2", "hd0,gpt3", "hd0,gpt4"]);
    let types: Vec<&str> = disk
        .partitions
        .iter()
        .map(|p| p.type_name.as_str())
        .collect();
    assert_eq!(
        types,
        ["BIOS boot", "EFI System", "Linux filesystem", "Linux swap"]
    );
    assert_eq!(disk.partitions[1].partlabel.as_deref(), Some("EFI system"));
    let fstypes: Vec<Option<&str>> = disk
        .partitions
        .iter()
        .map(|p| p.filesystem.as_ref().map(|f| f.fstype.as_str()))
        .collect();
    assert_eq!(fstypes, [None, Some("vfat"), Some("ext4"), Some("swap")]);
    // PARTUUIDs and offsets agree with sfdisk, an independent reader.
    let parts = sfdisk_layout(&img, 512);
    let out = run("sfdisk", &["--json", img.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for (i, p) in disk.partitions.iter().enumerate() {
        assert_eq!(p.start_byte, parts[i].start);
        assert_eq!(p.size_bytes, parts[i].size);
        let uuid = v["partitiontable"]["partitions"][i]["uuid"]
            .as_str()
            .unwrap();
        assert!(uuid.eq_ignore_ascii_case(p.partuuid.as_deref().unwrap()));
    }
    assert!(
        facts
            .problems
            .iter()
            .all(|p| p.kind == ProblemKind::GptWithoutBiosBoot)
            && facts.problems.is_empty()
    );
    // Text output: aligned table with GRUB names; exit 0.
    let out = support::bootvet_output(&[
        "devices",
        "--color",
        "never",
        "--image",
        img.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("(hd0,gpt2)") && text.contains("ESPLABEL") && text.contains("rootfs"),
        "{text}"
    );
    assert!(text.contains("cannot read swap without mounting"), "{text}");
}

#[test]
fn fs_identity_equals_blkid_p_on_every_partition() {
    let dir = tempfile::tempdir().unwrap();
    let (gpt, _) = gpt_image(
        dir.path(),
        "gpt.img",
        "6a0e7b0e-2222-4a4a-9b9b-0123456789ab",
    );
    let (mbr, _) = mbr_image(dir.path());
    let facts = facts_for(&[&gpt, &mbr]);
    let mut compared = 0;
    for (disk, img) in facts.disks.iter().zip([&gpt, &mbr]) {
        for p in &disk.partitions {
            let theirs = blkid_p(img, p.start_byte, p.size_bytes);
            let Some(fs) = &p.filesystem else {
                assert!(
                    !theirs.contains_key("TYPE"),
                    "{}: blkid found {theirs:?}",
                    p.grub_name
                );
                continue;
            };
            for key in [
                "TYPE",
                "UUID",
                "UUID_SUB",
                "LABEL",
                "VERSION",
                "USAGE",
                "BLOCK_SIZE",
            ] {
                assert_eq!(
                    fs.blkid.get(key),
                    theirs.get(key),
                    "{} {key}: ours {:?} blkid {:?}",
                    p.grub_name,
                    fs.blkid,
                    theirs
                );
            }
            assert_eq!(Some(&fs.fstype), theirs.get("TYPE"));
            compared += 1;
        }
    }
    assert_eq!(
        compared, 6,
        "vfat, ext4, swap on GPT; vfat, ext4, swap on MBR"
    );
}

#[test]
fn mbr_with_logical_partitions_numbers_them_from_msdos5() {
    let dir = tempfile::tempdir().unwrap();
    let (img, files) = mbr_image(dir.path());
    let facts = facts_for(&[&img]);
    let disk = &facts.disks[0];
    let table = disk.table.as_ref().unwrap();
    assert_eq!(table.kind, TableKind::Msdos);
    assert_eq!(table.id, "deadbeef");
    let got: Vec<(&str, bool, &str)> = disk
        .partitions
        .iter()
        .map(|p| {
            (
                p.grub_name.as_str(),
                p.logical,
                p.partuuid.as_deref().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("hd0,msdos1", false, "deadbeef-01"),
            ("hd0,msdos2", false, "deadbeef-02"),
            ("hd0,msdos5", true, "deadbeef-05"),
            ("hd0,msdos6", true, "deadbeef-06"),
            ("hd0,msdos7", true, "deadbeef-07"),
        ]
    );
    assert!(disk.partitions[0].bootable);
    assert_eq!(disk.partitions[0].type_name, "FAT32 (LBA)");
    let l5 = disk.partitions[2].filesystem.as_ref().unwrap();
    assert_eq!(
        (l5.fstype.as_str(), l5.label.as_deref()),
        ("ext4", Some("logical5"))
    );
    // Files on the logical partition read back byte for byte.
    let v = open_volume(&facts, &volume(&facts, "(hd0,msdos5)")).unwrap();
    let name = "boot/vmlinuz-6.1.0-13-amd64";
    assert_eq!(read_all(v.as_ref(), name), files[name]);
    assert_extents_match(&img, v.as_ref(), name, &files[name]);
    // FAT16 on msdos1.
    let f = open_volume(&facts, &volume(&facts, "hd0,1")).unwrap();
    assert_eq!(read_all(f.as_ref(), name), files[name]);
    assert_extents_match(&img, f.as_ref(), name, &files[name]);
    assert!(facts.problems.is_empty(), "{:?}", facts.problems);
}

#[test]
fn ext4_files_read_back_and_extents_hold_their_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (img, files) = gpt_image(
        dir.path(),
        "gpt.img",
        "6a0e7b0e-3333-4a4a-9b9b-0123456789ab",
    );
    let facts = facts_for(&[&img]);
    let v = open_volume(&facts, &volume(&facts, "(hd0,gpt3)")).unwrap();
    for (name, data) in &files {
        assert_eq!(&read_all(v.as_ref(), name), data, "{name}");
        assert_extents_match(&img, v.as_ref(), name, data);
    }
    let initrd = v.stat("/boot/initrd.img-6.1.0-13-amd64").unwrap();
    assert!(
        initrd.has_holes,
        "the zero run should be a hole: {initrd:?}"
    );
    // Seeking streams from the middle.
    let mut f = v.open("/boot/vmlinuz-6.1.0-13-amd64").unwrap();
    f.seek(SeekFrom::Start(654_321)).unwrap();
    let mut buf = [0u8; 100];
    f.read_exact(&mut buf).unwrap();
    assert_eq!(
        &buf[..],
        &files["boot/vmlinuz-6.1.0-13-amd64"][654_321..654_421]
    );
    let mut names: Vec<String> = v
        .list_dir("/boot")
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "empty",
            "grub",
            "initrd.img-6.1.0-13-amd64",
            "vmlinuz-6.1.0-13-amd64"
        ]
    );
    assert!(matches!(
        v.stat("/boot/missing"),
        Err(FileError::NotFound(_))
    ));
    assert!(matches!(v.open("/boot"), Err(FileError::IsADirectory(_))));
}

/// The physical blocks must be the ones debugfs (e2fsprogs) reports.
#[test]
fn ext4_extents_agree_with_debugfs() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let files = source_tree(&src);
    for (label, extra) in [
        ("ext4", &["-b", "4096"][..]),
        ("ext4-1k", &["-b", "1024"][..]),
        ("ext2", &["-t", "ext2", "-b", "1024"][..]),
    ] {
        let img = dir.path().join(format!("{label}.img"));
        run("truncate", &["-s", "64M", img.to_str().unwrap()]);
        let mut args = vec!["-q", "-F", "-d", src.to_str().unwrap()];
        if label != "ext2" {
            args.extend(["-t", "ext4"]);
        }
        args.extend_from_slice(extra);
        args.push(img.to_str().unwrap());
        run("mke2fs", &args);
        let bytes = bootvet::probe::image::DiskBytes::open(&img).unwrap();
        let size = bytes.size();
        let v = bootvet::probe::fs::open_offline(bytes, img.to_str().unwrap(), 0, size, "ext4")
            .unwrap();
        let block = if label == "ext4" { 4096 } else { 1024 };
        for name in [
            "boot/vmlinuz-6.1.0-13-amd64",
            "boot/initrd.img-6.1.0-13-amd64",
        ] {
            let stat = v.stat(name).unwrap();
            let mut ours: Vec<u64> = Vec::new();
            for e in &stat.extents {
                let first = e.disk_byte_offset / block;
                ours.extend(first..first + e.length.div_ceil(block));
            }
            let out = run(
                "debugfs",
                &["-R", &format!("stat /{name}"), img.to_str().unwrap()],
            );
            let theirs = debugfs_data_blocks(&String::from_utf8_lossy(&out.stdout));
            assert_eq!(ours, theirs, "{label} {name}");
            assert_extents_match(&img, v.as_ref(), name, &files[name]);
        }
    }
}

/// Data blocks from `debugfs stat`: `(0-11):1260-1271`, `(12):1273`; tree and
/// indirect blocks (`(IND):…`, `(ETB0):…`) are metadata, not the file's bytes.
fn debugfs_data_blocks(stat: &str) -> Vec<u64> {
    let mut blocks = Vec::new();
    for token in stat.split([' ', ',', '\n']) {
        let Some((logical, physical)) = token
            .trim()
            .strip_prefix('(')
            .and_then(|t| t.split_once("):"))
        else {
            continue;
        };
        if !logical.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        let (a, b) = physical.split_once('-').unwrap_or((physical, physical));
        let (Ok(a), Ok(b)) = (a.parse::<u64>(), b.parse::<u64>()) else {
            continue;
        };
        blocks.extend(a..=b);
    }
    blocks
}

#[test]
fn fat12_fat16_fat32_read_back_equal_fatfs_and_extents_hold_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let files = source_tree(&src);
    for (fat, size) in [("12", "4M"), ("16", "40M"), ("32", "80M")] {
        let img = dir.path().join(format!("fat{fat}.img"));
        run("truncate", &["-s", size, img.to_str().unwrap()]);
        run(
            "mkfs.vfat",
            &["-F", fat, "-n", "FATTEST", img.to_str().unwrap()],
        );
        for entry in fs::read_dir(&src).unwrap() {
            let p = entry.unwrap().path();
            run(
                "mcopy",
                &[
                    "-s",
                    "-i",
                    img.to_str().unwrap(),
                    p.to_str().unwrap(),
                    "::/",
                ],
            );
        }
        let bytes = bootvet::probe::image::DiskBytes::open(&img).unwrap();
        let len = bytes.size();
        let v =
            bootvet::probe::fs::open_offline(bytes, img.to_str().unwrap(), 0, len, "vfat").unwrap();
        // fatfs, read through a read-only wrapper, is the independent oracle.
        let oracle = fatfs::FileSystem::new(
            ReadOnly(fs::File::open(&img).unwrap()),
            fatfs::FsOptions::new(),
        )
        .unwrap();
        for (name, data) in &files {
            let ours = read_all(v.as_ref(), name);
            assert_eq!(&ours, data, "FAT{fat} {name}");
            let mut theirs = Vec::new();
            oracle
                .root_dir()
                .open_file(name)
                .unwrap()
                .read_to_end(&mut theirs)
                .unwrap();
            assert_eq!(ours, theirs, "FAT{fat} {name} vs fatfs");
            assert_extents_match(&img, v.as_ref(), name, data);
        }
        // Case-insensitive lookup, as GRUB and firmware do on FAT.
        assert_eq!(
            read_all(v.as_ref(), "/efi/DEBIAN/a LONG file NAME.conf"),
            files["EFI/debian/A long file name.conf"]
        );
        let mut names: Vec<String> = v
            .list_dir("/EFI/debian")
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        names.sort();
        assert_eq!(names, ["A long file name.conf", "shimx64.efi"], "FAT{fat}");
    }
}

/// fatfs wants Read + Write + Seek; every write fails, so the oracle cannot write.
struct ReadOnly(fs::File);
impl Read for ReadOnly {
    fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(b)
    }
}
impl Seek for ReadOnly {
    fn seek(&mut self, p: SeekFrom) -> std::io::Result<u64> {
        self.0.seek(p)
    }
}
impl std::io::Write for ReadOnly {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            "read-only",
        ))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn two_images_sharing_a_uuid_resolve_to_several() {
    let dir = tempfile::tempdir().unwrap();
    let uuid = "6a0e7b0e-4444-4a4a-9b9b-0123456789ab";
    let (a, _) = gpt_image(dir.path(), "a.img", uuid);
    let (b, _) = gpt_image(dir.path(), "b.img", uuid);
    let facts = facts_for(&[&a, &b]);
    let shared: Vec<(ProblemKind, &str)> = facts
        .problems
        .iter()
        .filter(|p| !p.kind.is_informational())
        .map(|p| (p.kind, p.device.as_str()))
        .collect();
    // The vfat serial and the ext4 UUID are shared; swap UUIDs and PARTUUIDs are not.
    assert_eq!(
        shared,
        [
            (ProblemKind::DuplicateFsUuid, "hd0,gpt2"),
            (ProblemKind::DuplicateFsUuid, "hd0,gpt3")
        ]
    );
    let names =
        |r: Resolution| -> Vec<String> { r.volumes().iter().map(|v| v.name.clone()).collect() };
    // GRUB's fs-uuid search ignores case; the list is in GRUB's probe order.
    let r = resolve(
        &facts,
        &Query::parse(&format!("UUID={}", uuid.to_uppercase())).unwrap(),
    );
    assert!(matches!(r, Resolution::Several(_)));
    assert_eq!(names(r), ["hd0,gpt3", "hd1,gpt3"]);
    // The label and vfat serial are shared too; PARTUUIDs are not.
    assert_eq!(
        names(resolve(&facts, &Query::parse("LABEL=rootfs").unwrap())),
        ["hd0,gpt3", "hd1,gpt3"]
    );
    assert_eq!(
        names(resolve(&facts, &Query::parse("UUID=1234-abcd").unwrap())),
        ["hd0,gpt2", "hd1,gpt2"]
    );
    let pu = facts.disks[1].partitions[2].partuuid.clone().unwrap();
    assert_eq!(
        names(resolve(
            &facts,
            &Query::parse(&format!("PARTUUID={}", pu.to_uppercase())).unwrap()
        )),
        ["hd1,gpt3"]
    );
    assert_eq!(
        names(resolve(
            &facts,
            &Query::parse(&format!("PARTUUID={pu}/PARTNROFF=-1")).unwrap()
        )),
        ["hd1,gpt2"]
    );
    assert_eq!(
        names(resolve(
            &facts,
            &Query::parse(&format!("/dev/disk/by-partuuid/{pu}")).unwrap()
        )),
        ["hd1,gpt3"]
    );
    // Labels are exact for GRUB (search --label uses strcmp).
    assert_eq!(
        resolve(&facts, &Query::parse("LABEL=ROOTFS").unwrap()),
        Resolution::None
    );
    assert_eq!(
        names(resolve(
            &facts,
            &Query::parse("PARTLABEL=EFI system").unwrap()
        )),
        ["hd0,gpt2", "hd1,gpt2"]
    );
    assert_eq!(
        names(resolve(
            &facts,
            &Query::parse("/dev/disk/by-partlabel/EFI\\x20system").unwrap()
        )),
        ["hd0,gpt2", "hd1,gpt2"]
    );
    assert_eq!(
        names(resolve(&facts, &Query::parse("(hd1,gpt4)").unwrap())),
        ["hd1,gpt4"]
    );
    assert_eq!(
        names(resolve(&facts, &Query::parse("(hd1)").unwrap())),
        ["hd1"]
    );
    assert_eq!(
        resolve(&facts, &Query::parse("(hd1,msdos1)").unwrap()),
        Resolution::None
    );
    assert_eq!(
        resolve(&facts, &Query::parse("(hd2,gpt1)").unwrap()),
        Resolution::None
    );
    assert_eq!(
        resolve(
            &facts,
            &Query::parse("UUID=00000000-0000-0000-0000-000000000000").unwrap()
        ),
        Resolution::None
    );
    // search --file: on the ext4 and the FAT of both disks (FAT matches any case).
    let (found, unreadable) =
        search_file(&facts, "/boot/grub/grub.cfg", |v| open_volume(&facts, v));
    assert_eq!(
        names(found),
        ["hd0,gpt2", "hd0,gpt3", "hd1,gpt2", "hd1,gpt3"]
    );
    let unreadable: Vec<&str> = unreadable.iter().map(|(v, _)| v.name.as_str()).collect();
    assert_eq!(
        unreadable,
        ["hd0,gpt4", "hd1,gpt4"],
        "swap cannot be read offline"
    );
    let (found, _) = search_file(&facts, "/EFI/debian/shimx64.efi", |v| {
        open_volume(&facts, v)
    });
    assert_eq!(
        names(found),
        ["hd0,gpt2", "hd0,gpt3", "hd1,gpt2", "hd1,gpt3"]
    );
    let (found, _) = search_file(&facts, "/nope", |v| open_volume(&facts, v));
    assert_eq!(found, Resolution::None);
}

#[test]
fn truncated_image_reports_partition_past_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let (img, _) = gpt_image(
        dir.path(),
        "gpt.img",
        "6a0e7b0e-5555-4a4a-9b9b-0123456789ab",
    );
    run("truncate", &["-s", "150M", img.to_str().unwrap()]);
    let facts = facts_for(&[&img]);
    let kinds: Vec<(ProblemKind, &str)> = facts
        .problems
        .iter()
        .map(|p| (p.kind, p.device.as_str()))
        .collect();
    assert!(
        kinds.contains(&(ProblemKind::PartitionPastEnd, "hd0,gpt4")),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(ProblemKind::BackupGptInvalid, "hd0")),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(ProblemKind::BackupGptMisplaced, "hd0")),
        "{kinds:?}"
    );
    let table = facts.disks[0].table.as_ref().unwrap();
    assert_eq!(table.entries_from.as_deref(), Some("primary"));
    let out = support::bootvet_output(&[
        "devices",
        "--color",
        "never",
        "--image",
        img.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("past the end of the disk"), "{text}");
}

#[test]
fn corrupt_primary_gpt_header_falls_back_to_the_backup() {
    let dir = tempfile::tempdir().unwrap();
    let (img, files) = gpt_image(
        dir.path(),
        "gpt.img",
        "6a0e7b0e-6666-4a4a-9b9b-0123456789ab",
    );
    let good = facts_for(&[&img]);
    // One flipped byte in the disk GUID of the primary header: its CRC fails.
    let f = fs::OpenOptions::new()
        .write(true)
        .read(true)
        .open(&img)
        .unwrap();
    let mut b = [0u8; 1];
    f.read_exact_at(&mut b, 512 + 60).unwrap();
    f.write_all_at(&[b[0] ^ 0xff], 512 + 60).unwrap();
    drop(f);
    let facts = facts_for(&[&img]);
    let table = facts.disks[0].table.as_ref().unwrap();
    assert!(
        matches!(&table.primary_header, Some(HeaderState::Invalid { reason }) if reason.contains("CRC32"))
    );
    assert_eq!(table.backup_header, Some(HeaderState::Valid));
    assert_eq!(table.entries_from.as_deref(), Some("backup"));
    assert_eq!(facts.disks[0].partitions, good.disks[0].partitions);
    assert_eq!(facts.problems[0].kind, ProblemKind::PrimaryGptInvalid);
    // Files still readable through the backup's view.
    let v = open_volume(&facts, &volume(&facts, "(hd0,gpt3)")).unwrap();
    assert_eq!(
        read_all(v.as_ref(), "/boot/grub/grub.cfg"),
        files["boot/grub/grub.cfg"]
    );
}

/// A filesystem made over a disk that once had a GPT keeps the old backup header
/// in its last sector. That header names another LBA, so no table is usable; GRUB
/// and the kernel then see the whole-disk filesystem, and so does bootvet.
#[test]
fn whole_disk_filesystem_over_a_stale_backup_gpt_is_still_found() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("disk.img");
    let uuid = "6a0e7b0e-7777-4a4a-9b9b-0123456789ab";
    run("truncate", &["-s", "8M", img.to_str().unwrap()]);
    run(
        "mke2fs",
        &["-q", "-F", "-t", "ext4", "-U", uuid, img.to_str().unwrap()],
    );
    let gpt = dir.path().join("old-gpt.img");
    run("truncate", &["-s", "16M", gpt.to_str().unwrap()]);
    run("sgdisk", &["-o", "-n1:2048:0", gpt.to_str().unwrap()]);
    let old_backup = fs::read(&gpt).unwrap()[(16 << 20) - 512..].to_vec();
    assert_eq!(&old_backup[..8], b"EFI PART");
    let f = fs::OpenOptions::new().write(true).open(&img).unwrap();
    f.write_all_at(&old_backup, (8 << 20) - 512).unwrap();
    drop(f);

    let facts = facts_for(&[&img]);
    let disk = &facts.disks[0];
    assert!(disk.table.is_none(), "{:?}", disk.table);
    let error = disk.table_error.as_deref().unwrap_or_default();
    assert!(error.contains("both copies are unusable"), "{error}");
    let fs = disk.filesystem.as_ref().expect("the whole-disk ext4");
    assert_eq!(
        (fs.fstype.as_str(), fs.uuid.as_deref()),
        ("ext4", Some(uuid))
    );
    assert_eq!(
        resolve(&facts, &Query::FsUuid(uuid.into())),
        Resolution::One(volume(&facts, "(hd0)"))
    );
}

#[test]
fn corrupt_primary_partition_array_falls_back_to_the_backup() {
    let dir = tempfile::tempdir().unwrap();
    let (img, _) = gpt_image(
        dir.path(),
        "gpt.img",
        "6a0e7b0e-7777-4a4a-9b9b-0123456789ab",
    );
    let good = facts_for(&[&img]);
    // Damage the name of entry 3 in the primary array (LBA 2): the array CRC fails,
    // which the gpt crate alone would treat as fatal.
    let f = fs::OpenOptions::new().write(true).open(&img).unwrap();
    f.write_all_at(b"XX", 1024 + 2 * 128 + 56).unwrap();
    drop(f);
    let facts = facts_for(&[&img]);
    let table = facts.disks[0].table.as_ref().unwrap();
    assert!(
        matches!(&table.primary_header, Some(HeaderState::Invalid { reason }) if reason.contains("partition array CRC32"))
    );
    assert_eq!(table.entries_from.as_deref(), Some("backup"));
    assert_eq!(facts.disks[0].partitions, good.disks[0].partitions);
}

/// 4K logical sectors: partitioned through a loop device with 4096-byte sectors.
#[test]
fn gpt_with_4k_sectors() {
    if !support::privileged("needs root and loop devices") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("4k.img");
    run("truncate", &["-s", "64M", img.to_str().unwrap()]);
    let out = run(
        "losetup",
        &[
            "--find",
            "--show",
            "--sector-size",
            "4096",
            img.to_str().unwrap(),
        ],
    );
    let dev = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let status = Command::new("sgdisk")
        .args([
            "-n1:256:+16M",
            "-t1:ef00",
            "-c1:ESP",
            "-n2:0:0",
            "-t2:8300",
            &dev,
        ])
        .status();
    run("losetup", &["-d", &dev]);
    assert!(status.unwrap().success());
    let src = dir.path().join("src");
    let files = source_tree(&src);
    mkfs_ext4(
        &img,
        &src,
        256 * 4096 + 16 * MIB,
        32 * MIB,
        &["-b", "4096", "-L", "four-k"],
    );
    let facts = facts_for(&[&img]);
    let table = facts.disks[0].table.as_ref().unwrap();
    assert_eq!(table.sector_size, 4096);
    let p = &facts.disks[0].partitions;
    assert_eq!(p[0].start_byte, 256 * 4096);
    assert_eq!(p[0].size_bytes, 16 * MIB);
    assert_eq!(p[1].start_byte, 256 * 4096 + 16 * MIB);
    let v = open_volume(&facts, &volume(&facts, "LABEL=four-k")).unwrap();
    let name = "boot/vmlinuz-6.1.0-13-amd64";
    assert_extents_match(&img, v.as_ref(), name, &files[name]);
}

fn hash_file(p: &Path) -> u64 {
    // FNV-1a over the whole image: any written byte changes it.
    let mut f = fs::File::open(p).unwrap();
    let mut h = 0xcbf29ce484222325u64;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        for &b in &buf[..n] {
            h = (h ^ u64::from(b)).wrapping_mul(0x100000001b3);
        }
    }
    h
}

#[test]
fn a_full_run_writes_nothing_to_the_image() {
    let dir = tempfile::tempdir().unwrap();
    let (img, files) = gpt_image(
        dir.path(),
        "gpt.img",
        "6a0e7b0e-8888-4a4a-9b9b-0123456789ab",
    );
    let before = hash_file(&img);
    let mtime = fs::metadata(&img).unwrap().modified().unwrap();
    let out = support::bootvet_output(&["devices", "--json", "--image", img.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let facts = facts_for(&[&img]);
    for grub in ["(hd0,gpt2)", "(hd0,gpt3)"] {
        let v = open_volume(&facts, &volume(&facts, grub)).unwrap();
        for name in files.keys() {
            let _ = read_all(v.as_ref(), name);
            let _ = v.stat(name).unwrap();
        }
    }
    assert_eq!(hash_file(&img), before);
    assert_eq!(fs::metadata(&img).unwrap().modified().unwrap(), mtime);
}

#[test]
fn a_read_only_image_is_enough() {
    let dir = tempfile::tempdir().unwrap();
    let (img, _) = gpt_image(
        dir.path(),
        "gpt.img",
        "6a0e7b0e-9999-4a4a-9b9b-0123456789ab",
    );
    fs::set_permissions(&img, fs::Permissions::from_mode(0o444)).unwrap();
    let out = support::bootvet_output(&["devices", "--json", "--image", img.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Root ignores 0444; run as nobody when we are root so the mode really binds.
    let is_root = unsafe_geteuid() == 0;
    if is_root && Path::new("/usr/bin/setpriv").exists() {
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let exe = dir.path().join("bootvet");
        fs::copy(env!("CARGO_BIN_EXE_bootvet"), &exe).unwrap();
        let out = Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                exe.to_str().unwrap(),
                "devices",
                "--json",
                "--image",
                img.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "as nobody: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let facts: Storage = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(facts.disks[0].partitions.len(), 4);
        assert_eq!(
            facts.disks[0].partitions[2]
                .filesystem
                .as_ref()
                .unwrap()
                .label
                .as_deref(),
            Some("rootfs")
        );
    }
}

fn unsafe_geteuid() -> u32 {
    let out = run("id", &["-u"]);
    String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn qcow2_and_vmdk_are_refused_with_the_conversion_command() {
    let dir = tempfile::tempdir().unwrap();
    for (name, magic) in [
        ("disk.qcow2", &b"QFI\xfb\x00\x00\x00\x03"[..]),
        ("disk.vmdk", &b"KDMV\x01\x00\x00\x00"[..]),
    ] {
        let p = dir.path().join(name);
        let mut data = magic.to_vec();
        data.resize(1 << 20, 0);
        fs::write(&p, data).unwrap();
        let out = support::bootvet_output(&["devices", "--image", p.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains("qemu-img convert -O raw"), "{err}");
    }
    let out = support::bootvet_output(&["devices", "--image", "/nonexistent/disk.img"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn dumped_facts_replay_to_the_same_output() {
    let dir = tempfile::tempdir().unwrap();
    let (img, _) = gpt_image(
        dir.path(),
        "gpt.img",
        "6a0e7b0e-aaaa-4a4a-9b9b-0123456789ab",
    );
    let dump = dir.path().join("facts.json");
    let out = support::bootvet_output(&[
        "devices",
        "--color",
        "never",
        "--image",
        img.to_str().unwrap(),
        "--dump-facts",
        dump.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let replay = support::bootvet_output(&[
        "devices",
        "--color",
        "never",
        "--facts",
        dump.to_str().unwrap(),
    ]);
    assert_eq!(replay.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(replay.stdout).unwrap()
    );
    let facts = probe::load_facts(&dump).unwrap();
    let original = facts_for(&[&img]);
    assert_eq!(facts.disks, original.disks);
    assert!(matches!(
        &facts.source,
        Source::Replay { captured_from, .. } if **captured_from == Source::Images
    ));
    // Replayed facts still resolve, but cannot read files.
    let v = volume(&facts, "LABEL=rootfs");
    assert!(
        matches!(open_volume(&facts, &v), Err(FileError::Unsupported(m)) if m.contains("replayed"))
    );
    let json = support::bootvet_output(&["devices", "--json", "--facts", dump.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["schema"], "bootvet.facts/1");
}

/// The committed facts fixture pins the JSON schema: it must keep deserializing.
#[test]
fn committed_facts_fixture_still_deserializes() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/facts/two-disks.json");
    let facts = probe::load_facts(&p).unwrap();
    assert_eq!(facts.disks.len(), 2);
    assert!(
        matches!(resolve(&facts, &Query::parse("UUID=6A0E7B0E-BBBB-4A4A-9B9B-0123456789AB").unwrap()), Resolution::Several(v) if v.len() == 2)
    );
}

#[test]
fn swap_and_unknown_filesystems_say_why_they_cannot_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let (img, _) = gpt_image(
        dir.path(),
        "gpt.img",
        "6a0e7b0e-cccc-4a4a-9b9b-0123456789ab",
    );
    let facts = facts_for(&[&img]);
    let swap = facts.disks[0].partitions[3].filesystem.as_ref().unwrap();
    assert!(
        matches!(&swap.offline, OfflineAccess::NotReadable { reason } if reason == "cannot read swap without mounting; run on the live system or mount it")
    );
    let err = open_volume(&facts, &volume(&facts, "(hd0,gpt4)"))
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .contains("cannot read swap without mounting"),
        "{err}"
    );
    let err = open_volume(&facts, &volume(&facts, "(hd0,gpt1)"))
        .err()
        .unwrap();
    assert!(matches!(err, FileError::Unsupported(_)), "{err}");
}

#[test]
fn live_system_probe_runs_and_its_json_parses() {
    let out = support::bootvet_output(&["devices", "--json"]);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let facts: Storage = serde_json::from_slice(&out.stdout).unwrap();
    assert!(matches!(facts.source, Source::Live { .. }));
    // Whatever is mounted at / is found and its files are reachable.
    if let Some(v) = volumes(&facts)
        .into_iter()
        .find(|(_, p, fs)| {
            fs.is_some()
                && p.map_or(&facts.disks[0].mountpoints, |p| &p.mountpoints)
                    .iter()
                    .any(|m| m == "/")
        })
        .map(|(v, _, _)| v)
    {
        let files = open_volume(&facts, &v).unwrap();
        let stat = files
            .stat("/proc/self/../version")
            .or_else(|_| files.stat("/etc/hostname"));
        assert!(stat.is_ok() || files.list_dir("/").is_ok());
    }
}

/// FIEMAP through a mount: extents map onto the image behind the loop device.
#[test]
fn live_fiemap_extents_map_to_the_image_bytes() {
    if !support::privileged("needs root, loop devices, mount") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (img, files) = gpt_image(
        dir.path(),
        "gpt.img",
        "6a0e7b0e-dddd-4a4a-9b9b-0123456789ab",
    );
    let facts = facts_for(&[&img]);
    let p = &facts.disks[0].partitions[2];
    let out = run(
        "losetup",
        &[
            "--find",
            "--show",
            "--read-only",
            "-o",
            &p.start_byte.to_string(),
            "--sizelimit",
            &p.size_bytes.to_string(),
            img.to_str().unwrap(),
        ],
    );
    let dev = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let mnt = dir.path().join("mnt");
    fs::create_dir(&mnt).unwrap();
    let mounted = Command::new("mount")
        .args(["-o", "ro", &dev, mnt.to_str().unwrap()])
        .status()
        .unwrap()
        .success();
    let result = std::panic::catch_unwind(|| {
        assert!(mounted, "mount {dev} failed");
        let v = bootvet::probe::fs::live::LiveVolume::new(mnt.to_str().unwrap());
        for name in [
            "boot/vmlinuz-6.1.0-13-amd64",
            "boot/initrd.img-6.1.0-13-amd64",
        ] {
            let stat = v.stat(name).unwrap();
            assert_eq!(stat.device, img.display().to_string());
            assert_extents_match(&img, &v, name, &files[name]);
            assert_eq!(read_all(&v, name), files[name]);
        }
    });
    if mounted {
        let _ = Command::new("umount").arg(&mnt).status();
    }
    let _ = Command::new("losetup").args(["-d", &dev]).status();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

/// Small real images as fuzz seeds: GPT, MBR with logicals, ext4 (1K blocks, with
/// an indirect-free extent tree) and ext2 (block maps), FAT12.
fn fuzz_seeds(dir: &Path) -> Vec<Vec<u8>> {
    let src = dir.join("seed-src");
    fs::create_dir_all(src.join("boot/grub")).unwrap();
    fs::write(src.join("boot/vmlinuz"), noise(40_000, 9)).unwrap();
    fs::write(
        src.join("boot/grub/grub.cfg"),
        b"menuentry x { linux /boot/vmlinuz }\n",
    )
    .unwrap();
    let mut seeds = Vec::new();
    let gpt = dir.join("seed-gpt.img");
    run("truncate", &["-s", "1M", gpt.to_str().unwrap()]);
    run(
        "sgdisk",
        &[
            "-n1:34:+200K",
            "-t1:ef02",
            "-n2:0:0",
            "-t2:8300",
            "-c2:root",
            gpt.to_str().unwrap(),
        ],
    );
    seeds.push(fs::read(&gpt).unwrap());
    let mbr = dir.join("seed-mbr.img");
    run("truncate", &["-s", "1M", mbr.to_str().unwrap()]);
    let mut child = Command::new("sfdisk")
        .args(["-q", mbr.to_str().unwrap()])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        child.stdin.as_mut().unwrap(),
        b"label: dos\nstart=1, size=200, type=83\nstart=300, size=1700, type=5\nstart=400, size=100, type=83\nstart=600, size=100, type=82\n",
    )
    .unwrap();
    assert!(child.wait().unwrap().success());
    seeds.push(fs::read(&mbr).unwrap());
    for (name, extra) in [
        ("ext4", &["-t", "ext4", "-b", "1024"][..]),
        ("ext2", &["-t", "ext2", "-b", "1024"][..]),
    ] {
        let img = dir.join(format!("seed-{name}.img"));
        run("truncate", &["-s", "512K", img.to_str().unwrap()]);
        let mut args = vec!["-q", "-F", "-N", "32", "-d", src.to_str().unwrap()];
        args.extend_from_slice(extra);
        args.push(img.to_str().unwrap());
        run("mke2fs", &args);
        seeds.push(fs::read(&img).unwrap());
    }
    let fat = dir.join("seed-fat.img");
    run("truncate", &["-s", "512K", fat.to_str().unwrap()]);
    run("mkfs.vfat", &["-F", "12", fat.to_str().unwrap()]);
    run(
        "mcopy",
        &[
            "-s",
            "-i",
            fat.to_str().unwrap(),
            src.join("boot").to_str().unwrap(),
            "::/",
        ],
    );
    seeds.push(fs::read(&fat).unwrap());
    seeds
}

/// The fuzz targets' bodies over mutated real images and pure noise, with a
/// fixed seed: CI runs what the fuzzer runs. No panic, no hang (the test would
/// time out), bounded memory (the readers cap every count they read).
#[test]
fn fuzz_runner_partition_tables_and_filesystems() {
    let dir = tempfile::tempdir().unwrap();
    let seeds = fuzz_seeds(dir.path());
    // BOOTVET_FUZZ_SEED picks another fixed sequence for a local campaign.
    let mut rng = Rng::new(
        std::env::var("BOOTVET_FUZZ_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0x9E37_79B9_7F4A_7C15)
            | 1,
    );
    let mut next = move || rng.next_u64();
    for seed in &seeds {
        fuzz_support::fuzz_disk_image(seed);
        fuzz_support::fuzz_filesystems(seed);
    }
    // BOOTVET_FUZZ_ITERATIONS raises the count for a longer local campaign.
    let rounds: usize = std::env::var("BOOTVET_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    for i in 0..rounds {
        let mut data = seeds[i % seeds.len()].clone();
        let flips = 1 + next() % 16;
        for _ in 0..flips {
            // Metadata lives at the start; mutate there more often.
            let span = if next() % 2 == 0 {
                data.len().min(64 * 1024)
            } else {
                data.len()
            };
            let at = (next() as usize) % span;
            data[at] = match next() % 4 {
                0 => 0,
                1 => 0xff,
                _ => next() as u8,
            };
        }
        if next() % 8 == 0 {
            let len = (next() as usize) % data.len();
            data.truncate(len);
        }
        fuzz_support::fuzz_disk_image(&data);
        fuzz_support::fuzz_filesystems(&data);
    }
    for _ in 0..200 {
        let len = (next() % 70_000) as usize;
        let data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        fuzz_support::fuzz_disk_image(&data);
        fuzz_support::fuzz_filesystems(&data);
    }
}

/// What people see, pinned: the text rendering of the committed facts fixture.
/// Regenerate with `bootvet devices --color never --facts two-disks.json`.
#[test]
fn devices_text_output_is_pinned() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/facts");
    let out = support::bootvet_output(&[
        "devices",
        "--color",
        "never",
        "--facts",
        dir.join("two-disks.json").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "the shared UUID is a problem");
    let expected = fs::read_to_string(dir.join("two-disks.txt")).unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
}

#[test]
fn hybrid_mbr_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("hybrid.img");
    run("truncate", &["-s", "16M", img.to_str().unwrap()]);
    run(
        "sgdisk",
        &[
            "-n1:2048:+4M",
            "-t1:ef00",
            "-n2:0:0",
            "-t2:0700",
            img.to_str().unwrap(),
        ],
    );
    run("sgdisk", &["-h", "2", img.to_str().unwrap()]);
    let facts = facts_for(&[&img]);
    let table = facts.disks[0].table.as_ref().unwrap();
    assert_eq!(
        table.kind,
        TableKind::Gpt,
        "GRUB, like the kernel, takes the GPT"
    );
    assert!(table.protective_mbr && table.hybrid_mbr);
    assert!(
        facts
            .problems
            .iter()
            .any(|p| p.kind == ProblemKind::HybridMbr)
    );
    assert_eq!(
        facts.disks[0].partitions[1].type_name,
        "Microsoft basic data"
    );
}

/// Splices a filesystem image into `img` at `start` without filling holes.
fn splice(fs_image: &Path, img: &Path, start: u64) {
    assert_eq!(start % MIB, 0);
    run(
        "dd",
        &[
            &format!("if={}", fs_image.display()),
            &format!("of={}", img.display()),
            "bs=1M",
            &format!("seek={}", start / MIB),
            "conv=notrunc,sparse",
            "status=none",
        ],
    );
}

/// Filesystems bootvet identifies but does not read offline: identity equals
/// `blkid -p`, and their files say why they cannot be read.
#[test]
fn btrfs_xfs_luks_ntfs_iso9660_are_identified_and_not_read_offline() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let img = d.join("many.img");
    run("truncate", &["-s", "600M", img.to_str().unwrap()]);
    run(
        "sgdisk",
        &[
            "-n1:2048:+128M",
            "-n2:0:+320M",
            "-n3:0:+32M",
            "-n4:0:+16M",
            "-n5:0:+8M",
            img.to_str().unwrap(),
        ],
    );
    let parts = sfdisk_layout(&img, 512);
    let file = |name: &str, size: &str| {
        let p = d.join(name);
        run("truncate", &["-s", size, p.to_str().unwrap()]);
        p
    };
    let btrfs = file("btrfs.bin", "128M");
    run(
        "mkfs.btrfs",
        &["-q", "-f", "-L", "btrlabel", btrfs.to_str().unwrap()],
    );
    let xfs = file("xfs.bin", "320M");
    run(
        "mkfs.xfs",
        &["-q", "-f", "-L", "xfslabel", xfs.to_str().unwrap()],
    );
    let luks = file("luks.bin", "32M");
    let key = d.join("key");
    fs::write(&key, b"not a secret").unwrap();
    run(
        "cryptsetup",
        &[
            "luksFormat",
            "-q",
            "--type",
            "luks2",
            "--pbkdf",
            "pbkdf2",
            "--pbkdf-force-iterations",
            "1000",
            "--label",
            "lukslabel",
            "--key-file",
            key.to_str().unwrap(),
            luks.to_str().unwrap(),
        ],
    );
    let ntfs = file("ntfs.bin", "16M");
    run(
        "mkntfs",
        &["-q", "-F", "-f", "-L", "ntfslabel", ntfs.to_str().unwrap()],
    );
    let iso = d.join("iso.bin");
    let iso_src = d.join("iso-src");
    fs::create_dir(&iso_src).unwrap();
    fs::write(iso_src.join("README"), b"iso\n").unwrap();
    run(
        "xorriso",
        &[
            "-as",
            "mkisofs",
            "-quiet",
            "-V",
            "ISOLABEL",
            "-o",
            iso.to_str().unwrap(),
            iso_src.to_str().unwrap(),
        ],
    );
    for (i, f) in [&btrfs, &xfs, &luks, &ntfs, &iso].iter().enumerate() {
        splice(f, &img, parts[i].start);
    }
    let facts = facts_for(&[&img]);
    let want = ["btrfs", "xfs", "crypto_LUKS", "ntfs", "iso9660"];
    for (i, p) in facts.disks[0].partitions.iter().enumerate() {
        let fs = p
            .filesystem
            .as_ref()
            .unwrap_or_else(|| panic!("{} unidentified", p.grub_name));
        assert_eq!(fs.fstype, want[i]);
        let theirs = blkid_p(&img, p.start_byte, p.size_bytes);
        for key in [
            "TYPE",
            "UUID",
            "UUID_SUB",
            "LABEL",
            "VERSION",
            "USAGE",
            "BLOCK_SIZE",
        ] {
            assert_eq!(fs.blkid.get(key), theirs.get(key), "{} {key}", want[i]);
        }
        let why = format!(
            "cannot read {} without mounting; run on the live system or mount it",
            want[i]
        );
        assert_eq!(
            fs.offline,
            OfflineAccess::NotReadable {
                reason: why.clone()
            }
        );
        let err = open_volume(&facts, &volume(&facts, &format!("({})", p.grub_name)))
            .err()
            .unwrap();
        assert_eq!(err.to_string(), why);
    }
    let labels: Vec<Option<&str>> = facts.disks[0]
        .partitions
        .iter()
        .map(|p| p.filesystem.as_ref().and_then(|f| f.label.as_deref()))
        .collect();
    assert_eq!(
        labels,
        [
            Some("btrlabel"),
            Some("xfslabel"),
            Some("lukslabel"),
            Some("ntfslabel"),
            Some("ISOLABEL")
        ]
    );
}

/// The live probe on an attached loop device: the table is read from /dev/loopN
/// (this kernel makes no partition devices), and an unmounted ext4 partition is
/// read from the device's bytes.
#[test]
fn live_probe_reads_an_attached_loop_disk() {
    if !support::privileged("needs root and loop devices") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (img, files) = gpt_image(
        dir.path(),
        "gpt.img",
        "6a0e7b0e-eeee-4a4a-9b9b-0123456789ab",
    );
    let out = run(
        "losetup",
        &["--find", "--show", "--read-only", img.to_str().unwrap()],
    );
    let dev = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let result = std::panic::catch_unwind(|| {
        let facts = bootvet::probe::live::probe_live();
        let (index, disk) = facts
            .disks
            .iter()
            .enumerate()
            .find(|(_, d)| d.path == dev)
            .unwrap_or_else(|| panic!("{dev} not in live facts"));
        assert_eq!(disk.kernel_name.as_deref(), dev.strip_prefix("/dev/"));
        assert_eq!(disk.table.as_ref().unwrap().kind, TableKind::Gpt);
        assert_eq!(disk.partitions.len(), 4);
        let root = &disk.partitions[2];
        assert_eq!(root.grub_name, format!("hd{index},gpt3"));
        assert_eq!(
            root.filesystem.as_ref().unwrap().label.as_deref(),
            Some("rootfs")
        );
        let v = VolumeRef {
            disk: Some(index),
            partition: Some(2),
            name: root.grub_name.clone(),
            kernel_name: None,
        };
        let files_on = open_volume(&facts, &v).unwrap();
        let name = "boot/vmlinuz-6.1.0-13-amd64";
        assert_eq!(read_all(files_on.as_ref(), name), files[name]);
        let stat = files_on.stat(name).unwrap();
        assert_eq!(stat.device, dev);
    });
    let _ = Command::new("losetup").args(["-d", &dev]).status();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

#[test]
fn filesystem_larger_than_its_shrunk_partition_is_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let (img, _) = gpt_image(
        dir.path(),
        "gpt.img",
        "6a0e7b0e-ffff-4a4a-9b9b-0123456789ab",
    );
    let before = facts_for(&[&img]);
    let root = &before.disks[0].partitions[2];
    let ext4 = root.filesystem.as_ref().unwrap();
    assert_eq!(
        ext4.size_bytes,
        Some(root.size_bytes),
        "mkfs filled the partition"
    );
    let esp = &before.disks[0].partitions[1];
    assert!(esp.filesystem.as_ref().unwrap().size_bytes.unwrap() <= esp.size_bytes);
    // Shrink partition 3 by 10 MiB under its filesystem.
    let first = root.start_byte / 512;
    let last = (root.start_byte + root.size_bytes) / 512 - 1 - 10 * 2048;
    run(
        "sgdisk",
        &[
            "-d",
            "3",
            &format!("-n3:{first}:{last}"),
            "-t3:8300",
            img.to_str().unwrap(),
        ],
    );
    let facts = facts_for(&[&img]);
    let p: Vec<_> = facts
        .problems
        .iter()
        .filter(|p| p.kind == ProblemKind::FilesystemLargerThanPartition)
        .collect();
    assert_eq!(p.len(), 1, "{:?}", facts.problems);
    assert_eq!(p[0].device, "hd0,gpt3");
    assert!(
        p[0].message
            .contains(&format!("the last {} bytes", 10 * MIB)),
        "{}",
        p[0].message
    );
}

/// An LVM physical volume (pvcreate needs a block device: a loop device).
#[test]
fn lvm_physical_volume_is_identified_and_not_read_offline() {
    if !support::privileged("needs root and loop devices") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pv = dir.path().join("pv.bin");
    run("truncate", &["-s", "32M", pv.to_str().unwrap()]);
    let out = run("losetup", &["--find", "--show", pv.to_str().unwrap()]);
    let dev = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let created = Command::new("pvcreate")
        .args([
            "-ff",
            "-y",
            "--norestorefile",
            "--uuid",
            "6a0e7b0e-aaaa-4a4a-9b9b-0123456789ab",
            &dev,
        ])
        .output();
    let _ = Command::new("losetup").args(["-d", &dev]).status();
    assert!(created.unwrap().status.success());
    let img = dir.path().join("lvm.img");
    run("truncate", &["-s", "40M", img.to_str().unwrap()]);
    run(
        "sgdisk",
        &["-n1:2048:+32M", "-t1:8e00", img.to_str().unwrap()],
    );
    splice(&pv, &img, MIB);
    let facts = facts_for(&[&img]);
    let p = &facts.disks[0].partitions[0];
    assert_eq!(p.type_name, "Linux LVM");
    let fs = p.filesystem.as_ref().unwrap();
    assert_eq!(fs.fstype, "LVM2_member");
    let theirs = blkid_p(&img, p.start_byte, p.size_bytes);
    for key in ["TYPE", "UUID", "VERSION", "USAGE"] {
        assert_eq!(fs.blkid.get(key), theirs.get(key), "{key}");
    }
    assert!(
        matches!(&fs.offline, OfflineAccess::NotReadable { reason } if reason.contains("cannot read LVM2_member"))
    );
}
