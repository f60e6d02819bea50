//! The evaluator: runs a parsed grub.cfg statement by statement as GRUB's
//! `script/execute.c` and `normal/` do, symbolically. It keeps GRUB's environment
//! (contexts, exports, positional parameters), expands and splits words (§4.1),
//! decides `if` where known values allow and otherwise follows both branches,
//! and collects menu entries with the commands they will run.
//!
//! Reads only through the `FileSource` it is given; never does IO itself. Every
//! loop, call and file is bounded (steps, depth, iterations, value sizes), so any
//! input finishes quickly in bounded memory.
//!
//! `Eval` is one context shared by every job; each file below holds the one
//! `impl Eval` block of one job (as rust-analyzer splits its inference
//! context), and `builtins` maps each command name to its handler.

mod blscfg;
mod bookkeeping;
mod builtins;
mod entries;
mod env;
mod expand;
mod flow;
mod load;
mod loaders;
mod search;

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use super::default;
use super::files::FileSource;
use super::flavour::{FlavourEffect, GrubBuild, Rule};
use super::model::*;
use super::truth::Truth;
use crate::script::{self, Span, Statement};

/// Statements run in total (entry bodies included) before evaluation stops.
pub const MAX_STEPS: usize = 200_000;
/// Nested function calls, `source`, `eval`, `configfile` and submenus.
pub const MAX_DEPTH: usize = 32;
/// Iterations of one loop.
pub const MAX_LOOP: usize = 1_000;
/// Entries in one menu level.
pub const MAX_ENTRIES: usize = 1_000;
/// Bytes in one variable's value; longer values are cut and marked unknown.
pub const MAX_VALUE: usize = 64 * 1024;
/// Config files read in total.
pub const MAX_FILES: usize = 256;
/// Bytes of files read in total.
pub const MAX_READ_BYTES: usize = 32 * 1024 * 1024;
/// Bytes of arguments kept in recorded commands and entry heads, in total.
pub const MAX_KEPT_BYTES: usize = 32 * 1024 * 1024;
/// Variables in one context.
pub const MAX_VARS: usize = 4_096;
/// Flavour effects kept (`Menu::flavour_effects`).
pub const MAX_EFFECTS: usize = 1_000;

/// What the caller knows about the machine GRUB runs on.
#[derive(Clone, Debug)]
pub struct Options {
    pub platform: Platform,
    pub flavour: Flavour,
    /// The GRUB build evaluated for (issue 21): its vendor decides which
    /// commands exist; `None` or nothing known: no command is judged missing.
    pub build: Option<GrubBuild>,
    /// `$prefix`'s path on the device grub.cfg was read from, e.g. `/boot/grub`.
    pub prefix: String,
    /// How the top config is named in output.
    pub config_name: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            platform: Platform::Pc,
            flavour: Flavour::Upstream,
            build: None,
            prefix: "/boot/grub".into(),
            config_name: "grub.cfg".into(),
        }
    }
}

/// A value in GRUB's environment. `known` is false when the text stands for
/// something decided at boot (a `search` result, an undecided branch).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Value {
    text: String,
    known: bool,
}

impl Value {
    fn known(text: impl Into<String>) -> Self {
        Value {
            text: text.into(),
            known: true,
        }
    }
}

/// A variable: its value and whether a new context (submenu, configfile) sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Var {
    value: Value,
    exported: bool,
}

/// One level of GRUB's environment.
type Context = HashMap<String, Var>;

/// One argument after expansion.
type Arg = Value;

/// A jump in progress: statements are skipped until the loop or function it
/// leaves takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    Return,
    Break(usize),
    Continue(usize),
}

/// A defined function: its body and the file it was defined in.
#[derive(Clone)]
struct FunctionBody {
    file: usize,
    body: Rc<Vec<Statement>>,
}

/// An entry defined but not yet run: GRUB runs a body only when the entry is
/// chosen, with the environment the whole menu leaves.
struct Pending {
    head: EntryHead,
    submenu: bool,
    file: usize,
    body: Rc<Vec<Statement>>,
    params: Vec<Arg>,
}

