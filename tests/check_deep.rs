//! Inside the kernel and the initrd, end to end: scenario images built by
//! `fixtures/scenarios/build.sh` (real GPT, ext4, gzip/zstd cpio initrds,
//! config-RELEASE files, lib/modules on root) run through `bootvet check --image`
//! as a user runs it. Each check has a triggering and a passing case; quick and
//! deep depth are compared on the same bytes.

mod support;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

const SCENARIOS: &[&str] = &[
    "deep-healthy",
    "deep-initrd-truncated",
    "deep-second-segment",
    "deep-junk-after",
    "deep-other-kernel",
    "deep-zstd-not-configured",
    "deep-lacks-ext4",
    "deep-native-root",
    "deep-microcode-only",
    "deep-bomb",
    "deep-ext4-deps",
    "root-luks",
    "deep-vermagic",
    "deep-ikconfig",
];

const PARTUUID_ROOT: &str = "PARTUUID=4c8f2d3e-1a5b-4c6d-9e7f-0a1b2c3d4e5f";
const UUID_ROOT: &str = "UUID=7d0cf1b2-55aa-4e2b-9c1d-0a1b2c3d4e5f";

/// The images, built once per test binary.
fn images() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| support::build_scenarios("check-deep", SCENARIOS))
}

struct Run {
    status: i32,
    json: Value,
}

