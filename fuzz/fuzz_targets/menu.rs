//! grub.cfg bytes → parse → evaluate (`bootvet::menu::fuzz_evaluate`): no panic,
//! bounded time and memory. The same function runs in CI as
//! `tests/entries.rs::fuzz_parse_and_evaluate_never_panics`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    bootvet::menu::fuzz_evaluate(data);
});
