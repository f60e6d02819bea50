//! Splits the text of one word, which the grammar has already accepted, into its
//! parts: unquoted text (escapes resolved), '…', "…" (text and variables), $"…"
//! and variable references. Kept out of pest because a word is the commonest
//! node by far and this is a plain left-to-right walk.

use super::ast::{QuotedPart, Span, VariableRef, WordPart};

/// `text` is a complete word as matched by the grammar's `word` rule; `base` is
/// its offset in the file.
pub(super) fn split_word(text: &str, base: usize) -> Vec<WordPart> {
    let bytes = text.as_bytes();
    let mut parts: Vec<WordPart> = Vec::with_capacity(1);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                let cont = continuation_len(&bytes[i..]);
                if cont > 0 {
                    // It vanishes, but the text around it stays one part.
                    if let Some(WordPart::Text { span, .. }) = parts.last_mut()
                        && span.end == base + i
                    {
                        span.end += cont;
                    }
                    i += cont;
                    continue;
                }
                let ch_len = char_len_at(text, i + 1);
                push_text(
                    &mut parts,
                    &text[i + 1..i + 1 + ch_len],
                    span(base, i, i + 1 + ch_len),
                );
                i += 1 + ch_len;
            }
            b'\'' => {
                let end = find_byte(bytes, i + 1, b'\'');
                parts.push(WordPart::SingleQuoted {
                    value: strip_cr(&text[i + 1..end]),
                    span: span(base, i, end + 1),
                });
                i = end + 1;
            }
            b'$' if bytes.get(i + 1) == Some(&b'"') => {
                let (value, end) = gettext(text, i + 2);
                parts.push(WordPart::Gettext {
                    value,
                    span: span(base, i, end + 1),
                });
                i = end + 1;
            }
            b'$' => {
                let (variable, end) = variable(text, i, base);
                parts.push(WordPart::Variable(variable));
                i = end;
            }
            b'"' => {
                let (quoted, end) = double_quoted(text, i + 1, base);
                parts.push(WordPart::DoubleQuoted {
                    parts: quoted,
                    span: span(base, i, end + 1),
                });
                i = end + 1;
            }
            _ => {
                let end = bytes[i..]
                    .iter()
                    .position(|b| matches!(b, b'\\' | b'\'' | b'"' | b'$'))
                    .map_or(bytes.len(), |p| i + p);
                push_text(&mut parts, &text[i..end], span(base, i, end));
                i = end;
            }
        }
    }
    parts
}

fn span(base: usize, start: usize, end: usize) -> Span {
    Span::new(base + start, base + end)
}

/// Length of a backslash-newline (with GRUB's dropped `\r`) at the start, or 0.
fn continuation_len(bytes: &[u8]) -> usize {
    match bytes {
        [b'\\', b'\n', ..] => 2,
        [b'\\', b'\r', b'\n', ..] => 3,
        _ => 0,
    }
}

fn char_len_at(text: &str, i: usize) -> usize {
    text[i..].chars().next().map_or(0, char::len_utf8)
}

fn find_byte(bytes: &[u8], from: usize, wanted: u8) -> usize {
    bytes[from..]
        .iter()
        .position(|b| *b == wanted)
        .map_or(bytes.len(), |p| from + p)
}

/// Adjacent unquoted text and escapes form one text part.
fn push_text(parts: &mut Vec<WordPart>, text: &str, span: Span) {
    if let Some(WordPart::Text { value, span: last }) = parts.last_mut()
        && last.end == span.start
    {
        value.push_str(text);
        last.end = span.end;
        return;
    }
    parts.push(WordPart::Text {
        value: text.to_string(),
        span,
    });
}

/// GRUB's line reader drops every carriage return, inside quotes too.
fn strip_cr(text: &str) -> String {
    text.replace('\r', "")
}

/// `$name`, `${name}`, `$1`, `$?`… starting at the `$` at `start`; returns the
/// reference and the offset just past it.
fn variable(text: &str, start: usize, base: usize) -> (VariableRef, usize) {
    let bytes = text.as_bytes();
    let braced = bytes.get(start + 1) == Some(&b'{');
    let name_start = start + 1 + usize::from(braced);
    let name_end = match bytes.get(name_start) {
        Some(b'?' | b'#' | b'*' | b'@') => name_start + 1,
        Some(b) if b.is_ascii_digit() => bytes[name_start..]
            .iter()
            .position(|b| !b.is_ascii_digit())
            .map_or(bytes.len(), |p| name_start + p),
        _ => bytes[name_start..]
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
            .map_or(bytes.len(), |p| name_start + p),
    };
    let end = name_end + usize::from(braced);
    (
        VariableRef {
            name: text[name_start..name_end].to_string(),
            braced,
            span: span(base, start, end),
        },
        end,
    )
}

