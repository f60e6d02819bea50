//! Reads and writes the file `bootvet check --dump-facts` writes and `--facts`
//! replays (`facts::replay` holds its format). Reads and writes only the file
//! it is given.

use std::path::Path;

use super::ProbeError;
use crate::facts::storage::Source;
use crate::facts::{BootFacts, replay};

/// A machine's facts are a few hundred KiB; anything much larger is not ours.
const MAX_FILE_BYTES: u64 = 64 << 20;

pub fn dump(facts: &BootFacts, path: &Path) -> Result<(), ProbeError> {
    // Only the live system is this host; an image's machine has its own name.
    let hostname = match facts.storage.source {
        Source::Live { .. } => hostname(),
        _ => None,
    };
    let text = replay::to_text(facts, hostname.as_deref()).map_err(|e| bad(path, e))?;
    std::fs::write(path, text).map_err(|e| ProbeError::io(path, e))
}

/// The kernel's host name (uname's nodename), for naming the machine in a fleet.
fn hostname() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// Reads a facts file back; its disks then say they are a replay of `path`.
pub fn load(path: &Path) -> Result<BootFacts, ProbeError> {
    load_replayed(path).map(|r| r.facts)
}

/// `load`, with the host name the file carries (`check --facts DIR`).
pub fn load_replayed(path: &Path) -> Result<replay::Replayed, ProbeError> {
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
    replay::read(&text, &path.display().to_string()).map_err(|e| bad(path, e))
}

fn bad(path: &Path, message: String) -> ProbeError {
    ProbeError::Facts {
        path: path.display().to_string(),
        message,
    }
}
