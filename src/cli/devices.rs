//! `bootvet devices`: disks, partition tables, filesystems, GRUB names and mount
//! points (like `lsblk -f` plus `grub-probe`), and the problems found — from the
//! live system, from raw images, or replayed from a facts file.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::exit;
use crate::facts::storage::Storage;
use crate::probe;
use crate::probe::plan::{self, Target};
use crate::report::devices::render_devices;

#[derive(Debug, Args)]
pub struct DevicesArgs {
    /// Raw disk image to read instead of the live system; repeat in the firmware's
    /// disk order (the first is hd0).
    #[arg(long = "image", value_name = "FILE")]
    pub images: Vec<PathBuf>,

    /// Print the facts as JSON (schema `bootvet.facts/1`).
    #[arg(long)]
    pub json: bool,

    /// Also write the facts as JSON to FILE, to replay them elsewhere with --facts.
    #[arg(long, value_name = "FILE")]
    pub dump_facts: Option<PathBuf>,

    /// Read the facts from FILE (written by --dump-facts) instead of probing.
    #[arg(long, value_name = "FILE", conflicts_with = "images")]
    pub facts: Option<PathBuf>,
}

/// Gathers facts as the flags ask: replayed, or from images or the live
/// system the way `check` and `entries` read them.
pub fn gather(images: &[PathBuf], facts: Option<&PathBuf>) -> Result<Storage, probe::ProbeError> {
    match facts {
        Some(path) => probe::load_facts(path),
        None if !images.is_empty() => plan::storage(&Target::Images(images.to_vec())),
        None => plan::storage(&Target::Live),
    }
}

pub fn run(args: &DevicesArgs) -> u8 {
    let facts = match gather(&args.images, args.facts.as_ref()) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("bootvet: {e}");
            return exit::TROUBLE;
        }
    };
    if let Some(path) = &args.dump_facts
        && let Err(e) = probe::dump_facts(&facts, path)
    {
        eprintln!("bootvet: {e}");
        return exit::TROUBLE;
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = if args.json {
        serde_json::to_writer_pretty(&mut out, &facts)
            .map_err(std::io::Error::other)
            .and_then(|_| writeln!(out))
    } else {
        let text = render_devices(&facts);
        match crate::report::wrap::width() {
            // The partition table's rows stay rows.
            Some(width) => write!(
                out,
                "{}",
                crate::report::wrap::wrap(&text, width, |line| {
                    let row = line.starts_with("  (hd") || line.starts_with("  GRUB ");
                    if row {
                        None
                    } else {
                        crate::report::wrap::report_hang(line)
                    }
                })
            ),
            None => write!(out, "{text}"),
        }
    };
    if let Err(e) = written
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("bootvet: cannot write output: {e}");
        return exit::TROUBLE;
    }
    if facts.problems.iter().any(|p| !p.kind.is_informational()) {
        exit::FOUND
    } else {
        exit::OK
    }
}
