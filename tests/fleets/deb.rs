//! The .deb, built by `cargo deb` from the binary under test and its generated
//! assets, checked by lintian, installed into a fresh Debian 12 root with
//! `dpkg -i`, then removed and purged (packaging/deb-test.sh). Privileged: the
//! root is a chroot. cargo-deb is not in Debian: `scripts/setup.sh --tests`
//! installs it. `BOOTVET_FRESH_BASE` reuses a debootstrapped base as
//! scripts/fresh-root.sh does.

use std::path::PathBuf;
use std::process::Command;

use super::{have_tool, repo};

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// `cargo deb --no-build` after the documented asset step; the .deb's path.
fn build_deb() -> PathBuf {
    let bin = env!("CARGO_BIN_EXE_bootvet");
    // cargo-deb packages target/release/bootvet: it must be the binary tested.
    assert!(
        bin.ends_with("target/release/bootvet"),
        "run with --release: {bin}"
    );
    let (ok, out) = run(Command::new(repo().join("packaging/deb-assets.sh")).env("BOOTVET", bin));
    assert!(ok, "{out}");
    let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("deb");
    let _ = std::fs::remove_dir_all(&out_dir);
    std::fs::create_dir_all(&out_dir).unwrap();
    let (ok, out) = run(Command::new("cargo")
        .args(["deb", "--no-build", "--strip", "--output"])
        .arg(&out_dir)
        .current_dir(repo()));
    assert!(ok, "cargo deb: {out}");
    std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .unwrap_or_else(|| panic!("no .deb in {}: {out}", out_dir.display()))
}

#[test]
fn deb_is_lintian_clean_installs_into_a_fresh_root_and_purges_clean() {
    if !super::support::privileged("chroot into a fresh Debian root") {
        return;
    }
    let cargo_deb = Command::new("cargo").args(["deb", "--version"]).output();
    let has_cargo_deb = cargo_deb.is_ok_and(|o| o.status.success());
    if !support_require(
        has_cargo_deb,
        "cargo-deb (scripts/setup.sh --tests: cargo install cargo-deb --version 3.8.0 --locked)",
    ) || !have_tool("lintian", "lintian")
        || !have_tool("debootstrap", "debootstrap")
    {
        return;
    }
    let deb = build_deb();
    // Errors and warnings fail; each override is explained in
    // packaging/debian/lintian-overrides.
    let (ok, out) = run(Command::new("lintian")
        .args(["--fail-on", "error,warning", "--no-tag-display-limit"])
        .arg(&deb));
    assert!(ok, "lintian:\n{out}");
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("deb-root");
    let (ok, out) = run(Command::new(repo().join("packaging/deb-test.sh"))
        .arg(&deb)
        .arg(&work));
    assert!(ok, "packaging/deb-test.sh:\n{out}");
    for promised in [
        "/usr/bin/bootvet",
        "/usr/lib/systemd/system/bootvet-check.timer",
    ] {
        assert!(out.contains(&format!("installed: {promised}\n")), "{out}");
    }
    assert!(
        out.contains("purged: nothing of bootvet's is left"),
        "{out}"
    );
}

fn support_require(present: bool, what: &str) -> bool {
    super::support::require(present, what)
}
