//! The command line: clap definitions and dispatch. Each subcommand lives in its
//! own file and returns an exit status; the status values are a public contract.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde::Serialize;

use crate::exit;
use crate::report::color::{self, ColorWhen};

/// `println!` that does not panic when stdout is a closed pipe (`bootvet explain
/// X | head`): what was not read is lost, the exit status stays the command's.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// The JSON envelope of the commands that read several files (`inspect`, `parse`):
/// a schema name, then one object per file as the command describes it.
#[derive(Serialize)]
struct FilesDocument<F> {
    schema: &'static str,
    files: Vec<F>,
}

mod check;
mod config;
mod devices;
mod entries;
mod explain;
mod fleet;
mod generate;
mod hook;
mod inspect;
mod parse;
mod progress;

/// `bootvet --version`: the package version, the commit and the build date
/// (build.rs).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("BOOTVET_COMMIT"),
    ", built ",
    env!("BOOTVET_BUILD_DATE"),
    ")"
);

#[derive(Debug, Parser)]
#[command(
    name = "bootvet",
    version = VERSION,
    about = "Tells you, before you reboot, whether each GRUB boot entry will really boot",
    after_help = exit::HELP
)]
pub struct Cli {
    /// When to colour the output (NO_COLOR is honoured with `auto`).
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto, global = true)]
    pub color: ColorWhen,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Follow every boot entry down the chain and say whether it will boot.
    // Boxed: its many options make it several times larger than the others.
    Check(Box<check::CheckArgs>),
    /// Explain a check: what it checks, why it breaks the boot, an example, the fix.
    Explain(explain::ExplainArgs),
    /// Check grub.cfg syntax like grub-script-check, reporting every error.
    Parse(parse::ParseArgs),
    /// Run grub.cfg as GRUB would and show the menu: entries, kernels, devices, default.
    Entries(entries::EntriesArgs),
    /// List disks, partitions, filesystems and GRUB device names, and the problems found.
    #[command(after_help = exit::DEVICES_HELP)]
    Devices(devices::DevicesArgs),
    /// Say what kernel images, initrds, kernel configs and modules are, and what is
    /// broken inside them.
    Inspect(inspect::InspectArgs),
    /// Install, remove or show the hooks that run `bootvet check` when kernels,
    /// initrds or grub.cfg change (Debian, Fedora, Arch) and the opt-in reboot guard.
    Hook(hook::HookArgs),
    /// Write the man pages, or shell completions (to stdout, or files with --out).
    Generate(generate::GenerateArgs),
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() {
                exit::TROUBLE
            } else {
                exit::OK
            });
        }
    };
    color::apply(cli.color);
    let status = match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Parse(args) => parse::run(&args),
        Command::Entries(args) => entries::run(&args),
        Command::Devices(args) => devices::run(&args),
        Command::Inspect(args) => inspect::run(&args),
        Command::Hook(args) => hook::run(&args),
        Command::Generate(args) => generate::run(&args),
    };
    ExitCode::from(status)
}
