//! Where people run bootvet: the distribution hooks installed into a temporary
//! root and executed there against real scenario disk images (one whose next
//! boot fails, one that passes), the Prometheus textfile output parsed back, the
//! generated man page rendered by man(1), and the cargo-deb asset list.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use clap::CommandFactory;

mod support;
use support::{bootvet, repo};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_bootvet")
}

/// The two scenarios these tests need, built once (own directory: tests/check.rs
/// builds all of them elsewhere).
fn scenarios() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| support::build_scenarios("hooks-scenarios", &["healthy", "no-initrd-line"]))
}

fn image(name: &str) -> String {
    scenarios()
        .join(format!("{name}.img"))
        .display()
        .to_string()
}

/// A root laid out like an installed system: the directories distribution
/// packages ship (hooks go into them), nothing of bootvet's.
fn system_root() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    for dir in [
        "etc/kernel/postinst.d",
        "etc/kernel/postrm.d",
        "etc/initramfs/post-update.d",
        "etc/pacman.d",
        "usr/local/sbin",
    ] {
        fs::create_dir_all(root.path().join(dir)).unwrap();
    }
    // Someone else's hook in a shared directory must survive everything.
    fs::write(
        root.path().join("etc/kernel/postinst.d/zz-update-grub"),
        "#!/bin/sh\nexec update-grub\n",
    )
    .unwrap();
    root
}

/// Every path under `root` with its bytes (None for directories) and mode.
fn tree(root: &Path) -> BTreeMap<PathBuf, (Option<Vec<u8>>, u32)> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, (Option<Vec<u8>>, u32)>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            let mode = meta.permissions().mode() & 0o7777;
            if meta.is_dir() {
                out.insert(rel, (None, mode));
                walk(root, &path, out);
            } else {
                out.insert(rel, (Some(fs::read(&path).unwrap()), mode));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

const ALL: &[&str] = &[
    "--distro",
    "debian",
    "--distro",
    "fedora",
    "--distro",
    "arch",
    "--reboot-guard",
];

fn hook_cmd(action: &str, root: &Path, extra: &[&str]) -> (i32, String, String) {
    let root = root.display().to_string();
    let mut args = vec!["hook", action, "--root", root.as_str()];
    args.extend_from_slice(extra);
    bootvet(&args)
}

/// Runs an installed hook script the way its caller does (`sh FILE ARGS`), with
/// bootvet checking `check_args` instead of the live system.
fn run_hook(
    script: &Path,
    args: &[&str],
    bootvet_bin: &str,
    check_args: &str,
    env: &[(&str, &str)],
) -> (i32, String) {
    let mut cmd = Command::new("sh");
    cmd.arg(script)
        .args(args)
        .env("BOOTVET", bootvet_bin)
        .env("BOOTVET_CHECK_ARGS", check_args)
        .env_remove("INITRAMFS_TOOLS_KERNEL_HOOK")
        .env_remove("DEB_MAINT_PARAMS");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = cmd.output().expect("sh");
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status.code().unwrap_or(-1), text)
}

/// (script below the root, arguments its caller passes)
fn hook_scripts(root: &Path) -> Vec<(PathBuf, Vec<&'static str>)> {
    // The pacman hook's Exec line names the script to run: follow it.
    let hook = fs::read_to_string(root.join("etc/pacman.d/hooks/zz-bootvet.hook")).unwrap();
    let exec = hook
        .lines()
        .find_map(|l| l.strip_prefix("Exec = "))
        .expect("Exec line");
    let (shell, script) = exec.split_once(' ').unwrap();
    assert_eq!(shell, "/bin/sh");
    vec![
        (
            root.join("etc/kernel/postinst.d/zz-zz-bootvet"),
            vec!["6.11.0-rc1+", "/boot/vmlinuz-6.11.0-rc1+"],
        ),
        (
            root.join("etc/kernel/postrm.d/zz-zz-bootvet"),
            vec!["6.1.0-9-amd64", "/boot/vmlinuz-6.1.0-9-amd64"],
        ),
        (
            root.join("etc/initramfs/post-update.d/bootvet"),
            vec!["6.11.0-rc1+", "/boot/initrd.img-6.11.0-rc1+"],
        ),
        (
            root.join("etc/kernel/install.d/99-zz-bootvet.install"),
            vec![
                "add",
                "6.11.0-rc1+",
                "/boot/loader/entries",
                "/boot/vmlinuz-6.11.0-rc1+",
            ],
        ),
        (root.join(script.trim_start_matches('/')), vec![]),
    ]
}

