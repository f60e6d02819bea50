//! GRUB's `test` / `[ … ]` (`grub-core/commands/test.c`) in three-valued logic:
//! `True`/`False` when the answer follows from known values, `Unknown` when it
//! depends on something bootvet cannot know. Follows GRUB's left-to-right evaluation, not
//! POSIX precedence: three-argument tests first, then two, then `(`, `!`, `-a`,
//! `-o`, and a lone word is true when non-empty.

use super::default::grub_strtoul;
use super::truth::Truth;

/// One argument as the test command sees it.
#[derive(Clone, Debug)]
pub struct TestArg {
    pub text: String,
    pub known: bool,
}

/// A file test's answer from the file source.
pub trait FileProbe {
    /// `op` is `d`, `e`, `f` or `s`.
    fn file_test(&mut self, op: char, path: &str) -> Truth;
}

/// Evaluates `test ARGS` (a trailing `]` already removed by the caller).
pub fn evaluate(args: &[TestArg], files: &mut dyn FileProbe) -> Truth {
    let mut at = 0;
    parse(args, &mut at, files, 0)
}

fn strtol(s: &str) -> i64 {
    let (neg, rest) = match s.trim_start().strip_prefix('-') {
        Some(r) => (true, r),
        None => (
            false,
            s.trim_start().strip_prefix('+').unwrap_or(s.trim_start()),
        ),
    };
    let v = grub_strtoul(rest).map(|(v, _)| v).unwrap_or(0);
    let v = i64::try_from(v).unwrap_or(i64::MAX);
    if neg { -v } else { v }
}

const MAX_DEPTH: usize = 64;

