//! Syntax errors: where GRUB notices the problem, and a message a person can act on.

use pest::error::{Error, ErrorVariant, InputLocation};
use serde::Serialize;

use super::ast::Span;
use super::parse::MAX_NESTING;
use super::parse::grammar::Rule;
use crate::source::escape_controls;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SyntaxError {
    /// Where the parser notices the problem: the offending token, or end of file.
    pub span: Span,
    /// Start of the unit GRUB throws away with it (the statement's first line).
    pub unit_start: usize,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Where the construct the error is about was opened (an unclosed `{`,
    /// `if`, loop or string), so the report can point there too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opened_at: Option<Opened>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Opened {
    pub offset: usize,
    /// What was opened there: "`{`", "`if`", "'…' string", …
    pub what: String,
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
            opened_at: None,
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
    let mut at = (unit_start + relative).min(text.len());
    // GRUB counts the end of a file that ends in a newline as its last line.
    if at == text.len() && text.ends_with('\n') {
        at -= 1;
    }
    let positives: Vec<Rule> = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { .. } => {
            // pest ran low on native stack; say where the nesting got too deep,
            // found by a rough re-scan so the place does not depend on the stack.
            let deep = scan_unit_upto(&text[unit_start..], usize::MAX, true)
                .too_deep_at
                .map_or(unit_start, |offset| unit_start + offset);
            return SyntaxError::too_deep(deep, unit_start);
        }
    };
    let failure = Failure {
        text,
        unit_start,
        at,
        positives,
    };
    failure
        .lexical()
        .or_else(|| failure.punctuation())
        .unwrap_or_else(|| failure.unexpected_token())
}

/// Where pest failed, and what it expected there.
struct Failure<'t> {
    text: &'t str,
    unit_start: usize,
    /// Where the parser noticed the problem.
    at: usize,
    /// The rules pest would have accepted at `at`.
    positives: Vec<Rule>,
}

impl Failure<'_> {
    fn error(&self, message: String, help: Option<String>, len: usize) -> SyntaxError {
        SyntaxError {
            span: Span::new(self.at, (self.at + len).min(self.text.len())),
            unit_start: self.unit_start,
            message,
            help,
            opened_at: None,
        }
    }

    /// What GRUB's lexer trips on before any grammar: an open quote, a bad `$`,
    /// the end of the file, a trailing backslash.
    fn lexical(&self) -> Option<SyntaxError> {
        let (text, unit_start, at) = (self.text, self.unit_start, self.at);
        let positives = &self.positives;
        let error = |m, h, l| self.error(m, h, l);
        // Words are atomic in the grammar, so a failure inside one is reported at its
        // start: look inside for what GRUB's lexer would have tripped on.
        // Only a quote opened before the word's end matters: the scan stops there
        // (unless inside a string), so that each error costs its own unit, not the
        // rest of the file.
        let end_of_word = word_end(text, at);
        if let Some((offset, _)) =
            scan_unit_upto(&text[unit_start..], end_of_word - unit_start, false).open_quote
            && (at..end_of_word).contains(&(unit_start + offset))
        {
            return Some(end_of_file(
                text,
                unit_start,
                text.len().saturating_sub(usize::from(text.ends_with('\n'))),
                positives,
            ));
        }
        if let Some(dollar) = first_invalid_dollar(&text[at..]) {
            let at = at + dollar;
            let mut err = invalid_variable(&text[at..], error);
            err.span = Span::new(at, (at + err.span.len()).min(text.len()));
            return Some(err);
        }
        let rest = &text[at..];
        if rest.is_empty() || (rest == "\n" && at + 1 == text.len()) {
            return Some(end_of_file(text, unit_start, at, positives));
        }
        if let Some(dollar) = inside_braced_variable(&text[unit_start..at]) {
            let start = unit_start + dollar;
            let shown: String = text[start..]
                .chars()
                .take_while(|c| !c.is_whitespace())
                .take(16)
                .collect();
            let span = Span::new(start, start + shown.len());
            let shown = escape_controls(&shown);
            return Some(SyntaxError {
            span,
            unit_start,
            message: format!("invalid variable reference `{shown}`"),
            help: Some("GRUB accepts only ${name}, ${1}, ${?}, ${#}, ${*} and ${@}: no spaces and no operators such as ${x:-y}".into()),
            opened_at: None,
        });
        }
        if matches!(rest, "\\\n" | "\\\r\n") {
            return Some(self.error(
                "backslash-newline at end of file".into(),
                Some("a trailing backslash continues the line, but no line follows".into()),
                1,
            ));
        }
        if text[..at].ends_with('$') {
            let mut err = invalid_variable(&text[at - 1..], error);
            err.span = Span::new(at - 1, (at - 1 + err.span.len()).min(text.len()));
            return Some(err);
        }
        None
    }

    /// A character of another shell's syntax (`|`, `&`, `;;`, `{`…) or an
    /// unexpected end of line.
    fn punctuation(&self) -> Option<SyntaxError> {
        let (text, unit_start, at) = (self.text, self.unit_start, self.at);
        let positives = &self.positives;
        let error = |m, h, l| self.error(m, h, l);
        let rest = &text[at..];
        let first = *rest.as_bytes().first()?;
        match first {
            b'|' | b'&' | b'<' | b'>' => {
                let op = if rest.starts_with("||") || rest.starts_with("&&") {
                    &rest[..2]
                } else {
                    &rest[..1]
                };
                return Some(error(
                    format!("`{op}` is not part of GRUB's script language"),
                    Some(format!(
                        "GRUB has no pipes, `&&`/`||`, redirections or background jobs; \
                     to pass `{op}` as text, quote it: '{op}'"
                    )),
                    op.len(),
                ));
            }
            b'$' => return Some(invalid_variable(rest, error)),
            b'{' => {
                return Some(error(
                    "unexpected `{`".into(),
                    Some(
                        "a block must follow the words of a command on the same line, \
                     as in `menuentry 'Title' {`"
                            .into(),
                    ),
                    1,
                ));
            }
            b'}' => {
                let before = text[unit_start..at].trim_end_matches([' ', '\t', '\r', '\n']);
                if before.ends_with('{') {
                    return Some(error(
                    "empty block".into(),
                    Some("GRUB needs at least one command between `{` and `}`; write `true` if the body is meant to do nothing".into()),
                    1,
                ));
                }
                if !scan_unit(&text[unit_start..at])
                    .openers
                    .iter()
                    .any(|o| o.what == "`{`")
                {
                    return Some(error(
                    "unexpected `}`: no block is open here".into(),
                    Some("an earlier error may have ended the block early; GRUB then reads the rest of its body as top-level commands".into()),
                    1,
                ));
                }
            }
            b';' => {
                let message = if rest.starts_with(";;") {
                    "`;;` is not part of GRUB's script language".to_string()
                } else {
                    "unexpected `;`: there is no command before it".to_string()
                };
                return Some(error(message, None, 1));
            }
            b'\n' => {
                if expects(positives, Rule::kw_in) {
                    return Some(error(
                        "expected `in` on the same line as `for NAME`".into(),
                        None,
                        0,
                    ));
                }
                return Some(error(
                    format!(
                        "unexpected end of line, expected {}",
                        expected_list(positives)
                    ),
                    None,
                    0,
                ));
            }
            _ => {}
        }

        None
    }

    /// The token found where pest failed: a reserved word, a bad name, or just
    /// not what was expected.
    fn unexpected_token(&self) -> SyntaxError {
        let positives = &self.positives;
        let error = |m, h, l| self.error(m, h, l);
        let token = found_token(&self.text[self.at..]);
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
            let message = if expects(positives, Rule::name_token) {
                format!("`{token}` is a reserved word and cannot be used as a name")
            } else if expected_list(positives) == "`;` or a newline" {
                format!("`{token}` is a reserved word and cannot start a command")
            } else {
                format!(
                    "unexpected `{token}`, expected {}",
                    expected_list(positives)
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
        if expects(positives, Rule::name_token) {
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
                expected_list(positives)
            ),
            None,
            token.len().max(1),
        )
    }
}

