//! Which of the kernel's ext2 and ext3 filesystem types mount an ext2/3/4
//! filesystem, from its superblock's feature words. Since Linux 4.3 the ext4
//! driver registers `ext3` (and `ext2` with EXT4_USE_FOR_EXT2); under those
//! names it refuses a filesystem with a feature the format never had
//! (fs/ext4/super.c `ext4_check_feature_compatibility`, `ext2_feature_set_ok`,
//! `ext3_feature_set_ok`, masks in fs/ext4/ext4.h; read in 6.12). The ext2
//! driver, where a kernel builds it instead, checks the same ext2 masks
//! (fs/ext2/super.c). The `ext4` type mounts all three formats and is not
//! judged here.

use crate::facts::storage::ExtFeatures;

const COMPAT_HAS_JOURNAL: u32 = 0x4;
/// `EXT2_FEATURE_INCOMPAT_SUPP`: filetype, meta_bg.
const EXT2_INCOMPAT: u32 = 0x2 | 0x10;
/// `EXT3_FEATURE_INCOMPAT_SUPP`: filetype, needs_recovery, meta_bg.
const EXT3_INCOMPAT: u32 = 0x2 | 0x4 | 0x10;
/// `EXT2_FEATURE_RO_COMPAT_SUPP` = `EXT3_…`: sparse_super, large_file, btree_dir.
const EXT23_RO_COMPAT: u32 = 0x1 | 0x2 | 0x4;

/// The names `dumpe2fs` (e2p) gives the incompat bits.
const INCOMPAT_NAMES: &[(u32, &str)] = &[
    (0x1, "compression"),
    (0x2, "filetype"),
    (0x4, "needs_recovery"),
    (0x8, "journal_dev"),
    (0x10, "meta_bg"),
    (0x40, "extent"),
    (0x80, "64bit"),
    (0x100, "mmp"),
    (0x200, "flex_bg"),
    (0x400, "ea_inode"),
    (0x1000, "dirdata"),
    (0x2000, "metadata_csum_seed"),
    (0x4000, "large_dir"),
    (0x8000, "inline_data"),
    (0x10000, "encrypt"),
    (0x20000, "casefold"),
];

/// The names `dumpe2fs` gives the ro_compat bits.
const RO_COMPAT_NAMES: &[(u32, &str)] = &[
    (0x1, "sparse_super"),
    (0x2, "large_file"),
    (0x4, "btree_dir"),
    (0x8, "huge_file"),
    (0x10, "uninit_bg"),
    (0x20, "dir_nlink"),
    (0x40, "extra_isize"),
    (0x80, "snapshot"),
    (0x100, "quota"),
    (0x200, "bigalloc"),
    (0x400, "metadata_csum"),
    (0x800, "replica"),
    (0x1000, "read-only"),
    (0x2000, "project"),
    (0x4000, "shared_blocks"),
    (0x8000, "verity"),
    (0x10000, "orphan_present"),
];

/// Why the kernel's `ext2` or `ext3` type refuses a filesystem.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Refusal {
    /// Features that format never had, by their dumpe2fs names.
    pub features: Vec<String>,
    /// ext3's own refusal: there is no journal.
    pub no_journal: bool,
}

impl Refusal {
    pub fn mounts(&self) -> bool {
        self.features.is_empty() && !self.no_journal
    }

    /// The reason in words, for the type `fstype`.
    pub fn describe(&self, fstype: &str) -> String {
        let mut parts = Vec::new();
        if !self.features.is_empty() {
            parts.push(format!(
                "it has {}, which the {fstype} format does not",
                self.features.join(", ")
            ));
        }
        if self.no_journal {
            parts.push("it has no journal".to_string());
        }
        parts.join("; ")
    }
}

