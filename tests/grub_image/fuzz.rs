//! The `grub_image` fuzz bodies over seeded random and mutated real images.

use bootvet::inspect::grub_image::fuzz;

use super::{GRUB_LIB, efi_image, embedded_disk, pc_core};
use crate::support::{Rng, fuzz_iterations};

// ---------------------------------------------------------------- fuzz bodies in CI

/// Mutations aimed at this format: bit flips, special bytes, truncation, inserted
/// junk, and big little-endian numbers written over size fields.
fn mutate(rng: &mut Rng, seed: &[u8], hot: &[usize]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + rng.below(6) {
        let pick = |rng: &mut Rng, len: usize| {
            if !hot.is_empty() && rng.below(2) == 0 {
                hot[rng.below(hot.len())].min(len.saturating_sub(1))
            } else {
                rng.below(len)
            }
        };
        match rng.below(5) {
            0 if !v.is_empty() => {
                let i = pick(rng, v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 if !v.is_empty() => {
                let i = pick(rng, v.len());
                v[i] = [0, 0xff, 0x80, 0x7f][rng.below(4)];
            }
            2 => v.truncate(rng.below(v.len() + 1)),
            3 if !v.is_empty() => {
                let i = pick(rng, v.len());
                let n = [u32::MAX, 0, 8, 0x8000_0000, 12][rng.below(5)];
                for (k, b) in n.to_le_bytes().iter().enumerate() {
                    if let Some(x) = v.get_mut(i + k) {
                        *x = *b;
                    }
                }
            }
            _ => {
                let i = rng.below(v.len() + 1);
                let junk: Vec<u8> = (0..rng.below(64)).map(|_| rng.next_u64() as u8).collect();
                v.splice(i..i, junk);
            }
        }
    }
    v
}

#[test]
fn fuzz_bios_chain_and_core_on_mutated_images() {
    let disk = embedded_disk(4);
    let core = pc_core().clone();
    // Header fields, the blocklist, the payload's start.
    let hot_disk = [
        0x5c,
        0x60,
        0x64,
        4 * 512 + 0x1f4,
        4 * 512 + 0x1fc,
        4 * 512 + 0x1fe,
        5 * 512 + 8,
        5 * 512 + 0xc,
    ];
    let hot_core = [0x1f4, 0x1fc, 0x208, 0x20c, 0x210, 0x214];
    let mut rng = Rng::new(0x5eed_6b1d_0000_0001);
    let started = std::time::Instant::now();
    for i in 0..fuzz_iterations() {
        if i % 10 == 0 {
            let noise: Vec<u8> = (0..rng.below(4096)).map(|_| rng.next_u64() as u8).collect();
            fuzz::bios_disk(&noise);
            fuzz::core_image(&noise);
        } else if i % 2 == 0 {
            fuzz::bios_disk(&mutate(&mut rng, &disk, &hot_disk));
        } else {
            let mutated = mutate(&mut rng, &core, &hot_core);
            fuzz::core_image(&mutated);
            // The mutated core as the installed core.img, against the real one.
            let mut pair = vec![128u8];
            pair.extend_from_slice(&core);
            pair.extend_from_slice(&mutated[..mutated.len().min(core.len())]);
            fuzz::installed_core(&pair);
        }
    }
    eprintln!("{} inputs in {:?}", fuzz_iterations(), started.elapsed());
}

#[test]
fn fuzz_efi_and_modinfo_on_mutated_images() {
    let mut seeds = vec![efi_image("fuzz-efi", "--disable-shim-lock", "part_gpt")];
    seeds.push(std::fs::read(format!("{GRUB_LIB}/i386-pc/modinfo.sh")).unwrap());
    seeds.push(std::fs::read(format!("{GRUB_LIB}/x86_64-efi/normal.mod")).unwrap());
    // PE header, section table, the mods header and first object.
    let hot = [
        0x3c, 0x84, 0x86, 0x94, 0x188, 0x18c, 0x1d000, 0x1d008, 0x1d010, 0x1d018, 0x1d01c,
    ];
    let mut rng = Rng::new(0x5eed_6b1d_0000_0002);
    for i in 0..fuzz_iterations() {
        let s = &seeds[i % seeds.len()];
        let input = mutate(&mut rng, s, if i % 3 == 0 { &hot } else { &[] });
        match i % 3 {
            0 => fuzz::efi_image(&input),
            _ => fuzz::modinfo(&input),
        }
        fuzz::grub_image(&input[..input.len().min(2048)]);
    }
}

/// The embedded early config (`load.cfg`) as the rescue parser runs it: grub-install's
/// text mutated, and noise.
#[test]
fn early_config_never_panics() {
    let seed = b"search.fs_uuid 3f9c1a52-8d5e-4c61-9a3b-2b7e5f1d0c44 root hd0,gpt3 \nset prefix=($root)'/grub'\ncryptomount -u 1234\nsearch --no-floppy --fs-uuid --set=root ABCD\n".to_vec();
    let mut rng = Rng::new(0x5eed_6b1d_0000_0003);
    for i in 0..fuzz_iterations() {
        let input = mutate(&mut rng, &seed, &[]);
        fuzz::early_config(&input);
        if i % 64 == 0 {
            fuzz::early_config(&seed.repeat(1 + i % 512));
        }
    }
}
