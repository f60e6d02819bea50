//! Verdicts at the edges: what the summary and the fixes say must fit the
//! machine. Images from fixtures/scenarios/build.sh (real tools).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn scenario(dir: &Path, name: &str) -> PathBuf {
    let status = Command::new("fixtures/scenarios/build.sh")
        .arg(dir)
        .arg(name)
        .stdout(Stdio::null())
        .status()
        .expect("fixtures/scenarios/build.sh runs");
    assert!(status.success(), "building scenario {name} failed");
    dir.join(format!("{name}.img"))
}

fn check(image: &Path, json: bool) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bootvet"));
    cmd.arg("check")
        .arg("--image")
        .arg(image)
        .env("NO_COLOR", "1");
    if json {
        cmd.arg("--json");
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// BV5005 (no room on /boot for the next initramfs) is about the disk: no edit
/// of grub.cfg fixes it, so the summary must not call it a config problem.
#[test]
fn free_space_on_boot_is_not_counted_as_a_problem_in_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let image = scenario(dir.path(), "boot-too-full");
    let (_, json) = check(&image, true);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let codes: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(codes.contains(&"BV5005"), "{codes:?}");
    let (_, text) = check(&image, false);
    let summary = text.lines().find(|l| l.starts_with("summary:")).unwrap();
    assert!(!summary.contains("in the config itself"), "{summary}");
    assert!(
        summary.contains("problem(s) on the disk or system"),
        "{summary}"
    );
}

/// Fedora has no update-grub: a BLS config's fixes name grub2-mkconfig.
#[test]
fn fedora_bls_fix_says_grub2_mkconfig_not_update_grub() {
    let dir = tempfile::tempdir().unwrap();
    let image = scenario(dir.path(), "bls-fedora-broken");
    let (code, json) = check(&image, true);
    assert_eq!(code, 3);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    let fixes: Vec<&str> = findings.iter().filter_map(|f| f["fix"].as_str()).collect();
    assert!(!fixes.is_empty());
    assert!(
        fixes.iter().all(|fix| !fix.contains("update-grub")),
        "{fixes:#?}"
    );
    // BV4201's fix ends in "then update-grub" on Debian.
    let no_root = findings
        .iter()
        .find(|f| f["code"] == "BV4201")
        .expect("BV4201");
    assert!(
        no_root["fix"]
            .as_str()
            .unwrap()
            .ends_with("then grub2-mkconfig -o /boot/grub2/grub.cfg"),
        "{no_root}"
    );
}
