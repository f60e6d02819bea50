//! Arbitrary bytes as the volume holding /boot: the superblock reader behind the
//! free-space and journal facts, and the listings sorted into initrds/leftovers.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    bootvet::probe::fuzz_support::fuzz_host_state(data);
});