#[test]
fn install_twice_is_byte_identical_and_uninstall_leaves_nothing_behind() {
    let root = system_root();
    let before = tree(root.path());

    let (code, out, err) = hook_cmd("install", root.path(), ALL);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.matches("installed  ").count(), 7, "{out}");
    let first = tree(root.path());
    assert!(first.len() > before.len());

    let (code, out, err) = hook_cmd("install", root.path(), ALL);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.matches("unchanged  ").count(), 7, "{out}");
    assert_eq!(tree(root.path()), first, "second install changed files");

    for (script, _) in hook_scripts(root.path()) {
        let mode = fs::metadata(&script).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o755, "{}", script.display());
    }
    let (code, out, _) = hook_cmd("status", root.path(), ALL);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.matches(" installed ").count(), 7, "{out}");

    let (code, out, err) = hook_cmd("uninstall", root.path(), &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.matches("removed    ").count(), 7, "{out}");
    assert_eq!(tree(root.path()), before, "uninstall left something behind");

    let (code, out, _) = hook_cmd("status", root.path(), &["--distro", "debian"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(out.matches("missing").count(), 3, "{out}");
}

#[test]
fn every_installed_script_is_posix_sh_and_shellcheck_clean() {
    let root = system_root();
    hook_cmd("install", root.path(), ALL);
    let mut scripts: Vec<PathBuf> = hook_scripts(root.path())
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    scripts.push(root.path().join("usr/local/sbin/bootvet-reboot"));
    for script in scripts {
        assert!(
            fs::read_to_string(&script)
                .unwrap()
                .starts_with("#!/bin/sh\n")
        );
        let output = Command::new("shellcheck")
            .args(["--shell=sh", "--severity=style"])
            .arg(&script)
            .output()
            .expect("shellcheck (apt-get install shellcheck)");
        assert!(
            output.status.success(),
            "{}:\n{}",
            script.display(),
            String::from_utf8_lossy(&output.stdout)
        );
    }
}

#[test]
fn someone_elses_file_at_a_hook_path_is_never_touched() {
    let root = system_root();
    let theirs = root.path().join("etc/initramfs/post-update.d/bootvet");
    fs::write(&theirs, "#!/bin/sh\necho mine\n").unwrap();
    let (code, _, err) = hook_cmd("install", root.path(), &["--distro", "debian"]);
    assert_eq!(code, 2);
    assert!(err.contains("is not bootvet's file"), "{err}");
    assert_eq!(
        fs::read_to_string(&theirs).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
    let (code, _, _) = hook_cmd("uninstall", root.path(), &[]);
    assert_eq!(code, 0);
    assert_eq!(
        fs::read_to_string(&theirs).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
}

#[test]
fn an_edited_hook_is_outdated_and_install_puts_it_back() {
    let root = system_root();
    hook_cmd("install", root.path(), &["--distro", "debian"]);
    let hook = root.path().join("etc/kernel/postinst.d/zz-zz-bootvet");
    let good = fs::read(&hook).unwrap();
    let mut edited = good.clone();
    edited.extend_from_slice(b"# local edit\n");
    fs::write(&hook, &edited).unwrap();
    let (code, out, _) = hook_cmd("status", root.path(), &["--distro", "debian"]);
    assert_eq!(code, 1);
    assert!(out.contains("outdated"), "{out}");
    let (code, out, _) = hook_cmd("install", root.path(), &["--distro", "debian"]);
    assert_eq!(code, 0);
    assert_eq!(out.matches("installed  ").count(), 1, "{out}");
    assert_eq!(fs::read(&hook).unwrap(), good);
}

#[test]
fn distribution_comes_from_os_release_and_unknown_is_trouble() {
    let root = system_root();
    let (code, _, err) = hook_cmd("install", root.path(), &[]);
    assert_eq!(code, 2);
    assert!(err.contains("pass --distro"), "{err}");
    fs::write(
        root.path().join("etc/os-release"),
        "ID=ubuntu\nID_LIKE=debian\n",
    )
    .unwrap();
    let (code, out, _) = hook_cmd("install", root.path(), &[]);
    assert_eq!(code, 0);
    assert_eq!(out.matches("installed  ").count(), 3, "{out}");
    assert!(out.contains("etc/kernel/postinst.d/zz-zz-bootvet"), "{out}");
    assert!(!root.path().join("etc/pacman.d/hooks").exists());
}

/// A `logger` first on PATH that records its arguments: syslog is not running
/// here, and what matters is what the hook asks it to log.
fn recording_logger(dir: &Path) -> (String, PathBuf) {
    let bin_dir = dir.join("bin");
    fs::create_dir_all(&bin_dir).unwrap();
    let log = dir.join("logged");
    let logger = bin_dir.join("logger");
    fs::write(
        &logger,
        format!("#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\n", log.display()),
    )
    .unwrap();
    fs::set_permissions(&logger, fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap());
    (path, log)
}

#[test]
fn every_hook_shouts_when_the_next_boot_fails_and_never_fails_the_transaction() {
    let root = system_root();
    hook_cmd("install", root.path(), ALL);
    let failing = format!("--image {}", image("no-initrd-line"));
    for (script, args) in hook_scripts(root.path()) {
        let scratch = tempfile::tempdir().unwrap();
        let (path, log) = recording_logger(scratch.path());
        let (code, text) = run_hook(&script, &args, bin(), &failing, &[("PATH", &path)]);
        let logged = fs::read_to_string(&log).unwrap_or_default();
        assert!(
            logged.starts_with("-t bootvet -p user.crit -- THE NEXT BOOT WILL FAIL after "),
            "{}: {logged}",
            script.display()
        );
        assert_eq!(code, 0, "{}: {text}", script.display());
        assert!(
            text.contains("THE NEXT BOOT WILL FAIL") && text.contains("DO NOT REBOOT"),
            "{}: {text}",
            script.display()
        );
        // The finding itself, so the person reading the apt log knows why.
        assert!(
            text.contains("error[BV4103]: no initrd is loaded"),
            "{text}"
        );
        assert!(text.lines().all(|l| l.starts_with("bootvet:")), "{text}");
    }
}

#[test]
fn every_hook_stays_quiet_when_every_entry_boots() {
    let root = system_root();
    hook_cmd("install", root.path(), ALL);
    let healthy = format!("--image {}", image("healthy"));
    for (script, args) in hook_scripts(root.path()) {
        let scratch = tempfile::tempdir().unwrap();
        let (path, log) = recording_logger(scratch.path());
        let (code, text) = run_hook(&script, &args, bin(), &healthy, &[("PATH", &path)]);
        assert_eq!(code, 0, "{}: {text}", script.display());
        assert!(!log.exists(), "a pass is not worth a syslog line");
        assert_eq!(text.lines().count(), 1, "{}: {text}", script.display());
        assert!(
            text.starts_with("bootvet: every boot entry checks out after "),
            "{text}"
        );
    }
}

#[test]
fn a_failing_entry_that_does_not_boot_next_is_a_warning() {
    let root = system_root();
    hook_cmd("install", root.path(), &["--distro", "debian"]);
    let args = format!("--image {} --entry 0 --entry 1>1", image("no-initrd-line"));
    let (code, text) = run_hook(
        &root.path().join("etc/kernel/postinst.d/zz-zz-bootvet"),
        &["6.5.0-35-generic"],
        bin(),
        &args,
        &[],
    );
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains(
            "WARNING: some boot entries will NOT boot after installing kernel 6.5.0-35-generic"
        ),
        "{text}"
    );
    assert!(!text.contains("NEXT BOOT WILL FAIL"), "{text}");
}

#[test]
fn bootvets_own_failure_warns_and_exits_0() {
    let root = system_root();
    hook_cmd("install", root.path(), ALL);
    let healthy = format!("--image {}", image("healthy"));
    for (script, args) in hook_scripts(root.path()) {
        let (code, text) = run_hook(&script, &args, "/nonexistent/bootvet", &healthy, &[]);
        assert_eq!(code, 0, "{text}");
        assert!(
            text.contains("not found: the boot entries were NOT checked"),
            "{text}"
        );

        let (code, text) = run_hook(&script, &args, bin(), "--image /nonexistent.img", &[]);
        assert_eq!(code, 0, "{text}");
        assert!(
            text.contains("bootvet could not check the boot entries (exit status 2)")
                && text.contains("cannot read /nonexistent.img"),
            "{text}"
        );
    }
}

#[test]
fn initramfs_hook_leaves_the_check_to_the_kernel_hook_inside_a_kernel_postinst() {
    let root = system_root();
    hook_cmd("install", root.path(), &["--distro", "debian"]);
    let failing = format!("--image {}", image("no-initrd-line"));
    let script = root.path().join("etc/initramfs/post-update.d/bootvet");
    for env in [
        ("INITRAMFS_TOOLS_KERNEL_HOOK", "1"),
        ("DEB_MAINT_PARAMS", "configure"),
    ] {
        let (code, text) = run_hook(&script, &["6.11.0-rc1+"], bin(), &failing, &[env]);
        assert_eq!((code, text.as_str()), (0, ""), "{env:?}");
    }
}

#[test]
fn reboot_guard_refuses_when_the_next_boot_fails_unless_forced() {
    let root = system_root();
    hook_cmd("install", root.path(), ALL);
    let guard = root.path().join("usr/local/sbin/bootvet-reboot");
    let reboot = [("BOOTVET_REBOOT_COMMAND", "echo REBOOTING")];

    let failing = format!("--image {}", image("no-initrd-line"));
    let (code, text) = run_hook(&guard, &[], bin(), &failing, &reboot);
    assert_eq!(code, 3, "{text}");
    assert!(text.contains("refusing to reboot"), "{text}");
    assert!(!text.contains("REBOOTING"), "{text}");

    let (code, text) = run_hook(&guard, &["--force", "now"], bin(), &failing, &reboot);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("REBOOTING now"), "{text}");

    let healthy = format!("--image {}", image("healthy"));
    let (code, text) = run_hook(&guard, &[], bin(), &healthy, &reboot);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("REBOOTING"), "{text}");

    let (code, text) = run_hook(&guard, &[], "/nonexistent/bootvet", &healthy, &reboot);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("rebooting without a check") && text.contains("REBOOTING"));
}

