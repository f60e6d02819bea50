use std::process::ExitCode;

fn main() -> ExitCode {
    bootvet::cli::main()
}
