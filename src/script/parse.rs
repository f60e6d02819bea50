//! Drives the pest grammar over a file one GRUB parse unit at a time and lowers
//! pest's pairs into the owned AST. No pest type leaves this module.

use pest::Parser;
use pest::iterators::{Pair, Pairs};

use super::ast::*;
use super::error::{SyntaxError, describe_failure};
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

/// Parses a whole file as GRUB reads it: unit after unit, recovering after an
/// error at the next line. Never fails; the errors are part of the result.
pub fn parse(source: &[u8]) -> Script {
    let text = text_for_parsing(source);
    let text: &str = &text;
    let mut script = Script::default();
    let mut pos = 0;
    while pos < text.len() {
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
    script
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
        let mut parts: Vec<WordPart> = Vec::new();
        for part in pair.into_inner() {
            let part_span = self.span(&part);
            match part.as_rule() {
                Rule::bare => push_text(&mut parts, part.as_str(), part_span),
                Rule::escape => push_text(&mut parts, &part.as_str()[1..], part_span),
                Rule::line_continuation => {}
                Rule::sq_string => parts.push(WordPart::SingleQuoted {
                    value: strip_cr(part.into_inner().as_str()),
                    span: part_span,
                }),
                Rule::dq_string => parts.push(WordPart::DoubleQuoted {
                    parts: self.double_quoted(part),
                    span: part_span,
                }),
                Rule::gettext_string => parts.push(WordPart::Gettext {
                    value: gettext_value(part),
                    span: part_span,
                }),
                Rule::variable => parts.push(WordPart::Variable(self.variable(part))),
                _ => {}
            }
        }
        Word { parts, span }
    }

    fn double_quoted(&self, pair: Pair<Rule>) -> Vec<QuotedPart> {
        let mut parts: Vec<QuotedPart> = Vec::new();
        for part in pair.into_inner() {
            let span = self.span(&part);
            let text = match part.as_rule() {
                Rule::dq_text => strip_cr(part.as_str()),
                Rule::dq_escape => part.as_str()[1..].to_string(),
                Rule::variable => {
                    parts.push(QuotedPart::Variable(self.variable(part)));
                    continue;
                }
                _ => continue,
            };
            match parts.last_mut() {
                Some(QuotedPart::Text { value, span: last }) => {
                    value.push_str(&text);
                    last.end = span.end;
                }
                _ => parts.push(QuotedPart::Text { value: text, span }),
            }
        }
        parts
    }

    fn variable(&self, pair: Pair<Rule>) -> VariableRef {
        let span = self.span(&pair);
        let braced = pair.as_str().starts_with("${");
        let name = pair
            .into_inner()
            .next()
            .map(|n| n.as_str().to_string())
            .unwrap_or_default();
        VariableRef { name, braced, span }
    }
}

/// Adjacent unquoted text and escapes form one text part.
fn push_text(parts: &mut Vec<WordPart>, text: &str, span: Span) {
    if let Some(WordPart::Text { value, span: last }) = parts.last_mut()
        && last.end == span.start
    {
        value.push_str(text);
        last.end = span.end;
        return;
    }
    parts.push(WordPart::Text {
        value: text.to_string(),
        span,
    });
}

/// GRUB's line reader drops every carriage return, inside quotes too.
fn strip_cr(text: &str) -> String {
    if text.contains('\r') {
        text.replace('\r', "")
    } else {
        text.to_string()
    }
}

fn gettext_value(pair: Pair<Rule>) -> String {
    let mut value = String::new();
    for part in pair.into_inner() {
        match part.as_rule() {
            Rule::gettext_text => value.push_str(&strip_cr(part.as_str())),
            Rule::gettext_escape => value.push('"'),
            _ => {}
        }
    }
    value
}
