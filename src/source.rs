//! Source text as read from disk, and the line index that turns byte offsets into
//! `line:col` when — and only when — something is shown to a person.

use std::borrow::Cow;

/// Stands in for each byte that is not UTF-8. Any byte >= 0x80 is an ordinary word
/// character to GRUB; `%` is one too, is not special after `$`, and keeps every
/// byte offset where it was.
const INVALID_BYTE_STAND_IN: char = '%';

/// The text the parser sees: the file itself when it is UTF-8, otherwise a copy in
/// which every invalid byte became one ASCII word character (offsets unchanged).
pub fn text_for_parsing(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => {
            let mut text = String::with_capacity(bytes.len());
            for chunk in bytes.utf8_chunks() {
                text.push_str(chunk.valid());
                for _ in chunk.invalid() {
                    text.push(INVALID_BYTE_STAND_IN);
                }
            }
            Cow::Owned(text)
        }
    }
}

/// Start offsets of every line, for offset → (line, column) look-ups.
#[derive(Clone, Debug)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

/// A 1-based position as people and editors count it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    pub line: usize,
    /// Counted in characters, not bytes, so the caret lands under the right glyph.
    pub col: usize,
}

impl LineIndex {
    pub fn new(bytes: &[u8]) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { line_starts }
    }

    /// 0-based index of the line holding `offset`.
    fn line_of(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    pub fn line_col(&self, bytes: &[u8], offset: usize) -> LineCol {
        let offset = offset.min(bytes.len());
        let line = self.line_of(offset);
        let start = self.line_starts[line];
        let col = String::from_utf8_lossy(&bytes[start..offset])
            .chars()
            .count()
            + 1;
        LineCol {
            line: line + 1,
            col,
        }
    }

    /// The text of 1-based line `line`, without its line ending.
    pub fn line_text<'a>(&self, bytes: &'a [u8], line: usize) -> Cow<'a, str> {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return Cow::Borrowed("");
        };
        let end = self
            .line_starts
            .get(line)
            .map(|next| next - 1)
            .unwrap_or(bytes.len());
        let mut slice = &bytes[start.min(end)..end];
        if let Some(stripped) = slice.strip_suffix(b"\r") {
            slice = stripped;
        }
        String::from_utf8_lossy(slice)
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

/// `text` with every control character except tab written as an escape (`\x1b`,
/// `\u{9b}`), so that bytes from a file shown on a terminal cannot move the
/// cursor, change colours or retitle the window. Tabs stay for caret alignment.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

/// How many characters `c` takes once escaped by `escape_controls`.
pub fn escaped_width(c: char) -> usize {
    let mut out = String::new();
    push_escaped(&mut out, c);
    out.chars().count()
}

fn needs_escape(c: char) -> bool {
    c.is_control() && c != '\t'
}

fn push_escaped(out: &mut String, c: char) {
    use std::fmt::Write;
    if !needs_escape(c) {
        out.push(c);
    } else if c.is_ascii() {
        let _ = write!(out, "\\x{:02x}", c as u32);
    } else {
        let _ = write!(out, "\\u{{{:x}}}", c as u32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_bytes_are_escaped_and_tabs_kept() {
        assert_eq!(
            escape_controls("a\u{1b}[2Jb\tc\u{9b}\u{7f}\r"),
            "a\\x1b[2Jb\tc\\u{9b}\\x7f\\x0d"
        );
        assert!(matches!(escape_controls("plain é"), Cow::Borrowed(_)));
        assert_eq!(escaped_width('\u{1b}'), 4);
        assert_eq!(escaped_width('é'), 1);
    }

    #[test]
    fn columns_count_characters_and_lines_start_at_one() {
        let src = "ab\nçé x\n".as_bytes();
        let index = LineIndex::new(src);
        assert_eq!(index.line_col(src, 0), LineCol { line: 1, col: 1 });
        let x = src.iter().position(|b| *b == b'x').unwrap();
        assert_eq!(index.line_col(src, x), LineCol { line: 2, col: 4 });
        assert_eq!(index.line_text(src, 2), "çé x");
    }

    #[test]
    fn invalid_utf8_keeps_offsets() {
        let text = text_for_parsing(b"echo \xff\xfe ok");
        assert_eq!(text, "echo %% ok");
    }

    #[test]
    fn crlf_is_not_shown_in_line_text() {
        let src = b"a\r\nb";
        let index = LineIndex::new(src);
        assert_eq!(index.line_text(src, 1), "a");
        assert_eq!(index.line_text(src, 2), "b");
    }
}
