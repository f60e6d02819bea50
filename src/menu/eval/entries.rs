//! Menu entries (§6): `menuentry`/`submenu` definitions become pending
//! entries; `realize` later runs each body the way GRUB does when the entry is
//! chosen. Commands run inside a body are recorded into the entry (the sink);
//! outside any entry only module loads and loader commands are kept.

use std::rc::Rc;

use super::{Arg, Eval, MAX_ENTRIES, MAX_KEPT_BYTES, Pending, Sink, Value};
use crate::menu::model::*;
use crate::script::{self, Command, Span};

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
                if loads && self.top_level.len() < 1_000 {
                    self.top_level.push(cmd);
                }
            }
        }
    }

    pub(super) fn define_entry(&mut self, file: usize, c: &Command, args: &[Arg], submenu: bool) {
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

    /// Runs entry bodies (and opens submenus) the way GRUB does when an entry is
    /// chosen: with the environment as the menu left it.
    pub(super) fn realize(&mut self, pending: Vec<Pending>, prefix: &[usize]) -> Vec<MenuNode> {
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
