//! Drives the pest grammar over a file one GRUB parse unit at a time and lowers
//! pest's pairs into the owned AST. No pest type leaves this module. Each unit is
//! offered first to the hand-written fast path (`fast.rs`), which answers exactly
//! as pest would or declines; pest, the specification, parses the rest.

use pest::Parser;
use pest::error::{Error, ErrorVariant, InputLocation};
use pest::iterators::{Pair, Pairs};

use super::ast::*;
use super::error::{SyntaxError, describe_failure};
use super::fast;
use super::words::split_word;
use crate::source::text_for_parsing;

pub(super) mod grammar {
    #[derive(pest_derive::Parser)]
    #[grammar = "../grammar/grub.pest"]
    pub struct GrubParser;
}

use grammar::{GrubParser, Rule};

/// Blocks, `if`s and loops nested deeper than this are refused as a syntax error
/// instead of recursing without bound. pest itself stops with an error before the
/// native stack runs out; this bound keeps the lowering below it shallow too. No
/// real config comes near it.
pub const MAX_NESTING: usize = 200;

/// Files larger than this are parsed on several threads (see `parse`).
const PARALLEL_THRESHOLD: usize = 1 << 20;

/// Syntax errors kept per file; the rest are only counted (`Script::more_errors`).
/// GRUB itself stops at the first; a hundred is more than anyone reads, and a
/// file of random bytes has hundreds of thousands.
pub const MAX_ERRORS: usize = 100;

/// How far past a unit's first line pest is first shown (see `parse_unit`).
const FIRST_WINDOW: usize = 256;

/// Parses a whole file as GRUB reads it: unit after unit, recovering after an
/// error at the next line. Never fails; the errors are part of the result.
///
/// Large files are cut into chunks at lines that probably start a unit, and the
/// chunks are parsed in parallel. A chunk's result is kept only when the chunk
/// before it really ended exactly where it starts (GRUB's parser carries no state
/// from one unit to the next, so the result is then identical to a sequential
/// parse); otherwise that stretch is parsed again in order.
pub fn parse(source: &[u8]) -> Script {
    parse_file(
        source,
        Output::Tree,
        available_threads(),
        FIRST_WINDOW,
        true,
    )
    .script
}

/// `parse` on one thread: the reference the parallel path is tested against.
#[doc(hidden)]
pub fn parse_sequentially(source: &[u8]) -> Script {
    parse_file(source, Output::Tree, 1, FIRST_WINDOW, true).script
}

/// `parse` on one thread showing pest the whole rest of the file for every unit:
/// the reference the windowed parse is tested against (quadratic in the number
/// of errors, so only for small inputs).
#[doc(hidden)]
pub fn parse_unwindowed(source: &[u8]) -> Script {
    parse_file(source, Output::Tree, 1, usize::MAX, false).script
}

/// `parse` with pest for every unit (no `fast` path): the specification the
/// fast path is tested against.
#[doc(hidden)]
pub fn parse_without_fast_path(source: &[u8]) -> Script {
    parse_file(
        source,
        Output::Tree,
        available_threads(),
        FIRST_WINDOW,
        false,
    )
    .script
}

/// `check` with pest for every unit (see `parse_without_fast_path`).
#[doc(hidden)]
pub fn check_without_fast_path(source: &[u8]) -> SyntaxCheck {
    let chunk = parse_file(
        source,
        Output::ErrorsOnly,
        available_threads(),
        FIRST_WINDOW,
        false,
    );
    SyntaxCheck {
        errors: chunk.script.errors,
        more_errors: chunk.script.more_errors,
        has_commands: chunk.has_commands,
    }
}

/// How many units of a file the fast path took, and how many there were
/// (sequential, errors only): a test pins the share on real configs so that a
/// change that silently sends everything to pest fails.
#[doc(hidden)]
pub fn fast_path_units(source: &[u8]) -> (usize, usize) {
    let text = text_for_parsing(source);
    let text: &str = &text;
    let chunk = std::thread::scope(|scope| {
        join(on_parser_stack(scope, move || {
            parse_units(text, 0, text.len(), Output::ErrorsOnly, FIRST_WINDOW, true)
        }))
    });
    (chunk.fast_units, chunk.units)
}

