#![no_main]
// Run: cargo +nightly fuzz run btrfs (see README.md, "Fuzzing"). Arbitrary bytes
// as a btrfs device: superblock, chunk map, root tree, subvolume paths.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    bootvet::inspect::btrfs::fuzz::btrfs(data);
});
