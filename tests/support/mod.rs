//! What the end-to-end test binaries share: scenario disk images built by
//! fixtures/scenarios/build.sh, and running the bootvet binary. Each binary
//! builds the scenarios it needs into a directory of its own, so binaries that
//! cargo runs at the same time never rebuild each other's images.

#![allow(dead_code)] // each binary uses a part

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

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

/// The bootvet binary under test, without colour (NO_COLOR; `--color always`
/// still colours), ready for arguments.
pub fn bootvet_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bootvet"));
    command.env("NO_COLOR", "1");
    command
}

/// Runs bootvet without colour, its standard input empty.
pub fn bootvet_output(args: &[&str]) -> Output {
    bootvet_command().args(args).output().expect("run bootvet")
}

/// Runs bootvet without colour: (exit status, stdout, stderr).
pub fn bootvet(args: &[&str]) -> (i32, String, String) {
    status_and_text(&bootvet_output(args))
}

/// Runs bootvet without colour with `input` as its standard input.
pub fn bootvet_with_input(args: &[&str], input: &[u8]) -> (i32, String, String) {
    let mut child = bootvet_command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run bootvet");
    let mut stdin = child.stdin.take().expect("bootvet's stdin");
    stdin.write_all(input).expect("write bootvet's stdin");
    drop(stdin);
    status_and_text(&child.wait_with_output().expect("wait for bootvet"))
}

fn status_and_text(output: &Output) -> (i32, String, String) {
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A seeded xorshift64 generator (Marsaglia's shifts 13, 7, 17): the same numbers
/// for the same seed, so a randomised test input reproduces. A seed of 0 would
/// give only zeros.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in 0..n (0 when n is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// Whether BOOTVET_PRIVILEGED_TESTS=1 (root-only tests: loop devices, mounts),
/// as `.ci/run` sets it; `what` names what the test then needs for the notice,
/// and under CI its absence fails the test.
pub fn privileged(what: &str) -> bool {
    let on = std::env::var_os("BOOTVET_PRIVILEGED_TESTS").is_some_and(|v| v == "1");
    require(on, &format!("BOOTVET_PRIVILEGED_TESTS=1 ({what})"))
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
