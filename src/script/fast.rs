//! A hand-written parser for one GRUB parse unit, the fast path in front of pest.
//!
//! `grammar/grub.pest` stays the specification: every function here mirrors one
//! rule of it (named in its comment) with the same PEG semantics — ordered choice,
//! repetitions that give back a failed attempt, lookaheads that consume nothing.
//! The answer is either exactly what `parse.rs` gets from pest and `Lowering` for
//! the unit (its end, its statements with the same spans, whether it holds a
//! command), or "not sure" (`Bail`), and the caller then runs pest on the unit.
//! Anything not modelled bails: a word part that does not close (an unterminated
//! quote, a bad `$`), nesting deeper than `MAX_FAST_DEPTH`, and a unit that does
//! not parse — syntax errors always come from pest, whose messages they are.
//!
//! Why: pest's per-rule overhead (its stack guard, literal memcmp, PUSH/POP
//! snapshots) made `bootvet parse` no faster than grub-script-check on one core;
//! grub.cfg files are almost all plain commands and blocks, which this walks
//! byte by byte. `tests/parse_fast.rs` and `fuzzing::parse` check it against
//! pest alone on real configs, their mutations and random bytes.

use super::ast::*;
use super::words::split_word;

/// Deeper nesting is left to pest (and to `too_deep`, whose bound, `MAX_NESTING`,
/// is higher, so a unit taken here never needs its verdict).
const MAX_FAST_DEPTH: usize = 64;

/// One unit as the pest path would have produced it.
pub(super) struct FastUnit {
    /// Offset just past the unit (its newline, or the end of the text).
    pub end: usize,
    /// Empty unless statements were asked for.
    pub statements: Vec<Statement>,
    /// A top-level statement other than a function definition (`parse_units`).
    pub has_commands: bool,
}

/// "Not sure": the caller parses the unit with pest.
struct Bail;

/// `Ok(Some(x))`: the rule matched; `Ok(None)`: it fails here, exactly as in pest
/// (so the caller may backtrack as the grammar does); `Err(Bail)`: not modelled.
type Res<T> = Result<Option<T>, Bail>;

/// Parses the unit starting at `pos` (grammar rule `unit`). `tree`: build the
/// statements (else only the end and `has_commands`, for `check`).
pub(super) fn unit(text: &str, pos: usize, tree: bool) -> Option<FastUnit> {
    let mut fast = Fast {
        text,
        bytes: text.as_bytes(),
        tree,
        depth: 0,
    };
    fast.unit(pos).ok()
}

struct Fast<'a> {
    text: &'a str,
    bytes: &'a [u8],
    tree: bool,
    depth: usize,
}

/// What ends a word and what `token_end` accepts after a keyword: blanks, the
/// newline and `; { } | & < >` (the rest of the `token_end` class is the
/// complement of this within what can follow: bare characters, `\ ' " $`).
fn is_term(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t' | b'\n' | b'\r' | b';' | b'{' | b'}' | b'|' | b'&' | b'<' | b'>'
    )
}

/// flex CHAR, grammar rule `bare` (bytes ≥ 0x80 are parts of characters ≥ U+0080).
fn is_bare(b: u8) -> bool {
    !is_term(b) && !matches!(b, b'"' | b'$' | b'\'' | b'\\')
}

/// Length of the UTF-8 character whose first byte is `b` (`ANY` takes one).
fn char_len(b: u8) -> usize {
    match b {
        0..0x80 => 1,
        0x80..0xe0 => 2,
        0xe0..0xf0 => 3,
        _ => 4,
    }
}

/// Reserved words (grammar rule `reserved`).
const RESERVED: &[&[u8]] = &[
    b"if",
    b"then",
    b"elif",
    b"else",
    b"fi",
    b"for",
    b"in",
    b"done",
    b"do",
    b"while",
    b"until",
    b"function",
    b"case",
    b"esac",
    b"select",
];

