//! GRUB flavours (issue 21) on real configurations: the same grub.cfg gives
//! Red Hat's command lines under Red Hat's GRUB and upstream's under upstream.
//! The configs are the peer's test data (u-root `pkg/boot/iso/testdata`,
//! `pkg/boot/grub/testdata_new`; tests/fixtures/flavours/PROVENANCE.md).

use std::path::{Path, PathBuf};

mod support;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/flavours")
        .join(name)
}

/// `bootvet entries --json` of a fixture, against an empty boot directory.
fn entries(config: &str, platform: &str, flavour: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let config = fixture(config).display().to_string();
    let boot_dir = dir.path().display().to_string();
    let (code, out, err) = support::bootvet(&[
        "entries",
        "--json",
        "--config",
        &config,
        "--boot-dir",
        &boot_dir,
        "--platform",
        platform,
        "--grub-flavour",
        flavour,
    ]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

/// The command line of the `linux` command of the entry at `path`.
fn cmdline(doc: &serde_json::Value, path: &[usize]) -> String {
    let mut node = &doc["entries"][path[0]];
    for i in &path[1..] {
        node = &node["entries"][*i];
    }
    let linux = node["commands"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["kind"] == "linux"))
        .unwrap_or_else(|| panic!("no linux command at {path:?}: {node}"));
    linux["cmdline"].as_str().unwrap().to_string()
}

fn effects<'a>(doc: &'a serde_json::Value, rule: &str) -> Vec<&'a serde_json::Value> {
    doc["flavour_effects"]
        .as_array()
        .map(|a| a.iter().filter(|e| e["rule"] == rule).collect())
        .unwrap_or_default()
}

/// Fedora 43 and CentOS Stream 9 live ISOs set `basicgfx` at top level (not
/// exported) and use `${basicgfx}` in `submenu "Troubleshooting -->"`.
#[test]
fn troubleshooting_submenu_gets_basicgfx_only_on_red_hat() {
    for config in ["fedora43-live-grub2.cfg", "centos-stream9-live-grub2.cfg"] {
        let red_hat = entries(config, "pc", "redhat");
        let line = cmdline(&red_hat, &[2, 0]);
        assert!(
            line.ends_with("rd.live.image nomodeset vga=791"),
            "{config}: {line}"
        );
        let rule = effects(&red_hat, "submenu_variables");
        assert_eq!(rule.len(), 1, "{config}: {red_hat}");
        assert_eq!(rule[0]["entry"], serde_json::json!([2, 0]));
        assert!(rule[0]["message"].as_str().unwrap().contains("e71c7d4c2"));

        let upstream = entries(config, "pc", "upstream");
        let line = cmdline(&upstream, &[2, 0]);
        assert!(line.ends_with("rd.live.image"), "{config}: {line}");
        assert!(!line.contains("nomodeset"), "{config}: {line}");
        assert_eq!(
            effects(&upstream, "submenu_variables").len(),
            1,
            "{upstream}"
        );
        // Debian's GRUB follows upstream here.
        assert_eq!(cmdline(&entries(config, "pc", "debian"), &[2, 0]), line);
        // The entries outside the submenu are the same on both.
        assert_eq!(cmdline(&red_hat, &[0]), cmdline(&upstream, &[0]));
    }
}

/// The CentOS 7 DVD's `inst.stage2=hd:LABEL=CentOS\x207\x20x86_64`.
#[test]
fn centos7_hex_escapes_pass_through_only_on_red_hat() {
    let red_hat = entries("centos7-dvd-efi.cfg", "efi", "redhat");
    let upstream = entries("centos7-dvd-efi.cfg", "efi", "upstream");
    for path in [&[0][..], &[1], &[2, 0], &[2, 1]] {
        let line = cmdline(&red_hat, path);
        assert!(
            line.starts_with(r"inst.stage2=hd:LABEL=CentOS\x207\x20x86_64 "),
            "{line}"
        );
        let line = cmdline(&upstream, path);
        assert!(
            line.starts_with("inst.stage2=hd:LABEL=CentOSx207x20x86_64 "),
            "{line}"
        );
    }
    assert_eq!(effects(&red_hat, "hex_escape").len(), 4);
    assert_eq!(effects(&upstream, "hex_escape").len(), 4);
    // linuxefi/initrdefi: Red Hat's GRUB has them; upstream's does not.
    assert!(effects(&red_hat, "missing_command").is_empty());
    let missing = effects(&upstream, "missing_command");
    assert_eq!(missing.len(), 8, "{upstream}");
    assert_eq!(missing[0]["command"], "linuxefi");
}