/// Where definitions and commands go: a menu level collects entries, an
/// entry's body collects the commands it runs.
enum Sink {
    Menu(Vec<Pending>),
    Entry(Vec<EntryCommand>),
}

/// The evaluation context every job shares.
struct Eval<'f> {
    files: &'f dyn FileSource,
    opts: Options,
    /// The environment, innermost context last (env.rs).
    contexts: Vec<Context>,
    /// Per context (same index): variables the flavour rule kept from it
    /// (upstream: set but not exported above) or gave it (Red Hat: not
    /// exported, seen all the same), until the context sets them itself.
    flavour_vars: Vec<HashSet<String>>,
    /// Where a flavour rule changed a result (`Menu::flavour_effects`); a
    /// cell because word expansion reads the environment through `&self`.
    effects: RefCell<Vec<FlavourEffect>>,
    /// The index path of the entry whose body runs now.
    entry_path: Option<Vec<usize>>,
    functions: HashMap<String, FunctionBody>,
    /// Positional parameters, one list per function call or entry body.
    params: Vec<Vec<Arg>>,
    /// What each device token in a variable stands for (a search, a loopback).
    devices: HashMap<String, DeviceExpr>,
    /// Every file read; a `Location`'s `file` indexes it (bookkeeping.rs).
    out_files: Vec<ConfigFile>,
    notes: Vec<Note>,
    /// Budgets spent: statements run, nesting depth; `halted` once out of steps.
    steps: usize,
    depth: usize,
    halted: bool,
    /// Conditions of the undecided branches being run, outermost first.
    conds: Vec<String>,
    /// `$?`: the last command's status.
    status: Truth,
    /// Set when `load_env` could not read its file: unset variables it names (all,
    /// when it had no list) may hold anything at boot.
    env_unknown: Option<Vec<String>>,
    /// Per function call: statuses of `return`s taken on undecided ways only.
    maybe_returns: Vec<Vec<Truth>>,
    /// Per loop iteration and function call: conditions that hold for the rest
    /// of it because a `continue`/`break`/`return` was taken on one way only.
    flow_conds: Vec<Vec<String>>,
    read_bytes: usize,
    /// Bytes kept in recorded commands and entries (bounded by MAX_KEPT_BYTES).
    kept_bytes: usize,
    flow: Option<Flow>,
    sinks: Vec<Sink>,
    /// Loader commands run outside any entry, while the config is read.
    top_level: Vec<EntryCommand>,
    /// `read`/`sleep` outside any entry (`MenuWait::commands`).
    waits: Vec<EntryCommand>,
    /// Modules `insmod`ed outside any entry.
    modules: Vec<String>,
    /// `loadfont` outside any entry (`Menu::fonts`).
    fonts: Vec<EntryCommand>,
    /// Set when a top-level `configfile` showed its own menu.
    replaced: Option<Vec<Pending>>,
}

/// Runs `config` (the bytes of grub.cfg) and returns the menu GRUB would show.
pub fn evaluate(config: &[u8], opts: &Options, files: &dyn FileSource) -> Menu {
    let mut ev = Eval::new(opts.clone(), files);
    let script = script::parse(config);
    let file = ev.add_file(
        opts.config_name.clone(),
        DeviceExpr::PrefixDevice,
        FileKind::Config,
        config.to_vec(),
    );
    ev.record_syntax_errors(file, &script);
    let pending = ev.collect_menu(file, &script.statements);
    let pending = ev.replaced.take().unwrap_or(pending);
    let entries = ev.realize(pending, &[]);
    ev.into_menu(entries)
}

impl<'f> Eval<'f> {
    fn new(opts: Options, files: &'f dyn FileSource) -> Self {
        let mut ev = Eval {
            files,
            opts,
            contexts: vec![Context::new()],
            flavour_vars: vec![HashSet::new()],
            effects: RefCell::new(Vec::new()),
            entry_path: None,
            functions: HashMap::new(),
            params: vec![Vec::new()],
            devices: HashMap::new(),
            out_files: Vec::new(),
            notes: Vec::new(),
            steps: 0,
            depth: 0,
            halted: false,
            conds: Vec::new(),
            status: Truth::True,
            env_unknown: None,
            maybe_returns: Vec::new(),
            flow_conds: Vec::new(),
            read_bytes: 0,
            kept_bytes: 0,
            flow: None,
            sinks: Vec::new(),
            top_level: Vec::new(),
            waits: Vec::new(),
            fonts: Vec::new(),
            modules: Vec::new(),
            replaced: None,
        };
        ev.set_initial_environment();
        ev
    }