fn available_threads() -> usize {
    // std reads the cgroup files on every call, and evaluating a menu parses
    // every sourced file: asked once per process.
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// What a syntax check needs to know, without building the tree.
#[derive(Clone, Debug, Default)]
pub struct SyntaxCheck {
    /// The first `MAX_ERRORS` errors, in file order.
    pub errors: Vec<SyntaxError>,
    /// Errors after those, counted only.
    pub more_errors: usize,
    /// False when the file holds only blank lines, comments and function
    /// definitions (grub-script-check refuses such a file).
    pub has_commands: bool,
}

/// Parses like `parse` but keeps only the errors: the AST of a large file costs
/// more to build than to parse, and `bootvet parse` without `--dump`/`--json`
/// does not show it.
pub fn check(source: &[u8]) -> SyntaxCheck {
    let chunk = parse_file(
        source,
        Output::ErrorsOnly,
        available_threads(),
        FIRST_WINDOW,
        true,
    );
    SyntaxCheck {
        errors: chunk.script.errors,
        more_errors: chunk.script.more_errors,
        has_commands: chunk.has_commands,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Output {
    Tree,
    ErrorsOnly,
}

/// `fast`: try `fast::unit` before pest on every unit.
fn parse_file(source: &[u8], output: Output, threads: usize, window: usize, fast: bool) -> Chunk {
    let text = text_for_parsing(source);
    let text: &str = &text;
    if text.len() < PARALLEL_THRESHOLD || threads < 2 {
        return std::thread::scope(|scope| {
            join(on_parser_stack(scope, move || {
                parse_units(text, 0, text.len(), output, window, fast)
            }))
        });
    }
    let starts = chunk_starts(text, threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = starts
            .iter()
            .enumerate()
            .map(|(i, &start)| {
                let stop = starts.get(i + 1).copied().unwrap_or(text.len());
                on_parser_stack(scope, move || {
                    parse_units(text, start, stop, output, window, fast)
                })
            })
            .collect();
        let mut whole = Chunk {
            start: 0,
            end: 0,
            script: Script::default(),
            has_commands: false,
            units: 0,
            fast_units: 0,
        };
        for (i, handle) in handles.into_iter().enumerate() {
            let chunk = join(handle);
            let stop = starts.get(i + 1).copied().unwrap_or(text.len());
            if chunk.start == whole.end {
                whole.append(chunk);
            } else if whole.end < stop {
                // The guess was wrong: this stretch belongs to a unit that began earlier.
                let from = whole.end;
                whole.append(join(on_parser_stack(scope, move || {
                    parse_units(text, from, stop, output, window, fast)
                })));
            }
        }
        whole
    })
}

/// Native stack for parser threads. pest stops with an error when its stack runs
/// low; a fixed size makes where that happens the same on every thread and run.
const PARSER_STACK_BYTES: usize = 64 << 20;

fn on_parser_stack<'scope, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    work: impl FnOnce() -> T + Send + 'scope,
) -> std::thread::ScopedJoinHandle<'scope, T> {
    match std::thread::Builder::new()
        .name("bootvet-parse".into())
        .stack_size(PARSER_STACK_BYTES)
        .spawn_scoped(scope, work)
    {
        Ok(handle) => handle,
        // Without a thread of our own there is no parsing at all: nothing to recover.
        Err(err) => panic!("cannot start a parser thread: {err}"),
    }
}

fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

struct Chunk {
    start: usize,
    /// Where the last unit parsed ended: at or after the stop it was given.
    end: usize,
    script: Script,
    has_commands: bool,
    /// Units parsed, and how many of them the fast path took.
    units: usize,
    fast_units: usize,
}

impl Chunk {
    fn append(&mut self, next: Chunk) {
        self.end = next.end;
        self.script.statements.extend(next.script.statements);
        let room = MAX_ERRORS.saturating_sub(self.script.errors.len());
        let mut errors = next.script.errors;
        let beyond = errors.len().saturating_sub(room);
        errors.truncate(room);
        self.script.errors.extend(errors);
        self.script.more_errors += beyond + next.script.more_errors;
        self.has_commands |= next.has_commands;
        self.units += next.units;
        self.fast_units += next.fast_units;
    }
}

/// Line starts that begin with a letter at column 0, about evenly spaced: in
/// generated configs those are top-level statements (`menuentry`, `if`, …).
fn chunk_starts(text: &str, chunks: usize) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    for k in 1..chunks {
        let target = (bytes.len() / chunks * k).max(*starts.last().unwrap_or(&0) + 1);
        let mut i = target;
        while i < bytes.len() {
            let Some(nl) = bytes[i..].iter().position(|b| *b == b'\n') else {
                i = bytes.len();
                break;
            };
            i += nl + 1;
            if bytes.get(i).is_some_and(u8::is_ascii_alphabetic) && bytes[i - 1] == b'\n' {
                break;
            }
        }
        if i >= bytes.len() {
            break;
        }
        starts.push(i);
    }
    starts
}

