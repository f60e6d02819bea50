//! BV4003 on kernels cut short (issue 22): the verdict follows what GRUB 2.06's
//! `linux` and the kernel's decompressor read (src/inspect/kernel/cut.rs), not the
//! size the header declares. On Debian's own signed kernel (downloaded with
//! `apt-get download`, as tests/inspect.rs does) cut at each place that matters,
//! through `bootvet check --boot-dir` on pc and on efi, and on the small stand-in
//! kernel of the issue.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde::Deserialize;

mod support;
use support::{bootvet, repo};

#[derive(Debug, Deserialize)]
struct Doc {
    exit_status: u8,
    entries: Vec<Entry>,
    findings: Vec<Found>,
}

#[derive(Debug, Deserialize)]
struct Entry {
    verdict: String,
}

#[derive(Debug, Deserialize)]
struct Found {
    code: String,
    severity: String,
    message: String,
    evidence: Vec<String>,
    will_print: Vec<String>,
}

/// Debian's kernel (`boot/vmlinuz-*` of the package `linux-image-amd64` depends
/// on), fetched once into the cache the other test binaries share.
fn debian_kernel() -> Option<&'static PathBuf> {
    static K: OnceLock<Option<PathBuf>> = OnceLock::new();
    K.get_or_init(|| {
        let pkg = support::debian_kernel_package();
        support::require(pkg.is_some(), "apt's lists for linux-image-amd64");
        let root = support::debian_package(&pkg?)?;
        let boot = std::fs::read_dir(root.join("boot")).ok()?;
        boot.filter_map(|e| e.ok().map(|e| e.path())).find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("vmlinuz-"))
        })
    })
    .as_ref()
}

/// A /boot with `vmlinuz` (the given bytes), a real gzip'd newc initrd and a
/// grub.cfg whose entry loads both with `params`.
fn boot_dir(kernel: &[u8], params: &str) -> tempfile::TempDir {
    boot_dir_loading(kernel, "linux", params)
}

/// The same, with `command` (`linux16`) loading the kernel.
fn boot_dir_loading(kernel: &[u8], command: &str, params: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let boot = dir.path();
    std::fs::create_dir_all(boot.join("grub")).unwrap();
    std::fs::write(boot.join("vmlinuz"), kernel).unwrap();
    let tree = boot.join("tree");
    std::fs::create_dir_all(tree.join("etc")).unwrap();
    std::fs::write(tree.join("etc/hostname"), b"cut\n").unwrap();
    let status = Command::new("sh")
        .arg("-c")
        .arg("cd tree && find . | cpio -o -H newc --quiet | gzip -n > ../initrd.img && cd .. && rm -r tree")
        .current_dir(boot)
        .status()
        .unwrap();
    assert!(status.success(), "cpio | gzip");
    std::fs::write(
        boot.join("grub/grub.cfg"),
        format!("menuentry 'Debian' {{\n\t{command} /vmlinuz root=/dev/vda1 ro {params}\n\tinitrd /initrd.img\n}}\n"),
    )
    .unwrap();
    dir
}

fn check(dir: &Path, platform: &str) -> Doc {
    let (code, out, err) = bootvet(&[
        "check",
        "--json",
        "--boot-dir",
        dir.to_str().unwrap(),
        "--platform",
        platform,
    ]);
    let doc: Doc = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    assert_eq!(i32::from(doc.exit_status), code);
    doc
}

fn bv4003(doc: &Doc) -> Option<&Found> {
    doc.findings.iter().find(|f| f.code == "BV4003")
}

fn le32(b: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes(b[at..at + 4].try_into().unwrap()))
}

/// The places in Debian's vmlinuz, from its own header: (setup end, payload start,
/// payload end, declared size).
fn places(k: &[u8]) -> (u64, u64, u64, u64) {
    let setup = (u64::from(k[0x1f1]) + 1) * 512;
    let start = setup + le32(k, 0x248);
    (
        setup,
        start,
        start + le32(k, 0x24c),
        setup + le32(k, 0x1f4) * 16,
    )
}