// --- Prometheus textfile output ------------------------------------------------

#[derive(Debug, Default)]
struct Exposition {
    help: BTreeMap<String, String>,
    kind: BTreeMap<String, String>,
    samples: Vec<(String, BTreeMap<String, String>, f64)>,
}

impl Exposition {
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> Vec<f64> {
        self.samples
            .iter()
            .filter(|(n, l, _)| {
                n == name
                    && labels
                        .iter()
                        .all(|(k, v)| l.get(*k).map(String::as_str) == Some(v))
            })
            .map(|(_, _, v)| *v)
            .collect()
    }
}

/// A strict reader of the text exposition format 0.0.4: HELP and TYPE come
/// before a metric's samples, label values are quoted with `\\`, `\"`, `\n`
/// escapes, values parse as floats.
fn parse_exposition(text: &str) -> Exposition {
    let mut out = Exposition::default();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').expect("HELP name text");
            out.help.insert(name.into(), help.into());
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            assert!(out.help.contains_key(name), "TYPE before HELP: {line}");
            out.kind.insert(name.into(), kind.into());
            continue;
        }
        assert!(
            !line.starts_with('#') && !line.is_empty(),
            "stray line {line:?}"
        );
        let name_end = line
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .expect("sample has a value");
        let name = &line[..name_end];
        assert!(out.kind.contains_key(name), "sample before TYPE: {line}");
        let mut rest = &line[name_end..];
        let mut labels = BTreeMap::new();
        if let Some(after) = rest.strip_prefix('{') {
            let mut chars = after.char_indices();
            let end = loop {
                let (start, c) = chars.next().expect("unterminated labels");
                if c == '}' {
                    break start + 1;
                }
                if c == ',' {
                    continue;
                }
                let mut key = c.to_string();
                for (_, c) in chars.by_ref() {
                    if c == '=' {
                        break;
                    }
                    key.push(c);
                }
                assert_eq!(chars.next().map(|x| x.1), Some('"'), "{line}");
                let mut value = String::new();
                loop {
                    match chars.next().expect("unterminated value").1 {
                        '\\' => match chars.next().expect("escape").1 {
                            '\\' => value.push('\\'),
                            '"' => value.push('"'),
                            'n' => value.push('\n'),
                            other => panic!("bad escape \\{other} in {line}"),
                        },
                        '"' => break,
                        '\n' => panic!("raw newline"),
                        c => value.push(c),
                    }
                }
                assert!(labels.insert(key, value).is_none(), "duplicate label");
            };
            rest = &after[end..];
        }
        let value: f64 = rest
            .strip_prefix(' ')
            .expect("space before value")
            .parse()
            .expect("float value");
        out.samples.push((name.into(), labels, value));
    }
    out
}

