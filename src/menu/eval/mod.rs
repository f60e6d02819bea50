//! The evaluator: runs a parsed grub.cfg statement by statement as GRUB's
//! `script/execute.c` and `normal/` do, symbolically. It keeps GRUB's environment
//! (contexts, exports, positional parameters), expands and splits words (§4.1),
//! decides `if` where known values allow and otherwise follows both branches,
//! and collects menu entries with the commands they will run.
//!
//! Reads only through the `FileSource` it is given; never does IO itself. Every
//! loop, call and file is bounded (steps, depth, iterations, value sizes), so any
//! input finishes quickly in bounded memory.

use std::collections::HashMap;
use std::rc::Rc;

use super::bls;
use super::cmdline;
use super::default;
use super::files::{FileError, FileSource, normalize};
use super::grubenv;
use super::model::*;
use super::test_expr::{self, FileProbe, TestArg};
use super::truth::Truth;
use crate::script::{self, Command, QuotedPart, Span, Statement, Word, WordPart};

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
/// Notes kept, and the length of one note's message.
const MAX_NOTES: usize = 1_000;
const MAX_NOTE_LEN: usize = 1_024;

/// What the caller knows about the machine GRUB runs on.
#[derive(Clone, Debug)]
pub struct Options {
    pub platform: Platform,
    pub flavour: Flavour,
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

#[derive(Clone, Debug, PartialEq, Eq)]
struct Var {
    value: Value,
    exported: bool,
}

type Context = HashMap<String, Var>;

/// One argument after expansion.
type Arg = Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    Return,
    Break(usize),
    Continue(usize),
}

#[derive(Clone)]
struct FunctionBody {
    file: usize,
    body: Rc<Vec<Statement>>,
}

struct Pending {
    head: EntryHead,
    submenu: bool,
    file: usize,
    body: Rc<Vec<Statement>>,
    params: Vec<Arg>,
}

enum Sink {
    Menu(Vec<Pending>),
    Entry(Vec<EntryCommand>),
}

struct Eval<'f> {
    files: &'f dyn FileSource,
    opts: Options,
    contexts: Vec<Context>,
    functions: HashMap<String, FunctionBody>,
    params: Vec<Vec<Arg>>,
    devices: HashMap<String, DeviceExpr>,
    out_files: Vec<ConfigFile>,
    notes: Vec<Note>,
    steps: usize,
    depth: usize,
    halted: bool,
    conds: Vec<String>,
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
    kept_bytes: usize,
    flow: Option<Flow>,
    sinks: Vec<Sink>,
    top_level: Vec<EntryCommand>,
    modules: Vec<String>,
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
    ev.sinks.push(Sink::Menu(Vec::new()));
    ev.run_block(file, &script.statements);
    ev.flow = None;
    let pending = match ev.sinks.pop() {
        Some(Sink::Menu(p)) => p,
        _ => Vec::new(),
    };
    let pending = ev.replaced.take().unwrap_or(pending);
    let entries = ev.realize(pending, &[]);
    let default_value = ev
        .contexts
        .last()
        .and_then(|c| c.get("default"))
        .map(|v| v.value.clone());
    let default = default::resolve(
        &entries,
        default_value.as_ref().map(|v| v.text.as_str()),
        default_value.as_ref().is_some_and(|v| !v.known),
        opts.flavour,
    );
    let timeout = ev.get("timeout");
    let timeout_text = ev.is_set("timeout").then(|| timeout.text.clone());
    let timeout_seconds = timeout_text
        .as_deref()
        .and_then(default::grub_strtoul)
        .map(|(n, _)| n);
    // GRUB reads fallback numbers one at a time and stops at the first that is
    // not a number.
    let mut fallback = Vec::new();
    if ev.is_set("fallback") {
        let text = ev.get("fallback").text;
        let mut rest = text.as_str();
        while let Some((n, tail)) = default::grub_strtoul(rest) {
            match usize::try_from(n) {
                Ok(n) if fallback.len() < MAX_ENTRIES => fallback.push(n),
                _ => break,
            }
            rest = tail.trim_start();
        }
    }
    if !ev.top_level.is_empty() {
        ev.note(
            NoteKind::TopLevelBoot,
            format!(
                "{} loader command(s) run outside any menu entry, while grub.cfg is read",
                ev.top_level.len()
            ),
            Some(ev.top_level[0].location),
        );
    }
    Menu {
        platform: opts.platform,
        flavour: opts.flavour,
        entries,
        default,
        fallback,
        timeout: timeout_text,
        timeout_seconds,
        top_level: ev.top_level,
        modules: ev.modules,
        files: ev.out_files,
        notes: ev.notes,
    }
}

const LOADERS_LINUX: &[&str] = &["linux", "linux16", "linuxefi"];
const LOADERS_INITRD: &[&str] = &["initrd", "initrd16", "initrdefi"];
const LOADERS_OTHER: &[&str] = &[
    "multiboot",
    "multiboot2",
    "module",
    "module2",
    "kfreebsd",
    "knetbsd",
    "kopenbsd",
    "ntldr",
    "devicetree",
    "xnu_kernel",
    "xnu_kernel64",
    "freedos",
    "truecrypt",
    "legacy_kernel",
];

impl<'f> Eval<'f> {
    fn new(opts: Options, files: &'f dyn FileSource) -> Self {
        let mut ev = Eval {
            files,
            opts,
            contexts: vec![Context::new()],
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
            modules: Vec::new(),
            replaced: None,
        };
        let prefix_token = DeviceExpr::PrefixDevice.display();
        ev.devices
            .insert(prefix_token.clone(), DeviceExpr::PrefixDevice);
        let prefix_path = normalize(&ev.opts.prefix);
        let prefix = format!("({prefix_token}){prefix_path}");
        ev.set_var(
            "root",
            Value {
                text: prefix_token,
                known: false,
            },
        );
        ev.set_var("prefix", Value::known(prefix.clone()));
        ev.set_var(
            "cmdpath",
            Value {
                text: String::new(),
                known: false,
            },
        );
        ev.set_var("config_directory", Value::known(prefix.clone()));
        ev.set_var("config_file", Value::known(format!("{prefix}/grub.cfg")));
        ev.set_var("grub_platform", Value::known(ev.opts.platform.name()));
        ev.set_var("grub_cpu", Value::known(ev.opts.platform.cpu()));
        // GRUB 2.06+ sets these in normal mode (and exports them).
        for feature in [
            "chainloader_bpb",
            "ntldr",
            "platform_search_hint",
            "default_font_path",
            "all_video_module",
            "menuentry_id",
            "menuentry_options",
            "200_final",
            "nativedisk_cmd",
            "timeout_style",
        ] {
            let name = format!("feature_{feature}");
            ev.set_var(&name, Value::known("y"));
            ev.export(&name);
        }
        for name in [
            "root",
            "prefix",
            "cmdpath",
            "grub_platform",
            "grub_cpu",
            "config_directory",
            "config_file",
        ] {
            ev.export(name);
        }
        ev
    }

