//! Verdicts at the edges: what the summary and the fixes say must fit the
//! machine. Images from fixtures/scenarios/build.sh (real tools).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

mod support;

/// The `checks` scenario image (the disk tests/checks/ configs are run against).
fn checks_image() -> String {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| support::build_scenarios("edges", &["checks"]));
    dir.join("checks.img").display().to_string()
}

/// A grub.cfg (written to a temporary file) checked against the `checks`
/// image with `extra` options: (exit status, stdout, stderr).
fn check_config(config: &str, extra: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grub.cfg");
    std::fs::write(&path, config).unwrap();
    let image = checks_image();
    let path = path.display().to_string();
    let mut args = vec![
        "check",
        "--image",
        image.as_str(),
        "--config",
        path.as_str(),
    ];
    args.extend_from_slice(extra);
    support::bootvet(&args)
}

const SEARCH: &str =
    "search --no-floppy --fs-uuid --set=root 3f9c1a52-8d5e-4c61-9a3b-2b7e5f1d0c44\n";
const GOOD: &str = "menuentry 'Good' --id good {
\tlinux\t/vmlinuz-6.5.0-35-generic root=UUID=7d0cf1b2-55aa-4e2b-9c1d-0a1b2c3d4e5f ro quiet
\tinitrd\t/initrd.img-6.5.0-35-generic
}
";

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

/// GRUB shows its menu only when it has entries; with none it waits at
/// `grub>`. Both ways to get there: no `menuentry` at all, and an unclosed
/// `if` that swallows every entry (GRUB skips the whole statement).
#[test]
fn empty_menu_is_a_failed_next_boot_at_the_grub_prompt() {
    let unclosed = format!("{SEARCH}if [ -s $prefix/grubenv ]; then\n  load_env\n{GOOD}");
    let no_entries = format!("{SEARCH}set timeout=5\nset default=0\n");
    for config in [unclosed, no_entries] {
        let (code, out, err) = check_config(&config, &[]);
        assert_eq!(code, 3, "{config}\n{out}\n{err}");
        assert!(out.contains("error[BV2006]"), "{out}");
        assert!(out.contains("will print: GNU GRUB  version"), "{out}");
        assert!(out.contains("grub>"), "{out}");
        let summary = out.lines().find(|l| l.starts_with("summary:")).unwrap();
        assert!(summary.contains("the next boot will fail"), "{summary}");
        let (code, json, _) = check_config(&config, &["--json"]);
        assert_eq!(code, 3);
        let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(doc["exit_status"], 3, "{doc}");
    }
    // The same config with its `fi` boots.
    let closed = format!("{SEARCH}if [ -s $prefix/grubenv ]; then\n  load_env\nfi\n{GOOD}");
    let (code, out, _) = check_config(&closed, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("BV2006"), "{out}");
}

/// A menu that is empty only because a `configfile` target was not read is
/// not known to be empty: a warning, not a failed next boot.
#[test]
fn empty_menu_behind_an_unread_configfile_is_a_warning_not_a_failed_boot() {
    let config = format!("{SEARCH}configfile /grub/elsewhere.cfg\n");
    let (code, json, err) = check_config(&config, &["--json"]);
    let doc: serde_json::Value =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {err}"));
    let empty = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "BV2006")
        .unwrap_or_else(|| panic!("no BV2006: {doc}"));
    assert_eq!(empty["severity"], "warning", "{empty}");
    assert_ne!(code, 3, "{doc}");
}

/// A grub.cfg that sources itself: bootvet stops at its depth budget, and
/// says so (which budget, and where) instead of a clean verdict.
#[test]
fn self_sourcing_config_reports_the_evaluation_budget_it_reached() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("grub.cfg");
    std::fs::write(&config, format!("{SEARCH}{GOOD}source /grub.cfg\n")).unwrap();
    let boot_dir = dir.path().display().to_string();
    let config = config.display().to_string();
    let (_, out, err) = support::bootvet(&["check", "--boot-dir", &boot_dir, "--config", &config]);
    let finding = out
        .split("\n\n")
        .find(|block| block.starts_with("warning[BV1003]"))
        .unwrap_or_else(|| panic!("no BV1003:\n{out}\n{err}"));
    assert!(
        finding.contains("source nested deeper than 32: not followed"),
        "{finding}"
    );
    assert!(finding.contains("--> /grub.cfg:6:1"), "{finding}");
}

