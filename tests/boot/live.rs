//! The live-* scenarios (fixtures/boot/live.sh): bootvet ran inside the guest on
//! the machine itself (no --image, no --efi-vars) and its /sbin/init
//! (fixtures/boot/live-init.sh) printed, between `bootvet-live: begin/end NAME`
//! markers, the sysfs the walk reads, bootvet's exit status, its JSON report and
//! its facts (both base64). This reads them back and asserts what bootvet read
//! live: the root's dm stack from sysfs, the firmware's entries from efivarfs, the
//! Secure Boot state and keys from efivarfs, and a verdict equal to the boot's (it
//! booted: it is running).

use std::path::Path;

use serde_json::Value;

use super::results::Case;

/// What the guest printed.
pub struct LiveRun {
    pub exit: i64,
    pub report: Value,
    pub facts: Value,
    pub sysfs: String,
    pub stderr: String,
}

/// The serial log's lines, without the tty's carriage returns.
fn lines(serial: &str) -> Vec<&str> {
    serial.lines().map(|l| l.trim_end_matches('\r')).collect()
}

/// The lines between `bootvet-live: begin NAME` and `bootvet-live: end NAME`.
fn section<'a>(all: &[&'a str], name: &str) -> Option<Vec<&'a str>> {
    let begin = format!("bootvet-live: begin {name}");
    let end = format!("bootvet-live: end {name}");
    let start = all.iter().position(|l| l.trim() == begin)?;
    let stop = all[start..].iter().position(|l| l.trim() == end)? + start;
    Some(all[start + 1..stop].to_vec())
}

/// RFC 4648 base64 (busybox's `base64`, lines of 76), white space ignored.
fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let symbols: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'=')
        .collect();
    let mut out = Vec::with_capacity(symbols.len() * 3 / 4);
    for chunk in symbols.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            let v = value(c).ok_or_else(|| format!("not base64: {:?}", c as char))?;
            acc |= v << (18 - 6 * i);
        }
        let bytes = [(acc >> 16) as u8, (acc >> 8) as u8, acc as u8];
        let n = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return Err("a lone base64 symbol at the end".into()),
        };
        out.extend_from_slice(&bytes[..n]);
    }
    Ok(out)
}

pub fn parse(serial: &str) -> Result<LiveRun, String> {
    let all = lines(serial);
    let exit = all
        .iter()
        .find_map(|l| l.trim().strip_prefix("bootvet-live-exit: "))
        .ok_or("no `bootvet-live-exit:` line: bootvet did not run in the guest")?
        .trim()
        .parse::<i64>()
        .map_err(|e| format!("exit status: {e}"))?;
    let json = |name: &str| -> Result<Value, String> {
        let text = section(&all, name).ok_or(format!("no {name} section"))?;
        let bytes = base64_decode(&text.join("\n"))?;
        serde_json::from_slice(&bytes).map_err(|e| format!("{name}: {e}"))
    };
    let sysfs = section(&all, "sysfs")
        .ok_or("no sysfs section")?
        .iter()
        .filter_map(|l| l.strip_prefix("bootvet-sysfs: "))
        .collect::<Vec<_>>()
        .join("\n");
    let stderr = all
        .iter()
        .filter_map(|l| l.strip_prefix("bootvet-live-stderr: "))
        .collect::<Vec<_>>()
        .join("\n");
    Ok(LiveRun {
        exit,
        report: json("report")?,
        facts: json("facts")?,
        sysfs: sysfs + "\n",
        stderr,
    })
}

