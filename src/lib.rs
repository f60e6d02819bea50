//! bootvet: tells, before a reboot, whether each GRUB boot entry will really boot.
//!
//! The chain (see ARCHITECTURE.md): `script` (grub.cfg → AST) → `menu` (evaluation
//! → boot entries) → `probe` (disks and files → facts) → `inspect` (bytes → what
//! they are) → `check` (facts → findings) → `report` (findings → text, JSON).

pub mod atomic;
pub mod check;
pub mod cli;
pub mod exit;
pub mod facts;
#[doc(hidden)]
pub mod fuzzing;
pub mod hooks;
pub mod inspect;
pub mod menu;
pub mod probe;
pub mod report;
pub mod script;
pub mod source;
pub mod units;
