//! The check report in node_exporter's textfile-collector format (Prometheus text
//! exposition 0.0.4), for fleets: one gauge for the next-boot verdict, one series
//! per entry and per finding code, the exit status and the run's timestamp.
//! Renders text only; the caller writes it (atomically, see `cli::check`).
//! Metric and label names are public API, like the JSON schema.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::check::verdict::{Report, Verdict};
use crate::exit;

/// What one run says, apart from the report itself.
pub struct RunInfo<'a> {
    /// Seconds since the epoch when the check ran.
    pub timestamp: f64,
    /// The grub.cfg that was checked (as shown in the report).
    pub config: &'a str,
}

/// The metrics of a finished check.
pub fn render(report: &Report, run: &RunInfo) -> String {
    let mut out = String::new();
    let next_ok = report.exit_status != exit::NEXT_BOOT_FAILS;
    metric(
        &mut out,
        "bootvet_next_boot_ok",
        "1 if the entry that boots next passes the check, 0 if it will fail (bootvet check exit status 3).",
    );
    sample(&mut out, "bootvet_next_boot_ok", &[], bool_value(next_ok));

    exit_status(&mut out, &[("config", run.config)], report.exit_status);

    metric(
        &mut out,
        "bootvet_entry_ok",
        "1 if the boot entry passes the check (warnings allowed), 0 if it will fail.",
    );
    for entry in &report.entries {
        let next = if entry.boots_next { "true" } else { "false" };
        sample(
            &mut out,
            "bootvet_entry_ok",
            &[
                ("path", &entry.entry.path),
                ("title", &entry.entry.title),
                ("boots_next", next),
            ],
            bool_value(entry.verdict != Verdict::WillFail),
        );
    }

    metric(
        &mut out,
        "bootvet_findings",
        "Number of findings per check code and severity (see bootvet explain CODE).",
    );
    let mut counts: BTreeMap<(&str, &str), u32> = BTreeMap::new();
    for finding in &report.findings {
        *counts
            .entry((finding.code, finding.severity.name()))
            .or_default() += 1;
    }
    for ((code, severity), count) in counts {
        sample(
            &mut out,
            "bootvet_findings",
            &[("code", code), ("severity", severity)],
            f64::from(count),
        );
    }

    timestamp(&mut out, run.timestamp);
    out
}

/// The metrics when bootvet could not check at all (exit status 2): the fleet
/// must see "unknown", not the previous run's verdict.
pub fn render_trouble(run: &RunInfo, message: &str) -> String {
    let mut out = String::new();
    exit_status(
        &mut out,
        &[("config", run.config), ("error", message)],
        exit::TROUBLE,
    );
    timestamp(&mut out, run.timestamp);
    out
}

/// One help text for the exit-status gauge, whether the check ran or not.
fn exit_status(out: &mut String, labels: &[(&str, &str)], status: u8) {
    metric(
        out,
        "bootvet_exit_status",
        "Exit status of bootvet check: 0 pass, 1 some entry fails, 2 bootvet could not check, 3 next boot fails.",
    );
    sample(out, "bootvet_exit_status", labels, f64::from(status));
}

fn timestamp(out: &mut String, seconds: f64) {
    metric(
        out,
        "bootvet_last_run_timestamp_seconds",
        "When bootvet check last ran, in seconds since the epoch.",
    );
    sample(out, "bootvet_last_run_timestamp_seconds", &[], seconds);
}

fn bool_value(ok: bool) -> f64 {
    if ok { 1.0 } else { 0.0 }
}

fn metric(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
    let _ = writeln!(out, "# TYPE {name} gauge");
}

fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: f64) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (label, text)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{label}=\"{}\"", escape_label(text));
        }
        out.push('}');
    }
    // Integral values print without a fraction so the file diffs cleanly.
    if value.fract() == 0.0 && value.abs() < 1e15 {
        let _ = writeln!(out, " {}", value as i64);
    } else {
        let _ = writeln!(out, " {value}");
    }
}

/// Label values: `\`, `"` and newline are escaped (exposition format 0.0.4).
/// Titles come from grub.cfg and may hold anything.
pub fn escape_label(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out
}

/// HELP text: `\` and newline are escaped; quotes are not.
fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_escape_backslash_quote_and_newline() {
        assert_eq!(
            escape_label("Debian \"sid\"\\x\nnext"),
            "Debian \\\"sid\\\"\\\\x\\nnext"
        );
    }

    #[test]
    fn trouble_names_the_error_and_status_2() {
        let text = render_trouble(
            &RunInfo {
                timestamp: 1.5,
                config: "/boot/grub/grub.cfg",
            },
            "cannot read",
        );
        assert!(text.contains(
            "bootvet_exit_status{config=\"/boot/grub/grub.cfg\",error=\"cannot read\"} 2\n"
        ));
        assert!(text.contains("bootvet_last_run_timestamp_seconds 1.5\n"));
        assert!(!text.contains("bootvet_next_boot_ok"));
    }
}
