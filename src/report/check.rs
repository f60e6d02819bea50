//! `bootvet check` output: one block per entry (the one that boots next first),
//! each link of the chain with ✓ ✗ ? and its evidence, then the findings with a
//! source excerpt, what GRUB or the kernel will print, and the fix; a summary
//! line last. Also the `bootvet.check/1` JSON document.

use std::fmt::Write;

use colored::Colorize;
use serde::Serialize;

use super::links;
use crate::check::verdict::LinkStatus;
use crate::check::{EntryRef, EntryVerdict, Finding, Link, LinkState, Report, Severity, Verdict};
use crate::facts::BootFacts;
use crate::facts::storage::Source;
use crate::menu::{Location, Menu};
use crate::source::LineIndex;

pub const CHECK_JSON_SCHEMA: &str = "bootvet.check/1";

pub struct TextOptions {
    /// Only the findings, no entry blocks.
    pub quiet: bool,
}

pub fn render_text(facts: &BootFacts, report: &Report, options: &TextOptions) -> String {
    let mut out = String::new();
    if !options.quiet {
        let replayed = match &facts.storage.source {
            Source::Replay { file, .. } => format!("; replayed from {file}"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "{} {} (platform {}, {} disk{}{replayed})",
            "bootvet check:".bold(),
            facts.config.path,
            facts.platform.name(),
            facts.storage.disks.len(),
            if facts.storage.disks.len() == 1 {
                ""
            } else {
                "s"
            }
        );
    }
    if !options.quiet {
        if let Some(build) = &facts.menu.grub {
            let _ = writeln!(out, "GRUB build: {}", build.describe());
        }
        out.push_str(&super::entries::flavour_effects(&facts.menu, false));
    }
    let chain = super::loader::chain(facts, report);
    let before = super::loader::findings(report);
    if !options.quiet && !chain.is_empty() {
        out.push('\n');
        render_chain(&mut out, &chain);
    }
    for index in &before {
        render_finding(&mut out, &facts.menu, &report.findings[*index], "    ");
    }
    for index in report.global.iter().filter(|i| !before.contains(i)) {
        out.push('\n');
        render_finding(&mut out, &facts.menu, &report.findings[*index], "");
    }
    let mut order: Vec<usize> = (0..report.entries.len()).collect();
    if let Some(next) = report.next {
        order.retain(|i| *i != next);
        order.insert(0, next);
    }
    for i in order {
        let entry = &report.entries[i];
        if options.quiet {
            for f in &entry.findings {
                out.push('\n');
                render_finding(&mut out, &facts.menu, &report.findings[*f], "");
            }
            continue;
        }
        out.push('\n');
        render_entry(&mut out, facts, report, entry);
    }
    out.push('\n');
    out.push_str(&summary(report));
    out.push('\n');
    out
}

/// GRUB before its menu: one line per link above grub.cfg.
fn render_chain(out: &mut String, chain: &[super::loader::ChainLine]) {
    let failed = chain.iter().any(|l| l.state == LinkState::Fail);
    let unknown = chain.iter().any(|l| l.state == LinkState::Unknown);
    let verdict = if failed {
        "STOPS BEFORE THE MENU".red().bold()
    } else if unknown {
        "not fully known".dimmed()
    } else {
        "reaches the menu".green().bold()
    };
    let _ = writeln!(out, "  {} {verdict}", "GRUB before the menu:".bold());
    for line in chain {
        let _ = writeln!(
            out,
            "    {} {:<8} {}",
            mark(line.state),
            line.link,
            line.detail
        );
    }
}

fn mark(state: LinkState) -> colored::ColoredString {
    match state {
        LinkState::Pass => "✓".green().bold(),
        LinkState::Warn => "!".yellow().bold(),
        LinkState::Fail => "✗".red().bold(),
        LinkState::Unknown | LinkState::None => "?".dimmed(),
    }
}

fn render_entry(out: &mut String, facts: &BootFacts, report: &Report, entry: &EntryVerdict) {
    let marker = if entry.boots_next {
        "▶".bold().to_string()
    } else {
        " ".to_string()
    };
    let verdict = match entry.verdict {
        Verdict::Boots => "boots".green().bold(),
        Verdict::MayFail => "may fail".yellow().bold(),
        Verdict::WillFail => "WILL FAIL".red().bold(),
    };
    let next = if entry.boots_next {
        " boots next —".bold().to_string()
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{marker} {} \"{}\"{next} {verdict}",
        entry.entry.path.bold(),
        entry.entry.title
    );
    if let Some(condition) = &entry.conditional {
        let _ = writeln!(out, "    only if: {condition}");
    }
    for link in &entry.links {
        if link.state == LinkState::None {
            continue;
        }
        let mark = mark(link.state);
        let detail = link_detail(facts, entry, link);
        let _ = writeln!(out, "    {mark} {:<6} {detail}", link.link.name());
    }
    for f in &entry.findings {
        render_finding(out, &facts.menu, &report.findings[*f], "    ");
    }
}

fn render_finding(out: &mut String, menu: &Menu, finding: &Finding, indent: &str) {
    let severity = match finding.severity {
        Severity::Error => format!("error[{}]", finding.code).red().bold(),
        Severity::Warning => format!("warning[{}]", finding.code).yellow().bold(),
        Severity::Info => format!("info[{}]", finding.code).blue().bold(),
    };
    let _ = writeln!(out, "{indent}{severity}: {}", finding.message.bold());
    let bar = "|".blue().bold();
    let eq = "=".blue().bold();
    if let Some(location) = finding.location {
        excerpt(out, menu, location, indent);
    }
    for line in &finding.evidence {
        let _ = writeln!(out, "{indent}  {eq} evidence: {line}");
    }
    for (i, line) in finding.will_print.iter().enumerate() {
        let label = if i == 0 { "will print:" } else { "           " };
        let _ = writeln!(out, "{indent}  {eq} {label} {}", line.italic());
    }
    let _ = writeln!(out, "{indent}  {eq} fix: {}", finding.fix);
    let _ = bar;
}

/// `--> file:line:col`, the source line and a caret under the command.
fn excerpt(out: &mut String, menu: &Menu, location: Location, indent: &str) {
    let Some(file) = menu.files.get(location.file) else {
        return;
    };
    let index = LineIndex::new(&file.bytes);
    let at = index.line_col(&file.bytes, location.span.start);
    let text = index.line_text(&file.bytes, at.line);
    let gutter = at.line.to_string().len();
    let bar = "|".blue().bold();
    let _ = writeln!(
        out,
        "{indent}  {} {}:{}:{}",
        "-->".blue().bold(),
        file.path,
        at.line,
        at.col
    );
    let _ = writeln!(
        out,
        "{indent}  {:>gutter$} {bar} {text}",
        at.line.to_string().blue().bold()
    );
    let pad: String = text
        .chars()
        .take(at.col.saturating_sub(1))
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let word = text
        .chars()
        .skip(at.col.saturating_sub(1))
        .take_while(|c| !c.is_whitespace())
        .count()
        .max(1);
    let _ = writeln!(
        out,
        "{indent}  {:gutter$} {bar} {pad}{}",
        "",
        "^".repeat(word).red().bold()
    );
}

/// What a link line shows, in the text and in the JSON document alike: the
/// config link names where the entry is written (`grub.cfg:12:1`), the others
/// their evidence.
fn link_detail(facts: &BootFacts, entry: &EntryVerdict, link: &LinkStatus) -> String {
    if link.link != crate::check::Link::Config {
        return links::detail(&link.evidence);
    }
    facts
        .menu
        .boot_entries()
        .into_iter()
        .find(|e| e.head.path_text() == entry.entry.path)
        .map(|e| position(&facts.menu, e.head.location))
        .unwrap_or_default()
}

fn position(menu: &Menu, location: Location) -> String {
    let Some(file) = menu.files.get(location.file) else {
        return String::new();
    };
    let index = LineIndex::new(&file.bytes);
    let at = index.line_col(&file.bytes, location.span.start);
    format!("{}:{}:{}", file.path, at.line, at.col)
}

/// Findings about no one entry, split by what they are about: the config files
/// and the menu (BV1xxx, BV2xxx), or the disk and host state (free space on
/// /boot, leftover images, sectors: BV3xxx and up), which no edit of the
/// config fixes.
fn global_counts(report: &Report) -> (usize, usize) {
    let in_config = report
        .global
        .iter()
        .filter_map(|&i| report.findings.get(i))
        .filter(|f| f.code.starts_with("BV1") || f.code.starts_with("BV2"))
        .count();
    (in_config, report.global.len() - in_config)
}

fn summary(report: &Report) -> String {
    let total = report.entries.len();
    let count = |v: Verdict| report.entries.iter().filter(|e| e.verdict == v).count();
    let (boots, may, fails) = (
        count(Verdict::Boots),
        count(Verdict::MayFail),
        count(Verdict::WillFail),
    );
    let mut parts = vec![format!("{boots} boot{}", if boots == 1 { "s" } else { "" })];
    if may > 0 {
        parts.push(format!("{may} may fail"));
    }
    if fails > 0 {
        parts.push(format!("{fails} will fail"));
    }
    let mut line = format!(
        "{} {total} entr{}: {}",
        "summary:".bold(),
        if total == 1 { "y" } else { "ies" },
        parts.join(", ")
    );
    let (in_config, on_system) = global_counts(report);
    if in_config > 0 {
        let _ = write!(line, "; {in_config} problem(s) in the config itself");
    }
    if on_system > 0 {
        let _ = write!(line, "; {on_system} problem(s) on the disk or system");
    }
    // A stop before the menu: what the screen shows, whichever entry is next.
    if let Some(stop) = report.stops_before_menu.map(|i| &report.findings[i])
        && stop.code != "BV2006"
    {
        let screen = stop
            .will_print
            .last()
            .map(|l| format!(" (the screen ends with `{l}`)"))
            .unwrap_or_default();
        let _ = write!(
            line,
            "; {}",
            format!(
                "the next boot will fail before the menu: {} [{}]{screen}: do not reboot",
                stop.message, stop.code
            )
            .red()
            .bold()
        );
        return line;
    }
    match report.next.map(|i| &report.entries[i]) {
        Some(next) if next.verdict == Verdict::WillFail => {
            let _ = write!(
                line,
                "; {} {} \"{}\" {}",
                "the entry that boots next,".red().bold(),
                next.entry.path.red().bold(),
                next.entry.title.red().bold(),
                "will fail: do not reboot".red().bold()
            );
        }
        Some(next) => {
            let _ = write!(
                line,
                "; next boot: {} \"{}\"",
                next.entry.path, next.entry.title
            );
        }
        // Exit 3 with no next entry: the menu is empty (BV2006) and GRUB
        // waits at its prompt.
        None if report.exit_status == crate::exit::NEXT_BOOT_FAILS => {
            let _ = write!(
                line,
                "; {}",
                "the next boot will fail: the menu is empty, GRUB stops at its `grub>` prompt: do not reboot"
                    .red()
                    .bold()
            );
        }
        None => line.push_str("; no entry boots next (empty menu)"),
    }
    line
}

#[derive(Serialize)]
struct JsonReport<'a> {
    schema: &'static str,
    config: &'a crate::facts::ConfigOrigin,
    platform: &'static str,
    exit_status: u8,
    /// Always present: `null` when no entry boots next (an empty menu).
    next_boot: Option<&'a str>,
    /// The links above grub.cfg (firmware, core, prefix, config); absent when
    /// they were not looked at.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    chain: Vec<super::loader::ChainLine>,
    /// The finding that stops every boot before the menu (index into `findings`).
    #[serde(skip_serializing_if = "Option::is_none")]
    stops_before_menu: Option<usize>,
    /// The GRUB build grub.cfg was evaluated for (issue 21); absent in facts
    /// written before it existed.
    #[serde(skip_serializing_if = "Option::is_none")]
    grub: Option<&'a crate::menu::flavour::GrubBuild>,
    /// Where the build's rules changed a result.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    flavour_effects: &'a [crate::menu::flavour::FlavourEffect],
    entries: Vec<JsonEntry<'a>>,
    findings: Vec<JsonFinding<'a>>,
}