/// The assertions of a live-* boot; the run's outputs are saved in `work`
/// (report.json, facts.json, sysfs.txt: fixtures/live-sysfs/ holds copies).
pub fn assert_live(case: &Case, serial: &str, work: &Path) {
    let name = format!("{}-{}", case.scenario, case.platform);
    let run = parse(serial).unwrap_or_else(|e| panic!("{name}: {e}"));
    let _ = std::fs::write(work.join("report.json"), run.report.to_string());
    let _ = std::fs::write(work.join("facts.json"), run.facts.to_string());
    let _ = std::fs::write(work.join("sysfs.txt"), &run.sysfs);
    eprintln!(
        "{name}: live bootvet exit {}; stderr: {}",
        run.exit, run.stderr
    );
    let facts = &run.facts["facts"];
    // It booted (it is running): the entry that booted must be said to boot.
    assert!(
        run.exit == 0 || run.exit == 1,
        "{name}: bootvet live exited {}; report: {}",
        run.exit,
        run.report
    );
    assert_eq!(run.report["exit_status"].as_i64(), Some(run.exit), "{name}");
    let next = run.report["entries"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["boots_next"] == true))
        .unwrap_or_else(|| panic!("{name}: no entry boots next: {}", run.report));
    assert_eq!(next["verdict"], "boots", "{name}: {next}");
    assert_eq!(facts["disks"]["source"]["kind"], "live", "{name}");
    let root_link = next["links"]
        .as_array()
        .and_then(|l| l.iter().find(|l| l["link"] == "root"))
        .unwrap_or_else(|| panic!("{name}: no root link"));
    let stack = &facts["root_stack"];
    match case.scenario.as_str() {
        "live-root-lvm" => {
            assert_stack(&name, stack, "lvm", "LVM-", "vgbootmatrix-root", None);
            assert_root_link(&name, root_link, "LVM");
            assert_stack_bus(&name, facts);
        }
        "live-root-luks" => {
            assert_stack(
                &name,
                stack,
                "dm_crypt",
                // matrix.sh's LUKS_UUID, dashes removed, then the mapping's name.
                "CRYPT-LUKS2-5a1b2c3d4e5f4a6b8c7d9e0f1a2b3c4d-cryptroot",
                "cryptroot",
                Some("LUKS2"),
            );
            assert_root_link(&name, root_link, "dm-crypt LUKS2");
            assert_stack_bus(&name, facts);
        }
        "live-efi" => {
            assert_plain_root(&name, stack);
            assert_efivarfs_entries(&name, facts);
            let policy = &facts["secure_boot"]["policy"];
            assert_eq!(policy["from"], "efivarfs", "{name}: {policy}");
            assert_eq!(policy["state"], "off", "{name}: {policy}");
            let line = secure_boot_line(&name, &run.report);
            assert!(
                line["detail"]
                    .as_str()
                    .is_some_and(|d| d
                        .starts_with("off (SecureBoot=0); keys from /sys/firmware/efi/efivars")),
                "{name}: {line}"
            );
        }
        "live-sb" => {
            assert_plain_root(&name, stack);
            assert_secure_boot_live(&name, facts, &run.report);
        }
        other => panic!("{other}: not a live scenario"),
    }
    let codes: Vec<&str> = run.report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(next["findings"].as_array().into_iter().flatten())
        .filter_map(|f| f["code"].as_str())
        .collect();
    for code in ["BV4107", "BV4109", "BV4202", "BV7005"] {
        assert!(
            !codes.contains(&code),
            "{name}: live bootvet said {code} on the machine that runs it: {}",
            run.report
        );
    }
}

/// The walked stack: a dm device of `kind` on top, over partition vda4.
fn assert_stack(
    name: &str,
    stack: &Value,
    kind: &str,
    uuid_prefix: &str,
    dm_name: &str,
    detail: Option<&str>,
) {
    let devices = stack["devices"]
        .as_array()
        .unwrap_or_else(|| panic!("{name}: no root_stack in the live facts"));
    assert_eq!(devices.len(), 2, "{name}: {stack}");
    let top = &devices[0];
    assert_eq!(top["name"], stack["top"], "{name}");
    assert!(
        top["name"].as_str().is_some_and(|n| n.starts_with("dm-")),
        "{name}: {top}"
    );
    assert_eq!(top["kind"], kind, "{name}: {top}");
    assert!(
        top["dm_uuid"]
            .as_str()
            .is_some_and(|u| u.starts_with(uuid_prefix)),
        "{name}: dm uuid {}",
        top["dm_uuid"]
    );
    assert_eq!(top["dm_name"], dm_name, "{name}");
    assert_eq!(top["detail"].as_str(), detail, "{name}: {top}");
    assert_eq!(top["slaves"], serde_json::json!(["vda4"]), "{name}");
    assert_eq!(devices[1]["name"], "vda4", "{name}");
    assert_eq!(devices[1]["kind"], "partition", "{name}");
    assert_eq!(stack["fstype"], "ext4", "{name}");
    assert_eq!(
        stack["fs_uuid"], "7d0cf1b2-55aa-4e2b-9c1d-0a1b2c3d4e5f",
        "{name}: the root filesystem read through /dev/{}",
        stack["top"]
    );
    assert!(stack.get("faults").is_none(), "{name}: {stack}");
}

/// The root's bus, read from sysfs under the stack's partition (a root inside
/// dm resolves to no volume; it was "assumed" before the walk).
fn assert_stack_bus(name: &str, facts: &Value) {
    let bus = &facts["root_bus"];
    assert_eq!(
        bus["drivers"],
        serde_json::json!(["virtio_blk"]),
        "{name}: {bus}"
    );
    assert_eq!(bus["need"], "all", "{name}: {bus}");
    assert_eq!(bus["source"], "sysfs, under / (dm-0)", "{name}: {bus}");
}

