//! Every JSON document bootvet prints has a JSON Schema under `schemas/`
//! (`bootvet.X/N` → `schemas/bootvet.X-N.schema.json`), and real outputs from
//! the scenario images (fixtures/scenarios/build.sh: sgdisk, mke2fs, mkfs.vfat)
//! validate against it: check (a verdict, and exit 2's document), entries,
//! devices, --dump-facts, parse and inspect.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod support;

const SCENARIOS: &[&str] = &[
    "healthy",
    "kernel-missing",
    "bls-fedora-broken",
    "multiboot-windows-missing",
    "btrfs-subvol-gone",
];

fn images() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| support::build_scenarios("schemas", SCENARIOS))
}

fn image(name: &str) -> String {
    images().join(format!("{name}.img")).display().to_string()
}

fn schema_path(schema: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(format!("{}.schema.json", schema.replace('/', "-")))
}

/// Validates `doc` against the schema its `schema` key names; panics with
/// every error and where it is.
fn validate(doc: &serde_json::Value, what: &str) {
    let name = doc["schema"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: no `schema` key"));
    let path = schema_path(name);
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let validator = jsonschema::validator_for(&schema)
        .unwrap_or_else(|e| panic!("{} is not a valid schema: {e}", path.display()));
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match {}:\n{}",
        path.display(),
        errors.join("\n")
    );
}

fn json_of(args: &[&str]) -> (i32, serde_json::Value) {
    let (code, out, err) = support::bootvet(args);
    let doc = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("bootvet {args:?}: {e}\n{out}\n{err}"));
    (code, doc)
}

#[test]
fn every_schema_constant_has_a_schema_file() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut names = Vec::new();
    let mut stack = vec![src];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for line in text.lines().filter(|l| l.contains("_SCHEMA: &str = \"")) {
                    if let Some(name) = line.split('"').nth(1) {
                        names.push(name.to_string());
                    }
                }
            }
        }
    }
    assert!(names.len() >= 6, "{names:?}");
    for name in names {
        // boot-facts/1 is only ever inside check-facts/1, whose schema holds it.
        if name == "bootvet.boot-facts/1" {
            continue;
        }
        assert!(schema_path(&name).exists(), "no schema file for {name}");
    }
}

#[test]
fn check_documents_match_their_schema() {
    for name in SCENARIOS {
        let image = image(name);
        let (code, doc) = json_of(&["check", "--json", "--image", &image]);
        assert_ne!(code, 2, "{name}: {doc}");
        assert!(doc.get("next_boot").is_some(), "{name}: {doc}");
        validate(&doc, &format!("check --json on {name}"));
    }
    // A finding with a location, and one entry failing.
    let (_, doc) = json_of(&["check", "--json", "--image", &image("kernel-missing")]);
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f.get("location").is_some()),
        "{doc}"
    );
}

/// Exit 2 prints a document too: the error, `next_boot` null, empty lists.
#[test]
fn check_exit_2_prints_a_document_with_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothing.img").display().to_string();
    let (code, doc) = json_of(&["check", "--json", "--image", &missing]);
    assert_eq!(code, 2);
    assert_eq!(doc["exit_status"], 2, "{doc}");
    assert!(doc["next_boot"].is_null(), "{doc}");
    assert!(
        doc["error"]
            .as_str()
            .is_some_and(|e| e.contains("nothing.img")),
        "{doc}"
    );
    validate(&doc, "check --json exit 2");
    // A verdict document does not pass as the error one, nor the reverse.
    let mut wrong = doc.clone();
    wrong["exit_status"] = 0.into();
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path("bootvet.check/1")).unwrap())
            .unwrap();
    assert!(!jsonschema::is_valid(&schema, &wrong));
}

#[test]
fn entries_devices_and_facts_documents_match_their_schemas() {
    let dir = tempfile::tempdir().unwrap();
    for name in SCENARIOS {
        let image = image(name);
        let (_, doc) = json_of(&["entries", "--json", "--image", &image]);
        validate(&doc, &format!("entries --json on {name}"));
        let (_, doc) = json_of(&["devices", "--json", "--image", &image]);
        validate(&doc, &format!("devices --json on {name}"));
        let facts = dir.path().join(format!("{name}.facts.json"));
        let facts_arg = facts.display().to_string();
        let (code, _, err) =
            support::bootvet(&["check", "--image", &image, "--dump-facts", &facts_arg]);
        assert_ne!(code, 2, "{err}");
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&facts).unwrap()).unwrap();
        validate(&doc, &format!("--dump-facts on {name}"));
    }
}

#[test]
fn parse_and_inspect_documents_match_their_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("grub.cfg");
    std::fs::write(&cfg, "menuentry 'a' {\n  linux /vmlinuz\nif true; then\n").unwrap();
    let cfg = cfg.display().to_string();
    let (code, doc) = json_of(&["parse", "--json", &cfg]);
    assert_ne!(code, 0, "{doc}");
    assert!(!doc["files"][0]["errors"].as_array().unwrap().is_empty());
    validate(&doc, "parse --json");
    // inspect on a real gzip'd cpio (the kind of bytes an initrd is).
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("bin")).unwrap();
    std::fs::write(tree.join("init"), "#!/bin/sh\n").unwrap();
    let initrd = dir.path().join("initrd.img");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "cd '{}' && find . | cpio -o -H newc --quiet | gzip > '{}'",
            tree.display(),
            initrd.display()
        ))
        .status()
        .unwrap();
    assert!(status.success());
    let (_, doc) = json_of(&["inspect", "--json", &initrd.display().to_string()]);
    assert_eq!(doc["files"][0]["kind"], "initrd", "{doc}");
    validate(&doc, "inspect --json");
}