impl Run {
    fn findings(&self, code: &str) -> Vec<&Value> {
        self.json["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["code"] == code)
            .collect()
    }

    /// Entry paths a code fires on, in report order.
    fn paths(&self, code: &str) -> Vec<String> {
        self.findings(code)
            .iter()
            .map(|f| f["entry"]["path"].as_str().unwrap_or("").to_string())
            .collect()
    }

    fn codes(&self) -> Vec<String> {
        self.json["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["code"].as_str().unwrap_or("").to_string())
            .collect()
    }
}

fn check(scenario: &str, args: &[&str]) -> Run {
    let image = images().join(format!("{scenario}.img"));
    let out = support::bootvet_command()
        .arg("check")
        .arg("--image")
        .arg(&image)
        .arg("--json")
        .args(args)
        .output()
        .expect("run bootvet");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{scenario}: not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    Run {
        status: out.status.code().expect("exit status"),
        json,
    }
}

fn lines(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|l| l.as_str().expect("string").to_string())
        .collect()
}

/// What the stand-in kernel 6.11.0-rc1+ prints when no initramfs runs and `root`
/// names no device it has: its config builds no block filesystem in
/// (`EXT4_FS=m`), so there is nothing to try, and from 6.7 the panic quotes root=.
fn panic_lines(root: &str) -> Vec<String> {
    vec![
        "List of all partitions:".into(),
        "No filesystem could mount root, tried:".into(),
        format!(
            "Kernel panic - not syncing: VFS: Unable to mount root fs on \"{root}\" or unknown-block(0,0)"
        ),
    ]
}

fn with_first(first: &str, rest: Vec<String>) -> Vec<String> {
    let mut v = vec![first.to_string()];
    v.extend(rest);
    v
}

#[test]
fn healthy_kernel_config_and_initrd_pass_quick_and_deep() {
    for args in [&[][..], &["--deep"][..]] {
        let run = check("deep-healthy", args);
        assert_eq!(run.codes(), Vec::<String>::new(), "{args:?}");
        assert_eq!(run.status, 0);
    }
}

#[test]
fn truncated_initrd_is_found_without_deep() {
    let run = check("deep-initrd-truncated", &[]);
    assert_eq!(run.paths("BV4104"), ["0", "1>0"]);
    let f = run.findings("BV4104")[0];
    assert!(
        f["message"].as_str().unwrap().starts_with(
            "initrd '/initrd.img-6.11.0-rc1+' is truncated: its gzip data ends at byte "
        ),
        "{}",
        f["message"]
    );
    assert_eq!(
        lines(&f["will_print"]),
        with_first(
            "Initramfs unpacking failed: read error",
            panic_lines(UUID_ROOT)
        )
    );
    // The entry for the kernel whose initrd is whole passes.
    assert_eq!(run.codes(), ["BV4104", "BV4104"]);
    assert_eq!(run.status, 3, "the default entry boots the truncated one");
}

/// Junk after a whole archive that holds /init and every module: the kernel
/// prints the line and boots on (the QEMU boot `deep-junk-after`), a warning.
#[test]
fn junk_after_the_archive_is_seen_without_deep() {
    let run = check("deep-junk-after", &[]);
    assert_eq!(run.paths("BV4104"), ["0", "1>0"]);
    let f = run.findings("BV4104")[0];
    assert_eq!(f["severity"], "warning");
    assert_eq!(
        lines(&f["will_print"]),
        ["Initramfs unpacking failed: invalid magic at start of compressed archive"]
    );
    assert!(
        lines(&f["evidence"])[1].ends_with("the boot goes on"),
        "{}",
        f["evidence"]
    );
    assert_eq!(run.status, 0);
}

/// `check` reads every initrd through, `--deep` or not: a fault in a later
/// compressed segment is found either way (it once needed `--deep`, and the
/// default check said "boots"). This one follows a whole segment with /init, so
/// the kernel runs it; but the cut segment carries modules bootvet read, which
/// may or may not have been unpacked: a warning, not "boots" and not "fails".
#[test]
fn a_fault_in_the_second_segment_is_found_with_and_without_deep() {
    let quick = check("deep-second-segment", &[]);
    assert_eq!(quick.paths("BV4104"), ["0", "1>0"]);
    let deep = check("deep-second-segment", &["--deep"]);
    assert_eq!(deep.paths("BV4104"), ["0", "1>0"]);
    let f = deep.findings("BV4104")[0];
    assert_eq!(f["severity"], "warning");
    assert_eq!(
        lines(&f["will_print"]),
        ["Initramfs unpacking failed: read error"]
    );
    let evidence = lines(&f["evidence"]);
    assert!(
        evidence[0].starts_with("gzip data starting at offset "),
        "{evidence:?}"
    );
    assert!(
        evidence[1].ends_with("which may be missing"),
        "{evidence:?}"
    );
    for run in [&quick, &deep] {
        assert_eq!(run.status, 0);
        assert_eq!(run.json["entries"][0]["verdict"], "may_fail");
    }
}

#[test]
fn initrd_built_for_another_kernel() {
    let run = check("deep-other-kernel", &[]);
    assert_eq!(run.paths("BV4105"), ["0", "1>0"]);
    let f = run.findings("BV4105")[0];
    assert_eq!(
        f["message"],
        "initrd '/initrd.img-6.11.0-rc1+' has no lib/modules/6.11.0-rc1+ for kernel '/vmlinuz-6.11.0-rc1+'"
    );
    assert!(lines(&f["evidence"]).contains(&"inside: lib/modules/6.5.0-35-generic".to_string()));
    assert_eq!(run.status, 3);
    assert!(check("deep-healthy", &[]).findings("BV4105").is_empty());
}

#[test]
fn compression_the_kernel_cannot_unpack() {
    let run = check("deep-zstd-not-configured", &[]);
    assert_eq!(run.paths("BV4106"), ["0", "1>0"]);
    let f = run.findings("BV4106")[0];
    assert_eq!(
        lines(&f["will_print"]),
        with_first(
            "Initramfs unpacking failed: compression method zstd not configured",
            panic_lines(UUID_ROOT)
        )
    );
    assert!(
        lines(&f["evidence"]).contains(
            &"(hd0,gpt3)/config-6.11.0-rc1+: CONFIG_RD_ZSTD not set; the kernel unpacks gzip, xz"
                .to_string()
        )
    );
    // The kernel built without CONFIG_BLK_DEV_INITRD ignores its (gzip) initrd.
    assert_eq!(run.paths("BV4006"), ["1>1"]);
    let f = run.findings("BV4006")[0];
    assert_eq!(
        f["message"],
        "kernel '/vmlinuz-6.12.0-noinitrd' has no CONFIG_BLK_DEV_INITRD: it ignores the initrd"
    );
    assert_eq!(lines(&f["will_print"]), panic_lines(UUID_ROOT));
    assert!(
        run.findings("BV4106")
            .iter()
            .all(|f| f["entry"]["path"] != "1>1")
    );
    assert!(check("deep-healthy", &[]).findings("BV4006").is_empty());
    // Not also reported as corruption: one fault, one code.
    assert!(run.findings("BV4104").is_empty());
    assert_eq!(run.status, 3);
    // The same zstd initrd with CONFIG_RD_ZSTD=y passes.
    assert!(check("deep-healthy", &[]).findings("BV4106").is_empty());
}

#[test]
fn initrd_without_the_root_filesystem_module() {
    let run = check("deep-lacks-ext4", &[]);
    // 6.11.0-rc1+ has ext4 as a module and an initrd without it; 6.5.0-35-generic
    // builds ext4 in, so its initrd needs no ext4.ko.
    assert_eq!(run.paths("BV4107"), ["0", "1>0"]);
    let f = run.findings("BV4107")[0];
    assert_eq!(
        f["message"],
        "initrd '/initrd.img-6.11.0-rc1+' lacks ext4.ko for the root path of kernel '/vmlinuz-6.11.0-rc1+'"
    );
    assert_eq!(
        lines(&f["evidence"])[0],
        "root filesystem ext4: CONFIG_EXT4_FS=m, a module (ext4.ko) only an initramfs can load"
    );
    assert_eq!(run.status, 3);
    assert!(
        check("deep-healthy", &["--deep"])
            .findings("BV4107")
            .is_empty()
    );
}

#[test]
fn initrd_with_the_root_module_but_not_its_dependencies() {
    let run = check("deep-ext4-deps", &[]);
    // 6.11.0-rc1+'s initrd has ext4.ko; its modules.dep (and root's) names jbd2,
    // mbcache and crc16. crc16 is built in; the other two are not there.
    assert_eq!(run.paths("BV4107"), ["0", "1>0"]);
    let f = run.findings("BV4107")[0];
    assert_eq!(
        f["message"],
        "initrd '/initrd.img-6.11.0-rc1+' lacks jbd2.ko and mbcache.ko for the root path of kernel '/vmlinuz-6.11.0-rc1+'"
    );
    let evidence = lines(&f["evidence"]);
    assert_eq!(
        evidence[1],
        "the initrd has ext4.ko, which needs jbd2, mbcache, crc16 (built in); jbd2.ko and mbcache.ko are not there: modprobe cannot load ext4 (\"Unknown symbol\" in the kernel log)"
    );
    assert_eq!(
        evidence[2],
        "dependencies from /initrd.img-6.11.0-rc1+:lib/modules/6.11.0-rc1+/modules.dep and (hd0,gpt4)/lib/modules/6.11.0-rc1+/modules.dep"
    );
    assert!(
        f["fix"]
            .as_str()
            .unwrap()
            .starts_with("add jbd2, mbcache to /etc/initramfs-tools/modules")
    );
    assert_eq!(run.status, 3);
    // 6.5.0-35-generic's initrd carries the whole closure: it passes, quick and deep.
    assert_eq!(run.codes(), ["BV4107", "BV4107"]);
    assert_eq!(
        check("deep-ext4-deps", &["--deep"]).paths("BV4107"),
        ["0", "1>0"]
    );
}

const LUKS_UUID: &str = "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

#[test]
fn root_on_luks_needs_cryptsetup_crypttab_and_dm_crypt_in_the_initrd() {
    let run = check("root-luks", &[]);
    // 0, 1>0: 6.5.0-35-generic, everything inside. 1>1: no cryptsetup, no
    // crypttab. 1>2: no dm-crypt.ko. 2: no initrd at all.
    assert_eq!(run.paths("BV4109"), ["1>1"]);
    let f = run.findings("BV4109")[0];
    assert_eq!(f["severity"], "error");
    assert_eq!(
        f["message"],
        "initrd '/initrd.img-6.11.0-rc1+' cannot open the dm-crypt (LUKS) under root=/dev/mapper/cryptroot"
    );
    let evidence = lines(&f["evidence"]);
    assert_eq!(
        evidence[0],
        "root=/dev/mapper/cryptroot is a device-mapper name of a LUKS mapping"
    );
    assert!(
        evidence[1].starts_with(&format!("(hd0,gpt4) is crypto_LUKS UUID={LUKS_UUID}: ")),
        "{}",
        evidence[1]
    );
    assert!(evidence[2].starts_with("the initrd holds no cryptsetup"));
    assert!(evidence[3].starts_with("the initrd holds no crypttab"));
    assert_eq!(
        lines(&f["will_print"]),
        [
            "Gave up waiting for root file system device.  Common problems:",
            "ALERT!  /dev/mapper/cryptroot does not exist.  Dropping to a shell!"
        ]
    );
    assert!(
        f["fix"]
            .as_str()
            .unwrap()
            .starts_with("`apt install cryptsetup-initramfs`")
    );

    assert_eq!(run.paths("BV4107"), ["1>2"]);
    let f = run.findings("BV4107")[0];
    assert_eq!(
        f["message"],
        "initrd '/initrd.img-6.12.0-nodm' lacks dm_crypt.ko for the root path of kernel '/vmlinuz-6.12.0-nodm'"
    );
    assert_eq!(
        lines(&f["evidence"])[0],
        "storage layer dm-crypt: CONFIG_DM_CRYPT=m, a module (dm_crypt.ko) only an initramfs can load"
    );

    assert_eq!(run.paths("BV4103"), ["2"]);
    let f = run.findings("BV4103")[0];
    assert_eq!(
        f["message"],
        "no initrd is loaded, but root=/dev/mapper/cryptroot sits on dm-crypt (LUKS): only an initramfs can open it"
    );
    // 6.5.0-35-generic: before 6.7 the panic names only the device number.
    let mut before_6_7 = panic_lines("…");
    before_6_7[2] =
        "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)".into();
    assert_eq!(lines(&f["will_print"]), before_6_7);
    // Inside LUKS the root filesystem is not readable: not finding it is no finding.
    assert!(run.findings("BV4202").is_empty());
    assert_eq!(run.codes().len(), 3, "{:?}", run.codes());
    assert_eq!(run.status, 1, "the default entry boots");
}

#[test]
fn luks_named_on_the_command_line_or_only_inferred() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("luks-cfg");
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("grub.cfg");
    let inner = "0b1c2d3e-0000-4000-8000-000000000001";
    std::fs::write(
        &cfg,
        format!(
            "search --no-floppy --fs-uuid --set=root 3f9c1a52-8d5e-4c61-9a3b-2b7e5f1d0c44\n\
             menuentry 'dracut style' {{\n\
             linux /vmlinuz-6.11.0-rc1+ root=UUID={inner} ro rd.luks.uuid=luks-{LUKS_UUID}\n\
             initrd /initrd.img-6.11.0-rc1+\n}}\n\
             menuentry 'named, complete' {{\n\
             linux /vmlinuz-6.5.0-35-generic root=UUID={inner} ro rd.luks.uuid={LUKS_UUID}\n\
             initrd /initrd.img-6.5.0-35-generic\n}}\n\
             menuentry 'Debian style, inferred' {{\n\
             linux /vmlinuz-6.11.0-rc1+ root=UUID={inner} ro\n\
             initrd /initrd.img-6.11.0-rc1+\n}}\n"
        ),
    )
    .unwrap();
    let run = check("root-luks", &["--config", cfg.to_str().unwrap()]);
    assert_eq!(run.paths("BV4109"), ["0", "2"]);
    let named = run.findings("BV4109")[0];
    assert_eq!(named["severity"], "error");
    let evidence = lines(&named["evidence"]);
    assert_eq!(
        evidence[0],
        format!("the command line has rd.luks.uuid=luks-{LUKS_UUID}")
    );
    assert_eq!(
        evidence[1],
        format!("(hd0,gpt4) is crypto_LUKS UUID={LUKS_UUID}: the volume the command line names")
    );
    // The command line names the volume: only the tool is missing.
    assert!(evidence[2].starts_with("the initrd holds no cryptsetup"));
    assert!(!evidence.iter().any(|l| l.contains("crypttab")));
    let inferred = run.findings("BV4109")[1];
    assert_eq!(inferred["severity"], "warning");
    assert_eq!(
        lines(&inferred["evidence"])[0],
        format!(
            "(hd0,gpt4) is crypto_LUKS UUID={LUKS_UUID}: root=UUID={inner} matches no volume bootvet can read, so it is presumably inside"
        )
    );
    assert!(run.findings("BV4202").is_empty(), "{:?}", run.codes());
    assert_eq!(run.codes(), ["BV4109", "BV4109"]);
}

