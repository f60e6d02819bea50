//! `bootvet check` end to end, on real disk images built at test time by
//! fixtures/scenarios/build.sh (sgdisk, mkfs.vfat, mke2fs -d, cpio, gzip):
//! every registered check has a fixture that triggers it and one that does not,
//! the exit statuses, the JSON document, and nothing is ever written.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use bootvet::check::{CHECKS, registry::DOC_SECTIONS};
use serde::Deserialize;

mod support;
use support::{bootvet, repo};

/// Builds every scenario image once per test run.
fn scenarios() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| support::build_scenarios("scenarios", &[]))
}

fn image(name: &str) -> String {
    scenarios()
        .join(format!("{name}.img"))
        .display()
        .to_string()
}

/// The `bootvet.check/1` document as a consumer reads it. Kept here, apart from
/// the code that writes it, so that a change that breaks consumers breaks this.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct CheckDocument {
    schema: String,
    config: ConfigOrigin,
    platform: String,
    exit_status: u8,
    next_boot: Option<String>,
    /// The links above grub.cfg (added within bootvet.check/1: absent when not
    /// looked at, so older consumers' documents still read).
    #[serde(default)]
    chain: Vec<LinkStatus>,
    /// Index of the finding that stops every boot before the menu.
    #[serde(default)]
    stops_before_menu: Option<usize>,
    /// The GRUB build evaluated for (issue 21; added within bootvet.check/1).
    #[serde(default)]
    grub: Option<GrubBuild>,
    /// Where the build's rules changed a result (added within bootvet.check/1).
    #[serde(default)]
    flavour_effects: Vec<FlavourEffect>,
    entries: Vec<Entry>,
    findings: Vec<JsonFinding>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct GrubBuild {
    vendor: String,
    version: Option<String>,
    chosen_by: String,
    evidence: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct FlavourEffect {
    rule: String,
    message: String,
    location: serde_json::Value,
    entry: Option<Vec<usize>>,
    command: Option<String>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct ConfigOrigin {
    path: String,
    volume: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Entry {
    path: String,
    title: String,
    id: Option<String>,
    boots_next: bool,
    conditional: Option<String>,
    verdict: String,
    links: Vec<LinkStatus>,
    findings: Vec<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkStatus {
    link: String,
    state: String,
    detail: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct JsonFinding {
    code: String,
    severity: String,
    link: String,
    entry: Option<EntryRef>,
    location: Option<Location>,
    message: String,
    evidence: Vec<String>,
    will_print: Vec<String>,
    fix: String,
    /// Added within bootvet.check/1: the finding stops GRUB before its menu.
    #[serde(default)]
    before_menu: bool,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct EntryRef {
    path: String,
    title: String,
    id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Location {
    file: String,
    line: usize,
    column: usize,
    offset: usize,
}

fn check_json(images: &[&str], config: Option<&Path>, extra: &[&str]) -> (i32, CheckDocument) {
    let mut args: Vec<String> = vec!["check".into(), "--json".into()];
    for name in images {
        args.push("--image".into());
        args.push(image(name));
    }
    if let Some(config) = config {
        args.push("--config".into());
        args.push(config.display().to_string());
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = bootvet(&refs);
    let doc: CheckDocument =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (code, doc)
}

fn codes(doc: &CheckDocument) -> Vec<&str> {
    doc.findings.iter().map(|f| f.code.as_str()).collect()
}

fn fixture_images(dir: &Path, kind: &str) -> Vec<String> {
    std::fs::read_to_string(dir.join(format!("{kind}.images")))
        .map(|s| s.split_whitespace().map(str::to_string).collect())
        .unwrap_or_else(|_| vec!["checks".to_string()])
}

/// The checks above grub.cfg need an image with GRUB installed on it for each
/// case: `tests/checks/CODE/covered-by` names the test file that builds those
/// (real grub-install/grub-mkimage images) and must mention the code there;
/// `tests/checks/CODE/untested` says why no test exercises it yet (listed in
/// the run's output, and in the issue). Either replaces the fixture pair.
fn covered_elsewhere(dir: &Path, code: &str) -> Option<String> {
    if let Ok(file) = std::fs::read_to_string(dir.join("covered-by")) {
        let file = file.trim();
        let text = std::fs::read_to_string(repo().join(file))
            .unwrap_or_else(|e| panic!("{code}: covered-by names {file}: {e}"));
        assert!(text.contains(code), "{code}: {file} never mentions it");
        return Some(format!("covered by {file}"));
    }
    let why = std::fs::read_to_string(dir.join("untested")).ok()?;
    Some(format!("NOT TESTED: {}", why.trim()))
}

#[test]
fn every_check_is_documented_in_four_sections_and_has_fixtures() {
    let mut seen = std::collections::BTreeSet::new();
    for check in CHECKS {
        assert!(seen.insert(check.code), "{} registered twice", check.code);
        assert!(
            check.code.len() == 6
                && check.code.starts_with("BV")
                && check.code[2..].bytes().all(|b| b.is_ascii_digit()),
            "bad code {}",
            check.code
        );
        let mut at = 0;
        for section in DOC_SECTIONS {
            let heading = format!("## {section}\n");
            let found = check.doc[at..]
                .find(&heading)
                .unwrap_or_else(|| panic!("{} lacks `{section}`", check.code));
            at += found + heading.len();
        }
        assert!(
            !check.summary.is_empty() && !check.fix.is_empty(),
            "{}",
            check.code
        );
        let dir = repo().join("tests/checks").join(check.code);
        if let Some(elsewhere) = covered_elsewhere(&dir, check.code) {
            eprintln!("{}: {elsewhere}", check.code);
            continue;
        }
        for kind in ["fail.cfg", "pass.cfg"] {
            assert!(
                dir.join(kind).is_file(),
                "{} has no tests/checks/{}/{kind}",
                check.code,
                check.code
            );
        }
    }
    for entry in std::fs::read_dir(repo().join("tests/checks")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            CHECKS.iter().any(|c| c.code == name),
            "tests/checks/{name} belongs to no registered check"
        );
    }
}

#[test]
fn every_check_fires_on_its_failing_fixture_and_not_on_its_passing_one() {
    let mut problems = Vec::new();
    for check in CHECKS {
        let dir = repo().join("tests/checks").join(check.code);
        if covered_elsewhere(&dir, check.code).is_some() {
            continue;
        }
        for (kind, should_fire) in [("fail", true), ("pass", false)] {
            // `KIND.privileged`: the case needs root and a FUSE view (BV5010's
            // failing disk); tests/sectors.rs runs it behind BOOTVET_PRIVILEGED_TESTS.
            if dir.join(format!("{kind}.privileged")).is_file() {
                continue;
            }
            let images = fixture_images(&dir, kind);
            let refs: Vec<&str> = images.iter().map(String::as_str).collect();
            // `KIND.args`: extra `bootvet check` options (`--deep`, a firmware limit).
            // `$SCENARIOS` names the scenario directory (variable stores built there).
            let args = std::fs::read_to_string(dir.join(format!("{kind}.args")))
                .unwrap_or_default()
                .replace("$SCENARIOS", &scenarios().display().to_string());
            let args: Vec<&str> = args.split_whitespace().collect();
            let (_, doc) = check_json(&refs, Some(&dir.join(format!("{kind}.cfg"))), &args);
            let fired = codes(&doc).contains(&check.code);
            if fired != should_fire {
                problems.push(format!(
                    "{} {kind}.cfg: fired={fired}, findings {:?}",
                    check.code,
                    codes(&doc)
                ));
            }
            if kind == "pass" && !doc.findings.iter().all(|f| f.severity != "error") {
                problems.push(format!(
                    "{} pass.cfg has errors: {:?}",
                    check.code,
                    codes(&doc)
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every check's fixture pair again, from the facts dumps tests/golden/run.sh keeps
/// (tests/snapshots/golden/checks/CODE.KIND.facts.json; the golden diff keeps them
/// equal to what the images give): no image is built or read, so the whole
/// registry runs in milliseconds, and the text a person sees of each case is
/// pinned in the golden CODE.txt beside them.
#[test]
fn every_check_fires_on_its_failing_facts_replay_and_not_on_its_passing_one() {
    let golden = repo().join("tests/snapshots/golden/checks");
    let mut problems = Vec::new();
    for check in CHECKS {
        let dir = repo().join("tests/checks").join(check.code);
        if covered_elsewhere(&dir, check.code).is_some() {
            continue;
        }
        for (kind, should_fire) in [("fail", true), ("pass", false)] {
            if dir.join(format!("{kind}.privileged")).is_file() {
                continue;
            }
            let facts = golden.join(format!("{}.{kind}.facts.json", check.code));
            if !facts.is_file() {
                problems.push(format!(
                    "{} has no {}: re-record the golden outputs (see tests/golden.rs)",
                    check.code,
                    facts.display()
                ));
                continue;
            }
            let path = facts.display().to_string();
            let (_, out, err) = bootvet(&["check", "--json", "--facts", &path]);
            let doc: CheckDocument =
                serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {path}: {out}\n{err}"));
            let fired = codes(&doc).contains(&check.code);
            if fired != should_fire {
                problems.push(format!(
                    "{} {kind} replay: fired={fired}, findings {:?}",
                    check.code,
                    codes(&doc)
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn healthy_disk_passes_every_link_and_exits_0() {
    let (code, doc) = check_json(&["healthy"], None, &[]);
    assert_eq!(code, 0);
    assert_eq!(doc.schema, "bootvet.check/1");
    assert_eq!(doc.exit_status, 0);
    assert_eq!(doc.platform, "pc");
    assert_eq!(doc.next_boot.as_deref(), Some("0"));
    assert!(doc.findings.is_empty(), "{:?}", codes(&doc));
    assert_eq!(doc.entries.len(), 3);
    for entry in &doc.entries {
        assert_eq!(entry.verdict, "boots");
        let states: Vec<(&str, &str)> = entry
            .links
            .iter()
            .map(|l| (l.link.as_str(), l.state.as_str()))
            .collect();
        assert_eq!(
            states,
            [
                ("config", "pass"),
                ("device", "pass"),
                ("kernel", "pass"),
                ("initrd", "pass"),
                ("root", "pass")
            ],
            "{}",
            entry.title
        );
    }
    let kernel = &doc.entries[0].links[2];
    assert_eq!(
        kernel.detail,
        "/vmlinuz-6.5.0-35-generic 258.5 KiB, 6.5.0-35-generic"
    );
    assert_eq!(doc.config.path, "(hd0,gpt3)/grub/grub.cfg");
}

#[test]
fn deleted_kernel_is_named_with_grubs_messages_and_the_next_boot_fails() {
    let (code, doc) = check_json(&["kernel-missing"], None, &[]);
    assert_eq!(code, 3, "the default entry loads the deleted kernel");
    let finding = doc
        .findings
        .iter()
        .find(|f| f.code == "BV4001")
        .expect("BV4001");
    assert_eq!(finding.entry.as_ref().unwrap().path, "0");
    assert_eq!(
        finding.will_print,
        [
            "error: file `/vmlinuz-6.5.0-34-generic' not found.",
            "error: you need to load the kernel first."
        ]
    );
    assert_eq!(finding.severity, "error");
    let location = finding.location.as_ref().unwrap();
    assert_eq!(location.file, "(hd0,gpt3)/grub/grub.cfg");
}

#[test]
fn wrong_search_uuid_is_no_such_device() {
    let (code, doc) = check_json(&["search-uuid-unknown"], None, &[]);
    assert_eq!(code, 3);
    let finding = doc
        .findings
        .iter()
        .find(|f| f.code == "BV3001")
        .expect("BV3001");
    assert_eq!(
        finding.will_print,
        [
            "error: no such device: 5b1f2d6e-0000-4000-8000-00000000dead.",
            "error: file `/vmlinuz-6.5.0-35-generic' not found."
        ]
    );
    assert!(finding.message.contains("GRUB keeps $root = (hd0,gpt2)"));
}

/// A failed search does not stop the entry: GRUB keeps `$root` (here the
/// `set root='hd0,gpt3'` grub-mkconfig writes above it), pauses, and boots.
#[test]
fn failed_search_with_the_right_root_kept_boots_after_a_pause() {
    let (code, doc) = check_json(&["search-uuid-stale"], None, &[]);
    assert_eq!(code, 0);
    let finding = &doc.findings[0];
    assert_eq!(
        (finding.code.as_str(), finding.severity.as_str()),
        ("BV3001", "warning")
    );
    assert_eq!(
        finding.will_print,
        [
            "error: no such device: 5b1f2d6e-0000-4000-8000-00000000dead.",
            "Press any key to continue..."
        ]
    );
    let entry = &doc.entries[0];
    assert_eq!(entry.verdict, "may_fail");
    let device = &entry.links[1];
    assert_eq!(
        (device.link.as_str(), device.state.as_str()),
        ("device", "warn")
    );
    assert!(
        device.detail.contains("$root stays (hd0,gpt3)"),
        "{}",
        device.detail
    );
    assert!(entry.links[2..].iter().all(|l| l.state == "pass"));
}

#[test]
fn root_uuid_nobody_has_drops_to_the_initramfs_shell() {
    let (code, doc) = check_json(&["root-uuid-unknown"], None, &[]);
    assert_eq!(code, 3);
    let finding = doc
        .findings
        .iter()
        .find(|f| f.code == "BV4202")
        .expect("BV4202");
    assert_eq!(
        finding.will_print,
        [
            "Gave up waiting for root file system device.",
            "ALERT!  UUID=11111111-2222-4333-8444-555555555555 does not exist.  Dropping to a shell!"
        ]
    );
}

#[test]
fn duplicated_filesystem_uuid_is_ambiguous_for_grub_and_for_root() {
    let (code, doc) = check_json(
        &["root-uuid-duplicate", "root-uuid-duplicate-clone"],
        None,
        &[],
    );
    assert_eq!(code, 0, "warnings only");
    let found = codes(&doc);
    assert!(
        found.contains(&"BV3002") && found.contains(&"BV4203"),
        "{found:?}"
    );
    let search = doc.findings.iter().find(|f| f.code == "BV3002").unwrap();
    assert_eq!(search.evidence, ["matches: (hd0,gpt3), (hd1,gpt3)"]);
    let (strict, _) = check_json(
        &["root-uuid-duplicate", "root-uuid-duplicate-clone"],
        None,
        &["--strict"],
    );
    assert_eq!(strict, 3, "--strict makes warnings fail");
}

#[test]
fn no_initrd_line_predicts_the_unknown_block_panic() {
    let (code, out, _) = bootvet(&["check", "--image", &image("no-initrd-line")]);
    assert_eq!(code, 3);
    assert!(
        out.contains("▶ 1>0 \"Ubuntu, with Linux 6.11.0-rc1+\" boots next — WILL FAIL"),
        "{out}"
    );
    assert!(out.contains("✗ initrd no initrd line"), "{out}");
    // A 6.11 kernel without its config: from 6.7 the panic may quote root= (no
    // block filesystem built in) or not, so that part is left open.
    assert!(
        out.contains(
            "Kernel panic - not syncing: VFS: Unable to mount root fs on …unknown-block(0,0)"
        ),
        "{out}"
    );
    assert!(
        out.contains("`update-initramfs -c -k 6.11.0-rc1+`"),
        "{out}"
    );
    assert!(out.contains("will fail: do not reboot"), "{out}");
}

#[test]
fn exit_1_when_only_an_entry_that_does_not_boot_next_fails() {
    let config = repo().join("tests/checks/BV4001/fail.cfg");
    // The failing entry is entry 0 there; make the good one the default.
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("grub.cfg");
    let text = std::fs::read_to_string(config).unwrap();
    std::fs::write(&cfg, format!("set default=good\n{text}")).unwrap();
    let (code, doc) = check_json(&["checks"], Some(&cfg), &[]);
    assert_eq!(code, 1, "{:?}", codes(&doc));
    assert_eq!(doc.next_boot.as_deref(), Some("1"));
}

#[test]
fn unreadable_image_is_exit_2_with_one_line() {
    let (code, out, err) = bootvet(&["check", "--image", "/nonexistent.img"]);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("bootvet: cannot read /nonexistent.img"),
        "{err}"
    );
}

#[test]
fn entry_selection_limits_the_report_and_the_status() {
    let (code, doc) = check_json(&["no-initrd-line"], None, &["--entry", "1>1"]);
    assert_eq!(code, 0);
    assert_eq!(doc.entries.len(), 1);
    assert_eq!(doc.entries[0].path, "1>1");
}

/// Secure Boot's state unknown (no variables): an entry whose loader command
/// lockdown would refuse (BV7007 with the variables) may fail, and says why.
#[test]
fn an_entry_lockdown_would_refuse_may_fail_when_secure_boot_is_unknown() {
    let cfg = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/checks/BV7007/fail.cfg");
    let (code, doc) = check_json(&["sb-debian"], Some(&cfg), &[]);
    assert_eq!(code, 0, "{:?}", codes(&doc));
    let entry_findings: Vec<_> = doc
        .findings
        .iter()
        .filter(|f| f.code == "BV7005" && f.message.contains("`multiboot2` fails"))
        .collect();
    assert_eq!(entry_findings.len(), 1, "{:?}", codes(&doc));
    assert_eq!(entry_findings[0].severity, "warning");
    let (code, doc) = check_json(&["sb-debian"], Some(&cfg), &["--secure-boot", "off"]);
    assert_eq!(code, 0);
    assert!(
        !codes(&doc).iter().any(|c| c.starts_with("BV700")),
        "{:?}",
        codes(&doc)
    );
}

#[test]
fn checking_never_writes_to_the_images() {
    let names = [
        "healthy",
        "no-initrd-line",
        "root-uuid-duplicate",
        "root-uuid-duplicate-clone",
    ];
    let hashes = |names: &[&str]| -> Vec<Vec<u8>> {
        names
            .iter()
            .map(|n| std::fs::read(image(n)).unwrap())
            .collect()
    };
    let before = hashes(&names);
    for n in &names[..2] {
        let _ = bootvet(&["check", "--deep", "--image", &image(n)]);
    }
    let _ = bootvet(&[
        "check",
        "--image",
        &image(names[2]),
        "--image",
        &image(names[3]),
    ]);
    assert!(before == hashes(&names), "an image changed");
    // And a read-only image file is enough.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("ro.img");
    std::fs::copy(image("healthy"), &copy).unwrap();
    let mut perms = std::fs::metadata(&copy).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&copy, perms).unwrap();
    let (code, _, err) = bootvet(&["check", "--image", copy.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn pinned_json_document_still_deserializes() {
    let text = std::fs::read_to_string(repo().join("tests/fixtures/check-v1.json")).unwrap();
    let doc: CheckDocument = serde_json::from_str(&text).unwrap();
    assert_eq!(doc.schema, "bootvet.check/1");
    assert!(!doc.findings.is_empty());
}

#[test]
fn explain_prints_every_section_and_lists_every_code() {
    let (code, out, _) = bootvet(&["explain", "BV4103"]);
    assert_eq!(code, 0);
    for section in DOC_SECTIONS {
        assert!(out.contains(section), "{section}");
    }
    let (code, out, _) = bootvet(&["explain", "--list"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), CHECKS.len());
    let (code, _, err) = bootvet(&["explain", "BV9999"]);
    assert_eq!(code, 2);
    assert!(err.contains("no check BV9999"));
}

#[test]
fn boot_dir_stands_for_the_filesystem_grub_reads() {
    let dir = tempfile::tempdir().unwrap();
    let boot = dir.path();
    std::fs::create_dir(boot.join("grub")).unwrap();
    let status = Command::new("python3")
        .arg(repo().join("fixtures/scenarios/standin-kernel.py"))
        .args([
            "6.11.0-rc1+",
            boot.join("vmlinuz-6.11.0-rc1+").to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::write(
        boot.join("grub/grub.cfg"),
        "menuentry 'Linux 6.11.0-rc1+' {\n\tsearch --fs-uuid --set=root 3f9c1a52-8d5e-4c61-9a3b-2b7e5f1d0c44\n\tlinux /vmlinuz-6.11.0-rc1+ root=UUID=7d0cf1b2-55aa-4e2b-9c1d-0a1b2c3d4e5f ro\n}\n",
    )
    .unwrap();
    let dir_arg = boot.to_str().unwrap();
    let (code, out, err) = bootvet(&["check", "--json", "--boot-dir", dir_arg]);
    assert_eq!(code, 3, "{err}");
    let doc: CheckDocument = serde_json::from_str(&out).unwrap();
    assert_eq!(codes(&doc), ["BV4103"]);
    let root = &doc.entries[0].links[4];
    assert_eq!(
        (root.link.as_str(), root.state.as_str()),
        ("root", "unknown"),
        "no disks: root= unverified"
    );
    // With the initrd line and the image, the entry boots.
    std::fs::write(boot.join("initrd.img-6.11.0-rc1+"), b"07070100000000").unwrap();
    std::fs::write(
        boot.join("grub/grub.cfg"),
        "menuentry 'Linux 6.11.0-rc1+' {\n\tlinux /vmlinuz-6.11.0-rc1+ root=UUID=7d0cf1b2-55aa-4e2b-9c1d-0a1b2c3d4e5f ro\n\tinitrd /initrd.img-6.11.0-rc1+\n}\n",
    )
    .unwrap();
    let (code, out, _) = bootvet(&["check", "--json", "--boot-dir", dir_arg]);
    let doc: CheckDocument = serde_json::from_str(&out).unwrap();
    assert!(!codes(&doc).contains(&"BV4103"), "{:?}", codes(&doc));
    assert_ne!(code, 2);
}

/// What a person sees, pinned: `BOOTVET_BLESS=1` rewrites the snapshots (then
/// read the diff before committing it).
#[test]
fn rendered_reports_match_reviewed_snapshots() {
    let mut stale = Vec::new();
    for scenario in [
        "no-initrd-line",
        "kernel-missing",
        "root-uuid-unknown",
        "healthy",
        "mbr-logical-renumbered",
        "bls-fedora-broken",
        "multiboot-windows-missing",
    ] {
        let (_, out, _) = bootvet(&["check", "--color", "never", "--image", &image(scenario)]);
        let path = repo()
            .join("tests/snapshots/check")
            .join(format!("{scenario}.txt"));
        if std::env::var_os("BOOTVET_BLESS").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &out).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        if expected != out {
            stale.push(format!(
                "{scenario}:\n--- expected\n{expected}\n--- actual\n{out}"
            ));
        }
    }
    assert!(stale.is_empty(), "{}", stale.join("\n"));
}

/// The story of shared/seed/, caught on one disk: the default entry boots the
/// self-built kernel without an initrd (→ unknown-block(0,0)), the second try's
/// 460 MiB initrd does not fit GRUB's loader, /boot cannot hold the next image,
/// and the root cause — unstripped modules — is named with its fix.
#[test]
fn seed_story_is_caught_link_by_link() {
    let (code, doc) = check_json(&["seed"], None, &[]);
    assert_eq!(code, 3, "do not reboot");
    let on = |code: &str, path: &str| {
        doc.findings
            .iter()
            .find(|f| f.code == code && f.entry.as_ref().map(|e| e.path.as_str()) == Some(path))
            .unwrap_or_else(|| panic!("{code} on {path}: {:?}", codes(&doc)))
    };
    let no_initrd = on("BV4103", "0");
    assert_eq!(
        no_initrd.will_print.last().map(String::as_str),
        Some("Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)")
    );
    assert!(
        no_initrd
            .fix
            .contains("make INSTALL_MOD_STRIP=1 modules_install"),
        "{}",
        no_initrd.fix
    );
    let too_big = on("BV5003", "2");
    assert_eq!(too_big.will_print[0], "error: the initrd is too big.");
    assert_eq!(
        too_big.will_print.last().map(String::as_str),
        Some("Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)")
    );
    on("BV5004", "2");
    let unstripped = on("BV5009", "0");
    assert!(
        unstripped
            .fix
            .contains("make INSTALL_MOD_STRIP=1 modules_install")
    );
    let full = doc
        .findings
        .iter()
        .find(|f| f.code == "BV5005")
        .expect("BV5005");
    assert!(
        full.will_print[0].starts_with("update-initramfs: failed for /boot/initrd.img-6.11.0-rc1+")
    );
    let good = doc.entries.iter().find(|e| e.path == "1>1").unwrap();
    assert_eq!(good.verdict, "boots", "the distro kernel still boots");
}

/// Each scenario image gives its finding, on the entries it should, with the exit
/// status a hook acts on (fixtures/scenarios/README.md says what a person sees).
#[test]
fn scenarios_give_their_findings_and_exit_statuses() {
    // (scenario, exit status, findings as (code, entry path))
    type Expected<'a> = (&'a str, u8, &'a [(&'a str, Option<&'a str>)]);
    let table: &[Expected] = &[
        ("healthy", 0, &[]),
        // OpenZFS-shaped initrds: 1>1 lacks zfs.ko (DKMS ran after the
        // initramfs), 1>2 lacks the whole hook; the next boot's has all of it.
        (
            "root-zfs",
            1,
            &[("BV4111", Some("1>1")), ("BV4111", Some("1>2"))],
        ),
        (
            "initrd-missing",
            3,
            &[("BV4101", Some("0")), ("BV4101", Some("1>0"))],
        ),
        (
            "kernel-truncated",
            3,
            &[("BV4003", Some("0")), ("BV4003", Some("1>0"))],
        ),
        (
            "kernel-missing",
            3,
            &[("BV4001", Some("0")), ("BV4001", Some("1>0"))],
        ),
        (
            "no-initrd-line",
            3,
            &[("BV4103", Some("0")), ("BV4103", Some("1>0"))],
        ),
        (
            "search-uuid-unknown",
            3,
            &[
                ("BV3001", Some("0")),
                ("BV3001", Some("1>0")),
                ("BV4001", Some("0")),
                ("BV4001", Some("1>0")),
            ],
        ),
        (
            "search-uuid-stale",
            0,
            &[("BV3001", Some("0")), ("BV3001", Some("1>0"))],
        ),
        (
            "root-uuid-unknown",
            3,
            &[("BV4202", Some("0")), ("BV4202", Some("1>0"))],
        ),
        (
            "init-missing",
            3,
            &[("BV4205", Some("0")), ("BV4205", Some("1>0"))],
        ),
        (
            "init-dangling",
            3,
            &[("BV4205", Some("0")), ("BV4205", Some("1>0"))],
        ),
        (
            "init-shell-only",
            3,
            &[("BV4205", Some("0")), ("BV4205", Some("1>0"))],
        ),
        ("init-relative", 0, &[]),
        (
            "fstab-efi-stale",
            3,
            &[("BV4206", Some("0")), ("BV4206", Some("1>0"))],
        ),
        ("fstab-efi-nofail", 0, &[]),
        (
            "crypttab-missing",
            3,
            &[("BV4207", Some("0")), ("BV4207", Some("1>0"))],
        ),
        (
            "fstab-root-other",
            0,
            &[("BV4208", Some("0")), ("BV4208", Some("1>0"))],
        ),
        ("fstab-ok", 0, &[]),
        ("menu-recordfail", 0, &[("BV2101", Some("0"))]),
        ("menu-recordfail-clear", 0, &[]),
        ("menu-timeout-forever", 0, &[("BV2101", Some("0"))]),
        ("menu-superusers", 0, &[("BV2102", Some("0"))]),
        ("menu-superusers-unrestricted", 0, &[]),
        ("default-points-nowhere", 0, &[("BV2001", None)]),
        ("grubenv-corrupt", 0, &[("BV2002", None)]),
        ("mbr-logical-boot", 0, &[]),
        ("mbr-logical-renumbered", 1, &[("BV3003", Some("1"))]),
        ("bls-fedora", 0, &[]),
        // An efi image with no variable store: Secure Boot's state is unknown.
        ("multiboot-windows", 0, &[("BV7005", None)]),
        (
            "multiboot-windows-missing",
            1,
            &[("BV4001", Some("2")), ("BV7005", None)],
        ),
        (
            "bls-fedora-broken",
            3,
            &[
                ("BV4001", Some("0")),
                ("BV4201", Some("0")),
                ("BV4201", Some("1")),
                ("BV4201", Some("2")),
            ],
        ),
    ];
    for (scenario, status, expected) in table {
        let (code, doc) = check_json(&[scenario], None, &[]);
        let found: Vec<(&str, Option<&str>)> = doc
            .findings
            .iter()
            .map(|f| (f.code.as_str(), f.entry.as_ref().map(|e| e.path.as_str())))
            .collect();
        assert_eq!(
            (code as u8, found.as_slice()),
            (*status, *expected),
            "{scenario}"
        );
    }
    let (_, doc) = check_json(&["initrd-missing"], None, &[]);
    assert_eq!(
        doc.findings[0].will_print[0],
        "error: file `/initrd.img-6.11.0-rc1+' not found."
    );
    // The dangling /sbin/init: where the links ended, and initramfs-tools' lines.
    let (_, doc) = check_json(&["init-dangling"], None, &[]);
    let finding = &doc.findings[0];
    assert!(
        finding
            .message
            .contains("the chain of links ended at /lib/systemd/systemd"),
        "{}",
        finding.message
    );
    assert_eq!(
        finding.will_print,
        [
            "Target filesystem doesn't have requested /sbin/init.",
            "No init found. Try passing init= bootarg.",
            "(initramfs) "
        ]
    );
    // Only /bin/sh: initramfs-tools says so, then runs the shell as PID 1.
    let (_, doc) = check_json(&["init-shell-only"], None, &[]);
    assert!(
        doc.findings[0].message.contains("runs /bin/sh as init"),
        "{}",
        doc.findings[0].message
    );
    assert_eq!(
        doc.findings[0].will_print,
        ["Target filesystem doesn't have requested /sbin/init."]
    );
    // A stale /boot/efi UUID: the device unit's description (the path its name
    // stands for), the failed dependencies, emergency mode; `…` for the unit's id
    // that Debian's systemd prints before them (`id - description`), as booted in
    // tests/boot.rs (deb-fstab-esp-stale).
    let (_, doc) = check_json(&["fstab-efi-stale"], None, &[]);
    assert_eq!(
        doc.findings[0].will_print[..3],
        [
            "[ TIME ] Timed out waiting for device …/dev/disk/by-uuid/9A3F-11C2.",
            "[DEPEND] Dependency failed for …/boot/efi.",
            "[DEPEND] Dependency failed for …Local File Systems.",
        ]
    );
    assert!(doc.findings[0].will_print[3].starts_with("You are in emergency mode."));
    // Its root account is locked (/etc/shadow `root:*:`): sulogin's refusal.
    assert_eq!(
        doc.findings[0].will_print[6..],
        [
            "Cannot open access to console, the root account is locked.",
            "See sulogin(8) man page for more details.",
            "Press Enter to continue.",
        ]
    );
    assert!(doc.findings[0].fix.contains("nofail"));
    // A crypttab device that never comes: every unit systemd 252 fails with it,
    // in the order it printed them in deb-crypttab-missing (tests/boot.rs; that
    // root also has fsck.ext4, so its /srv check fails too: not this image's).
    let (_, doc) = check_json(&["crypttab-missing"], None, &[]);
    let bv4207 = doc
        .findings
        .iter()
        .find(|f| f.code == "BV4207")
        .expect("BV4207");
    assert_eq!(
        bv4207.will_print[..6],
        [
            "[ TIME ] Timed out waiting for device …/dev/disk/by-uuid/0d1c5e7a-4b2f-4e11-9d3a-5c6b7a8e9f10.",
            "[DEPEND] Dependency failed for …Cryptography Setup for cryptdata.",
            "[DEPEND] Dependency failed for …/dev/mapper/cryptdata.",
            "[DEPEND] Dependency failed for …/srv.",
            "[DEPEND] Dependency failed for …Local File Systems.",
            "[DEPEND] Dependency failed for …Local Encrypted Volumes.",
        ]
    );
    assert!(bv4207.will_print[6].starts_with("You are in emergency mode."));
    // A self-built kernel with no config-RELEASE beside it and no
    // lib/modules/RELEASE/modules.builtin on root, its initrd without a disk
    // driver: whether the kernel builds one in is unknown, and bootvet says so
    // (a warning naming what it looked for) instead of nothing.
    let (_, doc) = check_json(&["initrd-outlier"], None, &[]);
    let unknown = doc
        .findings
        .iter()
        .find(|f| f.code == "BV4107")
        .expect("BV4107");
    assert_eq!(unknown.severity, "warning");
    assert!(
        unknown.message.contains("is unknown"),
        "{}",
        unknown.message
    );
    assert!(
        unknown
            .evidence
            .iter()
            .any(|e| e.contains("no config-6.11.0-rc1+") && e.contains("modules.builtin")),
        "{:?}",
        unknown.evidence
    );
    // modules.builtin without the driver proves it is not built in: an error
    // without any config (deep-lacks-ext4's root has the package's modules.builtin).
    let (code, doc) = check_json(&["deep-lacks-ext4"], None, &[]);
    assert_eq!(code, 3, "{:?}", codes(&doc));
    // Nobody at the console: the waits that never end fail the next boot.
    for (name, exit) in [
        ("menu-recordfail", 3),
        ("menu-recordfail-clear", 0),
        ("menu-timeout-forever", 3),
        ("menu-superusers", 3),
        ("menu-superusers-unrestricted", 0),
    ] {
        let (code, doc) = check_json(&[name], None, &["--unattended"]);
        assert_eq!((name, code), (name, exit), "{:?}", codes(&doc));
    }
    let (_, doc) = check_json(&["menu-superusers"], None, &[]);
    assert_eq!(doc.findings[0].will_print, ["Enter username: "]);
    let (_, doc) = check_json(&["default-points-nowhere"], None, &[]);
    assert!(
        doc.findings[0]
            .message
            .contains("GRUB boots entry 1>0 instead"),
        "{}",
        doc.findings[0].message
    );
}

#[test]
fn without_grub_and_without_arguments_it_says_so_and_points_at_the_demo() {
    if ["/boot/grub/grub.cfg", "/boot/grub2/grub.cfg"]
        .iter()
        .any(|p| Path::new(p).exists())
    {
        eprintln!("this machine has a GRUB config: nothing to test here");
        return;
    }
    let (code, out, err) = bootvet(&["check"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.starts_with("bootvet: no GRUB configuration on this machine"),
        "{err}"
    );
    assert!(err.contains("--image"), "{err}");
    assert!(
        err.contains("fixtures/scenarios/build.sh target/scenarios seed"),
        "{err}"
    );
}

/// `--dump-facts` then `--facts` on another machine gives the same verdict, word
/// for word: what a person attaches to a bug report is enough to check it.
#[test]
fn captured_facts_replay_to_the_same_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let facts = dir.path().join("facts.json");
    let facts_arg = facts.display().to_string();
    // Every scenario's facts read back (a field skipped when empty must default).
    let mut images: Vec<PathBuf> = std::fs::read_dir(scenarios())
        .expect("scenarios")
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "img"))
        .collect();
    images.sort();
    assert!(images.len() > 30, "{images:?}");
    for img in &images {
        let img = img.display().to_string();
        let (status, json, _) = bootvet(&[
            "check",
            "--image",
            &img,
            "--json",
            "--dump-facts",
            &facts_arg,
        ]);
        let (replayed, replay_json, err) = bootvet(&["check", "--facts", &facts_arg, "--json"]);
        assert_eq!((replayed, &replay_json), (status, &json), "{img}: {err}");
    }
    for name in ["seed", "healthy", "initrd-missing", "root-uuid-unknown"] {
        let img = image(name);
        for extra in [&[][..], &["--deep"][..]] {
            let mut args = vec![
                "check",
                "--image",
                &img,
                "--json",
                "--dump-facts",
                &facts_arg,
            ];
            args.extend(extra);
            let (status, live_json, _) = bootvet(&args);
            let (replayed, replay_json, err) = bootvet(&["check", "--facts", &facts_arg, "--json"]);
            assert_eq!(replayed, status, "{name} {extra:?}: {err}");
            assert_eq!(replay_json, live_json, "{name} {extra:?}");
        }
        let (_, text, _) = bootvet(&["check", "--image", &img]);
        let (_, replay_text, _) = bootvet(&["check", "--facts", &facts_arg]);
        let (head, rest) = text.split_once('\n').expect("a header line");
        let (replay_head, replay_rest) = replay_text.split_once('\n').expect("a header line");
        assert_eq!(
            replay_rest, rest,
            "{name}: findings quote the same config lines"
        );
        assert_eq!(
            replay_head,
            format!(
                "{}; replayed from {facts_arg})",
                head.strip_suffix(')').expect("header ends with ')'")
            ),
            "{name}"
        );
    }
}

#[test]
fn facts_of_another_kind_are_refused_with_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let devices_facts = dir.path().join("devices.json");
    let devices_arg = devices_facts.display().to_string();
    let (status, _, err) = bootvet(&[
        "devices",
        "--image",
        &image("healthy"),
        "--dump-facts",
        &devices_arg,
    ]);
    assert_eq!(status, 0, "{err}");
    let (status, out, err) = bootvet(&["check", "--facts", &devices_arg]);
    assert_eq!(status, 2, "{out}");
    assert!(
        err.contains(
            "schema is \"bootvet.facts/1\", `check --facts` reads \"bootvet.check-facts/1\""
        ),
        "{err}"
    );
    let (status, _, err) = bootvet(&[
        "check",
        "--facts",
        &devices_arg,
        "--image",
        &image("healthy"),
    ]);
    assert_eq!(status, 2, "{err}");
    assert!(err.contains("cannot be used with"), "{err}");

    let check_facts = dir.path().join("check.json");
    let check_arg = check_facts.display().to_string();
    let (_, _, err) = bootvet(&[
        "check",
        "--image",
        &image("healthy"),
        "--dump-facts",
        &check_arg,
    ]);
    let text = std::fs::read_to_string(&check_facts).expect(&err);
    std::fs::write(&check_facts, &text[..text.len() / 2]).expect("write");
    let (status, _, err) = bootvet(&["check", "--facts", &check_arg]);
    assert_eq!(status, 2, "{err}");
    assert!(
        err.contains("is not a bootvet facts file: EOF while parsing"),
        "{err}"
    );
}

/// An msdos disk whose /boot is the first logical partition: GRUB calls it
/// (hd0,msdos5), found by following the extended partition's EBR chain. A
/// hand-written entry naming (hd0,msdos6) after the logical partitions were
/// renumbered gets GRUB's `no such partition`, not `disk … not found`.
#[test]
fn boot_on_a_logical_partition_is_hd0_msdos5() {
    let (code, out, err) = bootvet(&["devices", "--image", &image("mbr-logical-boot")]);
    assert_eq!(code, 0, "{err}");
    let boot_line = out
        .lines()
        .find(|l| l.contains("3f9c1a52-8d5e-4c61-9a3b-2b7e5f1d0c44"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(boot_line.trim_start().starts_with("(hd0,msdos5) "), "{out}");
    assert!(out.contains("table: msdos 5ca1ab1e"), "{out}");
    assert!(
        !out.contains("msdos2"),
        "the extended partition holds no filesystem: {out}"
    );

    let (code, doc) = check_json(&["mbr-logical-boot"], None, &[]);
    assert_eq!(code, 0, "{:?}", codes(&doc));
    assert_eq!(doc.platform, "pc");
    assert_eq!(doc.config.path, "(hd0,msdos5)/grub/grub.cfg");
    let entry = &doc.entries[0];
    assert_eq!(
        (entry.title.as_str(), entry.verdict.as_str()),
        ("Debian GNU/Linux", "boots")
    );
    assert_eq!(
        entry.links[1].detail,
        "(hd0,msdos5) ext4 3f9c1a52-8d5e-4c61-9a3b-2b7e5f1d0c44"
    );
    assert_eq!(
        entry.links[4].detail,
        "root=UUID=7d0cf1b2-55aa-4e2b-9c1d-0a1b2c3d4e5f → (hd0,msdos1) ext4"
    );

    let (code, doc) = check_json(&["mbr-logical-renumbered"], None, &[]);
    assert_eq!(code, 1, "the default entry still boots");
    let finding = doc
        .findings
        .iter()
        .find(|f| f.code == "BV3003")
        .expect("BV3003");
    assert_eq!(
        finding.entry.as_ref().map(|e| e.title.as_str()),
        Some("Debian GNU/Linux (hand-written)")
    );
    assert_eq!(finding.message, "(hd0,msdos6) does not exist");
    assert_eq!(finding.will_print, ["error: no such partition."]);
    assert_eq!(
        finding.evidence,
        ["GRUB's devices here: (hd0) (hd0,msdos1) (hd0,msdos5)"]
    );
    assert_eq!(
        doc.entries[1].links[1].detail,
        "(hd0,msdos6): no such partition"
    );
}

/// The /boot filesystem of a scenario image, copied out with debugfs (no mount),
/// for `bootvet entries --boot-dir`, which reads a directory.
fn boot_dir_of(scenario: &str, dir: &Path) {
    let source = format!("{}?offset={}", image(scenario), 36864 * 512);
    let status = Command::new("debugfs")
        .args(["-R", &format!("rdump / {}", dir.display()), &source])
        .stderr(std::process::Stdio::null())
        .status()
        .expect("debugfs");
    assert!(status.success());
}

/// Fedora 32 with BLS: blscfg builds the entries from /boot/loader/entries in
/// rpmvercmp order (5.11.22 before 5.8.18, though "5.8" sorts after "5.11" as
/// text), `options $kernelopts` takes the command line from grubenv (a real
/// block written by grub-editenv), and `saved_entry` picks the default.
#[test]
fn fedora_bls_entries_come_from_snippets_with_kernelopts_from_grubenv() {
    let (code, doc) = check_json(&["bls-fedora"], None, &[]);
    assert_eq!(code, 0, "{:?}", codes(&doc));
    assert_eq!(doc.config.path, "(hd0,gpt3)/grub2/grub.cfg");
    let entries: Vec<(&str, &str, Option<&str>)> = doc
        .entries
        .iter()
        .map(|e| (e.path.as_str(), e.title.as_str(), e.id.as_deref()))
        .collect();
    let machine = "c1a2b3d4e5f60718293a4b5c6d7e8f90";
    assert_eq!(
        entries,
        [
            (
                "0",
                "Fedora (5.11.22-100.fc32.x86_64) 32 (Workstation Edition)",
                Some(format!("{machine}-5.11.22-100.fc32.x86_64").as_str())
            ),
            (
                "1",
                "Fedora (5.8.18-200.fc32.x86_64) 32 (Workstation Edition)",
                Some(format!("{machine}-5.8.18-200.fc32.x86_64").as_str())
            ),
            (
                "2",
                "Fedora (0-rescue-c1a2b3d4e5f60718293a4b5c6d7e8f90) 32 (Workstation Edition)",
                Some(format!("{machine}-0-rescue-{machine}").as_str())
            ),
        ]
    );
    assert_eq!(
        doc.next_boot.as_deref(),
        Some("1"),
        "saved_entry, not entry 0"
    );
    for entry in &doc.entries {
        assert_eq!(
            entry.links[4].detail,
            "root=UUID=7d0cf1b2-55aa-4e2b-9c1d-0a1b2c3d4e5f → (hd0,gpt4) ext4"
        );
    }
    // The rescue kernel is a copy of 5.8.18: its name claims no release.
    assert_eq!(
        doc.entries[2].links[2].detail,
        "/vmlinuz-0-rescue-c1a2b3d4e5f60718293a4b5c6d7e8f90 258.5 KiB, 5.8.18-200.fc32.x86_64"
    );

    let dir = tempfile::tempdir().unwrap();
    boot_dir_of("bls-fedora", dir.path());
    let grubenv = std::fs::read(dir.path().join("grub2/grubenv")).unwrap();
    assert_eq!(grubenv.len(), 1024, "grub-editenv writes one 1 KiB block");
    let boot = dir.path().to_str().unwrap();
    let config = dir.path().join("grub2/grub.cfg");
    let (code, out, err) = bootvet(&[
        "entries",
        "--boot-dir",
        boot,
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!(
            "default `{machine}-5.8.18-200.fc32.x86_64` -> 1 \"Fedora (5.8.18-200.fc32.x86_64) 32 (Workstation Edition)\" (id)"
        )),
        "{out}"
    );
    let cmdlines: Vec<&str> = out
        .lines()
        .filter_map(|l| l.trim().strip_prefix("cmdline: "))
        .collect();
    assert_eq!(
        cmdlines,
        ["root=UUID=7d0cf1b2-55aa-4e2b-9c1d-0a1b2c3d4e5f ro resume=UUID=7d0cf1b2-55aa-4e2b-9c1d-0a1b2c3d4e5f rhgb quiet";
            3],
        "{out}"
    );
}

/// The same system broken twice: grubenv recreated without kernelopts under a
/// grub.cfg from before the `if [ -z "${kernelopts}" ]` fallback (every entry's
/// command line is empty), and the newest kernel deleted while its snippet
/// stayed — saved_entry boots it.
#[test]
fn fedora_bls_without_kernelopts_and_with_a_deleted_kernel() {
    let (code, doc) = check_json(&["bls-fedora-broken"], None, &[]);
    assert_eq!(code, 3);
    assert_eq!(doc.next_boot.as_deref(), Some("0"));
    let missing = doc.findings.iter().find(|f| f.code == "BV4001").unwrap();
    assert_eq!(
        missing.will_print,
        [
            "error: file `/vmlinuz-5.11.22-100.fc32.x86_64' not found.",
            "error: you need to load the kernel first."
        ]
    );
    assert_eq!(
        missing.location.as_ref().map(|l| l.file.as_str()),
        Some(
            "(fs-uuid=3f9c1a52-8d5e-4c61-9a3b-2b7e5f1d0c44)/loader/entries/c1a2b3d4e5f60718293a4b5c6d7e8f90-5.11.22-100.fc32.x86_64.conf (entry blscfg builds)"
        )
    );
    assert!(
        missing
            .fix
            .contains("`kernel-install remove 5.11.22-100.fc32.x86_64`"),
        "{}",
        missing.fix
    );
    for entry in &doc.entries {
        let root = &entry.links[4];
        assert_eq!(
            (root.state.as_str(), root.detail.as_str()),
            ("warn", "no root= on the command line"),
            "{}",
            entry.title
        );
    }
    let no_root = doc
        .findings
        .iter()
        .find(|f| f.code == "BV4201" && f.entry.as_ref().is_some_and(|e| e.path == "1"))
        .unwrap();
    assert!(
        no_root.evidence[0].starts_with(
            "/loader/entries/c1a2b3d4e5f60718293a4b5c6d7e8f90-5.8.18-200.fc32.x86_64.conf says `options $kernelopts`, and kernelopts is empty"
        ),
        "{:?}",
        no_root.evidence
    );
}

/// Ubuntu beside Windows on one UEFI disk: os-prober's entry chainloads
/// bootmgfw.efi (a real PE32+ EFI application stand-in) from the ESP, found by the
/// vfat volume id; with the file gone, that entry fails with GRUB's message while
/// Ubuntu still boots next (exit 1).
#[test]
fn windows_chainloader_entry_follows_the_esp() {
    let (code, doc) = check_json(&["multiboot-windows"], None, &[]);
    assert_eq!(code, 0, "{:?}", codes(&doc));
    assert_eq!(doc.platform, "efi");
    assert_eq!(doc.config.path, "(hd0,gpt2)/EFI/ubuntu/grub.cfg");
    let titles: Vec<(&str, &str)> = doc
        .entries
        .iter()
        .map(|e| (e.title.as_str(), e.verdict.as_str()))
        .collect();
    assert_eq!(
        titles,
        [
            ("Ubuntu", "boots"),
            ("Ubuntu, with Linux 6.5.0-35-generic", "boots"),
            ("Windows Boot Manager (on /dev/sda2)", "boots"),
            ("UEFI Firmware Settings", "boots"),
        ]
    );
    let windows = &doc.entries[2];
    assert_eq!(windows.id.as_deref(), Some("osprober-efi-1234-ABCD"));
    let links: Vec<(&str, &str, &str)> = windows
        .links
        .iter()
        .map(|l| (l.link.as_str(), l.state.as_str(), l.detail.as_str()))
        .collect();
    assert_eq!(
        links[1..3],
        [
            ("device", "pass", "(hd0,gpt2) vfat 1234-ABCD"),
            (
                "kernel",
                "pass",
                "/EFI/Microsoft/Boot/bootmgfw.efi 64.5 KiB"
            ),
        ]
    );

    let (code, doc) = check_json(&["multiboot-windows-missing"], None, &[]);
    assert_eq!(code, 1, "only the Windows entry fails; Ubuntu boots next");
    assert_eq!(doc.next_boot.as_deref(), Some("0"));
    let finding = &doc.findings[0];
    assert_eq!(
        (
            finding.code.as_str(),
            finding.entry.as_ref().map(|e| e.title.as_str())
        ),
        ("BV4001", Some("Windows Boot Manager (on /dev/sda2)"))
    );
    assert_eq!(
        finding.message,
        "chainloaded image '/EFI/Microsoft/Boot/bootmgfw.efi' not found on (hd0,gpt2) vfat UUID=1234-ABCD"
    );
    assert_eq!(
        finding.will_print,
        ["error: file `/EFI/Microsoft/Boot/bootmgfw.efi' not found."]
    );
    assert_eq!(
        finding.evidence,
        ["/EFI/Microsoft/Boot is not there either"]
    );
    assert!(finding.fix.contains("bcdboot"), "{}", finding.fix);
    assert_eq!(finding.location.as_ref().map(|l| l.line), Some(100));
}

/// `chainloader` hands over to what the platform runs: on a BIOS boot, a file
/// without the boot sector's 0x55 0xAA is refused by GRUB itself.
#[test]
fn bios_chainloader_of_a_file_that_is_no_boot_sector_is_an_invalid_signature() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("grub.cfg");
    std::fs::write(
        &cfg,
        "menuentry 'Other loader' {\n\tsearch --no-floppy --fs-uuid --set=root 3f9c1a52-8d5e-4c61-9a3b-2b7e5f1d0c44\n\tchainloader /grub/grub.cfg\n}\n",
    )
    .unwrap();
    let (code, doc) = check_json(&["healthy"], Some(&cfg), &[]);
    assert_eq!(code, 3);
    assert_eq!(doc.platform, "pc");
    let finding = &doc.findings[0];
    assert_eq!(
        (finding.code.as_str(), finding.message.as_str()),
        ("BV4007", "'/grub/grub.cfg' is not a BIOS boot sector")
    );
    assert_eq!(finding.will_print, ["error: invalid signature."]);
    assert_eq!(
        finding.evidence,
        ["its first sector does not end with 0x55 0xAA"]
    );
}

/// `bootvet explain X | head -1`: the reader goes away, bootvet still exits 0.
#[test]
fn explain_into_a_closed_pipe_exits_0() {
    for args in [&["explain", "BV4103"][..], &["explain", "--list"][..]] {
        let mut child = support::bootvet_command()
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn bootvet");
        drop(child.stdout.take());
        let output = child.wait_with_output().expect("wait");
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The live system, end to end: the seed disk's /boot and root attached as
/// read-only loop devices, /boot mounted over /boot in a private mount
/// namespace, and `bootvet check` with no arguments. Every link is found the
/// live way (mountinfo, sysfs, the loop devices read raw) and the verdict is the
/// image's, finding for finding.
#[test]
fn live_check_of_a_mounted_boot_gives_the_images_verdict() {
    if !support::privileged("needs root, loop devices, mount namespaces") {
        return;
    }
    let img = image("seed");
    let layout = Command::new("sfdisk")
        .args(["--json", &img])
        .output()
        .expect("sfdisk");
    let layout: serde_json::Value = serde_json::from_slice(&layout.stdout).expect("sfdisk --json");
    let partition = |n: usize| {
        let p = &layout["partitiontable"]["partitions"][n - 1];
        (
            p["start"].as_u64().expect("start") * 512,
            p["size"].as_u64().expect("size") * 512,
        )
    };
    let attach = |(offset, size): (u64, u64)| {
        let out = Command::new("losetup")
            .args([
                "--find",
                "--show",
                "--read-only",
                "--offset",
                &offset.to_string(),
            ])
            .args(["--sizelimit", &size.to_string(), &img])
            .output()
            .expect("losetup");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let boot = attach(partition(3));
    let root = attach(partition(4));
    let script = format!(
        "mount -o ro {boot} /boot && exec {} check --json",
        env!("CARGO_BIN_EXE_bootvet")
    );
    let live = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", &script])
        .env("NO_COLOR", "1")
        .output()
        .expect("unshare");
    let _ = Command::new("losetup").args(["-d", &boot, &root]).status();
    let live_doc: CheckDocument = serde_json::from_slice(&live.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&live.stderr)));
    let (status, image_doc) = check_json(&["seed"], None, &[]);
    assert_eq!(live.status.code(), Some(status));
    assert_eq!(live_doc.config.path, "/boot/grub/grub.cfg");
    let verdicts = |doc: &CheckDocument| -> Vec<(String, String)> {
        doc.entries
            .iter()
            .map(|e| (e.path.clone(), e.verdict.clone()))
            .collect()
    };
    assert_eq!(verdicts(&live_doc), verdicts(&image_doc));
    let said = |doc: &CheckDocument| -> Vec<(String, Option<String>, Vec<String>)> {
        doc.findings
            .iter()
            .map(|f| {
                (
                    f.code.clone(),
                    f.entry.as_ref().map(|e| e.path.clone()),
                    f.will_print.clone(),
                )
            })
            .collect()
    };
    assert_eq!(said(&live_doc), said(&image_doc));
    let root_link = &live_doc.entries[0].links[4];
    assert_eq!(root_link.state, "pass", "{}", root_link.detail);
}

/// What a person reads off a menu: every boot entry's path, title, id, and the
/// kernel and initrd paths it loads, then the entry that boots by default.
fn menu_summary(menu: &serde_json::Value) -> Vec<String> {
    fn walk(nodes: &serde_json::Value, out: &mut Vec<String>) {
        for node in nodes.as_array().into_iter().flatten() {
            let mut line = format!("{} {} {}", node["path"], node["title"], node["id"]);
            for command in node["commands"].as_array().into_iter().flatten() {
                match command["kind"].as_str() {
                    Some("linux") => line += &format!(" linux {}", command["file"]["path"]),
                    Some("initrd") => {
                        for file in command["files"].as_array().into_iter().flatten() {
                            line += &format!(" initrd {}", file["path"]);
                        }
                    }
                    _ => {}
                }
            }
            out.push(line);
            walk(&node["entries"], out);
        }
    }
    let mut out = Vec::new();
    walk(&menu["entries"], &mut out);
    out.push(format!("default {}", menu["default"]["path"]));
    out
}

/// `check` and `entries` discover a system the same way (`probe::plan`), so
/// on the same images they run the same grub.cfg with the same files and show
/// the same menu: titles, ids, kernels and initrds, the default.
#[test]
fn check_and_entries_give_the_same_menu_on_every_scenario_image() {
    let dir = tempfile::tempdir().expect("tempdir");
    let facts = dir.path().join("facts.json");
    let facts_arg = facts.display().to_string();
    let mut images: Vec<PathBuf> = std::fs::read_dir(scenarios())
        .expect("scenarios")
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "img"))
        .collect();
    images.sort();
    assert!(images.len() > 30, "{images:?}");
    let mut loaded = 0;
    for img in &images {
        let img = img.display().to_string();
        let (_, _, err) = bootvet(&["check", "--image", &img, "--dump-facts", &facts_arg]);
        let dump: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&facts).expect("facts written"))
                .unwrap_or_else(|e| panic!("{img}: {e}: {err}"));
        let (status, out, err) = bootvet(&["entries", "--json", "--image", &img]);
        assert_eq!(status, 0, "{img}: {err}");
        let mut entries: serde_json::Value = serde_json::from_str(&out).expect("entries JSON");
        assert_eq!(
            entries["config"], dump["facts"]["config"]["path"],
            "{img}: the same grub.cfg"
        );
        let summary = menu_summary(&entries);
        assert_eq!(summary, menu_summary(&dump["facts"]["menu"]), "{img}");
        loaded += summary.iter().filter(|l| l.contains(" linux ")).count();
        // Beyond what a person reads: the whole menu, notes and files included.
        let doc = entries.as_object_mut().expect("an object");
        for key in ["schema", "config", "files_from"] {
            doc.remove(key);
        }
        assert_eq!(entries, dump["facts"]["menu"], "{img}");
    }
    assert!(loaded > 50, "only {loaded} entries load a kernel");
}
