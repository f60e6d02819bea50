//! The embedded early config (CONFIG object, grub-install's `load.cfg`) as GRUB's
//! kernel runs it: after `grub_set_prefix_and_root` has set `$root` and `$prefix`
//! from the PREFIX object (kern/main.c `grub_main`), `grub_load_config` hands each
//! line to the rescue parser (kern/rescue_parser.c: no `if`, no functions, one
//! command per line, `$var` and quotes expanded by `grub_parser_split_cmdline`).
//! Pure: the text in, the steps bootvet follows out; the caller resolves searches
//! against the disks. Bounded: at most `MAX_LINES` lines of at most 4 KiB.

use serde::{Deserialize, Serialize};

/// Most lines followed (grub-install writes two or three).
const MAX_LINES: usize = 256;
const MAX_LINE: usize = 4096;

/// One command of the early config that changes where GRUB looks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// `search.fs_uuid KEY VAR [HINTS…]`, `search.fs_label`, `search.file`, or
    /// `search --fs-uuid|--label|--file --set=VAR KEY`.
    Search {
        /// `fs_uuid`, `fs_label` or `file`.
        how: String,
        key: String,
        var: String,
    },
    /// `set VAR=VALUE` (`VALUE` expanded when it runs: it may use `$root`).
    Set { var: String, value: Vec<Word> },
    /// Anything else (`cryptomount`, `insmod`, `configfile`, `normal`, …).
    Other { command: String },
}

/// A piece of a `set` value: text, or a variable expanded when the line runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Word {
    Text(String),
    Var(String),
}

/// Splits the config into the steps it takes, in order.
pub fn steps(config: &str) -> Vec<Step> {
    let mut out = Vec::new();
    for line in config.lines().take(MAX_LINES) {
        let line = line.get(..MAX_LINE).unwrap_or(line).trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let args = split(line);
        let Some((command, rest)) = args.split_first() else {
            continue;
        };
        let text = |w: &[Word]| -> String {
            w.iter()
                .map(|p| match p {
                    Word::Text(t) => t.clone(),
                    Word::Var(v) => format!("${v}"),
                })
                .collect()
        };
        let command = text(command);
        let plain: Vec<String> = rest.iter().map(|w| text(w)).collect();
        let step = match command.as_str() {
            "search.fs_uuid" | "search.fs_label" | "search.file" if !plain.is_empty() => {
                Step::Search {
                    how: command.trim_start_matches("search.").to_string(),
                    key: plain[0].clone(),
                    var: plain.get(1).cloned().unwrap_or_else(|| "root".into()),
                }
            }
            "search" => long_search(&plain).unwrap_or(Step::Other { command }),
            "set" if !rest.is_empty() => set_step(&rest[0]).unwrap_or(Step::Other { command }),
            _ => Step::Other { command },
        };
        out.push(step);
    }
    out
}

/// `search --fs-uuid --set=root KEY` (and `-u`, `-l`, `-f`, `--set root`).
fn long_search(args: &[String]) -> Option<Step> {
    let mut how = None;
    let mut var = None;
    let mut key = None;
    let mut i = 0;
    while let Some(a) = args.get(i) {
        match a.as_str() {
            "--fs-uuid" | "-u" => how = Some("fs_uuid"),
            "--label" | "-l" => how = Some("fs_label"),
            "--file" | "-f" => how = Some("file"),
            "--set" | "-s" => {
                // `--set VAR` takes the next word only when it is not the key.
                if args.len() > i + 2 {
                    var = args.get(i + 1).cloned();
                    i += 1;
                } else {
                    var = Some("root".into());
                }
            }
            s if s.starts_with("--set=") => var = Some(s["--set=".len()..].to_string()),
            s if s.starts_with('-') => {}
            s => key = Some(s.to_string()),
        }
        i += 1;
    }
    Some(Step::Search {
        how: how.unwrap_or("file").to_string(),
        key: key?,
        var: var.unwrap_or_else(|| "root".into()),
    })
}

/// `set VAR=VALUE`: the first word up to `=` is the name.
fn set_step(word: &[Word]) -> Option<Step> {
    let Word::Text(first) = word.first()? else {
        return None;
    };
    let (var, head) = first.split_once('=')?;
    let mut value = Vec::new();
    if !head.is_empty() {
        value.push(Word::Text(head.to_string()));
    }
    value.extend(word[1..].iter().cloned());
    Some(Step::Set {
        var: var.to_string(),
        value,
    })
}

