//! The QEMU verification suite (issue #16): boots real images — a real GRUB install,
//! Debian's kernel, a busybox initramfs with the kernel's real modules — under
//! qemu-system-x86_64 (TCG; SeaBIOS for pc, OVMF for efi) and asserts that bootvet's
//! verdict on the same image is what really happened:
//!   - exit 3 ⇔ the boot failed; exit 0/1 ⇔ it booted (exit 2 never agrees);
//!   - when it failed, the first line GRUB or the kernel printed about it matches one
//!     of bootvet's will-print lines for the entry that boots next (`line_matches`).
//!
//! Every disagreement must be listed in fixtures/boot/KNOWN-GAPS.tsv with the issue
//! that will fix it; a listed gap that no longer disagrees fails too, so the list
//! stays true. The run's ground truth goes to fixtures/boot/results.tsv and the
//! generated table in fixtures/boot/README.md (`BOOTVET_BOOT_WRITE=1`); without it
//! the run is compared with them.
//!
//! Opt-in: `BOOTVET_BOOT_TESTS=1` (needs root and loop devices to build pc images).
//! `BOOTVET_BOOT_ONLY=healthy,kernel-missing` limits the scenarios,
//! `BOOTVET_BOOT_SKIP=a,b` leaves some out, `BOOTVET_BOOT_JOBS` sets the parallel
//! boots (default 2).

#[path = "boot/classify.rs"]
mod classify;
#[path = "boot/live.rs"]
mod live;
#[path = "boot/qemu.rs"]
mod qemu;
#[path = "boot/results.rs"]
mod results;
mod support;
#[path = "boot/verdict.rs"]
mod verdict;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Instant;