/// The firmware's boot entries in `--dump-facts` (issue 14): a variable store
/// with a GPT `HD()/File()` entry, a file-only entry and BootNext, written by
/// virt-firmware (fixtures/efivars/boot-entries.py) over Debian's OVMF store.
#[test]
fn dumped_boot_entries_match_the_facts_schema() {
    let ovmf = Path::new("/usr/share/OVMF/OVMF_VARS_4M.fd");
    if !support::require(ovmf.exists(), "OVMF_VARS_4M.fd (package ovmf)") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("vars.fd");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/efivars/boot-entries.py");
    let made = std::process::Command::new("python3")
        .arg(&script)
        .arg(ovmf)
        .arg(&store)
        .args([
            "--entry",
            r"1,debian,1,0d8a9f0e-1111-4222-8333-444455556666,2048,1048576,\EFI\debian\shimx64.efi",
            "--file-entry",
            r"2,loose,\EFI\BOOT\BOOTX64.EFI",
            "--order",
            "1,2",
            "--next",
            "2",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    if !support::require(made, "python3 virt-firmware (scripts/setup.sh)") {
        return;
    }
    let facts = dir.path().join("facts.json");
    let (code, _, err) = support::bootvet(&[
        "check",
        "--image",
        &image("healthy"),
        "--platform",
        "efi",
        "--efi-vars",
        &store.display().to_string(),
        "--dump-facts",
        &facts.display().to_string(),
    ]);
    assert_ne!(code, 2, "{err}");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&facts).unwrap()).unwrap();
    validate(&doc, "--dump-facts with --efi-vars");
    let boot = &doc["facts"]["firmware"]["boot"];
    assert_eq!(boot["order"], serde_json::json!([1, 2]), "{boot}");
    assert_eq!(boot["next"], 2, "{boot}");
    assert_eq!(
        boot["entries"][0]["path"][0]["node"], "hard_drive",
        "{boot}"
    );
    assert_eq!(
        boot["entries"][0]["text"],
        r"HD(1,GPT,0d8a9f0e-1111-4222-8333-444455556666,0x800,0x100000)/File(\EFI\debian\shimx64.efi)"
    );
    // The walk: BootNext names a file-only entry, looked for on every FAT filesystem.
    let attempts = &doc["facts"]["loader"]["firmware"];
    assert!(
        attempts.to_string().contains("BootNext") || attempts.to_string().contains("Boot0002"),
        "{attempts}"
    );
}

/// Issue 21: documents that carry the GRUB build and the places its rules
/// changed a result (the real CentOS 7 DVD config, under both builds).
#[test]
fn flavour_fields_match_their_schemas() {
    let config =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/flavours/centos7-dvd-efi.cfg");
    let config = config.display().to_string();
    let dir = tempfile::tempdir().unwrap();
    let boot_dir = dir.path().display().to_string();
    for flavour in ["redhat", "upstream"] {
        let common = [
            "--config",
            &config,
            "--boot-dir",
            &boot_dir,
            "--platform",
            "efi",
            "--grub-flavour",
            flavour,
        ];
        let (_, doc) = json_of(&[&["entries", "--json"][..], &common].concat());
        assert!(
            doc["flavour_effects"]
                .as_array()
                .is_some_and(|a| !a.is_empty()),
            "{doc}"
        );
        validate(&doc, &format!("entries --json --grub-flavour {flavour}"));
        let (_, doc) = json_of(&[&["check", "--json"][..], &common].concat());
        assert_eq!(doc["grub"]["chosen_by"], "flag", "{doc}");
        validate(&doc, &format!("check --json --grub-flavour {flavour}"));
    }
}

/// A btrfs root's subvolumes in `--dump-facts` (issue 17): read from the
/// filesystem gen.sh made (@ renamed to @old, @home the default), in the
/// schema's shape.
#[test]
fn btrfs_subvolumes_are_in_the_facts() {
    let dir = tempfile::tempdir().unwrap();
    let facts = dir.path().join("btrfs.facts.json");
    let facts_arg = facts.display().to_string();
    let image = image("btrfs-subvol-gone");
    let (code, _, err) =
        support::bootvet(&["check", "--image", &image, "--dump-facts", &facts_arg]);
    assert_eq!(code, 3, "{err}");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&facts).unwrap()).unwrap();
    validate(&doc, "--dump-facts on btrfs-subvol-gone");
    let btrfs = &doc["facts"]["roots"][0]["btrfs"];
    assert_eq!(btrfs["state"], "read", "{btrfs}");
    let paths: Vec<&str> = btrfs["subvolumes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert!(
        paths.contains(&"@old") && !paths.contains(&"@"),
        "{paths:?}"
    );
    let home = btrfs["subvolumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["path"] == "@home")
        .unwrap();
    assert_eq!(btrfs["default_id"], home["id"], "{btrfs}");
}