#[test]
fn root_module_built_for_another_release() {
    for args in [&[][..], &["--deep"][..]] {
        let run = check("deep-vermagic", args);
        // 0, 1>0: ext4.ko for 6.11.0-rc1 without modversions: refused for sure.
        // 1>1: its own. 1>2: ext4.ko.xz for 6.5.0-33-generic with modversions.
        assert_eq!(run.paths("BV4110"), ["0", "1>0", "1>2"], "{args:?}");
        let f = run.findings("BV4110")[0];
        assert_eq!(f["severity"], "error");
        assert_eq!(
            f["message"],
            "initrd '/initrd.img-6.11.0-rc1+' carries ext4.ko built for 6.11.0-rc1, but kernel '/vmlinuz-6.11.0-rc1+' is 6.11.0-rc1+"
        );
        assert_eq!(
            lines(&f["will_print"]),
            [
                "ext4: version magic '6.11.0-rc1 SMP preempt mod_unload ' should be '6.11.0-rc1+ SMP preempt mod_unload '"
            ]
        );
        let xz = run.findings("BV4110")[2];
        assert_eq!(xz["severity"], "warning");
        assert_eq!(
            lines(&xz["evidence"])[0],
            "lib/modules/6.5.0-34-generic/kernel/fs/ext4/ext4.ko.xz: vermagic=6.5.0-33-generic SMP preempt mod_unload modversions"
        );
        assert_eq!(lines(&xz["will_print"]), Vec::<String>::new());
        assert_eq!(run.codes().len(), 3, "{:?}", run.codes());
    }
}