/// Parses the units that start in `start..stop`; the last may run past `stop`.
fn parse_units(
    text: &str,
    start: usize,
    stop: usize,
    output: Output,
    window: usize,
    fast: bool,
) -> Chunk {
    let mut script = Script::default();
    let mut has_commands = false;
    let mut pos = start;
    let (mut units, mut fast_units) = (0, 0);
    while pos < stop && pos < text.len() {
        units += 1;
        // The hand-written parser answers for most units; pest for the rest.
        if fast && let Some(unit) = fast::unit(text, pos, output == Output::Tree) {
            fast_units += 1;
            has_commands |= unit.has_commands;
            script.statements.extend(unit.statements);
            if unit.end == pos {
                break;
            }
            pos = unit.end;
            continue;
        }
        match parse_unit(text, pos, window) {
            Ok(unit) => {
                let consumed = unit.as_span().end();
                if let Some(at) = too_deep(&unit) {
                    // GRUB would run it; bootvet refuses to follow it, and says so.
                    script.push_error(SyntaxError::too_deep(pos + at, pos));
                    pos += consumed.max(1);
                    continue;
                }
                has_commands = has_commands
                    || unit.clone().into_inner().any(|p| {
                        matches!(
                            p.as_rule(),
                            Rule::simple_cmd
                                | Rule::if_cmd
                                | Rule::for_cmd
                                | Rule::while_cmd
                                | Rule::until_cmd
                        )
                    });
                if output == Output::Tree {
                    let lowering = Lowering { base: pos };
                    script
                        .statements
                        .extend(lowering.statements(unit.into_inner()));
                }
                if consumed == 0 {
                    break;
                }
                pos += consumed;
            }
            Err(err) => {
                let error = describe_failure(text, pos, &err);
                pos = line_after(text, error.span.start);
                script.push_error(error);
            }
        }
    }
    Chunk {
        start,
        end: pos,
        script,
        has_commands,
        units,
        fast_units,
    }
}

/// Parses the unit that starts at `pos`, showing pest only a window of the text
/// after it, widened until the answer cannot depend on what lies beyond.
///
/// Why: on failure pest builds its error by walking back from the *end* of its
/// input to the failing line, so every syntax error cost the length of the rest
/// of the file, and a file of errors (random bytes, a column of `}`) took time
/// quadratic in its size. A window keeps each unit's cost near its own length.
///
/// The window ends at a newline outside strings and not escaped (`window_end`),
/// so no word, which pest matches atomically and without a record of how far it
/// looked, can reach past it. Then a window's answer stands for the whole text's:
/// - a unit that parsed and ended with its newline inside the window: a unit
///   that succeeds never looks past its final newline (every construct in it
///   closed before that newline, and the top level only tries `;` and the line
///   end there);
/// - a failure well before the window's end: outside words, reading on past a
///   newline (blank lines inside an open block, `if` or loop) always ends in an
///   attempt at a rule there (a command, `}`, `then`, `do`, …), and pest
///   reports the farthest position where a rule failed.
///
/// Anything else, including pest's stack guard, is tried again in a window four
/// times wider, up to the whole rest of the file.
fn parse_unit(text: &str, pos: usize, first_window: usize) -> Result<Pair<'_, Rule>, Error<Rule>> {
    /// Slack before the window's end within which a failure is not trusted:
    /// more than any lookahead after a rule's start (`function` and one byte).
    const SLACK: usize = 32;
    let mut window = first_window;
    loop {
        let end = window_end(text, pos, window);
        let result = GrubParser::parse(Rule::unit, &text[pos..end]);
        if end == text.len() {
            return result.and_then(|mut pairs| pairs.next().ok_or_else(|| no_unit(&text[pos..])));
        }
        match result {
            Ok(mut pairs) => {
                if let Some(unit) = pairs.next() {
                    let unit_end = pos + unit.as_span().end();
                    if unit_end > pos && text.as_bytes()[unit_end - 1] == b'\n' {
                        return Ok(unit);
                    }
                }
            }
            Err(err) => {
                let at = match err.location {
                    InputLocation::Pos(p) => p,
                    InputLocation::Span((p, _)) => p,
                };
                if matches!(err.variant, ErrorVariant::ParsingError { .. })
                    && pos + at + SLACK < end
                {
                    return Err(err);
                }
            }
        }
        window = window.saturating_mul(4);
    }
}

