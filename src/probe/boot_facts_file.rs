//! The file `bootvet check --dump-facts` writes and `--facts` replays: everything
//! the checks read about a machine (`BootFacts`), plus the text of each config
//! file the menu read, so findings can quote their lines elsewhere. Lets a person
//! capture a machine that will not boot and have it checked on another, and lets
//! tests replay real machines. Reads and writes only the file it is given.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ProbeError;
use super::facts::Source;
use super::gather::{BOOT_FACTS_SCHEMA, BootFacts};

pub const CHECK_FACTS_SCHEMA: &str = "bootvet.check-facts/1";

/// A machine's facts are a few hundred KiB; anything much larger is not ours.
const MAX_FILE_BYTES: u64 = 64 << 20;

#[derive(Serialize, Deserialize)]
struct FactsFile {
    schema: String,
    /// The bootvet that gathered them, for whoever reads a bug report.
    gathered_by: String,
    facts: BootFacts,
    /// `facts.menu.files[i]`'s text (bytes that are not UTF-8 become U+FFFD).
    config_texts: Vec<String>,
}

pub fn dump(facts: &BootFacts, path: &Path) -> Result<(), ProbeError> {
    let file = FactsFile {
        schema: CHECK_FACTS_SCHEMA.to_string(),
        gathered_by: format!("bootvet {}", env!("CARGO_PKG_VERSION")),
        facts: facts.clone(),
        config_texts: facts
            .menu
            .files
            .iter()
            .map(|f| String::from_utf8_lossy(&f.bytes).into_owned())
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&file).map_err(|e| bad(path, e.to_string()))?;
    text.push('\n');
    std::fs::write(path, text).map_err(|e| ProbeError::io(path, e))
}

/// Reads a facts file back; its disks then say they are a replay of `path`.
pub fn load(path: &Path) -> Result<BootFacts, ProbeError> {
    let len = std::fs::metadata(path)
        .map_err(|e| ProbeError::io(path, e))?
        .len();
    if len > MAX_FILE_BYTES {
        return Err(bad(
            path,
            format!("{len} bytes is more than any facts file"),
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| ProbeError::io(path, e))?;
    // The schema first, so an old or foreign file gets a clear word rather than
    // serde's complaint about the first field it does not know.
    #[derive(Deserialize)]
    struct Head {
        schema: Option<String>,
    }
    let head: Head = serde_json::from_str(&text).map_err(|e| bad(path, e.to_string()))?;
    if head.schema.as_deref() != Some(CHECK_FACTS_SCHEMA) {
        return Err(bad(
            path,
            format!(
                "schema is {:?}, `check --facts` reads {CHECK_FACTS_SCHEMA:?} (written by `check --dump-facts`)",
                head.schema.unwrap_or_default()
            ),
        ));
    }
    let file: FactsFile = serde_json::from_str(&text).map_err(|e| bad(path, e.to_string()))?;
    let mut facts = file.facts;
    if facts.schema != BOOT_FACTS_SCHEMA {
        return Err(bad(
            path,
            format!(
                "facts schema is {:?}, this bootvet reads {BOOT_FACTS_SCHEMA:?}",
                facts.schema
            ),
        ));
    }
    if file.config_texts.len() != facts.menu.files.len() {
        return Err(bad(
            path,
            format!(
                "{} config texts for {} config files",
                file.config_texts.len(),
                facts.menu.files.len()
            ),
        ));
    }
    for (config, text) in facts.menu.files.iter_mut().zip(file.config_texts) {
        config.bytes = text.into_bytes();
    }
    let captured_from = match std::mem::replace(&mut facts.disks.source, Source::Images) {
        Source::Replay { captured_from, .. } => captured_from,
        other => Box::new(other),
    };
    facts.disks.source = Source::Replay {
        file: path.display().to_string(),
        captured_from,
    };
    Ok(facts)
}

fn bad(path: &Path, message: String) -> ProbeError {
    ProbeError::Facts {
        path: path.display().to_string(),
        message,
    }
}