#[test]
fn config_embedded_in_the_compressed_kernel_when_config_release_is_absent() {
    // Without --deep the kernel is not decompressed: no config, no finding.
    let quick = check("deep-ikconfig", &[]);
    assert_eq!(quick.codes(), Vec::<String>::new());
    let run = check("deep-ikconfig", &["--deep"]);
    // No config-RELEASE on /boot: 6.11.0-rc1+'s .config comes from IKCONFIG in
    // its xz payload (no CONFIG_RD_ZSTD); 6.5.0-35-generic's from its zstd one.
    assert_eq!(run.paths("BV4106"), ["0", "1>0"]);
    let f = run.findings("BV4106")[0];
    assert!(
        lines(&f["evidence"]).contains(
            &"(hd0,gpt3)/vmlinuz-6.11.0-rc1+ (IKCONFIG in its xz payload): CONFIG_RD_ZSTD not set; the kernel unpacks gzip, xz"
                .to_string()
        ),
        "{}",
        f["evidence"]
    );
    assert_eq!(run.codes(), ["BV4106", "BV4106"]);
    assert_eq!(run.status, 3);
}

/// Debian's encrypted install: LVM inside LUKS, root=/dev/mapper/VG-LV. The
/// command line names only LVM; the LUKS volume under it is inferred from the disk.
#[test]
fn lvm_on_luks_needs_lvm_too() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("lvm-on-luks-cfg");
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("grub.cfg");
    std::fs::write(
        &cfg,
        "search --no-floppy --fs-uuid --set=root 3f9c1a52-8d5e-4c61-9a3b-2b7e5f1d0c44\n\
         menuentry 'Debian, LVM on LUKS' {\n\
         linux /vmlinuz-6.5.0-35-generic root=/dev/mapper/debian--vg-root ro quiet\n\
         initrd /initrd.img-6.5.0-35-generic\n}\n",
    )
    .unwrap();
    let run = check("root-luks", &["--config", cfg.to_str().unwrap()]);
    // The initrd has cryptsetup and crypttab, but no lvm.
    assert_eq!(run.paths("BV4109"), ["0"]);
    let f = run.findings("BV4109")[0];
    assert_eq!(f["severity"], "error");
    assert_eq!(
        f["message"],
        "initrd '/initrd.img-6.5.0-35-generic' cannot open the LVM under root=/dev/mapper/debian--vg-root"
    );
    assert_eq!(
        lines(&f["evidence"])[0],
        "root=/dev/mapper/debian--vg-root is a device-mapper name of an LVM volume (VG-LV)"
    );
    assert!(lines(&f["evidence"])[1].starts_with("the initrd holds no lvm"));
    assert!(f["fix"].as_str().unwrap().starts_with("`apt install lvm2`"));
    assert!(run.findings("BV4202").is_empty());
}

