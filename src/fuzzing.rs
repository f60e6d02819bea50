//! Entry points shared by the cargo-fuzz targets in `fuzz/` and by the in-CI
//! robustness tests, so both exercise exactly the same code and invariants.
//! Each function panics when an invariant breaks: that is what a fuzzer reports.

use crate::script::{self, Statement};

/// The parser on arbitrary bytes: never panics, every span lies inside the input,
/// statements come in file order, and the errors-only path agrees with the tree.
pub fn parse(data: &[u8]) {
    let parsed = script::parse(data);
    let checked = script::check(data);
    assert_eq!(
        parsed.errors, checked.errors,
        "check() and parse() disagree"
    );
    assert_eq!(
        !parsed.has_no_commands(),
        checked.has_commands,
        "check() and parse() disagree on whether there are commands"
    );
    for error in &parsed.errors {
        assert!(
            error.unit_start <= error.span.start,
            "error before its unit"
        );
        assert!(error.span.start <= error.span.end && error.span.end <= data.len());
    }
    assert!(
        parsed.errors.len() <= script::MAX_ERRORS,
        "errors not capped"
    );
    assert_eq!(parsed.more_errors, checked.more_errors);
    // The windowed parse must give what pest gives on the whole rest of the file;
    // the reference is quadratic in the errors, so only on small inputs.
    if data.len() <= 16 << 10 {
        let whole = script::parse_unwindowed(data);
        assert_eq!(parsed.errors, whole.errors, "windowed parse differs");
        assert_eq!(parsed.more_errors, whole.more_errors);
        let spans = |s: &script::Script| s.statements.iter().map(|s| s.span()).collect::<Vec<_>>();
        assert_eq!(spans(&parsed), spans(&whole), "windowed parse differs");
    }
    // The fast path must give exactly what pest alone gives (statements with
    // every span, errors), in both modes.
    if data.len() <= 64 << 10 {
        assert_same_as_pest(data, &parsed, &checked);
    }
    let mut last_end = 0;
    for statement in &parsed.statements {
        let span = statement.span();
        assert!(
            span.start >= last_end && span.end <= data.len(),
            "statement out of order or bounds"
        );
        last_end = span.end;
        assert_nested_spans(statement, data.len());
    }
}

/// `parse`/`check` (`parsed`, `checked`) against the pest-only parse of `data`.
pub fn assert_same_as_pest(data: &[u8], parsed: &script::Script, checked: &script::SyntaxCheck) {
    let pest = script::parse_without_fast_path(data);
    assert_eq!(parsed.errors, pest.errors, "fast path: errors differ");
    assert_eq!(parsed.more_errors, pest.more_errors);
    // Compared as values (every field and span); the Debug dumps, which cost
    // more than the parses, only name the first difference.
    if parsed.statements != pest.statements {
        let tree = |s: &script::Script| format!("{:#?}", s.statements);
        let (fast, slow) = (tree(parsed), tree(&pest));
        let line = fast
            .lines()
            .zip(slow.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "fast path: statements differ from pest's at line {line} of their dumps:\nfast: {}\npest: {}",
            fast.lines().nth(line).unwrap_or(""),
            slow.lines().nth(line).unwrap_or("")
        );
    }
    let pest_check = script::check_without_fast_path(data);
    assert_eq!(
        checked.errors, pest_check.errors,
        "fast path: check() errors differ"
    );
    assert_eq!(checked.more_errors, pest_check.more_errors);
    assert_eq!(
        checked.has_commands, pest_check.has_commands,
        "fast path: check() differs on whether there are commands"
    );
}

fn assert_nested_spans(statement: &Statement, len: usize) {
    let outer = statement.span();
    let inside = |inner: &[Statement]| {
        for s in inner {
            let span = s.span();
            assert!(span.start >= outer.start && span.end <= outer.end && span.end <= len);
            assert_nested_spans(s, len);
        }
    };
    match statement {
        Statement::Command(c) => {
            for word in &c.words {
                assert!(word.span.start >= outer.start && word.span.end <= outer.end);
            }
            if let Some(block) = &c.block {
                assert!(block.inner.start <= block.inner.end && block.span.end <= outer.end);
                inside(&block.body);
            }
        }
        Statement::If(i) => {
            for branch in &i.branches {
                inside(&branch.condition);
                inside(&branch.body);
            }
            if let Some(body) = &i.else_body {
                inside(body);
            }
        }
        Statement::For(f) => inside(&f.body),
        Statement::Loop(l) => {
            inside(&l.condition);
            inside(&l.body);
        }
        Statement::Function(f) => inside(&f.body),
    }
}