use results::{Case, Row};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The first matrix: (scenario, platforms, machine memory in MiB).
const MATRIX: &[(&str, &[&str], u32)] = &[
    ("healthy", &["pc", "efi"], 512),
    ("kernel-missing", &["pc", "efi"], 512),
    ("initrd-missing", &["pc", "efi"], 512),
    ("initrd-truncated", &["pc", "efi"], 512),
    ("no-initrd-line", &["pc", "efi"], 512),
    // ... with rootfstype=ext4, a module: the kernel's first attempt fails hard.
    ("no-initrd-rootfstype", &["pc"], 512),
    // BV4113: an early-microcode image alone, as 10_linux writes it without an initramfs.
    ("initrd-microcode-only", &["pc"], 512),
    ("root-uuid-unknown", &["pc", "efi"], 512),
    ("grub-cfg-missing", &["pc", "efi"], 512),
    ("modules-missing", &["pc", "efi"], 512),
    ("module-linux-missing", &["pc", "efi"], 512),
    ("module-gzio-empty", &["pc", "efi"], 512),
    ("module-crypto-cut", &["pc", "efi"], 512),
    ("init-missing", &["pc", "efi"], 512),
    ("kernel-cut-tail", &["pc", "efi"], 512),
    ("kernel-cut-payload", &["pc", "efi"], 512),
    ("big-initrd", &["pc", "efi"], 256),
    ("big-initrd-grub-oom", &["pc"], 136),
    ("big-initrd-unpack-oom", &["pc"], 192),
    ("big-initrd-unpack-close", &["pc"], 208),
    // fixtures/boot/matrix.sh: Debian's own initramfs (mkinitramfs), then machines
    // that differ. The initramfs and the root's stack do not depend on the firmware:
    // those run on pc only; memory and disk order do, so both.
    ("deb-healthy", &["pc", "efi"], 512),
    ("deb-root-uuid-unknown", &["pc"], 512),
    ("deb-init-missing", &["pc"], 512),
    ("deb-no-root-driver", &["pc"], 512),
    ("deb-no-root-fs-driver", &["pc"], 512),
    ("deb-ram-4g", &["pc", "efi"], 4096),
    ("deb-two-disks", &["pc", "efi"], 512),
    ("deb-root-lvm", &["pc"], 512),
    ("deb-root-btrfs", &["pc"], 512),
    ("deb-root-xfs", &["pc"], 512),
    ("deb-root-luks", &["pc"], 512),
    ("deb-root-lvm-no-lvm", &["pc"], 512),
    ("deb-root-luks-no-cryptsetup", &["pc"], 512),
    // From fixtures/scenarios (the others: fixtures/boot/README.md says why not).
    ("deb-init-dangling", &["pc"], 512),
    ("deb-init-relative", &["pc"], 512),
    ("search-uuid-stale", &["pc"], 512),
    ("search-uuid-unknown", &["pc"], 512),
    ("grubenv-corrupt", &["pc"], 512),
    ("default-submenu", &["pc", "efi"], 512),
    // Issue 21: a submenu reading a variable that is not exported (upstream rule).
    ("submenu-unexported-var", &["pc"], 512),
    // Issue 14: the links above grub.cfg.
    ("core-zeroed", &["pc"], 512),
    ("core-corrupt", &["pc"], 512),
    ("core-corrupt-beyond", &["pc"], 512),
    ("core-unprotected", &["pc"], 512),
    ("samedisk-healthy", &["pc"], 512),
    ("samedisk-inline-data", &["pc"], 512),
    ("samedisk-new-uuid", &["pc"], 512),
    ("core-blocklist-bad", &["pc"], 512),
    ("efi-loader-missing", &["efi"], 512),
    ("boot-new-uuid", &["pc", "efi"], 512),
    ("boot-inline-data", &["pc", "efi"], 512),
    ("fwsetup-is-supported", &["pc", "efi"], 512),
    // BV6205: Debian 12's 2.06 image, Debian 13's 2.12 modules at its prefix.
    ("core-modules-mismatch", &["pc", "efi"], 512),
    // Issue 15: Secure Boot (fixtures/boot/secure_boot.sh), OVMF's secboot code with
    // Microsoft's keys enrolled and the image's own variable store.
    ("sb-signed-chain", &["efi"], 512),
    ("sb-unsigned-kernel", &["efi"], 512),
    ("sb-kernel-own-key", &["efi"], 512),
    ("sb-kernel-mok", &["efi"], 512),
    ("sb-unsigned-grub", &["efi"], 512),
    ("sb-sbat-grub", &["efi"], 512),
    ("sb-dbx-grub", &["efi"], 512),
    ("sb-unsigned-loader", &["efi"], 512),
    // BV6102: shim as BOOTX64.EFI, no grubx64.efi beside it.
    ("sb-shim-no-grub", &["efi"], 512),
    // BV7007: a Xen-shaped entry; multiboot2.mod is not in the signed GRUB.
    ("sb-multiboot2", &["efi"], 512),
    // `insmod` of a module the signed GRUB lacks: refused, and the entry boots.
    ("sb-insmod-unused", &["efi"], 512),
    // 00_header's `loadfont unicode` with the font on /boot.
    ("sb-loadfont", &["efi"], 512),
    // ... and a theme's font by its path on /boot.
    ("sb-loadfont-theme", &["efi"], 512),
    // grub-reboot into an entry chainloading another GRUB: signed by Debian's
    // key, unsigned, signed by a MOK key.
    ("sb-chain-signed", &["efi"], 512),
    ("sb-chain-unsigned", &["efi"], 512),
    ("sb-chain-mok", &["efi"], 512),
    // ... and chainloading another shim (Microsoft's signature, db).
    ("sb-chain-db", &["efi"], 512),
    // Debian's signed GRUB started by the firmware (its CA in db), no shim.
    ("sb-grub-no-shim", &["efi"], 512),
    ("sb-unsigned-module", &["efi"], 512),
    // Issue 14: the firmware's Boot#### entries (a variable store per scenario).
    ("entry-healthy", &["efi"], 512),
    ("entry-stale-fallback", &["efi"], 512),
    ("entry-stale", &["efi"], 512),
    ("entry-file-missing", &["efi"], 512),
    ("entry-bootnext-missing", &["efi"], 512),
    // GRUB waits for a person (fixtures/boot/waits.sh): the menu with no timeout,
    // Ubuntu's recordfail branch, a password; and the twins that boot by themselves.
    ("menu-timeout-forever", &["pc", "efi"], 512),
    ("menu-recordfail", &["pc"], 512),
    ("menu-recordfail-clear", &["pc"], 512),
    ("menu-superusers", &["pc", "efi"], 512),
    ("menu-superusers-unrestricted", &["pc"], 512),
    // Other partition tables (fixtures/boot/layouts.sh): a logical /boot on an
    // msdos disk (BIOS), and a disk copied short inside the initrd.
    ("mbr-logical-boot", &["pc"], 512),
    ("mbr-logical-renumbered", &["pc"], 512),
    ("partition-past-end", &["pc", "efi"], 512),
    // fixtures/boot/deep.sh: GRUB's fallback to entry 0, initrds with the wrong
    // content (the busybox initramfs's words: the verdict only).
    ("default-points-nowhere", &["pc"], 512),
    ("deep-other-kernel", &["pc"], 512),
    ("deep-ext4-deps", &["pc"], 512),
    ("deep-bomb", &["pc"], 512),
    ("deep-lacks-ext4", &["pc"], 512),
    ("deep-junk-after", &["pc"], 512),
    ("deep-second-segment", &["pc"], 512),
    // Issue 17, BV4209: a btrfs root in subvolume @ (rootflags=subvol=@), and the
    // same with @ renamed since (Debian's initramfs: `Failed to mount … as root
    // file system.`).
    ("deb-root-btrfs-subvol", &["pc"], 512),
    ("deb-root-btrfs-subvol-gone", &["pc"], 512),
    // Issue 17: grub-btrfs's snapshot entry chosen with grub-reboot, the snapshot
    // there, and deleted by snapper since (fixtures/scenarios' btrfs-snapshot-deleted).
    ("deb-btrfs-snapshot", &["pc"], 512),
    ("deb-btrfs-snapshot-deleted", &["pc"], 512),
    // Issue 17: a root with systemd 252 as init (fixtures/boot/systemd.sh), which
    // reads /etc/fstab and /etc/crypttab; Debian's initramfs. pc only: the firmware
    // plays no part once the kernel runs.
    ("deb-fstab-esp-stale", &["pc"], 512),
    ("deb-fstab-esp-nofail", &["pc"], 512),
    ("deb-fstab-root-other", &["pc"], 512),
    ("deb-crypttab-missing", &["pc"], 512),
    // Issue 17: the ESP line of deb-fstab-esp-stale on a root whose account is
    // locked (`root:*:`): sulogin refuses the emergency console.
    ("deb-fstab-esp-locked", &["pc"], 512),
    // bootvet run live inside the guest (fixtures/boot/live.sh, issues 14, 15, 17):
    // the root's dm stack walked through sysfs, the firmware's entries and the
    // Secure Boot state read from efivarfs (tests/boot/live.rs).
    ("live-root-lvm", &["pc"], 512),
    ("live-root-luks", &["pc"], 512),
    ("live-efi", &["efi"], 512),
    ("live-sb", &["efi"], 512),
    // Linux 6.12, Debian 12's newer series (`NAME@SERIES`, `kernel_series`): what
    // the kernel prints when it cannot mount root changed in 6.5, 6.7 and 6.12
    // (src/check/rules/root_mount_lines.rs); and a boot that works. Its cloud
    // flavour builds ext4 in, as Ubuntu's kernels do.
    ("healthy@6.12", &["pc"], 512),
    ("no-initrd-line@6.12", &["pc"], 512),
    ("initrd-microcode-only@6.12", &["pc"], 512),
    ("no-initrd-line@6.12-cloud", &["pc"], 512),
    ("no-initrd-rootfstype@6.12", &["pc"], 512),
    // BV4210: rootfstype= naming a type the root is not (xfs on ext4), and twins
    // naming its own: under Debian's initramfs, and under the 6.12 cloud kernel
    // alone, which finds root=PARTUUID= on an NVMe disk (build.sh's disk_bus).
    ("deb-rootfstype-xfs", &["pc"], 512),
    ("deb-rootfstype-ext4", &["pc"], 512),
    // ext3 on an ext4 root: the ext4 driver's ext3 type refuses its features
    // (under the initramfs, and silently under the kernel alone); the twin on
    // a root that is still ext3.
    ("deb-rootfstype-ext3", &["pc"], 512),
    ("deb-rootfstype-ext3-on-ext3", &["pc"], 512),
    ("no-initrd-partuuid-xfs@6.12-cloud", &["pc"], 512),
    ("no-initrd-partuuid-ext3@6.12-cloud", &["pc"], 512),
    ("no-initrd-partuuid-ext4@6.12-cloud", &["pc"], 512),
];