/// The `bootvet.check/1` document of a run that could not check (exit 2):
/// the same keys a consumer reads, empty, and the error.
#[derive(Serialize)]
struct JsonTrouble<'a> {
    schema: &'static str,
    exit_status: u8,
    error: &'a str,
    next_boot: Option<&'a str>,
    entries: [(); 0],
    findings: [(); 0],
}

pub fn render_json_trouble(message: &str) -> String {
    let document = JsonTrouble {
        schema: CHECK_JSON_SCHEMA,
        exit_status: crate::exit::TROUBLE,
        error: message,
        next_boot: None,
        entries: [],
        findings: [],
    };
    serde_json::to_string_pretty(&document).unwrap_or_default()
}

#[derive(Serialize)]
struct JsonEntry<'a> {
    #[serde(flatten)]
    entry: &'a EntryRef,
    boots_next: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    conditional: Option<&'a str>,
    verdict: Verdict,
    links: Vec<JsonLink>,
    /// Indexes into `findings`.
    findings: &'a [usize],
}

#[derive(Serialize)]
struct JsonLink {
    link: Link,
    state: LinkState,
    detail: String,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<JsonLocation>,
}

#[derive(Serialize)]
struct JsonLocation {
    file: String,
    line: usize,
    column: usize,
    offset: usize,
}

