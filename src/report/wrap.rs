//! Text that reads on the terminal it is printed to: a line wider than the
//! terminal is wrapped at spaces, its continuation lines indented under the
//! text it continues (the evidence after `= evidence: `, a summary after its
//! code columns). Piped output is left whole (one finding, one line, for grep)
//! unless `COLUMNS` asks for a width, as ripgrep and clippy do.

/// The width to wrap to: `COLUMNS` when set to a number, else the terminal's
/// width when stdout is one, else none (no wrapping).
pub fn width() -> Option<usize> {
    if let Some(columns) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
    {
        return (columns > 0).then_some(columns);
    }
    terminal_width()
}

fn terminal_width() -> Option<usize> {
    terminal_columns(libc::STDOUT_FILENO)
}

/// The columns of the terminal `fd` is, when it is one that says its size.
pub fn terminal_columns(fd: libc::c_int) -> Option<usize> {
    // SAFETY: isatty and TIOCGWINSZ only read the descriptor's state into the
    // zeroed winsize owned here.
    unsafe {
        if libc::isatty(fd) != 1 {
            return None;
        }
        let mut size: libc::winsize = std::mem::zeroed();
        if libc::ioctl(fd, libc::TIOCGWINSZ, &mut size) != 0 {
            return None;
        }
        (size.ws_col > 0).then_some(usize::from(size.ws_col))
    }
}

/// Columns a line takes on screen: characters, without colour escapes.
fn visible(s: &str) -> usize {
    let mut n = 0;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // CSI: ESC [ parameters final-byte (@..~).
            for d in chars.by_ref() {
                if ('@'..='~').contains(&d) && d != '[' {
                    break;
                }
            }
        } else {
            n += 1;
        }
    }
    n
}

/// Byte index in `s` where `column` visible columns have been passed.
fn byte_at_column(s: &str, column: usize) -> usize {
    let mut seen = 0;
    let mut in_escape = false;
    for (i, c) in s.char_indices() {
        if in_escape {
            if ('@'..='~').contains(&c) && c != '[' {
                in_escape = false;
            }
            continue;
        }
        if c == '\x1b' {
            in_escape = true;
            continue;
        }
        if seen == column {
            return i;
        }
        seen += 1;
    }
    s.len()
}

/// The indentation a wrapped line of the check or devices report continues
/// at: after `= label: ` for a finding's evidence, will-print and fix; after
/// the mark and the link name for a chain line (`✓ kernel `); two more than
/// the line's own indentation otherwise. `None`: leave the line whole (a
/// quoted source line, a table row).
pub fn report_hang(line: &str) -> Option<usize> {
    let plain: String = strip(line);
    let lead = plain.len() - plain.trim_start_matches(' ').len();
    let body = &plain[lead..];
    if body.contains('\t')
        || body
            .split_once(" | ")
            .is_some_and(|(n, _)| n.trim().chars().all(|c| c.is_ascii_digit()))
        || body.starts_with("| ")
    {
        return None;
    }
    if let Some(rest) = body.strip_prefix("= ") {
        let label = rest.find(": ").map_or(0, |i| i + 2);
        // `=             ALERT!…`: a continued will-print, already aligned.
        let pad = rest.len() - rest.trim_start_matches(' ').len();
        return Some(lead + 2 + label.max(pad));
    }
    let mut words = body.splitn(3, ' ');
    if let (Some(mark), Some(_link)) = (words.next(), words.next())
        && mark.chars().count() == 1
        && !mark.chars().all(char::is_alphanumeric)
    {
        // `✗ root   root=…`: the link name is padded to a column.
        let after = body[mark.len() + 1..]
            .find(' ')
            .map(|i| mark.len() + 1 + i)
            .unwrap_or(0);
        let pad = body[after..].len() - body[after..].trim_start_matches(' ').len();
        return Some(lead + visible(&body[..after]) + pad);
    }
    Some(lead + 2)
}

/// `explain --list`: continuation under the summary column (after the last
/// run of two spaces among the code, severity and link columns).
pub fn list_hang(line: &str) -> Option<usize> {
    let plain = strip(line);
    let mut at = 0;
    for _ in 0..3 {
        let from = plain[at..].find("  ").map(|i| at + i)?;
        at = from + plain[from..].len() - plain[from..].trim_start_matches(' ').len();
    }
    Some(visible(&plain[..at]))
}

fn strip(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_escape = false;
    for c in line.chars() {
        if in_escape {
            in_escape = !(('@'..='~').contains(&c) && c != '[');
        } else if c == '\x1b' {
            in_escape = true;
        } else {
            out.push(c);
        }
    }
    out
}

/// Wraps every line of `text` wider than `width` at spaces; `hang` says where
/// its continuation lines start (`None`: leave it).
pub fn wrap(text: &str, width: usize, hang: impl Fn(&str) -> Option<usize>) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        wrap_line(&mut out, line, width, &hang);
    }
    out
}

fn wrap_line(out: &mut String, line: &str, width: usize, hang: &impl Fn(&str) -> Option<usize>) {
    let Some(mut indent) = (visible(line) > width).then(|| hang(line)).flatten() else {
        out.push_str(line);
        return;
    };
    // A hanging column too far right leaves no room: fall back near the left.
    if indent + 20 > width {
        let plain = strip(line);
        indent = (plain.len() - plain.trim_start_matches(' ').len() + 2).min(width / 2);
    }
    let split = byte_at_column(line, indent);
    let (head, rest) = line.split_at(split);
    out.push_str(head);
    let mut used = visible(head);
    let mut first = true;
    for word in rest.split(' ').filter(|w| !w.is_empty()) {
        let w = visible(word);
        if !first && used + 1 + w > width {
            out.push('\n');
            out.extend(std::iter::repeat_n(' ', indent));
            used = indent;
            first = true;
        }
        if !first {
            out.push(' ');
            used += 1;
        }
        out.push_str(word);
        used += w;
        first = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_wraps_under_its_label() {
        let line = "      = evidence: Linux filesystems on the disks: (hd0,gpt3) ext4 UUID=3f9c1a52-8d5e-4c61-9a3b-2b7e5f1d0c44 and more words";
        let wrapped = wrap(line, 80, report_hang);
        let lines: Vec<&str> = wrapped.lines().collect();
        assert!(lines.len() > 1, "{wrapped}");
        assert!(lines.iter().all(|l| l.chars().count() <= 80), "{wrapped}");
        assert!(lines[1].starts_with(&" ".repeat(18)), "{wrapped}");
        assert!(!lines[1][18..].starts_with(' '), "{wrapped}");
        // Nothing lost: the words are the same.
        let words = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(words(&wrapped), words(line));
    }

    #[test]
    fn short_lines_source_lines_and_colour_are_kept() {
        assert_eq!(wrap("short", 80, report_hang), "short");
        let source = format!("      68 | \tlinux\t/vmlinuz {}", "x ".repeat(60));
        assert_eq!(wrap(&source, 80, report_hang), source);
        let coloured = format!("\x1b[1m{}\x1b[0m", "y".repeat(70));
        assert_eq!(wrap(&coloured, 80, report_hang), coloured);
    }

    #[test]
    fn chain_and_list_lines_hang_after_their_columns() {
        assert_eq!(
            report_hang("    ✗ root   root=UUID=x → no device"),
            Some(13)
        );
        assert_eq!(
            list_hang("BV1002  warning  config  `source` names a file"),
            Some(25)
        );
    }
}