/// A typo in `--entry` used to print `0 entries` and exit 0: a usage error
/// (exit 2) that lists the entries there are.
#[test]
fn entry_that_matches_nothing_is_a_usage_error_naming_the_entries() {
    let config = format!("{SEARCH}{GOOD}");
    let (code, out, err) = check_config(&config, &["--entry", "Goood"]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(err.contains("--entry \"Goood\" matches no entry"), "{err}");
    assert!(err.contains("0 \"Good\" (id good)"), "{err}");
    assert!(out.is_empty(), "{out}");
    // Each of the three ways to name it still selects it.
    for name in ["0", "Good", "good"] {
        let (code, out, err) = check_config(&config, &["--entry", name]);
        assert_eq!(code, 0, "{name}: {out}\n{err}");
        assert!(out.contains("summary: 1 entry"), "{out}");
    }
}

/// A directory opens read-only and seeks to 2^63-1: it was probed as an 8 EiB
/// disk. It is refused, pointing at --boot-dir.
#[test]
fn directory_as_image_is_refused_not_an_8_eib_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().display().to_string();
    let (code, out, err) = support::bootvet(&["check", "--image", &path]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(err.contains("is a directory, not a disk image"), "{err}");
    assert!(err.contains("--boot-dir"), "{err}");
    assert!(!out.contains("EiB") && !err.contains("EiB"), "{out}{err}");
}

/// An empty file, /dev/null or random bytes hold no disk at all: say so,
/// rather than "no grub.cfg … pass --config FILE".
#[test]
fn image_without_table_or_filesystem_says_so_not_no_grub_cfg() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.img");
    std::fs::write(&empty, b"").unwrap();
    let random = dir.path().join("random.img");
    let mut rng = support::Rng::new(18);
    let bytes: Vec<u8> = (0..4 << 20).map(|_| rng.next_u64() as u8).collect();
    std::fs::write(&random, bytes).unwrap();
    for image in [empty.as_path(), Path::new("/dev/null"), random.as_path()] {
        let path = image.display().to_string();
        let (code, out, err) = support::bootvet(&["check", "--image", &path]);
        assert_eq!(code, 2, "{path}: {out}\n{err}");
        assert!(
            err.contains(&format!("no partition table or filesystem found on {path}")),
            "{path}: {err}"
        );
        assert!(!err.contains("pass --config"), "{err}");
    }
}

/// `default` naming a submenu (its title or id, no `>`): GRUB opens it with
/// `default` unset and boots its first entry (normal/menu.c
/// `grub_menu_execute_entry`, proven by the QEMU scenario `default-submenu`).
/// The summary said `no entry boots next (empty menu)`.
#[test]
fn default_naming_a_submenu_boots_its_first_entry() {
    let sub = GOOD.replace("'Good' --id good", "'Inner' --id inner");
    let config = format!(
        "{SEARCH}set default=\"Advanced options\"\n{GOOD}submenu 'Advanced options' --id adv {{\n{sub}}}\n"
    );
    for default in ["Advanced options", "adv", "1"] {
        let config = config.replace("Advanced options\"\n", &format!("{default}\"\n"));
        let (code, out, err) = check_config(&config, &[]);
        assert_eq!(code, 0, "{default}: {out}\n{err}");
        let summary = out.lines().find(|l| l.starts_with("summary:")).unwrap();
        assert!(
            summary.contains("next boot: 1>0 \"Inner\""),
            "{default}: {summary}"
        );
        let (_, json, _) = check_config(&config, &["--json"]);
        let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(doc["next_boot"], "1>0", "{doc}");
    }
}