/// Where the window for a unit at `pos` ends: just after the first newline at
/// or past `pos + window` that is outside every '…', "…" and $"…" string and
/// not a backslash-newline, lexing from `pos` as the grammar does (or the end
/// of the text). No atomic word can then read across the window's end.
fn window_end(text: &str, pos: usize, window: usize) -> usize {
    let bytes = text.as_bytes();
    let from = pos.saturating_add(window);
    if from >= bytes.len() {
        return bytes.len();
    }
    let mut i = pos;
    let mut token_start = true;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\n' if i >= from => return i + 1,
            b'\\' => {
                // Escape or backslash-newline: either way not a boundary.
                i += if bytes.get(i + 1..i + 3) == Some(b"\r\n") {
                    3
                } else {
                    2
                };
                token_start = false;
                continue;
            }
            b'#' if token_start => {
                // A comment runs to its newline, which the loop then sees.
                i += bytes[i..]
                    .iter()
                    .position(|c| *c == b'\n')
                    .unwrap_or(bytes.len() - i);
                continue;
            }
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                // `${name}`: its braces and anything after are part of a word.
                let name_len = bytes[i + 2..]
                    .iter()
                    .take_while(|c| {
                        c.is_ascii_alphanumeric() || matches!(c, b'_' | b'?' | b'#' | b'*' | b'@')
                    })
                    .count();
                i += if bytes.get(i + 2 + name_len) == Some(&b'}') {
                    name_len + 3
                } else {
                    1
                };
                token_start = false;
                continue;
            }
            b'\'' | b'"' => {
                let mut j = i + 1;
                loop {
                    match bytes.get(j) {
                        None => return bytes.len(),
                        Some(c) if *c == b => break,
                        Some(b'\\') if b == b'"' => j += 2,
                        Some(_) => j += 1,
                    }
                }
                i = j + 1;
                token_start = false;
                continue;
            }
            _ => {}
        }
        token_start = matches!(
            b,
            b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{' | b'}' | b'|' | b'&' | b'<' | b'>'
        );
        i += 1;
    }
    bytes.len()
}

/// An error for the impossible case of pest succeeding without yielding `unit`.
fn no_unit(input: &str) -> Error<Rule> {
    Error::new_from_pos(
        ErrorVariant::CustomError {
            message: "no parse unit".into(),
        },
        pest::Position::from_start(input),
    )
}

/// GRUB has read the line holding the offending token; it starts afresh after it.
fn line_after(text: &str, offset: usize) -> usize {
    match text.as_bytes()[offset.min(text.len())..]
        .iter()
        .position(|b| *b == b'\n')
    {
        Some(i) => offset + i + 1,
        None => text.len(),
    }
}

/// Deepest nesting of blocks, conditionals, loops and functions in a parsed unit,
/// measured over pest's flat token queue so that nothing recurses before the
/// depth is known. Returns the offset (relative to the unit) where it goes past
/// `MAX_NESTING`.
fn too_deep(unit: &Pair<Rule>) -> Option<usize> {
    // Each level costs at least three bytes (`a{` … `}`), so short units are fine.
    if unit.as_str().len() < MAX_NESTING * 3 {
        return None;
    }
    let mut depth = 0usize;
    for token in unit.clone().tokens() {
        match token {
            pest::Token::Start { rule, pos } if nests(rule) => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(pos.pos());
                }
            }
            pest::Token::End { rule, .. } if nests(rule) => depth -= 1,
            _ => {}
        }
    }
    None
}

fn nests(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::block
            | Rule::if_cmd
            | Rule::for_cmd
            | Rule::while_cmd
            | Rule::until_cmd
            | Rule::function_def
    )
}

struct Lowering {
    /// Offset of the unit in the file: pest's positions are relative to it.
    base: usize,
}

