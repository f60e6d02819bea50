//! BLS snippets as Fedora's `blscfg` reads them (`grub-core/commands/blscfg.c`):
//! its line rules (stricter than the Boot Loader Specification), its RPM-style
//! version order, and the `$var` expansion it applies to `options`. Turning a
//! snippet into a menu entry is the evaluator's job; this module reads bytes only.

use std::cmp::Ordering;

use crate::script::Span;

/// blscfg skips snippets larger than this.
pub const MAX_SNIPPET_BYTES: usize = 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snippet {
    /// The file name without `.conf`: the entry id `saved_entry` refers to.
    pub id: String,
    pub keys: Vec<(String, String, Span)>,
    /// Lines blscfg stops at or skips, for notes.
    pub problems: Vec<String>,
}

impl Snippet {
    pub fn get(&self, key: &str) -> Option<&(String, String, Span)> {
        self.keys.iter().find(|(k, _, _)| k == key)
    }
    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a (String, String, Span)> {
        self.keys.iter().filter(move |(k, _, _)| k == key)
    }
}

/// True for the names blscfg reads: `*.conf`, longer than `.conf`, not hidden.
pub fn is_snippet_name(name: &str) -> bool {
    !name.starts_with('.') && name.len() > 5 && name.ends_with(".conf")
}

/// Reads one snippet. Blanks before a key are skipped, `#` lines ignored; the key
/// ends at the first space (else TAB). A line with no separator or nothing after
/// it — a blank line too — ends the file for blscfg: later keys are lost.
pub fn parse(file_name: &str, bytes: &[u8]) -> Snippet {
    let id = file_name
        .strip_suffix(".conf")
        .unwrap_or(file_name)
        .to_string();
    let mut snippet = Snippet {
        id,
        keys: Vec::new(),
        problems: Vec::new(),
    };
    let mut offset = 0;
    for raw_line in bytes.split(|b| *b == b'\n') {
        let line_start = offset;
        offset += raw_line.len() + 1;
        let line_bytes = raw_line.strip_suffix(b"\r").unwrap_or(raw_line);
        let indent = line_bytes
            .iter()
            .take_while(|b| **b == b' ' || **b == b'\t')
            .count();
        let line = String::from_utf8_lossy(&line_bytes[indent..]);
        if line.starts_with('#') {
            continue;
        }
        let sep = line.find(' ').or_else(|| line.find('\t'));
        let value_start = sep.map(|s| s + 1);
        let Some(value_start) = value_start.filter(|v| *v < line.len()) else {
            if offset <= bytes.len() || !line.is_empty() {
                let rest_has_keys = bytes
                    .get(offset.min(bytes.len())..)
                    .is_some_and(|rest| rest.iter().any(|b| !b.is_ascii_whitespace()));
                if rest_has_keys || !line.is_empty() {
                    snippet.problems.push(format!(
                        "line at byte {line_start} ({}) stops blscfg: every key after it is ignored",
                        if line.trim().is_empty() {
                            "blank".to_string()
                        } else {
                            format!("`{}` has no value", line.trim())
                        }
                    ));
                }
            }
            break;
        };
        let key = line[..value_start - 1].to_string();
        let value = line[value_start..]
            .trim_start_matches([' ', '\t'])
            .to_string();
        let span = Span::new(line_start, line_start + raw_line.len());
        snippet.keys.push((key, value, span));
    }
    if snippet.get("linux").is_none() {
        snippet
            .problems
            .push("has no `linux` key: blscfg skips it".into());
    }
    snippet
}

