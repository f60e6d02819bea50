//! The parser on hostile bytes: random data, columns of braces, control bytes.
//! Each must give a bounded, exact result; how long they take is measured by
//! benches/parse-hostile.sh beside grub-script-check, not asserted here.

use std::process::Command;

use bootvet::script::{self, MAX_ERRORS};

/// Deterministic pseudo-random bytes (xorshift), so a failure reproduces.
fn random_bytes(len: usize, mut state: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn bootvet_parse(bytes: &[u8], extra: &[&str]) -> (i32, Vec<u8>, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("grub.cfg");
    std::fs::write(&file, bytes).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_bootvet"))
        .arg("parse")
        .args(extra)
        .arg(&file)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        output.stdout,
        output.stderr,
    )
}

#[test]
fn error_count_is_capped_with_an_exact_count_of_the_rest() {
    let closers = "}\n".repeat(40_000);
    let parsed = script::parse(closers.as_bytes());
    assert_eq!(parsed.errors.len(), MAX_ERRORS);
    assert_eq!(parsed.more_errors, 40_000 - MAX_ERRORS);
    assert_eq!(parsed.error_count(), 40_000);
    // The kept errors are the first ones, in file order.
    let starts: Vec<usize> = parsed.errors.iter().map(|e| e.span.start).collect();
    assert_eq!(starts, (0..MAX_ERRORS).map(|i| 2 * i).collect::<Vec<_>>());
    let check = script::check(closers.as_bytes());
    assert_eq!(check.errors, parsed.errors);
    assert_eq!(check.more_errors, parsed.more_errors);

    let (code, _, err) = bootvet_parse(closers.as_bytes(), &[]);
    let err = String::from_utf8(err).unwrap();
    assert_eq!(code, 1);
    assert_eq!(err.matches(": error: ").count(), MAX_ERRORS, "{err}");
    assert!(
        err.contains("and 39900 more syntax errors (only the first 100 are shown)"),
        "{err}"
    );
    assert!(
        err.ends_with(
            "bootvet: 40000 syntax errors found; GRUB skips each statement that has one\n"
        )
    );

    let (code, out, _) = bootvet_parse(closers.as_bytes(), &["--json"]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let file = &doc["files"][0];
    assert_eq!(file["errors"].as_array().unwrap().len(), MAX_ERRORS);
    assert_eq!(file["more_errors"], 39_900);
}

#[test]
fn ten_megabytes_of_random_bytes_parse_to_capped_errors() {
    let bytes = random_bytes(10 << 20, 0x2545_f491_4f6c_dd1d);
    let parsed = script::parse(&bytes);
    assert_eq!(parsed.errors.len(), MAX_ERRORS);
    // Random bytes hold a newline every 256 bytes or so and most lines are an
    // error: many thousands, all counted.
    assert!(parsed.more_errors > 10_000, "{}", parsed.more_errors);
    assert!(parsed.errors.iter().all(|e| e.span.end <= bytes.len()));
    // The threads and the errors-only path agree with the sequential parse.
    let sequential = script::parse_sequentially(&bytes);
    assert_eq!(parsed.errors, sequential.errors);
    assert_eq!(parsed.more_errors, sequential.more_errors);
    let check = script::check(&bytes);
    assert_eq!(check.more_errors, parsed.more_errors);
}

#[test]
fn a_hundred_thousand_unclosed_braces_are_each_an_error() {
    let openers = "{\n".repeat(100_000);
    let parsed = script::parse(openers.as_bytes());
    assert_eq!(parsed.error_count(), 100_000);
    assert_eq!(parsed.errors[0].message, "unexpected `{`");
    assert!(parsed.statements.is_empty());

    // Unclosed blocks that do open (a command before the brace) nest to the end
    // of the file: one error there, pointing back at the last opening brace.
    let entries = "menuentry x {\n".repeat(100_000);
    let parsed = script::parse(entries.as_bytes());
    assert_eq!(parsed.error_count(), 1);
    assert_eq!(
        parsed.errors[0].message,
        "unexpected end of file: `}` is missing"
    );
    assert_eq!(parsed.errors[0].unit_start, 0);
}

#[test]
fn forty_thousand_stray_closing_braces_are_each_an_error() {
    let closers = "}\n".repeat(40_000);
    let parsed = script::parse(closers.as_bytes());
    assert_eq!(parsed.error_count(), 40_000);
    assert_eq!(
        parsed.errors[0].message,
        "unexpected `}`: no block is open here"
    );
}

/// The parse shows pest a window after each unit; on inputs full of open strings,
/// continuations, blank lines inside open constructs and errors, it must give
/// exactly what pest gives on the whole rest of the file.
#[test]
fn windowed_parse_equals_whole_text_parse_on_token_soup() {
    const PIECES: &[&str] = &[
        "{",
        "}",
        "'",
        "\"",
        "$\"",
        "\\\n",
        "\\",
        "\n",
        "\n\n\n\n",
        "#",
        " ",
        "\t",
        ";",
        "if",
        "then",
        "fi",
        "for x in a",
        "do",
        "done",
        "while",
        "function f",
        "menuentry 'a'",
        "echo",
        "$x",
        "${",
        "|",
        "\r\n",
        "x",
        "${#}",
        "}#",
        "\\\r\n",
        "$#",
        "# '",
        "\\\r",
    ];
    // BOOTVET_SOUP_ITERATIONS explores further than CI's default.
    let iterations: usize = std::env::var("BOOTVET_SOUP_ITERATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3000);
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..iterations {
        let mut text = String::new();
        // Long enough that units run past the first window (256 bytes).
        let len = 200 + (next() % 2000) as usize;
        while text.len() < len {
            text.push_str(PIECES[(next() as usize) % PIECES.len()]);
            if next() % 3 == 0 {
                text.push(' ');
            }
            if next() % 50 == 0 {
                text.push_str(&"a ".repeat((next() % 200) as usize));
            }
        }
        if std::panic::catch_unwind(|| bootvet::fuzzing::parse(text.as_bytes())).is_err() {
            let _ = std::fs::write("/tmp/hb/soup-fail.cfg", &text);
            panic!("windowed parse differs on {text:?}");
        }
    }
}

#[test]
fn control_bytes_in_an_error_line_are_escaped_not_sent_to_the_terminal() {
    // ESC [2J clears a terminal; 0x9b is the one-byte CSI; BEL rings.
    let bytes = "echo a | \u{1b}[2J\u{7}b \u{9b}x\n".as_bytes();
    let (code, _, err) = bootvet_parse(bytes, &[]);
    assert_eq!(code, 1);
    assert!(
        !err.iter().any(|b| matches!(b, 0x1b | 0x07)),
        "raw control byte in {:?}",
        String::from_utf8_lossy(&err)
    );
    let err = String::from_utf8(err).unwrap();
    assert!(!err.contains('\u{9b}'), "{err}");
    assert!(
        err.contains("1 | echo a | \\x1b[2J\\x07b \\u{9b}x\n"),
        "{err}"
    );
    // The caret still lands under the `|`.
    assert!(err.contains("  |        ^\n"), "{err}");

    // A token quoted in a message is escaped too.
    let (_, _, err) = bootvet_parse(b"echo ;\x1b]0;title\x07\n", &[]);
    assert!(!err.contains(&0x1b), "{}", String::from_utf8_lossy(&err));
}