fn end_of_file(text: &str, unit_start: usize, at: usize, positives: &[Rule]) -> SyntaxError {
    let scan = scan_unit(&text[unit_start..at]);
    let opened = |offset: usize, what: &str| {
        Some(Opened {
            offset: unit_start + offset,
            what: what.to_string(),
        })
    };
    let (message, help, opened_at) = if let Some((offset, quote)) = scan.open_quote {
        let what = format!("{quote}…{quote} string");
        (
            format!("unterminated {what}"),
            Some("the string runs to the end of the file".to_string()),
            opened(offset, &what),
        )
    } else if let Some(opener) = scan.openers.last() {
        let missing = match opener.what {
            "`{`" => "`}`",
            "`if`" => "`fi`",
            _ => "`done`",
        };
        (
            format!("unexpected end of file: {missing} is missing"),
            None,
            opened(opener.offset, opener.what),
        )
    } else {
        let missing = if expects(positives, Rule::kw_fi) || expects(positives, Rule::kw_then) {
            "`fi`"
        } else if expects(positives, Rule::kw_done) || expects(positives, Rule::kw_do) {
            "`done`"
        } else if expects(positives, Rule::rbrace) {
            "`}`"
        } else {
            "the end of a statement"
        };
        (
            format!("unexpected end of file: {missing} is missing"),
            None,
            None,
        )
    };
    SyntaxError {
        span: Span::new(at, at),
        unit_start,
        message,
        help,
        opened_at,
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
    let raw_len = shown.len();
    let shown = escape_controls(&shown);
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
    error(message, Some(help.to_string()), raw_len.max(1))
}

struct Opener {
    offset: usize,
    what: &'static str,
}

struct UnitScan {
    open_quote: Option<(usize, char)>,
    /// Where the open constructs first number more than `MAX_NESTING`.
    too_deep_at: Option<usize>,
    /// Constructs still open at the end, innermost last.
    openers: Vec<Opener>,
}

/// A rough re-lexing of a failed unit, only to say what is still open at the
/// point of failure; the grammar has already decided that it is an error.
fn scan_unit(unit: &str) -> UnitScan {
    scan_unit_upto(unit, unit.len(), false)
}

/// `scan_unit`, stopping at the first token that starts at or after `limit`
/// (a string that opened before it is still followed to its end), or as soon as
/// the nesting is too deep when `until_too_deep`.
fn scan_unit_upto(unit: &str, limit: usize, until_too_deep: bool) -> UnitScan {
    let bytes = unit.as_bytes();
    let mut openers: Vec<Opener> = Vec::new();
    let mut too_deep_at = None;
    let mut i = 0;
    let mut token_start = true;
    while i < bytes.len() && i < limit {
        if too_deep_at.is_none() && openers.len() > MAX_NESTING {
            too_deep_at = openers.last().map(|o| o.offset);
            if until_too_deep {
                break;
            }
        }
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
                    return UnitScan {
                        open_quote: Some((open, quote as char)),
                        too_deep_at,
                        openers,
                    };
                }
            }
            b'{' => openers.push(Opener {
                offset: i,
                what: "`{`",
            }),
            b'}' => {
                if let Some(pos) = openers.iter().rposition(|o| o.what == "`{`") {
                    openers.truncate(pos);
                }
            }
            _ if token_start => {
                let end = bytes[i..]
                    .iter()
                    .position(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{' | b'}'))
                    .map_or(bytes.len(), |p| i + p);
                let keyword = match &unit[i..end] {
                    "if" => Some("`if`"),
                    "for" => Some("`for`"),
                    "while" => Some("`while`"),
                    "until" => Some("`until`"),
                    "fi" | "done" => {
                        openers.pop();
                        None
                    }
                    _ => None,
                };
                if let Some(what) = keyword {
                    openers.push(Opener { offset: i, what });
                }
            }
            _ => {}
        }
        token_start = matches!(
            bytes.get(i),
            Some(b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{' | b'}')
        );
        i += 1;
    }
    UnitScan {
        open_quote: None,
        too_deep_at,
        openers,
    }
}