    /// The menu once every entry has run: its default, fallback and timeout as
    /// the environment leaves them.
    fn into_menu(mut self, entries: Vec<MenuNode>) -> Menu {
        let default_value = self
            .contexts
            .last()
            .and_then(|c| c.get("default"))
            .map(|v| v.value.clone());
        let keep = self.keeps_all_variables();
        let default = default::resolve_with(
            &entries,
            default_value.as_ref().map(|v| v.text.as_str()),
            default_value.as_ref().is_some_and(|v| !v.known),
            self.opts.flavour,
            keep,
        );
        if let Some((kept, unset)) = keep
            .then(|| {
                default::kept_default_differs(
                    &entries,
                    default_value.as_ref().map(|v| v.text.as_str()),
                    self.opts.flavour,
                )
            })
            .flatten()
        {
            let message = format!(
                "`default` is kept when its submenu opens (rhboot/grub2 e71c7d4c2, `grub_menu_execute_entry` no longer unsets it): entry {} boots; upstream GRUB unsets it and boots entry {}",
                super::model::path_text(&kept),
                super::model::path_text(&unset)
            );
            self.add_effect(
                Rule::SubmenuDefault,
                message,
                Self::loc(0, Span::default()),
                None,
            );
        }
        let timeout = self.get("timeout");
        let timeout_text = self.is_set("timeout").then(|| timeout.text.clone());
        let timeout_seconds = timeout_text
            .as_deref()
            .and_then(default::grub_strtoul)
            .map(|(n, _)| n);
        let fallback = self.fallback();
        if !self.top_level.is_empty() {
            self.note(
                NoteKind::TopLevelBoot,
                format!(
                    "{} loader command(s) run outside any menu entry, while grub.cfg is read",
                    self.top_level.len()
                ),
                Some(self.top_level[0].location),
            );
        }
        let wait = self.menu_wait();
        Menu {
            wait,
            platform: self.opts.platform,
            flavour: self.opts.flavour,
            grub: self.opts.build.clone(),
            flavour_effects: self.effects.take(),
            entries,
            default,
            fallback,
            timeout: timeout_text,
            timeout_seconds,
            top_level: self.top_level,
            modules: self.modules,
            fonts: std::mem::take(&mut self.fonts),
            files: self.out_files,
            notes: self.notes,
        }
    }

    /// The variables `run_menu` reads, as the environment leaves them.
    fn menu_wait(&mut self) -> MenuWait {
        let var = |ev: &Self, name: &str| {
            let v = ev.get(name);
            (
                ev.is_set(name).then(|| v.text.clone()),
                ev.is_set(name) && !v.known,
            )
        };
        let (_, timeout_unknown) = var(self, "timeout");
        let (timeout_style, timeout_style_unknown) = var(self, "timeout_style");
        let (superusers, superusers_unknown) = var(self, "superusers");
        let (recordfail, _) = var(self, "recordfail");
        MenuWait {
            timeout_unknown,
            timeout_style,
            timeout_style_unknown,
            superusers,
            superusers_unknown,
            recordfail,
            commands: std::mem::take(&mut self.waits),
        }
    }

    /// `$fallback`'s entry numbers: GRUB reads them one at a time and stops at
    /// the first that is not a number.
    fn fallback(&self) -> Vec<usize> {
        let mut fallback = Vec::new();
        if self.is_set("fallback") {
            let text = self.get("fallback").text;
            let mut rest = text.as_str();
            while let Some((n, tail)) = default::grub_strtoul(rest) {
                match usize::try_from(n) {
                    Ok(n) if fallback.len() < MAX_ENTRIES => fallback.push(n),
                    _ => break,
                }
                rest = tail.trim_start();
            }
        }
        fallback
    }
}
