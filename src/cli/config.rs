//! `check`'s defaults from files, as ShellCheck's `.shellcheckrc` and clippy's
//! `clippy.toml` give them: `/etc/bootvet.toml` for the machine, then
//! `$XDG_CONFIG_HOME/bootvet/config.toml` (else `~/.config/bootvet/config.toml`)
//! for the user, then the command line. A scalar (`strict`, `memory`,
//! `root_bus`) comes from the last of these that sets it; `ignore` lists add up
//! (a code silenced for the machine stays silenced). `BOOTVET_CONFIG=PATH`
//! stands for the system file (tests, or a config kept elsewhere).
//!
//! A key or code bootvet does not know is an error naming the file and line: a
//! misspelt `ignroe` silently ignored would look like a check that cannot be
//! turned off.
//!
//! ```toml
//! ignore = ["BV5009"]
//! strict = true
//! memory = "2G"
//! root_bus = ["nvme"]
//! ```

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

/// What the files say, merged in precedence order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Defaults {
    /// Codes (upper case) whose findings are dropped.
    pub ignore: Vec<String>,
    pub strict: Option<bool>,
    pub memory: Option<u64>,
    pub root_bus: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    ignore: Vec<Spanned<String>>,
    strict: Option<bool>,
    memory: Option<Spanned<String>>,
    root_bus: Option<Vec<String>>,
}

/// The files read, system first: `BOOTVET_CONFIG` or `/etc/bootvet.toml`,
/// then the user's.
pub fn paths() -> Vec<PathBuf> {
    let system = std::env::var_os("BOOTVET_CONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/etc/bootvet.toml"));
    let user_dir = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
    let mut paths = vec![system];
    paths.extend(user_dir.map(|d| d.join("bootvet/config.toml")));
    paths
}

/// Reads and merges the files that exist; a file that is there but cannot
/// be read or understood is an error.
pub fn load(paths: &[PathBuf]) -> Result<Defaults, String> {
    let mut merged = Defaults::default();
    for path in paths {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let file = parse(path, &text)?;
        for code in file.ignore {
            if !merged.ignore.contains(&code) {
                merged.ignore.push(code);
            }
        }
        merged.strict = file.strict.or(merged.strict);
        merged.memory = file.memory.or(merged.memory);
        merged.root_bus = file.root_bus.or(merged.root_bus);
    }
    Ok(merged)
}

/// One file's settings, each value checked, errors as `FILE:LINE: message`.
pub fn parse(path: &Path, text: &str) -> Result<Defaults, String> {
    let at = |span: Option<Range<usize>>, message: &str| {
        let line = span.map_or(1, |s| line_of(text, s.start));
        format!("{}:{line}: {message}", path.display())
    };
    let file: File = toml::from_str(text).map_err(|e| at(e.span(), e.message().trim()))?;
    let mut ignore = Vec::new();
    for code in &file.ignore {
        let canonical = known_code(code.get_ref()).map_err(|e| at(Some(code.span()), &e))?;
        ignore.push(canonical);
    }
    let memory = file
        .memory
        .map(|m| {
            crate::probe::host::parse_size(m.get_ref())
                .map_err(|e| at(Some(m.span()), &format!("memory: {e}")))
        })
        .transpose()?;
    Ok(Defaults {
        ignore,
        strict: file.strict,
        memory,
        root_bus: file.root_bus,
    })
}

/// A code from the registry, upper-cased; anything else is refused with the
/// codes' range, so a typo cannot silence nothing.
pub fn known_code(code: &str) -> Result<String, String> {
    crate::check::lookup(code.trim())
        .map(|info| info.code.to_string())
        .ok_or_else(|| {
            format!(
                "unknown check code `{}` (`bootvet explain --list` lists them)",
                code.trim()
            )
        })
}

fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_and_code_name_the_line() {
        let path = Path::new("/etc/bootvet.toml");
        let err = parse(path, "strict = true\nignroe = [\"BV5009\"]\n").unwrap_err();
        assert!(
            err.starts_with("/etc/bootvet.toml:2: unknown field `ignroe`"),
            "{err}"
        );
        let err = parse(path, "ignore = [\n  \"BV5009\",\n  \"BV9999\",\n]\n").unwrap_err();
        assert_eq!(
            err,
            "/etc/bootvet.toml:3: unknown check code `BV9999` (`bootvet explain --list` lists them)"
        );
        let err = parse(path, "memory = \"lots\"\n").unwrap_err();
        assert!(err.starts_with("/etc/bootvet.toml:1: memory: "), "{err}");
    }

    #[test]
    fn values_read() {
        let d = parse(
            Path::new("x"),
            "ignore = [\"bv5009\"]\nstrict = true\nmemory = \"2G\"\nroot_bus = [\"nvme\"]\n",
        )
        .unwrap();
        assert_eq!(d.ignore, vec!["BV5009".to_string()]);
        assert_eq!(d.strict, Some(true));
        assert_eq!(d.memory, Some(2 << 30));
        assert_eq!(d.root_bus, Some(vec!["nvme".to_string()]));
    }
}