fn cases() -> Vec<Case> {
    let only: Option<Vec<String>> = std::env::var("BOOTVET_BOOT_ONLY")
        .ok()
        .map(|s| s.split(',').map(|x| x.trim().to_string()).collect());
    // The opposite of ONLY: every scenario but these (a CI subset, README).
    let skip: Vec<String> = std::env::var("BOOTVET_BOOT_SKIP")
        .map(|s| s.split(',').map(|x| x.trim().to_string()).collect())
        .unwrap_or_default();
    let mut cases = Vec::new();
    for &(scenario, platforms, memory_mib) in MATRIX {
        if only
            .as_ref()
            .is_some_and(|o| !o.iter().any(|x| x == scenario))
            || skip.iter().any(|x| x == scenario)
        {
            continue;
        }
        for &platform in platforms {
            cases.push(Case {
                scenario: scenario.to_string(),
                platform: platform.to_string(),
                memory_mib,
            });
        }
    }
    cases
}

/// A missing input: a failure under CI, a loud skip elsewhere.
fn missing(what: &str) -> bool {
    let msg = format!("the QEMU suite needs {what}");
    if std::env::var_os("CI").is_some() {
        panic!("{msg}");
    }
    eprintln!("\n!!!!! SKIPPING the QEMU suite: {msg} !!!!!\n");
    true
}

