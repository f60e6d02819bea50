//! Report: what people and programs see. Renders syntax errors like a compiler
//! (`file:line:col`, the source line, a caret), syntax trees, and JSON documents.
//! Reads nothing from disk; it is handed the bytes it quotes.

pub mod check;
pub mod color;
pub mod devices;
pub mod entries;
pub mod fleet;
pub mod links;
pub mod loader;
pub mod prometheus;
pub mod syntax;
pub mod wrap;
