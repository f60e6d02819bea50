//! Drives the pest grammar over a file one GRUB parse unit at a time and lowers
//! pest's pairs into the owned AST. No pest type leaves this module.

use pest::Parser;
use pest::iterators::{Pair, Pairs};

use super::ast::*;
use super::error::{SyntaxError, describe_failure};
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

/// Parses a whole file as GRUB reads it: unit after unit, recovering after an
/// error at the next line. Never fails; the errors are part of the result.
///
/// Large files are cut into chunks at lines that probably start a unit, and the
/// chunks are parsed in parallel. A chunk's result is kept only when the chunk
/// before it really ended exactly where it starts (GRUB's parser carries no state
/// from one unit to the next, so the result is then identical to a sequential
/// parse); otherwise that stretch is parsed again in order.
pub fn parse(source: &[u8]) -> Script {
    let text = text_for_parsing(source);
    let text: &str = &text;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if text.len() < PARALLEL_THRESHOLD || threads < 2 {
        return parse_units(text, 0, text.len()).script;
    }
    let starts = chunk_starts(text, threads);
    let chunks: Vec<Chunk> = std::thread::scope(|scope| {
        let handles: Vec<_> = starts
            .iter()
            .enumerate()
            .map(|(i, &start)| {
                let stop = starts.get(i + 1).copied().unwrap_or(text.len());
                scope.spawn(move || parse_units(text, start, stop))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    let mut script = Script::default();
    let mut pos = 0;
    for (i, chunk) in chunks.into_iter().enumerate() {
        let stop = starts.get(i + 1).copied().unwrap_or(text.len());
        if chunk.start == pos {
            pos = chunk.end;
            script.statements.extend(chunk.script.statements);
            script.errors.extend(chunk.script.errors);
        } else if pos < stop {
            // The guess was wrong: this stretch belongs to a unit that began earlier.
            let redo = parse_units(text, pos, stop);
            pos = redo.end;
            script.statements.extend(redo.script.statements);
            script.errors.extend(redo.script.errors);
        }
    }
    script
}

struct Chunk {
    start: usize,
    /// Where the last unit parsed ended: at or after the stop it was given.
    end: usize,
    script: Script,
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
fn parse_units(text: &str, start: usize, stop: usize) -> Chunk {
    let mut script = Script::default();
    let mut pos = start;
    while pos < stop && pos < text.len() {
        let rest = &text[pos..];
        match GrubParser::parse(Rule::unit, rest) {
            Ok(mut pairs) => {
                let Some(unit) = pairs.next() else { break };
                let consumed = unit.as_span().end();
                if let Some(at) = too_deep(&unit) {
                    // GRUB would run it; bootvet refuses to follow it, and says so.
                    script.errors.push(SyntaxError::too_deep(pos + at, pos));
                    pos += consumed.max(1);
                    continue;
                }
                let lowering = Lowering { base: pos };
                script
                    .statements
                    .extend(lowering.statements(unit.into_inner()));
                if consumed == 0 {
                    break;
                }
                pos += consumed;
            }
            Err(err) => {
                let error = describe_failure(text, pos, &err);
                pos = line_after(text, error.span.start);
                script.errors.push(error);
            }
        }
    }
    Chunk {
        start,
        end: pos,
        script,
    }
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
            Rule::simple_cmd => self.simple_command(pair).map(Statement::Command),
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

    fn simple_command(&self, pair: Pair<Rule>) -> Option<Command> {
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
        if words.is_empty() && block.is_none() {
            return None;
        }
        Some(Command { words, block, span })
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
