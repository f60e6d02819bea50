//! grubenv: GRUB's environment block (`grub-core/lib/envblk.c`). Parses the bytes
//! into ordered `name=value` pairs and says what is wrong with a block; it never
//! writes one (bootvet records `save_env`, it does not perform it).

/// The first line of every environment block, newline included.
pub const SIGNATURE: &[u8] = b"# GRUB Environment Block\n";
/// The size grub-editenv creates and `save_env` expects.
pub const BLOCK_SIZE: usize = 1024;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grubenv {
    pub vars: Vec<(String, String)>,
    /// Things GRUB tolerates or grub-editenv would refuse, for notes.
    pub problems: Vec<String>,
}

impl Grubenv {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why GRUB would refuse the block outright ("invalid environment block").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidBlock(pub String);

/// Reads a block as GRUB's `load_env` does: the signature is required; the size
/// is whatever the file holds (GRUB reads the whole file), but anything other than
/// 1024 bytes is reported, because `save_env` and grub-editenv assume it.
pub fn parse(bytes: &[u8]) -> Result<Grubenv, InvalidBlock> {
    if !bytes.starts_with(SIGNATURE) {
        return Err(InvalidBlock(
            "does not start with `# GRUB Environment Block`".into(),
        ));
    }
    let mut env = Grubenv::default();
    if bytes.len() != BLOCK_SIZE {
        env.problems.push(format!(
            "is {} bytes, not {BLOCK_SIZE}: GRUB reads it, but save_env and grub-editenv expect exactly {BLOCK_SIZE}",
            bytes.len()
        ));
    }
    let mut pos = SIGNATURE.len();
    while pos < bytes.len() {
        // A line starting with `#` (padding or a comment) runs to the next newline.
        if bytes[pos] == b'#' {
            match bytes[pos..].iter().position(|b| *b == b'\n') {
                Some(n) => pos += n + 1,
                None => break,
            }
            continue;
        }
        let line_start = pos;
        let mut raw = Vec::new();
        let mut terminated = false;
        while pos < bytes.len() {
            match bytes[pos] {
                b'\\' if pos + 1 < bytes.len() => {
                    raw.push(bytes[pos + 1]);
                    pos += 2;
                }
                b'\n' => {
                    pos += 1;
                    terminated = true;
                    break;
                }
                b => {
                    raw.push(b);
                    pos += 1;
                }
            }
        }
        if raw.is_empty() {
            continue;
        }
        let text = String::from_utf8_lossy(&raw).into_owned();
        match text.split_once('=') {
            Some((name, value)) if terminated => {
                env.vars.push((name.to_string(), value.to_string()));
            }
            Some(_) => env.problems.push(format!(
                "line at byte {line_start} has no newline: GRUB ignores it"
            )),
            None => env.problems.push(format!(
                "line at byte {line_start} has no `=`: GRUB ignores it"
            )),
        }
    }
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(body: &str) -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        out.extend_from_slice(body.as_bytes());
        out.resize(BLOCK_SIZE, b'#');
        out
    }

    #[test]
    fn reads_vars_and_skips_comment_lines() {
        let env = parse(&block("# WARNING: Do not edit\nsaved_entry=a=b\nx=1\n")).unwrap();
        assert_eq!(env.get("saved_entry"), Some("a=b"));
        assert_eq!(env.get("x"), Some("1"));
        assert!(env.problems.is_empty());
    }

    #[test]
    fn escapes_keep_backslash_and_newline() {
        let env = parse(&block("k=a\\\\b\\\nc\n")).unwrap();
        assert_eq!(env.get("k"), Some("a\\b\nc"));
    }

    #[test]
    fn wrong_signature_is_invalid() {
        assert!(parse(b"saved_entry=0\n").is_err());
        assert!(parse(b"").is_err());
    }

    #[test]
    fn wrong_size_is_reported_but_read() {
        let mut bytes = block("saved_entry=1\n");
        bytes.push(b'#');
        let env = parse(&bytes).unwrap();
        assert_eq!(env.get("saved_entry"), Some("1"));
        assert_eq!(env.problems.len(), 1);
        assert!(env.problems[0].contains("1025 bytes"));
    }

    #[test]
    fn truncated_line_and_trailing_backslash_do_not_panic() {
        let mut bytes = SIGNATURE.to_vec();
        bytes.extend_from_slice(b"a=1\nb=2\\");
        let env = parse(&bytes).unwrap();
        assert_eq!(env.get("a"), Some("1"));
        assert_eq!(env.get("b"), None);
    }
}
