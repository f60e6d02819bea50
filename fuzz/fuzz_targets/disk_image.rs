//! Arbitrary bytes as a disk image: partition tables (GPT, MBR) and libblkid.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    bootvet::probe::fuzz_support::fuzz_disk_image(data);
});