/// Debian's kernel package (the one `linux-image-amd64` depends on), fetched once
/// into the cache the other test binaries share; its extracted root.
fn debian_kernel() -> Option<PathBuf> {
    let dir = support::debian_package(&support::debian_kernel_package()?)?;
    dir.join("boot").is_dir().then_some(dir)
}

/// `NAME@SERIES`: scenario NAME of fixtures/boot/build.sh booted with the kernel of
/// `linux-image-SERIES-amd64` instead of Debian's default one.
fn kernel_series(scenario: &str) -> (&str, Option<&str>) {
    match scenario.split_once('@') {
        Some((name, series)) => (name, Some(series)),
        None => (scenario, None),
    }
}

/// The extracted kernel packages the cases boot: Debian's default one, and one
/// per other series the matrix names.
struct Kernels {
    default: PathBuf,
    series: Vec<(String, PathBuf)>,
}

impl Kernels {
    fn fetch(cases: &[Case]) -> Option<Kernels> {
        let Some(default) = debian_kernel() else {
            missing("Debian's kernel package (apt-get download linux-image-*-amd64)");
            return None;
        };
        let mut series: Vec<(String, PathBuf)> = Vec::new();
        for case in cases {
            let Some(name) = kernel_series(&case.scenario).1 else {
                continue;
            };
            if series.iter().any(|(s, _)| s == name) {
                continue;
            }
            let meta = format!("linux-image-{name}-amd64");
            let Some(root) = support::kernel_package_of(&meta)
                .and_then(|pkg| support::debian_package(&pkg))
                .filter(|dir| dir.join("boot").is_dir())
            else {
                missing(&format!("the kernel of {meta} (apt-get download)"));
                return None;
            };
            series.push((name.to_string(), root));
        }
        Some(Kernels { default, series })
    }

