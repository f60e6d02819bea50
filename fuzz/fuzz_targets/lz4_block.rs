#![no_main]
// Run: cargo +nightly fuzz run lz4_block (see README.md, "Fuzzing").
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    bootvet::inspect::fuzz_support::lz4_block(data);
});
