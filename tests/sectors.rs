//! Sectors and host state (BV5xxx) end to end, on real disk images built at test
//! time by fixtures/scenarios/build.sh (sgdisk, mke2fs -d, debugfs, cpio, gzip)
//! and, for the firmware's reach, a sparse 20 GiB disk built here. Expected
//! sectors and free space come from debugfs, not from bootvet.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

const BOOT_START: u64 = 36864 * 512;
const NEW: &str = "6.11.0-rc1+";

mod support;
use support::repo;

/// Builds the scenarios these tests use, once, in a directory of their own (the
/// check tests build theirs concurrently).
fn scenarios() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        support::build_scenarios(
            "scenarios-sectors",
            &[
                "healthy",
                "checks",
                "partition-past-end",
                "initrd-too-big",
                "initrd-outlier",
                "boot-too-full",
                "needs-recovery",
                "unstripped-modules",
            ],
        )
    })
}

fn image(name: &str) -> String {
    scenarios()
        .join(format!("{name}.img"))
        .display()
        .to_string()
}

fn check(image: &str, config: Option<&Path>, extra: &[&str]) -> (i32, Value) {
    let mut cmd = support::bootvet_command();
    cmd.args(["check", "--json", "--image", image]).args(extra);
    if let Some(config) = config {
        cmd.arg("--config").arg(config);
    }
    let out = cmd.env("NO_COLOR", "1").output().expect("run bootvet");
    let text = String::from_utf8_lossy(&out.stdout);
    let doc: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{e}: {text}\n{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), doc)
}

fn findings<'a>(doc: &'a Value, code: &str) -> Vec<&'a Value> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn entry_path(f: &Value) -> &str {
    f["entry"]["path"].as_str().unwrap_or("")
}