#[test]
fn debian_kernel_cut_in_its_crc_or_fill_boots_on_both_platforms() {
    let Some(path) = debian_kernel() else { return };
    let k = std::fs::read(path).unwrap();
    let (_, _, _, declared) = places(&k);
    // The signature sbsign appended lies after the declared size: the tail before it
    // is the 4-byte CRC, then zero fill (at least 20 bytes in this build).
    let declared = usize::try_from(declared).unwrap();
    assert!(
        declared < k.len(),
        "a signed kernel: {declared} of {}",
        k.len()
    );
    assert!(k[declared - 24..declared - 4].iter().all(|&b| b == 0));
    for platform in ["pc", "efi"] {
        let whole = check(boot_dir(&k, "").path(), platform);
        assert_eq!(whole.exit_status, 0, "{platform}: {whole:?}");
        assert!(bv4003(&whole).is_none());
        for missing in [2usize, 4, 20] {
            let dir = boot_dir(&k[..declared - missing], "");
            let doc = check(dir.path(), platform);
            assert_eq!(doc.exit_status, 0, "{platform} -{missing}: {doc:?}");
            // The kernel is judged bootable; the only doubt left is the toy
            // initrd's: it holds no modules, and with no config-RELEASE beside
            // this kernel whether virtio_blk is built in is unknown (BV4107's
            // warning); on efi, with Secure Boot's state unknown, that the cut
            // took the signature with it (BV7005's warning). Nothing on the
            // kernel link is more than a note.
            assert_ne!(doc.entries[0].verdict, "will_fail", "{platform} -{missing}");
            for f in doc.findings.iter().filter(|f| f.severity != "info") {
                assert!(
                    f.severity == "warning" && ["BV4107", "BV7005"].contains(&f.code.as_str()),
                    "{platform} -{missing}: {f:?}"
                );
            }
            let note = bv4003(&doc).expect("a note on the kernel link");
            assert_eq!(note.severity, "info");
            assert_eq!(
                note.message,
                format!(
                    "kernel '/vmlinuz' lacks its last {missing} bytes, which nothing at boot reads"
                )
            );
            let inside = if missing <= 4 {
                "inside the build tool's CRC-32"
            } else {
                "inside the zero fill"
            };
            assert!(
                note.evidence.iter().any(|e| e.contains(inside)),
                "{:?}",
                note.evidence
            );
            assert!(note.will_print.is_empty());
        }
    }
}

#[test]
fn debian_kernel_cut_in_its_payload_resets_with_nothing_printed() {
    let Some(path) = debian_kernel() else { return };
    let k = std::fs::read(path).unwrap();
    let (_, start, end, declared) = places(&k);
    let cut = usize::try_from((start + end) / 2).unwrap();
    let (pc, efi) = {
        let dir = boot_dir(&k[..cut], "");
        (check(dir.path(), "pc"), check(dir.path(), "efi"))
    };
    for doc in [&pc, &efi] {
        assert_eq!(doc.exit_status, 3, "{doc:?}");
        assert_eq!(doc.entries[0].verdict, "will_fail");
        let f = bv4003(doc).unwrap();
        assert_eq!(f.severity, "error");
        assert_eq!(
            f.message,
            format!(
                "kernel '/vmlinuz' is truncated inside its xz-compressed payload: {cut} bytes of the {declared} its header declares"
            )
        );
    }
    // The decompressor's own code follows the payload in the file, so it is cut
    // off too: no error path runs, nothing is printed (the QEMU suite's
    // kernel-cut-payload resets on pc and efi), whatever the console options.
    let serial = check(
        boot_dir(&k[..cut], "earlyprintk=serial,ttyS0,115200").path(),
        "efi",
    );
    for doc in [&pc, &efi, &serial] {
        let f = bv4003(doc).unwrap();
        assert!(f.will_print.is_empty(), "{f:?}");
        assert!(
            f.evidence
                .iter()
                .any(|e| e.contains("hangs or resets with nothing printed")),
            "{f:?}"
        );
    }
}

