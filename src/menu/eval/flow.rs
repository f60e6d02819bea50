//! Control flow: statements in order, `if`, `while`/`until`, `for`, function
//! definitions and calls, `return`/`break`/`continue`. Where a condition is
//! `Unknown` both ways run and the environments are merged; conditions taken on
//! one way only are kept so entries and commands say when they apply.

use std::rc::Rc;

use super::builtins::Call;
use super::{Arg, Context, Eval, Flow, FunctionBody, MAX_LOOP, Value, Var};
use crate::menu::default;
use crate::menu::model::NoteKind;
use crate::menu::truth::Truth;
use crate::script::{self, ForLoop, LoopCommand, Span, Statement};

impl Eval<'_> {
    pub(super) fn stopped(&self) -> bool {
        self.halted || self.flow.is_some() || self.replaced.is_some()
    }

    pub(super) fn run_block(&mut self, file: usize, stmts: &[Statement]) {
        for s in stmts {
            if self.stopped() {
                break;
            }
            self.run_stmt(file, s);
        }
    }

    fn run_stmt(&mut self, file: usize, stmt: &Statement) {
        if !self.step(file, stmt.span()) {
            return;
        }
        match stmt {
            Statement::Command(c) => self.run_command(file, c),
            Statement::If(i) => self.run_if(file, &i.branches, i.else_body.as_deref()),
            Statement::For(f) => self.run_for(file, f),
            Statement::Loop(l) => self.run_loop(file, l),
            Statement::Function(def) => {
                self.functions.insert(
                    def.name.clone(),
                    FunctionBody {
                        file,
                        body: Rc::new(def.body.clone()),
                    },
                );
                self.status = Truth::True;
            }
        }
    }

    fn run_for(&mut self, file: usize, f: &ForLoop) {
        let items = self.expand_words(file, &f.items);
        for item in items.into_iter().take(MAX_LOOP) {
            if self.halted {
                break;
            }
            self.set_var(&f.variable, item);
            if self.iteration(file, &f.body) {
                break;
            }
        }
        if f.items.len() > MAX_LOOP {
            self.note(
                NoteKind::LimitReached,
                format!("for loop cut after {MAX_LOOP} iterations"),
                Some(Self::loc(file, f.span)),
            );
        }
    }

    /// `while` and `until`.
    fn run_loop(&mut self, file: usize, l: &LoopCommand) {
        for _ in 0..MAX_LOOP {
            if self.halted {
                break;
            }
            self.run_block(file, &l.condition);
            // `until` loops while the condition fails.
            let go_on = if l.until { !self.status } else { self.status };
            match go_on {
                Truth::True => {
                    if self.iteration(file, &l.body) {
                        break;
                    }
                }
                Truth::False => break,
                Truth::Unknown => {
                    // Run the body once as a possibility, then stop guessing.
                    let text = self.cond_text(file, &l.condition);
                    self.conds.push(text);
                    self.run_block(file, &l.body);
                    self.conds.pop();
                    self.flow = None;
                    break;
                }
            }
        }
        self.status = Truth::True;
    }

    /// One run of a loop's body; true when the loop ends there.
    fn iteration(&mut self, file: usize, body: &[Statement]) -> bool {
        self.flow_conds.push(Vec::new());
        self.run_block(file, body);
        self.flow_conds.pop();
        self.loop_flow()
    }

    /// Consumes `break`/`continue` aimed at this loop; true when the loop ends.
    fn loop_flow(&mut self) -> bool {
        match self.flow.take() {
            None => false,
            Some(Flow::Break(n)) => {
                if n > 1 {
                    self.flow = Some(Flow::Break(n - 1));
                }
                true
            }
            Some(Flow::Continue(n)) => {
                if n > 1 {
                    self.flow = Some(Flow::Continue(n - 1));
                    return true;
                }
                false
            }
            Some(Flow::Return) => {
                self.flow = Some(Flow::Return);
                true
            }
        }
    }

    fn cond_text(&self, file: usize, cond: &[Statement]) -> String {
        match (cond.first(), cond.last()) {
            (Some(a), Some(b)) => self.source_text(file, Span::new(a.span().start, b.span().end)),
            _ => String::new(),
        }
    }

    fn run_if(
        &mut self,
        file: usize,
        branches: &[script::IfBranch],
        else_body: Option<&[Statement]>,
    ) {
        let Some((first, rest)) = branches.split_first() else {
            if let Some(body) = else_body {
                self.run_block(file, body);
            }
            return;
        };
        self.run_block(file, &first.condition);
        if self.stopped() {
            return;
        }
        match self.status {
            Truth::True => self.run_block(file, &first.body),
            Truth::False => self.run_if(file, rest, else_body),
            Truth::Unknown => {
                let text = self.cond_text(file, &first.condition);
                self.charge_env_copy();
                let before = self.contexts.clone();
                self.conds.push(text.clone());
                self.run_block(file, &first.body);
                self.conds.pop();
                // A `return`, `break` or `continue` taken on one way only is a
                // possibility: the other way goes on. A return's status is
                // folded into the function's result by `call`.
                let then_status = self.status;
                let then_flow = self.flow.take();
                let after_then = std::mem::replace(&mut self.contexts, before);
                self.conds.push(negate(&text));
                self.run_if(file, rest, else_body);
                self.conds.pop();
                let else_status = self.status;
                let else_flow = self.flow.take();
                if then_flow.is_some() && then_flow == else_flow {
                    self.flow = then_flow;
                } else {
                    // What follows runs only on the way that did not leave.
                    let goes_on = match (then_flow.is_some(), else_flow.is_some()) {
                        (true, false) => Some(negate(&text)),
                        (false, true) => Some(text.clone()),
                        _ => None,
                    };
                    if let (Some(c), Some(frame)) = (goes_on, self.flow_conds.last_mut()) {
                        frame.push(c);
                    }
                    for (flow, status) in [(then_flow, then_status), (else_flow, else_status)] {
                        if flow == Some(Flow::Return)
                            && let Some(r) = self.maybe_returns.last_mut()
                        {
                            r.push(status);
                        }
                    }
                }
                self.merge(after_then);
                self.status = Truth::Unknown;
            }
        }
    }

    /// After an undecided branch: a variable that differs between the two ways
    /// through is no longer known. It keeps the text of the way without the
    /// `then` branch, which in generated configs is the usual boot (`saved_entry`
    /// rather than `next_entry`, the normal timeout rather than the recovery one).
    pub(super) fn merge(&mut self, other: Vec<Context>) {
        for (mine, theirs) in self.contexts.iter_mut().zip(other) {
            for (name, var) in theirs.iter() {
                match mine.get_mut(name) {
                    Some(v) if v.value == var.value => v.exported |= var.exported,
                    Some(v) => {
                        v.value.known = false;
                        v.exported |= var.exported;
                    }
                    None => {
                        mine.insert(
                            name.clone(),
                            Var {
                                value: Value {
                                    text: var.value.text.clone(),
                                    known: false,
                                },
                                exported: var.exported,
                            },
                        );
                    }
                }
            }
            for (name, v) in mine.iter_mut() {
                if !theirs.contains_key(name) {
                    v.value.known = false;
                }
            }
        }
    }

    pub(super) fn call(&mut self, file: usize, span: Span, f: FunctionBody, args: &[Arg]) -> Truth {
        if !self.enter(file, span, "function call") {
            return Truth::Unknown;
        }
        self.params.push(args.to_vec());
        self.maybe_returns.push(Vec::new());
        self.flow_conds.push(Vec::new());
        self.status = Truth::True;
        self.run_block(f.file, &f.body);
        self.flow_conds.pop();
        if matches!(self.flow, Some(Flow::Return)) {
            self.flow = None;
        }
        self.params.pop();
        self.depth -= 1;
        let maybe = self.maybe_returns.pop().unwrap_or_default();
        if maybe.iter().any(|s| *s != self.status) {
            self.status = Truth::Unknown;
        }
        self.status
    }

    /// `return [N]`: leaves the function with N's status, or the last one.
    pub(super) fn cmd_return(&mut self, call: &Call) -> Truth {
        self.flow = Some(Flow::Return);
        match call.rest().first() {
            Some(a) if a.known => {
                Truth::from(default::grub_strtoul(&a.text).is_none_or(|(n, _)| n == 0))
            }
            Some(_) => Truth::Unknown,
            None => self.status,
        }
    }

    /// `break [N]` and `continue [N]`.
    pub(super) fn cmd_break_continue(&mut self, call: &Call) -> Truth {
        let n = call
            .rest()
            .first()
            .and_then(|a| default::grub_strtoul(&a.text))
            .map_or(1, |(n, _)| usize::try_from(n).unwrap_or(1).max(1));
        self.flow = Some(if call.name() == "break" {
            Flow::Break(n)
        } else {
            Flow::Continue(n)
        });
        Truth::True
    }
}

/// `! COND` for a condition's text, without stacking `! !`.
fn negate(text: &str) -> String {
    match text.strip_prefix("! ") {
        Some(inner) => inner.to_string(),
        None => format!("! {text}"),
    }
}