/// `debugfs -R CMD` on the /boot filesystem of a scenario image.
fn debugfs(image: &str, command: &str) -> String {
    let out = Command::new("debugfs")
        .args(["-R", command])
        .arg(format!("{image}?offset={BOOT_START}"))
        .output()
        .expect("debugfs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// No config lies beside these stand-in kernels (6.11.0-rc1+), so whether the
/// kernel tries the missing root device with a built-in filesystem (`Cannot open
/// root device`) or has none to try (`No filesystem could mount root`) is unknown:
/// only the panic is certain, and from 6.7 only in part (the second form quotes
/// root= before the device number).
fn panic_lines() -> Vec<String> {
    vec!["Kernel panic - not syncing: VFS: Unable to mount root fs on …unknown-block(0,0)".into()]
}

#[test]
fn initrd_past_the_end_of_a_truncated_image_is_outside_of_disk() {
    let img = image("partition-past-end");
    let size = std::fs::metadata(&img).unwrap().len();
    let (code, doc) = check(&img, None, &[]);
    assert_eq!(code, 3, "the default entry loads the cut initrd");
    let found = findings(&doc, "BV5001");
    let paths: Vec<&str> = found.iter().map(|f| entry_path(f)).collect();
    assert_eq!(
        paths,
        ["0", "1>0"],
        "only the entries loading the new initrd"
    );
    let f = found[0];
    let mut expected = vec!["error: attempt to read or write outside of disk `hd0'.".to_string()];
    expected.extend(panic_lines());
    assert_eq!(strings(&f["will_print"]), expected);
    assert_eq!(f["link"], "initrd");
    assert_eq!(f["severity"], "error");
    // debugfs: where the initrd's blocks are; the first one past the image's end
    // is the first sector GRUB cannot read.
    let blocks: Vec<u64> = debugfs(&img, &format!("blocks /initrd.img-{NEW}"))
        .split_whitespace()
        .filter_map(|b| b.parse().ok())
        .collect();
    let first_block = *blocks.first().unwrap();
    let first_out = blocks
        .iter()
        .position(|b| BOOT_START + b * 1024 >= size)
        .unwrap() as u64;
    let stat = debugfs(&img, &format!("stat /initrd.img-{NEW}"));
    let file_size: u64 = stat
        .split("Size: ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        f["message"],
        format!(
            "initrd '/initrd.img-{NEW}' lies past the end of disk hd0: byte {} of {file_size} is at sector {:#x}, the disk ends at sector {:#x}",
            first_out * 1024,
            size / 512,
            size / 512
        )
    );
    assert!(
        strings(&f["evidence"]).iter().any(|e| e.contains(&format!(
            "at disk sectors {:#x}–",
            (BOOT_START + first_block * 1024) / 512
        ))),
        "{f}"
    );
}

#[test]
fn bios_reach_names_the_sector_in_grubs_hex_on_pc_only() {
    let config = repo().join("tests/checks/BV5002/fail.cfg");
    let img = image("checks");
    let (_, doc) = check(&img, Some(&config), &["--bios-lba-limit", "18M"]);
    let f = findings(&doc, "BV5002");
    assert_eq!(f.len(), 2, "kernel and initrd");
    // 18 MiB is CHS territory: GRUB refuses the sector itself.
    assert_eq!(
        strings(&f[0]["will_print"])[0],
        "error: attempt to read or write outside of disk `hd0'."
    );
    let (_, doc) = check(
        &img,
        Some(&config),
        &["--bios-lba-limit", "18M", "--platform", "efi"],
    );
    assert!(findings(&doc, "BV5002").is_empty(), "efi has no BIOS limit");
    let (_, doc) = check(&img, Some(&config), &[]);
    assert!(
        findings(&doc, "BV5002").is_empty(),
        "2 TiB covers a 64 MiB disk"
    );
}

/// A sparse 20 GiB disk with /boot at 18 GiB: a 28-bit-LBA BIOS (`137GB`) reads
/// it, one limited to 16 GiB fails on the kernel's first sector.
#[test]
fn bios_reach_past_chs_is_a_failure_reading_sector() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("far.img");
    let boot = dir.path().join("boot");
    std::fs::create_dir_all(boot.join("grub")).unwrap();
    let run = |cmd: &mut Command| {
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(Command::new("python3")
        .arg(repo().join("fixtures/scenarios/standin-kernel.py"))
        .arg("6.5.0-35-generic")
        .arg(boot.join("vmlinuz-6.5.0-35-generic")));
    std::fs::write(
        boot.join("grub/grub.cfg"),
        "menuentry 'Far' {\n\tlinux /vmlinuz-6.5.0-35-generic root=PARTUUID=00000000-0000-0000-0000-000000000000 ro\n}\n",
    )
    .unwrap();
    run(Command::new("truncate").args(["-s", "20G"]).arg(&img));
    let start: u64 = 18 << 30;
    run(Command::new("sgdisk")
        .args(["-n1:2048:+1M", "-t1:ef02"])
        .arg(format!("-n2:{}:+32M", start / 512))
        .args(["-t2:8300"])
        .arg(&img));
    run(Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext4", "-E"])
        .arg(format!("offset={start}"))
        .arg("-d")
        .arg(&boot)
        .arg(&img)
        .arg("32M"));
    let img = img.display().to_string();
    let blocks = Command::new("debugfs")
        .args(["-R", "blocks /vmlinuz-6.5.0-35-generic"])
        .arg(format!("{img}?offset={start}"))
        .output()
        .unwrap();
    let first: u64 = String::from_utf8_lossy(&blocks.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let stats = Command::new("debugfs")
        .args(["-R", "stats"])
        .arg(format!("{img}?offset={start}"))
        .output()
        .unwrap();
    let block_size: u64 = String::from_utf8_lossy(&stats.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Block size:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let sector = (start + first * block_size) / 512;

    let (_, doc) = check(&img, None, &["--platform", "pc", "--bios-lba-limit", "16G"]);
    let f = findings(&doc, "BV5002");
    assert_eq!(f.len(), 1, "{doc}");
    assert_eq!(
        strings(&f[0]["will_print"]),
        [
            format!("error: failure reading sector {sector:#x} from `hd0'."),
            "error: you need to load the kernel first.".to_string()
        ]
    );
    assert_eq!(f[0]["link"], "kernel");
    let (_, doc) = check(
        &img,
        None,
        &["--platform", "pc", "--bios-lba-limit", "137GB"],
    );
    assert!(findings(&doc, "BV5002").is_empty());
}

#[test]
fn a_460_mib_initrd_is_too_big_for_grubs_i386_loader() {
    let img = image("initrd-too-big");
    let (code, doc) = check(&img, None, &[]);
    assert_eq!(code, 3);
    let f = findings(&doc, "BV5003");
    assert_eq!(
        f.iter().map(|f| entry_path(f)).collect::<Vec<_>>(),
        ["0", "1>0"]
    );
    let mut expected = vec!["error: the initrd is too big.".to_string()];
    expected.extend(panic_lines());
    assert_eq!(strings(&f[0]["will_print"]), expected);
    assert!(
        f[0]["message"]
            .as_str()
            .unwrap()
            .ends_with("at most 447.5 MiB"),
        "{}",
        f[0]["message"]
    );
    // The same image on efi: past the smallest reported failure, a warning…
    let (_, doc) = check(&img, None, &["--platform", "efi"]);
    let f = findings(&doc, "BV5003");
    assert_eq!(f[0]["severity"], "warning");
    assert_eq!(strings(&f[0]["will_print"])[0], "error: out of memory.");
    // …and on a machine whose memory it does not fit in, the memory is BV6301's
    // (one check per failure): BV5003 stays a warning.
    let (_, doc) = check(&img, None, &["--platform", "efi", "--memory", "384M"]);
    let f = findings(&doc, "BV5003");
    assert_eq!(f[0]["severity"], "warning");
    let f = findings(&doc, "BV6301");
    assert_eq!(f[0]["severity"], "error");
    assert!(
        f[0]["message"]
            .as_str()
            .unwrap()
            .contains("but a 384.0 MiB machine leaves it about"),
        "{}",
        f[0]["message"]
    );
    // The outlier and the full /boot come with it, as in the story.
    assert_eq!(findings(&doc, "BV5004").len(), 2);
    assert_eq!(findings(&doc, "BV5005").len(), 1);
}

#[test]
fn an_initrd_thousands_of_times_its_siblings_is_named_with_the_ratio() {
    let (code, doc) = check(&image("initrd-outlier"), None, &[]);
    assert_eq!(code, 0, "a warning");
    let f = findings(&doc, "BV5004");
    assert_eq!(f.len(), 2);
    let message = f[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("initrd '/initrd.img-{NEW}' is "))
            && message.contains("× the size of its siblings (3.0 MiB against a median of "),
        "{message}"
    );
    assert!(findings(&doc, "BV5003").is_empty());
}

#[test]
fn a_full_boot_predicts_the_failed_update_and_names_the_leftover() {
    let img = image("boot-too-full");
    let (_, doc) = check(&img, None, &[]);
    let full = findings(&doc, "BV5005");
    assert_eq!(full.len(), 1);
    assert_eq!(
        strings(&full[0]["will_print"]),
        [format!(
            "update-initramfs: failed for /boot/initrd.img-{NEW} with 1."
        )]
    );
    // The free space is what the superblock says (debugfs as the oracle).
    let stats = debugfs(&img, "stats");
    let field = |name: &str| -> u64 {
        stats
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    let free = field("Free blocks:") * field("Block size:");
    let shown = format!("{:.1} MiB free", free as f64 / 1048576.0);
    assert!(
        full[0]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("has {}", shown.trim_end_matches(" free"))),
        "{} vs {shown}",
        full[0]["message"]
    );
    let left = findings(&doc, "BV5006");
    assert_eq!(left.len(), 1);
    assert_eq!(
        left[0]["message"],
        format!("(hd0,gpt3)/ holds 1 leftover image taking 14.0 MiB: initrd.img-{NEW}.new")
    );
}

#[test]
fn unreplayed_journal_is_flagged_and_files_are_read_as_grub_reads_them() {
    let (code, doc) = check(&image("needs-recovery"), None, &[]);
    assert_eq!(code, 0, "a warning");
    let f = findings(&doc, "BV5007");
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0]["message"],
        "ext4 (hd0,gpt3) has needs_recovery set: GRUB reads it without replaying the journal and may not see the latest kernel and initrd"
    );
    // bootvet still found grub.cfg and every file, without the journal.
    for entry in doc["entries"].as_array().unwrap() {
        assert_eq!(entry["verdict"], "boots", "{entry}");
    }
    let (_, healthy) = check(&image("healthy"), None, &[]);
    assert!(findings(&healthy, "BV5007").is_empty());
}

#[test]
fn unstripped_modules_are_counted_and_a_missing_tree_is_named() {
    let (code, doc) = check(&image("unstripped-modules"), None, &[]);
    assert_eq!(code, 0, "warnings");
    let unstripped = findings(&doc, "BV5009");
    assert_eq!(
        unstripped.iter().map(|f| entry_path(f)).collect::<Vec<_>>(),
        ["0", "1>0"],
        "only the self-built kernel's entries"
    );
    let message = unstripped[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "2 of 2 modules in /lib/modules/{NEW} carry debug info: stripping saves "
        )),
        "{message}"
    );
    let evidence = strings(&unstripped[0]["evidence"]);
    assert!(
        evidence
            .iter()
            .any(|e| e.starts_with("kernel/drivers/demo/demo2.ko.xz: ")),
        "{evidence:?}"
    );
    assert!(
        unstripped[0]["fix"]
            .as_str()
            .unwrap()
            .contains("make INSTALL_MOD_STRIP=1 modules_install")
    );
    let missing = findings(&doc, "BV5008");
    assert_eq!(missing.len(), 1);
    assert_eq!(entry_path(missing[0]), "1>2");
    assert_eq!(
        missing[0]["message"],
        "kernel 6.5.0-34-generic has no modules: /lib/modules/6.5.0-34-generic is missing on (hd0,gpt4)"
    );
}

