//! `bootvet check --facts DIR`: a fleet's dumped facts audited in one place — one
//! line per machine (its name, what the entry that boots next will do, the exit
//! status its own `check` would end with, its worst finding) and a summary, as
//! text or as one JSON document (schema `bootvet.fleet/1`, public API like
//! `bootvet.check/1`). Data in, text out: `cli::fleet` reads the files and runs
//! the checks.

use std::fmt::Write;

use serde::Serialize;

use crate::check::{Report, Severity, Verdict};
use crate::exit;
use crate::source::escape_controls;

pub const FLEET_JSON_SCHEMA: &str = "bootvet.fleet/1";

/// One machine of the fleet: one facts file.
#[derive(Debug, Serialize)]
pub struct Machine {
    /// The facts file's name inside the directory.
    pub file: String,
    /// The host name the file carries (facts dumped from a live system).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// What `bootvet check --facts FILE` alone would exit with (2: the file
    /// could not be read as facts).
    pub exit_status: u8,
    /// The entry that boots next; `null` when none does or the file was not read.
    pub next_boot: Option<NextBoot>,
    pub entries: usize,
    pub failing_entries: usize,
    pub findings: usize,
    /// The most severe finding, preferring one on the entry that boots next.
    pub worst_finding: Option<WorstFinding>,
    /// Why the file could not be checked (exit status 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct NextBoot {
    pub path: String,
    pub title: String,
    pub verdict: Verdict,
}

#[derive(Debug, Serialize)]
pub struct WorstFinding {
    pub code: &'static str,
    pub severity: Severity,
    /// The index path of the entry it is about; `null` for the config as a whole.
    pub entry: Option<String>,
    pub message: String,
}

impl Machine {
    /// A machine whose facts were read and checked.
    pub fn checked(file: String, hostname: Option<String>, report: &Report) -> Machine {
        let next = report.next.and_then(|i| report.entries.get(i));
        let next_path = next.map(|e| e.entry.path.as_str());
        // Severity first; among equals, the next boot's finding is what the
        // reader must act on; then the report's own order (the first wins).
        let worst = report
            .findings
            .iter()
            .enumerate()
            .max_by_key(|(i, f)| {
                let on_next = f.entry.as_ref().map(|e| e.path.as_str()) == next_path;
                (f.severity, on_next && next_path.is_some(), usize::MAX - i)
            })
            .map(|(_, f)| WorstFinding {
                code: f.code,
                severity: f.severity,
                entry: f.entry.as_ref().map(|e| e.path.clone()),
                message: f.message.clone(),
            });
        Machine {
            file,
            hostname,
            exit_status: report.exit_status,
            next_boot: next.map(|e| NextBoot {
                path: e.entry.path.clone(),
                title: e.entry.title.clone(),
                verdict: e.verdict,
            }),
            entries: report.entries.len(),
            failing_entries: report
                .entries
                .iter()
                .filter(|e| e.verdict == Verdict::WillFail)
                .count(),
            findings: report.findings.len(),
            worst_finding: worst,
            error: None,
        }
    }

    /// A file that could not be checked: the fleet must see it, not skip it.
    pub fn unreadable(file: String, error: String) -> Machine {
        Machine {
            file,
            hostname: None,
            exit_status: exit::TROUBLE,
            next_boot: None,
            entries: 0,
            failing_entries: 0,
            findings: 0,
            worst_finding: None,
            error: Some(error),
        }
    }

    /// The name people know the machine by: its host name, else its file's.
    pub fn name(&self) -> &str {
        self.hostname.as_deref().unwrap_or(&self.file)
    }
}

/// The fleet's exit status: the worst machine's. 3 (a machine will not boot
/// next) outranks 2 (one could not be checked), which outranks 1 and 0 — the
/// statuses' numeric order. No machine at all is trouble: an empty directory
/// must not pass an audit.
pub fn exit_status(machines: &[Machine]) -> u8 {
    machines
        .iter()
        .map(|m| m.exit_status)
        .max()
        .unwrap_or(exit::TROUBLE)
}

fn next_boot_word(machine: &Machine) -> &'static str {
    if machine.error.is_some() {
        return "NOT CHECKED";
    }
    match machine.next_boot.as_ref().map(|n| n.verdict) {
        Some(Verdict::Boots) => "boots",
        Some(Verdict::MayFail) => "may fail",
        Some(Verdict::WillFail) => "WILL FAIL",
        None => "no entry",
    }
}

fn worst_text(machine: &Machine) -> String {
    if let Some(error) = &machine.error {
        return escape_controls(error).into_owned();
    }
    match &machine.worst_finding {
        None => "-".to_string(),
        Some(w) => {
            let entry = w
                .entry
                .as_deref()
                .map(|p| format!(" {p}"))
                .unwrap_or_default();
            format!(
                "{}[{}]{entry}: {}",
                w.severity.name(),
                w.code,
                escape_controls(&w.message)
            )
        }
    }
}

