//! `blscfg` (Fedora/RHEL's patch): lists Boot Loader Specification snippets on
//! `$root`, and adds one entry per snippet, newest first, whose body is the
//! script text GRUB builds for it.

use std::rc::Rc;

use super::builtins::Call;
use super::{Eval, MAX_ENTRIES, Pending, Value};
use crate::menu::bls;
use crate::menu::files::FileError;
use crate::menu::model::{DeviceExpr, EntryHead, FileKind, NoteKind};
use crate::menu::truth::Truth;
use crate::script::{self, Span};

impl Eval<'_> {
    /// `blscfg [--path DIR]` (and `bls_import`): an entry per snippet in DIR,
    /// `$blsdir` or the default directories.
    pub(super) fn cmd_blscfg(&mut self, call: &Call) -> Truth {
        let args = call.rest();
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
        let device = self.root_device();
        let (dir, names) = match self.bls_listing(call, &device, dir) {
            Ok(found) => found,
            Err(status) => return status,
        };
        let snippets = self.read_snippets(call, &device, &dir, names);
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

    /// The snippet directory and its snippets' names, sorted: DIR when given,
    /// else `$blsdir` or `/loader/entries`, then `/boot/loader/entries`.
    /// `Err` is blscfg's status when nothing could be listed.
    fn bls_listing(
        &mut self,
        call: &Call,
        device: &DeviceExpr,
        dir: Option<String>,
    ) -> Result<(String, Vec<String>), Truth> {
        let explicit = dir.is_some();
        let blsdir = self.get("blsdir");
        let dir = dir.unwrap_or_else(|| {
            if blsdir.text.is_empty() {
                "/loader/entries".into()
            } else {
                blsdir.text.clone()
            }
        });
        let mut listing = self
            .files
            .list_dir(device, &dir)
            .map(|names| (dir.clone(), names));
        if matches!(listing, Err(FileError::NotFound)) && !explicit {
            let alt = "/boot/loader/entries".to_string();
            listing = self.files.list_dir(device, &alt).map(|names| (alt, names));
        }
        match listing {
            Ok((dir, mut names)) => {
                names.retain(|n| bls::is_snippet_name(n));
                names.sort();
                names.truncate(MAX_ENTRIES);
                Ok((dir, names))
            }
            Err(e) => {
                let kind = if e == FileError::NotFound {
                    NoteKind::MissingFile
                } else {
                    NoteKind::UnreadableFile
                };
                self.note(
                    kind,
                    format!("blscfg: cannot list {dir} on ({}): {e}", device.display()),
                    Some(Self::loc(call.file, call.span())),
                );
                Err(if e == FileError::NotFound {
                    Truth::False
                } else {
                    Truth::Unknown
                })
            }
        }
    }

    /// Reads and parses the snippets that have a `linux` line, each with its
    /// index in the file table.
    fn read_snippets(
        &mut self,
        call: &Call,
        device: &DeviceExpr,
        dir: &str,
        names: Vec<String>,
    ) -> Vec<(usize, bls::Snippet)> {
        let (file, span) = (call.file, call.span());
        let mut snippets = Vec::new();
        for name in names {
            if !self.can_read(file, span, "blscfg") {
                break;
            }
            let path = format!("{}/{name}", dir.trim_end_matches('/'));
            let bytes = match self.files.read(device, &path) {
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
        snippets
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
