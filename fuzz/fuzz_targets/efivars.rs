#![no_main]
// Run: cargo +nightly fuzz run efivars (see README.md, "Fuzzing"). The first byte
// picks the parser: a VARS.fd variable store, an EFI_LOAD_OPTION, an efivarfs file.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    bootvet::inspect::efivars::fuzz::efivars(data);
});
