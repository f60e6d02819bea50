//! The progress line of a long run (issue #18): drawn on stderr when it is a
//! terminal, never when piped or under `--quiet`, and erased before the
//! verdict. The run is made long the way it is in the field, by a slow disk:
//! a real scenario image served by a FUSE view that answers each read late.
//! The terminal is a real pseudo-terminal, util-linux's `script`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

mod support;

#[path = "support/fuse_view.rs"]
mod fuse_view;

const ERASE: &str = "\r\x1b[K";

fn scenarios() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| support::build_scenarios("scenarios-progress", &["initrd-outlier"]))
}

/// The image behind a view whose every read waits `delay`, mounted until dropped.
struct SlowDisk {
    dir: tempfile::TempDir,
    _session: fuser::BackgroundSession,
}

impl SlowDisk {
    fn mount(image: &Path, delay: Duration) -> SlowDisk {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = std::fs::File::open(image).expect("scenario image");
        let size = file.metadata().expect("metadata").len();
        let view = fuse_view::ImageView {
            image: file,
            size,
            bad: 0..0,
            delay,
        };
        let session = fuser::spawn_mount2(
            view,
            dir.path(),
            &[
                fuser::MountOption::RO,
                fuser::MountOption::FSName("bootvet-slow".into()),
            ],
        )
        .expect("FUSE mount");
        SlowDisk {
            dir,
            _session: session,
        }
    }

    fn image(&self) -> String {
        self.dir.path().join("disk.img").display().to_string()
    }
}

/// What a terminal shows of `bootvet ARGS` (stdout and stderr, both the pty),
/// and its exit status. Standard input is empty, as under CI.
fn on_a_terminal(args: &[&str]) -> (i32, String) {
    let command = std::iter::once(env!("CARGO_BIN_EXE_bootvet"))
        .chain(args.iter().copied())
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let out = Command::new("script")
        .args(["--quiet", "--return", "--command", &command, "/dev/null"])
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .output()
        .expect("run script (util-linux)");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn a_slow_deep_check_shows_its_reads_on_a_terminal_and_nowhere_else() {
    if !support::privileged("needs root and /dev/fuse") {
        return;
    }
    let source = scenarios().join("initrd-outlier.img");
    let disk = SlowDisk::mount(&source, Duration::from_millis(15));
    let image = disk.image();
    let args = ["check", "--deep", "--image", image.as_str()];

    let (status, screen) = on_a_terminal(&args);
    assert_eq!(status, 0, "{screen}");
    // Both long steps drew their bar over the kernels' and initrds' 4 MiB,
    // naming the 3 MiB initrd while it was read.
    for step in ["reading [", "reading sectors raw ["] {
        assert!(screen.contains(step), "no `{step}` line:\n{screen:?}");
    }
    assert!(
        screen.contains("/4 MiB initrd.img-6.11.0-rc1+"),
        "{screen:?}"
    );
    // The last line drawn was erased before the verdict printed.
    let verdict = screen.find("bootvet check:").expect("the verdict");
    let last_bar = screen.rfind(" MiB initrd.img").expect("a bar");
    assert!(last_bar < verdict, "{screen:?}");
    assert!(screen[last_bar..verdict].contains(ERASE), "{screen:?}");
    assert!(!screen[verdict..].contains(" MiB initrd.img-6.11.0-rc1+\r"));

    let (quiet_status, quiet) = on_a_terminal(&[&args[..], &["--quiet"]].concat());
    assert_eq!(quiet_status, 0, "{quiet}");
    assert!(!quiet.contains("reading"), "--quiet drew: {quiet:?}");

    // Piped, as in a hook or a log: the same verdict, no line.
    let piped = support::bootvet_output(&args);
    assert_eq!(piped.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(!stderr.contains("reading"), "{stderr:?}");
    assert!(!stderr.contains('\x1b'), "{stderr:?}");
}