#[path = "support/fuse_view.rs"]
mod fuse_view;

/// With --deep, a sector the disk cannot read is reported as GRUB will report
/// it: the exact first failing sector, the file, the offset inside it.
#[test]
fn deep_raw_read_names_the_first_sector_that_fails_with_eio() {
    if !support::privileged("needs root and /dev/fuse") {
        return;
    }
    let source = image("initrd-outlier");
    // The byte 1 MiB + 1536 into the new initrd, located with debugfs.
    let in_file: u64 = (1 << 20) + 1536;
    let blocks: Vec<u64> = debugfs(&source, &format!("blocks /initrd.img-{NEW}"))
        .split_whitespace()
        .filter_map(|b| b.parse().ok())
        .collect();
    let bad_byte = BOOT_START + blocks[(in_file / 1024) as usize] * 1024 + in_file % 1024;
    let dir = tempfile::tempdir().unwrap();
    let image_file = std::fs::File::open(&source).unwrap();
    let size = image_file.metadata().unwrap().len();
    let view = fuse_view::ImageView {
        image: image_file,
        size,
        bad: bad_byte..bad_byte + 4096,
        delay: std::time::Duration::ZERO,
    };
    let session = fuser::spawn_mount2(
        view,
        dir.path(),
        &[
            fuser::MountOption::RO,
            fuser::MountOption::FSName("bootvet-eio".into()),
        ],
    )
    .expect("FUSE mount");
    let img = dir.path().join("disk.img").display().to_string();
    let mut chunk = vec![0u8; 512];
    assert!(
        std::os::unix::fs::FileExt::read_exact_at(
            &std::fs::File::open(&img).unwrap(),
            &mut chunk,
            bad_byte
        )
        .is_err(),
        "the view really fails"
    );
    let config = repo().join("tests/checks/BV5004/fail.cfg");
    let (code, doc) = check(&img, Some(&config), &["--deep"]);
    let (quick_code, quick) = check(&img, Some(&config), &[]);
    drop(session);
    assert_eq!(code, 3, "{doc}");
    let f = findings(&doc, "BV5010");
    assert_eq!(f.len(), 1, "{doc}");
    let sector = bad_byte / 512;
    let mut expected = vec![format!(
        "error: failure reading sector {sector:#x} from `hd0'."
    )];
    expected.extend(panic_lines());
    assert_eq!(strings(&f[0]["will_print"]), expected);
    let message = f[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "initrd '/initrd.img-{NEW}' cannot be read: sector {sector:#x} of hd0 (byte {in_file} of "
        )),
        "{message}"
    );
    assert!(
        findings(&quick, "BV5010").is_empty(),
        "raw reads only with --deep"
    );
    let _ = quick_code;
}

