//! `bootvet explain CODE` and `bootvet explain --list`: the documentation of
//! every check, from the registry.

use clap::Args;
use colored::Colorize;

use crate::check::{CHECKS, lookup};
use crate::exit;

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A check code, e.g. BV4103.
    #[arg(value_name = "CODE", required_unless_present = "list")]
    pub code: Option<String>,

    /// List every check: code, severity, link, summary.
    #[arg(long)]
    pub list: bool,
}

pub fn run(args: &ExplainArgs) -> u8 {
    if args.list {
        let width = crate::report::wrap::width();
        for check in CHECKS {
            let line = format!(
                "{}  {:<7}  {:<6}  {}",
                check.code.bold(),
                check.severity.name(),
                check.link.name(),
                check.summary
            );
            match width {
                Some(w) => say!(
                    "{}",
                    crate::report::wrap::wrap(&line, w, crate::report::wrap::list_hang)
                ),
                None => say!("{line}"),
            }
        }
        return exit::OK;
    }
    let code = args.code.as_deref().unwrap_or_default();
    let Some(check) = lookup(code) else {
        eprintln!("bootvet: no check {code}; `bootvet explain --list` lists them");
        return exit::TROUBLE;
    };
    say!(
        "{} {} ({}, {} link)\n{}\n",
        check.code.bold(),
        check.name.bold(),
        check.severity.name(),
        check.link.name(),
        check.summary
    );
    for line in check.doc.lines() {
        match line.strip_prefix("## ") {
            Some(heading) => say!("{}", heading.bold().underline()),
            None => say!("{line}"),
        }
    }
    exit::OK
}
