// Run: cargo +nightly fuzz run tabs (see README.md, "Fuzzing"). Arbitrary bytes
// as /etc/fstab and /etc/crypttab: the fields, escapes, device names, and what
// the checks make of each line (waits, timeouts, systemd unit names).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    bootvet::probe::fuzz_support::fuzz_tabs(data);
});
