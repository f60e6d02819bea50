//! Reads and writes the file `bootvet check --dump-facts` writes and `--facts`
//! replays (`facts::replay` holds its format). Reads and writes only the file
//! it is given.

use std::path::Path;

use super::ProbeError;
use crate::facts::{BootFacts, replay};

/// A machine's facts are a few hundred KiB; anything much larger is not ours.
const MAX_FILE_BYTES: u64 = 64 << 20;

pub fn dump(facts: &BootFacts, path: &Path) -> Result<(), ProbeError> {
    let text = replay::to_text(facts).map_err(|e| bad(path, e))?;
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
    replay::from_text(&text, &path.display().to_string()).map_err(|e| bad(path, e))
}

fn bad(path: &Path, message: String) -> ProbeError {
    ProbeError::Facts {
        path: path.display().to_string(),
        message,
    }
}
