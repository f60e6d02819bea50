//! The live sysfs walk (src/probe/sysfs_stack.rs) over what real guests showed:
//! fixtures/live-sysfs/*.sysfs.txt were printed by fixtures/live-sysfs/capture.sh
//! inside the QEMU suite's live-root-lvm and live-root-luks boots (Debian's
//! kernel and initramfs opened the LV and the LUKS2 mapping), copied from
//! target/tmp/boot-runs/SCENARIO-pc/sysfs.txt. Each is made into a
//! sysfs-shaped directory and walked from the devno mountinfo gave for `/`.
//!
//! live-root-lvm.facts.json is the facts bootvet dumped in that guest
//! (`check --dump-facts`, run live): replayed here, the root link is the walked
//! stack; with an md RAID1 layer put under the LV (LVM on md, the facts'
//! other parts as captured), the walk's layers reach BV4109 where the mapper
//! name alone says LVM only.

use std::path::Path;
use std::process::Command;

use bootvet::facts::stack::StackKind;
use bootvet::probe::sysfs_stack::{root_mount, walk};

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/live-sysfs")
        .join(name)
}

/// The capture as a directory: `PATH<TAB>VALUE` files, `slaves/NAME` entries
/// (empty files: the walk takes only their names); and the mountinfo text.
fn rebuild(capture: &str, dir: &Path) -> String {
    let mut mountinfo = String::new();
    for line in capture.lines() {
        let (path, value) = line.split_once('\t').expect("PATH<TAB>VALUE");
        if path == "mountinfo" {
            mountinfo.push_str(value);
            mountinfo.push('\n');
            continue;
        }
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, format!("{value}\n")).unwrap();
    }
    mountinfo
}

fn walk_capture(name: &str) -> bootvet::facts::stack::RootStack {
    let capture = std::fs::read_to_string(fixture(name)).expect("the capture");
    let dir = tempfile::tempdir().unwrap();
    let mountinfo = rebuild(&capture, dir.path());
    let (devno, fstype) = root_mount(&mountinfo).expect("mountinfo has /");
    assert_eq!(fstype.as_deref(), Some("ext4"));
    walk(dir.path(), &devno).expect("a device has /'s devno")
}

#[test]
fn lvm_root_captured_live_walks_to_its_partition() {
    let s = walk_capture("live-root-lvm.sysfs.txt");
    assert_eq!(s.top, "dm-0");
    assert_eq!(s.devno, "253:0");
    let names: Vec<&str> = s.devices.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["dm-0", "vda4"]);
    let top = &s.devices[0];
    assert_eq!(top.kind, StackKind::Lvm);
    assert_eq!(top.dm_name.as_deref(), Some("vgbootmatrix-root"));
    // lvm2: "LVM-" + the VG's and the LV's UUIDs, 32 characters each.
    let uuid = top.dm_uuid.as_deref().unwrap();
    assert!(uuid.starts_with("LVM-") && uuid.len() == 4 + 64, "{uuid}");
    assert_eq!(top.slaves, ["vda4"]);
    assert_eq!(s.devices[1].kind, StackKind::Partition);
    assert_eq!(s.devices[1].depth, 1);
    assert!(s.faults.is_empty(), "{:?}", s.faults);
}

#[test]
fn luks_root_captured_live_walks_to_its_partition() {
    let s = walk_capture("live-root-luks.sysfs.txt");
    let names: Vec<&str> = s.devices.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["dm-0", "vda4"]);
    let top = &s.devices[0];
    assert_eq!(top.kind, StackKind::DmCrypt);
    assert_eq!(top.detail.as_deref(), Some("LUKS2"));
    assert_eq!(top.dm_name.as_deref(), Some("cryptroot"));
    // cryptsetup: CRYPT-<type>-<LUKS UUID without dashes>-<name>; the UUID is
    // fixtures/boot/matrix.sh's LUKS_UUID.
    assert_eq!(
        top.dm_uuid.as_deref(),
        Some("CRYPT-LUKS2-5a1b2c3d4e5f4a6b8c7d9e0f1a2b3c4d-cryptroot")
    );
    assert_eq!(s.devices[1].kind, StackKind::Partition);
}

/// `bootvet check --facts FILE --json` on the facts `edit` leaves.
fn replay(edit: impl FnOnce(&mut serde_json::Value)) -> (i32, serde_json::Value) {
    let text = std::fs::read_to_string(fixture("live-root-lvm.facts.json")).unwrap();
    let mut facts: serde_json::Value = serde_json::from_str(&text).unwrap();
    edit(&mut facts);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("facts.json");
    std::fs::write(&file, facts.to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_bootvet"))
        .args(["check", "--json", "--facts"])
        .arg(&file)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).expect("a JSON report");
    (out.status.code().unwrap_or(-1), report)
}

fn root_link(report: &serde_json::Value) -> String {
    report["entries"][0]["links"]
        .as_array()
        .and_then(|l| l.iter().find(|l| l["link"] == "root"))
        .and_then(|l| l["detail"].as_str())
        .unwrap_or_default()
        .to_string()
}

fn codes(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["code"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn live_facts_replayed_name_the_walked_root() {
    let (exit, report) = replay(|_| {});
    assert_eq!(exit, 0, "{report}");
    assert_eq!(
        root_link(&report),
        "root=/dev/mapper/vgbootmatrix-root → / now: dm-0 vgbootmatrix-root (LVM) → vda4 ext4"
    );
}

#[test]
fn md_layer_seen_by_the_walk_needs_mdadm_the_mapper_name_does_not_say() {
    // LVM on md RAID1: the LV's slave is md127, whose slave is the partition.
    let lvm_on_md = |f: &mut serde_json::Value| {
        let devices = f["facts"]["root_stack"]["devices"].as_array_mut().unwrap();
        devices[0]["slaves"] = serde_json::json!(["md127"]);
        devices[1]["depth"] = serde_json::json!(2);
        devices.insert(
            1,
            serde_json::json!({"name": "md127", "depth": 1, "kind": "md",
                "detail": "raid1", "md_level": "raid1", "slaves": ["vda4"]}),
        );
    };
    let (exit, report) = replay(lvm_on_md);
    assert_eq!(exit, 3, "{report}");
    assert_eq!(codes(&report), ["BV4109"], "{report}");
    let evidence = report["findings"][0]["evidence"].to_string();
    assert!(
        evidence.contains("sysfs: md127 is md RAID, md/level raid1")
            && evidence.contains("the initrd holds no mdadm"),
        "{evidence}"
    );
    // The same facts without the walk: the mapper name says LVM, which the
    // initrd opens; nothing is said of md.
    let (exit, report) = replay(|f| {
        lvm_on_md(f);
        f["facts"].as_object_mut().unwrap().remove("root_stack");
    });
    assert_eq!(exit, 0, "{report}");
    assert!(codes(&report).is_empty(), "{report}");
    assert_eq!(
        root_link(&report),
        "root=/dev/mapper/vgbootmatrix-root inside LVM"
    );
}
