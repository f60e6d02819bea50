//! Exit statuses of every subcommand, and the `--help` text that documents
//! them: public API (README.md), defined once here. `check::verdict` decides
//! which one a check run ends with; `cli` returns them.

/// Everything checked passes. `check`: every entry passes (warnings allowed;
/// `--strict` makes them fail).
pub const OK: u8 = 0;
/// Problems found. `parse`: syntax errors; `devices`: a damaged table, overlaps…;
/// `check`: some entry will fail, but the entry that boots next passes.
pub const FOUND: u8 = 1;
/// bootvet could not do its job: bad usage, unreadable config, image or file.
pub const TROUBLE: u8 = 2;
/// `check` only: the entry that boots next will fail: do not reboot.
pub const NEXT_BOOT_FAILS: u8 = 3;

/// `bootvet --help` and the subcommands without a help text of their own.
pub const HELP: &str = "\
Exit status:
  0  no problem found
  1  problems found (for `parse`: syntax errors)
  2  bootvet could not do its job (bad usage, unreadable file)";

pub const CHECK_HELP: &str = "\
Exit status of check:
  0  every entry passes (warnings allowed; --strict makes them fail)
  1  some entry will fail, but the entry that boots next passes
  2  bootvet could not do its job (bad usage, unreadable config or image)
  3  the entry that boots next will fail: do not reboot";

pub const DEVICES_HELP: &str = "\
Exit status:
  0  no problem found (notes, such as a GPT without BIOS boot partition, do not count)
  1  problems found: a damaged GPT copy, a partition past the end, overlaps, a
     shared UUID, a filesystem larger than its partition, ...
  2  bootvet could not read its input (missing image, qcow2/vmdk, bad facts file)";
