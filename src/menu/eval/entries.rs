//! Menu entries (§6): `menuentry`/`submenu` definitions become pending
//! entries; `realize` later runs each body the way GRUB does when the entry is
//! chosen. Commands run inside a body are recorded into the entry (the sink);
//! outside any entry only module loads and loader commands are kept.

use std::rc::Rc;

use super::builtins::Call;
use super::{Arg, Eval, MAX_ENTRIES, MAX_KEPT_BYTES, Pending, Sink, Value};
use crate::menu::model::*;
use crate::menu::truth::Truth;
use crate::script::{self, Command, Span, Statement};

/// `menuentry`'s words, read as GRUB's option parser reads them.
#[derive(Default)]
struct EntryOptions {
    /// The title, then the arguments the body sees as `$2`….
    positional: Vec<Arg>,
    classes: Vec<String>,
    id: Option<String>,
    users: Option<String>,
    unrestricted: bool,
    hotkey: Option<String>,
    /// `--source TEXT`: the body as text instead of a block.
    source: Option<String>,
}

impl EntryOptions {
    /// `Err` names an option given without its value.
    fn parse(args: &[Arg]) -> Result<Self, String> {
        let mut o = EntryOptions::default();
        let mut i = 0;
        let mut options_done = false;
        while i < args.len() {
            let a = &args[i];
            i += 1;
            if options_done || !a.text.starts_with("--") {
                o.positional.push(a.clone());
                continue;
            }
            if a.text == "--" {
                options_done = true;
                continue;
            }
            let (opt, inline) = match a.text.split_once('=') {
                Some((name, v)) => (name, Some(v.to_string())),
                None => (a.text.as_str(), None),
            };
            let takes_value = matches!(
                opt,
                "--class" | "--id" | "--users" | "--hotkey" | "--source"
            );
            if !takes_value {
                match opt {
                    "--unrestricted" => o.unrestricted = true,
                    "--help" | "--usage" => {}
                    // Unknown dashed words are positional (the command accepts dashes).
                    _ => o.positional.push(a.clone()),
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
                return Err(opt.to_string());
            };
            match opt {
                "--class" => o.classes.push(value),
                "--id" => o.id = Some(value),
                "--users" => o.users = Some(value),
                "--hotkey" => o.hotkey = Some(value),
                _ => o.source = Some(value),
            }
        }
        Ok(o)
    }
}

impl Eval<'_> {
    pub(super) fn in_entry(&self) -> bool {
        matches!(self.sinks.last(), Some(Sink::Entry(_)))
    }