impl Fast<'_> {
    fn at(&self, i: usize) -> Option<u8> {
        self.bytes.get(i).copied()
    }

    /// `token_end`: end of text or a terminator.
    fn token_end(&self, i: usize) -> bool {
        self.at(i).is_none_or(is_term)
    }

    /// `kw_*`: the keyword as a whole token.
    fn kw(&self, i: usize, word: &[u8]) -> bool {
        self.bytes[i..].starts_with(word) && self.token_end(i + word.len())
    }

    /// `reserved`. None of the words is a prefix of an earlier one in the
    /// grammar's list (`done` comes before `do`), so ordered choice followed by
    /// `token_end` is "one of them, as a whole token".
    fn reserved(&self, i: usize) -> bool {
        matches!(self.at(i), Some(b'c'..=b'f' | b'i' | b's'..=b'u' | b'w'))
            && RESERVED.iter().any(|w| self.kw(i, w))
    }

    /// `sp_nocomment` (and `blanks` when it moved): ' ', '\t' and '\r'.
    fn blanks(&self, mut i: usize) -> Result<usize, Bail> {
        while let Some(b' ' | b'\t' | b'\r') = self.at(i) {
            i += 1;
        }
        Ok(i)
    }

    /// `sp`: blanks and an optional comment up to (not including) the newline.
    fn sp(&self, i: usize) -> Result<usize, Bail> {
        let i = self.blanks(i)?;
        if self.at(i) != Some(b'#') {
            return Ok(i);
        }
        Ok(self.bytes[i..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(self.bytes.len(), |n| i + n))
    }

    /// `newlines0 = (sp ~ "\n")*`.
    fn newlines0(&self, mut i: usize) -> Result<usize, Bail> {
        loop {
            let j = self.sp(i)?;
            if self.at(j) != Some(b'\n') {
                return Ok(i);
            }
            i = j + 1;
        }
    }

    /// `delimiters1 = delimiter ~ (sp ~ "\n")*`, `delimiter = sp ~ (";" | "\n")`.
    fn delimiters1(&self, i: usize) -> Res<usize> {
        let j = self.sp(i)?;
        if !matches!(self.at(j), Some(b';' | b'\n')) {
            return Ok(None);
        }
        Ok(Some(self.newlines0(j + 1)?))
    }

    /// `name_token = (ASCII_ALPHA | "_") ~ (ASCII_ALPHANUMERIC | "_")* ~ token_end`.
    fn name_token(&self, i: usize) -> Option<usize> {
        let first = self.at(i)?;
        if !(first.is_ascii_alphabetic() || first == b'_') {
            return None;
        }
        let len = self.bytes[i..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        self.token_end(i + len).then_some(i + len)
    }

    /// `word`: its end, or `None` when it cannot start here. A part that starts
    /// but does not close bails (pest would end the word before it, or fail).
    fn word(&self, i: usize) -> Res<usize> {
        let Some(first) = self.at(i) else {
            return Ok(None);
        };
        // !"#" ~ !(("[[" | "]]") ~ token_end): `[[`/`]]` alone are no word.
        if first == b'#' {
            return Ok(None);
        }
        if matches!(self.bytes[i..], [b'[', b'[', ..] | [b']', b']', ..]) && self.token_end(i + 2) {
            return Ok(None);
        }
        if is_term(first) {
            // No word part starts with a terminator (`bare` excludes them all).
            return Ok(None);
        }
        let mut j = i;
        loop {
            j = self.word_part(j)?;
            match self.at(j) {
                None => return Ok(Some(j)),
                Some(b) if is_term(b) => return Ok(Some(j)),
                Some(_) => {}
            }
        }
    }

    /// `word_part = bare | line_continuation | escape | sq_string | gettext_string
    /// | dq_string | variable` at a byte that is not a terminator.
    fn word_part(&self, j: usize) -> Result<usize, Bail> {
        let bytes = self.bytes;
        match bytes[j] {
            b'\\' => match self.at(j + 1) {
                // line_continuation = "\\" ~ "\r"? ~ "\n" ~ !EOI
                Some(b'\n') if j + 2 < bytes.len() => Ok(j + 2),
                Some(b'\r') if self.at(j + 2) == Some(b'\n') && j + 3 < bytes.len() => Ok(j + 3),
                Some(b'\n') | None => Err(Bail),
                // escape = "\\" ~ (!"\n" ~ ANY), also of a '\r' that no
                // continuation follows.
                Some(c) => Ok(j + 1 + char_len(c)),
            },
            // sq_string = "'" ~ (!"'" ~ ANY)* ~ "'"
            b'\'' => match bytes[j + 1..].iter().position(|b| *b == b'\'') {
                Some(n) => Ok(j + 1 + n + 1),
                None => Err(Bail),
            },
            b'$' if self.at(j + 1) == Some(b'"') => self.gettext(j + 2),
            b'"' => self.dq(j + 1),
            b'$' => self.variable(j).ok_or(Bail),
            _ => Ok(j + bytes[j..].iter().take_while(|b| is_bare(**b)).count()),
        }
    }

    /// `variable = "$" ~ (("{" ~ variable_name ~ "}") | variable_name)` at the `$`.
    fn variable(&self, j: usize) -> Option<usize> {
        if self.at(j + 1) == Some(b'{') {
            // If the braced form fails, the bare form fails too: `{` is no name.
            let end = self.variable_name(j + 2)?;
            return (self.at(end) == Some(b'}')).then_some(end + 1);
        }
        self.variable_name(j + 1)
    }

    /// `variable_name = (ASCII_ALPHA | "_") ~ (ASCII_ALPHANUMERIC | "_")*
    /// | ASCII_DIGIT+ | "?" | "#" | "*" | "@"` (the first byte picks the branch).
    fn variable_name(&self, k: usize) -> Option<usize> {
        let first = self.at(k)?;
        let run = |ok: fn(&u8) -> bool| k + self.bytes[k..].iter().take_while(|b| ok(b)).count();
        if first.is_ascii_alphabetic() || first == b'_' {
            Some(run(|b| b.is_ascii_alphanumeric() || *b == b'_'))
        } else if first.is_ascii_digit() {
            Some(run(u8::is_ascii_digit))
        } else {
            matches!(first, b'?' | b'#' | b'*' | b'@').then_some(k + 1)
        }
    }

    /// `dq_string` from just after its opening quote to just after its closing one:
    /// `(dq_escape | line_continuation | variable | dq_text)* ~ "\""`.
    fn dq(&self, mut j: usize) -> Result<usize, Bail> {
        loop {
            match self.at(j) {
                None => return Err(Bail),
                Some(b'"') => return Ok(j + 1),
                Some(b'\\') => match self.at(j + 1) {
                    // dq_escape
                    Some(b'$' | b'"' | b'\\') => j += 2,
                    Some(b'\n' | b'\r') => j = self.quoted_backslash(j)?,
                    None => return Err(Bail),
                    // dq_text: "\\" ~ !(…) keeps the backslash alone.
                    Some(_) => j += 1,
                },
                Some(b'$') => j = self.variable(j).ok_or(Bail)?,
                Some(_) => j += 1,
            }
        }
    }

    /// `gettext_string` from just after `$"` to just after its closing quote:
    /// `(gettext_escape | line_continuation | gettext_text)* ~ "\""`.
    fn gettext(&self, mut j: usize) -> Result<usize, Bail> {
        loop {
            match self.at(j) {
                None => return Err(Bail),
                Some(b'"') => return Ok(j + 1),
                Some(b'\\') => match self.at(j + 1) {
                    // gettext_escape "\\\"", and "\\\\" in gettext_text
                    Some(b'"' | b'\\') => j += 2,
                    Some(b'\n' | b'\r') => j = self.quoted_backslash(j)?,
                    None => return Err(Bail),
                    Some(_) => j += 1,
                },
                Some(_) => j += 1,
            }
        }
    }

    /// `line_continuation = "\\" ~ "\r"? ~ "\n" ~ !EOI` at the backslash `j`.
    fn continuation(&self, j: usize) -> Option<usize> {
        let newline = j + 1 + usize::from(self.at(j + 1) == Some(b'\r'));
        let end = newline + 1;
        (self.at(newline) == Some(b'\n') && end < self.bytes.len()).then_some(end)
    }

    /// Inside "…" or $"…", a backslash at `j` before '\n' or '\r': the end of a
    /// continuation; else, before a '\r' alone, the backslash by itself (the
    /// `"\\" ~ !(…)` branch of dq_text and gettext_text). A backslash-newline
    /// that ends the text is neither, and the string fails.
    fn quoted_backslash(&self, j: usize) -> Result<usize, Bail> {
        if let Some(end) = self.continuation(j) {
            return Ok(end);
        }
        let newline = j + 1 + usize::from(self.at(j + 1) == Some(b'\r'));
        if self.at(newline) == Some(b'\n') {
            Err(Bail)
        } else {
            Ok(j + 1)
        }
    }

    /// A `word` pair lowered as `Lowering::word` does, kept when it has parts.
    fn push_word(&self, words: &mut Vec<Word>, start: usize, end: usize) {
        if !self.tree {
            return;
        }
        let parts = split_word(&self.text[start..end], start);
        if !parts.is_empty() {
            words.push(Word {
                parts,
                span: Span::new(start, end),
            });
        }
    }

    /// Enters a nesting rule (`block`, `if_cmd`, loops, `function_def`).
    fn nest<T>(&mut self, rule: impl FnOnce(&mut Self) -> Res<T>) -> Res<T> {
        self.depth += 1;
        if self.depth > MAX_FAST_DEPTH {
            return Err(Bail);
        }
        let result = rule(self);
        self.depth -= 1;
        result
    }

    fn unit(&mut self, pos: usize) -> Result<FastUnit, Bail> {
        // unit = sp ~ (statement ~ (sp ~ ";" ~ sp ~ statement)* ~ sp ~ (";" ~ sp)?)? ~ line_end
        let mut statements = Vec::new();
        let mut has_commands = false;
        let mut end = self.sp(pos)?;
        if let Some((mut j, command)) = self.statement(end, &mut statements)? {
            has_commands |= command;
            loop {
                let k = self.sp(j)?;
                if self.at(k) != Some(b';') {
                    break;
                }
                let k = self.sp(k + 1)?;
                match self.statement(k, &mut statements)? {
                    Some((e, command)) => {
                        has_commands |= command;
                        j = e;
                    }
                    None => break,
                }
            }
            end = self.sp(j)?;
            if self.at(end) == Some(b';') {
                end = self.sp(end + 1)?;
            }
        }
        // line_end = "\n" | EOI; anything else is a syntax error, pest's to report.
        match self.at(end) {
            None => {}
            Some(b'\n') => end += 1,
            Some(_) => return Err(Bail),
        }
        Ok(FastUnit {
            end,
            statements,
            has_commands,
        })
    }

    /// `statement = simple_cmd | function_def | compound`; also says whether it
    /// is a command (not a function definition).
    fn statement(&mut self, i: usize, out: &mut Vec<Statement>) -> Res<(usize, bool)> {
        if self.kw(i, b"function") {
            // simple_cmd fails on a reserved word.
            return Ok(self.function_def(i, out)?.map(|e| (e, false)));
        }
        Ok(self.command(i, out)?.map(|e| (e, true)))
    }

    /// `command = simple_cmd | compound`. Every compound starts with a reserved
    /// word, on which simple_cmd fails, and at most one keyword matches.
    fn command(&mut self, i: usize, out: &mut Vec<Statement>) -> Res<usize> {
        if !self.reserved(i) {
            return self.simple_cmd(i, out);
        }
        if self.kw(i, b"if") {
            self.nest(|p| p.if_cmd(i, out))
        } else if self.kw(i, b"for") {
            self.nest(|p| p.for_cmd(i, out))
        } else if self.kw(i, b"while") || self.kw(i, b"until") {
            self.nest(|p| p.loop_cmd(i, out))
        } else {
            Ok(None)
        }
    }

    /// `simple_cmd = command_word ~ (blanks ~ argument)* ~ (sp_nocomment ~ &"{" ~ block)?`
    /// (the caller has checked `!reserved`).
    fn simple_cmd(&mut self, i: usize, out: &mut Vec<Statement>) -> Res<usize> {
        let Some(mut end) = self.word(i)? else {
            return Ok(None);
        };
        let mut words = Vec::new();
        self.push_word(&mut words, i, end);
        end = self.arguments(end, &mut words)?;
        let mut block = None;
        let j = self.blanks(end)?;
        if self.at(j) == Some(b'{')
            && let Some((e, b)) = self.nest(|p| p.block(j))?
        {
            end = e;
            block = Some(b);
        }
        if self.tree {
            out.push(Statement::Command(Command {
                words,
                block,
                span: Span::new(i, end),
            }));
        }
        Ok(Some(end))
    }

    /// `(blanks ~ argument)*`: gives back blanks not followed by a word.
    fn arguments(&self, mut end: usize, words: &mut Vec<Word>) -> Result<usize, Bail> {
        loop {
            let j = self.blanks(end)?;
            if j == end {
                return Ok(end);
            }
            match self.word(j)? {
                Some(e) => {
                    self.push_word(words, j, e);
                    end = e;
                }
                None => return Ok(end),
            }
        }
    }

    /// `commands = newlines0 ~ sp ~ command ~ (delimiters1 ~ sp ~ !"}" ~ command)*`.
    fn commands(&mut self, i: usize) -> Res<(usize, Vec<Statement>)> {
        let j = self.sp(self.newlines0(i)?)?;
        let mut list = Vec::new();
        let Some(mut end) = self.command(j, &mut list)? else {
            return Ok(None);
        };
        while let Some(k) = self.delimiters1(end)? {
            let k = self.sp(k)?;
            if self.at(k) == Some(b'}') {
                break;
            }
            match self.command(k, &mut list)? {
                Some(e) => end = e,
                None => break,
            }
        }
        Ok(Some((end, list)))
    }

    /// `block = lbrace ~ commands ~ delimiters0 ~ sp ~ rbrace` at the `{`.
    fn block(&mut self, i: usize) -> Res<(usize, Block)> {
        let Some((j, body)) = self.commands(i + 1)? else {
            return Ok(None);
        };
        let j = self.delimiters1(j)?.unwrap_or(j);
        let j = self.sp(j)?;
        if self.at(j) != Some(b'}') {
            return Ok(None);
        }
        Ok(Some((
            j + 1,
            Block {
                body,
                span: Span::new(i, j + 1),
                inner: Span::new(i + 1, j),
            },
        )))
    }

    /// `function_def = kw_function ~ sp_nocomment ~ !reserved ~ name_token ~ newlines0
    /// ~ sp ~ lbrace ~ commands ~ delimiters1 ~ sp ~ rbrace`.
    fn function_def(&mut self, i: usize, out: &mut Vec<Statement>) -> Res<usize> {
        let name_start = self.blanks(i + b"function".len())?;
        if self.reserved(name_start) {
            return Ok(None);
        }
        let Some(name_end) = self.name_token(name_start) else {
            return Ok(None);
        };
        let j = self.sp(self.newlines0(name_end)?)?;
        if self.at(j) != Some(b'{') {
            return Ok(None);
        }
        let Some((end, body)) = self.nest(|p| p.braced_body(j))? else {
            return Ok(None);
        };
        if self.tree {
            out.push(Statement::Function(FunctionDef {
                name: self.text[name_start..name_end].to_string(),
                name_span: Span::new(name_start, name_end),
                body,
                span: Span::new(i, end),
            }));
        }
        Ok(Some(end))
    }

    /// `lbrace ~ commands ~ delimiters1 ~ sp ~ rbrace` of `function_def`.
    fn braced_body(&mut self, i: usize) -> Res<(usize, Vec<Statement>)> {
        let Some((j, body)) = self.commands(i + 1)? else {
            return Ok(None);
        };
        let Some(j) = self.delimiters1(j)? else {
            return Ok(None);
        };
        let j = self.sp(j)?;
        Ok((self.at(j) == Some(b'}')).then_some((j + 1, body)))
    }

    /// `commands ~ delimiters1 ~ sp ~ KEYWORD`: a list ended by `then`, `do`,
    /// `done` or `fi`; returns the list and the offset just past the keyword.
    fn list_then(&mut self, i: usize, keyword: &[u8]) -> Res<(usize, Vec<Statement>)> {
        let Some((j, list)) = self.commands(i)? else {
            return Ok(None);
        };
        let Some(j) = self.delimiters1(j)? else {
            return Ok(None);
        };
        let j = self.sp(j)?;
        Ok(self.kw(j, keyword).then_some((j + keyword.len(), list)))
    }

    /// `if_cmd = kw_if ~ if_clause ~ sp ~ kw_fi`, lowered as `Lowering::if_command`.
    fn if_cmd(&mut self, i: usize, out: &mut Vec<Statement>) -> Res<usize> {
        let mut branches = Vec::new();
        let mut else_body = None;
        let Some(j) = self.if_clause(i + 2, &mut branches, &mut else_body)? else {
            return Ok(None);
        };
        let j = self.sp(j)?;
        if !self.kw(j, b"fi") {
            return Ok(None);
        }
        let end = j + 2;
        if self.tree {
            // The `if` branch's span is the whole command's (`Lowering::if_clause`).
            if let Some(first) = branches.first_mut() {
                first.span = Span::new(i, end);
            }
            out.push(Statement::If(IfCommand {
                branches,
                else_body,
                span: Span::new(i, end),
            }));
        }
        Ok(Some(end))
    }

    /// `if_clause = commands ~ delimiters1 ~ sp ~ kw_then ~ commands ~ delimiters1
    /// ~ sp ~ (elif_part | else_part)?`, with `elif_part = kw_elif ~ if_clause` and
    /// `else_part = kw_else ~ commands ~ delimiters1`. Pushes its branch (span
    /// set by the caller) before those of its `elif`s, as the lowering does.
    fn if_clause(
        &mut self,
        i: usize,
        branches: &mut Vec<IfBranch>,
        else_body: &mut Option<Vec<Statement>>,
    ) -> Res<usize> {
        let Some((j, condition)) = self.list_then(i, b"then")? else {
            return Ok(None);
        };
        let Some((j, body)) = self.commands(j)? else {
            return Ok(None);
        };
        let Some(j) = self.delimiters1(j)? else {
            return Ok(None);
        };
        let mut end = self.sp(j)?;
        let mark = branches.len();
        if self.tree {
            branches.push(IfBranch {
                condition,
                body,
                span: Span::default(),
            });
        }
        if self.kw(end, b"elif") {
            let mut nested_else = None;
            match self.if_clause(end + 4, branches, &mut nested_else)? {
                Some(e) => {
                    if let Some(branch) = branches.get_mut(mark + 1) {
                        branch.span = Span::new(end, e);
                    }
                    *else_body = nested_else;
                    end = e;
                }
                None => branches.truncate(mark + 1),
            }
        } else if self.kw(end, b"else")
            && let Some((k, body)) = self.commands(end + 4)?
            && let Some(k) = self.delimiters1(k)?
        {
            *else_body = Some(body);
            end = k;
        }
        Ok(Some(end))
    }

    /// `for_cmd = kw_for ~ sp_nocomment ~ !reserved ~ name_token ~ sp_nocomment ~ kw_in
    /// ~ (blanks ~ argument)* ~ delimiters1 ~ sp ~ kw_do ~ commands ~ delimiters1 ~ sp ~ kw_done`.
    fn for_cmd(&mut self, i: usize, out: &mut Vec<Statement>) -> Res<usize> {
        let name_start = self.blanks(i + 3)?;
        if self.reserved(name_start) {
            return Ok(None);
        }
        let Some(name_end) = self.name_token(name_start) else {
            return Ok(None);
        };
        let j = self.blanks(name_end)?;
        if !self.kw(j, b"in") {
            return Ok(None);
        }
        let mut items = Vec::new();
        let j = self.arguments(j + 2, &mut items)?;
        let Some(j) = self.delimiters1(j)? else {
            return Ok(None);
        };
        let j = self.sp(j)?;
        if !self.kw(j, b"do") {
            return Ok(None);
        }
        let Some((end, body)) = self.list_then(j + 2, b"done")? else {
            return Ok(None);
        };
        if self.tree {
            out.push(Statement::For(ForLoop {
                variable: self.text[name_start..name_end].to_string(),
                items,
                body,
                span: Span::new(i, end),
            }));
        }
        Ok(Some(end))
    }

    /// `while_cmd`/`until_cmd = kw ~ commands ~ delimiters1 ~ sp ~ kw_do ~ commands
    /// ~ delimiters1 ~ sp ~ kw_done`.
    fn loop_cmd(&mut self, i: usize, out: &mut Vec<Statement>) -> Res<usize> {
        let until = self.bytes[i] == b'u';
        let Some((j, condition)) = self.list_then(i + 5, b"do")? else {
            return Ok(None);
        };
        let Some((end, body)) = self.list_then(j, b"done")? else {
            return Ok(None);
        };
        if self.tree {
            out.push(Statement::Loop(LoopCommand {
                until,
                condition,
                body,
                span: Span::new(i, end),
            }));
        }
        Ok(Some(end))
    }
}
