//! Inspect: what the bytes of a kernel image, an initrd, a kernel config or a kernel
//! module are. Pure functions over bytes or over a `Read`(+`Seek`) stream the caller
//! opened: this module never opens a file, never writes, and keeps memory bounded
//! whatever the input claims. Hostile input gives a report with a fault, never a panic.
//!
//! - `kernel`: x86 bzImage setup header, PE/EFI stub, UKI sections, truncation, version.
//! - `initrd` (+ `cpio`, `lz`, `lz4_block`): segments, compressions, entries, modules, first fault
//!   with the kernel's own message; `compression`: the methods and their magics.
//! - `kconfig`: `/boot/config-*` and IKCONFIG; the root-path driver table.
//! - `modules`: `modules.dep`, `modules.builtin`, `.ko` ELF (debug info, vermagic).
//! - `grub_image`: GRUB's boot.img, diskboot blocklist, core image, module area, EFI
//!   images (GRUB, shim, other), `.sbat`, `modinfo.sh`/`command.lst`, export symbols.
//!
//! What checks call: `kernel::inspect` → `KernelImage` (format, release, truncation,
//! loaders); `initrd::inspect`/`inspect_with` → `InitrdReport` (segments, modules,
//! `first_fault_for(|c| config.supports(c))`, `has_module`, `has_modules_for`);
//! `kconfig::KernelConfig::parse`, `kconfig::provider` + `kconfig::root_need`;
//! `modules::inspect_ko`, `ModulesDep::parse(..).closure(..)`, `parse_builtin`.

pub mod btrfs;
pub mod compression;
pub mod cpio;
pub mod efivars;
pub mod fuzz_support;
pub mod grub_image;
pub mod initrd;
pub mod kconfig;
pub mod kernel;
mod lz;
mod lz4_block;
pub mod modules;
pub mod secure_boot;

pub use compression::Compression;
pub use initrd::{Depth, InitrdReport};
pub use kernel::KernelImage;
