#![no_main]
// Run: cargo +nightly fuzz run grub_image (see README.md, "Fuzzing"). The first byte
// picks the parser: BIOS chain on a disk, core.img, EFI image, modinfo.sh/normal.mod.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    bootvet::inspect::grub_image::fuzz::grub_image(data);
});
