//! Arbitrary bytes as an ext2/3/4 or FAT filesystem: list, stat, read.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    bootvet::probe::fuzz_support::fuzz_filesystems(data);
});