/// The text: a header, one line per machine in file-name order, the summary.
/// `quiet`: only the machines that do not pass, and the summary.
pub fn render_text(dir: &str, machines: &[Machine], quiet: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "bootvet check: {} facts file(s) in {}\n",
        machines.len(),
        escape_controls(dir)
    );
    let shown: Vec<&Machine> = machines
        .iter()
        .filter(|m| !quiet || m.exit_status != exit::OK)
        .collect();
    let names: Vec<String> = shown
        .iter()
        .map(|m| escape_controls(m.name()).into_owned())
        .collect();
    let width = names
        .iter()
        .map(|n| n.chars().count())
        .chain(["machine".len()])
        .max()
        .unwrap_or(0);
    if !shown.is_empty() {
        let _ = writeln!(
            out,
            "{:width$}  {:11}  exit  worst finding",
            "machine", "next boot"
        );
    }
    for (machine, name) in shown.iter().zip(&names) {
        let _ = writeln!(
            out,
            "{name:width$}  {:11}  {:<4}  {}",
            next_boot_word(machine),
            machine.exit_status,
            worst_text(machine)
        );
    }
    if !shown.is_empty() {
        out.push('\n');
    }
    out.push_str(&summary(machines));
    out
}

/// `summary: 4 machines: 1 passes, …; exit 3: do not reboot web-2`.
fn summary(machines: &[Machine]) -> String {
    if machines.is_empty() {
        return "summary: no facts files (*.json written by `bootvet check --dump-facts`) found: nothing was checked\n".to_string();
    }
    let count = |status: u8| machines.iter().filter(|m| m.exit_status == status).count();
    let mut parts = vec![format!("{} pass", count(exit::OK))];
    let mut push = |n: usize, words: &str| {
        if n > 0 {
            parts.push(format!("{n} {words}"));
        }
    };
    push(
        count(exit::FOUND),
        "with a failing entry that does not boot next",
    );
    push(count(exit::NEXT_BOOT_FAILS), "WILL FAIL at the next boot");
    push(count(exit::TROUBLE), "could not be checked");
    let mut line = format!(
        "summary: {} machine(s): {}",
        machines.len(),
        parts.join(", ")
    );
    let failing: Vec<String> = machines
        .iter()
        .filter(|m| m.exit_status == exit::NEXT_BOOT_FAILS)
        .map(|m| escape_controls(m.name()).into_owned())
        .collect();
    if !failing.is_empty() {
        let _ = write!(line, "; do not reboot: {}", failing.join(", "));
    }
    line.push('\n');
    line
}

#[derive(Serialize)]
struct FleetJson<'a> {
    schema: &'static str,
    directory: &'a str,
    exit_status: u8,
    summary: Summary,
    machines: &'a [Machine],
}

#[derive(Serialize)]
struct Summary {
    machines: usize,
    pass: usize,
    entry_fails: usize,
    next_boot_fails: usize,
    not_checked: usize,
}

/// One JSON document, schema `bootvet.fleet/1`.
pub fn render_json(dir: &str, machines: &[Machine]) -> String {
    let count = |status: u8| machines.iter().filter(|m| m.exit_status == status).count();
    let document = FleetJson {
        schema: FLEET_JSON_SCHEMA,
        directory: dir,
        exit_status: exit_status(machines),
        summary: Summary {
            machines: machines.len(),
            pass: count(exit::OK),
            entry_fails: count(exit::FOUND),
            next_boot_fails: count(exit::NEXT_BOOT_FAILS),
            not_checked: count(exit::TROUBLE),
        },
        machines,
    };
    // Plain data with string keys: serialization cannot fail.
    serde_json::to_string_pretty(&document).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(file: &str, status: u8) -> Machine {
        let mut m = Machine::unreadable(file.to_string(), String::new());
        m.exit_status = status;
        m.error = None;
        m
    }

    #[test]
    fn fleet_status_is_the_worst_machines_and_empty_is_trouble() {
        assert_eq!(exit_status(&[]), exit::TROUBLE);
        assert_eq!(exit_status(&[machine("a", 0), machine("b", 1)]), 1);
        assert_eq!(exit_status(&[machine("a", 2), machine("b", 1)]), 2);
        assert_eq!(
            exit_status(&[machine("a", 3), machine("b", 2), machine("c", 0)]),
            3
        );
    }

    #[test]
    fn names_are_escaped_and_failing_machines_named_in_the_summary() {
        let mut bad = machine("x.json", 3);
        bad.hostname = Some("web\x1b[2J".to_string());
        let text = render_text("dir", &[machine("ok.json", 0), bad], true);
        assert!(!text.contains('\x1b'), "{text}");
        assert!(
            !text.contains("ok.json"),
            "quiet hides passing machines: {text}"
        );
        assert!(text.contains("do not reboot: web\\x1b[2J"), "{text}");
    }
}