/// An image cut in the middle (a `dd` that stopped): partition 4, the root
/// filesystem, is gone, and partition 3 (/boot) is cut. It used to blame `root=`
/// (`matches no device`); it must say the image is truncated, naming the
/// partitions and the sectors missing. Layout: fixtures/scenarios/build.sh
/// (P3 36864–86015, P4 86016–131038 of a 64 MiB disk).
#[test]
fn half_truncated_image_says_truncated_not_root_matches_no_device() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("half.img");
    std::fs::copy(checks_image(), &image).unwrap();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&image)
        .unwrap();
    file.set_len(32 << 20).unwrap();
    let path = image.display().to_string();
    // Said first, on stderr; the check goes on (what is missing fails the boot
    // as it would on a disk copied short: BV5001 names the first sector GRUB
    // cannot read when a file lies past the end).
    let (code, out, err) = support::bootvet(&["check", "--image", &path]);
    assert_eq!(code, 3, "{out}\n{err}");
    assert!(
        err.contains(&format!(
            "{path} is truncated: it ends at sector 65536 (32.0 MiB)"
        )),
        "{err}"
    );
    for cut in [
        "partition 3 (hd0,gpt3) spans sectors 36864–86015, of which 65536–86015 are missing",
        "partition 4 (hd0,gpt4) spans sectors 86016–131038, of which 86016–131038 are missing",
    ] {
        assert!(err.contains(cut), "{err}");
    }
    assert!(!err.contains("partition 2"), "{err}");
    // `devices` still shows the table, with the same problem.
    let (_, out, _) = support::bootvet(&["devices", "--image", &path]);
    assert!(out.contains("past the end of the disk"), "{out}");
    // The whole image checks as before.
    let (code, _, err) = support::bootvet(&["check", "--image", &checks_image()]);
    assert_ne!(code, 2, "{err}");
}

/// `check` with config files: `BOOTVET_CONFIG` stands for /etc/bootvet.toml,
/// `XDG_CONFIG_HOME` holds the user's. (exit status, stdout, stderr).
fn check_with_files(
    config: &str,
    system: Option<&str>,
    user: Option<&str>,
    extra: &[&str],
) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("grub.cfg");
    std::fs::write(&cfg, config).unwrap();
    let system_path = dir.path().join("bootvet.toml");
    if let Some(text) = system {
        std::fs::write(&system_path, text).unwrap();
    }
    let xdg = dir.path().join("xdg");
    if let Some(text) = user {
        std::fs::create_dir_all(xdg.join("bootvet")).unwrap();
        std::fs::write(xdg.join("bootvet/config.toml"), text).unwrap();
    }
    let out = support::bootvet_command()
        .args(["check", "--image", &checks_image(), "--config"])
        .arg(&cfg)
        .args(extra)
        .env("BOOTVET_CONFIG", &system_path)
        .env("XDG_CONFIG_HOME", &xdg)
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

/// A second entry whose kernel is not there: BV4001 on entry 1, exit 1.
fn config_with_a_missing_kernel() -> String {
    let missing = GOOD
        .replace("'Good' --id good", "'Missing' --id missing")
        .replace("/vmlinuz-6.5.0-35-generic", "/vmlinuz-absent");
    format!("{SEARCH}{GOOD}{missing}")
}

