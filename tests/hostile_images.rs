//! Disk images whose metadata lies: real images from fixtures/scenarios/build.sh,
//! patched with debugfs the way damage or a crafted image would leave them.
//! bootvet must answer at once and within bounded memory, with a finding.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Byte offset of the ext4 /boot in the scenario disks (build.sh: P3_START).
const BOOT_OFFSET: u64 = 36864 * 512;

fn healthy_image(dir: &Path) -> PathBuf {
    let status = Command::new("fixtures/scenarios/build.sh")
        .arg(dir)
        .arg("healthy")
        .stdout(Stdio::null())
        .status()
        .expect("fixtures/scenarios/build.sh runs");
    assert!(status.success(), "building the healthy scenario failed");
    dir.join("healthy.img")
}

/// `debugfs -w -R 'sif PATH size N'` on the /boot filesystem inside the image.
fn set_inode_size(image: &Path, path: &str, size: u64) {
    let target = format!("{}?offset={BOOT_OFFSET}", image.display());
    let out = Command::new("debugfs")
        .args(["-w", "-R", &format!("sif {path} size {size}"), &target])
        .output()
        .expect("debugfs (e2fsprogs) is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let check = Command::new("debugfs")
        .args(["-R", &format!("stat {path}"), &target])
        .output()
        .unwrap();
    let stat = String::from_utf8_lossy(&check.stdout);
    assert!(
        stat.contains(&format!("Size: {size}")),
        "size not patched: {stat}"
    );
}

/// Runs bootvet under a 2 GiB address-space limit and a 30 s deadline (the
/// claimed sizes are up to 2^63 bytes: a read of them would hit either).
fn bootvet_bounded(args: &[&str]) -> (i32, String, Duration) {
    let started = Instant::now();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 2097152; exec \"$@\"")
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_bootvet"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("bootvet {args:?} still running after 30 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text, started.elapsed())
}

#[test]
fn ext4_inode_claiming_more_than_the_filesystem_is_a_finding_not_a_read() {
    let dir = tempfile::tempdir().unwrap();
    let pristine = healthy_image(dir.path());
    // 1 TiB: past the 24 MiB filesystem, took hours to read as zeros before.
    // 2^63 - 1: the largest size the field can hold.
    for size in [1u64 << 40, (1u64 << 63) - 1] {
        let image = dir.path().join(format!("lying-{size}.img"));
        std::fs::copy(&pristine, &image).unwrap();
        set_inode_size(&image, "/vmlinuz-6.5.0-35-generic", size);
        set_inode_size(&image, "/initrd.img-6.5.0-35-generic", size);
        let image = image.display().to_string();
        for deep in [false, true] {
            let mut args = vec!["check", "--image", image.as_str()];
            if deep {
                args.push("--deep");
            }
            let (code, out, took) = bootvet_bounded(&args);
            assert_eq!(code, 3, "size {size} deep {deep}: {out}");
            assert!(
                out.contains("error[BV4002]: kernel '/vmlinuz-6.5.0-35-generic' cannot be read"),
                "size {size} deep {deep}: {out}"
            );
            if size == 1 << 40 {
                assert!(
                    out.contains("its inode claims 1099511627776 bytes, more than the whole filesystem (25165824 bytes)"),
                    "{out}"
                );
            }
            assert!(took < Duration::from_secs(30));
        }
    }
}
