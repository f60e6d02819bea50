//! What a run has read, noted and spent: the table of files read (every
//! `Location` indexes it), notes, and the budgets (steps, nesting depth, bytes
//! read) that bound any input. Split out so the evaluator's jobs share one
//! place that decides when to stop.

use std::collections::HashMap;

use super::{Eval, MAX_DEPTH, MAX_FILES, MAX_READ_BYTES, MAX_STEPS};
use crate::menu::model::{ConfigFile, DeviceExpr, FileKind, Location, Note, NoteKind};
use crate::script::{self, Span};

/// Notes kept, and the length of one note's message.
const MAX_NOTES: usize = 1_000;
const MAX_NOTE_LEN: usize = 1_024;

impl Eval<'_> {
    pub(super) fn add_file(
        &mut self,
        path: String,
        device: DeviceExpr,
        kind: FileKind,
        bytes: Vec<u8>,
    ) -> usize {
        self.read_bytes = self.read_bytes.saturating_add(bytes.len());
        self.out_files.push(ConfigFile {
            path,
            device,
            kind,
            bytes,
        });
        self.out_files.len() - 1
    }

    pub(super) fn note(&mut self, kind: NoteKind, mut message: String, location: Option<Location>) {
        if message.len() > MAX_NOTE_LEN {
            let mut cut = MAX_NOTE_LEN;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push('…');
        }
        let note = Note {
            kind,
            message,
            location,
        };
        // Entry bodies run once per entry; the same note from a shared function
        // is one fact, not many.
        if self.notes.len() < MAX_NOTES && !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    /// True while the total of bytes read stays under `MAX_READ_BYTES`.
    pub(super) fn can_read(&mut self, file: usize, span: Span, what: &str) -> bool {
        if self.read_bytes < MAX_READ_BYTES && self.out_files.len() < MAX_FILES {
            return true;
        }
        self.note(
            NoteKind::LimitReached,
            format!(
                "{what}: more than {MAX_FILES} files or {MAX_READ_BYTES} bytes read; not followed"
            ),
            Some(Self::loc(file, span)),
        );
        false
    }

    /// Charges the cost of copying the environment, so that copies of a huge
    /// environment cannot multiply past the step budget.
    pub(super) fn charge_env_copy(&mut self) {
        let vars: usize = self.contexts.iter().map(HashMap::len).sum();
        self.steps = self.steps.saturating_add(vars / 32);
    }

    pub(super) fn record_syntax_errors(&mut self, file: usize, script: &script::Script) {
        for err in &script.errors {
            let message = format!("syntax error, GRUB skips this statement: {}", err.message);
            self.note(
                NoteKind::SyntaxError,
                message,
                Some(Location {
                    file,
                    span: err.span,
                }),
            );
        }
    }

    pub(super) fn loc(file: usize, span: Span) -> Location {
        Location { file, span }
    }

    pub(super) fn source_text(&self, file: usize, span: Span) -> String {
        self.out_files
            .get(file)
            .and_then(|f| f.bytes.get(span.start..span.end.min(f.bytes.len())))
            .map(|b| {
                String::from_utf8_lossy(b)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default()
    }

    /// Counts one step; false once the budget is spent.
    pub(super) fn step(&mut self, file: usize, span: Span) -> bool {
        if self.halted {
            return false;
        }
        self.steps += 1;
        if self.steps > MAX_STEPS {
            self.halted = true;
            self.note(
                NoteKind::LimitReached,
                format!("stopped after {MAX_STEPS} statements: the rest of the menu is not known"),
                Some(Self::loc(file, span)),
            );
            return false;
        }
        true
    }

    pub(super) fn enter(&mut self, file: usize, span: Span, what: &str) -> bool {
        if self.depth >= MAX_DEPTH {
            self.note(
                NoteKind::LimitReached,
                format!("{what} nested deeper than {MAX_DEPTH}: not followed"),
                Some(Self::loc(file, span)),
            );
            return false;
        }
        self.depth += 1;
        true
    }

    pub(super) fn condition(&self) -> Option<String> {
        let all: Vec<&str> = self
            .conds
            .iter()
            .chain(self.flow_conds.iter().flatten())
            .map(String::as_str)
            .collect();
        (!all.is_empty()).then(|| all.join(" && "))
    }
}
