//! `bootvet check --facts DIR`: facts dumped from real scenario images (and one
//! live dump, which carries the host name) audited in one run.

use std::fs;
use std::path::Path;

use serde_json::Value;

use super::{bootvet, image, repo};

/// Dumps `scenario`'s facts into `dir/NAME.json`; returns the check's status.
fn dump(dir: &Path, scenario: &str) -> i32 {
    let out = dir.join(format!("{scenario}.json")).display().to_string();
    let (status, _, err) = bootvet(&[
        "check",
        "--quiet",
        "--image",
        &image(scenario),
        "--dump-facts",
        &out,
    ]);
    assert!(
        Path::new(&out).is_file(),
        "{scenario}: no facts written: {err}"
    );
    status
}

fn audit(dir: &Path, extra: &[&str]) -> (i32, String, String) {
    let dir = dir.display().to_string();
    let mut args = vec!["check", "--facts", dir.as_str()];
    args.extend_from_slice(extra);
    bootvet(&args)
}

/// The line of the text report that starts with `name`.
fn line_of<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no line for {name} in:\n{text}"))
}

#[test]
fn fleet_audit_gives_one_line_per_machine_and_the_worst_status() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_eq!(dump(d, "healthy"), 0);
    assert_eq!(dump(d, "mbr-logical-renumbered"), 1);
    assert_eq!(dump(d, "no-initrd-line"), 3);
    // Not facts: another bootvet document. And files the audit must ignore.
    let (status, devices, _) = bootvet(&["devices", "--json", "--image", &image("healthy")]);
    assert_eq!(status, 0);
    fs::write(d.join("zz-devices.json"), devices).unwrap();
    fs::write(d.join(".partial.json"), "{").unwrap();
    fs::write(d.join("notes.txt"), "not a machine").unwrap();

    let (status, text, err) = audit(d, &[]);
    assert_eq!(status, 3, "{text}{err}");
    assert!(
        text.starts_with("bootvet check: 4 facts file(s) in "),
        "{text}"
    );
    let healthy = line_of(&text, "healthy.json");
    assert!(
        healthy.contains(" boots ") && healthy.contains(" 0 "),
        "{healthy}"
    );
    assert!(healthy.trim_end().ends_with(" -"), "no finding: {healthy}");
    let renumbered = line_of(&text, "mbr-logical-renumbered.json");
    assert!(
        renumbered.contains(" boots ") && renumbered.contains(" 1 "),
        "{renumbered}"
    );
    assert!(renumbered.contains("error[BV3003] 1: "), "{renumbered}");
    let failing = line_of(&text, "no-initrd-line.json");
    assert!(
        failing.contains(" WILL FAIL ") && failing.contains(" 3 "),
        "{failing}"
    );
    assert!(failing.contains("error[BV4103]"), "{failing}");
    let other = line_of(&text, "zz-devices.json");
    assert!(
        other.contains(" NOT CHECKED ") && other.contains(" 2 "),
        "{other}"
    );
    assert!(other.contains("not a bootvet facts file"), "{other}");
    assert!(
        !text.contains("partial") && !text.contains("notes"),
        "{text}"
    );
    assert!(
        text.contains(
            "summary: 4 machine(s): 1 pass, 1 with a failing entry that does not boot next, \
             1 WILL FAIL at the next boot, 1 could not be checked; do not reboot: no-initrd-line.json"
        ),
        "{text}"
    );

    // --quiet: only the machines that do not pass.
    let (status, quiet, _) = audit(d, &["--quiet"]);
    assert_eq!(status, 3);
    assert!(
        !quiet.contains("healthy.json") && quiet.contains("no-initrd-line.json"),
        "{quiet}"
    );

    // JSON: the same machines, each with the status its own replay exits with.
    let (status, json, err) = audit(d, &["--json"]);
    assert_eq!(status, 3, "{err}");
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["schema"], "bootvet.fleet/1");
    assert_eq!(doc["exit_status"], 3);
    assert_eq!(doc["summary"]["machines"], 4);
    assert_eq!(doc["summary"]["not_checked"], 1);
    let machines = doc["machines"].as_array().unwrap();
    let files: Vec<&str> = machines
        .iter()
        .map(|m| m["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "healthy.json",
            "mbr-logical-renumbered.json",
            "no-initrd-line.json",
            "zz-devices.json"
        ]
    );
    for m in machines {
        let file = d.join(m["file"].as_str().unwrap()).display().to_string();
        let (alone, _, _) = bootvet(&["check", "--facts", &file]);
        assert_eq!(m["exit_status"], alone, "{m}");
    }
    let failing = &machines[2];
    assert_eq!(failing["next_boot"]["verdict"], "will_fail");
    assert_eq!(failing["worst_finding"]["code"], "BV4103");
    assert_eq!(failing["worst_finding"]["severity"], "error");
    assert_eq!(
        failing["worst_finding"]["entry"],
        failing["next_boot"]["path"]
    );
    assert!(machines[3]["error"].as_str().unwrap().contains("schema"));
    assert!(
        machines[0]["hostname"].is_null(),
        "an image is not this host"
    );

    // The worst machine decides: without it 2, without the unreadable file 1, …
    fs::remove_file(d.join("no-initrd-line.json")).unwrap();
    assert_eq!(audit(d, &[]).0, 2);
    fs::remove_file(d.join("zz-devices.json")).unwrap();
    assert_eq!(audit(d, &[]).0, 1);
    fs::remove_file(d.join("mbr-logical-renumbered.json")).unwrap();
    let (status, text, _) = audit(d, &[]);
    assert_eq!(status, 0, "{text}");
    assert!(
        text.contains("summary: 1 machine(s): 1 pass\n")
            || text.ends_with("summary: 1 machine(s): 1 pass\n"),
        "{text}"
    );
}

#[test]
fn an_empty_directory_or_a_per_machine_flag_is_trouble() {
    let dir = tempfile::tempdir().unwrap();
    let (status, text, _) = audit(dir.path(), &[]);
    assert_eq!(status, 2, "an empty fleet must not pass: {text}");
    assert!(text.contains("nothing was checked"), "{text}");
    dump(dir.path(), "healthy");
    let (status, _, err) = audit(dir.path(), &["--entry", "0"]);
    assert_eq!(status, 2);
    assert!(err.contains("--entry"), "{err}");
    let prom = dir.path().join("x.prom").display().to_string();
    let (status, _, err) = audit(dir.path(), &["--prometheus", &prom]);
    assert_eq!(status, 2);
    assert!(
        err.contains("--prometheus") && !Path::new(&prom).exists(),
        "{err}"
    );
}

/// Facts dumped from the live system name the machine: the audit shows the host
/// name, not the file name. (A loose `--config` is checked live against this
/// machine's disks, so this runs anywhere.)
#[test]
fn a_live_dump_is_named_by_its_host_name() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("live.json");
    let config = repo()
        .join("tests/checks/BV4001/fail.cfg")
        .display()
        .to_string();
    let (_, _, err) = bootvet(&[
        "check",
        "--quiet",
        "--config",
        &config,
        "--dump-facts",
        &file.display().to_string(),
    ]);
    assert!(file.is_file(), "{err}");
    let host = fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let host = host.trim();
    let (_, json, _) = audit(dir.path(), &["--json"]);
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["machines"][0]["hostname"], host);
    assert_eq!(doc["machines"][0]["file"], "live.json");
    let (_, text, _) = audit(dir.path(), &[]);
    line_of(&text, host);
}