/// `--ignore CODE` (repeatable, comma lists) and the `ignore` lists of the
/// config files drop those findings; an unknown code is a usage error, not a
/// silent no-op.
#[test]
fn ignore_codes_from_the_command_line_and_config_files() {
    let config = config_with_a_missing_kernel();
    let (code, out, _) = check_with_files(&config, None, None, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[BV4001]"), "{out}");
    // The missing kernel also gives BV4105 (the initrd is not for it).
    for extra in [
        &["--ignore", "BV4001", "--ignore", "BV4105"][..],
        &["--ignore", "bv4105,BV4001"],
    ] {
        let (code, out, err) = check_with_files(&config, None, None, extra);
        assert_eq!(code, 0, "{extra:?}: {out}\n{err}");
        assert!(!out.contains("BV4001") && !out.contains("BV4105"), "{out}");
    }
    let (code, out, _) = check_with_files(&config, None, None, &["--ignore", "BV4105"]);
    assert_eq!(code, 1, "only what is named is dropped: {out}");
    let (code, _, err) = check_with_files(&config, None, None, &["--ignore", "BV9999"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--ignore: unknown check code `BV9999`"),
        "{err}"
    );
    // From either file.
    let ignore = "ignore = [\"BV4001\", \"BV4105\"]\n";
    let (code, out, _) = check_with_files(&config, Some(ignore), None, &[]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = check_with_files(&config, None, Some(ignore), &[]);
    assert_eq!(code, 0, "{out}");
}

/// Unknown keys and codes in a config file are errors naming file:line.
#[test]
fn config_file_errors_name_the_file_and_line() {
    let config = format!("{SEARCH}{GOOD}");
    let (code, out, err) = check_with_files(
        &config,
        Some("# machine\nstrict = true\nstrcit = true\n"),
        None,
        &[],
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains("bootvet.toml:3: unknown field `strcit`"),
        "{err}"
    );
    let (code, _, err) = check_with_files(
        &config,
        None,
        Some("ignore = [\"BV4001\", \"BV0000\"]\n"),
        &[],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("bootvet/config.toml:1: unknown check code `BV0000`"),
        "{err}"
    );
}

/// `memory`, `root_bus` and `strict`: the command line wins over the user's
/// file, which wins over the system's (read back from --dump-facts).
#[test]
fn config_precedence_is_command_line_then_user_then_system() {
    let config = format!("{SEARCH}{GOOD}");
    let system = "memory = \"1G\"\nroot_bus = [\"ahci\"]\n";
    let user = "memory = \"2G\"\n";
    let dir = tempfile::tempdir().unwrap();
    let facts = dir.path().join("facts.json");
    let facts_arg = facts.display().to_string();
    let read = |extra: &[&str]| {
        let mut args = vec!["--dump-facts", facts_arg.as_str()];
        args.extend_from_slice(extra);
        let (code, out, err) = check_with_files(&config, Some(system), Some(user), &args);
        assert_ne!(code, 2, "{out}\n{err}");
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&facts).unwrap()).unwrap();
        (
            doc["facts"]["host"]["memory"]["bytes"].as_u64(),
            doc["facts"]["root_bus"]["drivers"].clone(),
        )
    };
    let (memory, bus) = read(&[]);
    assert_eq!(memory, Some(2 << 30), "the user's file over the system's");
    assert_eq!(
        bus,
        serde_json::json!(["ahci"]),
        "the system's, unset by the user"
    );
    let (memory, bus) = read(&["--memory", "3G", "--root-bus", "nvme"]);
    assert_eq!(memory, Some(3 << 30));
    assert_eq!(bus, serde_json::json!(["nvme"]));

    // `strict` turns the duplicate-id warning (BV2003) into a failure;
    // --no-strict turns it back.
    let twin = GOOD.replace("'Good'", "'Twin'");
    let config = format!("{SEARCH}{GOOD}{twin}");
    let (code, out, _) = check_with_files(&config, None, None, &[]);
    assert!(out.contains("warning[BV2003]"), "{out}");
    assert_eq!(code, 0, "{out}");
    let (code, _, _) = check_with_files(&config, Some("strict = true\n"), None, &[]);
    assert_ne!(code, 0);
    let (code, _, _) = check_with_files(&config, Some("strict = true\n"), None, &["--no-strict"]);
    assert_eq!(code, 0);
    let (code, _, _) = check_with_files(
        &config,
        Some("strict = true\n"),
        Some("strict = false\n"),
        &[],
    );
    assert_eq!(code, 0);
}

/// COLUMNS=80: every line of check, devices and explain --list fits, except
/// quoted source lines and the partition table's rows, and a wrapped line goes
/// on under the text it continues. Piped without COLUMNS: nothing wrapped.
#[test]
fn text_wraps_to_columns_with_its_indentation() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("grub.cfg");
    let stale = GOOD.replace(
        "7d0cf1b2-55aa-4e2b-9c1d-0a1b2c3d4e5f",
        "00000000-1111-2222-3333-444444444444",
    );
    std::fs::write(&cfg, format!("{SEARCH}{stale}")).unwrap();
    let image = checks_image();
    let cfg = cfg.display().to_string();
    let run = |args: &[&str], columns: Option<&str>| {
        let mut cmd = support::bootvet_command();
        cmd.args(args);
        match columns {
            Some(c) => cmd.env("COLUMNS", c),
            None => cmd.env_remove("COLUMNS"),
        };
        String::from_utf8_lossy(&cmd.output().unwrap().stdout).into_owned()
    };
    let check = ["check", "--image", image.as_str(), "--config", cfg.as_str()];
    let whole = run(&check, None);
    let long = whole
        .lines()
        .find(|l| l.trim_start().starts_with("= evidence:") && l.chars().count() > 80)
        .unwrap_or_else(|| panic!("no evidence line over 80 columns:\n{whole}"));
    let wrapped = run(&check, Some("80"));
    let quoted = |l: &str| l.contains('\t') || l.trim_start().starts_with("| ");
    for line in wrapped.lines().filter(|l| !quoted(l)) {
        assert!(line.chars().count() <= 80, "{line:?}\n{wrapped}");
    }
    // The evidence line's words continue under `= evidence: `.
    let at = wrapped
        .lines()
        .position(|l| l.trim_start().starts_with("= evidence:") && long.starts_with(l))
        .unwrap_or_else(|| panic!("{wrapped}"));
    let hang = long.find("= evidence: ").unwrap() + "= evidence: ".len();
    let next = wrapped.lines().nth(at + 1).unwrap();
    assert!(
        next.len() > hang && next[..hang].trim().is_empty() && !next[hang..].starts_with(' '),
        "{next:?}\n{wrapped}"
    );
    let words = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    assert_eq!(words(&wrapped), words(&whole));

    let list = run(&["explain", "--list"], Some("80"));
    assert!(list.lines().all(|l| l.chars().count() <= 80), "{list}");
    assert!(
        list.lines()
            .any(|l| l.starts_with(&" ".repeat(25)) && !l[25..].starts_with(' ')),
        "{list}"
    );
    assert!(
        run(&["explain", "--list"], None)
            .lines()
            .any(|l| l.chars().count() > 80)
    );

    let devices = run(&["devices", "--image", image.as_str()], Some("80"));
    let table_row = |l: &str| l.starts_with("  (hd") || l.starts_with("  GRUB ");
    assert!(
        devices
            .lines()
            .any(|l| table_row(l) && l.chars().count() > 80),
        "{devices}"
    );
    for line in devices.lines().filter(|l| !table_row(l)) {
        assert!(line.chars().count() <= 80, "{line:?}\n{devices}");
    }
}

