//! The ext2/3/4 feature words bootvet reads beside libblkid
//! (`Filesystem::ext_features`, which BV4210 judges `rootfstype=ext2`/`ext3`
//! by), against what e2fsprogs' own `dumpe2fs -h` lists, on filesystems made
//! by mke2fs and on an ext3 converted to ext4 with tune2fs.

use std::path::Path;

use bootvet::facts::storage::ExtFeatures;
use bootvet::probe;

mod support;
use support::run;

/// Word (0 compat, 1 incompat, 2 ro_compat) and bit of each name e2fsprogs
/// (lib/e2p/feature.c) prints that mke2fs and tune2fs set here.
const NAMES: &[(&str, usize, u32)] = &[
    ("has_journal", 0, 0x4),
    ("ext_attr", 0, 0x8),
    ("resize_inode", 0, 0x10),
    ("dir_index", 0, 0x20),
    ("filetype", 1, 0x2),
    ("needs_recovery", 1, 0x4),
    ("extent", 1, 0x40),
    ("64bit", 1, 0x80),
    ("flex_bg", 1, 0x200),
    ("sparse_super", 2, 0x1),
    ("large_file", 2, 0x2),
    ("huge_file", 2, 0x8),
    ("uninit_bg", 2, 0x10),
    ("dir_nlink", 2, 0x20),
    ("extra_isize", 2, 0x40),
    ("metadata_csum", 2, 0x400),
];

/// The three words `dumpe2fs -h` describes for the filesystem in `img`.
fn dumpe2fs_words(img: &Path) -> ExtFeatures {
    let out = run("dumpe2fs", &["-h", img.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("Filesystem features:"))
        .expect("dumpe2fs prints the features");
    let mut words = [0u32; 3];
    for name in line.split_whitespace() {
        let (_, word, bit) = NAMES
            .iter()
            .find(|(n, _, _)| *n == name)
            .unwrap_or_else(|| panic!("feature {name} not in this test's table"));
        words[*word] |= bit;
    }
    ExtFeatures {
        compat: words[0],
        incompat: words[1],
        ro_compat: words[2],
    }
}

/// libblkid's type and bootvet's feature words of the whole-disk filesystem.
fn probed(img: &Path) -> (String, Option<ExtFeatures>) {
    let facts = probe::probe_images(&[img.to_path_buf()]).expect("probe image");
    let fs = facts.disks[0]
        .filesystem
        .as_ref()
        .expect("a whole-disk filesystem");
    (fs.fstype.clone(), fs.ext_features)
}

#[test]
fn feature_words_equal_dumpe2fs_on_each_format_and_a_converted_ext3() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, &[&str])] = &[
        ("ext2", "ext2", &[]),
        ("ext3", "ext3", &[]),
        ("ext4", "ext4", &[]),
        // The ext4 wiki's conversion of an ext3 root: libblkid calls it ext4
        // from then on, and the ext3 type refuses it.
        ("ext3", "converted", &["extent,uninit_bg,dir_index"]),
    ];
    for (mkfs_type, label, tune) in cases {
        let img = dir.path().join(format!("{label}.img"));
        let path = img.to_str().unwrap();
        run("truncate", &["-s", "64M", path]);
        run("mke2fs", &["-q", "-F", "-t", mkfs_type, path]);
        for features in *tune {
            run("tune2fs", &["-O", features, path]);
        }
        let (fstype, words) = probed(&img);
        assert_eq!(words, Some(dumpe2fs_words(&img)), "{label}");
        let blkid_type = if *label == "converted" {
            "ext4"
        } else {
            mkfs_type
        };
        assert_eq!(fstype, blkid_type, "{label}");
    }
}

#[test]
fn a_non_ext_filesystem_has_no_feature_words() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("fat.img");
    run(
        "mkfs.vfat",
        &["-C", img.to_str().unwrap(), &(32 * 1024).to_string()],
    );
    let (fstype, words) = probed(&img);
    assert_eq!((fstype.as_str(), words), ("vfat", None));
}
