//! `search` and its short forms: the device GRUB finds at boot becomes a
//! symbolic device expression (UUID, label or file, with hints and what the
//! variable held before) that later paths on `$root` refer to. `probe`,
//! `regexp` and `read` likewise set variables only the boot decides.

use super::builtins::Call;
use super::{Arg, Eval, Value};
use crate::menu::model::{DeviceExpr, NoteKind, Platform};
use crate::menu::truth::Truth;

/// `search`'s words as GRUB's option parser reads them.
struct SearchArgs<'a> {
    /// `u` (filesystem UUID), `l` (label) or `f` (file).
    kind: Option<char>,
    var: Option<String>,
    /// The variable came as `--set WORD` rather than `--set=WORD`.
    var_from_next_word: bool,
    hints: Vec<String>,
    positional: Vec<&'a Arg>,
}

impl<'a> SearchArgs<'a> {
    fn parse(name: &str, args: &'a [Arg], platform: Platform) -> Self {
        let platform_hint = match platform {
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
        SearchArgs {
            kind,
            var,
            var_from_next_word,
            hints,
            positional,
        }
    }
}

impl Eval<'_> {
    /// `search`, `search.fs_uuid`, `search.fs_label`, `search.file`.
    pub(super) fn cmd_search(&mut self, call: &Call) -> Truth {
        let (file, span, name, args) = (call.file, call.span(), call.name(), call.rest());
        let SearchArgs {
            kind,
            mut var,
            var_from_next_word,
            hints,
            mut positional,
        } = SearchArgs::parse(name, args, self.opts.platform);
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
    /// `probe [--set VAR] WHAT… DEVICE`: the answer is known only at boot.
    pub(super) fn cmd_probe(&mut self, call: &Call) -> Truth {
        let mut it = call.rest().iter();
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

    /// `regexp --set [N:]VAR REGEX STRING`: matched at boot.
    pub(super) fn cmd_regexp(&mut self, call: &Call) -> Truth {
        let mut it = call.rest().iter();
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

    /// `read VAR…`: whatever is typed at boot.
    pub(super) fn cmd_read(&mut self, call: &Call) -> Truth {
        // Kept, in an entry or outside: `read` waits for a line typed at the
        // console (commands/read.c loops on grub_getkey until Enter), BV2103.
        self.record_other(call);
        for a in call.rest() {
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
}