/// `--version` names the commit and the build date; `generate` is in the
/// help; completions go to stdout for one shell.
#[test]
fn version_help_and_completions() {
    let (code, out, _) = support::bootvet(&["--version"]);
    assert_eq!(code, 0);
    let line = out.trim();
    let rest = line
        .strip_prefix(&format!("bootvet {} (", env!("CARGO_PKG_VERSION")))
        .unwrap_or_else(|| panic!("{line}"));
    let (commit, date) = rest
        .strip_suffix(')')
        .and_then(|r| r.split_once(", built "))
        .unwrap_or_else(|| panic!("{line}"));
    // This test runs in the repository: the commit is one of its objects.
    assert!(
        commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit()),
        "{line}"
    );
    let known = Command::new("git")
        .args(["cat-file", "-e", &format!("{commit}^{{commit}}")])
        .status()
        .unwrap();
    assert!(known.success(), "{line}");
    let d: Vec<&str> = date.split('-').collect();
    assert!(d.len() == 3 && d[0].len() == 4 && d[0] >= "2024", "{line}");

    let (_, help, _) = support::bootvet(&["--help"]);
    assert!(
        help.lines()
            .any(|l| l.trim_start().starts_with("generate ")),
        "{help}"
    );

    let (code, bash, err) = support::bootvet(&["generate", "completions", "bash"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        bash.contains("complete -F _bootvet"),
        "{}",
        &bash[..bash.len().min(300)]
    );
    assert!(bash.contains("--ignore"), "completions know check's flags");
    let (code, _, err) = support::bootvet(&["generate", "completions"]);
    assert_eq!(code, 2);
    assert!(err.contains("name one shell"), "{err}");
}
