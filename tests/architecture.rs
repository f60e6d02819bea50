//! ARCHITECTURE.md's code map lists exactly the source files that exist: every
//! `src/` path it names is there, and every file under src/ is named.
//!
//! How the code map names files (the section `## Code map`, read bullet by bullet;
//! a bullet is a line starting `- ` and the lines under it):
//! - a path in backticks starting `src/` and ending `.rs` names files; it may hold
//!   `{a,b}` alternatives and `*` (any characters but `/`): `src/cli/{hook,generate}.rs`,
//!   `src/check/rules/bv50*.rs`;
//! - a path ending `/` (`src/check/`) names a folder, not the files in it;
//! - a bare file name in backticks (`registry.rs`, `fs/ext4.rs`, `bv*.rs`) names a
//!   file in the folder of the bullet's first `src/` path (that path itself when it
//!   is a folder), unless it starts with a folder of the repository's top
//!   (`tests/devices.rs`, `fuzz/fuzz_targets/menu.rs`): that is another file.
//!
//! Each name must match at least one file; each file must be matched by a name.

use std::collections::BTreeSet;
use std::path::Path;

mod support;

/// The bullets of the `## Code map` section.
fn code_map_bullets(doc: &str) -> Vec<String> {
    let start = doc
        .find("\n## Code map\n")
        .expect("ARCHITECTURE.md has a `## Code map`");
    let section = &doc[start + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let mut bullets: Vec<String> = Vec::new();
    for line in section.lines() {
        if line.starts_with("- ") {
            bullets.push(line.to_string());
        } else if let Some(last) = bullets.last_mut() {
            last.push('\n');
            last.push_str(line);
        }
    }
    bullets
}

fn backticked(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// `a{b,c}d` → `abd`, `acd` (one level of braces at a time, repeatedly).
fn expand_braces(pattern: &str) -> Vec<String> {
    let Some(open) = pattern.find('{') else {
        return vec![pattern.to_string()];
    };
    let Some(close) = pattern[open..].find('}').map(|i| open + i) else {
        return vec![pattern.to_string()];
    };
    pattern[open + 1..close]
        .split(',')
        .flat_map(|alt| {
            expand_braces(&format!(
                "{}{alt}{}",
                &pattern[..open],
                &pattern[close + 1..]
            ))
        })
        .collect()
}

/// Whether `path` matches `pattern`, where `*` stands for any run of characters
/// other than `/`.
fn glob_match(pattern: &str, path: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == path,
        Some((head, tail)) => {
            let Some(rest) = path.strip_prefix(head) else {
                return false;
            };
            (0..=rest.len())
                .take_while(|&i| !rest[..i].contains('/'))
                .filter(|&i| rest.is_char_boundary(i))
                .any(|i| glob_match(tail, &rest[i..]))
        }
    }
}

/// The file patterns a bullet names (see the module comment).
fn named_patterns(bullet: &str, top_folders: &BTreeSet<String>) -> Vec<String> {
    let spans = backticked(bullet);
    let Some(first) = spans.iter().find(|s| s.starts_with("src/")) else {
        return Vec::new();
    };
    let folder = if first.ends_with('/') {
        first.to_string()
    } else {
        first
            .rsplit_once('/')
            .map_or(String::new(), |(dir, _)| format!("{dir}/"))
    };
    let mut patterns = Vec::new();
    for span in spans {
        let is_file = span.ends_with(".rs")
            && span
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-./*{},".contains(c));
        if !is_file {
            continue;
        }
        if span.starts_with("src/") {
            patterns.extend(expand_braces(span));
        } else if !span.starts_with('/')
            && !span.contains("..")
            && !span
                .split_once('/')
                .is_some_and(|(top, _)| top_folders.contains(top))
        {
            patterns.extend(expand_braces(&format!("{folder}{span}")));
        }
    }
    patterns
}

/// The folders at the top of the repository (`tests`, `fuzz`, …).
fn top_folders(repo: &Path) -> BTreeSet<String> {
    std::fs::read_dir(repo)
        .expect("read the repository")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

fn source_files(dir: &Path, repo: &Path, out: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).expect("read a folder under src/") {
        let path = entry.expect("folder entry").path();
        if path.is_dir() {
            source_files(&path, repo, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(repo).expect("under the repository");
            out.insert(relative.to_string_lossy().into_owned());
        }
    }
}

#[test]
fn code_map_lists_exactly_the_files_under_src() {
    let repo = support::repo();
    let doc = std::fs::read_to_string(repo.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let mut files = BTreeSet::new();
    source_files(&repo.join("src"), repo, &mut files);
    assert!(files.len() > 50, "{files:?}");

    let top_folders = top_folders(repo);
    let patterns: Vec<String> = code_map_bullets(&doc)
        .iter()
        .flat_map(|b| named_patterns(b, &top_folders))
        .collect();
    let missing: Vec<&String> = patterns
        .iter()
        .filter(|p| !files.iter().any(|f| glob_match(p, f)))
        .collect();
    let unlisted: Vec<&String> = files
        .iter()
        .filter(|f| !patterns.iter().any(|p| glob_match(p, f)))
        .collect();
    assert!(
        missing.is_empty() && unlisted.is_empty(),
        "ARCHITECTURE.md's code map is out of date.\nNamed there, but no such file: {missing:#?}\n\
         Files it does not name: {unlisted:#?}\n(how names are read: tests/architecture.rs)"
    );
}

#[test]
fn patterns_expand_and_match_as_documented() {
    assert_eq!(
        expand_braces("src/cli/{hook,generate}.rs"),
        ["src/cli/hook.rs", "src/cli/generate.rs"]
    );
    assert!(glob_match(
        "src/check/rules/bv50*.rs",
        "src/check/rules/bv5001_x.rs"
    ));
    assert!(!glob_match("src/check/*.rs", "src/check/rules/bv5001_x.rs"));
    assert!(!glob_match("src/a.rs", "src/a.rss"));
    let top: BTreeSet<String> = ["tests".to_string()].into();
    let bullet = "- `src/check/` — `registry.rs` and `rules/`; see `src/report/check.rs`";
    assert_eq!(
        named_patterns(bullet, &top),
        ["src/check/registry.rs", "src/report/check.rs"]
    );
    let bullet = "- `src/probe/raw_read.rs` — uses `fs/mod.rs`\n  and `Cargo.toml`, `tests/x.rs`";
    assert_eq!(
        named_patterns(bullet, &top),
        ["src/probe/raw_read.rs", "src/probe/fs/mod.rs"]
    );
}
