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
    run_entries(&fixture(config), platform, flavour, &[])
}

/// `bootvet entries --json` of `config` against an empty boot directory, with
/// `extra` arguments after the flavour.
fn run_entries(config: &Path, platform: &str, flavour: &str, extra: &[&str]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let config = config.display().to_string();
    let boot_dir = dir.path().display().to_string();
    let mut args = vec![
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
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = support::bootvet(&args);
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

/// `entries --json` with `--grub-flavour` and `--grub-version`.
fn entries_at(config: &Path, platform: &str, flavour: &str, version: &str) -> serde_json::Value {
    run_entries(config, platform, flavour, &["--grub-version", version])
}

/// Debian dropped linuxefi.mod with 2.12 (trixie's command.lst, re-read by
/// `versions_table_matches_debian_binaries`): the CentOS 7 DVD's
/// `linuxefi`/`initrdefi` entries work on Debian 2.06's efi build and fail on
/// 2.12's; with no version known nothing is judged.
#[test]
fn debian_212_dropped_linuxefi() {
    let cfg = fixture("centos7-dvd-efi.cfg");
    let old = entries_at(&cfg, "efi", "debian", "2.06-13+deb12u2");
    assert!(effects(&old, "missing_command").is_empty(), "{old}");
    let new = entries_at(&cfg, "efi", "debian", "2.12-9+deb13u4");
    let missing = effects(&new, "missing_command");
    assert_eq!(missing.len(), 8, "{new}");
    let message = missing[0]["message"].as_str().unwrap();
    assert!(message.contains("2.12-9+deb13u4"), "{message}");
    assert!(message.contains("dropped linuxefi.mod"), "{message}");
    assert_eq!(new["grub"]["version"], "2.12-9+deb13u4");
    // Ubuntu's 2.12 was not read: not judged.
    let noble = entries_at(&cfg, "efi", "debian", "2.12-1ubuntu7");
    assert!(effects(&noble, "missing_command").is_empty(), "{noble}");
}

/// The TPM2 unlock the GRUB 2.14 manual documents (docs/grub.texi,
/// "tpm2_key_protector_init -T (hd0,gpt1)/efi/grub/sealed.tpm" then
/// "cryptomount -u <UUID> -P tpm2"), and `search --efidisk-only`, under each
/// release: what is newer than the GRUB is missing, and a rejected option
/// stops its command, so `search … --set=root` sets nothing on 2.06.
#[test]
fn newer_commands_and_options_by_release() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("grub.cfg");
    std::fs::write(
        &cfg,
        "tpm2_key_protector_init -T (hd0,gpt1)/efi/grub/sealed.tpm\n\
         cryptomount -u 3f9c1a528d5e4c619a3b2b7e5f1d0c44 -P tpm2\n\
         search --no-floppy --efidisk-only --fs-uuid --set=root 1234-ABCD\n\
         menuentry 'Linux' {\n\tlinux /vmlinuz root=/dev/mapper/root\n}\n",
    )
    .unwrap();
    let device = |doc: &serde_json::Value| {
        let linux = &doc["entries"][0]["commands"][0];
        assert_eq!(linux["kind"], "linux", "{doc}");
        linux["file"].to_string()
    };
    let named = |doc: &serde_json::Value, rule: &str| -> Vec<String> {
        effects(doc, rule)
            .iter()
            .map(|e| e["command"].as_str().unwrap().to_string())
            .collect()
    };

    let v206 = entries_at(&cfg, "efi", "upstream", "2.06");
    assert_eq!(named(&v206, "missing_command"), ["tpm2_key_protector_init"]);
    assert_eq!(
        named(&v206, "missing_option"),
        ["cryptomount -P", "search --efidisk-only"]
    );
    assert!(!device(&v206).contains("1234-ABCD"), "{v206}");
    let message = effects(&v206, "missing_option")[1]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("GRUB 2.12") && message.contains("search_wrap.c"),
        "{message}"
    );

    let v212 = entries_at(&cfg, "efi", "debian", "2.12-9+deb13u4");
    assert_eq!(named(&v212, "missing_command"), ["tpm2_key_protector_init"]);
    assert_eq!(named(&v212, "missing_option"), ["cryptomount -P"]);
    assert!(device(&v212).contains("1234-ABCD"), "{v212}");

    let v214 = entries_at(&cfg, "efi", "upstream", "2.14");
    assert!(named(&v214, "missing_command").is_empty(), "{v214}");
    assert!(named(&v214, "missing_option").is_empty(), "{v214}");

    // Red Hat backports (rhel-9-main, a 2.06, has --efidisk-only): not judged.
    let rhel9 = entries_at(&cfg, "efi", "redhat", "2.06-77.el9");
    assert!(named(&rhel9, "missing_option").is_empty(), "{rhel9}");
}

