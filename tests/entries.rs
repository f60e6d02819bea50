//! `menu` and `bootvet entries`: real grub.cfg files from the shared corpus, real
//! grubenv blocks and BLS snippets on disk through `--boot-dir`, and focused
//! configs for each GRUB rule the evaluator follows.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use bootvet::facts::storage::{Source, Storage};
use bootvet::menu::{
    self, CommandKind, DeviceExpr, MatchedBy, MemoryFiles, Menu, MenuNode, NoFiles, NoteKind,
    Options, Platform,
};
use bootvet::probe::disk_files::{DiskFiles, Reach};

mod support;

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/real-world");
    let what = format!(
        "{} (the corpus lives in shared/ beside the repository)",
        dir.display()
    );
    support::require(dir.is_dir(), &what).then_some(dir)
}

fn corpus_file(name: &str) -> Option<Vec<u8>> {
    let dir = corpus()?;
    Some(std::fs::read(dir.join(name)).expect("corpus file"))
}

fn opts(platform: Platform) -> Options {
    Options {
        platform,
        ..Options::default()
    }
}

fn device(d: &DeviceExpr) -> String {
    match d {
        DeviceExpr::FsUuid { hints, .. }
        | DeviceExpr::Label { hints, .. }
        | DeviceExpr::File { hints, .. }
            if !hints.is_empty() =>
        {
            format!("{} hints={}", d.display(), hints.join(";"))
        }
        DeviceExpr::Unset => "unset".into(),
        _ => d.display(),
    }
}

/// What the corpus snapshots pin: per entry its index path, title, condition,
/// and for each loader command the file, the device it is read from, `root=`
/// and the initrds. Other commands are counted, not listed.
fn summary(menu: &Menu) -> String {
    let mut out = String::new();
    let d = &menu.default;
    let _ = writeln!(
        out,
        "default {:?}{} -> {} {:?}{}",
        d.value.as_deref().unwrap_or("<unset>"),
        if d.uncertain { " (uncertain)" } else { "" },
        d.path.as_ref().map_or("-".into(), |p| menu::path_text(p)),
        d.matched_by,
        if d.fell_back.is_some() {
            " FELL BACK"
        } else {
            ""
        },
    );
    fn nodes(out: &mut String, list: &[MenuNode]) {
        for node in list {
            let h = node.head();
            let _ = write!(out, "{} {:?}", h.path_text(), h.title);
            if let Some(id) = &h.id {
                let _ = write!(out, " id={id:?}");
            }
            if matches!(node, MenuNode::Submenu(_)) {
                let _ = write!(out, " SUBMENU");
            }
            let _ = writeln!(out);
            if let Some(c) = &h.conditional {
                let _ = writeln!(out, "    if: {c}");
            }
            match node {
                MenuNode::Submenu(s) => nodes(out, &s.entries),
                MenuNode::Entry(e) => {
                    let mut shown = 0;
                    let mut hidden = 0;
                    for c in &e.commands {
                        let line = match &c.kind {
                            CommandKind::Linux {
                                command,
                                file,
                                params,
                                ..
                            } => {
                                let root = params
                                    .iter()
                                    .find(|p| p.key == "root")
                                    .map_or("-".to_string(), |p| {
                                        p.value.clone().unwrap_or_default()
                                    });
                                format!(
                                    "{command} {} on {} root={root}",
                                    file.path,
                                    device(&file.device)
                                )
                            }
                            CommandKind::Initrd { command, files } => format!(
                                "{command} {}",
                                files
                                    .iter()
                                    .map(|f| format!("{} on {}", f.path, device(&f.device)))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                            CommandKind::Chainloader { file, .. } => {
                                format!("chainloader {} on {}", file.path, device(&file.device))
                            }
                            CommandKind::Load { command, file, .. } => {
                                format!("{command} {} on {}", file.path, device(&file.device))
                            }
                            CommandKind::Loopback { name, file } => {
                                format!("loopback {name} {} on {}", file.path, device(&file.device))
                            }
                            CommandKind::Configfile { file } => {
                                format!("configfile {} on {}", file.path, device(&file.device))
                            }
                            CommandKind::Insmod { .. } | CommandKind::Other { .. } => continue,
                        };
                        if shown >= 6 {
                            hidden += 1;
                            continue;
                        }
                        shown += 1;
                        let cond = c
                            .conditional
                            .as_ref()
                            .map_or(String::new(), |c| format!("   [if: {c}]"));
                        let _ = writeln!(out, "    {line}{cond}");
                    }
                    if hidden > 0 {
                        let _ = writeln!(out, "    … {hidden} more loader commands");
                    }
                }
            }
        }
    }
    nodes(&mut out, &menu.entries);
    for c in &menu.top_level {
        let _ = writeln!(out, "top level: {:?}", c.kind);
    }
    for n in &menu.notes {
        if n.kind == NoteKind::SaveEnv {
            continue;
        }
        let _ = writeln!(out, "note {:?}: {}", n.kind, n.message);
    }
    out
}

/// Compares with `tests/snapshots/entries/NAME.txt`. A missing snapshot is
/// written and the test fails, so a new one is always read before it is kept;
/// `BOOTVET_BLESS=1` rewrites them all (then read the diff).
fn check_snapshot(name: &str, actual: &str) -> Result<(), String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots/entries")
        .join(format!("{name}.txt"));
    let bless = std::env::var_os("BOOTVET_BLESS").is_some();
    match std::fs::read_to_string(&path) {
        Ok(expected) if expected == actual => Ok(()),
        Ok(_) | Err(_) if bless => {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, actual).unwrap();
            Ok(())
        }
        Ok(expected) => Err(format!(
            "{name}: menu differs from {}\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        )),
        Err(_) => {
            if std::env::var_os("CI").is_none() {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, actual).unwrap();
            }
            Err(format!(
                "{name}: no snapshot at {} (written now: read it before keeping it)",
                path.display()
            ))
        }
    }
}

