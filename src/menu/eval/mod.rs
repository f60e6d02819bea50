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
//! `Eval` is one context; each file below holds the `impl Eval` block of one
//! job, as rust-analyzer splits its inference context.

mod blscfg;
mod bookkeeping;
mod entries;
mod env;
mod expand;
mod flow;
mod load;
mod search;

use std::collections::HashMap;
use std::rc::Rc;

use super::cmdline;
use super::default;
use super::files::{FileError, FileSource, normalize};
use super::model::*;
use super::test_expr::{self, FileProbe, TestArg};
use super::truth::Truth;
use crate::script::{self, Command, Statement};

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
