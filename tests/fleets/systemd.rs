//! packaging/systemd: the service and timer the .deb ships, verified by
//! `systemd-analyze verify` in a root that holds the system's own units and the
//! bootvet binary at the path the unit names (nothing is installed on this
//! machine; no systemd needs to be running).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use super::{have_tool, repo};

const UNITS: &[&str] = &["bootvet-check.service", "bootvet-check.timer"];

/// A root with the host's units (targets the timer and service depend on),
/// `usr/bin/bootvet`, and `units` (name, text) beside them.
fn verify_root(units: &[(&str, String)]) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let system = root.path().join("lib/systemd/system");
    fs::create_dir_all(&system).unwrap();
    let status = Command::new("cp")
        .args(["-a", "/lib/systemd/system/.", &system.display().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    fs::create_dir_all(root.path().join("usr/bin")).unwrap();
    let bin = root.path().join("usr/bin/bootvet");
    fs::copy(env!("CARGO_BIN_EXE_bootvet"), &bin).unwrap();
    fs::set_permissions(&bin, fs::Permissions::from_mode(0o755)).unwrap();
    for (name, text) in units {
        fs::write(system.join(name), text).unwrap();
    }
    root
}

/// `systemd-analyze verify` of `units` in `root`: (exit status, everything it said).
fn verify(root: &Path, units: &[&str]) -> (i32, String) {
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(format!("--root={}", root.display()))
        // The man page is checked where it is installed: the .deb test.
        .arg("--man=no")
        .args(
            units
                .iter()
                .map(|u| root.join("lib/systemd/system").join(u)),
        )
        .output()
        .expect("systemd-analyze");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

fn shipped(name: &str) -> String {
    fs::read_to_string(repo().join("packaging/systemd").join(name)).unwrap()
}

#[test]
fn service_and_timer_pass_systemd_analyze_verify_without_a_word() {
    if !have_tool("systemd-analyze", "systemd") {
        return;
    }
    let units: Vec<(&str, String)> = UNITS.iter().map(|u| (*u, shipped(u))).collect();
    let root = verify_root(&units);
    let (status, said) = verify(root.path(), UNITS);
    // verify exits 0 on mere warnings (an unknown key, a bad value): silence is
    // the bar.
    assert_eq!((status, said.as_str()), (0, ""), "{said}");

    // The same run sees a broken unit and a missing binary: this test can fail.
    let broken = shipped("bootvet-check.service").replace("Type=oneshot", "Type=oneshotx");
    let root = verify_root(&[("bootvet-check.service", broken)]);
    let (_, said) = verify(root.path(), &["bootvet-check.service"]);
    assert!(said.contains("oneshotx"), "{said}");
    fs::remove_file(root.path().join("usr/bin/bootvet")).unwrap();
    let units: Vec<(&str, String)> = UNITS.iter().map(|u| (*u, shipped(u))).collect();
    let root2 = verify_root(&units);
    fs::remove_file(root2.path().join("usr/bin/bootvet")).unwrap();
    let (status, said) = verify(root2.path(), &["bootvet-check.service"]);
    assert_ne!(status, 0, "{said}");
    assert!(said.contains("/usr/bin/bootvet"), "{said}");
}

/// The contract README states: the service writes the metrics node_exporter
/// reads, exits 1 and 3 are verdicts (the unit succeeds), 2 fails it; the
/// timer runs daily and shortly after boot.
#[test]
fn service_treats_verdicts_as_success_and_timer_runs_daily_and_after_boot() {
    let service = shipped("bootvet-check.service");
    let values = |text: &str, key: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| l.strip_prefix(&format!("{key}=")))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(values(&service, "Type"), ["oneshot"]);
    assert_eq!(values(&service, "SuccessExitStatus"), ["1 3"]);
    assert_eq!(
        values(&service, "ExecStart"),
        [
            "/usr/bin/bootvet check --quiet --prometheus /var/lib/prometheus/node-exporter/bootvet.prom"
        ]
    );
    let timer = shipped("bootvet-check.timer");
    assert_eq!(values(&timer, "OnCalendar"), ["daily"]);
    assert_eq!(values(&timer, "OnBootSec"), ["5min"]);
    assert_eq!(values(&timer, "WantedBy"), ["timers.target"]);
    // The ExecStart line really is a valid bootvet command line: the same
    // arguments, on an image, exit with a verdict and write the metrics.
    let dir = tempfile::tempdir().unwrap();
    let prom = dir.path().join("bootvet.prom").display().to_string();
    let (status, _, err) = super::bootvet(&[
        "check",
        "--quiet",
        "--prometheus",
        &prom,
        "--image",
        &super::image("no-initrd-line"),
    ]);
    assert_eq!(status, 3, "{err}");
    let metrics = fs::read_to_string(&prom).unwrap();
    assert!(metrics.contains("bootvet_next_boot_ok 0\n"), "{metrics}");
}