#[test]
fn corpus_menus_match_reviewed_snapshots() {
    let Some(dir) = corpus() else { return };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".cfg"))
        .collect();
    names.sort();
    assert!(names.len() >= 40, "corpus looks incomplete: {names:?}");
    let mut failures = Vec::new();
    for name in &names {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let m = menu::evaluate(&bytes, &opts(Platform::Pc), &NoFiles);
        let stem = name.trim_end_matches(".cfg");
        if let Err(e) = check_snapshot(stem, &summary(&m)) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn entry<'a>(m: &'a Menu, path: &[usize]) -> &'a menu::BootEntry {
    match m.node(path) {
        Some(MenuNode::Entry(e)) => e,
        other => panic!("no entry at {path:?}: {other:?}"),
    }
}

fn linux_of(e: &menu::BootEntry) -> (String, DeviceExpr, String) {
    match &e.linux().expect("a linux command").kind {
        CommandKind::Linux { file, cmdline, .. } => {
            (file.path.clone(), file.device.clone(), cmdline.clone())
        }
        _ => unreachable!(),
    }
}

#[test]
fn nested_submenus_with_a_path_default() {
    let cfg = br#"
set default="Advanced>Deeper>Kernel B"
menuentry 'Top' { linux /top }
submenu 'Advanced' --id adv {
  menuentry 'Kernel A' { linux /a }
  submenu 'Deeper' --id deep {
    menuentry 'Kernel A' { linux /deep-a }
    menuentry 'Kernel B' --id kb { linux /deep-b }
  }
}
"#;
    let m = menu::evaluate(cfg, &Options::default(), &NoFiles);
    assert_eq!(m.default.path, Some(vec![1, 1, 1]));
    assert_eq!(m.default.matched_by, vec![MatchedBy::Title; 3]);
    assert_eq!(linux_of(entry(&m, &[1, 1, 1])).0, "/deep-b");

    // The same entry by numbers, by ids, and mixed; `>>` is a literal `>`.
    for spec in ["1>1>1", "adv>deep>kb", "1>Deeper>kb"] {
        let text = String::from_utf8_lossy(cfg).replace("Advanced>Deeper>Kernel B", spec);
        let m = menu::evaluate(text.as_bytes(), &Options::default(), &NoFiles);
        assert_eq!(m.default.path, Some(vec![1, 1, 1]), "default {spec}");
    }
    let m = menu::evaluate(
        b"set default='a>>b'\nmenuentry x { true; }\nmenuentry 'a>b' { linux /ab; }\n",
        &Options::default(),
        &NoFiles,
    );
    assert_eq!(m.default.path, Some(vec![1]));

    // A submenu path that stops at the submenu opens it with `default`
    // unset: its first entry boots (normal/menu.c `grub_menu_execute_entry`;
    // the QEMU scenario `default-submenu` boots it).
    let m = menu::evaluate(
        b"set default=1\nmenuentry x { true; }\nsubmenu s { menuentry y { true; }; }\n",
        &Options::default(),
        &NoFiles,
    );
    assert_eq!(m.default.path, Some(vec![1, 0]));
    assert_eq!(
        m.default.matched_by,
        vec![MatchedBy::Index, MatchedBy::NoDefault]
    );
    // Down through a submenu whose first entry is a submenu too.
    let m = menu::evaluate(
        b"set default=s\nmenuentry x { true; }\nsubmenu s { submenu t { menuentry y { true; }; }; }\n",
        &Options::default(),
        &NoFiles,
    );
    assert_eq!(m.default.path, Some(vec![1, 0, 0]));
    // An empty submenu is not shown: nothing boots, and the reason is given.
    let m = menu::evaluate(
        b"set default=s\nmenuentry x { true; }\nsubmenu s { true; }\n",
        &Options::default(),
        &NoFiles,
    );
    assert_eq!(m.default.path, Some(vec![1]));
    let why = m.default.fell_back.as_deref().unwrap_or_default();
    assert!(why.contains("submenu 1, which is empty"), "{why}");
}

#[test]
fn default_that_matches_nothing_falls_back_to_entry_0() {
    let cfg = b"set default='Windows 11'\nmenuentry 'Debian' { linux /vmlinuz; }\nmenuentry 'Memtest' { linux16 /memtest; }\n";
    let m = menu::evaluate(cfg, &Options::default(), &NoFiles);
    assert_eq!(m.default.path, Some(vec![0]));
    assert_eq!(m.default.matched_by, vec![MatchedBy::FellBack]);
    let why = m.default.fell_back.as_deref().unwrap();
    assert!(
        why.contains("Windows 11") && why.contains("`Debian`"),
        "{why}"
    );

    // An index past the end falls back too; junk after a number is ignored.
    let m = menu::evaluate(
        b"set default=7\nmenuentry a { true; }\n",
        &Options::default(),
        &NoFiles,
    );
    assert_eq!(m.default.matched_by, vec![MatchedBy::FellBack]);
    let m = menu::evaluate(
        b"set default='1 junk'\nmenuentry a { true; }\nmenuentry b { true; }\n",
        &Options::default(),
        &NoFiles,
    );
    assert_eq!(m.default.path, Some(vec![1]));
    assert_eq!(m.default.matched_by, vec![MatchedBy::Index]);
}

