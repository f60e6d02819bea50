//! `bootvet parse` and the parser, end to end: the differential test against
//! GRUB's own grub-script-check, and the command's output and exit statuses.

use std::path::{Path, PathBuf};
use std::process::Command;

use bootvet::script;
use bootvet::source::LineIndex;

mod support;
use support::{bootvet, bootvet_with_input};

#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Parses,
    /// Valid script without a single command: GRUB runs it, grub-script-check refuses it.
    NoCommands,
    SyntaxErrorAt(usize),
}

fn shared_corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")
}

fn grub_script_check(file: &Path) -> Verdict {
    let output = Command::new("grub-script-check").arg(file).output().expect(
        "grub-script-check must be installed (Debian package grub-common; scripts/setup.sh installs it)",
    );
    if output.status.success() {
        return Verdict::Parses;
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if text.contains("contains no commands") {
        return Verdict::NoCommands;
    }
    let line = text
        .rsplit("Syntax error at line ")
        .next()
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "unexpected grub-script-check output for {}: {text}",
                file.display()
            )
        });
    Verdict::SyntaxErrorAt(line)
}

fn bootvet_verdict(bytes: &[u8]) -> Verdict {
    let parsed = script::parse(bytes);
    match parsed.errors.first() {
        Some(error) => {
            Verdict::SyntaxErrorAt(LineIndex::new(bytes).line_col(bytes, error.span.start).line)
        }
        None if parsed.has_no_commands() => Verdict::NoCommands,
        None => Verdict::Parses,
    }
}

struct Case {
    name: String,
    text: Vec<u8>,
}

/// Reads tests/differential/cases.txt (format described at its top).
fn generated_cases() -> Vec<Case> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential/cases.txt");
    let content = std::fs::read_to_string(&path).expect("cases.txt");
    let mut cases: Vec<(String, Vec<String>, String)> = Vec::new();
    for line in content.split_inclusive('\n') {
        if let Some(header) = line.strip_prefix("=== ") {
            let mut words = header.split_whitespace();
            let name = words.next().unwrap_or_default().to_string();
            let flags = words
                .map(|f| f.trim_matches(['[', ']']).to_string())
                .collect();
            cases.push((name, flags, String::new()));
        } else if let Some(last) = cases.last_mut() {
            last.2.push_str(line);
        }
    }
    cases
        .into_iter()
        .map(|(name, flags, mut text)| {
            if flags.iter().any(|f| f == "no-newline") && text.ends_with('\n') {
                text.pop();
            }
            if flags.iter().any(|f| f == "crlf") {
                text = text.replace('\n', "\r\n");
            }
            Case {
                name,
                text: text.into_bytes(),
            }
        })
        .collect()
}

