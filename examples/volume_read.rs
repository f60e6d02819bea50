//! Reads one file from a volume of raw disk images, the way the menu and the
//! checks will: resolve the volume, stat it (extents), stream its bytes. Used by
//! `benches/devices.sh` to measure speed and peak memory on large files.
//!
//! usage: volume_read VOLUME PATH IMAGE...   (VOLUME: (hd0,gpt2), UUID=…, LABEL=…)

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use bootvet::facts::volumes::Resolution;
use bootvet::probe::fs::open_volume;
use bootvet::probe::resolve::{Query, resolve};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [volume, path, images @ ..] = args.as_slice() else {
        eprintln!("usage: volume_read VOLUME PATH IMAGE...");
        return ExitCode::from(2);
    };
    let images: Vec<PathBuf> = images.iter().map(PathBuf::from).collect();
    let start = Instant::now();
    let facts = match bootvet::probe::probe_images(&images) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let probed = start.elapsed();
    let query = match Query::parse(volume) {
        Ok(q) => q,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let Resolution::One(v) = resolve(&facts, &query) else {
        eprintln!("{volume} does not name exactly one volume");
        return ExitCode::from(1);
    };
    let files = match open_volume(&facts, &v) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    let t = Instant::now();
    let stat = match files.stat(path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    let stat_time = t.elapsed();
    let t = Instant::now();
    let mut reader = match files.open(path) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    let mut buf = vec![0u8; 1 << 20];
    let (mut total, mut sum) = (0u64, 0u64);
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                total += n as u64;
                sum = buf[..n]
                    .iter()
                    .fold(sum, |s, &b| s.wrapping_mul(31).wrapping_add(u64::from(b)));
            }
            Err(e) => {
                eprintln!("read error after {total} bytes: {e}");
                return ExitCode::from(1);
            }
        }
    }
    let read_time = t.elapsed();
    println!(
        "probe {:.1} ms; stat {:.1} ms ({} extents); read {} bytes in {:.1} ms ({:.0} MB/s); checksum {sum:016x}",
        probed.as_secs_f64() * 1e3,
        stat_time.as_secs_f64() * 1e3,
        stat.extents.len(),
        total,
        read_time.as_secs_f64() * 1e3,
        total as f64 / read_time.as_secs_f64().max(1e-9) / 1e6
    );
    ExitCode::SUCCESS
}