/// Root on LVM, with a real PV and VG written by pvcreate/vgcreate through a loop
/// device (root only; build.sh builds `root-lvm` only when named).
#[test]
fn root_on_lvm_needs_lvm_in_the_initrd() {
    if !support::privileged("needs root and a loop device") {
        return;
    }
    let dir = support::build_scenarios("check-deep-lvm", &["root-lvm"]);
    let run = support::bootvet_command()
        .args(["check", "--json", "--image"])
        .arg(dir.join("root-lvm.img"))
        .output()
        .expect("run bootvet");
    let json: Value = serde_json::from_slice(&run.stdout).expect("JSON");
    let run = Run {
        status: run.status.code().expect("exit status"),
        json,
    };
    // 6.11.0-rc1+'s initrd has dm-mod.ko but no lvm; 6.5.0-35-generic's has both.
    assert_eq!(run.paths("BV4109"), ["1>1"]);
    let f = run.findings("BV4109")[0];
    assert_eq!(
        f["message"],
        "initrd '/initrd.img-6.11.0-rc1+' cannot open the LVM under root=/dev/mapper/vgbootvet-root"
    );
    let evidence = lines(&f["evidence"]);
    assert!(
        evidence[1].starts_with("(hd0,gpt4) is LVM2_member UUID="),
        "{evidence:?}"
    );
    assert_eq!(
        evidence[2],
        "the initrd holds no lvm (looked for lvm in bin/, sbin/, usr/bin/, usr/sbin/)"
    );
    assert_eq!(
        lines(&f["will_print"])[1],
        "ALERT!  /dev/mapper/vgbootvet-root does not exist.  Dropping to a shell!"
    );
    assert_eq!(run.codes(), ["BV4109"]);
    assert_eq!(run.status, 1, "the default entry boots");
}

