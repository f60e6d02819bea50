//! Syntax errors: where GRUB notices the problem, and a message a person can act on.

use pest::error::{Error, ErrorVariant, InputLocation};
use serde::Serialize;

use super::ast::Span;
use super::parse::MAX_NESTING;
use super::parse::grammar::Rule;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SyntaxError {
    /// Where the parser notices the problem: the offending token, or end of file.
    pub span: Span,
    /// Start of the unit GRUB throws away with it (the statement's first line).
    pub unit_start: usize,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl SyntaxError {
    pub(super) fn too_deep(at: usize, unit_start: usize) -> Self {
        SyntaxError {
            span: Span::new(at, at + 1),
            unit_start,
            message: format!("nested more than {MAX_NESTING} levels deep"),
            help: Some(
                "bootvet does not follow nesting this deep; no real grub.cfg needs it".into(),
            ),
        }
    }
}

/// Turns pest's failure inside the unit that starts at `unit_start` into an error
/// that names what was found and what GRUB wanted instead.
pub(super) fn describe_failure(text: &str, unit_start: usize, err: &Error<Rule>) -> SyntaxError {
    let relative = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((a, _)) => a,
    };
    let at = (unit_start + relative).min(text.len());
    let error = |message: String, help: Option<String>, len: usize| SyntaxError {
        span: Span::new(at, (at + len).min(text.len())),
        unit_start,
        message,
        help,
    };

    let positives: Vec<Rule> = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { .. } => {
            return error(
                format!("nested too deeply to follow (limit {MAX_NESTING} levels)"),
                None,
                1,
            );
        }
    };
    let rest = &text[at..];
    let token = found_token(rest);

    if rest.is_empty() {
        return end_of_file(text, unit_start, at, &positives);
    }
    let first = rest.as_bytes()[0];
    match first {
        b'|' | b'&' | b'<' | b'>' => {
            let op = if rest.starts_with("||") || rest.starts_with("&&") {
                &rest[..2]
            } else {
                &rest[..1]
            };
            return error(
                format!("`{op}` is not part of GRUB's script language"),
                Some(format!(
                    "GRUB has no pipes, `&&`/`||`, redirections or background jobs; \
                     to pass `{op}` as text, quote it: '{op}'"
                )),
                op.len(),
            );
        }
        b'$' => return invalid_variable(rest, error),
        b'{' => {
            return error(
                "unexpected `{`".into(),
                Some(
                    "a block must follow the words of a command on the same line, \
                     as in `menuentry 'Title' {`"
                        .into(),
                ),
                1,
            );
        }
        b'}' => {
            let before = text[unit_start..at].trim_end_matches([' ', '\t', '\r', '\n']);
            if before.ends_with('{') {
                return error(
                    "empty block".into(),
                    Some("GRUB needs at least one command between `{` and `}`; write `true` if the body is meant to do nothing".into()),
                    1,
                );
            }
            if expects(&positives, Rule::rbrace) || positives.is_empty() {
                return error("unexpected `}`".into(), None, 1);
            }
        }
        b';' => {
            let message = if rest.starts_with(";;") {
                "`;;` is not part of GRUB's script language".to_string()
            } else {
                "unexpected `;`: there is no command before it".to_string()
            };
            return error(message, None, 1);
        }
        b'\n' => {
            if expects(&positives, Rule::kw_in) {
                return error(
                    "expected `in` on the same line as `for NAME`".into(),
                    None,
                    0,
                );
            }
            return error(
                format!(
                    "unexpected end of line, expected {}",
                    expected_list(&positives)
                ),
                None,
                0,
            );
        }
        _ => {}
    }

    if token == "[[" || token == "]]" {
        return error(
            format!("`{token}` is not a GRUB command or argument"),
            Some("GRUB's test command is `[ … ]`".into()),
            2,
        );
    }
    if token == "function" {
        return error(
            "a function can only be defined at the top level".into(),
            Some("GRUB refuses `function` inside a block, an `if` or a loop".into()),
            token.len(),
        );
    }
    if is_keyword(token) {
        let message = if expects(&positives, Rule::name_token) {
            format!("`{token}` is a reserved word and cannot be used as a name")
        } else {
            format!(
                "unexpected `{token}`, expected {}",
                expected_list(&positives)
            )
        };
        let help = match token {
            "then" | "do" | "else" | "elif" | "fi" | "done" => Some(format!(
                "`{token}` must start a command: put `;` or a newline before it, and \
                 make sure the construct it belongs to is open"
            )),
            "case" | "esac" | "select" => {
                Some(format!("GRUB reserves `{token}` but has no such construct"))
            }
            _ => None,
        };
        return error(message, help, token.len());
    }
    if expects(&positives, Rule::name_token) {
        return error(
            format!(
                "`{token}` is not a valid name (letters, digits and `_`, not starting with a digit)"
            ),
            None,
            token.len(),
        );
    }
    error(
        format!(
            "unexpected `{}`, expected {}",
            shorten(token),
            expected_list(&positives)
        ),
        None,
        token.len().max(1),
    )
}