    // ---- bookkeeping -------------------------------------------------------

    fn add_file(
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

    fn note(&mut self, kind: NoteKind, mut message: String, location: Option<Location>) {
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
    fn can_read(&mut self, file: usize, span: Span, what: &str) -> bool {
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
    fn charge_env_copy(&mut self) {
        let vars: usize = self.contexts.iter().map(HashMap::len).sum();
        self.steps = self.steps.saturating_add(vars / 32);
    }

    fn record_syntax_errors(&mut self, file: usize, script: &script::Script) {
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

    fn loc(file: usize, span: Span) -> Location {
        Location { file, span }
    }

    fn source_text(&self, file: usize, span: Span) -> String {
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
    fn step(&mut self, file: usize, span: Span) -> bool {
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

    fn enter(&mut self, file: usize, span: Span, what: &str) -> bool {
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

    fn condition(&self) -> Option<String> {
        let all: Vec<&str> = self
            .conds
            .iter()
            .chain(self.flow_conds.iter().flatten())
            .map(String::as_str)
            .collect();
        (!all.is_empty()).then(|| all.join(" && "))
    }

    // ---- environment -------------------------------------------------------

    fn ctx(&self) -> &Context {
        // The stack is never empty: `new` pushes one and pops are paired.
        &self.contexts[self.contexts.len() - 1]
    }

    fn ctx_mut(&mut self) -> &mut Context {
        let last = self.contexts.len() - 1;
        &mut self.contexts[last]
    }

    fn is_set(&self, name: &str) -> bool {
        self.ctx().contains_key(name)
    }

    fn get(&self, name: &str) -> Value {
        if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
            let n: usize = name.parse().unwrap_or(usize::MAX);
            return self
                .params
                .last()
                .and_then(|p| n.checked_sub(1).and_then(|i| p.get(i)))
                .cloned()
                .unwrap_or_else(|| Value::known(""));
        }
        match name {
            "#" => Value::known(self.params.last().map_or(0, Vec::len).to_string()),
            "?" => match self.status {
                Truth::True => Value::known("0"),
                Truth::False => Value::known("1"),
                Truth::Unknown => Value {
                    text: "0".into(),
                    known: false,
                },
            },
            "*" | "@" => {
                let params = self.params.last().cloned().unwrap_or_default();
                Value {
                    text: params
                        .iter()
                        .map(|p| p.text.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                    known: params.iter().all(|p| p.known),
                }
            }
            _ => match self.ctx().get(name) {
                Some(v) => v.value.clone(),
                None => Value {
                    text: String::new(),
                    known: !self
                        .env_unknown
                        .as_ref()
                        .is_some_and(|list| list.is_empty() || list.iter().any(|n| n == name)),
                },
            },
        }
    }

    fn set_var(&mut self, name: &str, mut value: Value) {
        if value.text.len() > MAX_VALUE {
            let mut cut = MAX_VALUE;
            while !value.text.is_char_boundary(cut) {
                cut -= 1;
            }
            value.text.truncate(cut);
            value.known = false;
        }
        if name == "root" {
            // GRUB's write hook on `root` strips one pair of parentheses.
            if let Some(inner) = value
                .text
                .strip_prefix('(')
                .and_then(|t| t.strip_suffix(')'))
            {
                value.text = inner.to_string();
            }
        }
        let ctx = self.ctx_mut();
        let room = ctx.len() < MAX_VARS;
        match ctx.get_mut(name) {
            Some(var) => var.value = value,
            None if room => {
                ctx.insert(
                    name.to_string(),
                    Var {
                        value,
                        exported: false,
                    },
                );
            }
            // Past the cap a new variable is dropped: reads give "" as if unset.
            None => {}
        }
    }

    fn export(&mut self, name: &str) {
        let ctx = self.ctx_mut();
        ctx.entry(name.to_string())
            .or_insert_with(|| Var {
                value: Value::known(""),
                exported: false,
            })
            .exported = true;
    }

    /// A new context holding only exported variables (submenu, configfile).
    fn push_context(&mut self) {
        let fresh: Context = self
            .ctx()
            .iter()
            .filter(|(_, v)| v.exported)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        self.contexts.push(fresh);
    }

    fn pop_context(&mut self) {
        if self.contexts.len() > 1 {
            self.contexts.pop();
        }
    }

    /// After an undecided branch: a variable that differs between the two ways
    /// through is no longer known. It keeps the text of the way without the
    /// `then` branch, which in generated configs is the usual boot (`saved_entry`
    /// rather than `next_entry`, the normal timeout rather than the recovery one).
    fn merge(&mut self, other: Vec<Context>) {
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

    /// The text standing for a device expression in variables and paths; two
    /// different expressions never share one (hints differ between searches).
    fn device_token(&mut self, expr: DeviceExpr) -> String {
        let base = expr.display();
        let mut token = base.clone();
        for n in 2..100 {
            match self.devices.get(&token) {
                Some(existing) if *existing != expr => token = format!("{base}#{n}"),
                _ => break,
            }
        }
        self.devices.insert(token.clone(), expr);
        token
    }

    /// What `$root` means now.
    fn root_device(&self) -> DeviceExpr {
        let root = self.get("root");
        self.device_named(&root.text, root.known)
    }

    fn device_named(&self, name: &str, known: bool) -> DeviceExpr {
        if name.is_empty() {
            return if known {
                DeviceExpr::Unset
            } else {
                DeviceExpr::Unknown {
                    text: String::new(),
                }
            };
        }
        if let Some(dev) = self.devices.get(name) {
            return dev.clone();
        }
        if known {
            DeviceExpr::Grub {
                name: name.to_string(),
            }
        } else {
            DeviceExpr::Unknown {
                text: name.to_string(),
            }
        }
    }

    /// A GRUB path: `(dev)/path` or `/path` on `$root`.
    fn file_ref(&self, arg: &Arg) -> FileRef {
        let text = &arg.text;
        if let Some(rest) = text.strip_prefix('(') {
            if let Some(close) = rest.find(')') {
                let name = &rest[..close];
                // A search result's token is unknown text, but the device
                // expression stands for it exactly.
                let via_token = self.devices.contains_key(name);
                return FileRef {
                    text: text.clone(),
                    device: self.device_named(name, arg.known),
                    path: rest[close + 1..].to_string(),
                    uncertain: !arg.known && !via_token,
                };
            }
            return FileRef {
                text: text.clone(),
                device: DeviceExpr::Unknown { text: text.clone() },
                path: String::new(),
                uncertain: true,
            };
        }
        FileRef {
            text: text.clone(),
            device: self.root_device(),
            path: text.clone(),
            uncertain: !arg.known,
        }
    }

    // ---- expansion (§4.1) --------------------------------------------------

    fn expand_words(&self, words: &[Word]) -> Vec<Arg> {
        let mut out = Vec::new();
        for w in words {
            self.expand_word(w, &mut out);
        }
        out
    }

    fn expand_word(&self, word: &Word, out: &mut Vec<Arg>) {
        fn append(cur: &mut Option<Arg>, text: &str, known: bool, creates: bool) {
            if text.is_empty() && !creates {
                return;
            }
            let arg = cur.get_or_insert_with(|| Value::known(""));
            if arg.text.len() + text.len() <= MAX_VALUE {
                arg.text.push_str(text);
            } else {
                arg.known = false;
            }
            arg.known &= known;
        }
        let mut cur: Option<Arg> = None;
        for part in &word.parts {
            match part {
                WordPart::Text { value, .. } => append(&mut cur, value, true, false),
                WordPart::SingleQuoted { value, .. } => append(&mut cur, value, true, true),
                WordPart::Gettext { value, .. } => {
                    let mut known = true;
                    let mut lookup = |n: &str| {
                        let v = self.get(n);
                        known &= v.known;
                        Some(v.text)
                    };
                    let (text, _) = bls::expand_vars(value, &mut lookup);
                    append(&mut cur, &text, known, true);
                }
                WordPart::DoubleQuoted { parts, .. } => {
                    append(&mut cur, "", true, true);
                    for p in parts {
                        match p {
                            QuotedPart::Text { value, .. } => append(&mut cur, value, true, true),
                            QuotedPart::Variable(v) if v.name == "@" => {
                                let params = self.params.last().cloned().unwrap_or_default();
                                for (i, p) in params.iter().enumerate() {
                                    if i > 0 {
                                        out.extend(cur.take());
                                    }
                                    append(&mut cur, &p.text, p.known, true);
                                }
                            }
                            QuotedPart::Variable(v) => {
                                let value = self.get(&v.name);
                                append(&mut cur, &value.text, value.known, true);
                            }
                        }
                    }
                }
                WordPart::Variable(v) => {
                    let fields: Vec<Arg> = if v.name == "@" || v.name == "*" {
                        let params = self.params.last().cloned().unwrap_or_default();
                        params
                            .iter()
                            .flat_map(|p| {
                                p.text
                                    .split([' ', '\t', '\n', '\r'])
                                    .filter(|s| !s.is_empty())
                                    .map(|s| Value {
                                        text: s.to_string(),
                                        known: p.known,
                                    })
                                    .collect::<Vec<_>>()
                            })
                            .collect()
                    } else {
                        let value = self.get(&v.name);
                        value
                            .text
                            .split([' ', '\t', '\n', '\r'])
                            .filter(|s| !s.is_empty())
                            .map(|s| Value {
                                text: s.to_string(),
                                known: value.known,
                            })
                            .collect()
                    };
                    for (i, f) in fields.iter().enumerate() {
                        if i > 0 {
                            out.extend(cur.take());
                        }
                        append(&mut cur, &f.text, f.known, false);
                    }
                }
            }
        }
        out.extend(cur);
    }

    // ---- statements --------------------------------------------------------

    fn stopped(&self) -> bool {
        self.halted || self.flow.is_some() || self.replaced.is_some()
    }

    fn run_block(&mut self, file: usize, stmts: &[Statement]) {
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
            Statement::For(f) => {
                let items = self.expand_words(&f.items);
                for item in items.into_iter().take(MAX_LOOP) {
                    if self.halted {
                        break;
                    }
                    self.set_var(&f.variable, item);
                    self.flow_conds.push(Vec::new());
                    self.run_block(file, &f.body);
                    self.flow_conds.pop();
                    if self.loop_flow() {
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
            Statement::Loop(l) => {
                for _ in 0..MAX_LOOP {
                    if self.halted {
                        break;
                    }
                    self.run_block(file, &l.condition);
                    // `until` loops while the condition fails.
                    let go_on = if l.until { !self.status } else { self.status };
                    match go_on {
                        Truth::True => {
                            self.flow_conds.push(Vec::new());
                            self.run_block(file, &l.body);
                            self.flow_conds.pop();
                            if self.loop_flow() {
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

    // ---- commands ----------------------------------------------------------

    fn in_entry(&self) -> bool {
        matches!(self.sinks.last(), Some(Sink::Entry(_)))
    }

    fn record(&mut self, file: usize, span: Span, kind: CommandKind) {
        let size = kept_size(&kind);
        if self.kept_bytes.saturating_add(size) > MAX_KEPT_BYTES {
            self.note(
                NoteKind::LimitReached,
                format!(
                    "more than {MAX_KEPT_BYTES} bytes of commands recorded: the rest are dropped"
                ),
                Some(Self::loc(file, span)),
            );
            return;
        }
        self.kept_bytes += size;
        let cmd = EntryCommand {
            kind,
            device: self.root_device(),
            conditional: self.condition(),
            location: Self::loc(file, span),
        };
        match self.sinks.last_mut() {
            Some(Sink::Entry(cmds)) => {
                if cmds.len() < 10_000 {
                    cmds.push(cmd);
                }
            }
            _ => {
                if let CommandKind::Insmod { module } = &cmd.kind {
                    if !self.modules.contains(module) && self.modules.len() < 1_000 {
                        self.modules.push(module.clone());
                    }
                    return;
                }
                let loads = matches!(
                    cmd.kind,
                    CommandKind::Linux { .. }
                        | CommandKind::Initrd { .. }
                        | CommandKind::Chainloader { .. }
                        | CommandKind::Load { .. }
                );
                if loads && self.top_level.len() < 1_000 {
                    self.top_level.push(cmd);
                }
            }
        }
    }

    fn run_command(&mut self, file: usize, c: &Command) {
        let mut args = self.expand_words(&c.words);
        let mut negate = false;
        if args.first().is_some_and(|a| a.text == "!") {
            negate = true;
            args.remove(0);
        }
        let Some(first) = args.first().cloned() else {
            self.status = Truth::True;
            return;
        };
        let status = if !first.known {
            if self.in_entry() {
                self.record(
                    file,
                    c.span,
                    CommandKind::Other {
                        name: first.text.clone(),
                        args: args[1..].iter().map(|a| a.text.clone()).collect(),
                    },
                );
            }
            Truth::Unknown
        } else {
            self.dispatch(file, c, &first.text, &args)
        };
        self.status = if negate { !status } else { status };
    }

    fn texts(args: &[Arg]) -> Vec<String> {
        args.iter().map(|a| a.text.clone()).collect()
    }

    fn dispatch(&mut self, file: usize, c: &Command, name: &str, args: &[Arg]) -> Truth {
        let span = c.span;
        let rest = &args[1..];
        match name {
            "[" | "test" => {
                let mut targs: Vec<TestArg> = rest
                    .iter()
                    .map(|a| TestArg {
                        text: a.text.clone(),
                        known: a.known,
                    })
                    .collect();
                if name == "[" && targs.last().is_some_and(|a| a.text == "]") {
                    targs.pop();
                }
                let mut probe = Probe {
                    ev: self,
                    args: rest,
                };
                test_expr::evaluate(&targs, &mut probe)
            }
            "true" => Truth::True,
            "false" => Truth::False,
            "set" => {
                let Some(first) = rest.first() else {
                    return Truth::True;
                };
                match first.text.split_once('=') {
                    Some((n, v)) => {
                        self.assign(n, v, first.known);
                        Truth::True
                    }
                    None => {
                        self.note(
                            NoteKind::BadCommand,
                            format!("set {}: not an assignment", first.text),
                            Some(Self::loc(file, span)),
                        );
                        Truth::False
                    }
                }
            }
            "unset" => {
                for a in rest {
                    self.ctx_mut().remove(&a.text);
                }
                Truth::True
            }
            "export" => {
                for a in rest {
                    self.export(&a.text);
                }
                Truth::True
            }
            "menuentry" | "submenu" => {
                if self.in_entry() {
                    self.record(
                        file,
                        span,
                        CommandKind::Other {
                            name: name.into(),
                            args: Self::texts(rest),
                        },
                    );
                    return Truth::True;
                }
                self.define_entry(file, c, rest, name == "submenu");
                Truth::True
            }
            "source" | "." => self.source(file, span, rest),
            "configfile" => self.configfile(file, span, rest),
            // `normal FILE` inside a config reads FILE as a new menu, like configfile.
            "normal" if !rest.is_empty() => self.configfile(file, span, rest),
            "load_env" => self.load_env(file, span, rest),
            "save_env" => {
                let vars: Vec<String> = rest
                    .iter()
                    .filter(|a| !a.text.starts_with('-'))
                    .map(|a| format!("{}={}", a.text, self.get(&a.text).text))
                    .collect();
                self.note(
                    NoteKind::SaveEnv,
                    format!(
                        "save_env would write {} to the grubenv (bootvet never writes)",
                        vars.join(" ")
                    ),
                    Some(Self::loc(file, span)),
                );
                if self.in_entry() {
                    self.record(
                        file,
                        span,
                        CommandKind::Other {
                            name: name.into(),
                            args: Self::texts(rest),
                        },
                    );
                }
                Truth::True
            }
            "blscfg" | "bls_import" => self.blscfg(file, span, rest),
            "search" | "search.fs_uuid" | "search.fs_label" | "search.file" => {
                self.search(file, span, name, rest)
            }
            "probe" => {
                let mut it = rest.iter();
                let mut var = None;
                let mut what = Vec::new();
                while let Some(a) = it.next() {
                    if a.text == "-s" || a.text == "--set" {
                        var = it.next().map(|v| v.text.clone());
                    } else if let Some(v) = a.text.strip_prefix("--set=") {
                        var = Some(v.to_string());
                    } else {
                        what.push(a.text.clone());
                    }
                }
                if let Some(var) = var {
                    self.set_var(
                        &var,
                        Value {
                            text: format!("probe:{}", what.join(",")),
                            known: false,
                        },
                    );
                }
                Truth::Unknown
            }
            "regexp" => {
                let mut it = rest.iter();
                while let Some(a) = it.next() {
                    let spec = if a.text == "-s" || a.text == "--set" {
                        it.next().map(|v| v.text.clone())
                    } else {
                        a.text.strip_prefix("--set=").map(str::to_string)
                    };
                    if let Some(spec) = spec {
                        let var = spec
                            .split_once(':')
                            .map_or(spec.as_str(), |(_, v)| v)
                            .to_string();
                        self.set_var(
                            &var,
                            Value {
                                text: format!("regexp:{var}"),
                                known: false,
                            },
                        );
                    }
                }
                Truth::Unknown
            }
            "read" => {
                for a in rest {
                    self.set_var(
                        &a.text,
                        Value {
                            text: String::new(),
                            known: false,
                        },
                    );
                }
                Truth::Unknown
            }
            "insmod" => {
                if let Some(m) = rest.first() {
                    self.record(
                        file,
                        span,
                        CommandKind::Insmod {
                            module: m.text.clone(),
                        },
                    );
                }
                Truth::True
            }
            "return" => {
                self.flow = Some(Flow::Return);
                match rest.first() {
                    Some(a) if a.known => {
                        Truth::from(default::grub_strtoul(&a.text).is_none_or(|(n, _)| n == 0))
                    }
                    Some(_) => Truth::Unknown,
                    None => self.status,
                }
            }
            "break" | "continue" => {
                let n = rest
                    .first()
                    .and_then(|a| default::grub_strtoul(&a.text))
                    .map_or(1, |(n, _)| usize::try_from(n).unwrap_or(1).max(1));
                self.flow = Some(if name == "break" {
                    Flow::Break(n)
                } else {
                    Flow::Continue(n)
                });
                Truth::True
            }
            "shift" => {
                let n = rest
                    .first()
                    .and_then(|a| default::grub_strtoul(&a.text))
                    .map_or(1, |(n, _)| usize::try_from(n).unwrap_or(usize::MAX));
                if let Some(p) = self.params.last_mut() {
                    let n = n.min(p.len());
                    p.drain(..n);
                }
                Truth::True
            }
            "setparams" => {
                if let Some(p) = self.params.last_mut() {
                    *p = rest.to_vec();
                }
                Truth::True
            }
            "eval" => {
                let text = Self::texts(rest).join(" ");
                if !self.enter(file, span, "eval") {
                    return Truth::Unknown;
                }
                let parsed = script::parse(text.as_bytes());
                let id = self.add_file(
                    format!("eval at {}:{}", self.out_files[file].path, span.start),
                    self.root_device(),
                    FileKind::Config,
                    text.into_bytes(),
                );
                self.record_syntax_errors(id, &parsed);
                self.run_block(id, &parsed.statements);
                self.depth -= 1;
                self.status
            }
            "loopback" => {
                if rest.first().is_some_and(|a| a.text == "-d") {
                    if let Some(n) = rest.get(1) {
                        self.devices.remove(&n.text);
                    }
                    return Truth::True;
                }
                // Forks add options (`-m` for a memory copy); skip them.
                let plain: Vec<&Arg> = rest.iter().filter(|a| !a.text.starts_with('-')).collect();
                let (Some(dev), Some(path)) = (plain.first(), plain.get(1)) else {
                    return Truth::False;
                };
                let file_ref = self.file_ref(path);
                self.devices.insert(
                    dev.text.clone(),
                    DeviceExpr::Loopback {
                        name: dev.text.clone(),
                        file: Box::new(file_ref.clone()),
                    },
                );
                self.record(
                    file,
                    span,
                    CommandKind::Loopback {
                        name: dev.text.clone(),
                        file: file_ref,
                    },
                );
                Truth::True
            }
            _ if LOADERS_LINUX.contains(&name) => {
                let Some(path) = rest.first() else {
                    self.note(
                        NoteKind::BadCommand,
                        format!("{name}: filename expected"),
                        Some(Self::loc(file, span)),
                    );
                    return Truth::False;
                };
                let kargs = Self::texts(&rest[1..]);
                let line = cmdline::grub_cmdline(&kargs);
                let (params, init_args) = cmdline::kernel_params(&line);
                let kind = CommandKind::Linux {
                    command: name.into(),
                    file: self.file_ref(path),
                    args: kargs,
                    cmdline: line,
                    params,
                    init_args,
                };
                self.record(file, span, kind);
                Truth::True
            }
            _ if LOADERS_INITRD.contains(&name) => {
                let files = rest.iter().map(|a| self.file_ref(a)).collect();
                self.record(
                    file,
                    span,
                    CommandKind::Initrd {
                        command: name.into(),
                        files,
                    },
                );
                Truth::True
            }
            "chainloader" => {
                // pc's chainloader takes `--force` and `--bpb` before the file.
                let is_flag = |a: &&Arg| a.text == "--force" || a.text == "--bpb";
                let plain: Vec<&Arg> = rest.iter().filter(|a| !is_flag(a)).collect();
                let Some(path) = plain.first() else {
                    return Truth::False;
                };
                let kind = CommandKind::Chainloader {
                    file: self.file_ref(path),
                    args: rest
                        .iter()
                        .filter(is_flag)
                        .chain(plain[1..].iter().copied())
                        .map(|a| a.text.clone())
                        .collect(),
                };
                self.record(file, span, kind);
                Truth::True
            }
            _ if LOADERS_OTHER.contains(&name) => {
                let plain: Vec<&Arg> = rest.iter().filter(|a| !a.text.starts_with("--")).collect();
                let Some(path) = plain.first() else {
                    return Truth::False;
                };
                let kind = CommandKind::Load {
                    command: name.into(),
                    file: self.file_ref(path),
                    args: plain[1..].iter().map(|a| a.text.clone()).collect(),
                };
                self.record(file, span, kind);
                Truth::True
            }
            _ => {
                if let Some(f) = self.functions.get(name).cloned() {
                    return self.call(file, span, f, rest);
                }
                if let Some((n, v)) = name.split_once('=') {
                    let known = args[0].known;
                    self.assign(n, v, known);
                    return Truth::True;
                }
                if self.in_entry() {
                    self.record(
                        file,
                        span,
                        CommandKind::Other {
                            name: name.into(),
                            args: Self::texts(rest),
                        },
                    );
                }
                match name {
                    "echo" | "sleep" | "terminal_output" | "terminal_input" | "insmod"
                    | "set_gfxmode" | "boot" | "savedefault" => Truth::True,
                    _ => Truth::Unknown,
                }
            }
        }
    }

    fn assign(&mut self, name: &str, value: &str, known: bool) {
        if name.is_empty()
            || name.bytes().all(|b| b.is_ascii_digit())
            || matches!(name, "?" | "#" | "*" | "@")
        {
            return;
        }
        self.set_var(
            name,
            Value {
                text: value.to_string(),
                known,
            },
        );
    }

    fn call(&mut self, file: usize, span: Span, f: FunctionBody, args: &[Arg]) -> Truth {
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

    // ---- menuentry / submenu (§6) ------------------------------------------

    fn define_entry(&mut self, file: usize, c: &Command, args: &[Arg], submenu: bool) {
        let what = if submenu { "submenu" } else { "menuentry" };
        let mut positional: Vec<Arg> = Vec::new();
        let mut classes = Vec::new();
        let mut id = None;
        let mut users = None;
        let mut unrestricted = false;
        let mut hotkey = None;
        let mut source = None;
        let mut i = 0;
        let mut options_done = false;
        while i < args.len() {
            let a = &args[i];
            i += 1;
            if options_done || !a.text.starts_with("--") {
                positional.push(a.clone());
                continue;
            }
            if a.text == "--" {
                options_done = true;
                continue;
            }
            let (opt, inline) = match a.text.split_once('=') {
                Some((o, v)) => (o, Some(v.to_string())),
                None => (a.text.as_str(), None),
            };
            let takes_value = matches!(
                opt,
                "--class" | "--id" | "--users" | "--hotkey" | "--source"
            );
            if !takes_value {
                match opt {
                    "--unrestricted" => unrestricted = true,
                    "--help" | "--usage" => {}
                    // Unknown dashed words are positional (the command accepts dashes).
                    _ => positional.push(a.clone()),
                }
                continue;
            }
            let value = match inline {
                Some(v) => Some(v),
                None => match args.get(i) {
                    Some(next) if !next.text.starts_with('-') => {
                        i += 1;
                        Some(next.text.clone())
                    }
                    _ => None,
                },
            };
            let Some(value) = value else {
                self.note(
                    NoteKind::BadCommand,
                    format!("{what}: option {opt} needs a value: GRUB refuses the whole command"),
                    Some(Self::loc(file, c.span)),
                );
                return;
            };
            match opt {
                "--class" => classes.push(value),
                "--id" => id = Some(value),
                "--users" => users = Some(value),
                "--hotkey" => hotkey = Some(value),
                _ => source = Some(value),
            }
        }
        let Some(title) = positional.first() else {
            self.note(
                NoteKind::BadCommand,
                format!("{what} is missing title"),
                Some(Self::loc(file, c.span)),
            );
            return;
        };
        let (body_file, body) = match (&c.block, source) {
            (Some(_), Some(_)) => {
                self.note(
                    NoteKind::BadCommand,
                    format!("{what}: multiple menuentry definitions (--source and a block)"),
                    Some(Self::loc(file, c.span)),
                );
                return;
            }
            (Some(block), None) => {
                // Each definition copies the body; count it so a loop cannot
                // multiply a large body past the memory budget.
                self.kept_bytes = self.kept_bytes.saturating_add(block.span.len() * 8);
                (file, Rc::new(block.body.clone()))
            }
            (None, Some(text)) => {
                let parsed = script::parse(text.as_bytes());
                let id = self.add_file(
                    format!(
                        "{} --source at byte {}",
                        self.out_files[file].path, c.span.start
                    ),
                    self.root_device(),
                    FileKind::Config,
                    text.into_bytes(),
                );
                self.record_syntax_errors(id, &parsed);
                (id, Rc::new(parsed.statements))
            }
            (None, None) => {
                self.note(
                    NoteKind::BadCommand,
                    format!("{what}: no menuentry definition"),
                    Some(Self::loc(file, c.span)),
                );
                return;
            }
        };
        let head = EntryHead {
            path: Vec::new(),
            title: title.text.clone(),
            id,
            classes,
            users,
            unrestricted,
            hotkey,
            extra_args: positional[1..].iter().map(|a| a.text.clone()).collect(),
            conditional: self.condition(),
            location: Self::loc(file, c.span),
        };
        let pending = Pending {
            head,
            submenu,
            file: body_file,
            body,
            params: positional,
        };
        self.push_pending(pending, file, c.span);
    }

    fn push_pending(&mut self, pending: Pending, file: usize, span: Span) {
        let head = &pending.head;
        self.kept_bytes = self.kept_bytes.saturating_add(
            head.title.len() + head.extra_args.iter().map(String::len).sum::<usize>(),
        );
        let mut over = self.kept_bytes > MAX_KEPT_BYTES;
        if let Some(Sink::Menu(list)) = self.sinks.last_mut()
            && !over
        {
            if list.len() < MAX_ENTRIES {
                list.push(pending);
            } else {
                over = true;
            }
        }
        if over {
            self.note(
                NoteKind::LimitReached,
                format!("more than {MAX_ENTRIES} entries in one menu: the rest are dropped"),
                Some(Self::loc(file, span)),
            );
        }
    }

    /// Runs entry bodies (and opens submenus) the way GRUB does when an entry is
    /// chosen: with the environment as the menu left it.
    fn realize(&mut self, pending: Vec<Pending>, prefix: &[usize]) -> Vec<MenuNode> {
        let mut nodes = Vec::new();
        for (i, p) in pending.into_iter().enumerate() {
            let mut head = p.head;
            head.path = prefix.to_vec();
            head.path.push(i);
            let saved_conds = std::mem::take(&mut self.conds);
            let saved_flow_conds = std::mem::replace(&mut self.flow_conds, vec![Vec::new()]);
            let saved_status = self.status;
            if p.submenu {
                let mut children = Vec::new();
                if self.enter(p.file, head.location.span, "submenu") {
                    self.push_context();
                    self.params.push(p.params);
                    self.sinks.push(Sink::Menu(Vec::new()));
                    self.run_block(p.file, &p.body);
                    self.flow = None;
                    let list = match self.sinks.pop() {
                        Some(Sink::Menu(list)) => list,
                        _ => Vec::new(),
                    };
                    self.params.pop();
                    children = self.realize(list, &head.path);
                    self.pop_context();
                    self.depth -= 1;
                }
                nodes.push(MenuNode::Submenu(Submenu {
                    head,
                    entries: children,
                }));
            } else {
                self.charge_env_copy();
                let saved_env = self.contexts.clone();
                self.params.push(p.params);
                self.sinks.push(Sink::Entry(Vec::new()));
                self.set_var(
                    "chosen",
                    Value::known(head.id.clone().unwrap_or_else(|| head.title.clone())),
                );
                self.run_block(p.file, &p.body);
                self.flow = None;
                let commands = match self.sinks.pop() {
                    Some(Sink::Entry(cmds)) => cmds,
                    _ => Vec::new(),
                };
                self.params.pop();
                self.contexts = saved_env;
                nodes.push(MenuNode::Entry(BootEntry { head, commands }));
            }
            self.conds = saved_conds;
            self.flow_conds = saved_flow_conds;
            self.status = saved_status;
        }
        nodes
    }

    // ---- files: source, configfile, load_env, blscfg -----------------------

    fn read_config(
        &mut self,
        file: usize,
        span: Span,
        what: &str,
        arg: &Arg,
    ) -> Result<usize, Truth> {
        if !self.can_read(file, span, &format!("{what} {}", arg.text)) {
            return Err(Truth::Unknown);
        }
        let r = self.file_ref(arg);
        match self.files.read(&r.device, &r.path) {
            Ok(bytes) => {
                Ok(self.add_file(r.text.clone(), r.device.clone(), FileKind::Config, bytes))
            }
            Err(FileError::NotFound) => {
                self.note(
                    NoteKind::MissingFile,
                    format!("{what} {}: file not found", r.text),
                    Some(Self::loc(file, span)),
                );
                Err(Truth::False)
            }
            Err(e) => {
                self.note(
                    NoteKind::UnreadableFile,
                    format!("{what} {}: {e}", r.text),
                    Some(Self::loc(file, span)),
                );
                Err(Truth::Unknown)
            }
        }
    }

    /// What `source` and `configfile` share: read the file, go one level deeper,
    /// parse it and record its syntax errors. `Err` carries the command's status.
    fn load_config(
        &mut self,
        file: usize,
        span: Span,
        what: &str,
        path: &Arg,
    ) -> Result<(usize, script::Script), Truth> {
        let id = self.read_config(file, span, what, path)?;
        if !self.enter(file, span, what) {
            return Err(Truth::Unknown);
        }
        let parsed = script::parse(&self.out_files[id].bytes);
        self.record_syntax_errors(id, &parsed);
        Ok((id, parsed))
    }

    fn source(&mut self, file: usize, span: Span, args: &[Arg]) -> Truth {
        let Some(path) = args.first() else {
            return Truth::False;
        };
        let (id, parsed) = match self.load_config(file, span, "source", path) {
            Ok(loaded) => loaded,
            Err(status) => return status,
        };
        self.status = Truth::True;
        self.run_block(id, &parsed.statements);
        self.depth -= 1;
        self.status
    }

    fn configfile(&mut self, file: usize, span: Span, args: &[Arg]) -> Truth {
        let Some(path) = args.first() else {
            return Truth::False;
        };
        if self.in_entry() {
            let r = self.file_ref(path);
            self.record(file, span, CommandKind::Configfile { file: r });
            return Truth::True;
        }
        let (id, parsed) = match self.load_config(file, span, "configfile", path) {
            Ok(loaded) => loaded,
            Err(status) => return status,
        };
        self.push_context();
        let full = normalize(&self.file_ref(path).path);
        let dir = full.rsplit_once('/').map_or("", |(d, _)| d).to_string();
        let dev_text = match self.file_ref(path).device {
            DeviceExpr::Unset => String::new(),
            d => format!("({})", d.display()),
        };
        self.set_var("config_file", Value::known(format!("{dev_text}{full}")));
        self.set_var("config_directory", Value::known(format!("{dev_text}{dir}")));
        self.sinks.push(Sink::Menu(Vec::new()));
        self.run_block(id, &parsed.statements);
        self.flow = None;
        let list = match self.sinks.pop() {
            Some(Sink::Menu(list)) => list,
            _ => Vec::new(),
        };
        self.depth -= 1;
        if list.is_empty() || self.replaced.is_some() {
            self.pop_context();
            return Truth::True;
        }
        // GRUB shows the new menu now; the rest of this file only runs if the
        // user leaves it with Escape. The menu context stays for the entries.
        self.note(
            NoteKind::MenuReplaced,
            format!("configfile {}: GRUB shows this file's menu ({} entries) instead of the one being built", path.text, list.len()),
            Some(Self::loc(file, span)),
        );
        self.replaced = Some(list);
        Truth::True
    }

    fn load_env(&mut self, file: usize, span: Span, args: &[Arg]) -> Truth {
        let mut env_file = None;
        let mut whitelist = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            i += 1;
            if a.text == "-f" || a.text == "--file" {
                env_file = args.get(i).cloned();
                i += 1;
            } else if let Some(v) = a.text.strip_prefix("--file=") {
                env_file = Some(Value {
                    text: v.to_string(),
                    known: a.known,
                });
            } else if a.text == "-s" || a.text == "--skip-sig" {
            } else {
                whitelist.push(a.text.clone());
            }
        }
        let arg = env_file.unwrap_or_else(|| {
            let prefix = self.get("prefix");
            Value {
                text: format!("{}/grubenv", prefix.text),
                known: prefix.known,
            }
        });
        let r = self.file_ref(&arg);
        if !self.can_read(file, span, "load_env") {
            return Truth::Unknown;
        }
        let bytes = match self.files.read(&r.device, &r.path) {
            Ok(bytes) => bytes,
            Err(FileError::NotFound) => {
                self.note(
                    NoteKind::MissingFile,
                    format!("load_env {}: file not found", r.text),
                    Some(Self::loc(file, span)),
                );
                return Truth::False;
            }
            Err(e) => {
                self.note(
                    NoteKind::UnreadableFile,
                    format!("load_env {}: {e}", r.text),
                    Some(Self::loc(file, span)),
                );
                self.env_unknown = Some(whitelist);
                return Truth::Unknown;
            }
        };
        {
            self.add_file(
                r.text.clone(),
                r.device.clone(),
                FileKind::Grubenv,
                bytes.clone(),
            );
        }
        match grubenv::parse(&bytes) {
            Ok(env) => {
                for p in &env.problems {
                    self.note(
                        NoteKind::MalformedGrubenv,
                        format!("grubenv {} {p}", r.text),
                        Some(Self::loc(file, span)),
                    );
                }
                self.env_unknown = None;
                for (k, v) in env.vars {
                    if whitelist.is_empty() || whitelist.contains(&k) {
                        self.set_var(&k, Value::known(v));
                    }
                }
                Truth::True
            }
            Err(grubenv::InvalidBlock(why)) => {
                self.note(NoteKind::MalformedGrubenv, format!("grubenv {} {why}: GRUB says \"invalid environment block\" and loads nothing", r.text), Some(Self::loc(file, span)));
                Truth::False
            }
        }
    }

    fn search(&mut self, file: usize, span: Span, name: &str, args: &[Arg]) -> Truth {
        let platform_hint = match self.opts.platform {
            Platform::Pc => "--hint-bios",
            Platform::Efi => "--hint-efi",
        };
        let mut kind = match name {
            "search.fs_uuid" => Some('u'),
            "search.fs_label" => Some('l'),
            "search.file" => Some('f'),
            _ => None,
        };
        let mut var: Option<String> = None;
        let mut var_from_next_word = false;
        let mut hints = Vec::new();
        let mut positional: Vec<&Arg> = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            i += 1;
            let (opt, inline) = match a.text.split_once('=') {
                Some((o, v)) if a.text.starts_with('-') => (o, Some(v.to_string())),
                _ => (a.text.as_str(), None),
            };
            match opt {
                "-f" | "--file" => kind = Some('f'),
                "-l" | "--label" => kind = Some('l'),
                "-u" | "--fs-uuid" => kind = Some('u'),
                "-n" | "--no-floppy" | "--efidisk-only" | "--cryptodisk-only" | "-r"
                | "--root-dev-only" => {}
                "-s" | "--set" => match inline {
                    Some(v) => var = Some(v),
                    None => match args.get(i) {
                        Some(next) if !next.text.starts_with('-') => {
                            var = Some(next.text.clone());
                            var_from_next_word = true;
                            i += 1;
                        }
                        _ => var = Some("root".into()),
                    },
                },
                "-h" | "--hint" => {
                    let v = inline.or_else(|| {
                        i += 1;
                        args.get(i - 1).map(|a| a.text.clone())
                    });
                    hints.extend(v);
                }
                _ if opt.starts_with("--hint-") => {
                    let v = inline.or_else(|| {
                        i += 1;
                        args.get(i - 1).map(|a| a.text.clone())
                    });
                    if opt == platform_hint {
                        hints.extend(v);
                    }
                }
                _ => positional.push(a),
            }
        }
        if name != "search" {
            // search.fs_uuid NAME [VAR] [HINT…]
            var = positional.get(1).map(|a| a.text.clone());
            hints.extend(positional.iter().skip(2).map(|a| a.text.clone()));
            positional.truncate(1);
        }
        if positional.is_empty() && var_from_next_word {
            // `search --fs-uuid --set UUID`: GRUB took UUID as the variable name,
            // finds no search argument, and searches for that word into `root`.
            let word = var.take().unwrap_or_default();
            self.note(
                NoteKind::BadCommand,
                format!("search --set {word}: GRUB reads `{word}` as the variable name; write --set=root {word}"),
                Some(Self::loc(file, span)),
            );
            positional.push(args.iter().find(|a| a.text == word).unwrap_or(&args[0]));
            var = Some("root".into());
        }
        let (Some(kind), Some(target)) = (kind, positional.first()) else {
            self.note(
                NoteKind::BadCommand,
                format!(
                    "{name}: {}",
                    if kind.is_none() {
                        "unspecified search type"
                    } else {
                        "one argument expected"
                    }
                ),
                Some(Self::loc(file, span)),
            );
            return Truth::False;
        };
        // Without --set the search only prints what it finds.
        let Some(var) = var else {
            return Truth::Unknown;
        };
        let before = self.get(&var);
        let otherwise = match self.device_named(&before.text, before.known) {
            DeviceExpr::Unknown { .. } | DeviceExpr::Unset => None,
            device => Some(Box::new(device)),
        };
        let expr = match kind {
            'u' => DeviceExpr::FsUuid {
                uuid: target.text.clone(),
                hints,
                otherwise,
            },
            'l' => DeviceExpr::Label {
                label: target.text.clone(),
                hints,
                otherwise,
            },
            _ => DeviceExpr::File {
                path: target.text.clone(),
                hints,
                otherwise,
            },
        };
        let token = self.device_token(expr);
        self.set_var(
            &var,
            Value {
                text: token,
                known: false,
            },
        );
        Truth::Unknown
    }

    fn blscfg(&mut self, file: usize, span: Span, args: &[Arg]) -> Truth {
        let mut dir = None;
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            i += 1;
            if a.text == "-p" || a.text == "--path" {
                dir = args.get(i).map(|a| a.text.clone());
                i += 1;
            } else if let Some(v) = a.text.strip_prefix("--path=") {
                dir = Some(v.to_string());
            }
        }
        let explicit = dir.is_some();
        let blsdir = self.get("blsdir");
        let dir = dir.unwrap_or_else(|| {
            if blsdir.text.is_empty() {
                "/loader/entries".into()
            } else {
                blsdir.text.clone()
            }
        });
        let device = self.root_device();
        let mut listing = self
            .files
            .list_dir(&device, &dir)
            .map(|names| (dir.clone(), names));
        if matches!(listing, Err(FileError::NotFound)) && !explicit {
            let alt = "/boot/loader/entries".to_string();
            listing = self.files.list_dir(&device, &alt).map(|names| (alt, names));
        }
        let (dir, mut names) = match listing {
            Ok(found) => found,
            Err(e) => {
                let kind = if e == FileError::NotFound {
                    NoteKind::MissingFile
                } else {
                    NoteKind::UnreadableFile
                };
                self.note(
                    kind,
                    format!("blscfg: cannot list {dir} on ({}): {e}", device.display()),
                    Some(Self::loc(file, span)),
                );
                return if e == FileError::NotFound {
                    Truth::False
                } else {
                    Truth::Unknown
                };
            }
        };
        names.retain(|n| bls::is_snippet_name(n));
        names.sort();
        names.truncate(MAX_ENTRIES);
        let mut snippets = Vec::new();
        for name in names {
            if !self.can_read(file, span, "blscfg") {
                break;
            }
            let path = format!("{}/{name}", dir.trim_end_matches('/'));
            let bytes = match self.files.read(&device, &path) {
                Ok(b) if b.len() <= bls::MAX_SNIPPET_BYTES => b,
                Ok(_) => continue,
                Err(e) => {
                    self.note(
                        NoteKind::UnreadableFile,
                        format!("blscfg: {path}: {e}"),
                        Some(Self::loc(file, span)),
                    );
                    continue;
                }
            };
            let snippet = bls::parse(&name, &bytes);
            let id = self.add_file(
                format!("({}){path}", device.display()),
                device.clone(),
                FileKind::Bls,
                bytes,
            );
            for p in &snippet.problems {
                self.note(
                    NoteKind::MalformedBls,
                    format!("BLS snippet {path} {p}"),
                    Some(Self::loc(id, Span::new(0, 0))),
                );
            }
            if snippet.get("linux").is_some() {
                snippets.push((id, snippet));
            }
        }
        let mut order: Vec<bls::Snippet> = snippets.iter().map(|(_, s)| s.clone()).collect();
        bls::sort_newest_first(&mut order);
        for snippet in order {
            let Some((id, _)) = snippets.iter().find(|(_, s)| s.id == snippet.id) else {
                continue;
            };
            self.bls_entry(*id, &snippet);
        }
        Truth::True
    }

    /// Builds the entry blscfg adds: its body is script text GRUB parses when the
    /// entry runs, so bootvet parses the same text.
    fn bls_entry(&mut self, conf_file: usize, snippet: &bls::Snippet) {
        let val = |k: &str| snippet.get(k).map(|kv| kv.1.clone());
        let Some(linux) = val("linux") else {
            return;
        };
        // Unknown values are substituted with their best-known text: the entry
        // shows what GRUB most likely builds (see `merge`).
        let mut lookup = |n: &str| Some(self.get(n).text);
        let options = val("options").or_else(|| {
            let d = self.get("default_kernelopts");
            (!d.text.is_empty()).then(|| "$default_kernelopts".to_string())
        });
        let options = options.map(|o| bls::expand_vars(&o, &mut lookup).0);
        let users = val("grub_users").map(|u| bls::expand_vars(&u, &mut lookup).0);
        let mut body = String::from("load_video\nset gfxpayload=keep\ninsmod gzio\n");
        body.push_str(&format!("linux ($root){linux}"));
        if let Some(o) = &options {
            body.push(' ');
            body.push_str(o);
        }
        body.push('\n');
        let initrds: Vec<String> = snippet
            .all("initrd")
            .map(|kv| format!("($root){}", kv.1))
            .collect();
        if !initrds.is_empty() {
            body.push_str(&format!("initrd {}\n", initrds.join(" ")));
        }
        if let Some(dt) = val("devicetree") {
            body.push_str(&format!("devicetree ($root){dt}\n"));
        }
        let parsed = script::parse(body.as_bytes());
        let body_file = self.add_file(
            format!("{} (entry blscfg builds)", self.out_files[conf_file].path),
            self.root_device(),
            FileKind::Config,
            body.into_bytes(),
        );
        self.record_syntax_errors(body_file, &parsed);
        let title = val("title").unwrap_or_else(|| linux.clone());
        let mut extra = Vec::new();
        let mut unrestricted = false;
        for (_, v, _) in snippet.all("grub_arg") {
            if v == "--unrestricted" {
                unrestricted = true;
            } else {
                extra.push(v.clone());
            }
        }
        let span = snippet.get("linux").map_or(Span::default(), |kv| kv.2);
        let head = EntryHead {
            path: Vec::new(),
            title: title.clone(),
            id: Some(snippet.id.clone()),
            classes: snippet.all("grub_class").map(|kv| kv.1.clone()).collect(),
            users: users.filter(|u| !u.is_empty()),
            unrestricted,
            hotkey: val("grub_hotkey"),
            extra_args: extra.clone(),
            conditional: self.condition(),
            location: Self::loc(conf_file, span),
        };
        let mut params = vec![Value::known(title)];
        params.extend(extra.into_iter().map(Value::known));
        let pending = Pending {
            head,
            submenu: false,
            file: body_file,
            body: Rc::new(parsed.statements),
            params,
        };
        self.push_pending(pending, conf_file, span);
    }
}

/// File tests for `[ -f … ]`, answered through the file source.
struct Probe<'a, 'f> {
    ev: &'a Eval<'f>,
    args: &'a [Arg],
}

impl FileProbe for Probe<'_, '_> {
    fn file_test(&mut self, op: char, path: &str) -> Truth {
        let known = self
            .args
            .iter()
            .find(|a| a.text == path)
            .is_none_or(|a| a.known);
        // With `regexp` loaded GRUB expands wildcards before the test runs;
        // bootvet does not list devices, so a pattern stays undecided.
        if path.contains(['*', '?']) {
            return Truth::Unknown;
        }
        let r = self.ev.file_ref(&Value {
            text: path.to_string(),
            known,
        });
        if matches!(r.device, DeviceExpr::Unknown { .. }) {
            return Truth::Unknown;
        }
        match self.ev.files.stat(&r.device, &r.path) {
            Ok(st) => Truth::from(match op {
                'd' => st.is_dir,
                'f' => !st.is_dir,
                's' => !st.is_dir && st.size > 0,
                _ => true,
            }),
            Err(FileError::NotFound) => Truth::False,
            Err(_) => Truth::Unknown,
        }
    }
}

/// `! COND` for a condition's text, without stacking `! !`.
fn negate(text: &str) -> String {
    match text.strip_prefix("! ") {
        Some(inner) => inner.to_string(),
        None => format!("! {text}"),
    }
}

/// Roughly the bytes a recorded command keeps.
fn kept_size(kind: &CommandKind) -> usize {
    let file = |f: &FileRef| f.text.len() * 2 + 64;
    let strings = |v: &[String]| v.iter().map(|s| s.len() + 24).sum::<usize>();
    64 + match kind {
        CommandKind::Linux {
            file: f,
            args,
            cmdline,
            params,
            init_args,
            ..
        } => {
            file(f)
                + strings(args)
                + cmdline.len()
                + params
                    .iter()
                    .map(|p| p.key.len() + p.value.as_ref().map_or(0, String::len) + 48)
                    .sum::<usize>()
                + strings(init_args)
        }
        CommandKind::Initrd { files, .. } => files.iter().map(file).sum(),
        CommandKind::Chainloader { file: f, args } | CommandKind::Load { file: f, args, .. } => {
            file(f) + strings(args)
        }
        CommandKind::Loopback { name, file: f } => name.len() + file(f),
        CommandKind::Configfile { file: f } => file(f),
        CommandKind::Insmod { module } => module.len(),
        CommandKind::Other { name, args } => name.len() + strings(args),
    }
}
