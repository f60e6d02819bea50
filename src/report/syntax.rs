//! Syntax errors as a compiler shows them, and the syntax tree as text.

use std::fmt::Write;

use colored::Colorize;

use crate::script::{QuotedPart, Script, Statement, SyntaxError, Word, WordPart};
use crate::source::{LineIndex, escape_controls, escaped_width};

/// `FILE:LINE:COL: error: MESSAGE`, the source line, a caret under the column,
/// and the help line when there is one.
pub fn render_error(name: &str, source: &[u8], index: &LineIndex, error: &SyntaxError) -> String {
    let pos = index.line_col(source, error.span.start);
    let line_text = index.line_text(source, pos.line);
    let gutter = pos.line.to_string().len();
    let mut out = String::new();
    // The file's bytes reach the terminal only escaped (a syntax error in random
    // bytes must not clear the screen or retitle the window).
    let _ = writeln!(
        out,
        "{}: {}: {}",
        format!("{}:{}:{}", escape_controls(name), pos.line, pos.col).bold(),
        "error".red().bold(),
        escape_controls(&error.message).bold()
    );
    let bar = "|".blue().bold();
    let _ = writeln!(
        out,
        "{} {bar} {}",
        format!("{:>gutter$}", pos.line).blue().bold(),
        escape_controls(&line_text)
    );
    // Keep tabs where the line has them so the caret lines up in any terminal;
    // an escaped control character is as wide as its escape.
    let pad: String = line_text
        .chars()
        .take(pos.col - 1)
        .map(|c| {
            if c == '\t' {
                "\t".to_string()
            } else {
                " ".repeat(escaped_width(c))
            }
        })
        .collect();
    let width = caret_width(source, error, &line_text, pos.col);
    let _ = writeln!(
        out,
        "{:gutter$} {bar} {pad}{}",
        "",
        "^".repeat(width).red().bold()
    );
    if let Some(help) = &error.help {
        let _ = writeln!(
            out,
            "{:gutter$} {} {}: {help}",
            "",
            "=".blue().bold(),
            "help".bold()
        );
    }
    if let Some(opened) = &error.opened_at {
        let at = index.line_col(source, opened.offset);
        let _ = writeln!(
            out,
            "{:gutter$} {} {}: the {} was opened at {name}:{}:{}",
            "",
            "=".blue().bold(),
            "note".bold(),
            opened.what,
            at.line,
            at.col
        );
    }
    let unit = index.line_col(source, error.unit_start);
    if unit.line != pos.line {
        let _ = writeln!(
            out,
            "{:gutter$} {} {}: GRUB skips the whole statement that starts at line {}",
            "",
            "=".blue().bold(),
            "note".bold(),
            unit.line
        );
    }
    out
}

fn caret_width(source: &[u8], error: &SyntaxError, line_text: &str, col: usize) -> usize {
    let on_line: usize = line_text.chars().skip(col - 1).map(escaped_width).sum();
    let span_chars: usize = String::from_utf8_lossy(
        &source[error.span.start.min(source.len())..error.span.end.min(source.len())],
    )
    .chars()
    .take_while(|c| *c != '\n')
    .map(escaped_width)
    .sum();
    span_chars.min(on_line).max(1)
}

/// The tree as indented text, one node per line with its `line:col`.
pub fn render_tree(source: &[u8], index: &LineIndex, script: &Script) -> String {
    let mut out = String::new();
    for statement in &script.statements {
        tree_statement(&mut out, source, index, statement, 0);
    }
    out
}

fn tree_statement(out: &mut String, source: &[u8], index: &LineIndex, s: &Statement, depth: usize) {
    let indent = "  ".repeat(depth);
    let at = index.line_col(source, s.span().start);
    let loc = format!("{}:{}", at.line, at.col);
    let body = |out: &mut String, label: &str, list: &[Statement]| {
        let _ = writeln!(out, "{indent}  {label}");
        for inner in list {
            tree_statement(out, source, index, inner, depth + 2);
        }
    };
    match s {
        Statement::Command(c) => {
            let words: Vec<String> = c.words.iter().map(show_word).collect();
            let _ = writeln!(out, "{indent}{loc} command {}", words.join(" "));
            if let Some(block) = &c.block {
                body(out, "{", &block.body);
            }
        }
        Statement::If(i) => {
            let _ = writeln!(out, "{indent}{loc} if");
            for (n, branch) in i.branches.iter().enumerate() {
                body(
                    out,
                    if n == 0 {
                        "condition"
                    } else {
                        "elif condition"
                    },
                    &branch.condition,
                );
                body(out, "then", &branch.body);
            }
            if let Some(else_body) = &i.else_body {
                body(out, "else", else_body);
            }
        }
        Statement::For(f) => {
            let items: Vec<String> = f.items.iter().map(show_word).collect();
            let _ = writeln!(
                out,
                "{indent}{loc} for {} in {}",
                f.variable,
                items.join(" ")
            );
            body(out, "do", &f.body);
        }
        Statement::Loop(l) => {
            let _ = writeln!(
                out,
                "{indent}{loc} {}",
                if l.until { "until" } else { "while" }
            );
            body(out, "condition", &l.condition);
            body(out, "do", &l.body);
        }
        Statement::Function(f) => {
            let _ = writeln!(out, "{indent}{loc} function {}", f.name);
            body(out, "{", &f.body);
        }
    }
}

/// A word written back in a form that shows its parts unambiguously.
pub fn show_word(word: &Word) -> String {
    let mut out = String::new();
    for part in &word.parts {
        match part {
            WordPart::Text { value, .. } => {
                for c in value.chars() {
                    if matches!(
                        c,
                        ' ' | '\t'
                            | '\n'
                            | '"'
                            | '\''
                            | '\\'
                            | '$'
                            | '{'
                            | '}'
                            | ';'
                            | '|'
                            | '&'
                            | '<'
                            | '>'
                    ) {
                        out.push('\\');
                    }
                    out.push(c);
                }
            }
            WordPart::SingleQuoted { value, .. } => {
                let _ = write!(out, "'{value}'");
            }
            WordPart::Gettext { value, .. } => {
                let _ = write!(out, "$\"{value}\"");
            }
            WordPart::DoubleQuoted { parts, .. } => {
                out.push('"');
                for p in parts {
                    match p {
                        QuotedPart::Text { value, .. } => {
                            for c in value.chars() {
                                if matches!(c, '"' | '\\' | '$') {
                                    out.push('\\');
                                }
                                out.push(c);
                            }
                        }
                        QuotedPart::Variable(v) => {
                            let _ = write!(out, "${{{}}}", v.name);
                        }
                    }
                }
                out.push('"');
            }
            WordPart::Variable(v) => {
                let _ = write!(out, "${{{}}}", v.name);
            }
        }
    }
    out
}
