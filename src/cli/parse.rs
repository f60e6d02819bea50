//! `bootvet parse`: a syntax check like grub-script-check that reports every error.

use std::io::{Read, Write};
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::FilesDocument;
use crate::exit;
use crate::report::syntax::{render_error, render_tree};
use crate::script::{self, Script, Statement};
use crate::source::LineIndex;

/// Version of the `parse --json` document; bumped on any incompatible change.
pub const PARSE_JSON_SCHEMA: &str = "bootvet.parse/1";

#[derive(Debug, Args)]
pub struct ParseArgs {
    /// grub.cfg files to check; `-` reads standard input.
    #[arg(value_name = "FILE", default_value = "-")]
    pub files: Vec<PathBuf>,

    /// Print the syntax tree.
    #[arg(long, conflicts_with = "json")]
    pub dump: bool,

    /// Print the syntax tree and the errors as one JSON document.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    path: String,
    /// The first `script::MAX_ERRORS` errors.
    errors: Vec<JsonError<'a>>,
    /// How many more syntax errors the file has beyond `errors` (counted only).
    more_errors: usize,
    statements: &'a [Statement],
}

#[derive(Serialize)]
struct JsonError<'a> {
    line: usize,
    column: usize,
    offset: usize,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
}

struct Parsed {
    name: String,
    bytes: Vec<u8>,
    index: LineIndex,
    script: Script,
    has_commands: bool,
}

pub fn run(args: &ParseArgs) -> u8 {
    let mut parsed = Vec::new();
    for path in &args.files {
        let name = path.display().to_string();
        let bytes = match read_input(path) {
            Ok(bytes) => bytes,
            Err(err) => {
                eprintln!("bootvet: cannot read {name}: {err}");
                return exit::TROUBLE;
            }
        };
        let (script, has_commands) = if args.dump || args.json {
            let script = script::parse(&bytes);
            let has_commands = !script.has_no_commands();
            (script, has_commands)
        } else {
            // Only errors are shown: skip building the tree.
            let check = script::check(&bytes);
            let script = Script {
                statements: Vec::new(),
                errors: check.errors,
                more_errors: check.more_errors,
            };
            (script, check.has_commands)
        };
        // Line numbers are only shown for errors, the dump and JSON; indexing a
        // large valid file costs a third of the check.
        let index = if args.dump || args.json || !script.errors.is_empty() {
            LineIndex::new(&bytes)
        } else {
            LineIndex::new(b"")
        };
        let name = if name == "-" {
            "<stdin>".to_string()
        } else {
            name
        };
        parsed.push(Parsed {
            name,
            bytes,
            index,
            script,
            has_commands,
        });
    }

    let any_error = parsed.iter().any(|p| !p.script.errors.is_empty());
    // Stdout is line-buffered; a tree dump has a newline every few bytes.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        let document = FilesDocument {
            schema: PARSE_JSON_SCHEMA,
            files: parsed.iter().map(json_file).collect(),
        };
        let _ = serde_json::to_writer_pretty(&mut out, &document);
        let _ = writeln!(out);
    } else {
        for p in &parsed {
            if args.dump {
                let _ = write!(out, "{}", render_tree(&p.bytes, &p.index, &p.script));
            }
            for error in &p.script.errors {
                eprint!("{}", render_error(&p.name, &p.bytes, &p.index, error));
            }
            if p.script.more_errors > 0 {
                eprintln!(
                    "{}: and {} more syntax error{} (only the first {} are shown)",
                    p.name,
                    p.script.more_errors,
                    if p.script.more_errors == 1 { "" } else { "s" },
                    script::MAX_ERRORS
                );
            }
            if p.script.errors.is_empty() && !p.has_commands {
                eprintln!(
                    "{}: note: contains no commands; GRUB runs it without effect (grub-script-check refuses such a file)",
                    p.name
                );
            }
        }
        if any_error {
            let count: usize = parsed.iter().map(|p| p.script.error_count()).sum();
            eprintln!(
                "bootvet: {count} syntax error{} found; GRUB skips each statement that has one",
                if count == 1 { "" } else { "s" }
            );
        }
    }
    let _ = out.flush();
    drop(out);
    // Freeing a large tree costs measurable time at exit; the OS reclaims it anyway.
    std::mem::forget(parsed);
    if any_error { exit::FOUND } else { exit::OK }
}

fn json_file(p: &Parsed) -> JsonFile<'_> {
    JsonFile {
        path: p.name.clone(),
        errors: p
            .script
            .errors
            .iter()
            .map(|e| {
                let at = p.index.line_col(&p.bytes, e.span.start);
                JsonError {
                    line: at.line,
                    column: at.col,
                    offset: e.span.start,
                    message: &e.message,
                    help: e.help.as_deref(),
                }
            })
            .collect(),
        more_errors: p.script.more_errors,
        statements: &p.script.statements,
    }
}

fn read_input(path: &PathBuf) -> std::io::Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().lock().read_to_end(&mut bytes)?;
        Ok(bytes)
    } else {
        std::fs::read(path)
    }
}
