//! Word expansion and field splitting (§4.1): variables, quotes, gettext
//! strings, `$@` and `$*`, the way GRUB's `script/execute.c` builds arguments.
//! An argument is known only when every part of it is.

use super::{Arg, Eval, MAX_VALUE, Value};
use crate::menu::bls;
use crate::script::{QuotedPart, Word, WordPart};

impl Eval<'_> {
    pub(super) fn expand_words(&self, words: &[Word]) -> Vec<Arg> {
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