#[test]
fn prometheus_textfile_for_a_failing_next_boot_has_every_series() {
    let dir = tempfile::tempdir().unwrap();
    let prom = dir.path().join("bootvet.prom");
    fs::write(&prom, "stale\n").unwrap();
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let (code, out, _) = bootvet(&[
        "check",
        "--image",
        &image("no-initrd-line"),
        "--prometheus",
        prom.to_str().unwrap(),
    ]);
    assert_eq!(code, 3);
    assert!(
        out.contains("will fail: do not reboot"),
        "text report still printed"
    );
    let text = fs::read_to_string(&prom).unwrap();
    let metrics = parse_exposition(&text);

    for name in [
        "bootvet_next_boot_ok",
        "bootvet_exit_status",
        "bootvet_entry_ok",
        "bootvet_findings",
        "bootvet_last_run_timestamp_seconds",
    ] {
        assert_eq!(
            metrics.kind.get(name).map(String::as_str),
            Some("gauge"),
            "{name}"
        );
    }
    assert_eq!(metrics.get("bootvet_next_boot_ok", &[]), vec![0.0]);
    assert_eq!(metrics.get("bootvet_exit_status", &[]), vec![3.0]);
    assert_eq!(
        metrics.get(
            "bootvet_entry_ok",
            &[
                ("path", "1>0"),
                ("title", "Ubuntu, with Linux 6.11.0-rc1+"),
                ("boots_next", "true")
            ]
        ),
        vec![0.0]
    );
    assert_eq!(
        metrics.get(
            "bootvet_entry_ok",
            &[("path", "1>1"), ("boots_next", "false")]
        ),
        vec![1.0]
    );
    assert_eq!(metrics.get("bootvet_entry_ok", &[]).len(), 3);
    assert_eq!(
        metrics.get(
            "bootvet_findings",
            &[("code", "BV4103"), ("severity", "error")]
        ),
        vec![2.0]
    );
    let when = metrics.get("bootvet_last_run_timestamp_seconds", &[]);
    assert!(when.len() == 1 && when[0] >= started.floor() && when[0] < started + 600.0);
    // Nothing but the file itself is left in the directory (atomic rename).
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn prometheus_textfile_for_a_healthy_disk_says_next_boot_ok() {
    let dir = tempfile::tempdir().unwrap();
    let prom = dir.path().join("bootvet.prom");
    let (code, _, _) = bootvet(&[
        "check",
        "--image",
        &image("healthy"),
        "--prometheus",
        prom.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let metrics = parse_exposition(&fs::read_to_string(&prom).unwrap());
    assert_eq!(metrics.get("bootvet_next_boot_ok", &[]), vec![1.0]);
    assert_eq!(metrics.get("bootvet_exit_status", &[]), vec![0.0]);
    assert!(
        metrics
            .get("bootvet_entry_ok", &[])
            .iter()
            .all(|v| *v == 1.0)
    );
    assert!(
        metrics
            .get("bootvet_findings", &[("severity", "error")])
            .is_empty()
    );
}

#[test]
fn prometheus_textfile_when_bootvet_cannot_check_says_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let prom = dir.path().join("bootvet.prom");
    let (code, _, _) = bootvet(&[
        "check",
        "--image",
        "/nonexistent.img",
        "--prometheus",
        prom.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    let metrics = parse_exposition(&fs::read_to_string(&prom).unwrap());
    assert_eq!(metrics.get("bootvet_exit_status", &[]), vec![2.0]);
    assert!(metrics.get("bootvet_next_boot_ok", &[]).is_empty());
    let error = &metrics.samples[0].1["error"];
    assert!(error.starts_with("cannot read /nonexistent.img"), "{error}");
}

#[test]
fn prometheus_label_values_with_quotes_backslashes_and_newlines_parse_back() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("grub.cfg");
    fs::write(
        &cfg,
        "menuentry 'say \"hi\" C:\\boot\nsecond line' {\n  linux /nope\n}\n",
    )
    .unwrap();
    let prom = dir.path().join("m.prom");
    bootvet(&[
        "check",
        "--image",
        &image("healthy"),
        "--config",
        cfg.to_str().unwrap(),
        "--prometheus",
        prom.to_str().unwrap(),
    ]);
    let metrics = parse_exposition(&fs::read_to_string(&prom).unwrap());
    assert_eq!(
        metrics
            .get(
                "bootvet_entry_ok",
                &[("title", "say \"hi\" C:\\boot\nsecond line")]
            )
            .len(),
        1,
        "{:?}",
        metrics.samples
    );
}

// --- packaging -----------------------------------------------------------------

fn visible_subcommands() -> Vec<String> {
    bootvet::cli::Cli::command()
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_string())
        .collect()
}

#[test]
fn man_page_renders_with_man_and_names_every_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = bootvet(&["generate", "man", "--out", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let output = Command::new("man")
        .arg("-l")
        .arg(dir.path().join("bootvet.1"))
        .env("MANWIDTH", "100")
        .env("MAN_DISABLE_SECCOMP", "1")
        .output()
        .expect("man (apt-get install man-db)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Strip overstrike (bold/underline) in case man keeps formatting.
    let raw = String::from_utf8_lossy(&output.stdout);
    let mut page = String::new();
    for c in raw.chars() {
        if c == '\u{8}' {
            page.pop();
        } else {
            page.push(c);
        }
    }
    assert!(page.contains("bootvet"), "{page}");
    let subcommands = visible_subcommands();
    assert!(subcommands.len() >= 7, "{subcommands:?}");
    for sub in &subcommands {
        assert!(
            page.contains(&format!("bootvet-{sub}(1)")),
            "{sub} missing from:\n{page}"
        );
        assert!(
            dir.path().join(format!("bootvet-{sub}.1")).is_file(),
            "{sub}"
        );
    }
    // `generate` is listed since #18 (help names every command), so it is one
    // of `subcommands` above and has its page too.
    assert!(
        subcommands.iter().any(|s| s == "generate"),
        "{subcommands:?}"
    );
}

#[test]
fn completions_know_every_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = bootvet(&[
        "generate",
        "completions",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    for file in ["bootvet.bash", "_bootvet", "bootvet.fish"] {
        let text = fs::read_to_string(dir.path().join(file)).unwrap();
        for sub in visible_subcommands() {
            assert!(text.contains(&sub), "{file} lacks {sub}");
        }
        assert!(
            text.contains("prometheus"),
            "{file} lacks check --prometheus"
        );
    }
}

#[test]
fn cargo_deb_assets_all_exist_after_the_documented_asset_step() {
    let status = Command::new("bash")
        .arg(repo().join("packaging/deb-assets.sh"))
        .env("BOOTVET", bin())
        .status()
        .unwrap();
    assert!(status.success());
    let manifest: toml::Table = fs::read_to_string(repo().join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let assets = manifest["package"]["metadata"]["deb"]["assets"]
        .as_array()
        .unwrap();
    let mut destinations = Vec::new();
    for asset in assets {
        let asset = asset.as_array().unwrap();
        let source = asset[0].as_str().unwrap();
        destinations.push(asset[1].as_str().unwrap().to_string());
        if source == "target/release/bootvet" {
            continue; // cargo deb builds (or finds) it in the target directory
        }
        if let Some(dir) = source.strip_suffix("/*.1.gz") {
            let pages: Vec<_> = fs::read_dir(repo().join(dir)).unwrap().collect();
            assert!(pages.len() > visible_subcommands().len(), "{source}");
            continue;
        }
        assert!(repo().join(source).is_file(), "{source} missing");
    }
    for wanted in [
        "usr/bin/",
        "usr/share/man/man1/",
        "etc/kernel/postinst.d/",
        "etc/kernel/postrm.d/",
        "etc/initramfs/post-update.d/",
    ] {
        assert!(
            destinations.iter().any(|d| d.starts_with(wanted)),
            "{wanted}"
        );
    }
    // The packaged hooks are the ones `bootvet hook install` writes, so
    // `bootvet hook status` on a machine with the package says "installed".
    let root = system_root();
    hook_cmd("install", root.path(), &["--distro", "debian"]);
    for path in [
        "etc/kernel/postinst.d/zz-zz-bootvet",
        "etc/kernel/postrm.d/zz-zz-bootvet",
        "etc/initramfs/post-update.d/bootvet",
    ] {
        assert_eq!(
            fs::read(repo().join("target/assets/root").join(path)).unwrap(),
            fs::read(root.path().join(path)).unwrap()
        );
    }
}

/// README's first two commands are the contract with a new user, and CI must run
/// the second one exactly: a CI that installs what the README's line forgets would
/// pass while a fresh machine fails.
#[test]
fn ci_runs_exactly_the_readme_test_command_and_both_do_their_own_setup() {
    let readme = fs::read_to_string(repo().join("README.md")).unwrap();
    let block = readme
        .split("```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("README starts with a ```sh block");
    let lines: Vec<&str> = block.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 2, "README's first block: {lines:?}");
    for line in &lines {
        assert!(
            line.starts_with("scripts/setup.sh && ")
                || line.starts_with("scripts/setup.sh --tests && "),
            "each README command installs what it needs first: {line}"
        );
    }
    assert!(
        lines[0].contains("check --image")
            && lines[1].ends_with("cargo test --release --no-fail-fast"),
        "{lines:?}"
    );
    // .ci/run runs the test command exactly, then the first command (whose
    // exit status 3 it asserts).
    let ci = fs::read_to_string(repo().join(".ci/run")).unwrap();
    let commands: Vec<&str> = ci
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("scripts/"))
        .collect();
    assert_eq!(commands, [lines[1], lines[0]], ".ci/run's commands");
}

/// `hook uninstall` takes the same `--distro` as install and status: only
/// those distributions' hooks go.
#[test]
fn uninstall_with_distro_removes_only_that_distributions_hooks() {
    let root = system_root();
    let (code, out, err) = hook_cmd("install", root.path(), ALL);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = hook_cmd("uninstall", root.path(), &["--distro", "debian"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.matches("removed    ").count(), 3, "{out}");
    let (code, out, _) = hook_cmd("status", root.path(), &["--distro", "debian"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(out.matches("missing").count(), 3, "{out}");
    // The others are still there; a plain uninstall takes them.
    let (_, out, _) = hook_cmd("uninstall", root.path(), &[]);
    assert_eq!(out.matches("removed    ").count(), 4, "{out}");
}