fn parse(args: &[TestArg], at: &mut usize, files: &mut dyn FileProbe, depth: usize) -> Truth {
    let mut and = Truth::True;
    let mut or = Truth::False;
    let mut invert = false;
    let update = |val: Truth, and: &mut Truth, invert: &mut bool| {
        let v = if *invert { !val } else { val };
        *and = and.and(v);
        *invert = false;
    };
    while *at < args.len() {
        let a = &args[*at];
        if *at + 2 < args.len() {
            let op = args[*at + 1].text.as_str();
            let b = &args[*at + 2];
            let both = a.known && b.known;
            let cmp = |f: fn(std::cmp::Ordering) -> bool| {
                Truth::from(both.then(|| f(a.text.as_bytes().cmp(b.text.as_bytes()))))
            };
            let num = |f: fn(i64, i64) -> bool| {
                Truth::from(both.then(|| f(strtol(&a.text), strtol(&b.text))))
            };
            let result = match op {
                "=" | "==" => Some(cmp(|o| o.is_eq())),
                "!=" => Some(cmp(|o| o.is_ne())),
                "<" => Some(cmp(|o| o.is_lt())),
                "<=" => Some(cmp(|o| o.is_le())),
                ">" => Some(cmp(|o| o.is_gt())),
                ">=" => Some(cmp(|o| o.is_ge())),
                "-eq" => Some(num(|x, y| x == y)),
                "-ne" => Some(num(|x, y| x != y)),
                "-lt" => Some(num(|x, y| x < y)),
                "-le" => Some(num(|x, y| x <= y)),
                "-gt" => Some(num(|x, y| x > y)),
                "-ge" => Some(num(|x, y| x >= y)),
                "-pgt" | "-plt" => Some(Truth::from(both.then(|| {
                    let mut common = a
                        .text
                        .bytes()
                        .zip(b.text.bytes())
                        .take_while(|(x, y)| x == y && !x.is_ascii_digit())
                        .count();
                    // Equal bytes so far, so a boundary in one is one in the other.
                    while !a.text.is_char_boundary(common) {
                        common -= 1;
                    }
                    let x = grub_strtoul(&a.text[common..]).map(|v| v.0).unwrap_or(0);
                    let y = grub_strtoul(&b.text[common..]).map(|v| v.0).unwrap_or(0);
                    if op == "-pgt" { x > y } else { x < y }
                }))),
                _ if op.starts_with("-nt") || op.starts_with("-ot") => Some(Truth::Unknown),
                _ => None,
            };
            if let Some(r) = result {
                update(r, &mut and, &mut invert);
                *at += 3;
                continue;
            }
        }
        if *at + 1 < args.len() {
            let operand = &args[*at + 1];
            let result = match a.text.as_str() {
                "-d" => Some(files.file_test('d', &operand.text)),
                "-e" => Some(files.file_test('e', &operand.text)),
                "-f" => Some(files.file_test('f', &operand.text)),
                "-s" => Some(files.file_test('s', &operand.text)),
                "-n" => Some(Truth::known_if(operand.known, !operand.text.is_empty())),
                "-z" => Some(Truth::known_if(operand.known, operand.text.is_empty())),
                _ => None,
            };
            if let Some(r) = result {
                update(r, &mut and, &mut invert);
                *at += 2;
                continue;
            }
        }
        match a.text.as_str() {
            ")" => {
                *at += 1;
                return or.or(and);
            }
            "(" => {
                *at += 1;
                let inner = if depth < MAX_DEPTH {
                    parse(args, at, files, depth + 1)
                } else {
                    Truth::Unknown
                };
                update(inner, &mut and, &mut invert);
            }
            "!" => {
                invert = !invert;
                *at += 1;
            }
            "-a" => *at += 1,
            "-o" => {
                or = or.or(and);
                and = Truth::True;
                *at += 1;
            }
            _ => {
                let v = Truth::known_if(a.known, !a.text.is_empty());
                update(v, &mut and, &mut invert);
                *at += 1;
            }
        }
    }
    or.or(and)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Truth::{False, True, Unknown};

    struct Files;
    impl FileProbe for Files {
        fn file_test(&mut self, op: char, path: &str) -> Truth {
            match path {
                "/grubenv" => (op != 'd').into(),
                "/unknown" => Unknown,
                _ => False,
            }
        }
    }

    fn t(words: &[&str]) -> Truth {
        let args: Vec<TestArg> = words
            .iter()
            .map(|w| TestArg {
                text: w.trim_start_matches('?').to_string(),
                known: !w.starts_with('?') || w.len() == 1,
            })
            .collect();
        evaluate(&args, &mut Files)
    }

    #[test]
    fn strings_ints_and_files() {
        assert_eq!(t(&["xefi", "=", "xefi"]), True);
        assert_eq!(t(&["xpc", "=", "xefi"]), False);
        assert_eq!(t(&["?x", "=", "xefi"]), Unknown);
        assert_eq!(t(&["3", "-gt", "10"]), False);
        assert_eq!(t(&["-s", "/grubenv"]), True);
        assert_eq!(t(&["-d", "/grubenv"]), False);
        assert_eq!(t(&["-f", "/unknown"]), Unknown);
        assert_eq!(t(&["-z", ""]), True);
        assert_eq!(t(&[""]), False);
        assert_eq!(
            t(&["-f"]),
            True,
            "a lone `-f` is a non-empty string to GRUB"
        );
    }

    #[test]
    fn logic_is_three_valued() {
        assert_eq!(t(&["!", "-f", "/nope"]), True);
        assert_eq!(t(&["a", "=", "b", "-o", "-f", "/unknown"]), Unknown);
        assert_eq!(t(&["a", "=", "a", "-o", "-f", "/unknown"]), True);
        assert_eq!(t(&["a", "=", "b", "-a", "-f", "/unknown"]), False);
        assert_eq!(t(&["(", "a", "=", "b", ")", "-o", "x"]), True);
        assert_eq!(t(&["kernel-6", "-pgt", "kernel-5"]), True);
        // Shared first byte of different multi-byte characters: no split char.
        assert_eq!(t(&["é1", "-pgt", "è2"]), False);
    }
}