impl Lowering {
    fn span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.base + s.start(), self.base + s.end())
    }

    fn statements(&self, pairs: Pairs<Rule>) -> Vec<Statement> {
        pairs.filter_map(|p| self.statement(p)).collect()
    }

    fn statement(&self, pair: Pair<Rule>) -> Option<Statement> {
        match pair.as_rule() {
            Rule::simple_cmd => Some(Statement::Command(self.simple_command(pair))),
            Rule::if_cmd => Some(Statement::If(self.if_command(pair))),
            Rule::for_cmd => Some(Statement::For(self.for_loop(pair))),
            Rule::while_cmd | Rule::until_cmd => Some(Statement::Loop(self.loop_command(pair))),
            Rule::function_def => Some(Statement::Function(self.function(pair))),
            _ => None,
        }
    }

    /// Statements of a `commands` pair (parser.y's commands1).
    fn commands(&self, pair: Pair<Rule>) -> Vec<Statement> {
        self.statements(pair.into_inner())
    }

    fn simple_command(&self, pair: Pair<Rule>) -> Command {
        let span = self.span(&pair);
        let mut words = Vec::new();
        let mut block = None;
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::word => {
                    let word = self.word(child);
                    // A backslash-newline standing alone is a word that expands to
                    // nothing; GRUB drops it from the arguments.
                    if !word.parts.is_empty() {
                        words.push(word);
                    }
                }
                Rule::block => block = Some(self.block(child)),
                _ => {}
            }
        }
        // A command may end up with no words at all (a lone backslash-newline):
        // GRUB counts it as a command that does nothing.
        Command { words, block, span }
    }

    fn block(&self, pair: Pair<Rule>) -> Block {
        let span = self.span(&pair);
        let mut body = Vec::new();
        let mut inner = Span::new(span.start + 1, span.end.saturating_sub(1));
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::commands => body = self.commands(child),
                Rule::lbrace => inner.start = self.span(&child).end,
                Rule::rbrace => inner.end = self.span(&child).start,
                _ => {}
            }
        }
        Block { body, span, inner }
    }

    fn function(&self, pair: Pair<Rule>) -> FunctionDef {
        let span = self.span(&pair);
        let mut name = String::new();
        let mut name_span = span;
        let mut body = Vec::new();
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::name_token => {
                    name_span = self.span(&child);
                    name = child.as_str().to_string();
                }
                Rule::commands => body = self.commands(child),
                _ => {}
            }
        }
        FunctionDef {
            name,
            name_span,
            body,
            span,
        }
    }

    fn if_command(&self, pair: Pair<Rule>) -> IfCommand {
        let span = self.span(&pair);
        let mut branches = Vec::new();
        let mut else_body = None;
        self.if_clause(pair, &mut branches, &mut else_body);
        IfCommand {
            branches,
            else_body,
            span,
        }
    }

    /// Flattens `if … elif … elif … else … fi` (nested in the grammar, as in
    /// parser.y's recursive ifclause) into one list of branches.
    fn if_clause(
        &self,
        pair: Pair<Rule>,
        branches: &mut Vec<IfBranch>,
        else_body: &mut Option<Vec<Statement>>,
    ) {
        let span = self.span(&pair);
        let mut lists = Vec::new();
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::commands => lists.push(self.commands(child)),
                Rule::elif_part => {
                    self.push_branch(&mut lists, branches, span);
                    self.if_clause(child, branches, else_body);
                }
                Rule::else_part => {
                    self.push_branch(&mut lists, branches, span);
                    let body = child
                        .into_inner()
                        .find(|c| c.as_rule() == Rule::commands)
                        .map(|c| self.commands(c))
                        .unwrap_or_default();
                    *else_body = Some(body);
                }
                _ => {}
            }
        }
        self.push_branch(&mut lists, branches, span);
    }

    fn push_branch(
        &self,
        lists: &mut Vec<Vec<Statement>>,
        branches: &mut Vec<IfBranch>,
        span: Span,
    ) {
        if lists.len() >= 2 {
            let body = lists.pop().unwrap_or_default();
            let condition = lists.pop().unwrap_or_default();
            branches.push(IfBranch {
                condition,
                body,
                span,
            });
        }
        lists.clear();
    }

    fn for_loop(&self, pair: Pair<Rule>) -> ForLoop {
        let span = self.span(&pair);
        let mut variable = String::new();
        let mut items = Vec::new();
        let mut body = Vec::new();
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::name_token => variable = child.as_str().to_string(),
                Rule::word => {
                    let word = self.word(child);
                    if !word.parts.is_empty() {
                        items.push(word);
                    }
                }
                Rule::commands => body = self.commands(child),
                _ => {}
            }
        }
        ForLoop {
            variable,
            items,
            body,
            span,
        }
    }

    fn loop_command(&self, pair: Pair<Rule>) -> LoopCommand {
        let span = self.span(&pair);
        let until = pair.as_rule() == Rule::until_cmd;
        let mut lists = pair
            .into_inner()
            .filter(|c| c.as_rule() == Rule::commands)
            .map(|c| self.commands(c));
        let condition = lists.next().unwrap_or_default();
        let body = lists.next().unwrap_or_default();
        LoopCommand {
            until,
            condition,
            body,
            span,
        }
    }

    fn word(&self, pair: Pair<Rule>) -> Word {
        let span = self.span(&pair);
        Word {
            parts: split_word(pair.as_str(), span.start),
            span,
        }
    }
}