    /// The case's kernel root, and where its images go: another series' beside
    /// the default's, in a directory named after its package.
    fn for_case(&self, images: &Path, case: &Case) -> (PathBuf, PathBuf) {
        match kernel_series(&case.scenario).1 {
            None => (self.default.clone(), images.to_path_buf()),
            Some(name) => {
                let (_, root) = self
                    .series
                    .iter()
                    .find(|(s, _)| s == name)
                    .expect("Kernels::fetch saw every series");
                let dir = images.join(root.file_name().unwrap_or_default());
                (root.clone(), dir)
            }
        }
    }
}

/// The images' directory, emptied when the scripts that build them change.
fn images_dir(kernel: &Path) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("boot-images");
    let mut stamp = kernel.display().to_string();
    for f in [
        "build.sh",
        "matrix.sh",
        "secure_boot.sh",
        "waits.sh",
        "layouts.sh",
        "deep.sh",
        "dbx-add-hash.py",
        "initrd-init.sh",
        "root-init.sh",
        "systemd.sh",
        "systemd-root.sh",
        "live.sh",
        "live-init.sh",
        "../live-sysfs/capture.sh",
    ] {
        let text = std::fs::read_to_string(repo().join("fixtures/boot").join(f))
            .expect("read fixtures/boot scripts");
        stamp.push_str(&text);
    }
    let stamp_file = dir.join("STAMP");
    if std::fs::read_to_string(&stamp_file).ok().as_deref() != Some(stamp.as_str()) {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the images directory");
        std::fs::write(&stamp_file, &stamp).expect("write STAMP");
    }
    dir
}

/// The case's disks in the firmware's order: the image, and the second disk when
/// build.sh wrote one (`SCENARIO-PLATFORM.disk2.img`).
fn disks(img: &Path) -> Vec<PathBuf> {
    let second = img.with_extension("disk2.img");
    let mut disks = vec![img.to_path_buf()];
    if second.exists() {
        disks.push(second);
    }
    disks
}

/// Debian's signed shim and GRUB (shim-signed, grub-efi-amd64-signed), extracted in
/// the shared package cache: the Secure Boot scenarios' loaders (secure_boot.sh).
struct SignedLoaders {
    shim: PathBuf,
    grub: PathBuf,
}

fn signed_loaders() -> Option<SignedLoaders> {
    Some(SignedLoaders {
        shim: support::debian_package("shim-signed")?,
        grub: support::debian_package("grub-efi-amd64-signed")?,
    })
}

fn build(
    images: &Path,
    kernels: &Kernels,
    loaders: Option<&SignedLoaders>,
    case: &Case,
) -> Vec<PathBuf> {
    let (kernel, images) = kernels.for_case(images, case);
    let name = kernel_series(&case.scenario).0;
    let img = images.join(format!("{name}-{}.img", case.platform));
    // A live-* image holds the bootvet just built: made again every run.
    let live = case.scenario.starts_with("live-");
    if img.exists() && !live {
        return disks(&img);
    }
    let mut cmd = Command::new("bash");
    if live {
        cmd.env("BOOTVET_LIVE_BIN", env!("CARGO_BIN_EXE_bootvet"));
    }
    if let Some(l) = loaders {
        cmd.env("BOOTVET_SB_SHIM", &l.shim)
            .env("BOOTVET_SB_GRUB", &l.grub);
    }
    let out = cmd
        .arg(repo().join("fixtures/boot/build.sh"))
        .arg(&images)
        .arg(&kernel)
        .arg(name)
        .arg(&case.platform)
        .output()
        .expect("run fixtures/boot/build.sh");
    assert!(
        out.status.success(),
        "fixtures/boot/build.sh {} {} failed: {}",
        case.scenario,
        case.platform,
        String::from_utf8_lossy(&out.stderr)
    );
    disks(&img)
}

