//! Probe: the only module that touches disks and files. It turns what is on the
//! machine into plain facts and file sources for the pure modules.
//!
//! Nothing here opens anything for writing.

pub mod boot_dir;
pub mod live_files;