/// `bootvet check --deep` on the live system, for a config inside `mnt`.
fn check_live(config: &Path) -> Value {
    let out = support::bootvet_command()
        .args(["check", "--json", "--deep", "--config"])
        .arg(config)
        .env("NO_COLOR", "1")
        .output()
        .expect("run bootvet");
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{e}: {text}\n{}", String::from_utf8_lossy(&out.stderr)))
}

/// `filefrag -v` (e2fsprogs' own FIEMAP caller, without its sync flag): does
/// the file still have extents with no place on the disk?
fn filefrag_pending(path: &Path) -> bool {
    let out = Command::new("filefrag")
        .arg("-v")
        .arg(path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    text.contains("delalloc") || text.contains("unknown_loc") || text.contains("unwritten")
}

/// Where byte `at` of `path` is on its disk (the image is the whole disk), from
/// `filefrag -v -b4096`'s extent table.
fn disk_offset(path: &Path, at: u64) -> u64 {
    let frag = Command::new("filefrag")
        .arg("-v")
        .arg("-b4096")
        .arg(path)
        .output()
        .unwrap();
    let frag = String::from_utf8_lossy(&frag.stdout).into_owned();
    let block = frag
        .lines()
        .filter_map(|l| {
            let cols: Vec<&str> = l
                .split(|c: char| c == ':' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .collect();
            // ext: logical_start.. logical_end: physical_start.. physical_end: length:
            let n = |i: usize| cols.get(i)?.trim_end_matches("..").parse::<u64>().ok();
            let (l0, l1, p0) = (n(1)?, n(2)?, n(3)?);
            (l0..=l1)
                .contains(&(at / 4096))
                .then(|| p0 + at / 4096 - l0)
        })
        .next()
        .unwrap_or_else(|| panic!("byte {at} in {frag}"));
    block * 4096 + at % 4096
}

/// `len` bytes at `offset` of a block device as the disk holds them
/// (`dd iflag=direct`, past the page cache).
fn read_direct(dev: &str, offset: u64, len: usize) -> Vec<u8> {
    let block = offset / 4096;
    let out = Command::new("dd")
        .arg(format!("if={dev}"))
        .args(["iflag=direct", "bs=4096", "count=1", "status=none"])
        .arg(format!("skip={block}"))
        .output()
        .unwrap();
    assert!(out.status.success(), "dd {dev}");
    let start = (offset % 4096) as usize;
    out.stdout[start..start + len].to_vec()
}

fn sync() {
    assert!(Command::new("sync").status().unwrap().success());
}

/// The live comparison behind BV5011, on a real block device: an ext4 image
/// attached with losetup and mounted read-write. Files written without `sync`
/// have delayed-allocation extents (checked with filefrag); bytes overwritten in
/// place are read raw (`O_DIRECT` on /dev/loopN) and differ from what the mount
/// returns at exactly the overwritten byte. After `sync` both are gone.
#[test]
fn deep_live_read_finds_data_not_yet_on_the_disk() {
    if !support::privileged("needs root, loop devices, mount") {
        return;
    }
    let source = image("initrd-outlier");
    let dir = tempfile::tempdir().unwrap();
    let kernel_name = format!("vmlinuz-{NEW}");
    let initrd_name = format!("initrd.img-{NEW}");
    let mut payload = Vec::new();
    for name in [&kernel_name, &initrd_name] {
        let out = dir.path().join(name);
        debugfs(&source, &format!("dump /{name} {}", out.display()));
        let bytes = std::fs::read(&out).unwrap();
        assert!(bytes.len() > 1 << 18, "{name} dumped");
        payload.push((name.clone(), bytes));
    }
    let img = dir.path().join("boot.img");
    let status = Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext4", "-b", "4096", "-L", "bv5011"])
        .args(["-U", "6a0e7b0e-5011-4a4a-9b9b-0123456789ab"])
        .arg(&img)
        .arg("64M")
        .status()
        .unwrap();
    assert!(status.success());
    let out = Command::new("losetup")
        .args(["--find", "--show"])
        .arg(&img)
        .output()
        .unwrap();
    assert!(out.status.success(), "losetup");
    let dev = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let mnt = dir.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let mounted = Command::new("mount")
        .arg(&dev)
        .arg(&mnt)
        .status()
        .unwrap()
        .success();
    let result = std::panic::catch_unwind(|| {
        assert!(mounted, "mount {dev} failed");
        std::fs::create_dir(mnt.join("grub")).unwrap();
        let config = mnt.join("grub/grub.cfg");
        std::fs::copy(repo().join("tests/checks/BV5011/fail.cfg"), &config).unwrap();
        sync();

        // 1. Freshly written: delayed allocation. Another process's `sync` may
        // flush them before bootvet looks; then try again with new copies.
        let mut seen = false;
        for _ in 0..3 {
            for (name, bytes) in &payload {
                let _ = std::fs::remove_file(mnt.join(name));
                std::fs::write(mnt.join(name), bytes).unwrap();
            }
            let pending_before = payload.iter().all(|(n, _)| filefrag_pending(&mnt.join(n)));
            let doc = check_live(&config);
            let pending_after = payload.iter().all(|(n, _)| filefrag_pending(&mnt.join(n)));
            if !(pending_before && pending_after) {
                continue;
            }
            let f = findings(&doc, "BV5011");
            let messages: Vec<&str> = f.iter().map(|f| f["message"].as_str().unwrap()).collect();
            assert_eq!(messages.len(), 2, "{doc}");
            for ((name, bytes), message) in payload.iter().zip(&messages) {
                let role = if name.starts_with("vmlinuz") {
                    "kernel"
                } else {
                    "initrd"
                };
                assert_eq!(
                    *message,
                    format!(
                        "{role} '/{name}' is not on the disk yet: {} of its {} bytes are only in the page cache, and GRUB reads the disk",
                        bytes.len(),
                        bytes.len()
                    )
                );
            }
            assert_eq!(f[0]["severity"], "warning");
            seen = true;
            break;
        }
        assert!(
            seen,
            "writeback (another process's sync) raced every attempt"
        );

        // 2. On the disk: nothing to report, and every sector read raw.
        sync();
        let doc = check_live(&config);
        assert!(findings(&doc, "BV5011").is_empty(), "{doc}");
        assert!(
            findings(&doc, "BV5010").is_empty(),
            "O_DIRECT reads work: {doc}"
        );

        // 3. Overwritten in place: the extents stay, the page cache holds new
        // bytes, the disk the old ones, until writeback. Writeback (the kernel's
        // flusher, another process's sync) may reach the disk before bootvet
        // reads it: the disk is read raw after each check, and an attempt whose
        // bytes were already written back is made again with fresh bytes.
        let at: u64 = 1_000_003;
        let initrd = mnt.join(&initrd_name);
        let disk_byte = disk_offset(&initrd, at);
        let mut seen = false;
        for _ in 0..5 {
            let current = std::fs::read(&initrd).unwrap()[at as usize..at as usize + 10].to_vec();
            let new: Vec<u8> = current.iter().map(|b| !b).collect();
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(&initrd)
                .unwrap();
            std::os::unix::fs::FileExt::write_all_at(&file, &new, at).unwrap();
            drop(file);
            let doc = check_live(&config);
            if read_direct(&dev, disk_byte, new.len()) == new {
                continue;
            }
            let f = findings(&doc, "BV5011");
            assert_eq!(f.len(), 1, "{doc}");
            let message = f[0]["message"].as_str().unwrap();
            let expected = format!(
                "initrd '/{initrd_name}' is not on the disk yet: byte {at} of {} reads differently at sector {:#x} of hd",
                payload[1].1.len(),
                disk_byte / 512
            );
            assert!(
                message.starts_with(&expected),
                "{message}\nwanted {expected}…"
            );
            seen = true;
            break;
        }
        assert!(seen, "writeback raced every overwrite");
        sync();
        let doc = check_live(&config);
        assert!(findings(&doc, "BV5011").is_empty(), "{doc}");
    });
    if mounted {
        let _ = Command::new("umount").arg(&mnt).status();
    }
    let _ = Command::new("losetup").args(["-d", &dev]).status();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

/// ext4 grown past its GPT partition (the partition shrunk under it, the disk
/// still whole): the initrd's blocks past the partition's end are refused by
/// GRUB's partition check before the disk's, `attempt to read or write outside
/// of partition`, at the exact first sector (from debugfs).
#[test]
fn initrd_past_the_end_of_its_partition_but_inside_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("shrunk.img");
    let boot = dir.path().join("boot");
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(boot.join("grub")).unwrap();
    std::fs::create_dir_all(tree.join("lib/firmware")).unwrap();
    let run = |cmd: &mut Command| {
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    let release = "6.5.0-35-generic";
    run(Command::new("python3")
        .arg(repo().join("fixtures/scenarios/standin-kernel.py"))
        .arg(release)
        .arg(boot.join(format!("vmlinuz-{release}"))));
    // A real gzip'd newc initrd whose data does not compress: 6 MiB on the disk.
    let mut noise = vec![0u8; 6 << 20];
    let mut rng = support::Rng::new(0x9e37_79b9_7f4a_7c15);
    for b in noise.iter_mut() {
        *b = rng.next_u64() as u8;
    }
    std::fs::write(tree.join("lib/firmware/blob.bin"), &noise).unwrap();
    let initrd = boot.join(format!("initrd.img-{release}"));
    run(Command::new("bash").arg("-c").arg(format!(
        "cd {} && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1 > {}",
        tree.display(),
        initrd.display()
    )));
    std::fs::write(
        boot.join("grub/grub.cfg"),
        format!("menuentry 'Shrunk' {{\n\tlinux /vmlinuz-{release} root=/dev/vda2 ro\n\tinitrd /initrd.img-{release}\n}}\n"),
    )
    .unwrap();
    run(Command::new("truncate").args(["-s", "64M"]).arg(&img));
    let start: u64 = 4096 * 512;
    run(Command::new("sgdisk")
        .args(["-n1:2048:+1M", "-t1:ef02", "-n2:4096:+48M", "-t2:8300"])
        .arg(&img));
    run(Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext4", "-b", "4096", "-E"])
        .arg(format!("offset={start}"))
        .arg("-d")
        .arg(&boot)
        .arg(&img)
        .arg("48M"));
    let image = img.display().to_string();
    let blocks_of = |name: &str| -> Vec<u64> {
        let out = run(Command::new("debugfs")
            .args(["-R", &format!("blocks /{name}")])
            .arg(format!("{image}?offset={start}")));
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(|b| b.parse().unwrap())
            .collect()
    };
    let initrd_blocks = blocks_of(&format!("initrd.img-{release}"));
    let kernel_blocks = blocks_of(&format!("vmlinuz-{release}"));
    assert!(initrd_blocks.len() > 1000, "{}", initrd_blocks.len());
    // The partition now ends 1 MiB into the initrd; the filesystem and the disk
    // go on.
    let end_block = initrd_blocks[256];
    let part_end = start + end_block * 4096;
    run(Command::new("sgdisk")
        .args(["-d", "2"])
        .arg(format!("-n2:4096:{}", part_end / 512 - 1))
        .args(["-t2:8300"])
        .arg(&img));
    assert!(part_end < std::fs::metadata(&img).unwrap().len() - (1 << 20));

    let (code, doc) = check(&image, None, &["--platform", "pc"]);
    let f = findings(&doc, "BV5001");
    let kernel_out = kernel_blocks.iter().any(|b| *b >= end_block);
    assert_eq!(f.len(), 1 + usize::from(kernel_out), "{doc}");
    let f = f
        .iter()
        .find(|f| f["link"] == "initrd")
        .unwrap_or_else(|| panic!("{doc}"));
    let first_out = initrd_blocks.iter().position(|b| *b >= end_block).unwrap() as u64;
    let size = std::fs::metadata(&initrd).unwrap().len();
    assert_eq!(
        f["message"],
        format!(
            "initrd '/initrd.img-{release}' lies past the end of partition hd0,gpt2: byte {} of {size} is at sector {:#x}, the partition ends at sector {:#x}",
            first_out * 4096,
            part_end / 512,
            part_end / 512
        ),
        "{doc}"
    );
    assert_eq!(
        strings(&f["will_print"])[0],
        "error: attempt to read or write outside of partition."
    );
    assert_eq!(f["severity"], "error");
    assert_ne!(code, 0, "{doc}");
}

/// Small real volumes for the host-state fuzz runner: ext4 (1K blocks, with
/// `needs_recovery` set by debugfs), ext4 with 4K blocks and 64bit, ext2, FAT16,
/// and a GPT disk whose second partition holds ext4 with an initrd and leftovers.
fn host_fuzz_seeds(dir: &Path) -> Vec<Vec<u8>> {
    let run = |cmd: &mut Command| {
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let boot = dir.join("src/boot");
    std::fs::create_dir_all(&boot).unwrap();
    for name in [
        "initrd.img-6.1.0-13-amd64",
        "initrd.img-6.1.0-13-amd64.new",
        "initramfs-6.8.9.img",
        "vmlinuz-6.1.0-13-amd64.dpkg-tmp",
    ] {
        std::fs::write(boot.join(name), name.repeat(40)).unwrap();
    }
    let src = dir.join("src");
    let mut seeds = Vec::new();
    for (name, size, extra) in [
        ("ext4-1k", "512K", &["-t", "ext4", "-b", "1024"][..]),
        (
            "ext4-64bit",
            "1M",
            &["-t", "ext4", "-b", "4096", "-O", "64bit"][..],
        ),
        ("ext2", "256K", &["-t", "ext2", "-b", "1024"][..]),
    ] {
        let img = dir.join(format!("{name}.img"));
        run(Command::new("truncate").args(["-s", size]).arg(&img));
        run(Command::new("mke2fs")
            .args(["-q", "-F", "-N", "32", "-d"])
            .arg(&src)
            .args(extra)
            .arg(&img));
        if name == "ext4-1k" {
            run(Command::new("debugfs")
                .args(["-w", "-R", "feature needs_recovery"])
                .arg(&img));
        }
        seeds.push(std::fs::read(&img).unwrap());
    }
    let fat = dir.join("fat.img");
    run(Command::new("mkfs.vfat")
        .args(["-C", "-n", "BOOT"])
        .arg(&fat)
        .arg("1024"));
    run(Command::new("mcopy")
        .args(["-i"])
        .arg(&fat)
        .arg(boot.join("initrd.img-6.1.0-13-amd64.new"))
        .arg("::/"));
    seeds.push(std::fs::read(&fat).unwrap());
    let gpt = dir.join("gpt.img");
    run(Command::new("truncate").args(["-s", "1600K"]).arg(&gpt));
    run(Command::new("sgdisk")
        .args(["-n1:2048:0", "-t1:8300"])
        .arg(&gpt));
    run(Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext4", "-b", "1024", "-N", "32", "-E"])
        .arg(format!("offset={}", 2048 * 512))
        .arg("-d")
        .arg(&src)
        .arg(&gpt)
        .arg("500K"));
    seeds.push(std::fs::read(&gpt).unwrap());
    seeds
}

/// The body of `fuzz/fuzz_targets/host_state.rs` over mutated real volumes, with
/// mutations aimed at the superblock (bytes 1024–2047 of each volume) half the
/// time. `BOOTVET_FUZZ_SEED` / `BOOTVET_FUZZ_ITERATIONS` for a longer campaign.
#[test]
fn fuzz_runner_host_state() {
    let dir = tempfile::tempdir().unwrap();
    let seeds = host_fuzz_seeds(dir.path());
    let mut rng = support::Rng::new(
        std::env::var("BOOTVET_FUZZ_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0x5eed_b007_5011_0001),
    );
    let mut next = move || rng.next_u64();
    for seed in &seeds {
        bootvet::probe::fuzz_support::fuzz_host_state(seed);
    }
    let rounds: usize = std::env::var("BOOTVET_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    for i in 0..rounds {
        let mut data = seeds[i % seeds.len()].clone();
        // The GPT seed's volume starts at 1 MiB.
        let base = if data.len() > 1 << 20 && i % seeds.len() == seeds.len() - 1 {
            1 << 20
        } else {
            0
        };
        for _ in 0..1 + next() % 12 {
            let at = if next() % 2 == 0 {
                base + 1024 + (next() as usize) % 1024
            } else {
                (next() as usize) % data.len()
            };
            data[at] = match next() % 4 {
                0 => 0,
                1 => 0xff,
                _ => next() as u8,
            };
        }
        if next() % 10 == 0 {
            let len = (next() as usize) % data.len();
            data.truncate(len);
        }
        bootvet::probe::fuzz_support::fuzz_host_state(&data);
    }
}
