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
    // A COLUMNS exported by the shell would wrap the text the tests compare.
    command.env_remove("COLUMNS");
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

/// Where Debian packages fetched by the tests are kept (outside the repository):
/// `$BOOTVET_CACHE`, else /var/tmp/bootvet-cache. Every test binary shares it.
pub fn package_cache() -> PathBuf {
    std::env::var_os("BOOTVET_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp/bootvet-cache"))
}

/// Downloads (once, into `package_cache`) and extracts a Debian package; returns
/// the extracted root. Test binaries run at the same time share the cache, so the
/// download and the extraction go to private temporary names, then are renamed:
/// nobody sees half a package. Missing: `require` (a failure under CI).
pub fn debian_package(pkg: &str) -> Option<PathBuf> {
    let cache = package_cache();
    let script = "set -e; c=\"$1\"; pkg=\"$2\"; mkdir -p \"$c\"; cd \"$c\"; \
         if ! ls \"$pkg\"_*.deb >/dev/null 2>&1; then \
           d=$(mktemp -d -p .); (cd \"$d\" && apt-get download \"$pkg\" >/dev/null 2>&1); \
           mv \"$d\"/*.deb .; rmdir \"$d\"; fi; \
         deb=$(ls \"$pkg\"_*.deb | head -n1); \
         if [ ! -d \"x-$pkg\" ]; then \
           t=$(mktemp -d -p .); dpkg-deb -x \"$deb\" \"$t\"; \
           mv -T \"$t\" \"x-$pkg\" 2>/dev/null || rm -rf \"$t\"; fi; \
         [ -d \"x-$pkg\" ]";
    let out = Command::new("sh")
        .args(["-c", script, "sh"])
        .arg(&cache)
        .arg(pkg)
        .output();
    let ok = out.as_ref().is_ok_and(|o| o.status.success());
    let why = match &out {
        Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
        Err(e) => e.to_string(),
    };
    if !require(ok, &format!("the Debian package {pkg} ({why})")) {
        return None;
    }
    Some(cache.join(format!("x-{pkg}")))
}

/// The kernel package `linux-image-amd64` depends on today (`linux-image-6.1.0-N-amd64`),
/// from apt's lists; `None` when apt does not know it.
pub fn debian_kernel_package() -> Option<String> {
    kernel_package_of("linux-image-amd64")
}

/// The kernel package a meta-package depends on today (`linux-image-6.12-amd64` →
/// `linux-image-6.12.N+deb12-amd64`), from apt's lists.
pub fn kernel_package_of(meta: &str) -> Option<String> {
    let out = Command::new("sh")
        .arg("-c")
        .arg("apt-cache depends \"$1\" 2>/dev/null | sed -n 's/.*Depends: \\(linux-image-[0-9].*-amd64\\)$/\\1/p' | head -n1")
        .arg("sh")
        .arg(meta)
        .output()
        .ok()?;
    let pkg = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (!pkg.is_empty()).then_some(pkg)
}

/// Iterations of the in-CI fuzz runners: 3 000, more with BOOTVET_FUZZ_ITERS.
pub fn fuzz_iterations() -> usize {
    std::env::var("BOOTVET_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

/// Runs a tool the test needs (mke2fs, sgdisk, dumpe2fs…), failing the test with
/// its stderr when it cannot run or fails.
pub fn run(cmd: &str, args: &[&str]) -> Output {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd}: {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
