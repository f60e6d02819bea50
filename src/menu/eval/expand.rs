//! Word expansion and field splitting (§4.1): variables, quotes, gettext
//! strings, `$@` and `$*`, the way GRUB's `script/execute.c` builds arguments.
//! An argument is known only when every part of it is.

use std::borrow::Cow;

use super::{Arg, Eval, MAX_VALUE, Value};
use crate::menu::bls;
use crate::menu::flavour::{self, Rule};
use crate::menu::model::Flavour;
use crate::script::{QuotedPart, Span, Word, WordPart};

impl Eval<'_> {
    /// The words of a statement in file `file` (the index in the file table,
    /// whose bytes hold the words' raw text).
    pub(super) fn expand_words(&self, file: usize, words: &[Word]) -> Vec<Arg> {
        let mut out = Vec::new();
        for w in words {
            self.expand_word(file, w, &mut out);
        }
        out
    }

    /// Unquoted text as the flavour leaves it: the parser resolved every
    /// escape as upstream does; a `\xHH` in the raw text is where Red Hat's
    /// GRUB differs (rhboot/grub2 ead577db9), so the raw text decides there.
    fn unquoted_text<'v>(&self, file: usize, value: &'v str, span: Span) -> Cow<'v, str> {
        // Every `\xHH` leaves an `x` in the upstream value.
        if !value.contains('x') {
            return Cow::Borrowed(value);
        }
        let raw = self
            .out_files
            .get(file)
            .and_then(|f| f.bytes.get(span.start..span.end))
            .and_then(|b| std::str::from_utf8(b).ok());
        let Some(raw) = raw.filter(|r| flavour::has_hex_escape(r)) else {
            return Cow::Borrowed(value);
        };
        let red_hat = flavour::unescape_unquoted(raw, true);
        let message = if self.opts.flavour == Flavour::Fedora {
            format!(
                "`{raw}` reaches the command as written: Red Hat's GRUB passes `\\xHH` through as written (rhboot/grub2 ead577db9); upstream GRUB would give `{value}`"
            )
        } else {
            format!(
                "`{raw}` becomes `{value}`: upstream GRUB drops the backslash of `\\xHH` (script/execute.c); Red Hat's GRUB would keep `{red_hat}`"
            )
        };
        self.add_effect(Rule::HexEscape, message, Self::loc(file, span), None);
        if self.opts.flavour == Flavour::Fedora {
            Cow::Owned(red_hat)
        } else {
            Cow::Borrowed(value)
        }
    }

    fn expand_word(&self, file: usize, word: &Word, out: &mut Vec<Arg>) {
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
                WordPart::Text { value, span } => {
                    let text = self.unquoted_text(file, value, *span);
                    append(&mut cur, &text, true, false);
                }
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
                                self.flavour_read(file, &v.name, v.span);
                                let value = self.get(&v.name);
                                append(&mut cur, &value.text, value.known, true);
                            }
                        }
                    }
                }
                WordPart::Variable(v) => {
                    self.flavour_read(file, &v.name, v.span);
                    for (i, f) in self.fields(&v.name).iter().enumerate() {
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

    /// An unquoted `$NAME`: its value split into fields at blanks; `$@` and
    /// `$*` split each positional parameter.
    fn fields(&self, name: &str) -> Vec<Arg> {
        let split = |v: &Value| {
            v.text
                .split([' ', '\t', '\n', '\r'])
                .filter(|s| !s.is_empty())
                .map(|s| Value {
                    text: s.to_string(),
                    known: v.known,
                })
                .collect::<Vec<_>>()
        };
        if name == "@" || name == "*" {
            let params = self.params.last().cloned().unwrap_or_default();
            params.iter().flat_map(split).collect()
        } else {
            split(&self.get(name))
        }
    }

    pub(super) fn texts(args: &[Arg]) -> Vec<String> {
        args.iter().map(|a| a.text.clone()).collect()
    }
}
