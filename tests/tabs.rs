//! The `tabs` fuzz target's body (`fuzz/fuzz_targets/tabs.rs`,
//! `probe::fuzz_support::fuzz_tabs`: /etc/fstab and /etc/crypttab read and
//! judged as BV4206–BV4208 read them) over seeded mutations of real tables,
//! random bytes, and large inputs. `BOOTVET_FUZZ_SEED` /
//! `BOOTVET_FUZZ_ITERATIONS` for a longer campaign.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use bootvet::probe::fuzz_support::fuzz_tabs;
use support::Rng;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The fstab the QEMU suite's systemd root boots with (fixtures/boot/systemd.sh,
/// run here by bash as build.sh runs it), the crypttab lines of its scenarios and
/// of fixtures/scenarios, and this machine's own tables when it has them.
fn seeds() -> Vec<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let out = Command::new("bash")
        .arg("-c")
        .arg(
            r#"set -e; . "$1/fixtures/boot/systemd.sh"; rootdir=$2; mkdir -p "$rootdir/etc"
               ROOT_UUID=7d0cf1b2-55aa-4e2b-9c1d-0a1b2c3d4e5f BOOT_UUID=3f9c1a52-8d5e-4c61-9a3b-2b7e5f1d0c44
               systemd_fstab "$SYSTEMD_STALE_ESP_UUID" umask=0077,nofail"#,
        )
        .arg("seeds")
        .arg(repo())
        .arg(root)
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "systemd.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fstab = std::fs::read(root.join("etc/fstab")).unwrap();
    assert!(fstab.windows(9).any(|w| w == b"/boot/efi"));
    let mut seeds = vec![
        fstab,
        b"cryptdata UUID=0d1c5e7a-4b2f-4e11-9d3a-5c6b7a8e9f10 none luks,discard\n".to_vec(),
        b"cryptswap PARTUUID=0d8a9f0e-1111-4222-8333-4444555566661 /dev/urandom swap,cipher=aes-xts-plain64,size=256\n\
          /dev/mapper/cryptswap none swap sw,x-systemd.device-timeout=1min30s 0 0\n\
          /swapfile none swap sw 0 0\n\
          LABEL=\"my disk\" /mnt/my\\040disk ext4 defaults,nofail,x-systemd.device-timeout=0 0 2\n\
          server:/export /srv nfs _netdev 0 0\n\
          tmpfs /tmp tmpfs defaults,nosuid 0 0\n"
            .to_vec(),
    ];
    for host in ["/etc/fstab", "/etc/crypttab"] {
        if let Ok(b) = std::fs::read(host) {
            seeds.push(b);
        }
    }
    seeds
}

fn iterations() -> usize {
    std::env::var("BOOTVET_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000)
}

/// Bytes that mean something to the parsers: separators, escapes, tags,
/// options with values.
const DICTIONARY: &[&[u8]] = &[
    b" ",
    b"\t",
    b"\n",
    b"#",
    b"\\",
    b"\\040",
    b"\\0",
    b"\\777",
    b"UUID=",
    b"LABEL=",
    b"PARTUUID=",
    b"PARTLABEL=",
    b"/dev/disk/by-uuid/",
    b"/dev/mapper/",
    b"\"",
    b",",
    b"=",
    b"nofail",
    b"noauto",
    b"x-systemd.device-timeout=",
    b"x-systemd.automount",
    b"infinity",
    b"18446744073709551616",
    b"swap",
    b"\xff",
    b"\xe2\x80\xa6",
];

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(data.len() + 1);
        match rng.below(4) {
            0 if !data.is_empty() => {
                let at = at.min(data.len() - 1);
                data[at] = rng.next_u64() as u8;
            }
            1 => {
                let word = DICTIONARY[rng.below(DICTIONARY.len())];
                data.splice(at..at, word.iter().copied());
            }
            2 if !data.is_empty() => {
                let end = (at + rng.below(16)).min(data.len());
                data.drain(at.min(end)..end);
            }
            _ => {
                // A line of the seed repeated elsewhere.
                let from = rng.below(data.len() + 1);
                let end = (from + rng.below(80)).min(data.len());
                let piece = data[from..end].to_vec();
                data.splice(at..at, piece);
            }
        }
    }
    data
}

#[test]
fn fuzz_tabs_on_mutated_and_random_inputs() {
    let seeds = seeds();
    for s in &seeds {
        fuzz_tabs(s);
    }
    let mut rng = Rng::new(
        std::env::var("BOOTVET_FUZZ_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0x5eed_f57a_b000_0017),
    );
    let started = Instant::now();
    for i in 0..iterations() {
        if i % 5 == 0 {
            let noise: Vec<u8> = (0..rng.below(2048)).map(|_| rng.next_u64() as u8).collect();
            fuzz_tabs(&noise);
        } else {
            let seed = &seeds[i % seeds.len()];
            fuzz_tabs(&mutate(&mut rng, seed));
        }
    }
    eprintln!("{} inputs in {:?}", iterations(), started.elapsed());
}

/// A table of a million bytes (what the reader takes at most) of long lines, of
/// short lines past the line cap, and of one field of escapes: linear time.
#[test]
fn large_tables_are_read_in_linear_time() {
    let started = Instant::now();
    let long_line = format!(
        "UUID={} /{} ext4 {} 0 2\n",
        "a".repeat(300_000),
        "b/".repeat(100_000),
        "nofail,".repeat(50_000)
    );
    fuzz_tabs(long_line.as_bytes());
    let many = "UUID=x /x ext4 defaults 0 1\n".repeat(40_000);
    fuzz_tabs(many.as_bytes());
    let escapes = "\\040".repeat(250_000);
    fuzz_tabs(escapes.as_bytes());
    let took = started.elapsed();
    assert!(took < Duration::from_secs(30), "took {took:?}");
    eprintln!("large tables in {took:?}");
}
