//! packaging/prometheus/bootvet.rules.yml against the real Prometheus tools:
//! `promtool check rules`, `promtool test rules` fed with the series bootvet
//! wrote for real scenario disks (a passing one, one whose next boot fails, one
//! it cannot read), and the real node_exporter serving a bootvet textfile.

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{bootvet, have_tool, image, repo};

fn rules() -> PathBuf {
    repo().join("packaging/prometheus/bootvet.rules.yml")
}

fn promtool(args: &[&str]) -> (i32, String) {
    let out = Command::new("promtool")
        .args(args)
        .output()
        .expect("promtool");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// The metrics file bootvet writes for `check --image IMAGE` (a path that does
/// not exist gives the exit-2 file), with the check's exit status.
fn written(dir: &Path, name: &str, image: &str) -> (i32, String) {
    let prom = dir.join(format!("{name}.prom"));
    let (status, _, _) = bootvet(&[
        "check",
        "--quiet",
        "--image",
        image,
        "--prometheus",
        &prom.display().to_string(),
    ]);
    (status, fs::read_to_string(&prom).unwrap())
}

/// One sample line of the exposition format: the series as written
/// (`name{a="x"}`), the name, its labels (unescaped) and the value.
struct Sample {
    series: String,
    name: String,
    labels: Vec<(String, String)>,
    value: String,
}

fn samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap();
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, parse_labels(rest.strip_suffix('}').unwrap())),
                None => (series, Vec::new()),
            };
            Sample {
                series: series.to_string(),
                name: name.to_string(),
                labels,
                value: value.to_string(),
            }
        })
        .collect()
}

fn parse_labels(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while chars.peek().is_some() {
        let name: String = chars.by_ref().take_while(|&c| c != '=').collect();
        assert_eq!(chars.next(), Some('"'));
        let mut value = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('n') => value.push('\n'),
                    Some(other) => value.push(other),
                    None => panic!("dangling escape in {text}"),
                },
                '"' => break,
                c => value.push(c),
            }
        }
        out.push((name.trim_start_matches(',').to_string(), value));
        if chars.peek() == Some(&',') {
            chars.next();
        }
    }
    out
}

/// `series` with `instance="NAME"` added, as promtool's input notation.
fn with_instance(series: &str, instance: &str) -> String {
    match series.strip_suffix('}') {
        Some(open) => format!("{open},instance=\"{instance}\"}}"),
        None => format!("{series}{{instance=\"{instance}\"}}"),
    }
}