pub fn render_json(facts: &BootFacts, report: &Report) -> String {
    let findings = report
        .findings
        .iter()
        .map(|finding| JsonFinding {
            finding,
            location: finding.location.and_then(|l| {
                let file = facts.menu.files.get(l.file)?;
                let index = LineIndex::new(&file.bytes);
                let at = index.line_col(&file.bytes, l.span.start);
                Some(JsonLocation {
                    file: file.path.clone(),
                    line: at.line,
                    column: at.col,
                    offset: l.span.start,
                })
            }),
        })
        .collect();
    let document = JsonReport {
        schema: CHECK_JSON_SCHEMA,
        config: &facts.config,
        platform: facts.platform.name(),
        exit_status: report.exit_status,
        next_boot: report.next.map(|i| report.entries[i].entry.path.as_str()),
        chain: super::loader::chain(facts, report),
        stops_before_menu: report.stops_before_menu,
        grub: facts.menu.grub.as_ref(),
        flavour_effects: &facts.menu.flavour_effects,
        entries: report
            .entries
            .iter()
            .map(|e| JsonEntry {
                entry: &e.entry,
                boots_next: e.boots_next,
                conditional: e.conditional.as_deref(),
                verdict: e.verdict,
                links: e
                    .links
                    .iter()
                    .map(|l| JsonLink {
                        link: l.link,
                        state: l.state,
                        detail: link_detail(facts, e, l),
                    })
                    .collect(),
                findings: &e.findings,
            })
            .collect(),
        findings,
    };
    serde_json::to_string_pretty(&document).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