fn end_of_file(text: &str, unit_start: usize, at: usize, positives: &[Rule]) -> SyntaxError {
    let unit = &text[unit_start..at];
    let (message, help) = if let Some((offset, quote)) = open_quote(unit) {
        (
            format!("unterminated {quote}…{quote} string"),
            Some(format!(
                "the string opened at byte {} runs to the end of the file",
                unit_start + offset
            )),
        )
    } else if unit.ends_with('\\') {
        (
            "backslash at end of file".to_string(),
            Some("a trailing backslash continues the line, but no line follows".into()),
        )
    } else {
        let open = if expects(positives, Rule::kw_fi)
            || expects(positives, Rule::kw_then)
            || expects(positives, Rule::kw_else)
        {
            "an `if` is still open: `fi` is missing"
        } else if expects(positives, Rule::kw_done) || expects(positives, Rule::kw_do) {
            "a loop is still open: `done` is missing"
        } else if expects(positives, Rule::rbrace) {
            "a `{` block is still open: `}` is missing"
        } else {
            "a statement is still open"
        };
        (format!("unexpected end of file: {open}"), None)
    };
    SyntaxError {
        span: Span::new(at, at),
        unit_start,
        message,
        help,
    }
}

fn invalid_variable<F>(rest: &str, error: F) -> SyntaxError
where
    F: Fn(String, Option<String>, usize) -> SyntaxError,
{
    let shown: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace())
        .take(12)
        .collect();
    let (message, help) = if rest.starts_with("$(") {
        (
            "command substitution `$(…)` does not exist in GRUB".to_string(),
            "GRUB script has no command substitution; set a variable with a command's --set option instead",
        )
    } else if rest.starts_with("${") {
        (
            format!("invalid variable reference `{shown}`"),
            "GRUB accepts only ${name}, ${1}, ${?}, ${#}, ${*} and ${@}: no operators such as ${x:-y}",
        )
    } else {
        (
            format!("`$` does not start a variable reference here (`{shown}`)"),
            "write `\\$` or quote it with '…' for a literal dollar sign",
        )
    };
    error(message, Some(help.to_string()), shown.len().max(1))
}

/// The offset and kind of a quote still open at the end of `unit`.
fn open_quote(unit: &str) -> Option<(usize, char)> {
    let bytes = unit.as_bytes();
    let mut i = 0;
    let mut token_start = true;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'#' if token_start => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            quote @ (b'\'' | b'"') => {
                let open = i;
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    if quote == b'"' && bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if i >= bytes.len() {
                    return Some((open, quote as char));
                }
            }
            _ => {}
        }
        token_start = matches!(
            bytes.get(i),
            Some(b' ' | b'\t' | b'\n' | b';' | b'{' | b'}')
        );
        i += 1;
    }
    None
}

fn found_token(rest: &str) -> &str {
    let end = rest
        .find([' ', '\t', '\r', '\n', ';', '{', '}', '|', '&', '<', '>'])
        .unwrap_or(rest.len());
    &rest[..end.max(rest.chars().next().map_or(0, char::len_utf8))]
}

fn shorten(token: &str) -> String {
    if token.chars().count() > 40 {
        let cut: String = token.chars().take(37).collect();
        format!("{cut}...")
    } else {
        token.to_string()
    }
}

fn is_keyword(token: &str) -> bool {
    matches!(
        token,
        "if" | "then"
            | "elif"
            | "else"
            | "fi"
            | "for"
            | "in"
            | "do"
            | "done"
            | "while"
            | "until"
            | "function"
            | "case"
            | "esac"
            | "select"
    )
}

fn expects(positives: &[Rule], rule: Rule) -> bool {
    positives.contains(&rule)
}

fn expected_list(positives: &[Rule]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for rule in positives {
        let name = match rule {
            Rule::kw_then => "`then`",
            Rule::kw_elif => "`elif`",
            Rule::kw_else => "`else`",
            Rule::kw_fi => "`fi`",
            Rule::kw_in => "`in`",
            Rule::kw_do => "`do`",
            Rule::kw_done => "`done`",
            Rule::rbrace => "`}`",
            Rule::lbrace => "`{`",
            Rule::name_token => "a name",
            Rule::word | Rule::bare | Rule::variable | Rule::escape => "a word",
            Rule::kw_if
            | Rule::kw_for
            | Rule::kw_while
            | Rule::kw_until
            | Rule::kw_function
            | Rule::simple_cmd
            | Rule::if_cmd
            | Rule::for_cmd
            | Rule::while_cmd
            | Rule::until_cmd
            | Rule::commands
            | Rule::function_def => "a command",
            _ => continue,
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    match names.len() {
        0 => "`;` or a newline".to_string(),
        1 => names[0].to_string(),
        _ => {
            let last = names.pop().unwrap_or_default();
            format!("{} or {last}", names.join(", "))
        }
    }
}
