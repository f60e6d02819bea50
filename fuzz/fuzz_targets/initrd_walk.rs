#![no_main]
// Run: cargo +nightly fuzz run initrd_walk (see README.md, "Fuzzing").
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    bootvet::inspect::fuzz_support::initrd_walk(data);
});
