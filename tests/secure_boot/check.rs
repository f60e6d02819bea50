//! `bootvet check` on the sb-* scenarios (fixtures/scenarios/build.sh): what each
//! finding says and prints, and the anchors the facts record.

use std::path::PathBuf;
use std::sync::OnceLock;

use super::support::{bootvet, build_scenarios};

fn dir() -> &'static PathBuf {
    static D: OnceLock<PathBuf> = OnceLock::new();
    D.get_or_init(|| {
        build_scenarios(
            "secure_boot",
            &["sb-debian", "sb-unsigned-grub", "sb-unsigned-shim"],
        )
    })
}

/// `check --json` of `image` with one entry booting `kernel`.
fn check(image: &str, kernel: &str, args: &[&str]) -> serde_json::Value {
    // One file per call: tests run in parallel, and two of them check the same
    // image and kernel (one read the other's half-written file: an empty menu).
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let cfg = dir().join(format!("{image}{}.{n}.cfg", kernel.replace('/', "_")));
    std::fs::write(
        &cfg,
        format!("menuentry 'Debian' {{\n\tlinux {kernel} root=/dev/sda1\n\tboot\n}}\n"),
    )
    .unwrap();
    let img = dir().join(format!("{image}.img"));
    let mut all = vec![
        "check",
        "--json",
        "--image",
        img.to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
    ];
    all.extend(args);
    let (_, out, err) = bootvet(&all);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"))
}

fn vars(name: &str) -> String {
    dir().join(name).display().to_string()
}

fn findings(doc: &serde_json::Value) -> Vec<&serde_json::Value> {
    doc["findings"].as_array().unwrap().iter().collect()
}

#[test]
fn grub_whose_hash_is_in_dbx_is_refused_by_shim() {
    let v = vars("sb-dbx.vars");
    let doc = check("sb-debian", "/vmlinuz", &["--efi-vars", &v]);
    let f = findings(&doc);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["code"], "BV7002");
    let evidence = f[0]["evidence"][0].as_str().unwrap();
    assert!(evidence.contains("is in dbx"), "{evidence}");
    assert_eq!(
        f[0]["will_print"],
        serde_json::json!([
            "Verification failed: (0x1A) Security Violation",
            "Failed to load image: Security Policy Violation"
        ])
    );
    assert_eq!(doc["exit_status"], 3);
}

#[test]
fn unsigned_kernel_prints_bad_shim_signature_then_no_kernel() {
    let v = vars("sb-ms.vars");
    let doc = check("sb-debian", "/unsigned/vmlinuz", &["--efi-vars", &v]);
    let f = findings(&doc);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["code"], "BV7003");
    assert_eq!(
        f[0]["will_print"],
        serde_json::json!([
            "error: bad shim signature.",
            "error: you need to load the kernel first."
        ])
    );
}

#[test]
fn what_if_on_without_keys_says_what_is_unknown_and_never_boots_silently() {
    let doc = check("sb-debian", "/unsigned/vmlinuz", &["--secure-boot", "on"]);
    let f = findings(&doc);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["code"], "BV7005");
    assert_eq!(f[0]["severity"], "warning");
    let text = f[0]["evidence"].to_string();
    assert!(
        text.contains("/unsigned/vmlinuz would be refused"),
        "{text}"
    );
}

#[test]
fn microsofts_db_anchors_shim_and_the_vendor_cert_anchors_grub_and_the_kernel() {
    let v = vars("sb-ms.vars");
    let facts = dir().join("sb-ms.facts.json");
    let img = dir().join("sb-debian.img");
    let (code, _, err) = bootvet(&[
        "check",
        "--image",
        img.to_str().unwrap(),
        "--efi-vars",
        &v,
        "--dump-facts",
        facts.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&facts).unwrap()).unwrap();
    let sb = &doc["facts"]["secure_boot"];
    assert_eq!(sb["policy"]["state"], "on");
    assert_eq!(sb["policy"]["from"], "var_store");
    let chain = sb["chain"].as_array().unwrap();
    let anchors = |stage: &str| {
        let b = chain.iter().find(|b| b["stage"] == stage).unwrap();
        b["anchors"].clone()
    };
    // Signature 0 (UEFI CA 2011) is anchored by db; signature 1 (UEFI CA 2023) by
    // nothing: Debian's ms store has no 2023 CA (reference §2).
    assert_eq!(
        anchors("first_loader"),
        serde_json::json!([[{"list": "db", "index": 1, "subject": "Microsoft Corporation UEFI CA 2011"}], []])
    );
    let vendor =
        serde_json::json!([[{"list": "vendor", "index": 0, "subject": "Debian Secure Boot CA"}]]);
    assert_eq!(anchors("second_stage"), vendor);
    assert_eq!(anchors("kernel"), vendor);
    // Replayed with --secure-boot off: nothing enforced, nothing said.
    let (code, out, _) = bootvet(&[
        "check",
        "--facts",
        facts.to_str().unwrap(),
        "--secure-boot",
        "off",
    ]);
    assert_eq!(code, 0, "{out}");
}