/// The parts of a "…" string whose body starts at `start`; returns them and the
/// offset of the closing quote.
fn double_quoted(text: &str, start: usize, base: usize) -> (Vec<QuotedPart>, usize) {
    let bytes = text.as_bytes();
    let mut parts: Vec<QuotedPart> = Vec::new();
    let mut i = start;
    let push =
        |parts: &mut Vec<QuotedPart>, value: &str, from: usize, to: usize| match parts.last_mut() {
            Some(QuotedPart::Text { value: last, span }) if span.end == base + from => {
                last.push_str(value);
                span.end = base + to;
            }
            _ => parts.push(QuotedPart::Text {
                value: value.to_string(),
                span: Span::new(base + from, base + to),
            }),
        };
    while i < bytes.len() && bytes[i] != b'"' {
        match bytes[i] {
            b'\\' => {
                let cont = continuation_len(&bytes[i..]);
                if cont > 0 {
                    extend_last_text(&mut parts, base + i, cont);
                    i += cont;
                } else if matches!(bytes.get(i + 1), Some(b'$' | b'"' | b'\\')) {
                    push(&mut parts, &text[i + 1..i + 2], i, i + 2);
                    i += 2;
                } else {
                    // Any other backslash stays, and the next character is ordinary.
                    push(&mut parts, "\\", i, i + 1);
                    i += 1;
                }
            }
            b'$' => {
                let (variable, end) = variable(text, i, base);
                parts.push(QuotedPart::Variable(variable));
                i = end;
            }
            b'\r' => {
                extend_last_text(&mut parts, base + i, 1);
                i += 1;
            }
            _ => {
                let end = bytes[i..]
                    .iter()
                    .position(|b| matches!(b, b'\\' | b'"' | b'$' | b'\r'))
                    .map_or(bytes.len(), |p| i + p);
                push(&mut parts, &text[i..end], i, end);
                i = end;
            }
        }
    }
    (parts, i)
}

/// Lets the last text part cover bytes that vanish (a continuation, a `\r`), so
/// the text on both sides stays one part.
fn extend_last_text(parts: &mut [QuotedPart], at: usize, len: usize) {
    if let Some(QuotedPart::Text { span, .. }) = parts.last_mut()
        && span.end == at
    {
        span.end += len;
    }
}

/// The msgid of a $"…" string whose body starts at `start`, and the offset of
/// its closing quote. `\\` stays doubled for the later substitution step.
fn gettext(text: &str, start: usize) -> (String, usize) {
    let bytes = text.as_bytes();
    let mut value = String::new();
    let mut i = start;
    while i < bytes.len() && bytes[i] != b'"' {
        let cont = continuation_len(&bytes[i..]);
        if cont > 0 {
            i += cont;
            continue;
        }
        match (bytes[i], bytes.get(i + 1)) {
            (b'\\', Some(b'\\')) => {
                value.push_str("\\\\");
                i += 2;
            }
            (b'\\', Some(b'"')) => {
                value.push('"');
                i += 2;
            }
            (b'\r', _) => i += 1,
            _ => {
                let len = char_len_at(text, i).max(1);
                value.push_str(&text[i..i + len]);
                i += len;
            }
        }
    }
    (value, i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(parts: &[WordPart]) -> String {
        parts
            .iter()
            .map(|p| match p {
                WordPart::Text { value, span } => format!("T({value})@{}", span.start),
                WordPart::SingleQuoted { value, .. } => format!("S({value})"),
                WordPart::Gettext { value, .. } => format!("G({value})"),
                WordPart::Variable(v) => {
                    format!("V({}{})", v.name, if v.braced { ",b" } else { "" })
                }
                WordPart::DoubleQuoted { parts, .. } => format!(
                    "D[{}]",
                    parts
                        .iter()
                        .map(|q| match q {
                            QuotedPart::Text { value, .. } => format!("t({value})"),
                            QuotedPart::Variable(v) => format!("v({})", v.name),
                        })
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn parts_of_a_mixed_word() {
        assert_eq!(
            show(&split_word("one\"two\"$three'four'${five}six", 10)),
            "T(one)@10 D[t(two)] V(three) S(four) V(five,b) T(six)@37"
        );
    }

    #[test]
    fn escapes_and_continuations() {
        assert_eq!(show(&split_word("a\\ b\\\nc", 0)), "T(a bc)@0");
        assert_eq!(
            show(&split_word("\"\\$x \\q \\\\ \\\"\"", 0)),
            "D[t($x \\q \\ \")]"
        );
        assert_eq!(
            show(&split_word("$\"a\\\\b\\\"c $d\"", 0)),
            "G(a\\\\b\"c $d)"
        );
        assert_eq!(
            show(&split_word("$12a ${?} $#", 0)),
            "V(12) T(a )@3 V(?,b) T( )@9 V(#)"
        );
    }

    #[test]
    fn carriage_returns_vanish_inside_quotes() {
        assert_eq!(
            show(&split_word("'a\r\nb' \"c\r\nd\"", 0)),
            "S(a\nb) T( )@6 D[t(c\nd)]"
        );
    }
}
