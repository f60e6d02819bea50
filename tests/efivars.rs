//! UEFI variable stores on real bytes: Debian's OVMF `VARS` files (package `ovmf`)
//! against virt-firmware's reading of them (PyPI `virt-firmware`, the independent
//! oracle), stores with boot entries written by virt-firmware
//! (`fixtures/efivars/boot-entries.py`), the edk2 record states, an efivarfs copy,
//! and the fuzz bodies over random, mutated and large inputs.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use bootvet::facts::firmware::VarsKind;
use bootvet::inspect::efivars::boot::{BootManager, Node, PartSignature};
use bootvet::inspect::efivars::{
    self, GLOBAL, Guid, IMAGE_SECURITY_DATABASE, VarStore, fuzz, parse_store,
};
use bootvet::probe::efivars as probe;
use support::{Rng, fuzz_iterations, require};

const OVMF: &str = "/usr/share/OVMF";

fn tmp(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("efivars")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn ovmf(name: &str) -> Option<Vec<u8>> {
    let path = Path::new(OVMF).join(name);
    require(path.exists(), &format!("{} (package ovmf)", path.display()))
        .then(|| std::fs::read(&path).unwrap())
}

fn have_virt_firmware() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import virt.firmware.varstore.edk2"])
        .status()
        .is_ok_and(|s| s.success());
    require(ok, "python3 virt-firmware (pip install virt-firmware)")
}