/// Why the kernel's `ext2` or `ext3` type refuses a filesystem with
/// `features`, mounted read-only or not (nothing: it mounts). `None`: not one
/// of those two types.
pub fn refusal(fstype: &str, features: &ExtFeatures, read_only: bool) -> Option<Refusal> {
    let (incompat_known, needs_journal) = match fstype {
        "ext2" => (EXT2_INCOMPAT, false),
        "ext3" => (EXT3_INCOMPAT, true),
        _ => return None,
    };
    let mut why = Refusal {
        features: names(features.incompat & !incompat_known, INCOMPAT_NAMES),
        no_journal: needs_journal && features.compat & COMPAT_HAS_JOURNAL == 0,
    };
    // A read-only mount ignores the ro_compat features (that is their point).
    if !read_only {
        why.features.extend(names(
            features.ro_compat & !EXT23_RO_COMPAT,
            RO_COMPAT_NAMES,
        ));
    }
    Some(why)
}

/// The named bits of `bits`, and each unnamed one as hex.
fn names(bits: u32, table: &[(u32, &str)]) -> Vec<String> {
    (0..32)
        .map(|shift| 1u32 << shift)
        .filter(|bit| bits & bit != 0)
        .map(|bit| match table.iter().find(|(b, _)| *b == bit) {
            Some((_, name)) => (*name).to_string(),
            None => format!("{bit:#x}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// mke2fs 1.47's defaults (mke2fs.conf) for each type, read from real
    /// superblocks (`dumpe2fs -h`).
    const EXT4: ExtFeatures = ExtFeatures {
        compat: 0x3c,     // has_journal ext_attr resize_inode dir_index
        incompat: 0x2c2,  // filetype extent 64bit flex_bg
        ro_compat: 0x46b, // sparse_super large_file huge_file dir_nlink extra_isize metadata_csum
    };
    const EXT3: ExtFeatures = ExtFeatures {
        compat: 0x3c,
        incompat: 0x2,
        ro_compat: 0x3,
    };
    const EXT2: ExtFeatures = ExtFeatures {
        compat: 0x38,
        incompat: 0x2,
        ro_compat: 0x3,
    };

    fn refused_for(features: &[&str]) -> Option<Refusal> {
        Some(Refusal {
            features: features.iter().map(|f| f.to_string()).collect(),
            no_journal: false,
        })
    }

    #[test]
    fn ext3_refuses_ext4s_incompat_features_even_read_only() {
        let ro = refusal("ext3", &EXT4, true);
        assert_eq!(ro, refused_for(&["extent", "64bit", "flex_bg"]));
        assert_eq!(
            ro.unwrap_or_default().describe("ext3"),
            "it has extent, 64bit, flex_bg, which the ext3 format does not"
        );
        let rw = refusal("ext3", &EXT4, false).unwrap_or_default().features;
        assert!(rw.contains(&"huge_file".to_string()) && rw.contains(&"metadata_csum".into()));
    }

    #[test]
    fn each_type_mounts_its_own_format() {
        for ro in [true, false] {
            assert_eq!(refusal("ext3", &EXT3, ro), refused_for(&[]));
            assert_eq!(refusal("ext2", &EXT2, ro), refused_for(&[]));
            // ext2 ignores a journal; ext3 needs one.
            assert_eq!(refusal("ext2", &EXT3, ro), refused_for(&[]));
            let no_journal = refusal("ext3", &EXT2, ro).unwrap_or_default();
            assert!(no_journal.no_journal && !no_journal.mounts());
            assert_eq!(no_journal.describe("ext3"), "it has no journal");
        }
    }

    #[test]
    fn ro_compat_features_stop_only_a_read_write_mount() {
        let tuned = ExtFeatures {
            ro_compat: 0x3 | 0x8 | 0x20,
            ..EXT3
        };
        assert_eq!(refusal("ext3", &tuned, true), refused_for(&[]));
        assert_eq!(
            refusal("ext3", &tuned, false),
            refused_for(&["huge_file", "dir_nlink"])
        );
    }

    #[test]
    fn a_journal_needing_recovery_stops_ext2_not_ext3() {
        let dirty = ExtFeatures {
            incompat: 0x2 | 0x4,
            ..EXT3
        };
        assert_eq!(refusal("ext3", &dirty, true), refused_for(&[]));
        assert_eq!(
            refusal("ext2", &dirty, true),
            refused_for(&["needs_recovery"])
        );
        assert_eq!(refusal("ext4", &dirty, true), None);
        assert_eq!(
            names(0x8000_0000, INCOMPAT_NAMES),
            vec!["0x80000000".to_string()]
        );
    }
}