#[test]
fn fedora_flavour_matches_ids_before_numbers() {
    // An id that reads as a number: upstream takes the number, Fedora the id.
    let cfg = b"set default=1\nmenuentry a --id 1x { true; }\nmenuentry b { true; }\nmenuentry c --id 1 { true; }\n";
    let up = menu::evaluate(cfg, &Options::default(), &NoFiles);
    assert_eq!(up.default.path, Some(vec![1]));
    let fedora = Options {
        flavour: menu::Flavour::Fedora,
        ..Options::default()
    };
    let fe = menu::evaluate(cfg, &fedora, &NoFiles);
    assert_eq!(fe.default.path, Some(vec![2]));
    assert_eq!(fe.default.matched_by, vec![MatchedBy::Id]);
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

const RHEL8_SAVED: &str = "b486fe3f109f430d995b1ee093897980-4.18.0-240.15.1.el8_3.x86_64";

/// A RHEL 8 /boot-on-root layout from the corpus's 01-* files, in a temp dir.
fn rhel8_boot_dir() -> Option<tempdir::TempDir> {
    let dir = corpus()?;
    let tmp = tempdir::TempDir::new("bootvet-rhel8");
    let root = tmp.path();
    let copy =
        |from: &str, to: &str| write(&root.join(to), &std::fs::read(dir.join(from)).unwrap());
    copy("01-rhel8-bls-aws.cfg", "boot/grub2/grub.cfg");
    copy("01-rhel8-aws.grubenv", "boot/grub2/grubenv");
    let entries = "boot/loader/entries";
    copy(
        "01-rhel8-bls-aws-kernel.conf",
        &format!("{entries}/{RHEL8_SAVED}.conf"),
    );
    copy(
        "01-rhel8-bls-aws-kernel-other-machine-id.conf",
        &format!("{entries}/0123456789abcdef0123456789abcdef-4.18.0-240.1.1.el8_3.x86_64.conf"),
    );
    copy(
        "01-rhel8-bls-aws-rescue.conf",
        &format!("{entries}/b486fe3f109f430d995b1ee093897980-0-rescue.conf"),
    );
    // Not a snippet: blscfg reads only `*.conf` that are not hidden.
    write(&root.join(entries).join(".hidden.conf"), b"linux /nope\n");
    write(&root.join(entries).join("notes.txt"), b"linux /nope\n");
    Some(tmp)
}

/// Tiny self-cleaning temp dir (no extra crate needed).
mod tempdir {
    use std::path::{Path, PathBuf};
    pub struct TempDir(PathBuf);
    impl TempDir {
        pub fn new(prefix: &str) -> Self {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            let p = std::env::temp_dir().join(format!(
                "{prefix}-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::SeqCst)
            ));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
        pub fn path(&self) -> &Path {
            &self.0
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[test]
fn saved_entry_from_real_grubenv_selects_bls_entry_with_kernelopts() {
    let Some(tmp) = rhel8_boot_dir() else { return };
    let root = tmp.path();
    let cfg = std::fs::read(root.join("boot/grub2/grub.cfg")).unwrap();
    let options = Options {
        platform: Platform::Pc,
        prefix: "/boot/grub2".into(),
        ..Options::default()
    };
    let storage = Storage::new(Source::Images);
    let files = DiskFiles::new(&storage, Reach::BootDir(root.display().to_string()));
    let m = menu::evaluate(&cfg, &options, &files);
    let ids: Vec<_> = m
        .entries
        .iter()
        .map(|n| n.head().id.clone().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            RHEL8_SAVED,
            "0123456789abcdef0123456789abcdef-4.18.0-240.1.1.el8_3.x86_64",
            "b486fe3f109f430d995b1ee093897980-0-rescue",
        ],
        "blscfg order is newest version first"
    );
    assert_eq!(m.default.value.as_deref(), Some(RHEL8_SAVED));
    assert!(!m.default.uncertain);
    assert_eq!(m.default.path, Some(vec![0]));
    assert_eq!(m.default.matched_by, vec![MatchedBy::Id]);

    let e = entry(&m, &[0]);
    assert!(e.head.unrestricted, "grub_arg --unrestricted");
    assert_eq!(e.head.classes, ["kernel"]);
    let (kernel, dev, cmdline) = linux_of(e);
    assert_eq!(kernel, "/boot/vmlinuz-4.18.0-240.15.1.el8_3.x86_64");
    let uuid = "949779ce-46aa-434e-8eb0-852514a5d69e";
    assert_eq!(
        dev,
        DeviceExpr::FsUuid {
            uuid: uuid.into(),
            hints: vec!["hd0,gpt2".into()],
            otherwise: Some(Box::new(DeviceExpr::Grub {
                name: "hd0,gpt2".into()
            }))
        }
    );
    // $kernelopts comes from the grubenv (the config's fallback is not used).
    assert!(
        cmdline.starts_with(&format!("root=UUID={uuid} ro console=ttyS0,115200n8")),
        "{cmdline}"
    );
    assert!(cmdline.contains("nvme_core.io_timeout=4294967295 crashkernel=auto"));
    let initrds: Vec<_> = e.initrds().iter().map(|f| f.path.clone()).collect();
    assert_eq!(
        initrds,
        ["/boot/initramfs-4.18.0-240.15.1.el8_3.x86_64.img"]
    );
    // The grubenv and three snippets were read, not the hidden one.
    let bls = m
        .files
        .iter()
        .filter(|f| f.kind == menu::FileKind::Bls)
        .count();
    assert_eq!(bls, 3);
    assert!(m.files.iter().any(|f| f.kind == menu::FileKind::Grubenv));

    // The same through the command line, as JSON.
    let out = support::bootvet_command()
        .args(["entries", "--json", "--platform", "pc", "--boot-dir"])
        .arg(root)
        .arg("--config")
        .arg(root.join("boot/grub2/grub.cfg"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], "bootvet.entries/1");
    assert_eq!(doc["default"]["path"], serde_json::json!([0]));
    assert_eq!(doc["entries"][0]["id"], RHEL8_SAVED);
    assert_eq!(
        doc["entries"][0]["commands"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["kind"] == "linux")
            .count(),
        1
    );
    // The document deserializes back into the model `check` consumes.
    let back: Menu = serde_json::from_value(doc).unwrap();
    assert_eq!(back.entries.len(), 3);
}

fn grubenv(vars: &[(&str, &str)]) -> Vec<u8> {
    let mut block = b"# GRUB Environment Block\n".to_vec();
    for (k, v) in vars {
        block.extend_from_slice(format!("{k}={v}\n").as_bytes());
    }
    block.resize(1024, b'#');
    block
}

#[test]
fn next_entry_wins_once_and_is_cleared_with_save_env() {
    let Some(cfg) = corpus_file("04-ubuntu2204-cloud.cfg") else {
        return;
    };
    let uuid = "e8328184-226c-4e5e-9635-8142cc114051";
    let recovery = format!("gnulinux-advanced-{uuid}>gnulinux-5.15.0-100-generic-recovery-{uuid}");
    let env = grubenv(&[("saved_entry", "0"), ("next_entry", &recovery)]);
    let files = MemoryFiles::new().with("/boot/grub/grubenv", env);
    let m = menu::evaluate(&cfg, &Options::default(), &files);
    assert_eq!(m.default.value.as_deref(), Some(recovery.as_str()));
    assert_eq!(m.default.path, Some(vec![1, 1]));
    assert_eq!(m.default.matched_by, vec![MatchedBy::Id, MatchedBy::Id]);
    let (_, _, cmdline) = linux_of(entry(&m, &[1, 1]));
    assert!(cmdline.contains("recovery nomodeset"), "{cmdline}");
    assert!(
        m.notes
            .iter()
            .any(|n| n.kind == NoteKind::SaveEnv && n.message.contains("next_entry=")),
        "{:?}",
        m.notes
    );

    // Without next_entry this config (GRUB_DEFAULT=0) ignores saved_entry.
    let files = MemoryFiles::new().with("/boot/grub/grubenv", grubenv(&[("saved_entry", "1>0")]));
    let m = menu::evaluate(&cfg, &Options::default(), &files);
    assert_eq!(m.default.value.as_deref(), Some("0"));
    assert_eq!(m.default.path, Some(vec![0]));
}

#[test]
fn malformed_1025_byte_grubenv_is_recorded_and_still_read() {
    let Some(cfg) = corpus_file("42-fedora17-submenu-savedefault.cfg") else {
        return;
    };
    let Some(env) = corpus_file("42-malformed-1025-bytes.grubenv") else {
        return;
    };
    assert_eq!(env.len(), 1025);
    let files = MemoryFiles::new().with("/boot/grub/grubenv", env);
    let m = menu::evaluate(&cfg, &Options::default(), &files);
    let note = m
        .notes
        .iter()
        .find(|n| n.kind == NoteKind::MalformedGrubenv)
        .expect("a malformed-grubenv note");
    assert!(note.message.contains("1025 bytes"), "{}", note.message);
    // GRUB reads the whole file, so saved_entry is still used; that title is not
    // in this menu, so GRUB boots entry 0.
    assert_eq!(
        m.default.value.as_deref(),
        Some("Linux, with Fedora 2.6.38.8-32.fc15.x86_64")
    );
    assert_eq!(m.default.matched_by, vec![MatchedBy::FellBack]);
    assert_eq!(m.default.path, Some(vec![0]));

    // A block without the signature loads nothing.
    let files = MemoryFiles::new().with("/boot/grub/grubenv", b"saved_entry=1\n".to_vec());
    let m = menu::evaluate(
        b"load_env\nset default=\"$saved_entry\"\nmenuentry a { true; }\nmenuentry b { true; }\n",
        &Options::default(),
        &files,
    );
    assert_eq!(m.default.value.as_deref(), Some(""));
    assert!(
        m.notes.iter().any(|n| n.kind == NoteKind::MalformedGrubenv
            && n.message.contains("invalid environment block"))
    );
}

#[test]
fn bls_entries_expand_kernelopts_and_default_kernelopts() {
    let Some(cfg) = corpus_file("33-fedora30-bls-default-kernelopts.cfg") else {
        return;
    };
    let Some(dir) = corpus() else { return };
    let mut files = MemoryFiles::new();
    for (name, to) in [
        (
            "43-boom-fedora42-lvm.conf",
            "aaaa-6.15.9-201.fc42.x86_64.conf",
        ),
        (
            "44-boom-fedora30-swapped-grub-keys.conf",
            "aaaa-5.4.7-100.fc30.x86_64.conf",
        ),
    ] {
        files.insert(
            &format!("/loader/entries/{to}"),
            std::fs::read(dir.join(name)).unwrap(),
        );
    }
    // A snippet without `options` gets $default_kernelopts (Fedora 30).
    files.insert(
        "/loader/entries/aaaa-5.0.9-301.fc30.x86_64.conf",
        b"title Fedora 30\nversion 5.0.9-301.fc30.x86_64\nlinux /vmlinuz-5.0.9\ninitrd /initramfs-5.0.9.img\n".to_vec(),
    );
    let m = menu::evaluate(&cfg, &opts(Platform::Efi), &files);
    let titles: Vec<_> = m.entries.iter().map(|n| n.head().title.clone()).collect();
    assert_eq!(
        titles[..3],
        ["MAPPER_TEST", "grub args", "Fedora 30"],
        "{titles:?}"
    );
    let (_, _, fedora42) = linux_of(entry(&m, &[0]));
    assert_eq!(
        fedora42,
        "root=/dev/mapper/fedora-root ro rd.lvm.lv=fedora/root rhgb quiet"
    );
    let (_, _, fedora30) = linux_of(entry(&m, &[2]));
    assert!(
        fedora30.starts_with("root=/dev/mapper/fedora_localhost--live-root ro resume="),
        "{fedora30}"
    );
    // Swapped keys: `grub_class --unrestricted` is a class, `grub_arg kernel` an argument.
    let swapped = &m.entries[1].head();
    assert_eq!(swapped.classes, ["--unrestricted"]);
    assert_eq!(swapped.extra_args, ["kernel"]);
    assert!(!swapped.unrestricted);
}

#[test]
fn if_else_on_platform() {
    let cfg = br#"
if [ "${grub_platform}" = "efi" ]; then
  menuentry 'Windows' { insmod chain; chainloader /EFI/Microsoft/Boot/bootmgfw.efi; }
else
  menuentry 'Windows (BIOS)' { insmod ntldr; ntldr /bootmgr; }
fi
if [ x$feature_timeout_style = xy ]; then set timeout=3; else set timeout=10; fi
"#;
    let efi = menu::evaluate(cfg, &opts(Platform::Efi), &NoFiles);
    assert_eq!(efi.entries.len(), 1);
    assert_eq!(efi.entries[0].head().title, "Windows");
    assert!(
        efi.entries[0].head().conditional.is_none(),
        "decided, not conditional"
    );
    assert_eq!(efi.timeout_seconds, Some(3));
    let pc = menu::evaluate(cfg, &opts(Platform::Pc), &NoFiles);
    assert_eq!(pc.entries.len(), 1);
    assert_eq!(pc.entries[0].head().title, "Windows (BIOS)");
    assert!(matches!(
        &entry(&pc, &[0]).commands.last().unwrap().kind,
        CommandKind::Load { command, .. } if command == "ntldr"
    ));
}

#[test]
fn undecidable_condition_follows_both_branches_and_marks_entries() {
    let cfg = br#"
if keystatus --shift; then
  menuentry 'Safe' { linux /vmlinuz nomodeset; }
else
  menuentry 'Normal' { linux /vmlinuz quiet; }
fi
menuentry 'Always' { if [ -f /custom ]; then linux /custom; else linux /vmlinuz; fi; }
"#;
    let m = menu::evaluate(cfg, &Options::default(), &NoFiles);
    let heads: Vec<_> = m
        .entries
        .iter()
        .map(|n| (n.head().title.clone(), n.head().conditional.clone()))
        .collect();
    assert_eq!(
        heads,
        [
            ("Safe".to_string(), Some("keystatus --shift".to_string())),
            (
                "Normal".to_string(),
                Some("! keystatus --shift".to_string())
            ),
            ("Always".to_string(), None),
        ]
    );
    let always = entry(&m, &[2]);
    let conds: Vec<_> = always
        .commands
        .iter()
        .map(|c| c.conditional.clone())
        .collect();
    assert_eq!(
        conds,
        [
            Some("[ -f /custom ]".to_string()),
            Some("! [ -f /custom ]".to_string())
        ]
    );
    // With the file present the condition is decided.
    let files = MemoryFiles::new().with("/custom", b"x".to_vec());
    let m = menu::evaluate(cfg, &Options::default(), &files);
    assert_eq!(linux_of(entry(&m, &[2])).0, "/custom");
    assert!(entry(&m, &[2]).commands[0].conditional.is_none());
}

#[test]
fn functions_with_arguments_define_and_fill_entries() {
    let cfg = br#"
function boot_kernel {
  linux /vmlinuz-$1 root=$2 ro "$3"
  initrd /initrd.img-$1
}
function add_entry {
  menuentry "Linux $1" "$1" "$2" --class os {
    boot_kernel $2 $3 "quiet splash"
  }
}
add_entry 6.1.0-18-amd64 /dev/sda2
add_entry 6.1.0-17-amd64 "UUID=1234"
"#;
    let m = menu::evaluate(cfg, &Options::default(), &NoFiles);
    assert_eq!(m.entries.len(), 2);
    let e = entry(&m, &[1]);
    assert_eq!(e.head.title, "Linux 6.1.0-17-amd64");
    assert_eq!(e.head.extra_args, ["6.1.0-17-amd64", "UUID=1234"]);
    assert_eq!(e.head.classes, ["os"]);
    let (kernel, dev, cmdline) = linux_of(e);
    assert_eq!(kernel, "/vmlinuz-6.1.0-17-amd64");
    assert_eq!(dev, DeviceExpr::PrefixDevice);
    // "quiet splash" was one argument: GRUB re-quotes it for the kernel.
    assert_eq!(cmdline, "root=UUID=1234 ro \"quiet splash\"");
    match &e.linux().unwrap().kind {
        CommandKind::Linux { params, .. } => {
            assert_eq!(params[0].key, "root");
            assert_eq!(params[0].value.as_deref(), Some("UUID=1234"));
            assert_eq!(params[2].key, "quiet splash");
        }
        _ => unreachable!(),
    }
    assert_eq!(e.initrds()[0].path, "/initrd.img-6.1.0-17-amd64");
}

#[test]
fn source_of_a_missing_file_is_recorded_and_the_rest_runs() {
    let cfg = b"source /boot/grub/custom.cfg\nsource /boot/grub/extra.cfg\nmenuentry after { linux /vmlinuz; }\n";
    let files = MemoryFiles::new().with(
        "/boot/grub/extra.cfg",
        b"menuentry 'from extra' { linux /extra; }\n".to_vec(),
    );
    let m = menu::evaluate(cfg, &Options::default(), &files);
    let titles: Vec<_> = m.entries.iter().map(|n| n.head().title.clone()).collect();
    assert_eq!(titles, ["from extra", "after"]);
    let missing: Vec<_> = m
        .notes
        .iter()
        .filter(|n| n.kind == NoteKind::MissingFile)
        .collect();
    assert_eq!(missing.len(), 1, "{:?}", m.notes);
    assert!(missing[0].message.contains("/boot/grub/custom.cfg"));
    let loc = missing[0].location.unwrap();
    assert_eq!((loc.file, loc.span.start), (0, 0));
    // The entry from the sourced file points into that file.
    let extra = entry(&m, &[0]);
    assert_eq!(
        m.files[extra.head.location.file].path,
        "/boot/grub/extra.cfg"
    );
}

#[test]
fn configfile_at_top_level_shows_the_new_menu() {
    let Some(stub) = corpus_file("05-ubuntu2204-efi-stub.cfg") else {
        return;
    };
    let Some(real) = corpus_file("04-ubuntu2204-cloud.cfg") else {
        return;
    };
    let files = MemoryFiles::new().with("/boot/grub/grub.cfg", real);
    let m = menu::evaluate(&stub, &opts(Platform::Efi), &files);
    assert_eq!(m.entries.len(), 2, "the Ubuntu menu");
    assert!(m.notes.iter().any(|n| n.kind == NoteKind::MenuReplaced));
    let (_, dev, _) = linux_of(entry(&m, &[0]));
    assert!(matches!(dev, DeviceExpr::FsUuid { .. }));
}

#[test]
fn search_forms_and_the_set_quirk() {
    let cfg = br#"
search.fs_uuid 1111-2222 root hd0,gpt1
menuentry a { linux /a; }
menuentry b { search --label --set=boot BOOT; set root=$boot; linux /b; }
menuentry c { search -f /vmlinuz --set; linux /c; }
menuentry d { search --fs-uuid --set 3333; linux /d; }
menuentry e { set root='(hd1,msdos2)'; linux /e; initrd (lvm/vg-root)/initrd; }
"#;
    let m = menu::evaluate(cfg, &Options::default(), &NoFiles);
    let dev = |i: usize| linux_of(entry(&m, &[i])).1;
    assert_eq!(
        dev(0),
        DeviceExpr::FsUuid {
            uuid: "1111-2222".into(),
            hints: vec!["hd0,gpt1".into()],
            otherwise: Some(Box::new(DeviceExpr::PrefixDevice))
        }
    );
    assert_eq!(
        dev(1),
        DeviceExpr::Label {
            label: "BOOT".into(),
            hints: vec![],
            otherwise: None
        }
    );
    assert_eq!(
        dev(2),
        DeviceExpr::File {
            path: "/vmlinuz".into(),
            hints: vec![],
            otherwise: Some(Box::new(DeviceExpr::FsUuid {
                uuid: "1111-2222".into(),
                hints: vec!["hd0,gpt1".into()],
                otherwise: Some(Box::new(DeviceExpr::PrefixDevice)),
            }))
        }
    );
    assert_eq!(
        dev(3),
        DeviceExpr::FsUuid {
            uuid: "3333".into(),
            hints: vec![],
            otherwise: Some(Box::new(DeviceExpr::FsUuid {
                uuid: "1111-2222".into(),
                hints: vec!["hd0,gpt1".into()],
                otherwise: Some(Box::new(DeviceExpr::PrefixDevice)),
            }))
        }
    );
    assert!(
        m.notes
            .iter()
            .any(|n| n.kind == NoteKind::BadCommand && n.message.contains("--set 3333"))
    );
    assert_eq!(
        dev(4),
        DeviceExpr::Grub {
            name: "hd1,msdos2".into()
        }
    );
    assert_eq!(
        entry(&m, &[4]).initrds()[0].device,
        DeviceExpr::Grub {
            name: "lvm/vg-root".into()
        }
    );
}

#[test]
fn word_splitting_follows_grub() {
    let cfg = br#"
set opts="quiet   splash"
set empty=""
menuentry 'x' $empty --class "$empty" {
  linux /vmlinuz $opts "$opts" $empty "$empty" a${empty}b 'acpi_osi=Windows 2015'
}
"#;
    let m = menu::evaluate(cfg, &Options::default(), &NoFiles);
    let e = entry(&m, &[0]);
    assert_eq!(e.head.classes, [""]);
    match &e.linux().unwrap().kind {
        CommandKind::Linux { args, cmdline, .. } => {
            assert_eq!(
                args,
                &[
                    "quiet",
                    "splash",
                    "quiet   splash",
                    "",
                    "ab",
                    "acpi_osi=Windows 2015"
                ]
            );
            assert_eq!(
                cmdline,
                "quiet splash \"quiet   splash\"  ab \"acpi_osi=Windows 2015\""
            );
        }
        _ => unreachable!(),
    }
}

#[test]
fn submenu_sees_only_exported_variables() {
    let cfg = br#"
set kopts=quiet
set shared=ro
export shared
submenu 'More' { menuentry 'k' { linux /vmlinuz $shared $kopts; } }
"#;
    let m = menu::evaluate(cfg, &Options::default(), &NoFiles);
    match &entry(&m, &[0, 0]).linux().unwrap().kind {
        CommandKind::Linux { cmdline, .. } => assert_eq!(cmdline, "ro"),
        _ => unreachable!(),
    }
}

#[test]
fn hostile_loops_and_recursion_terminate() {
    let cases: [&[u8]; 5] = [
        b"function f { f; }\nf\nmenuentry a { true; }\n",
        b"while true; do set x=$x$x$x$x; done\n",
        b"function g { menuentry \"$1\" { g; }; g x$1; }\ng\n",
        b"set x=0123456789abcdef\nfor i in 1 2 3 4 5 6 7 8 9 10 11 12; do set x=$x$x; done\nfor i in 1 2 3 4 5 6 7 8 9 10; do for j in 1 2 3 4 5 6 7 8 9 10; do for k in 1 2 3 4 5 6 7 8 9 10; do menuentry \"$x\" { linux /v $x $x $x $x; }; done; done; done\n",
        b"set a=1\nfor i in 1 2 3 4 5 6 7 8 9 10; do for j in 1 2 3 4 5 6 7 8 9 10; do for k in 1 2 3 4 5 6 7 8 9 10; do for l in 1 2 3 4 5 6 7 8 9 10; do for m in 1 2 3 4 5 6 7 8 9 10; do set a=$a; done; done; done; done; done\n",
    ];
    for cfg in cases {
        let m = menu::evaluate(cfg, &Options::default(), &NoFiles);
        let _ = serde_json::to_string(&m).unwrap();
    }
    let m = menu::evaluate(cases[0], &Options::default(), &NoFiles);
    assert!(m.notes.iter().any(|n| n.kind == NoteKind::LimitReached));
    assert_eq!(m.entries.len(), 1, "the rest of the file still runs");
    // 1000 entries with 32 KiB titles and 128 KiB command lines: the byte
    // budget stops recording commands.
    let m = menu::evaluate(cases[3], &Options::default(), &NoFiles);
    assert!(
        m.notes
            .iter()
            .any(|n| n.kind == NoteKind::LimitReached && n.message.contains("bytes"))
    );
}

#[test]
fn cli_without_a_config_file_exits_2() {
    let out = support::bootvet_command()
        .args(["entries", "--config", "/nonexistent/grub.cfg"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/grub.cfg"));
}

#[test]
fn cli_text_marks_the_entry_that_boots_next() {
    let Some(tmp) = rhel8_boot_dir() else { return };
    let root = tmp.path();
    let out = support::bootvet_command()
        .args([
            "entries",
            "--color",
            "never",
            "--platform",
            "efi",
            "--boot-dir",
        ])
        .arg(root)
        .arg("--config")
        .arg(root.join("boot/grub2/grub.cfg"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let marked: Vec<_> = text.lines().filter(|l| l.starts_with('*')).collect();
    assert_eq!(marked.len(), 1, "{text}");
    assert!(marked[0].contains("4.18.0-240.15.1.el8_3.x86_64"), "{text}");
    assert!(
        text.contains("root=: UUID=949779ce-46aa-434e-8eb0-852514a5d69e"),
        "{text}"
    );
}

/// The in-CI runner of the `menu` fuzz target: the same function over mutated
/// corpus files and random bytes, with a fixed seed.
#[test]
fn fuzz_parse_and_evaluate_never_panics() {
    let mut seeds: Vec<Vec<u8>> = vec![
        b"menuentry a { linux /v root=/dev/sda1; initrd /i; }\nset default=0\n".to_vec(),
        b"if [ -f /x ]; then submenu s { menuentry b { chainloader +1; }; }; fi\n".to_vec(),
        grubenv(&[("saved_entry", "1>0"), ("kernelopts", "ro")]),
        b"title a\nversion 1\nlinux /v\noptions $kernelopts\n".to_vec(),
    ];
    if let Some(dir) = corpus() {
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .collect();
        names.sort();
        for p in names {
            if p.extension().is_some_and(|e| e != "md") {
                seeds.push(std::fs::read(p).unwrap());
            }
        }
    }
    let mut rng = support::Rng::new(0x9e37_79b9_7f4a_7c15);
    let mut next = move || rng.next_u64();
    const TOKENS: &[&[u8]] = &[
        b"{",
        b"}",
        b";",
        b"\n",
        b"$",
        b"${1}",
        b"\"",
        b"'",
        b"\\",
        b"menuentry x ",
        b"submenu y ",
        b"source /boot/grub/custom.cfg\n",
        b"load_env\n",
        b"blscfg\n",
        b"function f { f; }\nf\n",
        b"while true; do ",
        b"done\n",
        b"if [ -f /x ]; then ",
        b"fi\n",
        b"set default=",
        b">",
        b"search --set ",
        b"configfile /boot/grub/grubenv\n",
        b"$@",
        b"\"$@\"",
        b"shift 99\n",
        b"return\n",
        b"break 3\n",
    ];
    // BOOTVET_FUZZ_ROUNDS=200000 for a longer local run.
    let rounds: usize = std::env::var("BOOTVET_FUZZ_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(2000);
    for round in 0..rounds {
        let mut data = seeds[(next() as usize) % seeds.len()].clone();
        let edits = 1 + next() % 8;
        for _ in 0..edits {
            let at = if data.is_empty() {
                0
            } else {
                (next() as usize) % data.len()
            };
            match next() % 4 {
                0 => {
                    let t = TOKENS[(next() as usize) % TOKENS.len()];
                    data.splice(at..at, t.iter().copied());
                }
                1 if !data.is_empty() => {
                    let end = (at + (next() as usize) % 16).min(data.len());
                    data.drain(at..end);
                }
                2 if !data.is_empty() => data[at] = next() as u8,
                _ => {
                    let len = (next() as usize) % 64;
                    let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
                    data.splice(at..at, bytes);
                }
            }
        }
        if round % 500 == 0 {
            data.truncate(4096);
        }
        menu::fuzz_evaluate(&data);
    }
}

#[test]
fn cli_platform_is_efi_for_an_esp_shaped_boot_dir() {
    let tmp = tempdir::TempDir::new("bootvet-esp");
    let root = tmp.path();
    write(&root.join("EFI/debian/grubx64.efi"), b"MZ");
    write(
        &root.join("EFI/debian/grub.cfg"),
        b"if [ \"$grub_platform\" = efi ]; then menuentry uefi { chainloader /EFI/debian/shimx64.efi; }; else menuentry bios { chainloader +1; }; fi\n",
    );
    let out = support::bootvet_command()
        .args(["entries", "--json", "--boot-dir"])
        .arg(root)
        .arg("--config")
        .arg(root.join("EFI/debian/grub.cfg"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["platform"], "efi");
    assert_eq!(doc["entries"][0]["title"], "uefi");
}

/// The JSON document is public API: this fixture pins `bootvet.entries/1` and
/// must keep deserializing into the model.
#[test]
fn json_schema_v1_is_pinned_by_a_fixture() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/entries");
    let out = support::bootvet_command()
        .current_dir(&dir)
        .args([
            "entries",
            "--json",
            "--platform",
            "pc",
            // The build named, not read from this host (its os-release).
            "--grub-flavour",
            "upstream",
            "--config",
            "schema-v1.cfg",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let actual = String::from_utf8(out.stdout).unwrap();
    let fixture = dir.join("schema-v1.json");
    if std::env::var_os("BOOTVET_BLESS").is_some() {
        std::fs::write(&fixture, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&fixture).unwrap();
    assert_eq!(actual, expected, "bootvet.entries/1 output changed");
    let doc: serde_json::Value = serde_json::from_str(&expected).unwrap();
    assert_eq!(doc["schema"], "bootvet.entries/1");
    let m: Menu = serde_json::from_value(doc).unwrap();
    assert_eq!(m.default.path, Some(vec![1, 0]));
    assert_eq!(m.fallback, [1], "GRUB stops at `x`");
    assert_eq!(m.modules, ["part_gpt"]);
}

#[test]
fn positional_parameters_follow_grub() {
    let cfg = br#"
function show {
  menuentry "n=$# first=$1" "$@" { linux /k $*; }
  shift
  menuentry "after shift n=$# first=$1" { true; }
  setparams "a b" c
  menuentry "setparams n=$# one=$1" "$@" { linux /k "$@" $2; }
}
show "x y" z
"#;
    let m = menu::evaluate(cfg, &Options::default(), &NoFiles);
    let titles: Vec<_> = m.entries.iter().map(|n| n.head().title.clone()).collect();
    assert_eq!(
        titles,
        [
            "n=2 first=x y",
            "after shift n=1 first=z",
            "setparams n=2 one=a b"
        ]
    );
    // In the body, $1 is the title and "$@" every argument, one word each.
    let args = |i: usize| match &entry(&m, &[i]).linux().unwrap().kind {
        CommandKind::Linux { args, .. } => args.clone(),
        _ => unreachable!(),
    };
    assert_eq!(args(0), ["n=2", "first=x", "y", "x", "y", "z"]);
    assert_eq!(args(2), ["setparams n=2 one=a b", "a b", "c", "a", "b"]);
}

#[test]
fn cli_with_no_grub_cfg_anywhere_exits_2() {
    let defaults = ["/boot/grub/grub.cfg", "/boot/grub2/grub.cfg"];
    let esp = std::fs::read_dir("/boot/efi/EFI")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .any(|e| e.path().join("grub.cfg").is_file())
        })
        .unwrap_or(false);
    if defaults.iter().any(|p| Path::new(p).is_file()) || esp {
        eprintln!("skipping: this machine has a grub.cfg in a default place");
        return;
    }
    let out = support::bootvet_command().arg("entries").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no grub.cfg found"));
}

#[test]
fn normal_with_a_file_reads_a_new_menu_like_configfile() {
    let files = MemoryFiles::new().with(
        "/boot/grub/real.cfg",
        b"menuentry real { linux /vmlinuz; }\n".to_vec(),
    );
    let m = menu::evaluate(
        b"normal /boot/grub/real.cfg\nmenuentry stub { true; }\n",
        &Options::default(),
        &files,
    );
    let titles: Vec<_> = m.entries.iter().map(|n| n.head().title.clone()).collect();
    assert_eq!(titles, ["real"]);
}