/// Build, check, boot, compare: one row of the results.
fn run_case(images: &Path, kernels: &Kernels, loaders: Option<&SignedLoaders>, case: &Case) -> Row {
    let disks = build(images, kernels, loaders, case);
    let said = verdict::check(&disks, &case.platform, case.memory_mib);
    let work = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("boot-runs")
        .join(format!("{}-{}", case.scenario, case.platform));
    let boot = qemu::boot(&disks, &case.platform, case.memory_mib, &work);
    let _ = std::fs::write(work.join("screen.txt"), boot.screen.join("\n"));
    let printed = format!(
        "{}\n{}",
        classify::strip_ansi(&boot.serial),
        boot.screen.join("\n")
    );
    assert_booted_entry_is_next(case, &said, &printed);
    assert_cmdline_is_predicted(case, &disks, &said, &printed);
    assert_warning_lines_shown(case, &said, &printed);
    results::assert_emergency_named(case, &boot.observed, &said, &printed);
    if case.scenario.starts_with("live-") {
        live::assert_live(case, &boot.serial, &work);
    }
    Row::new(case.clone(), &boot.observed, &said, &printed, boot.wall)
}

/// Scenarios with several entries mark each kernel line `bootvet-entry=PATH`
/// (`>` written `.`) and the root's init prints its command line: the entry
/// that really booted must be the one bootvet says boots next.
fn assert_booted_entry_is_next(case: &Case, said: &verdict::Said, printed: &str) {
    let booted = printed
        .lines()
        .filter_map(|l| l.split("bootvet-cmdline: ").nth(1))
        .flat_map(str::split_whitespace)
        .find_map(|arg| arg.strip_prefix("bootvet-entry="));
    if case.scenario == "default-submenu" && printed.contains("bootvet-boot-marker") {
        assert!(
            booted.is_some(),
            "default-submenu booted without its `bootvet-entry=` line"
        );
    }
    if let Some(booted) = booted {
        assert_eq!(
            said.next_boot
                .as_deref()
                .map(|p| p.replace('>', "."))
                .as_deref(),
            Some(booted),
            "{}-{}: GRUB booted entry {booted}, bootvet says next boot {:?}",
            case.scenario,
            case.platform,
            said.next_boot
        );
    }
}

/// A boot that went on past a refused `insmod` (BV7008) or `loadfont` (BV7011),
/// both warnings: the results compare no line for a boot, so here each line
/// bootvet says the warning prints must be on the screen, and the warning must
/// be there.
fn assert_warning_lines_shown(case: &Case, said: &verdict::Said, printed: &str) {
    let code = match case.scenario.as_str() {
        "sb-insmod-unused" => "BV7008",
        "sb-loadfont-theme" => "BV7011",
        _ => return,
    };
    let lines: Vec<&String> = said
        .by_finding
        .iter()
        .filter(|(c, _)| c == code)
        .flat_map(|(_, lines)| lines)
        .collect();
    assert!(
        !lines.is_empty(),
        "{}: bootvet gave no {code} warning",
        case.scenario
    );
    for line in lines {
        assert!(
            printed.lines().any(|l| verdict::line_matches(line, l)),
            "{}: {code} says GRUB prints {line:?}, the screen never showed it",
            case.scenario
        );
    }
}

/// Issue 21: where the GRUB flavour decides the command line, the one the
/// kernel got (the root's init prints /proc/cmdline; GRUB's i386 loader puts
/// `BOOT_IMAGE=PATH` first) is the one bootvet computed for the next entry,
/// under the build it chose from the image (Debian's: upstream's rules).
fn assert_cmdline_is_predicted(
    case: &Case,
    disks: &[PathBuf],
    said: &verdict::Said,
    printed: &str,
) {
    if case.scenario != "submenu-unexported-var" || !printed.contains("bootvet-boot-marker") {
        return;
    }
    let observed = printed
        .lines()
        .find_map(|l| l.split("bootvet-cmdline: ").nth(1))
        .map(str::trim)
        .expect("the root's init printed no command line");
    let observed = observed
        .split_once(' ')
        .filter(|(first, _)| first.starts_with("BOOT_IMAGE="))
        .map_or(observed, |(_, rest)| rest);
    let next = said
        .next_boot
        .as_deref()
        .expect("bootvet names the next entry");
    let (vendor, predicted) = verdict::cmdline(disks, &case.platform, next);
    assert_eq!(vendor, "debian", "the build bootvet chose from the image");
    assert_eq!(
        observed, predicted,
        "{}-{}: the kernel's command line",
        case.scenario, case.platform
    );
    assert!(
        !observed.contains("leaked"),
        "GRUB passed a variable that is not exported"
    );
}

