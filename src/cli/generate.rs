//! `bootvet generate man --out DIR`, `bootvet generate completions SHELL` (to
//! stdout) or `completions --out DIR`: the man pages and shell completions, generated from the same clap definitions as `--help`, so
//! packages ship documentation that cannot drift from the binary.

use std::path::PathBuf;

use clap::{Args, CommandFactory, Subcommand};
use clap_complete::Shell;

use super::Cli;
use crate::exit;

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(subcommand)]
    pub what: Generated,
}

#[derive(Debug, Subcommand)]
pub enum Generated {
    /// bootvet.1 and one page per subcommand (bootvet-check.1, …).
    Man {
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Completion scripts: one shell's to stdout (`bootvet generate completions
    /// bash > /etc/bash_completion.d/bootvet`), or with --out DIR these shells'
    /// files [default: bash, zsh, fish].
    Completions {
        #[arg(value_enum)]
        shells: Vec<Shell>,
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

pub fn run(args: &GenerateArgs) -> u8 {
    let result = match &args.what {
        Generated::Man { out } => std::fs::create_dir_all(out)
            .and_then(|()| clap_mangen::generate_to(Cli::command(), out))
            .map_err(|e| format!("cannot write man pages to {}: {e}", out.display())),
        Generated::Completions { shells, out: None } => match shells.as_slice() {
            [shell] => {
                clap_complete::generate(
                    *shell,
                    &mut Cli::command(),
                    "bootvet",
                    &mut std::io::stdout(),
                );
                Ok(())
            }
            _ => Err(
                "name one shell to print its completions to stdout, or pass --out DIR".to_string(),
            ),
        },
        Generated::Completions {
            shells,
            out: Some(out),
        } => {
            let shells = if shells.is_empty() {
                vec![Shell::Bash, Shell::Zsh, Shell::Fish]
            } else {
                shells.clone()
            };
            std::fs::create_dir_all(out)
                .and_then(|()| {
                    for shell in shells {
                        clap_complete::generate_to(shell, &mut Cli::command(), "bootvet", out)?;
                    }
                    Ok(())
                })
                .map_err(|e| format!("cannot write completions to {}: {e}", out.display()))
        }
    };
    match result {
        Ok(()) => exit::OK,
        Err(message) => {
            eprintln!("bootvet: {message}");
            exit::TROUBLE
        }
    }
}
