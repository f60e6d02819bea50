#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| bootvet::fuzzing::parse(data));
