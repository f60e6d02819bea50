//! `bootvet check --facts DIR`: audits a fleet centrally. Every `*.json` file in
//! DIR is one machine's `check --dump-facts` output; each is checked exactly as
//! `check --facts FILE` would check it, and `report::fleet` prints one line per
//! machine and a summary. Reads only the files in DIR, writes nothing.

use std::io::Write;
use std::path::Path;

use super::check::CheckArgs;
use crate::check;
use crate::probe::boot_facts_file;
use crate::report::fleet::{self, Machine};

/// Checks every facts file in `dir`; the exit status is the worst machine's.
pub fn run(args: &CheckArgs, dir: &Path) -> Result<u8, String> {
    // These name one machine's entries or one machine's metrics file: across
    // a fleet they would mean something nobody asked for. Said here, not
    // returned as an error: `check`'s error path would write the metrics file.
    let refused = if !args.entries.is_empty() {
        Some("--entry")
    } else if args.prometheus.is_some() {
        Some("--prometheus")
    } else {
        None
    };
    if let Some(flag) = refused {
        eprintln!("bootvet: {flag} is about one machine: give --facts a FILE, not a directory");
        return Ok(crate::exit::TROUBLE);
    }
    let machines: Vec<Machine> = facts_files(dir)?
        .into_iter()
        .map(|name| {
            let path = dir.join(&name);
            match boot_facts_file::load_replayed(&path) {
                Ok(replayed) => {
                    let findings = check::run(&replayed.facts);
                    let report = check::evaluate(&replayed.facts, findings, args.strict);
                    Machine::checked(name, replayed.hostname, &report)
                }
                Err(e) => Machine::unreadable(name, e.to_string()),
            }
        })
        .collect();
    let shown = dir.display().to_string();
    let text = if args.json {
        fleet::render_json(&shown, &machines)
    } else {
        fleet::render_text(&shown, &machines, args.quiet)
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", text.trim_end());
    let _ = out.flush();
    Ok(fleet::exit_status(&machines))
}

/// The names of the regular `*.json` files in `dir`, sorted (hidden files are
/// skipped: editors' and rsync's temporaries start with a dot).
fn facts_files(dir: &Path) -> Result<Vec<String>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        // Follows symlinks: a fleet's directory may link to the dumps.
        let is_file = std::fs::metadata(entry.path()).is_ok_and(|m| m.is_file());
        if is_file && name.ends_with(".json") && !name.starts_with('.') {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}