/// RPM's `rpmvercmp`, as blscfg carries it: alternating digit and letter runs,
/// digits beat letters, longer digit runs win, `~` sorts before everything.
pub fn vercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let a = a.as_bytes();
    let b = b.as_bytes();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while i < a.len() && !a[i].is_ascii_alphanumeric() && a[i] != b'~' {
            i += 1;
        }
        while j < b.len() && !b[j].is_ascii_alphanumeric() && b[j] != b'~' {
            j += 1;
        }
        let at = |s: &[u8], k: usize| s.get(k).copied().unwrap_or(0);
        if at(a, i) == b'~' || at(b, j) == b'~' {
            if at(a, i) != b'~' {
                return Ordering::Greater;
            }
            if at(b, j) != b'~' {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if i >= a.len() || j >= b.len() {
            break;
        }
        let numeric = a[i].is_ascii_digit();
        let run = |s: &[u8], mut k: usize| {
            while k < s.len()
                && (if numeric {
                    s[k].is_ascii_digit()
                } else {
                    s[k].is_ascii_alphabetic()
                })
            {
                k += 1;
            }
            k
        };
        let (ei, ej) = (run(a, i), run(b, j));
        let (mut sa, mut sb) = (&a[i..ei], &b[j..ej]);
        if sb.is_empty() {
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        if numeric {
            while sa.first() == Some(&b'0') {
                sa = &sa[1..];
            }
            while sb.first() == Some(&b'0') {
                sb = &sb[1..];
            }
            match sa.len().cmp(&sb.len()) {
                Ordering::Equal => {}
                other => return other,
            }
        }
        match sa.cmp(sb) {
            Ordering::Equal => {}
            other => return other,
        }
        i = ei;
        j = ej;
    }
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

/// blscfg's menu order: newest first by `version` (a snippet with one beats one
/// without), then by file name.
pub fn sort_newest_first(snippets: &mut [Snippet]) {
    snippets.sort_by(|x, y| {
        let vx = x.get("version").map(|k| k.1.as_str());
        let vy = y.get("version").map(|k| k.1.as_str());
        let by_version = match (vx, vy) {
            (Some(a), Some(b)) => vercmp(a, b),
            (Some(_), None) => Ordering::Greater,
            (None, Some(_)) => Ordering::Less,
            (None, None) => Ordering::Equal,
        };
        by_version.then_with(|| vercmp(&x.id, &y.id)).reverse()
    });
}

/// blscfg expands `$name`/`${name}` in `options` (and `grub_users`) from the
/// environment when it runs; `\$` keeps a dollar. Returns the text and whether
/// any variable's value was unknown.
pub fn expand_vars(text: &str, lookup: &mut dyn FnMut(&str) -> Option<String>) -> (String, bool) {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut uncertain = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && chars.get(i + 1) == Some(&'$') {
            out.push('$');
            i += 2;
            continue;
        }
        if c != '$' {
            out.push(c);
            i += 1;
            continue;
        }
        let braced = chars.get(i + 1) == Some(&'{');
        let name_start = if braced { i + 2 } else { i + 1 };
        let mut k = name_start;
        while k < chars.len() && (chars[k].is_ascii_alphanumeric() || chars[k] == '_') {
            k += 1;
        }
        if k == name_start || (braced && chars.get(k) != Some(&'}')) {
            out.push('$');
            i += 1;
            continue;
        }
        let name: String = chars[name_start..k].iter().collect();
        match lookup(&name) {
            Some(v) => out.push_str(&v),
            None => uncertain = true,
        }
        i = if braced { k + 1 } else { k };
    }
    (out, uncertain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_line_stops_reading() {
        let s = parse(
            "a-1.conf",
            b"title T\nlinux /vmlinuz\n\noptions root=/dev/sda1\n",
        );
        assert_eq!(s.get("title").map(|k| k.1.as_str()), Some("T"));
        assert!(s.get("options").is_none());
        assert_eq!(s.problems.len(), 1, "{:?}", s.problems);
        assert!(s.problems[0].contains("blank"));
    }

    #[test]
    fn key_only_line_stops_reading_and_tab_separates() {
        let s = parse("x.conf", b"  linux\t/vmlinuz\ngrub_users\ninitrd /i\n");
        assert_eq!(s.get("linux").map(|k| k.1.as_str()), Some("/vmlinuz"));
        assert!(s.get("initrd").is_none());
        assert_eq!(s.id, "x");
    }

    #[test]
    fn trailing_newline_is_not_a_problem() {
        let s = parse("x.conf", b"linux /v\n# c\n");
        assert!(s.problems.is_empty(), "{:?}", s.problems);
    }

    #[test]
    fn rpm_version_order() {
        assert_eq!(vercmp("4.18.0-240", "4.18.0-80"), Ordering::Greater);
        assert_eq!(vercmp("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(vercmp("1.0a", "1.0"), Ordering::Greater);
        assert_eq!(vercmp("010", "10"), Ordering::Equal);
        assert_eq!(vercmp("1.a", "1.1"), Ordering::Less);
        assert_eq!(vercmp("5.x", "5.10"), Ordering::Less);
    }

    #[test]
    fn options_expand_from_environment() {
        let mut lookup = |n: &str| (n == "kernelopts").then(|| "root=/dev/x ro".to_string());
        let (text, uncertain) = expand_vars("$kernelopts ${tuned} \\$keep", &mut lookup);
        assert_eq!(text, "root=/dev/x ro  $keep");
        assert!(uncertain);
    }

    #[test]
    fn sorts_newest_first() {
        let mut v = vec![
            parse("m-5.3.conf", b"version 5.3\nlinux /a\n"),
            parse("m-5.14.conf", b"version 5.14\nlinux /b\n"),
            parse("m-0-rescue.conf", b"linux /c\n"),
        ];
        sort_newest_first(&mut v);
        let ids: Vec<_> = v.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["m-5.14", "m-5.3", "m-0-rescue"]);
    }
}
