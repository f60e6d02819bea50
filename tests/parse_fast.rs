//! The hand-written fast path (`src/script/fast.rs`) against pest alone, which is
//! the specification: on every config we have (the shared corpus, the repository's
//! .cfg files, the differential cases, the 10 MB benchmark config), on thousands of
//! mutations of them and on random bytes, `parse` and `check` must give exactly
//! what the pest-only parse gives — every statement with every span, every error.
//! And the fast path must actually be taken, or it is only dead weight.

use std::path::{Path, PathBuf};
use std::process::Command;

use bootvet::script;

mod support;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn files_under(dir: &Path, wanted: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, wanted, out);
        } else if wanted(&path) {
            out.push(path);
        }
    }
}

/// Every file of the shared corpus (all of it is GRUB script, or close enough to
/// be a good test: grubenv blocks, BLS snippets), every .cfg of the repository's
/// tests and fixtures, and each case of tests/differential/cases.txt.
fn real_inputs() -> Vec<(String, Vec<u8>)> {
    let mut paths = Vec::new();
    let corpus = repo().join("../shared/corpus");
    let present = support::require(corpus.is_dir(), "the shared corpus beside the repository");
    if present {
        files_under(&corpus, &|p| !p.ends_with("PROVENANCE.md"), &mut paths);
    }
    let is_cfg = |p: &Path| p.extension().is_some_and(|e| e == "cfg");
    files_under(&repo().join("tests"), &is_cfg, &mut paths);
    files_under(&repo().join("fixtures"), &is_cfg, &mut paths);
    paths.sort();
    let mut inputs: Vec<(String, Vec<u8>)> = paths
        .into_iter()
        .map(|p| (p.display().to_string(), std::fs::read(&p).expect("read")))
        .collect();
    let cases = std::fs::read_to_string(repo().join("tests/differential/cases.txt"))
        .expect("tests/differential/cases.txt");
    for (n, case) in cases.split("\n=== ").skip(1).enumerate() {
        let text = case.split_once('\n').map_or("", |(_, t)| t);
        inputs.push((format!("cases.txt #{n}"), text.as_bytes().to_vec()));
        inputs.push((
            format!("cases.txt #{n} crlf"),
            text.replace('\n', "\r\n").into(),
        ));
    }
    assert!(
        inputs.len() >= if present { 600 } else { 500 },
        "only {} inputs",
        inputs.len()
    );
    inputs
}

