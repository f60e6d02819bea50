#![no_main]
// Run: cargo +nightly fuzz run text_and_elf (see README.md, "Fuzzing").
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    bootvet::inspect::fuzz_support::text_and_elf(data);
});