/// A YAML scalar (JSON strings are YAML).
fn yaml(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

fn labels_yaml(labels: &[(String, String)], extra: &[(&str, &str)]) -> String {
    // Prometheus drops a label whose value is empty (bootvet's exit-2 file has
    // `config=""` when no --config was given): an alert never carries one.
    let mut all: Vec<(String, String)> = labels
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .cloned()
        .collect();
    all.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let body: Vec<String> = all
        .iter()
        .map(|(k, v)| format!("{k}: {}", yaml(v)))
        .collect();
    format!("{{{}}}", body.join(", "))
}

#[test]
fn rules_pass_promtool_check_and_a_broken_copy_does_not() {
    if !have_tool("promtool", "prometheus") {
        return;
    }
    let (status, said) = promtool(&["check", "rules", &rules().display().to_string()]);
    assert_eq!(status, 0, "{said}");
    assert!(said.contains("SUCCESS: 3 rules found"), "{said}");
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.yml");
    let text = fs::read_to_string(rules()).unwrap();
    fs::write(
        &broken,
        text.replace("bootvet_next_boot_ok == 0", "bootvet_next_boot_ok =="),
    )
    .unwrap();
    let (status, said) = promtool(&["check", "rules", &broken.display().to_string()]);
    assert_ne!(status, 0, "{said}");
}

/// Three machines' real textfiles, each sample held for 50 h at 1 min steps
/// (node_exporter serves the file unchanged until the next run; a 10 min step
/// would leave gaps longer than PromQL's 5 min lookback, and `for` would never
/// hold). The clock of a rule test starts at 0, so the run timestamp is the one
/// sample whose value is not the written one: on `fresh` machines it follows
/// the clock (the timer keeps running), on the stale one (`healthy`) it stays
/// at 0 (the timer stopped).
#[test]
fn rules_fire_on_the_series_bootvet_wrote() {
    if !have_tool("promtool", "prometheus") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("gone.img").display().to_string();
    let machines = [
        ("healthy", image("healthy"), 0, false),
        ("failing", image("no-initrd-line"), 3, true),
        ("unreadable", missing, 2, true),
    ];
    let mut series = String::new();
    let mut files = Vec::new();
    for (name, img, expected, fresh) in &machines {
        let (status, text) = written(dir.path(), name, img);
        assert_eq!(status, *expected, "{name}: {text}");
        for s in samples(&text) {
            let values = if s.name == "bootvet_last_run_timestamp_seconds" {
                if *fresh {
                    "0+60x3000".to_string()
                } else {
                    "0x3000".to_string()
                }
            } else {
                format!("{}x3000", s.value)
            };
            series += &format!(
                "      - series: {}\n        values: {}\n",
                yaml(&with_instance(&s.series, name)),
                yaml(&values)
            );
        }
        files.push(text);
    }
    // The expected labels come from what bootvet wrote too.
    let exit2 = samples(&files[2])
        .into_iter()
        .find(|s| s.name == "bootvet_exit_status")
        .expect("the exit-2 file has bootvet_exit_status");
    let error = exit2
        .labels
        .iter()
        .find(|(k, _)| k == "error")
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("no error label: {}", files[2]));
    let cannot = labels_yaml(
        &exit2.labels,
        &[("instance", "unreadable"), ("severity", "warning")],
    );
    let expected = |healthy_next_boot: bool| {
        let next_fails = if healthy_next_boot {
            "{instance: \"healthy\", severity: critical}"
        } else {
            "{instance: \"failing\", severity: critical}"
        };
        let rules = yaml(&rules().display().to_string());
        let stale = "{instance: \"healthy\", severity: warning}";
        let who = if healthy_next_boot {
            "healthy"
        } else {
            "failing"
        };
        let next_notes = labels_yaml(
            &[],
            &[
                (
                    "summary",
                    &format!("{who}: the GRUB entry that boots next will fail; do not reboot"),
                ),
                (
                    "description",
                    "bootvet check found that the entry GRUB boots next will not boot. Run `bootvet check` on the machine for the broken link and the fix.",
                ),
            ],
        );
        let cannot_notes = labels_yaml(
            &[],
            &[
                (
                    "summary",
                    "unreadable: bootvet could not check the boot entries",
                ),
                ("description", &error),
            ],
        );
        // 38 h after a run at 0, as Prometheus's humanizeDuration writes it.
        let stale_notes = labels_yaml(
            &[],
            &[
                (
                    "summary",
                    "healthy: bootvet has not checked the boot entries for 1d 14h 0m 0s",
                ),
                (
                    "description",
                    "Is bootvet-check.timer enabled (systemctl status bootvet-check.timer)?",
                ),
            ],
        );
        [
            format!("rule_files:\n  - {rules}\nevaluation_interval: 1m\ntests:\n"),
            format!("  - interval: 1m\n    input_series:\n{series}    alert_rule_test:\n"),
            format!("      - {{eval_time: 5m, alertname: BootvetNextBootWillFail, exp_alerts: [{{exp_labels: {next_fails}, exp_annotations: {next_notes}}}]}}\n"),
            "      - {eval_time: 5m, alertname: BootvetCannotCheck, exp_alerts: []}\n".to_string(),
            format!("      - {{eval_time: 30m, alertname: BootvetCannotCheck, exp_alerts: [{{exp_labels: {cannot}, exp_annotations: {cannot_notes}}}]}}\n"),
            "      - {eval_time: 30h, alertname: BootvetCheckStale, exp_alerts: []}\n".to_string(),
            format!("      - {{eval_time: 38h, alertname: BootvetCheckStale, exp_alerts: [{{exp_labels: {stale}, exp_annotations: {stale_notes}}}]}}\n"),
        ]
        .concat()
    };
    let test = dir.path().join("bootvet.test.yml");
    fs::write(&test, expected(false)).unwrap();
    let (status, said) = promtool(&["test", "rules", &test.display().to_string()]);
    assert_eq!(status, 0, "{said}\n{}", expected(false));
    assert!(said.contains("SUCCESS"), "{said}");
    // The same series cannot make the healthy machine's next boot fail.
    fs::write(&test, expected(true)).unwrap();
    let (status, said) = promtool(&["test", "rules", &test.display().to_string()]);
    assert_ne!(status, 0, "{said}");
}

/// node_exporter on a free localhost port, stopped when dropped.
struct Exporter(Child);

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut body = String::new();
    stream.read_to_string(&mut body).ok()?;
    body.starts_with("HTTP/1.0 200").then_some(body)
}

/// node_exporter orders labels by name.
fn sorted(labels: &[(String, String)]) -> Vec<(String, String)> {
    let mut labels = labels.to_vec();
    labels.sort();
    labels
}

#[test]
fn node_exporter_serves_what_bootvet_wrote() {
    let exporter = "prometheus-node-exporter";
    if !have_tool(exporter, "prometheus-node-exporter") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (status, text) = written(dir.path(), "bootvet", &image("no-initrd-line"));
    assert_eq!(status, 3);
    // A free port: the kernel picks one, which is released for the exporter.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _running = Exporter(
        Command::new(exporter)
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--collector.disable-defaults")
            .arg("--collector.textfile")
            .arg(format!(
                "--collector.textfile.directory={}",
                dir.path().display()
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start node_exporter"),
    );
    let started = Instant::now();
    let page = loop {
        if let Some(page) = get(port, "/metrics") {
            break page;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "node_exporter did not answer on {port}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(page.contains("\nnode_textfile_scrape_error 0\n"), "{page}");
    // Every sample bootvet wrote comes through with its labels and value.
    let served = samples(&page.split_once("\r\n\r\n").unwrap().1.replace('\r', ""));
    for s in samples(&text) {
        let found = served
            .iter()
            .find(|x| x.name == s.name && sorted(&x.labels) == sorted(&s.labels))
            .unwrap_or_else(|| panic!("{} not served:\n{page}", s.series));
        let (a, b): (f64, f64) = (found.value.parse().unwrap(), s.value.parse().unwrap());
        assert_eq!(a, b, "{}", s.series);
    }
    assert!(page.contains("\nbootvet_next_boot_ok 0\n"), "{page}");
    assert!(
        page.contains("bootvet_findings{code=\"BV4103\",severity=\"error\"}"),
        "{page}"
    );
}