fn check_one(name: &str, bytes: &[u8]) {
    let run = std::panic::catch_unwind(|| bootvet::fuzzing::parse(bytes));
    if let Err(panic) = run {
        let dir = std::env::temp_dir().join("bootvet-parse-fast-failure.cfg");
        let _ = std::fs::write(&dir, bytes);
        eprintln!("{name}: failed; input saved to {}", dir.display());
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn fast_path_equals_pest_on_every_real_config() {
    for (name, bytes) in real_inputs() {
        check_one(&name, &bytes);
    }
}

/// What the mutations insert: GRUB's metacharacters and keywords.
const PIECES: &[&[u8]] = &[
    b"{",
    b"}",
    b";",
    b"\n",
    b"\\",
    b"'",
    b"\"",
    b"$",
    b"#",
    b"if",
    b"fi",
    b" ",
    b"\t",
    b"\r",
    b"then",
    b"else",
    b"elif",
    b"do",
    b"done",
    b"for x in",
    b"while",
    b"function f",
    b"${",
    b"$\"",
    b"\\\n",
    b"[[",
    b"]]",
    b"|",
    b"&",
    b"<",
    b">",
    b"\xc3\xa9",
    b"\0",
];

fn mutate(seed: &[u8], rng: &mut support::Rng) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for _ in 0..1 + rng.below(6) {
        if bytes.is_empty() {
            bytes.push(b'x');
        }
        let at = rng.below(bytes.len());
        match rng.below(5) {
            0 => bytes[at] ^= 1 << rng.below(8),
            1 | 2 => {
                let piece = PIECES[rng.below(PIECES.len())];
                bytes.splice(at..at, piece.iter().copied());
            }
            3 => {
                bytes.remove(at);
            }
            _ => {
                let end = (at + rng.below(48)).min(bytes.len());
                let piece = bytes[at..end].to_vec();
                let to = rng.below(bytes.len());
                bytes.splice(to..to, piece);
            }
        }
    }
    bytes
}

#[test]
fn fast_path_equals_pest_on_mutated_configs_and_random_bytes() {
    let seeds: Vec<Vec<u8>> = real_inputs().into_iter().map(|(_, b)| b).collect();
    let mut rng = support::Rng::new(0x5eed_fa57_9a25_e001);
    for round in 0..6000 {
        let seed = &seeds[rng.below(seeds.len())];
        let bytes = mutate(seed, &mut rng);
        check_one(&format!("mutation {round}"), &bytes);
    }
    for round in 0..300 {
        let len = rng.below(4096);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        check_one(&format!("random {round}"), &bytes);
        // Random text made of GRUB's own tokens is likelier to parse.
        let mut tokens = Vec::new();
        while tokens.len() < len {
            tokens.extend_from_slice(PIECES[rng.below(PIECES.len())]);
            if rng.below(3) == 0 {
                tokens.extend_from_slice(b"echo a");
            }
        }
        check_one(&format!("tokens {round}"), &tokens);
    }
}

/// Every sequence of three of these tokens, alone or inside a block, an `if` or
/// a loop: small enough to try them all, and between them they reach
/// each rule of the grammar next to each other one.
const TOKENS: &[&str] = &[
    "echo",
    " ",
    "\t",
    "\n",
    ";",
    "{",
    "}",
    "a",
    "#c",
    "\\",
    "\\\n",
    "'q'",
    "'",
    "\"",
    "\"d$x\\\"\"",
    "$",
    "$a",
    "${b}",
    "${",
    "$?",
    "$1",
    "$\"g\\\"\"",
    "if",
    "then",
    "else",
    "elif",
    "fi",
    "for",
    "x",
    "in",
    "do",
    "done",
    "while",
    "until",
    "function",
    "f",
    "[[",
    "]]",
    "|",
    "\r",
    "=",
];

#[test]
fn fast_path_equals_pest_on_every_short_token_sequence() {
    let contexts = ["", "menuentry t {\n", "if true; then\n", "while a; do "];
    let ends = ["", "\n}\n", "\nfi\n", "; done\n"];
    let n = TOKENS.len();
    for i in 0..n * n * n {
        let tokens = [i % n, i / n % n, i / n / n];
        let text: String = tokens.iter().map(|t| TOKENS[*t]).collect();
        // Each sequence alone or in one of the contexts, in turn (check() is
        // compared on the other inputs; here it would only double the time).
        let input = match i % 5 {
            4 => text,
            k => format!("{}{text}{}", contexts[k], ends[k]),
        };
        let fast = script::parse(input.as_bytes());
        let pest = script::parse_without_fast_path(input.as_bytes());
        assert_eq!(fast.errors, pest.errors, "{input:?}");
        assert_eq!(fast.statements, pest.statements, "{input:?}");
    }
}

/// The 10 MB grub-mkconfig-shaped config the benchmarks time.
fn benchmark_config() -> Option<Vec<u8>> {
    let output = Command::new("python3")
        .arg(repo().join("benches/gen-grub-cfg.py"))
        .arg("10")
        .output();
    let ok = output.as_ref().is_ok_and(|o| o.status.success());
    if !support::require(ok, "python3 (to run benches/gen-grub-cfg.py)") {
        return None;
    }
    output.ok().map(|o| o.stdout)
}

#[test]
fn fast_path_equals_pest_on_the_benchmark_config() {
    let Some(config) = benchmark_config() else {
        return;
    };
    assert!(config.len() > 10_000_000);
    let fast = script::parse(&config);
    let pest = script::parse_without_fast_path(&config);
    assert!(fast.errors.is_empty() && pest.errors.is_empty());
    assert_eq!(fast.statements.len(), pest.statements.len());
    for (a, b) in fast.statements.iter().zip(&pest.statements) {
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }
    let (fast_check, pest_check) = (
        script::check(&config),
        script::check_without_fast_path(&config),
    );
    assert_eq!(fast_check.errors, pest_check.errors);
    assert_eq!(fast_check.has_commands, pest_check.has_commands);
    // Mutations of 64 KiB slices of it, cut at line starts.
    let mut rng = support::Rng::new(0xb16_c0f1_6000);
    for round in 0..200 {
        let start = rng.below(config.len() - 70_000);
        let start = start
            + config[start..]
                .iter()
                .position(|b| *b == b'\n')
                .unwrap_or(0)
            + 1;
        let slice = &config[start..start + 60_000];
        check_one(
            &format!("benchmark slice {round}"),
            &mutate(slice, &mut rng),
        );
    }
}

/// A regression that silently sends units to pest would keep every other test
/// green and only lose the speed: pin the share the fast path takes.
#[test]
fn fast_path_takes_the_units_of_real_configs() {
    if let Some(config) = benchmark_config() {
        let (fast, all) = script::fast_path_units(&config);
        assert!(all > 3_000, "{all} units");
        eprintln!("fast path: {fast} of {all} units of the benchmark config");
        assert_eq!(fast, all, "units of the benchmark config left to pest");
    }
    // Every unit of the real configs that parses is taken; only the units with
    // a syntax error (which come from pest) are left.
    let (mut fast, mut all) = (0, 0);
    for (name, bytes) in real_inputs() {
        let (f, a) = script::fast_path_units(&bytes);
        let parsed = script::parse(&bytes);
        let errors = parsed.errors.len() + parsed.more_errors;
        assert_eq!(f + errors, a, "{name}: units that parse left to pest");
        fast += f;
        all += a;
    }
    eprintln!("fast path: {fast} of {all} units of the real configs");
}
