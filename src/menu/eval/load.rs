//! Config loading: `source` runs another file in this context, `configfile`
//! in a new one (and may replace the menu being built), `eval` runs text,
//! `load_env` reads the grubenv block and `save_env` is noted (bootvet never
//! writes). Every read goes through the `FileSource` and into the file table.

use super::builtins::Call;
use super::{Arg, Eval, Sink, Value};
use crate::menu::files::{FileError, normalize};
use crate::menu::grubenv;
use crate::menu::model::{CommandKind, DeviceExpr, FileKind, FileRef, NoteKind};
use crate::menu::truth::Truth;
use crate::script::{self, Span};

impl Eval<'_> {
    /// Reads a file a command names, noting why it could not. `Err` carries
    /// the command's status: false when the file is missing, else unknown.
    fn read_noted(
        &mut self,
        file: usize,
        span: Span,
        what: &str,
        r: &FileRef,
    ) -> Result<Vec<u8>, Truth> {
        match self.files.read(&r.device, &r.path) {
            Ok(bytes) => Ok(bytes),
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
        if !self.can_read(file, span, &format!("{what} {}", path.text)) {
            return Err(Truth::Unknown);
        }
        let r = self.file_ref(path);
        let bytes = self.read_noted(file, span, what, &r)?;
        let id = self.add_file(r.text.clone(), r.device.clone(), FileKind::Config, bytes);
        if !self.enter(file, span, what) {
            return Err(Truth::Unknown);
        }
        let parsed = script::parse(&self.out_files[id].bytes);
        self.record_syntax_errors(id, &parsed);
        Ok((id, parsed))
    }

    /// `source FILE` and `. FILE`: run FILE here, in this context.
    pub(super) fn cmd_source(&mut self, call: &Call) -> Truth {
        let Some(path) = call.rest().first() else {
            return Truth::False;
        };
        let (id, parsed) = match self.load_config(call.file, call.span(), "source", path) {
            Ok(loaded) => loaded,
            Err(status) => return status,
        };
        self.status = Truth::True;
        self.run_block(id, &parsed.statements);
        self.depth -= 1;
        self.status
    }

    /// `configfile FILE`: FILE's menu in a new context. Inside an entry it is
    /// what the entry does when chosen, so it is recorded instead.
    pub(super) fn cmd_configfile(&mut self, call: &Call) -> Truth {
        let (file, span) = (call.file, call.span());
        let Some(path) = call.rest().first() else {
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

    /// `load_env [-f FILE] [NAME…]`: the grubenv's variables (those named, or all).
    pub(super) fn cmd_load_env(&mut self, call: &Call) -> Truth {
        let (file, span) = (call.file, call.span());
        let (env_file, whitelist) = load_env_args(call.rest());
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
        let bytes = match self.read_noted(file, span, "load_env", &r) {
            Ok(bytes) => bytes,
            Err(status) => {
                // Unreadable (not missing): what it would set is not known.
                if status == Truth::Unknown {
                    self.env_unknown = Some(whitelist);
                }
                return status;
            }
        };
        self.add_file(
            r.text.clone(),
            r.device.clone(),
            FileKind::Grubenv,
            bytes.clone(),
        );
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

    /// `normal FILE` inside a config reads FILE as a new menu, like
    /// `configfile`; without one it is just a command.
    pub(super) fn cmd_normal(&mut self, call: &Call) -> Truth {
        if call.rest().is_empty() {
            self.not_builtin(call)
        } else {
            self.cmd_configfile(call)
        }
    }

    /// `eval ARGS…` runs its arguments, joined, as script text.
    pub(super) fn cmd_eval(&mut self, call: &Call) -> Truth {
        let (file, span) = (call.file, call.span());
        let text = Self::texts(call.rest()).join(" ");
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

    /// `save_env NAME…`: noted, never written.
    pub(super) fn cmd_save_env(&mut self, call: &Call) -> Truth {
        let vars: Vec<String> = call
            .rest()
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
            Some(Self::loc(call.file, call.span())),
        );
        if self.in_entry() {
            self.record_other(call);
        }
        Truth::True
    }
}

/// `load_env`'s words: the file (`-f FILE`, `--file=FILE`) and the names to load.
fn load_env_args(args: &[Arg]) -> (Option<Arg>, Vec<String>) {
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
    (env_file, whitelist)
}