/// GRUB's split of one line into words: blanks separate, `'…'` is literal, `"…"`
/// and bare text expand `$name`/`${name}`, `\` escapes the next character.
fn split(line: &str) -> Vec<Vec<Word>> {
    let mut words: Vec<Vec<Word>> = Vec::new();
    let mut current: Vec<Word> = Vec::new();
    let mut text = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    let mut quote: Option<char> = None;
    let flush = |text: &mut String, current: &mut Vec<Word>| {
        if !text.is_empty() {
            current.push(Word::Text(std::mem::take(text)));
        }
    };
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some('\''), '\'') => quote = None,
            (Some('\''), c) => text.push(c),
            (Some('"'), '"') => quote = None,
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (_, '\\') => {
                if let Some(n) = chars.next() {
                    text.push(n);
                }
                in_word = true;
            }
            (_, '$') => {
                let mut name = String::new();
                if chars.peek() == Some(&'{') {
                    chars.next();
                    for n in chars.by_ref() {
                        if n == '}' {
                            break;
                        }
                        name.push(n);
                    }
                } else {
                    while let Some(&n) = chars.peek() {
                        if n.is_ascii_alphanumeric() || n == '_' {
                            name.push(n);
                            chars.next();
                        } else {
                            break;
                        }
                    }
                }
                flush(&mut text, &mut current);
                if name.is_empty() {
                    text.push('$');
                } else {
                    current.push(Word::Var(name));
                }
                in_word = true;
            }
            (None, c) if c == ' ' || c == '\t' => {
                if in_word {
                    flush(&mut text, &mut current);
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            (_, c) => {
                text.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        flush(&mut text, &mut current);
        words.push(current);
    }
    words
}

/// A `set` value with its variables taken from `get` (unset: empty, as GRUB).
pub fn expand(value: &[Word], get: impl Fn(&str) -> Option<String>) -> String {
    value
        .iter()
        .map(|w| match w {
            Word::Text(t) => t.clone(),
            Word::Var(v) => get(v).unwrap_or_default(),
        })
        .collect()
}

/// `(device)/dir` → (`Some(device)`, `/dir`); `/dir` → (`None`, `/dir`).
pub fn split_prefix(prefix: &str) -> (Option<String>, String) {
    if let Some(rest) = prefix.strip_prefix('(')
        && let Some((device, dir)) = rest.split_once(')')
    {
        return (Some(device.to_string()), dir.to_string());
    }
    (None, prefix.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grub_install_load_cfg() {
        let cfg = "search.fs_uuid 3f9c1a52-8d5e-4c61-9a3b-2b7e5f1d0c44 root hd0,gpt3 \nset prefix=($root)'/grub'\n";
        let s = steps(cfg);
        assert_eq!(
            s[0],
            Step::Search {
                how: "fs_uuid".into(),
                key: "3f9c1a52-8d5e-4c61-9a3b-2b7e5f1d0c44".into(),
                var: "root".into()
            }
        );
        let Step::Set { var, value } = &s[1] else {
            panic!("{s:?}")
        };
        assert_eq!(var, "prefix");
        assert_eq!(
            expand(value, |v| (v == "root").then(|| "hd0,gpt3".into())),
            "(hd0,gpt3)/grub"
        );
        assert_eq!(
            split_prefix("(hd0,gpt3)/grub"),
            (Some("hd0,gpt3".into()), "/grub".into())
        );
        assert_eq!(split_prefix("/grub"), (None, "/grub".into()));
    }

    #[test]
    fn long_search_and_others() {
        let s = steps("search --no-floppy --fs-uuid --set=root ABCD\ncryptomount -u 1234\n");
        assert_eq!(
            s[0],
            Step::Search {
                how: "fs_uuid".into(),
                key: "ABCD".into(),
                var: "root".into()
            }
        );
        assert_eq!(
            s[1],
            Step::Other {
                command: "cryptomount".into()
            }
        );
        // Unterminated quotes and lone `$` do not panic.
        let _ = steps("set prefix='(x\nset a=$\nsearch\nset\n\\");
    }
}