fn assert_root_link(name: &str, link: &Value, what: &str) {
    let detail = link["detail"].as_str().unwrap_or_default();
    assert_eq!(link["state"], "pass", "{name}: {link}");
    assert!(
        detail.contains("/ now:") && detail.contains(what) && detail.contains("vda4"),
        "{name}: root link {detail:?}"
    );
}

/// A root straight on partition 4.
fn assert_plain_root(name: &str, stack: &Value) {
    assert_eq!(stack["top"], "vda4", "{name}: {stack}");
    assert_eq!(stack["devices"][0]["kind"], "partition", "{name}: {stack}");
}

/// The firmware's entries read live: efivarfs, BootCurrent = Boot0001 (the
/// entry live.sh's store holds), BootOrder starting with it, and the loader
/// chain started from it, its file found on the ESP.
fn assert_efivarfs_entries(name: &str, facts: &Value) {
    let vars = &facts["firmware"]["vars"];
    assert_eq!(vars["kind"], "efivarfs", "{name}");
    assert_eq!(vars["source"], "/sys/firmware/efi/efivars", "{name}");
    let boot = &facts["firmware"]["boot"];
    assert_eq!(boot["current"], 1, "{name}: BootCurrent: {boot}");
    assert_eq!(boot["order"][0], 1, "{name}: BootOrder: {boot}");
    let entry = boot["entries"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["number"] == 1))
        .unwrap_or_else(|| panic!("{name}: no Boot0001: {boot}"));
    assert_eq!(entry["description"], "debian", "{name}: {entry}");
    let firmware = &facts["loader"]["firmware"];
    assert_eq!(
        firmware["path"], "\\EFI\\debian\\grubx64.efi",
        "{name}: {firmware}"
    );
    assert_eq!(firmware["file"]["state"], "found", "{name}: {firmware}");
}

/// Secure Boot read live: SecureBoot=1 from efivarfs, db with Microsoft's UEFI
/// CA, dbx, MokListRT and SbatLevelRT (shim's mirrors), every key named as
/// coming from efivarfs, the chain (shim, GRUB, kernel) accepted.
fn assert_secure_boot_live(name: &str, facts: &Value, report: &Value) {
    let policy = &facts["secure_boot"]["policy"];
    assert_eq!(policy["state"], "on", "{name}: {policy}");
    assert_eq!(policy["from"], "efivarfs", "{name}: {policy}");
    assert_eq!(policy["source"], "/sys/firmware/efi/efivars", "{name}");
    assert_eq!(policy["why"], "SecureBoot=1", "{name}: {policy}");
    let certs = |list: &str| -> Vec<String> {
        policy[list]["certs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["subject"].as_str().map(str::to_string))
            .collect()
    };
    assert!(
        certs("db")
            .iter()
            .any(|c| c == "Microsoft Corporation UEFI CA 2011"),
        "{name}: db {:?}",
        certs("db")
    );
    assert!(policy["dbx"].is_object(), "{name}: dbx not read: {policy}");
    assert!(
        policy["mok"].is_object(),
        "{name}: MokListRT not read: {policy}"
    );
    assert!(
        policy["sbat_level"].is_object(),
        "{name}: SbatLevelRT not read: {policy}"
    );
    let chain = facts["secure_boot"]["chain"]
        .as_array()
        .unwrap_or_else(|| panic!("{name}: no chain"));
    assert!(chain.len() >= 3, "{name}: chain {chain:?}");
    let line = secure_boot_line(name, report);
    assert_eq!(line["state"], "pass", "{name}: {line}");
    let detail = line["detail"].as_str().unwrap_or_default();
    for want in [
        "on (SecureBoot=1); keys from /sys/firmware/efi/efivars: db 2 certificates",
        "dbx ",
        "MokListRT 1 certificate",
        "SbatLevelRT ",
    ] {
        assert!(detail.contains(want), "{name}: {detail:?} lacks {want:?}");
    }
}

/// The report's `secure boot` line above the menu (live only).
fn secure_boot_line<'a>(name: &str, report: &'a Value) -> &'a Value {
    report["chain"]
        .as_array()
        .and_then(|c| c.iter().find(|l| l["link"] == "secure boot"))
        .unwrap_or_else(|| panic!("{name}: no `secure boot` line in the report's chain: {report}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip() {
        assert_eq!(base64_decode("aGVsbG8=\n").unwrap(), b"hello");
        assert_eq!(base64_decode("aGVsbG8h").unwrap(), b"hello!");
        assert_eq!(base64_decode("aGk=").unwrap(), b"hi");
        assert!(base64_decode("a").is_err());
        assert!(base64_decode("a*==").is_err());
    }
}
