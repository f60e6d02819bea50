//! Check: reads the boot facts and says, link by link, whether each entry will
//! boot. Every problem is a `Finding` with a stable code from the registry
//! (`registry.rs`); each check lives in its own file under `rules/`. Checks are
//! pure functions of the facts: they never touch a disk, which is what makes
//! them testable from text and replayable from a captured machine.

pub mod finding;
pub mod registry;
mod rules;
pub mod verdict;

pub use finding::{EntryRef, Finding, Severity};
pub use registry::{CHECKS, CheckInfo, Link, lookup};
pub use verdict::{EntryVerdict, LinkState, Report, Verdict, evaluate};

use crate::facts::BootFacts;

/// What every check is handed.
pub struct Context<'a> {
    pub facts: &'a BootFacts,
}

/// Runs every registered check, in code order.
pub fn run(facts: &BootFacts) -> Vec<Finding> {
    let cx = Context { facts };
    let mut findings = Vec::new();
    for check in registry::CHECKS {
        (check.run)(&cx, &mut findings);
    }
    findings
}