#[test]
fn root_bus_flag_names_the_disk_driver() {
    // sd_mod (CONFIG_BLK_DEV_SD=m) is in neither initrd: both kernels now miss it.
    let run = check("deep-lacks-ext4", &["--root-bus", "ahci,sd"]);
    assert_eq!(run.paths("BV4107"), ["0", "1>0", "1>1"]);
    let good = run.findings("BV4107")[2];
    assert_eq!(
        good["message"],
        "initrd '/initrd.img-6.5.0-35-generic' lacks ahci.ko and sd_mod.ko for the root path of kernel '/vmlinuz-6.5.0-35-generic'"
    );
    // nvme is in 6.11.0-rc1+'s initrd, and built as a module in both.
    let run = check("deep-lacks-ext4", &["--root-bus", "nvme"]);
    assert_eq!(run.paths("BV4107"), ["0", "1>0", "1>1"]);
    assert!(
        lines(&run.findings("BV4107")[0]["evidence"])
            .iter()
            .all(|l| !l.contains("nvme")),
        "nvme is in that initrd"
    );
}

#[test]
fn no_initrd_with_a_kernel_native_root_and_modular_drivers() {
    let run = check("deep-native-root", &[]);
    // 6.11.0-rc1+: every disk driver is a module; 6.12.0-fs: only ext4;
    // 6.12.0-mono builds everything in and boots without an initramfs.
    assert_eq!(run.paths("BV4103"), ["0", "1>0", "1>1"]);
    let all = run.findings("BV4103")[0];
    assert_eq!(lines(&all["will_print"]), panic_lines(PARTUUID_ROOT));
    assert_eq!(
        all["message"],
        format!(
            "no initrd is loaded, and kernel '/vmlinuz-6.11.0-rc1+' cannot mount root={PARTUUID_ROOT} by itself: ext4 (module), virtio_blk (module), ahci (module), nvme (module)"
        )
    );
    let fs_only = run.findings("BV4103")[2];
    assert_eq!(
        fs_only["message"],
        format!(
            "no initrd is loaded, and kernel '/vmlinuz-6.12.0-fs' cannot mount root={PARTUUID_ROOT} by itself: ext4 (module)"
        )
    );
    // An image has no MAJ:MIN to print; the line would be a guess.
    assert_eq!(lines(&fs_only["will_print"]), Vec::<String>::new());
    assert_eq!(run.status, 3);
    // A pinned bus that 6.11.0-rc1+ also has only as a module changes nothing;
    // the monolithic kernel still passes.
    let pinned = check("deep-native-root", &["--root-bus", "virtio_blk"]);
    assert_eq!(pinned.paths("BV4103"), ["0", "1>0", "1>1"]);
}

