//! Config loading: `source` runs another file in this context, `configfile`
//! in a new one (and may replace the menu being built), `load_env` reads the
//! grubenv block. Every read goes through the `FileSource` and is recorded in
//! the file table.

use super::{Arg, Eval, Sink, Value};
use crate::menu::files::{FileError, normalize};
use crate::menu::grubenv;
use crate::menu::model::{CommandKind, DeviceExpr, FileKind, NoteKind};
use crate::menu::truth::Truth;
use crate::script::{self, Span};

impl Eval<'_> {
    pub(super) fn read_config(
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
    pub(super) fn load_config(
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

    pub(super) fn source(&mut self, file: usize, span: Span, args: &[Arg]) -> Truth {
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

    pub(super) fn configfile(&mut self, file: usize, span: Span, args: &[Arg]) -> Truth {
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

    pub(super) fn load_env(&mut self, file: usize, span: Span, args: &[Arg]) -> Truth {
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
}
