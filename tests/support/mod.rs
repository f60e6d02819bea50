//! What the end-to-end test binaries share: scenario disk images built by
//! fixtures/scenarios/build.sh, and running the bootvet binary. Each binary
//! builds the scenarios it needs into a directory of its own, so binaries that
//! cargo runs at the same time never rebuild each other's images.

#![allow(dead_code)] // each binary uses a part

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Builds `names` (all of them when empty) into `CARGO_TARGET_TMPDIR/dir_name`.
pub fn build_scenarios(dir_name: &str, names: &[&str]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(dir_name);
    let out = Command::new("bash")
        .arg(repo().join("fixtures/scenarios/build.sh"))
        .arg(&dir)
        .args(names)
        .output()
        .expect("run fixtures/scenarios/build.sh");
    assert!(
        out.status.success(),
        "fixtures/scenarios/build.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

/// Runs bootvet without colour: (exit status, stdout, stderr).
pub fn bootvet(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_bootvet"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run bootvet");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Whether `CI` asks for every test to run (set, and not `false` or `0`).
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Checks that a test's input (`what`: a tool, a corpus, a package) is there. When
/// it is not, under CI the test fails, since a skipped test proves nothing;
/// elsewhere a skip notice is printed and false returned, for the test to return.
pub fn require(present: bool, what: &str) -> bool {
    if present {
        return true;
    }
    assert!(
        !under_ci(),
        "{what} is missing, and under CI nothing is skipped"
    );
    eprintln!("skipping: {what} is missing (under CI this fails)");
    false
}