#[test]
fn an_initrd_without_init_leaves_the_kernel_to_mount_root_itself() {
    let run = check("deep-microcode-only", &[]);
    // 6.11.0-rc1+ loads intel-ucode.img alone (the top entry and its twin in the
    // submenu); 6.5.0-35-generic loads it before its initramfs, and 6.12.0-mono,
    // every driver built in, mounts root by itself: both boot.
    assert_eq!(run.paths("BV4113"), ["0", "1>0"]);
    let first = run.findings("BV4113")[0];
    assert_eq!(
        first["message"],
        format!(
            "no initrd the entry loads holds /init, and kernel '/vmlinuz-6.11.0-rc1+' cannot mount root={PARTUUID_ROOT} by itself: ext4 (module), virtio_blk (module), ahci (module), nvme (module)"
        )
    );
    assert_eq!(lines(&first["will_print"]), panic_lines(PARTUUID_ROOT));
    let evidence = lines(&first["evidence"]);
    assert!(
        evidence[0]
            .contains("no /init: early microcode only (kernel/x86/microcode/GenuineIntel.bin)"),
        "{evidence:?}"
    );
    // The initramfs never runs: what it lacks is not BV4107's to say, and an
    // initrd is loaded, so not BV4103's either.
    assert!(run.findings("BV4107").is_empty(), "{:?}", run.codes());
    assert!(run.findings("BV4103").is_empty(), "{:?}", run.codes());
    assert_eq!(run.status, 3);
    // rdinit= names another program than /init, which bootvet does not look for:
    // not BV4113's to judge (the archive's contents are, again).
    let cfg = images().join("microcode-rdinit.cfg");
    std::fs::write(
        &cfg,
        format!(
            "search --no-floppy --fs-uuid --set=root 3f9c1a52-8d5e-4c61-9a3b-2b7e5f1d0c44\nmenuentry 'rdinit' {{\n\tlinux /vmlinuz-6.11.0-rc1+ root={PARTUUID_ROOT} ro rdinit=/sbin/ucode-shell\n\tinitrd /intel-ucode.img\n}}\n"
        ),
    )
    .expect("write the config");
    let rdinit = check(
        "deep-microcode-only",
        &["--config", cfg.to_str().expect("utf-8 path")],
    );
    assert!(rdinit.findings("BV4113").is_empty(), "{:?}", rdinit.codes());
    assert_eq!(rdinit.paths("BV4107"), ["0"]);
}

#[test]
fn decompression_bomb_stops_at_the_limit_as_a_finding() {
    let quick = check("deep-bomb", &[]);
    assert_eq!(quick.paths("BV4108"), ["0", "1>0"]);
    assert_eq!(quick.status, 0);
    let deep = check("deep-bomb", &["--deep"]);
    assert_eq!(deep.paths("BV4108"), ["0", "1>0"]);
    let f = deep.findings("BV4108")[0];
    assert_eq!(f["severity"], "warning");
    assert_eq!(
        f["message"],
        "initrd '/initrd.img-6.5.0-35-generic' expands past 1073741824 bytes: bootvet stopped reading it"
    );
    assert_eq!(deep.status, 0, "a warning does not fail without --strict");
    assert_eq!(check("deep-bomb", &["--deep", "--strict"]).status, 3);
    // Past the machine's memory it cannot be unpacked: an error, with the panic
    // the QEMU suite's deep-bomb showed at 512 MiB. Under the limit, still a
    // warning: what lies past the limit is unknown.
    let small = check("deep-bomb", &["--memory", "512M"]);
    let f = small.findings("BV4108")[0];
    assert_eq!(f["severity"], "error");
    assert_eq!(
        lines(&f["will_print"]),
        ["Kernel panic - not syncing: System is deadlocked on memory"]
    );
    assert_eq!(small.status, 3);
    let big = check("deep-bomb", &["--memory", "4G"]);
    assert_eq!(big.findings("BV4108")[0]["severity"], "warning");
    assert_eq!(big.status, 0);
}

#[test]
fn explain_has_every_new_code() {
    for code in [
        "BV4006", "BV4104", "BV4105", "BV4106", "BV4107", "BV4108", "BV4103", "BV4109", "BV4110",
    ] {
        let out = support::bootvet_command()
            .args(["explain", code])
            .output()
            .expect("run bootvet explain");
        assert!(out.status.success(), "{code}");
        let text = String::from_utf8_lossy(&out.stdout);
        for section in ["What it checks", "Why it breaks the boot", "Example", "Fix"] {
            assert!(text.contains(section), "{code}: {section}");
        }
    }
}

