//! The syntax tree of a GRUB script: owned data, byte spans on every node.
//!
//! Values are kept as GRUB's lexer leaves them, before any run-time expansion:
//! escapes are resolved, quotes are remembered as parts, variables are references.
//! Turning words into arguments (expansion, splitting) is the evaluator's job.

use serde::{Deserialize, Serialize};

/// A byte range in the source file. Positions stay bytes everywhere; line and
/// column are computed only when something is shown to a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A parsed file: every statement GRUB would run, and every syntax error it
/// would print. A unit with an error contributes no statements (GRUB throws
/// the whole unit away and goes on with the next line).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Script {
    pub statements: Vec<Statement>,
    /// The first `MAX_ERRORS` syntax errors, in file order.
    pub errors: Vec<super::SyntaxError>,
    /// How many more errors the file has beyond those (counted, not kept).
    #[serde(skip_serializing_if = "is_zero")]
    pub more_errors: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Script {
    /// Keeps the error when fewer than `MAX_ERRORS` are kept, else counts it.
    pub fn push_error(&mut self, error: super::SyntaxError) {
        if self.errors.len() < super::MAX_ERRORS {
            self.errors.push(error);
        } else {
            self.more_errors += 1;
        }
    }

    /// All syntax errors, kept and counted.
    pub fn error_count(&self) -> usize {
        self.errors.len() + self.more_errors
    }

    /// True when the file holds no command GRUB would run: only blank lines,
    /// comments or function definitions (grub-script-check refuses such files).
    pub fn has_no_commands(&self) -> bool {
        self.statements
            .iter()
            .all(|s| matches!(s, Statement::Function(_)))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Statement {
    Command(Command),
    If(IfCommand),
    For(ForLoop),
    /// `while` and `until` loops.
    Loop(LoopCommand),
    Function(FunctionDef),
}

impl Statement {
    pub fn span(&self) -> Span {
        match self {
            Statement::Command(c) => c.span,
            Statement::If(c) => c.span,
            Statement::For(c) => c.span,
            Statement::Loop(c) => c.span,
            Statement::Function(c) => c.span,
        }
    }
}

/// A simple command: its words (the first names the command) and an optional
/// `{ … }` block, which GRUB passes as the last argument (menuentry, submenu).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Command {
    pub words: Vec<Word>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block: Option<Block>,
    pub span: Span,
}

impl Command {
    /// The command name when it is plain text known before run time.
    pub fn name(&self) -> Option<String> {
        self.words.first().and_then(Word::as_literal)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Block {
    pub body: Vec<Statement>,
    /// From `{` to `}` inclusive.
    pub span: Span,
    /// The raw text between the braces, which is what GRUB hands the command.
    pub inner: Span,
}

/// One word: adjacent parts with no blank between them (`one"two"$three'four'`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Word {
    pub parts: Vec<WordPart>,
    pub span: Span,
}

impl Word {
    /// The word's value when it contains no variable reference.
    pub fn as_literal(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                WordPart::Text { value, .. }
                | WordPart::SingleQuoted { value, .. }
                | WordPart::Gettext { value, .. } => out.push_str(value),
                WordPart::DoubleQuoted { parts, .. } => {
                    for p in parts {
                        match p {
                            QuotedPart::Text { value, .. } => out.push_str(value),
                            QuotedPart::Variable(_) => return None,
                        }
                    }
                }
                WordPart::Variable(_) => return None,
            }
        }
        Some(out)
    }

    /// True when some part is quoted: a quoted empty word is still an argument.
    pub fn is_quoted(&self) -> bool {
        self.parts.iter().any(|p| {
            matches!(
                p,
                WordPart::SingleQuoted { .. }
                    | WordPart::DoubleQuoted { .. }
                    | WordPart::Gettext { .. }
            )
        })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WordPart {
    /// Unquoted text with backslash escapes already resolved.
    Text { value: String, span: Span },
    /// `'…'`: taken literally.
    SingleQuoted { value: String, span: Span },
    /// `"…"`: text and variable references; never split into several arguments.
    DoubleQuoted { parts: Vec<QuotedPart>, span: Span },
    /// `$"…"`: a message to translate; variables in it are substituted later.
    Gettext { value: String, span: Span },
    /// An unquoted `$name`/`${name}`: split into several arguments at run time.
    Variable(VariableRef),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum QuotedPart {
    Text { value: String, span: Span },
    Variable(VariableRef),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VariableRef {
    /// `root`, `1`, `?`, `#`, `*` or `@`.
    pub name: String,
    pub braced: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IfCommand {
    /// `if` and each `elif`, in order.
    pub branches: Vec<IfBranch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub else_body: Option<Vec<Statement>>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IfBranch {
    pub condition: Vec<Statement>,
    pub body: Vec<Statement>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ForLoop {
    pub variable: String,
    pub items: Vec<Word>,
    pub body: Vec<Statement>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LoopCommand {
    /// `until` loops run while the condition fails.
    pub until: bool,
    pub condition: Vec<Statement>,
    pub body: Vec<Statement>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FunctionDef {
    pub name: String,
    pub name_span: Span,
    pub body: Vec<Statement>,
    pub span: Span,
}
