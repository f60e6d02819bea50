//! The disks a run has opened, by path: the first reader of a disk opens it
//! (read-only), every later reader of the same run shares that handle. One run's
//! readers (partition tables, filesystems, free space, the modules scan) then see
//! one file, not whatever a path names by the time each of them gets to it, and a
//! disk is opened once instead of once per reader. `plan` starts a run with
//! [`begin_run`]; handles of an earlier run in the same process are dropped then.
//!
//! The raw sector reads of `raw_read` open block devices apart, with `O_DIRECT`,
//! so that the page cache cannot hide an unreadable sector; that is a different
//! handle on purpose.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use super::ProbeError;
use super::image::DiskBytes;

static OPENED: Mutex<Option<HashMap<PathBuf, DiskBytes>>> = Mutex::new(None);

fn table() -> MutexGuard<'static, Option<HashMap<PathBuf, DiskBytes>>> {
    // A reader that panicked while holding the lock left the table consistent
    // (an insert either happened or not), so a poisoned lock is still usable.
    OPENED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Forgets the handles of an earlier run (closing them once their last reader
/// is done).
pub fn begin_run() {
    *table() = Some(HashMap::new());
}

/// The run's handle on `path`, opened on first use.
pub fn disk(path: &Path) -> Result<DiskBytes, ProbeError> {
    if let Some(disk) = table().as_ref().and_then(|t| t.get(path)) {
        return Ok(disk.clone());
    }
    // Opened outside the lock: two readers racing for a new disk may both open
    // it, and the second insert wins; both handles are read-only views of it.
    let disk = DiskBytes::open(path)?;
    table()
        .get_or_insert_with(HashMap::new)
        .insert(path.to_path_buf(), disk.clone());
    Ok(disk)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_run_shares_one_handle_and_the_next_run_opens_afresh() {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(&[7u8; 4096]).expect("write");
        let path = file.path().to_path_buf();
        begin_run();
        let first = disk(&path).expect("open");
        // Replaced under the same name: the run keeps reading what it opened.
        let replacement = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(replacement.path(), [9u8; 512]).expect("write");
        std::fs::rename(replacement.path(), &path).expect("rename");
        let again = disk(&path).expect("reopen");
        assert_eq!(again.size(), 4096);
        assert_eq!(first.size(), again.size());
        begin_run();
        assert_eq!(disk(&path).expect("new run").size(), 512);
    }
}
