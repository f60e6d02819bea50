//! The progress line a long run draws on stderr while it reads (initrds to their
//! end, `--deep`'s raw sector reads over gigabytes): a bar, the bytes, the file.
//! Only on a terminal: piped or redirected, under `--quiet`, or with
//! `TERM=dumb`, nothing is drawn, so logs and hooks see the same bytes as before.
//! A run shorter than [`DELAY`] draws nothing either; the line is erased before
//! the verdict prints, so it never mixes with it.

use std::io::{IsTerminal, Write};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::probe::progress::{self, Snapshot};

/// No line for a run that ends before this.
const DELAY: Duration = Duration::from_millis(400);
const TICK: Duration = Duration::from_millis(100);
const BAR: usize = 24;

/// Draws until dropped; dropping erases the line.
pub struct ProgressLine {
    stop: Option<Sender<()>>,
    drawer: Option<JoinHandle<()>>,
}

impl ProgressLine {
    /// A drawer when stderr is a terminal that can erase a line and `quiet`
    /// is off; else one that draws nothing.
    pub fn start(quiet: bool) -> Self {
        let Some(width) = (!quiet).then(stderr_width).flatten() else {
            return ProgressLine {
                stop: None,
                drawer: None,
            };
        };
        let (stop, stopped) = mpsc::channel::<()>();
        let drawer = std::thread::spawn(move || {
            if !matches!(stopped.recv_timeout(DELAY), Err(RecvTimeoutError::Timeout)) {
                return;
            }
            let mut drawn = false;
            loop {
                let line = render(&progress::snapshot(), width);
                let mut err = std::io::stderr().lock();
                let _ = match &line {
                    Some(line) => write!(err, "\r\x1b[K{line}"),
                    None if drawn => write!(err, "\r\x1b[K"),
                    None => Ok(()),
                };
                let _ = err.flush();
                drawn = line.is_some();
                drop(err);
                if !matches!(stopped.recv_timeout(TICK), Err(RecvTimeoutError::Timeout)) {
                    break;
                }
            }
            if drawn {
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r\x1b[K");
                let _ = err.flush();
            }
        });
        ProgressLine {
            stop: Some(stop),
            drawer: Some(drawer),
        }
    }
}

impl Drop for ProgressLine {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(drawer) = self.drawer.take() {
            let _ = drawer.join();
        }
    }
}

/// The columns of stderr when it is a terminal that understands "erase line".
fn stderr_width() -> Option<usize> {
    if std::env::var("TERM").is_ok_and(|t| t == "dumb") || !std::io::stderr().is_terminal() {
        return None;
    }
    // A terminal that does not say its size: the classic 80 columns.
    Some(crate::report::wrap::terminal_columns(libc::STDERR_FILENO).unwrap_or(80))
}

/// `reading sectors raw [=========>      ]  312/1024 MiB  initrd.img-6.1.0-13`,
/// cut to `width - 1` columns (the last column would wrap on some terminals).
fn render(seen: &Snapshot, width: usize) -> Option<String> {
    if seen.step.is_empty() || seen.total == 0 {
        return None;
    }
    let done = seen.done.min(seen.total);
    let filled = (done as u128 * BAR as u128 / seen.total as u128) as usize;
    let bar: String = (0..BAR)
        .map(|i| match i.cmp(&filled) {
            std::cmp::Ordering::Less => '=',
            std::cmp::Ordering::Equal => '>',
            std::cmp::Ordering::Greater => ' ',
        })
        .collect();
    let name = seen.file.rsplit('/').next().unwrap_or_default();
    let line = format!(
        "{} [{bar}] {}/{} {}",
        seen.step,
        mib(done),
        mib_unit(seen.total),
        printable(name),
    );
    Some(line.chars().take(width.saturating_sub(1)).collect())
}

fn mib(bytes: u64) -> String {
    format!("{:.0}", bytes as f64 / f64::from(1 << 20))
}

fn mib_unit(bytes: u64) -> String {
    format!("{} MiB", mib(bytes))
}

/// A file name as the terminal may show it: a control byte in a name read from
/// a disk would move the cursor or change the colours.
fn printable(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(done: u64, total: u64, file: &str) -> Snapshot {
        Snapshot {
            step: "reading",
            file: file.into(),
            done,
            total,
        }
    }

    #[test]
    fn the_line_shows_the_step_the_share_read_and_the_file() {
        let line = render(
            &seen(3 << 20, 12 << 20, "/boot/initrd.img-6.1.0-13-amd64"),
            100,
        );
        assert_eq!(
            line.as_deref(),
            Some("reading [======>                 ] 3/12 MiB initrd.img-6.1.0-13-amd64")
        );
        let done = render(&seen(13 << 20, 12 << 20, "/x"), 100).unwrap_or_default();
        assert!(
            done.contains("[========================] 12/12 MiB"),
            "{done}"
        );
    }

    #[test]
    fn nothing_is_drawn_outside_a_step_and_the_line_fits_and_stays_printable() {
        assert_eq!(render(&Snapshot::default(), 80), None);
        assert_eq!(render(&seen(0, 0, "/x"), 80), None);
        let line = render(&seen(1, 2, "/boot/\u{1b}[2Jinitrd"), 30).unwrap_or_default();
        assert_eq!(line.chars().count(), 29);
        assert!(!line.contains('\u{1b}'), "{line:?}");
    }
}
