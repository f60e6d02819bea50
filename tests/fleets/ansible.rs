//! packaging/ansible: the executable local fact and the reboot-gate playbook,
//! run by the real `ansible-playbook` against localhost (`connection: local`)
//! in check mode, with the fact pointed at scenario disk images. This machine
//! is never rebooted, three times over: `ansible.builtin.reboot` refuses a
//! `local` connection ("would reboot the control node"), the play runs with
//! `--check`, and the reboot command is `/bin/true` with a 5 s timeout. So the
//! tests tell a gate that let the reboot through (the Reboot task runs and
//! gives that refusal) from one that stopped it (the task is never reached).

use std::process::Command;

use super::{have_tool, image, repo};

struct Run {
    status: i32,
    output: String,
}

/// The playbook on localhost with bootvet checking `check_args`; the fact is
/// linked where the play expects it (a machine a previous run prepared: in
/// check mode the play does not link it itself).
fn reboot_gate(check_args: &str) -> Run {
    let facts = tempfile::tempdir().unwrap();
    let fact = repo().join("packaging/ansible/bootvet.fact");
    std::os::unix::fs::symlink(&fact, facts.path().join("bootvet.fact")).unwrap();
    let out = Command::new("ansible-playbook")
        .args(["-i", "localhost,", "-c", "local", "--check"])
        .args(["-e", "ansible_become=false"])
        .arg("-e")
        .arg(format!("bootvet_fact_path={}", facts.path().display()))
        .arg("-e")
        .arg(format!("bootvet_fact_source={}", fact.display()))
        .args([
            "-e",
            "bootvet_reboot_command=/bin/true",
            "-e",
            "bootvet_reboot_timeout=5",
        ])
        .arg(repo().join("packaging/ansible/reboot-gate.yml"))
        .env("BOOTVET", env!("CARGO_BIN_EXE_bootvet"))
        .env("BOOTVET_CHECK_ARGS", check_args)
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_LOCAL_TEMP", facts.path().join("tmp"))
        .output()
        .expect("ansible-playbook");
    let mut output = String::from_utf8_lossy(&out.stdout).into_owned();
    output.push_str(&String::from_utf8_lossy(&out.stderr));
    Run {
        status: out.status.code().unwrap_or(-1),
        output,
    }
}

/// The task's result line(s) after `TASK [name]`.
fn task<'a>(output: &'a str, name: &str) -> Option<&'a str> {
    let start = output.find(&format!("TASK [{name}]"))?;
    let rest = &output[start..];
    let end = rest[1..]
        .find("\nTASK [")
        .or_else(|| rest[1..].find("\nPLAY RECAP"));
    Some(end.map_or(rest, |e| &rest[..e + 1]))
}

#[test]
fn fact_script_is_shellcheck_clean_and_reports_a_check_it_could_not_make() {
    if !have_tool("shellcheck", "shellcheck") {
        return;
    }
    let fact = repo().join("packaging/ansible/bootvet.fact");
    let out = Command::new("shellcheck").arg(&fact).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Run alone, as Ansible runs it: exit 0 and JSON either way.
    for (args, status) in [
        (format!("--image {}", image("no-initrd-line")), 3),
        ("--image /nonexistent/\"quoted\\.img".to_string(), 2),
    ] {
        let out = Command::new(&fact)
            .env("BOOTVET", env!("CARGO_BIN_EXE_bootvet"))
            .env("BOOTVET_CHECK_ARGS", &args)
            .output()
            .unwrap();
        assert!(out.status.success(), "a fact script must exit 0");
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
        assert_eq!(doc["exit_status"], status, "{doc}");
        if status == 2 {
            assert!(
                doc["error"].as_str().unwrap().contains("nonexistent"),
                "{doc}"
            );
        } else {
            assert_eq!(doc["schema"], "bootvet.check/1");
        }
    }
}

/// The gate let the play through to the reboot module, which refused the local
/// connection: the only failure of the play.
fn reached_the_reboot(run: &Run) {
    let out = &run.output;
    let reboot = task(out, "Reboot").expect(out);
    assert!(reboot.contains("would reboot the control node"), "{reboot}");
    assert!(out.contains("failed=1 "), "{out}");
    assert_eq!(run.status, 2, "{out}");
}

#[test]
fn reboot_gate_refuses_when_the_next_boot_fails() {
    if !have_tool("ansible-playbook", "ansible-core") {
        return;
    }
    let run = reboot_gate(&format!("--image {}", image("no-initrd-line")));
    let out = &run.output;
    assert_eq!(run.status, 2, "a failed task fails the play:\n{out}");
    let gate = task(out, "Refuse to reboot when the next boot will fail").expect(out);
    assert!(gate.contains("FAILED!"), "{gate}");
    assert!(
        gate.contains("NOT rebooting localhost: the entry that boots next (1>0) will fail; run `bootvet check`"),
        "{gate}"
    );
    assert!(
        task(out, "Reboot").is_none(),
        "the reboot task must not be reached:\n{out}"
    );
}

#[test]
fn reboot_gate_lets_a_passing_machine_reboot() {
    if !have_tool("ansible-playbook", "ansible-core") {
        return;
    }
    let run = reboot_gate(&format!("--image {}", image("healthy")));
    let out = &run.output;
    let gate = task(out, "Refuse to reboot when the next boot will fail").expect(out);
    assert!(
        gate.contains("ok: [localhost]") && gate.contains("exit status 0, rebooting"),
        "{gate}"
    );
    reached_the_reboot(&run);
    assert!(
        task(out, "Warn when bootvet could not check").is_some_and(|t| t.contains("skipping")),
        "{out}"
    );
}

/// A machine bootvet cannot check is warned about and rebooted (a broken
/// bootvet must not hold a fleet hostage), unless the play asks otherwise.
#[test]
fn reboot_gate_warns_and_reboots_when_bootvet_cannot_check() {
    if !have_tool("ansible-playbook", "ansible-core") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let gone = dir.path().join("gone.img");
    let run = reboot_gate(&format!("--image {}", gone.display()));
    let out = &run.output;
    let warn = task(out, "Warn when bootvet could not check").expect(out);
    assert!(
        warn.contains("bootvet could not check localhost") && warn.contains("gone.img"),
        "{warn}"
    );
    reached_the_reboot(&run);
}
