//! The links above grub.cfg (issue 14, BV6xxx) on images with a real GRUB:
//! `fixtures/boot/build.sh` (the QEMU suite's builder: `grub-mkimage` for efi,
//! `grub-install --target=i386-pc` onto a loop device for pc), each failure with
//! its passing twin (`healthy`), checked without booting. The boots that prove
//! the verdicts are in tests/boot.rs. efi images need no root; pc images need
//! loop devices (`BOOTVET_PRIVILEGED_TESTS=1`).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn kernel() -> Option<PathBuf> {
    let dir = support::debian_package(&support::debian_kernel_package()?)?;
    dir.join("boot").is_dir().then_some(dir)
}

fn image(kernel: &Path, scenario: &str, platform: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("loader-images");
    let img = dir.join(format!("{scenario}-{platform}.img"));
    if img.exists() {
        return img;
    }
    let mut build = Command::new("bash");
    // The sb-* scenarios take Debian's signed shim and GRUB.
    if scenario.starts_with("sb-") {
        let shim = support::debian_package("shim-signed").expect("shim-signed");
        let grub = support::debian_package("grub-efi-amd64-signed").expect("grub-efi-amd64-signed");
        build
            .env("BOOTVET_SB_SHIM", shim)
            .env("BOOTVET_SB_GRUB", grub);
    }
    let out = build
        .arg(repo().join("fixtures/boot/build.sh"))
        .arg(&dir)
        .arg(kernel)
        .arg(scenario)
        .arg(platform)
        .output()
        .expect("run fixtures/boot/build.sh");
    assert!(
        out.status.success(),
        "build.sh {scenario} {platform}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    img
}

/// `bootvet check --json`: exit status, finding codes, will-print lines. The
/// variable store build.sh wrote beside the image, if any, goes with it.
fn check(img: &Path, platform: &str) -> (i32, Vec<String>, Vec<String>, serde_json::Value) {
    let mut args = vec!["check", "--json", "--platform", platform];
    args.extend(["--image", img.to_str().expect("utf-8 path")]);
    let store = img.with_extension("vars.fd");
    if store.exists() {
        args.extend(["--efi-vars", store.to_str().expect("utf-8 path")]);
    }
    let out = support::bootvet_output(&args);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: no JSON ({e}): {}",
            img.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let codes = doc["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["code"].as_str().map(str::to_string))
        .collect();
    let prints = doc["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|f| f["will_print"].as_array().cloned().unwrap_or_default())
        .filter_map(|l| l.as_str().map(str::to_string))
        .collect();
    (out.status.code().unwrap_or(-1), codes, prints, doc)
}

fn inputs(platform: &str) -> Option<PathBuf> {
    let tools = ["grub-mkimage", "mcopy", "mke2fs", "sgdisk", "busybox"];
    for t in tools {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {t}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !support::require(found, t) {
            return None;
        }
    }
    let lib = format!(
        "/usr/lib/grub/{}",
        if platform == "pc" {
            "i386-pc"
        } else {
            "x86_64-efi"
        }
    );
    if !support::require(Path::new(&lib).is_dir(), &lib) {
        return None;
    }
    if platform == "pc" && !support::privileged("grub-install onto a loop device") {
        return None;
    }
    let k = kernel();
    support::require(k.is_some(), "Debian's kernel package")
        .then_some(())
        .and(k)
}

/// (scenario, the code it must raise, a will-print line it must hold).
const EFI_CASES: &[(&str, &str, &str)] = &[
    ("efi-loader-missing", "BV6101", ""),
    (
        "boot-new-uuid",
        "BV6201",
        "error: no such device: 3f9c1a52-8d5e-4c61-9a3b-2b7e5f1d0c44.",
    ),
    ("boot-inline-data", "BV6201", "error: unknown filesystem."),
    (
        "modules-missing",
        "BV6203",
        "error: file `/grub/x86_64-efi/normal.mod' not found.",
    ),
    ("grub-cfg-missing", "BV6204", "grub>"),
];

const PC_CASES: &[(&str, &str, &str)] = &[
    ("core-zeroed", "BV6002", ""),
    ("core-blocklist-bad", "BV6003", ""),
    ("core-corrupt-beyond", "BV6003", ""),
    ("core-unprotected", "BV6003", ""),
    (
        "boot-new-uuid",
        "BV6201",
        "error: no such device: 3f9c1a52-8d5e-4c61-9a3b-2b7e5f1d0c44.",
    ),
    ("boot-inline-data", "BV6201", "error: unknown filesystem."),
    (
        "samedisk-inline-data",
        "BV6202",
        "error: unknown filesystem.",
    ),
    (
        "modules-missing",
        "BV6203",
        "error: file `/grub/i386-pc/normal.mod' not found.",
    ),
    ("grub-cfg-missing", "BV6204", "grub>"),
];

fn run_cases(platform: &str, cases: &[(&str, &str, &str)]) {
    let Some(kernel) = inputs(platform) else {
        return;
    };
    // The passing twin: the same install, nothing broken.
    let healthy = image(&kernel, "healthy", platform);
    let (exit, codes, _, doc) = check(&healthy, platform);
    assert_eq!(exit, 0, "healthy {platform}: {codes:?}");
    assert!(
        !codes.iter().any(|c| c.starts_with("BV6")),
        "healthy {platform}: {codes:?}"
    );
    let chain = doc["chain"].as_array().expect("a chain in the JSON");
    assert_eq!(chain.len(), 4, "{chain:?}");
    assert!(chain.iter().all(|l| l["state"] == "pass"), "{chain:?}");
    for &(scenario, code, line) in cases {
        let img = image(&kernel, scenario, platform);
        let (exit, codes, prints, doc) = check(&img, platform);
        assert_eq!(exit, 3, "{scenario} {platform}: {codes:?}");
        assert!(
            codes.iter().any(|c| c == code),
            "{scenario} {platform}: want {code}, got {codes:?}"
        );
        assert!(
            doc["stops_before_menu"].is_number(),
            "{scenario} {platform}: not a stop before the menu"
        );
        if !line.is_empty() {
            assert!(
                prints.iter().any(|p| p == line),
                "{scenario} {platform}: want `{line}` in {prints:?}"
            );
        }
    }
}

#[test]
fn efi_links_above_grub_cfg() {
    run_cases("efi", EFI_CASES);
}

#[test]
fn pc_links_above_grub_cfg() {
    run_cases("pc", PC_CASES);
}

/// GRUB 2.12's 30_uefi-firmware under GRUB 2.06: an error on efi; on pc the
/// `if [ "$grub_platform" = "efi" ]` guard skips it, and the image boots.
#[test]
fn fwsetup_is_supported_on_2_06() {
    let Some(kernel) = inputs("efi") else {
        return;
    };
    let img = image(&kernel, "fwsetup-is-supported", "efi");
    let (exit, codes, _, _) = check(&img, "efi");
    assert_eq!(exit, 3, "{codes:?}");
    assert!(codes.iter().any(|c| c == "BV6206"), "{codes:?}");
    let healthy = image(&kernel, "healthy", "efi");
    let (_, codes, _, _) = check(&healthy, "efi");
    assert!(!codes.iter().any(|c| c == "BV6206"), "{codes:?}");
}

/// The firmware's boot entries (BV6150–BV6153), each scenario's variable store
/// written by virt-firmware (fixtures/efivars/boot-entries.py, from build.sh):
/// (scenario, exit status, the code it must raise or "" for none, a will-print
/// line it must hold). tests/boot.rs boots each under OVMF.
const ENTRY_CASES: &[(&str, i32, &str, &str)] = &[
    ("entry-healthy", 0, "", ""),
    (
        "entry-stale-fallback",
        0,
        "BV6150",
        "BdsDxe: failed to load Boot0001 \"debian\" from HD(2,GPT,0D8A9F0E-1111-4222-8333-444455556666,0x1000,0x8000)/\\EFI\\debian\\grubx64.efi: Not Found",
    ),
    (
        "entry-stale",
        3,
        "BV6150",
        "BdsDxe: failed to load Boot0001 \"debian\" from HD(2,GPT,0D8A9F0E-1111-4222-8333-444455556666,0x1000,0x8000)/\\EFI\\debian\\grubx64.efi: Not Found",
    ),
    (
        "entry-file-missing",
        3,
        "BV6151",
        "\\EFI\\debian\\shimx64.efi: Not Found",
    ),
    ("entry-bootnext-missing", 0, "BV6152", ""),
];

#[test]
fn efi_boot_entries() {
    let Some(kernel) = inputs("efi") else {
        return;
    };
    let ok = Command::new("python3")
        .args(["-c", "import virt.firmware.varstore.edk2"])
        .status()
        .is_ok_and(|s| s.success());
    if !support::require(ok, "python3 virt-firmware (scripts/setup.sh)") {
        return;
    }
    for &(scenario, exit, code, line) in ENTRY_CASES {
        let img = image(&kernel, scenario, "efi");
        assert!(
            img.with_extension("vars.fd").exists(),
            "{scenario}: build.sh wrote no variable store"
        );
        let (got, codes, prints, doc) = check(&img, "efi");
        assert_eq!(got, exit, "{scenario}: {codes:?}");
        let entry_codes: Vec<&String> = codes.iter().filter(|c| c.starts_with("BV615")).collect();
        if code.is_empty() {
            assert!(entry_codes.is_empty(), "{scenario}: {codes:?}");
        } else {
            assert_eq!(entry_codes, [code], "{scenario}: {codes:?}");
        }
        if !line.is_empty() {
            assert!(
                prints.iter().any(|p| p.ends_with(line)),
                "{scenario}: want `{line}` in {prints:?}"
            );
        }
        // The chain starts from the entry that runs.
        let firmware = &doc["chain"][0];
        assert_eq!(firmware["link"], "firmware", "{scenario}: {firmware}");
    }
    // The entry that runs is on the second disk, the grub.cfg checked on the
    // first: boot-new-uuid's image first (its /boot has another UUID, so the
    // second disk's GRUB finds its own /boot), entry-healthy's second (its store
    // names its own ESP).
    let healthy = image(&kernel, "boot-new-uuid", "efi");
    let entry = image(&kernel, "entry-healthy", "efi");
    let store = entry.with_extension("vars.fd");
    let out = support::bootvet_output(&[
        "check",
        "--json",
        "--platform",
        "efi",
        "--image",
        healthy.to_str().expect("utf-8"),
        "--image",
        entry.to_str().expect("utf-8"),
        "--efi-vars",
        store.to_str().expect("utf-8"),
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let codes: Vec<&str> = doc["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(codes.contains(&"BV6153"), "{codes:?}");
}

/// An image whose ESP holds only the removable loader `\EFI\BOOT\BOOTX64.EFI`
/// (build.sh's efi images: `grub-install --removable`'s layout) and whose MBR
/// carries no boot code (sgdisk's protective MBR) is an efi image: without
/// `--platform`, bootvet says so (it said pc before: it looked for
/// `EFI/*/grub*.efi` only).
#[test]
fn an_esp_with_only_the_removable_loader_is_detected_as_efi() {
    let Some(kernel) = inputs("efi") else {
        return;
    };
    let img = image(&kernel, "healthy", "efi");
    let out =
        support::bootvet_output(&["check", "--json", "--image", img.to_str().expect("utf-8")]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["platform"], "efi", "{}", doc["platform"]);
}

/// Another loader's MBR code on the disk the BIOS boots (BV6001): syslinux's
/// `gptmbr.bin` (Debian's syslinux-common), written over the 440 code bytes of a
/// copy of the healthy pc install, as `dd bs=440 count=1` does. A warning, not an
/// error: that code may still chain to a GRUB in a partition's boot record, which
/// bootvet does not follow. The healthy install's own boot.img raises nothing.
#[test]
fn another_loaders_mbr_code_is_named() {
    let Some(kernel) = inputs("pc") else {
        return;
    };
    let Some(syslinux) = support::debian_package("syslinux-common") else {
        return;
    };
    let healthy = image(&kernel, "healthy", "pc");
    let dir = tempfile::tempdir().expect("tempdir");
    let img = dir.path().join("foreign-mbr-pc.img");
    std::fs::copy(&healthy, &img).expect("copy the healthy image");
    let code = std::fs::read(syslinux.join("usr/lib/syslinux/mbr/gptmbr.bin")).expect("gptmbr.bin");
    assert!(code.len() <= 440, "gptmbr.bin is {} bytes", code.len());
    let mut disk = std::fs::OpenOptions::new()
        .write(true)
        .open(&img)
        .expect("open the copy");
    std::io::Write::write_all(&mut disk, &code).expect("write the MBR code");
    drop(disk);
    let (exit, codes, _, doc) = check(&img, "pc");
    // A warning: exit 0 unless --strict.
    assert_eq!(exit, 0, "{codes:?}");
    assert_eq!(codes, ["BV6001"], "{doc}");
    let (_, codes, _, _) = check(&healthy, "pc");
    assert!(!codes.iter().any(|c| c == "BV6001"), "{codes:?}");
}

/// 4 KiB of the embedded core's LZMA payload overwritten: the payload no longer
/// decodes as stored, but grub-install's Reed-Solomon codes are there and GRUB
/// repairs it before decoding (tests/boot.rs boots it: it boots). bootvet applies
/// the codes as GRUB's startup code does: exactly the 8 overwritten sectors are
/// put right, the core decodes, and the finding is a warning (BV6004) naming them.
#[test]
fn a_payload_the_reed_solomon_codes_repair_is_a_warning_naming_the_sectors() {
    let Some(kernel) = inputs("pc") else {
        return;
    };
    let img = image(&kernel, "core-corrupt", "pc");
    let (exit, codes, _, doc) = check(&img, "pc");
    // A warning: exit 0 unless --strict.
    assert_eq!(exit, 0, "{codes:?}");
    assert_eq!(codes, ["BV6004"], "{doc}");
    let evidence = doc["findings"][0]["evidence"].to_string();
    assert!(
        evidence.contains("damaged core sectors 20-27 (LBA 2068-2075)"),
        "{evidence}"
    );
}

/// Core sector 2 overwritten: bytes of lzma_decompress.img before its
/// `no_rs_length`, which GRUB's Reed-Solomon codes do not cover, so the payload
/// still decodes and the codes find nothing. bootvet compares the core with the
/// /grub/i386-pc/core.img grub-install wrote (everything the codes cover still
/// matches it) and names the damaged sector; the healthy twin matches it exactly
/// (run_cases). tests/boot.rs boots it.
#[test]
fn damage_the_codes_do_not_cover_is_found_against_the_installed_core_img() {
    let Some(kernel) = inputs("pc") else {
        return;
    };
    let img = image(&kernel, "core-unprotected", "pc");
    let (exit, codes, _, doc) = check(&img, "pc");
    assert_eq!(exit, 3, "{codes:?}");
    assert_eq!(codes, ["BV6003"], "{doc}");
    let message = doc["findings"][0]["message"].to_string();
    assert!(
        message
            .contains("in core sector 2 (LBA 2050), differ from (hd0,gpt3)/grub/i386-pc/core.img"),
        "{message}"
    );
}

/// The core a same-disk BIOS install writes (`(,gpt3)/grub`, no embedded search;
/// fixtures/boot/build.sh `samedisk_core`): healthy, it boots with nothing said;
/// with /boot made again under a new UUID it still finds its prefix by partition,
/// so the chain above grub.cfg holds and only grub.cfg's own `search` fails (a
/// warning: GRUB keeps $root and boots after its 10-second pause), where the
/// search-by-UUID core of `boot-new-uuid` stops at `grub rescue>`. tests/boot.rs
/// boots all three samedisk images.
#[test]
fn a_core_that_finds_its_prefix_by_partition_survives_a_new_boot_uuid() {
    let Some(kernel) = inputs("pc") else {
        return;
    };
    let (exit, codes, _, doc) = check(&image(&kernel, "samedisk-healthy", "pc"), "pc");
    assert_eq!((exit, codes.len()), (0, 0), "{doc}");
    let (exit, codes, prints, doc) = check(&image(&kernel, "samedisk-new-uuid", "pc"), "pc");
    assert_eq!(exit, 0, "{doc}");
    assert_eq!(codes, ["BV3001"], "{doc}");
    assert!(doc["stops_before_menu"].is_null(), "{doc}");
    assert!(
        prints.iter().any(|p| p == "Press any key to continue..."),
        "{prints:?}"
    );
}

/// One module gone or cut short at the prefix, on both platforms (tests/boot.rs
/// boots all six: the verdicts are what GRUB did). `linux.mod` missing: both
/// `linux` and `initrd` print its error and nothing boots (BV6207, an error);
/// `gzio.mod` empty: the entry's `insmod gzio` prints the loader's refusal, GRUB
/// waits and boots (a warning, exit 0); `crypto.mod` cut to half: normal.mod
/// needs it, so GRUB stops at `grub rescue>` (BV6203). The healthy twin has none
/// of these (run_cases).
#[test]
fn modules_missing_or_cut_short_at_the_prefix() {
    for platform in ["pc", "efi"] {
        let Some(kernel) = inputs(platform) else {
            return;
        };
        let dir = if platform == "pc" {
            "i386-pc"
        } else {
            "x86_64-efi"
        };
        let img = image(&kernel, "module-linux-missing", platform);
        let (exit, codes, prints, doc) = check(&img, platform);
        assert_eq!(exit, 3, "{doc}");
        assert!(codes.iter().any(|c| c == "BV6207"), "{codes:?}");
        let missing = format!("error: file `/grub/{dir}/linux.mod' not found.");
        assert_eq!(
            prints.iter().filter(|p| **p == missing).count(),
            2,
            "{prints:?}"
        );

        let img = image(&kernel, "module-gzio-empty", platform);
        let (exit, codes, prints, doc) = check(&img, platform);
        assert_eq!(exit, 0, "{doc}");
        assert!(codes.iter().any(|c| c == "BV6207"), "{codes:?}");
        let finding = doc["findings"]
            .as_array()
            .and_then(|f| f.iter().find(|f| f["code"] == "BV6207"))
            .expect("a BV6207 finding");
        assert_eq!(finding["severity"], "warning", "{platform}: {doc}");
        assert!(
            prints
                .iter()
                .any(|p| p == "error: ELF header smaller than expected."),
            "{prints:?}"
        );

        let img = image(&kernel, "module-crypto-cut", platform);
        let (exit, codes, prints, doc) = check(&img, platform);
        assert_eq!(exit, 3, "{doc}");
        assert!(codes.iter().any(|c| c == "BV6203"), "{codes:?}");
        assert!(doc["stops_before_menu"].is_number(), "{doc}");
        assert!(
            prints
                .iter()
                .any(|p| p == "error: ELF sections outside core."),
            "{prints:?}"
        );
    }
}

/// BV7012: Debian's signed chain under Secure Boot (Microsoft's keys), its initrd's
/// ext4.ko stripped of its signature. The QEMU suite's `sb-unsigned-module` shows
/// `Loading of unsigned module is rejected` and the initramfs shell; the twin with
/// Debian's signed modules (`sb-signed-chain`) boots. Without the variables the
/// state is unknown: a warning; on pc there is no Secure Boot.
#[test]
fn an_unsigned_root_module_is_refused_under_secure_boot() {
    let Some(kernel) = inputs("efi") else {
        return;
    };
    let unsigned = image(&kernel, "sb-unsigned-module", "efi");
    let vars = unsigned.with_extension("vars");
    let vars = vars.to_str().expect("utf-8 path");
    let json = |img: &Path, extra: &[&str]| {
        let mut args = vec![
            "check",
            "--json",
            "--image",
            img.to_str().expect("utf-8 path"),
        ];
        args.extend(extra);
        let out = support::bootvet_output(&args);
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("check JSON");
        (out.status.code(), doc)
    };
    let bv7012 = |doc: &serde_json::Value| -> Vec<serde_json::Value> {
        doc["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["code"] == "BV7012")
            .cloned()
            .collect()
    };
    let (exit, doc) = json(&unsigned, &["--efi-vars", vars]);
    assert_eq!(exit, Some(3), "{doc}");
    let found = bv7012(&doc);
    assert_eq!(found.len(), 1, "{doc}");
    assert_eq!(found[0]["severity"], "error");
    assert_eq!(
        found[0]["will_print"][0], "Loading of unsigned module is rejected",
        "{doc}"
    );
    assert!(
        found[0]["message"].as_str().unwrap_or("").contains("ext4"),
        "{doc}"
    );
    let (_, doc) = json(&unsigned, &[]);
    assert_eq!(bv7012(&doc)[0]["severity"], "warning", "{doc}");
    let (_, doc) = json(&unsigned, &["--secure-boot", "off"]);
    assert!(bv7012(&doc).is_empty(), "{doc}");
    // Booted by a BIOS, the same disk has no Secure Boot at all.
    let (_, doc) = json(&unsigned, &["--platform", "pc"]);
    assert!(bv7012(&doc).is_empty(), "{doc}");

    let signed = image(&kernel, "sb-signed-chain", "efi");
    let vars = signed.with_extension("vars");
    let (exit, doc) = json(&signed, &["--efi-vars", vars.to_str().expect("utf-8 path")]);
    assert!(bv7012(&doc).is_empty(), "{doc}");
    assert_eq!(exit, Some(0), "{doc}");
}