#[test]
fn bootvet_predicts_real_boots() {
    if std::env::var_os("BOOTVET_BOOT_TESTS").is_none() {
        eprintln!("the QEMU suite is opt-in: BOOTVET_BOOT_TESTS=1 (see tests/boot.rs)");
        return;
    }
    for tool in [
        "qemu-system-x86_64",
        "grub-install",
        "grub-mkimage",
        "busybox",
        "sgdisk",
    ] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found && missing(tool) {
            return;
        }
    }
    for file in [
        qemu::OVMF_CODE,
        qemu::OVMF_VARS,
        "/usr/lib/grub/i386-pc/boot.img",
    ] {
        if !Path::new(file).exists() && missing(file) {
            return;
        }
    }
    let cases = cases();
    let Some(kernels) = Kernels::fetch(&cases) else {
        return;
    };
    let kernel = &kernels.default;
    let images = images_dir(kernel);
    let loaders = if cases
        .iter()
        .any(|c| c.scenario.starts_with("sb-") || c.scenario == "live-sb")
    {
        for file in [
            qemu::OVMF_CODE_SECBOOT,
            "/usr/share/OVMF/OVMF_VARS_4M.ms.fd",
        ] {
            if !Path::new(file).exists() && missing(file) {
                return;
            }
        }
        for tool in ["sbsign", "sbattach", "virt-fw-vars"] {
            let found = Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .is_ok_and(|o| o.status.success());
            if !found && missing(tool) {
                return;
            }
        }
        let Some(l) = signed_loaders() else {
            missing("Debian's shim-signed and grub-efi-amd64-signed (apt-get download)");
            return;
        };
        Some(l)
    } else {
        None
    };
    // Issue 17: the systemd root is made by debootstrap (fixtures/boot/systemd-root.sh).
    let systemd_root =
        |c: &Case| c.scenario.starts_with("deb-fstab-") || c.scenario.starts_with("deb-crypttab-");
    if cases.iter().any(systemd_root) {
        let found = Command::new("sh")
            .args(["-c", "command -v debootstrap"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found && missing("debootstrap") {
            return;
        }
    }
    let queue = Mutex::new(cases);
    let rows = Mutex::new(Vec::new());
    let jobs: usize = std::env::var("BOOTVET_BOOT_JOBS")
        .ok()
        .and_then(|j| j.parse().ok())
        .unwrap_or(2);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                loop {
                    let Some(case) = queue.lock().unwrap().pop() else {
                        break;
                    };
                    let row = run_case(&images, &kernels, loaders.as_ref(), &case);
                    eprintln!("{}", row.summary());
                    rows.lock().unwrap().push(row);
                }
            });
        }
    });
    let wall = start.elapsed();
    let mut rows = rows.into_inner().unwrap();
    rows.sort_by_key(|r| results::order(&r.case, MATRIX.iter().map(|m| m.0)));
    eprintln!(
        "QEMU suite: {} boots in {:.0} s",
        rows.len(),
        wall.as_secs_f64()
    );
    let release = kernel
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix("x-linux-image-"))
        .unwrap_or_default()
        .to_string();
    let full = std::env::var_os("BOOTVET_BOOT_ONLY").is_none()
        && std::env::var_os("BOOTVET_BOOT_SKIP").is_none();
    results::judge(&rows, wall, full, &release);
}
