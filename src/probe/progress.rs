//! How far a run's long reads have got: the kernels and initrds read to their
//! end, and `--deep`'s raw sector reads. The readers only add to counters;
//! whoever draws a progress line polls [`snapshot`], so a run costs the same
//! whether or not anyone watches, and nothing here writes to a terminal.
//!
//! One run at a time per process, as with the disk handles (`handles`): a step
//! begun replaces the one before.

use std::io::{Read, Seek, SeekFrom};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

static DONE: AtomicU64 = AtomicU64::new(0);
static TOTAL: AtomicU64 = AtomicU64::new(0);
static STEP: Mutex<Step> = Mutex::new(Step {
    name: "",
    file: String::new(),
});

struct Step {
    name: &'static str,
    /// The file read last begun (two workers read two files; one is named).
    file: String,
}

/// What a progress line shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Empty before the first long read, and after [`finish`].
    pub step: &'static str,
    pub file: String,
    pub done: u64,
    pub total: u64,
}

/// A step whose reads add up to `total` bytes.
pub fn begin_step(name: &'static str, total: u64) {
    if let Ok(mut step) = STEP.lock() {
        step.name = name;
        step.file.clear();
    }
    DONE.store(0, Ordering::Relaxed);
    TOTAL.store(total, Ordering::Relaxed);
}

/// The long reads are over: nothing more to show.
pub fn finish() {
    begin_step("", 0);
}

/// Names the file being read now.
pub fn reading(path: &str) {
    if let Ok(mut step) = STEP.lock() {
        step.file.clear();
        step.file.push_str(path);
    }
}

/// `bytes` more of the step's total were read.
pub fn advance(bytes: u64) {
    DONE.fetch_add(bytes, Ordering::Relaxed);
}

pub fn snapshot() -> Snapshot {
    let (step, file) = match STEP.lock() {
        Ok(step) => (step.name, step.file.clone()),
        Err(_) => ("", String::new()),
    };
    Snapshot {
        step,
        file,
        done: DONE.load(Ordering::Relaxed),
        total: TOTAL.load(Ordering::Relaxed),
    }
}

/// A file's stream that counts how far into the file its reads have reached.
/// Parsers seek back (a kernel's header, then its payload): only bytes past the
/// farthest point reached count, so a file adds at most its size.
pub struct Counted<R> {
    inner: R,
    position: u64,
    reached: u64,
}

impl<R> Counted<R> {
    pub fn new(inner: R, path: &str) -> Self {
        reading(path);
        Counted {
            inner,
            position: 0,
            reached: 0,
        }
    }

    fn moved_to(&mut self, position: u64) {
        self.position = position;
        if position > self.reached {
            advance(position - self.reached);
            self.reached = position;
        }
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.moved_to(self.position.saturating_add(n as u64));
        Ok(n)
    }
}

impl<R: Seek> Seek for Counted<R> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        // A seek past what was read skips bytes without reading them: the
        // position moves, the count waits for a read.
        let position = self.inner.seek(to)?;
        self.position = position;
        Ok(position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    // The counters are process-wide: one test touches them.
    #[test]
    fn a_stream_counts_each_byte_once_however_it_seeks() {
        begin_step("reading", 100);
        let mut stream = Counted::new(Cursor::new(vec![7u8; 100]), "/boot/initrd.img");
        let mut buf = [0u8; 40];
        stream.read_exact(&mut buf).ok();
        stream.seek(SeekFrom::Start(0)).ok();
        stream.read_exact(&mut buf).ok();
        assert_eq!(snapshot().done, 40);
        stream.seek(SeekFrom::Start(90)).ok();
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).ok();
        let seen = snapshot();
        assert_eq!(
            (seen.step, seen.file.as_str()),
            ("reading", "/boot/initrd.img")
        );
        // 0..40, then 90..100: the 50 bytes skipped are counted when the end is reached.
        assert_eq!((seen.done, seen.total), (100, 100));
        finish();
        assert_eq!(snapshot(), Snapshot::default());
    }
}