#[test]
fn debian_kernel_cut_elsewhere_names_what_meets_the_cut() {
    let Some(path) = debian_kernel() else { return };
    let k = std::fs::read(path).unwrap();
    let (setup, _, end, declared) = places(&k);
    let setup = usize::try_from(setup).unwrap();
    let declared = usize::try_from(declared).unwrap();
    // (cut, words of the message, what GRUB prints)
    let cases: [(usize, &str, &[&str]); 4] = [
        (
            0x240,
            "inside the setup header GRUB reads",
            &[
                "error: premature end of file /vmlinuz.",
                "error: you need to load the kernel first.",
            ],
        ),
        (
            setup - 100,
            "inside the real-mode setup sectors",
            &[
                "error: attempt to seek outside of the file.",
                "error: you need to load the kernel first.",
            ],
        ),
        // After the payload: the decompressor's own code.
        (
            usize::try_from(end).unwrap() + 1000,
            "after its payload, in the decompressor's code or data",
            &[],
        ),
        // Beyond the most fill `.data` can have before the CRC (511 bytes).
        (
            declared - 4 - 0x200,
            "after its payload, in the decompressor's code or data",
            &[],
        ),
    ];
    for platform in ["pc", "efi"] {
        for (cut, place, prints) in cases {
            let doc = check(boot_dir(&k[..cut], "").path(), platform);
            assert_eq!(doc.exit_status, 3, "{platform} {cut}: {doc:?}");
            let f = bv4003(&doc).unwrap();
            assert_eq!(f.severity, "error");
            assert!(f.message.contains(place), "{platform} {cut}: {}", f.message);
            assert_eq!(f.will_print, prints, "{platform} {cut}");
        }
    }
    // linux16 (loader/i386/pc/linux.c) checks the setup size against the file's
    // size before reading: a cut in the setup sectors is an "overflow" there.
    let dir = boot_dir_loading(&k[..setup - 100], "linux16", "");
    let doc = check(dir.path(), "pc");
    assert_eq!(
        bv4003(&doc).unwrap().will_print,
        [
            "error: overflow is detected.",
            "error: you need to load the kernel first."
        ]
    );
}

/// Issue 22 as filed: a stand-in kernel whose file is 2 bytes shorter than
/// `syssize × 16` boots in GRUB; bootvet must not say "do not reboot".
#[test]
fn standin_kernel_two_bytes_short_of_syssize_boots() {
    let dir = tempfile::tempdir().unwrap();
    // 558 payload bytes: syssize rounds up to 35 units, the header declares 3120.
    // On efi the stand-in carries its EFI stub, as distribution kernels do.
    let standin = |platform: &str| {
        let out = dir.path().join(format!("vmlinuz-{platform}"));
        let mut args = vec![
            "6.11.0-rc1+",
            out.to_str().unwrap(),
            "558",
            "--truncate-to",
            "3118",
        ];
        if platform == "efi" {
            args.push("--efi");
        }
        let status = Command::new("python3")
            .arg(repo().join("fixtures/scenarios/standin-kernel.py"))
            .args(&args)
            .status()
            .unwrap();
        assert!(status.success());
        std::fs::read(&out).unwrap()
    };
    for platform in ["pc", "efi"] {
        let k = standin(platform);
        assert_eq!((k.len(), 2560 + le32(&k, 0x1f4) * 16), (3118, 3120));
        let doc = check(boot_dir(&k, "").path(), platform);
        assert_eq!(doc.exit_status, 0, "{platform}: {doc:?}");
        assert_eq!(bv4003(&doc).map(|f| f.severity.as_str()), Some("info"));
    }
    let k = standin("pc");
    // Cut deep into its protected-mode code it does not.
    let doc = check(boot_dir(&k[..2900], "").path(), "pc");
    assert_eq!(doc.exit_status, 3);
    assert!(
        bv4003(&doc)
            .unwrap()
            .message
            .contains("inside its protected-mode code")
    );
}