    pub(super) fn record(&mut self, file: usize, span: Span, kind: CommandKind) {
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
                let waits = matches!(&cmd.kind, CommandKind::Other { name, .. } if name == "read" || name == "sleep");
                let font =
                    matches!(&cmd.kind, CommandKind::Other { name, .. } if name == "loadfont");
                if loads && self.top_level.len() < 1_000 {
                    self.top_level.push(cmd);
                } else if waits && self.waits.len() < 1_000 {
                    self.waits.push(cmd);
                } else if font && self.fonts.len() < 1_000 {
                    self.fonts.push(cmd);
                }
            }
        }
    }

    /// `menuentry` and `submenu`: define an entry, or inside an entry's body
    /// (where GRUB would add to a menu nobody sees) record it as written.
    pub(super) fn cmd_menuentry(&mut self, call: &Call) -> Truth {
        if self.in_entry() {
            self.record_other(call);
        } else {
            self.define_entry(
                call.file,
                call.command,
                call.rest(),
                call.name() == "submenu",
            );
        }
        Truth::True
    }

    /// Records a command bootvet does not model, as written.
    pub(super) fn record_other(&mut self, call: &Call) {
        self.record(
            call.file,
            call.span(),
            CommandKind::Other {
                name: call.name().into(),
                args: Self::texts(call.rest()),
            },
        );
    }

    fn define_entry(&mut self, file: usize, c: &Command, args: &[Arg], submenu: bool) {
        let what = if submenu { "submenu" } else { "menuentry" };
        let EntryOptions {
            positional,
            classes,
            id,
            users,
            unrestricted,
            hotkey,
            source,
        } = match EntryOptions::parse(args) {
            Ok(o) => o,
            Err(opt) => {
                self.note(
                    NoteKind::BadCommand,
                    format!("{what}: option {opt} needs a value: GRUB refuses the whole command"),
                    Some(Self::loc(file, c.span)),
                );
                return;
            }
        };
        let Some(title) = positional.first() else {
            self.note(
                NoteKind::BadCommand,
                format!("{what} is missing title"),
                Some(Self::loc(file, c.span)),
            );
            return;
        };
        let Some((body_file, body)) = self.entry_body(file, c, what, source) else {
            return;
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

    /// The body an entry runs and the file it is in: its block, or the text of
    /// `--source` (never both, GRUB refuses that).
    fn entry_body(
        &mut self,
        file: usize,
        c: &Command,
        what: &str,
        source: Option<String>,
    ) -> Option<(usize, Rc<Vec<Statement>>)> {
        match (&c.block, source) {
            (Some(_), Some(_)) => {
                self.note(
                    NoteKind::BadCommand,
                    format!("{what}: multiple menuentry definitions (--source and a block)"),
                    Some(Self::loc(file, c.span)),
                );
                None
            }
            (Some(block), None) => {
                // Each definition copies the body; count it so a loop cannot
                // multiply a large body past the memory budget.
                self.kept_bytes = self.kept_bytes.saturating_add(block.span.len() * 8);
                Some((file, Rc::new(block.body.clone())))
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
                Some((id, Rc::new(parsed.statements)))
            }
            (None, None) => {
                self.note(
                    NoteKind::BadCommand,
                    format!("{what}: no menuentry definition"),
                    Some(Self::loc(file, c.span)),
                );
                None
            }
        }
    }

    pub(super) fn push_pending(&mut self, pending: Pending, file: usize, span: Span) {
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

    /// Runs `body` as a menu level (top level, `configfile`, a submenu) and
    /// gives the entries it defined.
    pub(super) fn collect_menu(&mut self, file: usize, body: &[Statement]) -> Vec<Pending> {
        self.sinks.push(Sink::Menu(Vec::new()));
        self.run_block(file, body);
        self.flow = None;
        match self.sinks.pop() {
            Some(Sink::Menu(list)) => list,
            _ => Vec::new(),
        }
    }

    /// Runs entry bodies (and opens submenus) the way GRUB does when an entry is
    /// chosen: with the environment as the menu left it.
    pub(super) fn realize(&mut self, pending: Vec<Pending>, prefix: &[usize]) -> Vec<MenuNode> {
        let mut nodes = Vec::new();
        for (i, mut p) in pending.into_iter().enumerate() {
            p.head.path = prefix.to_vec();
            p.head.path.push(i);
            let saved_conds = std::mem::take(&mut self.conds);
            let saved_flow_conds = std::mem::replace(&mut self.flow_conds, vec![Vec::new()]);
            let saved_status = self.status;
            nodes.push(if p.submenu {
                self.open_submenu(p)
            } else {
                self.run_entry(p)
            });
            self.conds = saved_conds;
            self.flow_conds = saved_flow_conds;
            self.status = saved_status;
        }
        nodes
    }

    /// A submenu's body runs in a context of its own when it is opened.
    fn open_submenu(&mut self, p: Pending) -> MenuNode {
        let mut children = Vec::new();
        if self.enter(p.file, p.head.location.span, "submenu") {
            self.push_context();
            self.params.push(p.params);
            let list = self.collect_menu(p.file, &p.body);
            self.params.pop();
            children = self.realize(list, &p.head.path);
            self.pop_context();
            self.depth -= 1;
        }
        MenuNode::Submenu(Submenu {
            head: p.head,
            entries: children,
        })
    }

    /// An entry's body runs on a copy of the environment, with `$chosen` set;
    /// what it runs is recorded.
    fn run_entry(&mut self, p: Pending) -> MenuNode {
        let head = p.head;
        self.charge_env_copy();
        let saved_env = self.contexts.clone();
        let saved_flavour_vars = self.flavour_vars.clone();
        let saved_path = self.entry_path.replace(head.path.clone());
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
        self.flavour_vars = saved_flavour_vars;
        self.entry_path = saved_path;
        MenuNode::Entry(BootEntry { head, commands })
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
