//! The file `bootvet check --dump-facts` writes and `--facts` replays: everything
//! the checks read about a machine (`BootFacts`), plus the text of each config
//! file the menu read, so findings can quote their lines elsewhere (schema
//! `bootvet.check-facts/1`). Lets a person capture a machine that will not boot
//! and have it checked on another, and lets tests replay real machines. Text in,
//! text out: `probe::boot_facts_file` reads and writes the file.

use serde::{Deserialize, Serialize};

use super::storage::Source;
use super::{BOOT_FACTS_SCHEMA, BootFacts};

pub const CHECK_FACTS_SCHEMA: &str = "bootvet.check-facts/1";

#[derive(Serialize, Deserialize)]
struct FactsFile {
    schema: String,
    /// The bootvet that gathered them, for whoever reads a bug report.
    gathered_by: String,
    /// The machine's host name, when the facts were gathered live (a disk image
    /// is not the machine bootvet runs on): `check --facts DIR` names machines
    /// by it. Absent in files written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hostname: Option<String>,
    facts: BootFacts,
    /// `facts.menu.files[i]`'s text (bytes that are not UTF-8 become U+FFFD).
    config_texts: Vec<String>,
}

/// A facts file read back.
pub struct Replayed {
    pub facts: BootFacts,
    pub hostname: Option<String>,
}

/// The facts file's text (pretty JSON, with a final newline); `hostname`: the
/// machine's, when the facts are the live system's.
pub fn to_text(facts: &BootFacts, hostname: Option<&str>) -> Result<String, String> {
    let file = FactsFile {
        schema: CHECK_FACTS_SCHEMA.to_string(),
        gathered_by: format!("bootvet {}", env!("CARGO_PKG_VERSION")),
        hostname: hostname.map(str::to_string),
        facts: facts.clone(),
        config_texts: facts
            .menu
            .files
            .iter()
            .map(|f| String::from_utf8_lossy(&f.bytes).into_owned())
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&file).map_err(|e| e.to_string())?;
    text.push('\n');
    Ok(text)
}

/// Reads a facts file's text back; its storage then says it is a replay of
/// `file` (the name the facts were read from).
pub fn from_text(text: &str, file: &str) -> Result<BootFacts, String> {
    read(text, file).map(|r| r.facts)
}

/// `from_text`, with the host name the file carries.
pub fn read(text: &str, file: &str) -> Result<Replayed, String> {
    // The schema first, so an old or foreign file gets a clear word rather than
    // serde's complaint about the first field it does not know.
    #[derive(Deserialize)]
    struct Head {
        schema: Option<String>,
    }
    let head: Head = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if head.schema.as_deref() != Some(CHECK_FACTS_SCHEMA) {
        return Err(format!(
            "schema is {:?}, `check --facts` reads {CHECK_FACTS_SCHEMA:?} (written by `check --dump-facts`)",
            head.schema.unwrap_or_default()
        ));
    }
    let parsed: FactsFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut facts = parsed.facts;
    if facts.schema != BOOT_FACTS_SCHEMA {
        return Err(format!(
            "facts schema is {:?}, this bootvet reads {BOOT_FACTS_SCHEMA:?}",
            facts.schema
        ));
    }
    if parsed.config_texts.len() != facts.menu.files.len() {
        return Err(format!(
            "{} config texts for {} config files",
            parsed.config_texts.len(),
            facts.menu.files.len()
        ));
    }
    for (config, text) in facts.menu.files.iter_mut().zip(parsed.config_texts) {
        config.bytes = text.into_bytes();
    }
    let source = std::mem::replace(&mut facts.storage.source, Source::Images);
    facts.storage.source = replayed(source, file);
    Ok(Replayed {
        facts,
        hostname: parsed.hostname,
    })
}

/// The source of facts read back from `file`. A replay of a replay still says
/// where the facts were first gathered.
pub fn replayed(source: Source, file: &str) -> Source {
    let captured_from = match source {
        Source::Replay { captured_from, .. } => captured_from,
        other => Box::new(other),
    };
    Source::Replay {
        file: file.to_string(),
        captured_from,
    }
}