/// A quoted `"\x20"` keeps its backslash in both; on the command line upstream
/// doubles it (lib/cmdline.c), Red Hat's copies `\xHH` as is.
#[test]
fn quoted_hex_escape_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("grub.cfg");
    std::fs::write(
        &cfg,
        "menuentry 'q' {\n\tlinux /vmlinuz \"a=\\x41\" b=\\x42\n}\n",
    )
    .unwrap();
    let cfg = cfg.display().to_string();
    let boot = dir.path().display().to_string();
    let line = |flavour: &str| {
        let (code, out, err) = support::bootvet(&[
            "entries",
            "--json",
            "--config",
            &cfg,
            "--boot-dir",
            &boot,
            "--grub-flavour",
            flavour,
        ]);
        assert_eq!(code, 0, "{err}");
        cmdline(&serde_json::from_str(&out).unwrap(), &[0])
    };
    assert_eq!(line("upstream"), r"a=\\x41 b=x42");
    assert_eq!(line("redhat"), r"a=\x41 b=\x42");
}

/// `check` under upstream: every CentOS 7 entry fails with BV1101 and its
/// GRUB message; under Red Hat's GRUB no BV1101.
#[test]
fn missing_command_is_a_finding_with_grubs_message() {
    let dir = tempfile::tempdir().unwrap();
    let config = fixture("centos7-dvd-efi.cfg").display().to_string();
    let boot_dir = dir.path().display().to_string();
    let run = |flavour: &str| {
        let (_, out, err) = support::bootvet(&[
            "check",
            "--json",
            "--config",
            &config,
            "--boot-dir",
            &boot_dir,
            "--platform",
            "efi",
            "--grub-flavour",
            flavour,
        ]);
        let doc: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
        doc
    };
    let upstream = run("upstream");
    let bv1101: Vec<&serde_json::Value> = upstream["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "BV1101")
        .collect();
    assert_eq!(bv1101.len(), 8, "{upstream}");
    assert_eq!(
        bv1101[0]["will_print"][0],
        "error: can't find command `linuxefi'."
    );
    assert_eq!(
        bv1101[0]["will_print"][1],
        "error: you need to load the kernel first."
    );
    assert_eq!(upstream["grub"]["vendor"], "upstream");
    let red_hat = run("redhat");
    assert!(
        !red_hat["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "BV1101")
    );
    assert_eq!(red_hat["grub"]["vendor"], "red_hat");
}

/// Debian's x86_64-efi build has linuxefi (its command.lst), its i386-pc build
/// does not: the same entry is fine on efi and a finding on pc.
#[test]
fn debian_has_linuxefi_on_efi_only() {
    let efi = entries("centos7-dvd-efi.cfg", "efi", "debian");
    assert!(effects(&efi, "missing_command").is_empty(), "{efi}");
    let pc = entries("centos7-dvd-efi.cfg", "pc", "debian");
    assert_eq!(effects(&pc, "missing_command").len(), 8);
}

/// The installed Debian GRUB's own command list agrees with the table: the
/// commands bootvet says Debian's x86_64-efi build has are in its command.lst,
/// and `blscfg` is not (grub-efi-amd64-bin, scripts/setup.sh).
#[test]
fn debian_command_table_matches_the_installed_command_lst() {
    for (platform, dir) in [("efi", "x86_64-efi"), ("pc", "i386-pc")] {
        let path = Path::new("/usr/lib/grub").join(dir).join("command.lst");
        if !support::require(path.exists(), &path.display().to_string()) {
            return;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let has = |name: &str| {
            text.lines()
                .any(|l| l.trim_start_matches('*').split(':').next() == Some(name))
        };
        assert_eq!(has("linuxefi"), platform == "efi", "{dir}");
        assert_eq!(has("initrdefi"), platform == "efi", "{dir}");
        assert!(!has("blscfg") && !has("bls_import"), "{dir}");
    }
}
