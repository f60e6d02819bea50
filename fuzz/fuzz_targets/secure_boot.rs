#![no_main]
// Run: cargo +nightly fuzz run secure_boot. The first byte picks the body: an EFI
// binary (digests, signatures, .vendor_cert, .sbatlevel), or signature lists and
// SBAT level text.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        Some((b, rest)) if b & 1 == 0 => bootvet::inspect::secure_boot::fuzz::signed_image(rest),
        Some((_, rest)) => bootvet::inspect::secure_boot::fuzz::lists_and_levels(rest),
        None => {}
    }
});