/// End of the word starting at `at`, quotes included; the end of the text when
/// a quote in it never closes.
fn word_end(text: &str, at: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = at;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            quote @ (b'\'' | b'"') => {
                let mut j = i + 1;
                while j < bytes.len() && bytes[j] != quote {
                    j += if quote == b'"' && bytes[j] == b'\\' {
                        2
                    } else {
                        1
                    };
                }
                if j >= bytes.len() {
                    return bytes.len();
                }
                i = j + 1;
            }
            b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{' | b'}' | b'|' | b'&' | b'<' | b'>' => {
                return i;
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Offset of the first `$` in the word at the start of `rest` that does not begin
/// a valid variable reference (outside '…'), if any.
fn first_invalid_dollar(rest: &str) -> Option<usize> {
    let bytes = rest.as_bytes();
    let mut i = 0;
    let mut in_double = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'\'' if !in_double => {
                i += bytes[i + 1..]
                    .iter()
                    .position(|b| *b == b'\'')
                    .map_or(bytes.len(), |p| p + 1);
            }
            b'"' => in_double = !in_double,
            b' ' | b'\t' | b'\n' | b';' | b'{' | b'}' | b'|' | b'&' | b'<' | b'>' if !in_double => {
                return None;
            }
            b'$' => {
                let after = &rest[i + 1..];
                let valid = after.starts_with('"') && !in_double
                    || valid_reference(
                        after.strip_prefix('{').map_or(after, |inner| {
                            inner.split_once('}').map_or("", |(name, _)| name)
                        }),
                        after.starts_with('{'),
                    );
                if !valid {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn valid_reference(name_and_rest: &str, braced: bool) -> bool {
    let name = if braced {
        name_and_rest
    } else {
        let end = name_and_rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(name_and_rest.len());
        if end == 0 {
            return name_and_rest.starts_with(['?', '#', '*', '@']);
        }
        &name_and_rest[..end]
    };
    matches!(name, "?" | "#" | "*" | "@")
        || (!name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()))
        || name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// When the failure lies inside a `${…` that never became a valid reference,
/// the offset of its `$`.
fn inside_braced_variable(before: &str) -> Option<usize> {
    let token_start = before
        .rfind([' ', '\t', '\r', '\n', ';'])
        .map_or(0, |p| p + 1);
    let dollar = token_start + before[token_start..].rfind("${")?;
    if before[dollar..].contains('}') {
        return None;
    }
    Some(dollar)
}

fn found_token(rest: &str) -> &str {
    let end = rest
        .find([' ', '\t', '\r', '\n', ';', '{', '}', '|', '&', '<', '>'])
        .unwrap_or(rest.len());
    &rest[..end.max(rest.chars().next().map_or(0, char::len_utf8))]
}

/// A token from the file as a message quotes it: at most 40 characters, control
/// characters escaped (messages reach terminals and logs).
fn shorten(token: &str) -> String {
    if token.chars().count() > 40 {
        let cut: String = token.chars().take(37).collect();
        format!("{}...", escape_controls(&cut))
    } else {
        escape_controls(token).into_owned()
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
            Rule::word => "a word",
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