/// A Debian package of another release, through apt with a private list of
/// that suite (the machine's own sources are left alone), extracted once into
/// the package cache.
// The archive reachable here (and from CI) may be a frozen snapshot: sid's
// InRelease then carries a Valid-Until in the past, and apt refuses it as
// expired. Its signature is still checked; only the expiry is not.
fn debian_suite_package(suite: &str, pkg: &str) -> Option<PathBuf> {
    let dir = support::package_cache().join(format!("suite-{suite}"));
    let script = r#"set -e; d="$1"; suite="$2"; pkg="$3"; mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
        [ -d "$d/x-$pkg" ] && exit 0
        echo "deb http://deb.debian.org/debian $suite main" > "$d/sources.list"
        A="-o Acquire::Check-Valid-Until=false -o Dir::Etc::SourceList=$d/sources.list -o Dir::Etc::SourceParts=/nonexistent -o Dir::State::Lists=$d/lists -o Dir::Cache=$d/cache -o Dir::State::status=/dev/null -o APT::Sandbox::User=root"
        apt-get $A update >/dev/null 2>&1
        t=$(mktemp -d -p "$d"); (cd "$t" && apt-get $A download "$pkg" >/dev/null 2>&1)
        x=$(mktemp -d -p "$d"); dpkg-deb -x "$t"/*.deb "$x"; dpkg-deb -f "$t"/*.deb Version > "$x/VERSION"
        rm -rf "$t"; mv -T "$x" "$d/x-$pkg" 2>/dev/null || rm -rf "$x""#;
    let out = std::process::Command::new("sh")
        .args(["-c", script, "sh"])
        .arg(&dir)
        .args([suite, pkg])
        .output();
    let ok =
        out.as_ref().is_ok_and(|o| o.status.success()) && dir.join(format!("x-{pkg}")).is_dir();
    if !support::require(ok, &format!("Debian {suite}'s {pkg} ({out:?})")) {
        return None;
    }
    Some(dir.join(format!("x-{pkg}")))
}

/// `bootvet::menu::versions::INTRODUCED` against Debian's x86_64-efi builds
/// of three releases: bookworm's installed 2.06, trixie's 2.12 and sid's newest.
/// A command row is in command.lst exactly when its release is not newer than
/// the package's; an option row's long name is a string of its command's module
/// exactly then. Also: linuxefi only in 2.06, blscfg only from 2.14.
#[test]
fn versions_table_matches_debian_binaries() {
    use bootvet::menu::versions::{INTRODUCED, release};
    let installed = PathBuf::from("/");
    let mut roots = vec![(installed, None)];
    for suite in ["trixie", "sid"] {
        let Some(root) = debian_suite_package(suite, "grub-efi-amd64-bin") else {
            return;
        };
        let version = std::fs::read_to_string(root.join("VERSION")).unwrap();
        roots.push((root, Some(version.trim().to_string())));
    }
    for (root, version) in roots {
        let lib = root.join("usr/lib/grub/x86_64-efi");
        let lst = lib.join("command.lst");
        if !support::require(lst.exists(), &lst.display().to_string()) {
            return;
        }
        let version = version.unwrap_or_else(|| {
            let out = std::process::Command::new("dpkg-query")
                .args(["-W", "-f=${Version}", "grub-efi-amd64-bin"])
                .output()
                .unwrap();
            String::from_utf8(out.stdout).unwrap()
        });
        let have = release(&version).unwrap_or_else(|| panic!("{version}"));
        let text = std::fs::read_to_string(&lst).unwrap();
        let module = |cmd: &str| {
            text.lines().find_map(|l| {
                let (name, module) = l.trim_start_matches('*').split_once(": ")?;
                (name == cmd).then(|| module.trim().to_string())
            })
        };
        for row in INTRODUCED {
            let expect = row.release <= have;
            match row.option {
                None => assert_eq!(module(row.command).is_some(), expect, "{version}: {row:?}"),
                Some(opt) => {
                    let m = module(row.command).unwrap_or_else(|| panic!("{version}: {row:?}"));
                    let bytes = std::fs::read(lib.join(format!("{m}.mod"))).unwrap();
                    let needle = format!("\0{}\0", opt.long).into_bytes();
                    let found = bytes.windows(needle.len()).any(|w| w == needle);
                    assert_eq!(found, expect, "{version}: {row:?} in {m}.mod");
                }
            }
        }
        assert_eq!(module("linuxefi").is_some(), have < (2, 12), "{version}");
        assert_eq!(module("blscfg").is_some(), have >= (2, 14), "{version}");
    }
}

/// rhboot e71c7d4c2 is in Fedora 30+ and RHEL 9, not RHEL 7/8 (branches
/// rhel-7.9 and rhel-8-main keep `grub_env_new_context (0)`): the Fedora 43
/// live ISO's Troubleshooting entry gets `nomodeset vga=791` under RHEL 9's
/// GRUB and not under RHEL 8's.
#[test]
fn submenu_variables_only_from_rhel9_and_fedora30() {
    let cfg = fixture("fedora43-live-grub2.cfg");
    let rhel9 = entries_at(&cfg, "pc", "redhat", "2.06-77.el9");
    assert!(cmdline(&rhel9, &[2, 0]).ends_with("nomodeset vga=791"));
    for old in ["2.02-106.el8", "2.02-0.87.el7_9.6", "2.02-62.fc29"] {
        let doc = entries_at(&cfg, "pc", "redhat", old);
        let line = cmdline(&doc, &[2, 0]);
        assert!(!line.contains("nomodeset"), "{old}: {line}");
    }
}

/// rhboot e71c7d4c2 also stops `grub_menu_execute_entry` unsetting `default`
/// when a submenu opens without a `>` rest: the submenu's `run_menu` matches
/// the same value again. `default=1` naming the Advanced submenu (Debian's
/// grub-mkconfig layout, as in the corpus's Kali 2015 grub.cfg) boots its
/// entry 1 on Fedora 30+/RHEL 9, its entry 0 upstream and on RHEL 8.
#[test]
fn red_hat_keeps_default_inside_a_submenu() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("grub.cfg");
    std::fs::write(
        &cfg,
        "set default=\"1\"\n\
         menuentry 'Linux' --id gnulinux-simple { linux /vmlinuz-6 }\n\
         submenu 'Advanced options' --id gnulinux-advanced {\n\
         \tmenuentry 'Linux 6' --id gnulinux-6 { linux /vmlinuz-6 }\n\
         \tmenuentry 'Linux 5' --id gnulinux-5 { linux /vmlinuz-5 }\n\
         }\n",
    )
    .unwrap();
    let path = |doc: &serde_json::Value| doc["default"]["path"].clone();
    let rhel9 = entries_at(&cfg, "pc", "redhat", "2.06-77.el9");
    assert_eq!(path(&rhel9), serde_json::json!([1, 1]), "{rhel9}");
    let effect = effects(&rhel9, "submenu_default");
    assert_eq!(effect.len(), 1, "{rhel9}");
    assert!(effect[0]["message"].as_str().unwrap().contains("e71c7d4c2"));
    let rhel8 = entries_at(&cfg, "pc", "redhat", "2.02-106.el8");
    assert_eq!(path(&rhel8), serde_json::json!([1, 0]), "{rhel8}");
    assert!(effects(&rhel8, "submenu_default").is_empty());
    let upstream = entries_at(&cfg, "pc", "upstream", "2.06");
    assert_eq!(path(&upstream), serde_json::json!([1, 0]), "{upstream}");
}
