//! Golden behaviour outputs: tests/golden/run.sh runs this build's bootvet over
//! every scenario image, every per-check fixture and every facts file in the repo,
//! and what it prints must be byte-identical to tests/snapshots/golden/ (reviewed,
//! committed). A refactoring that changes one byte a person or a script sees fails
//! here with the diff; a deliberate change is re-recorded with `BOOTVET_BLESS=1
//! cargo test --release --test golden` and the diff read before committing it.

mod support;

use std::path::Path;
use std::process::Command;

/// fixtures/scenarios/build.sh and the parts it sources, which hold the scenarios.
fn scenario_scripts() -> Vec<String> {
    let dir = support::repo().join("fixtures/scenarios");
    let mut paths: Vec<_> = std::fs::read_dir(dir.join("parts"))
        .expect("read fixtures/scenarios/parts")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    paths.sort();
    paths.insert(0, dir.join("build.sh"));
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display())))
        .collect()
}

/// The scenarios build.sh builds only when named: they need root and a loop device.
fn privileged_scenarios() -> Vec<String> {
    scenario_scripts()
        .iter()
        .flat_map(|script| script.lines())
        .filter_map(|l| l.strip_prefix("if named ")?.strip_suffix("; then"))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_output_matches_the_golden_files() {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let images = tmp.join("golden-images");
    let out = tmp.join("golden-out");
    // Fresh images every run: run.sh reuses what it finds, and images left by an
    // older build.sh would not be what CI checks.
    let _ = std::fs::remove_dir_all(&images);
    let run = Command::new("bash")
        .arg(support::repo().join("tests/golden/run.sh"))
        .arg(env!("CARGO_BIN_EXE_bootvet"))
        .arg(&out)
        .arg(&images)
        .output()
        .expect("run tests/golden/run.sh");
    assert!(
        run.status.success(),
        "tests/golden/run.sh failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let golden = support::repo().join("tests/snapshots/golden");
    if std::env::var_os("BOOTVET_BLESS").is_some() {
        let _ = std::fs::remove_dir_all(&golden);
        let copied = Command::new("cp")
            .arg("-r")
            .arg(&out)
            .arg(&golden)
            .status()
            .expect("cp");
        assert!(
            copied.success(),
            "cp -r {} {}",
            out.display(),
            golden.display()
        );
        return;
    }
    // Without root the privileged scenarios are not run; their golden files are
    // then not compared (under CI they must be: .ci/run is root and sets the flag).
    let mut diff = Command::new("diff");
    diff.arg("-ru");
    let names = privileged_scenarios();
    if !support::privileged(&format!(
        "root and loop devices, for the golden outputs of {names:?}"
    )) {
        for name in &names {
            diff.arg("-x").arg(format!("{name}.txt"));
        }
    }
    let result = diff.arg(&golden).arg(&out).output().expect("run diff");
    if !result.status.success() {
        let text = String::from_utf8_lossy(&result.stdout);
        let lines: Vec<&str> = text.lines().collect();
        let shown = lines.len().min(400);
        panic!(
            "bootvet's output changed ({} diff lines{}):\n{}\n\n{}\nIf the change is \
             meant, re-record (as root, so that root-lvm is too) with BOOTVET_BLESS=1 \
             BOOTVET_PRIVILEGED_TESTS=1 cargo test --release --test golden \
             and review `git diff tests/snapshots/golden`.",
            lines.len(),
            if shown < lines.len() {
                format!(
                    ", first {shown} shown; all of it: diff -ru {} {}",
                    golden.display(),
                    out.display()
                )
            } else {
                String::new()
            },
            lines[..shown].join("\n"),
            String::from_utf8_lossy(&result.stderr),
        );
    }
}