/// virt-firmware's JSON dump of a store: (name, guid, attributes, data hex).
fn oracle(path: &Path) -> BTreeSet<(String, String, u32, String)> {
    let json = path.with_extension("json");
    let out = Command::new("virt-fw-vars")
        .arg("-i")
        .arg(path)
        .arg("--output-json")
        .arg(&json)
        .output()
        .expect("virt-fw-vars");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    v["variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["name"].as_str().unwrap().to_string(),
                x["guid"].as_str().unwrap().to_string(),
                x["attr"].as_u64().unwrap() as u32,
                x["data"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn ours(store: &VarStore) -> BTreeSet<(String, String, u32, String)> {
    store
        .vars
        .variables
        .iter()
        .map(|v| {
            let hex: String = v.data.iter().map(|b| format!("{b:02x}")).collect();
            (v.name.clone(), v.guid.to_string(), v.attributes, hex)
        })
        .collect()
}

const STORES: &[&str] = &[
    "OVMF_VARS_4M.fd",
    "OVMF_VARS_4M.ms.fd",
    "OVMF_VARS_4M.snakeoil.fd",
    "OVMF_VARS.fd",
    "OVMF_VARS.ms.fd",
];

#[test]
fn debian_ovmf_stores_read_as_virt_firmware_reads_them() {
    if !have_virt_firmware() {
        return;
    }
    for name in STORES {
        let Some(bytes) = ovmf(name) else { return };
        let store = parse_store(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            store.vars.faults.is_empty(),
            "{name}: {:?}",
            store.vars.faults
        );
        assert_eq!(
            ours(&store),
            oracle(&Path::new(OVMF).join(name)),
            "{name}: variables differ from virt-fw-vars"
        );
    }
}

#[test]
fn the_ms_store_holds_the_secure_boot_keys_and_its_deleted_history_is_skipped() {
    let Some(bytes) = ovmf("OVMF_VARS_4M.ms.fd") else {
        return;
    };
    let store = parse_store(&bytes).unwrap();
    assert_eq!(
        store.offset, 0x48,
        "after the 0x48-byte firmware volume header"
    );
    assert_eq!(store.size, 0x3ffb8);
    for (guid, name) in [
        (GLOBAL, "PK"),
        (GLOBAL, "KEK"),
        (IMAGE_SECURITY_DATABASE, "db"),
        (IMAGE_SECURITY_DATABASE, "dbx"),
    ] {
        let v = store
            .vars
            .get(guid, name)
            .unwrap_or_else(|| panic!("{name}"));
        assert_eq!(v.attributes, 0x27, "{name}: NV|BS|RT|time-authenticated");
        assert!(v.data.len() > 40, "{name} holds a signature list");
    }
    // Debian enrolled the keys by booting the firmware, which rewrote variables:
    // the old copies are deleted records that must not be listed.
    assert!(store.deleted > 0, "the ms store has deleted records");
    assert_eq!(
        store.records,
        store.deleted + store.vars.variables.len() + store.superseded
    );
    let names: Vec<&str> = store
        .vars
        .variables
        .iter()
        .map(|v| v.name.as_str())
        .collect();
    let unique: BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(
        names.len(),
        unique.len(),
        "one live record per name: {names:?}"
    );
}

/// Writes a store with virt-firmware's tooling; returns its path.
fn written_store(dir: &Path, base: &str, args: &[&str]) -> PathBuf {
    let out = dir.join("vars.fd");
    let status = Command::new("python3")
        .arg(support::repo().join("fixtures/efivars/boot-entries.py"))
        .arg(Path::new(OVMF).join(base))
        .arg(&out)
        .args(args)
        .output()
        .expect("python3");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    out
}

const ESP_UUID: &str = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b";

#[test]
fn boot_entries_written_by_virt_firmware_decode() {
    if !have_virt_firmware() || ovmf("OVMF_VARS_4M.fd").is_none() {
        return;
    }
    let dir = tmp("boot-entries");
    let path = written_store(
        &dir,
        "OVMF_VARS_4M.fd",
        &[
            "--entry",
            &format!("1,debian,1,{ESP_UUID},2048,0x100000,\\EFI\\debian\\shimx64.efi"),
            "--entry",
            "A,other,15,01234567-89ab-cdef-0123-456789abcdef,34,99,\\EFI\\other\\grubx64.efi",
            "--file-entry",
            "2,loose,\\EFI\\BOOT\\BOOTX64.EFI",
            "--inactive",
            "A",
            "--order",
            "A,1,2,7",
            "--next",
            "7",
        ],
    );
    let store = parse_store(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(ours(&store), oracle(&path));
    let m = BootManager::from_variables(&store.vars);
    assert_eq!(m.order, Some(vec![0xa, 1, 2, 7]));
    assert_eq!((m.next, m.current), (Some(7), None));
    let numbers: Vec<u16> = m.options.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, [1, 2, 0xa]);
    let debian = m.option(1).unwrap();
    assert_eq!(
        (debian.description.as_str(), debian.fault.as_deref()),
        ("debian", None)
    );
    assert!(debian.bootable());
    assert_eq!(
        debian.partition(),
        Some(&Node::HardDrive {
            partition: 1,
            start: 2048,
            size: 0x100000,
            signature: PartSignature::Gpt(Guid::parse(ESP_UUID).unwrap()),
        })
    );
    assert_eq!(debian.file().as_deref(), Some("\\EFI\\debian\\shimx64.efi"));
    assert!(
        !m.option(0xa).unwrap().bootable(),
        "--inactive cleared LOAD_OPTION_ACTIVE"
    );
    let loose = m.option(2).unwrap();
    assert_eq!(
        (loose.partition(), loose.file().as_deref()),
        (None, Some("\\EFI\\BOOT\\BOOTX64.EFI"))
    );
    assert!(m.option(7).is_none());
}

/// The offset of the record whose name is `name` (authenticated header: 60 bytes).
fn record_of(bytes: &[u8], name: &str) -> Vec<usize> {
    let mut needle: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
    needle.extend_from_slice(&[0, 0]);
    bytes
        .windows(needle.len())
        .enumerate()
        .filter(|(i, w)| {
            *w == needle.as_slice() && *i >= 60 && bytes[i - 60..i - 58] == [0xaa, 0x55]
        })
        .map(|(i, _)| i - 60)
        .collect()
}

#[test]
fn record_states_are_honoured_as_edk2_does() {
    if !have_virt_firmware() || ovmf("OVMF_VARS_4M.fd").is_none() {
        return;
    }
    let dir = tmp("states");
    // Two entries of equal size: renaming the second makes a twin of the first.
    let path = written_store(
        &dir,
        "OVMF_VARS_4M.fd",
        &[
            "--file-entry",
            "1,first,\\EFI\\a\\x.efi",
            "--file-entry",
            "2,secnd,\\EFI\\a\\x.efi",
            "--order",
            "1,2",
        ],
    );
    let bytes = std::fs::read(&path).unwrap();
    let at = record_of(&bytes, "Boot0001")[0];
    let with_state = |state: u8| {
        let mut b = bytes.clone();
        b[at + 2] = state;
        parse_store(&b).unwrap()
    };
    let has = |s: &VarStore, n: &str| s.vars.global(n).is_some();
    assert!(has(&with_state(0x3f), "Boot0001"));
    assert!(
        has(&with_state(0x3e), "Boot0001"),
        "in transition, no twin: still the variable"
    );
    for deleted in [0x3d, 0x3c, 0x7f] {
        let s = with_state(deleted);
        assert!(!has(&s, "Boot0001"), "state {deleted:#x}");
        assert!(
            has(&s, "Boot0002") && has(&s, "BootOrder"),
            "the walk goes on past it"
        );
    }
    // A twin: the in-transition copy loses to the VAR_ADDED one wherever it is.
    let mut b = bytes.clone();
    let second = record_of(&b, "Boot0002")[0];
    b[second + 60 + 14] = b'1'; // "Boot0002" → "Boot0001"
    b[at + 2] = 0x3e;
    let s = parse_store(&b).unwrap();
    let m = BootManager::from_variables(&s.vars);
    assert_eq!(m.option(1).unwrap().description, "secnd");
    assert_eq!(s.superseded, 1);
    // Erased size fields count as 0 (NameSizeOfVariable): the walk stays in step.
    let mut b = bytes.clone();
    b[at + 40..at + 44].copy_from_slice(&u32::MAX.to_le_bytes());
    let s = parse_store(&b).unwrap();
    assert!(
        !has(&s, "Boot0001") && !has(&s, "Boot0002"),
        "the next header is the name: edk2 stops there too"
    );
    assert!(
        s.vars.faults[0].contains("no record start"),
        "{:?}",
        s.vars.faults
    );
}

#[test]
fn an_efivarfs_copy_reads_like_the_store_it_came_from() {
    if !have_virt_firmware() {
        return;
    }
    let Some(bytes) = ovmf("OVMF_VARS_4M.ms.fd") else {
        return;
    };
    let dir = tmp("efivarfs");
    // Written from virt-firmware's JSON, not from our parser.
    let mut expected = BTreeSet::new();
    for (name, guid, attr, hex) in oracle(&Path::new(OVMF).join("OVMF_VARS_4M.ms.fd")) {
        let mut content = attr.to_le_bytes().to_vec();
        content.extend(
            (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()),
        );
        std::fs::write(dir.join(format!("{name}-{guid}")), content).unwrap();
        expected.insert((name, guid, attr, hex));
    }
    std::fs::write(dir.join("not-a-variable"), b"x").unwrap();
    std::fs::write(
        dir.join("Short-8be4df61-93ca-11d2-aa0d-00e098032b8c"),
        b"\x07",
    )
    .unwrap();
    std::os::unix::fs::symlink(
        "/etc/passwd",
        dir.join("Link-8be4df61-93ca-11d2-aa0d-00e098032b8c"),
    )
    .unwrap();
    let fact = probe::read(&dir);
    assert_eq!(fact.kind, VarsKind::Efivarfs);
    assert_eq!(fact.error, None);
    assert_eq!(
        fact.vars.faults.len(),
        1,
        "the 1-byte file: {:?}",
        fact.vars.faults
    );
    let store = parse_store(&bytes).unwrap();
    let got: BTreeSet<_> = ours(&VarStore {
        vars: fact.vars.clone(),
        ..store.clone()
    });
    assert_eq!(got, expected);
    assert_eq!(got, ours(&store));
    // And the file form goes through the same probe.
    let from_file = probe::read(&Path::new(OVMF).join("OVMF_VARS_4M.ms.fd"));
    assert_eq!((from_file.kind, from_file.error), (VarsKind::Store, None));
    assert_eq!(from_file.vars, store.vars);
    let missing = probe::read(Path::new("/nonexistent/vars.fd"));
    assert!(missing.error.unwrap().contains("cannot read"));
}

#[test]
fn files_that_are_not_stores_say_why() {
    assert!(matches!(
        parse_store(b""),
        Err(efivars::store::StoreError::NotAStore)
    ));
    assert!(parse_store(&[0u8; 4096]).is_err());
    let Some(code) = ovmf("OVMF_CODE_4M.fd") else {
        return;
    };
    assert!(
        parse_store(&code).is_err(),
        "the code volume holds no variable store"
    );
    let Some(mut vars) = ovmf("OVMF_VARS_4M.fd") else {
        return;
    };
    vars[0x48 + 21] = 0xff; // store state no longer healthy
    let e = parse_store(&vars).unwrap_err().to_string();
    assert!(e.contains("not formatted and healthy"), "{e}");
}

// ---------------------------------------------------------------- fuzz bodies

fn mutate(rng: &mut Rng, seed: &[u8], hot: &[usize]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + rng.below(6) {
        let len = v.len().max(1);
        let i = if !hot.is_empty() && rng.below(2) == 0 {
            hot[rng.below(hot.len())].min(len - 1)
        } else {
            rng.below(len)
        };
        match rng.below(4) {
            0 if !v.is_empty() => v[i] ^= 1 << rng.below(8),
            1 if !v.is_empty() => v[i] = [0, 0xff, 0x3e, 0x3d, 0x7f][rng.below(5)],
            2 => v.truncate(rng.below(v.len() + 1)),
            _ => {
                let n = [u32::MAX, 0, 1, 0x8000_0000, 0x40000][rng.below(5)];
                for (k, b) in n.to_le_bytes().iter().enumerate() {
                    if let Some(x) = v.get_mut(i + k) {
                        *x = *b;
                    }
                }
            }
        }
    }
    v
}

#[test]
fn fuzz_stores_and_load_options_on_random_and_mutated_inputs() {
    let Some(ms) = ovmf("OVMF_VARS.ms.fd") else {
        return;
    };
    // Header length, store size/format/state, the first records' state and sizes.
    let hot = [
        0x20,
        0x30,
        0x48 + 16,
        0x48 + 20,
        0x48 + 21,
        0x64 + 2,
        0x64 + 36,
        0x64 + 40,
    ];
    let options: Vec<Vec<u8>> = parse_store(&ms)
        .unwrap()
        .vars
        .variables
        .iter()
        .filter(|v| v.name.starts_with("Boot"))
        .map(|v| v.data.clone())
        .collect();
    assert!(!options.is_empty());
    let mut rng = Rng::new(0x5eed_efa2_0000_0001);
    let started = std::time::Instant::now();
    for i in 0..fuzz_iterations() {
        match i % 4 {
            0 => {
                let noise: Vec<u8> = (0..rng.below(4096)).map(|_| rng.next_u64() as u8).collect();
                fuzz::efivars(&noise);
                fuzz::store(&noise);
                fuzz::load_option(&noise);
                fuzz::efivarfs(&noise);
            }
            1 => fuzz::store(&mutate(&mut rng, &ms, &hot)),
            _ => fuzz::load_option(&mutate(&mut rng, &options[i % options.len()], &[4, 5, 6])),
        }
    }
    eprintln!("{} inputs in {:?}", fuzz_iterations(), started.elapsed());
}

/// A 64 MiB store of the smallest records, and one whose records all claim 4 GiB:
/// the walk is linear and stops at the bytes given.
#[test]
fn large_stores_are_walked_in_linear_time() {
    let Some(base) = ovmf("OVMF_VARS_4M.fd") else {
        return;
    };
    let size = 64usize << 20;
    let mut big = base[..0x64].to_vec();
    big[0x20..0x28].copy_from_slice(&(size as u64).to_le_bytes());
    big[0x48 + 16..0x48 + 20].copy_from_slice(&((size - 0x48) as u32).to_le_bytes());
    let mut record = vec![0u8; 64];
    record[..2].copy_from_slice(&0x55aau16.to_le_bytes());
    record[2] = 0x3f;
    record[36..40].copy_from_slice(&4u32.to_le_bytes()); // "A\0"
    record[44..60].copy_from_slice(&GLOBAL.0);
    record[60..62].copy_from_slice(&[b'A', 0]);
    while big.len() + 64 <= size {
        big.extend_from_slice(&record);
    }
    let started = std::time::Instant::now();
    let s = parse_store(&big).unwrap();
    assert_eq!(s.records, (size - 0x64) / 64);
    assert_eq!(s.vars.variables.len(), 1, "one name, many duplicates");
    let mut liar = big.clone();
    for r in (0x64..liar.len() - 64).step_by(64) {
        liar[r + 40..r + 44].copy_from_slice(&u32::MAX.wrapping_sub(1).to_le_bytes());
    }
    let s = parse_store(&liar).unwrap();
    assert_eq!(s.records, 1);
    assert!(
        s.vars
            .faults
            .iter()
            .any(|f| f.contains("past the store's end")),
        "{:?}",
        s.vars.faults
    );
    fuzz::store(&big);
    let took = started.elapsed();
    assert!(took < std::time::Duration::from_secs(20), "took {took:?}");
    eprintln!("64 MiB stores in {took:?}");
}