/// Corpus files whose whole text is GRUB script: all real-world configs and the
/// grub-tests files run by grub-shell-tester (the others are sh wrappers).
fn corpus_cases() -> Vec<Case> {
    let corpus = shared_corpus();
    let mut files = Vec::new();
    for dir in ["real-world", "grub-tests", "grub-tests/post-2.12"] {
        let what = format!("the corpus directory {}", corpus.join(dir).display());
        if !support::require(corpus.join(dir).is_dir(), &what) {
            continue;
        }
        let entries = std::fs::read_dir(corpus.join(dir)).expect("read the corpus directory");
        for entry in entries.flatten() {
            let path = entry.path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let bytes = std::fs::read(&path).unwrap_or_default();
            let wanted = if dir == "real-world" {
                name.ends_with(".cfg")
            } else {
                name.ends_with(".in") && bytes.starts_with(b"#! @builddir@/grub-shell-tester")
            };
            if wanted {
                files.push(Case {
                    name: format!("{dir}/{name}"),
                    text: bytes,
                });
            }
        }
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files
}

/// Cases where bootvet's first error is, by design, on another line than
/// grub-script-check's. Empty: every case agrees exactly. Each entry would say why.
const LINE_EXCEPTIONS: &[(&str, &str)] = &[];

#[test]
fn verdicts_and_first_error_lines_equal_grub_script_check() {
    let dir = tempfile::tempdir().unwrap();
    let generated = generated_cases();
    assert!(
        generated.len() >= 200,
        "only {} generated cases",
        generated.len()
    );
    let corpus = corpus_cases();
    assert!(
        corpus.len() >= 60,
        "the shared corpus was not found beside the repository ({} files)",
        corpus.len()
    );
    let mut disagreements = Vec::new();
    let mut verdict_counts = [0usize; 3];
    for case in generated.iter().chain(&corpus) {
        let file = dir.path().join("case.cfg");
        std::fs::write(&file, &case.text).unwrap();
        let expected = grub_script_check(&file);
        let actual = bootvet_verdict(&case.text);
        verdict_counts[match expected {
            Verdict::Parses => 0,
            Verdict::NoCommands => 1,
            Verdict::SyntaxErrorAt(_) => 2,
        }] += 1;
        let excused = LINE_EXCEPTIONS.iter().any(|(name, _)| *name == case.name)
            && matches!(
                (&expected, &actual),
                (Verdict::SyntaxErrorAt(_), Verdict::SyntaxErrorAt(_))
            );
        if expected != actual && !excused {
            disagreements.push(format!(
                "{}: grub-script-check {:?}, bootvet {:?}",
                case.name, expected, actual
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {} cases disagree with grub-script-check:\n{}",
        disagreements.len(),
        generated.len() + corpus.len(),
        disagreements.join("\n")
    );
    // The table must exercise all three verdicts, or it proves little.
    assert!(
        verdict_counts.iter().all(|n| *n >= 3),
        "verdicts seen: {verdict_counts:?}"
    );
}

#[test]
fn valid_file_is_silent_and_exits_0() {
    let (code, out, err) = bootvet(&["parse", "fixtures/grub/ubuntu-2204.cfg"]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
}

#[test]
fn every_error_is_reported_with_file_line_col_source_and_caret() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("grub.cfg");
    std::fs::write(
        &file,
        "menuentry 'a' {\n\tlinux /vmlinuz\n}\necho a | b\necho ok\nif [[ x ]]; then true; fi\n",
    )
    .unwrap();
    let name = file.display().to_string();
    let (code, out, err) = bootvet(&["parse", &name]);
    assert_eq!(code, 1);
    assert_eq!(out, "");
    let expected = format!(
        "{name}:4:8: error: `|` is not part of GRUB's script language
4 | echo a | b
  |        ^
  = help: GRUB has no pipes, `&&`/`||`, redirections or background jobs; to pass `|` as text, quote it: '|'
{name}:6:4: error: `[[` is not a GRUB command or argument
6 | if [[ x ]]; then true; fi
  |    ^^
  = help: GRUB's test command is `[ … ]`
bootvet: 2 syntax errors found; GRUB skips each statement that has one
"
    );
    assert_eq!(err, expected);
}

#[test]
fn caret_keeps_tabs_and_counts_characters() {
    let (code, _, err) = bootvet_with_input(&["parse", "-"], "\tlinux /é | x\n".as_bytes());
    assert_eq!(code, 1);
    assert!(err.contains("<stdin>:1:11: error"), "{err}");
    assert!(err.contains("  | \t         ^\n"), "{err}");
}

#[test]
fn unclosed_block_points_at_its_opening_brace() {
    let (code, _, err) = bootvet_with_input(
        &["parse", "-"],
        b"submenu 'x' {\n  menuentry 'y' {\n    true\n  }\n",
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("<stdin>:4:4: error: unexpected end of file: `}` is missing"),
        "{err}"
    );
    assert!(
        err.contains("note: the `{` was opened at <stdin>:1:13"),
        "{err}"
    );
}

#[test]
fn unreadable_file_is_one_line_and_exit_2() {
    let (code, out, err) = bootvet(&["parse", "/nonexistent/grub.cfg"]);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert_eq!(
        err,
        "bootvet: cannot read /nonexistent/grub.cfg: No such file or directory (os error 2)\n"
    );
}

#[test]
fn stdin_is_read_with_dash() {
    let (code, _, _) = bootvet_with_input(&["parse", "-"], b"echo ok\n");
    assert_eq!(code, 0);
    let (code, _, err) = bootvet_with_input(&["parse", "-"], b"echo $(x)\n");
    assert_eq!(code, 1);
    assert!(
        err.contains("command substitution `$(…)` does not exist in GRUB"),
        "{err}"
    );
}

#[test]
fn json_has_schema_errors_and_tree() {
    let (code, out, _) = bootvet_with_input(
        &["parse", "--json", "-"],
        b"menuentry 'T' --id t {\n  linux /v root=UUID=$u\n}\n;\n",
    );
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["schema"], "bootvet.parse/1");
    let file = &doc["files"][0];
    assert_eq!(file["path"], "<stdin>");
    assert_eq!(file["errors"][0]["line"], 4);
    assert_eq!(file["errors"][0]["column"], 1);
    let entry = &file["statements"][0];
    assert_eq!(entry["kind"], "command");
    assert_eq!(entry["words"][1]["parts"][0]["kind"], "single_quoted");
    assert_eq!(entry["words"][1]["parts"][0]["value"], "T");
    let linux = &entry["block"]["body"][0];
    let root = &linux["words"][2]["parts"];
    assert_eq!(root[0]["value"], "root=UUID=");
    assert_eq!(root[1]["kind"], "variable");
    assert_eq!(root[1]["name"], "u");
}

#[test]
fn dump_prints_the_tree_with_positions() {
    let (code, out, _) = bootvet_with_input(
        &["parse", "--dump", "-"],
        b"if [ x$a = xy ]; then\n  menuentry \"A $b\" { linux /v; }\nfi\n",
    );
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "1:1 if\n  condition\n    1:4 command [ x${a} = xy ]\n  then\n    2:3 command menuentry \"A ${b}\"\n      {\n        2:22 command linux /v\n"
    );
}

#[test]
fn file_without_commands_is_valid_with_a_note() {
    let (code, _, err) = bootvet_with_input(&["parse", "-"], b"function f {\n  true\n}\n");
    assert_eq!(code, 0);
    assert!(err.contains("contains no commands"), "{err}");
}

/// Hostile input: each gives errors or a tree, never a panic or a stack overflow.
#[test]
fn hostile_inputs_give_errors_not_crashes() {
    let deep_braces = "menuentry x {\n".repeat(100_000);
    let deep_ifs = "if true; then\n".repeat(100_000);
    let deep_but_closed = format!("{}true{}\n", "a { ".repeat(300), " }".repeat(300));
    let long_line = format!("echo {}\n", "x".repeat(5_000_000));
    let open_quote = format!("echo \"{}\n", "a\n".repeat(200_000));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("deep braces", deep_braces.into_bytes()),
        ("deep ifs", deep_ifs.into_bytes()),
        ("deep but closed", deep_but_closed.into_bytes()),
        ("long line", long_line.into_bytes()),
        ("open quote", open_quote.into_bytes()),
        (
            "invalid utf-8",
            b"menuentry '\xff\xfe' {\n linux /v\xc3\x28\n}\n".to_vec(),
        ),
        ("nul bytes", b"echo a\0b\n\0\0\n".to_vec()),
        ("lone carriage returns", b"\r\r\recho\ra\r\n".to_vec()),
        ("only braces", b"{{{{}}}}\n}}}}{{{{".to_vec()),
    ];
    for (name, bytes) in cases {
        bootvet::fuzzing::parse(&bytes);
        let parsed = script::parse(&bytes);
        match name {
            "deep braces" | "deep ifs" | "deep but closed" => {
                assert!(!parsed.errors.is_empty(), "{name}: no error");
            }
            "long line" | "invalid utf-8" | "nul bytes" => {
                assert!(
                    parsed.errors.is_empty(),
                    "{name}: {:?}",
                    parsed.errors.first()
                );
                assert_eq!(
                    parsed.statements.len(),
                    if name == "nul bytes" { 2 } else { 1 },
                    "{name}"
                );
            }
            _ => {}
        }
    }
}

/// The fuzz target's invariants over thousands of mutations of real configs, with a
/// fixed seed so a failure reproduces. (`cargo fuzz run parse` explores further.)
#[test]
fn mutated_real_configs_keep_the_parser_invariants() {
    let mut seeds: Vec<Vec<u8>> = corpus_cases().into_iter().map(|c| c.text).collect();
    seeds.extend(generated_cases().into_iter().map(|c| c.text));
    let mut rng = support::Rng::new(0x9e37_79b9_7f4a_7c15);
    let mut next = move || rng.next_u64();
    const INTERESTING: &[u8] = b"{}\"'\\$;\n#|&<> \t\rif fi then do done for in function menuentry";
    for _ in 0..4000 {
        let seed = &seeds[(next() as usize) % seeds.len()];
        let mut bytes = seed.clone();
        for _ in 0..1 + next() % 8 {
            if bytes.is_empty() {
                bytes.push(b'x');
            }
            let at = (next() as usize) % bytes.len();
            match next() % 4 {
                0 => bytes[at] = INTERESTING[(next() as usize) % INTERESTING.len()],
                1 => bytes.insert(at, INTERESTING[(next() as usize) % INTERESTING.len()]),
                2 => bytes.truncate(at),
                _ => {
                    let end = (at + (next() as usize) % 64).min(bytes.len());
                    let piece = bytes[at..end].to_vec();
                    let to = (next() as usize) % bytes.len();
                    bytes.splice(to..to, piece);
                }
            }
        }
        bootvet::fuzzing::parse(&bytes);
    }
}

/// Big files are parsed on several threads; the result must be the one a
/// sequential parse gives, including errors near the chunk boundaries.
#[test]
fn parallel_parse_equals_sequential_parse() {
    let base = std::fs::read("fixtures/grub/ubuntu-2204.cfg").unwrap();
    let mut big = Vec::new();
    let mut n = 0;
    while big.len() < 3 << 20 {
        big.extend_from_slice(&base);
        n += 1;
        // Errors and a multi-line string at varying places, some across chunk cuts.
        if n % 7 == 0 {
            big.extend_from_slice(b"echo a | b\nset x=\"\nmenuentry y {\n\"\n");
        }
    }
    let parallel = script::parse(&big);
    let sequential = script::parse_sequentially(&big);
    assert_eq!(parallel.errors, sequential.errors);
    let spans = |s: &script::Script| s.statements.iter().map(|s| s.span()).collect::<Vec<_>>();
    assert_eq!(spans(&parallel), spans(&sequential));
    assert_eq!(
        parallel.errors.len(),
        n / 7,
        "one error per injected snippet"
    );
}
