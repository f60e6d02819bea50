//! Script: GRUB's script language, from bytes to an owned syntax tree.
//!
//! Owns the pest grammar (`grammar/grub.pest`) and the AST. Does no IO and never
//! fails: `parse` returns the tree and every syntax error, recovering after each
//! error at the next line exactly as GRUB does when it reads a config.

pub mod ast;
mod error;
mod fast;
mod parse;
mod words;

pub use ast::*;
pub use error::SyntaxError;
pub use parse::{
    MAX_ERRORS, MAX_NESTING, SyntaxCheck, check, check_without_fast_path, fast_path_units, parse,
    parse_sequentially, parse_unwindowed, parse_without_fast_path,
};