/// Quick depth decompresses only the first compressed segment, but bytes right
/// after it that are no segment at all are still found (they cost one peek).
#[test]
fn quick_depth_sees_junk_right_after_the_first_compressed_segment() {
    use bootvet::inspect::initrd::{self, Depth, ErrorKind};
    use std::io::Cursor;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("quick-junk");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("init"), b"#!/bin/sh\n").unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg("echo init | cpio -o -H newc --quiet | gzip -9n")
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    let clean = out.stdout;
    let mut junk = clean.clone();
    junk.extend_from_slice(b"log line\n");
    let r = initrd::inspect(Cursor::new(&junk), Depth::Quick).unwrap();
    let e = r.error.expect("junk found");
    assert_eq!(e.kind, ErrorKind::InvalidMagic);
    assert_eq!(e.offset, clean.len() as u64);
    // A second real segment after the first is left for --deep, not flagged.
    let mut two = clean.clone();
    two.extend_from_slice(&clean);
    let r = initrd::inspect(Cursor::new(&two), Depth::Quick).unwrap();
    assert_eq!(r.error, None);
    assert_eq!(r.segments.len(), 1);
}

/// `check --facts` on deep-lacks-ext4's facts with parts taken out, as a
/// machine without them would give: its JSON findings and exit status.
fn replay_without(name: &str, strip: impl Fn(&mut serde_json::Map<String, Value>)) -> Run {
    let dir = images();
    let facts = dir.join(format!("deep-lacks-ext4.{name}.facts.json"));
    let dumped = support::bootvet_command()
        .arg("check")
        .arg("--image")
        .arg(dir.join("deep-lacks-ext4.img"))
        .arg("--dump-facts")
        .arg(&facts)
        .output()
        .expect("run bootvet");
    assert!(dumped.status.code().is_some(), "{dumped:?}");
    let mut doc: Value =
        serde_json::from_slice(&std::fs::read(&facts).expect("read facts")).expect("facts JSON");
    for kernel in doc["facts"]["kernels"].as_array_mut().expect("kernels") {
        strip(kernel.as_object_mut().expect("kernel side"));
    }
    std::fs::write(&facts, serde_json::to_vec(&doc).expect("JSON")).expect("write facts");
    let out = support::bootvet_command()
        .arg("check")
        .arg("--facts")
        .arg(&facts)
        .arg("--json")
        .output()
        .expect("run bootvet");
    Run {
        status: out.status.code().expect("exit status"),
        json: serde_json::from_slice(&out.stdout).expect("check JSON"),
    }
}

/// Issue 17: without config-RELEASE, the root's modules.builtin decides (a
/// driver it does not list is not built in: the initrd must bring it), and with
/// neither file BV4107 says the answer is unknown instead of nothing.
#[test]
fn without_a_config_modules_builtin_decides_and_without_both_it_is_unknown() {
    let run = replay_without("no-config", |k| {
        k.remove("config");
    });
    assert_eq!(run.status, 3);
    let f = run.findings("BV4107");
    // 1>1 boots 6.5.0-35-generic, whose config said EXT4_FS=y: without it, its
    // root's modules.builtin (empty) says ext4 is not built in.
    assert_eq!(
        run.paths("BV4107"),
        ["0", "1>0", "1>1"],
        "{:?}",
        run.codes()
    );
    assert_eq!(f[0]["severity"], "error");
    assert!(
        f[0]["evidence"][0]
            .as_str()
            .unwrap_or("")
            .contains("not in (hd0,gpt4)/lib/modules/6.11.0-rc1+/modules.builtin"),
        "{}",
        f[0]["evidence"]
    );
    let run = replay_without("no-config-no-builtin", |k| {
        k.remove("config");
        for m in k["modules"].as_array_mut().expect("modules") {
            m.as_object_mut()
                .expect("modules on root")
                .remove("builtin");
        }
    });
    let f = run.findings("BV4107");
    assert!(!f.is_empty(), "{:?}", run.codes());
    for finding in &f {
        assert_eq!(finding["severity"], "warning");
        assert!(
            finding["message"]
                .as_str()
                .unwrap_or("")
                .contains("is unknown"),
            "{}",
            finding["message"]
        );
    }
    assert_ne!(run.status, 3, "{:?}", run.codes());
}
