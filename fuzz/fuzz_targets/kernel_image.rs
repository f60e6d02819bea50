#![no_main]
// Run: cargo +nightly fuzz run kernel_image (see README.md, "Fuzzing").
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    bootvet::inspect::fuzz_support::kernel_image(data);
});
