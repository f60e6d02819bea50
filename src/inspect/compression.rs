//! The compression methods the kernel can unpack an initramfs with, as its
//! `decompress_method` (lib/decompress.c) knows them: the names it prints, the
//! `CONFIG_RD_*` option each needs, and the two-byte magics that decide. A leaf
//! that the initrd walker, the kernel config reader and the modules reader share.

use serde::{Deserialize, Serialize};

/// A compression method, as the kernel's `decompress_method` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    Gzip,
    Bzip2,
    Lzma,
    Xz,
    Lzo,
    Lz4,
    Zstd,
}

impl Compression {
    /// The kernel's own name (used in "compression method %s not configured").
    pub fn kernel_name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Bzip2 => "bzip2",
            Compression::Lzma => "lzma",
            Compression::Xz => "xz",
            Compression::Lzo => "lzo",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        }
    }

    /// The kernel option that makes the kernel able to unpack this method.
    pub fn config_symbol(self) -> &'static str {
        match self {
            Compression::Gzip => "CONFIG_RD_GZIP",
            Compression::Bzip2 => "CONFIG_RD_BZIP2",
            Compression::Lzma => "CONFIG_RD_LZMA",
            Compression::Xz => "CONFIG_RD_XZ",
            Compression::Lzo => "CONFIG_RD_LZO",
            Compression::Lz4 => "CONFIG_RD_LZ4",
            Compression::Zstd => "CONFIG_RD_ZSTD",
        }
    }

    pub const ALL: [Compression; 7] = [
        Compression::Gzip,
        Compression::Bzip2,
        Compression::Lzma,
        Compression::Xz,
        Compression::Lzo,
        Compression::Lz4,
        Compression::Zstd,
    ];
}

/// The kernel's `decompress_method`: two bytes decide. `None` for fewer than two bytes
/// or an unknown pair ("invalid magic at start of compressed archive").
pub fn detect(magic: &[u8]) -> Option<Compression> {
    match magic {
        [0x1f, 0x8b, ..] | [0x1f, 0x9e, ..] => Some(Compression::Gzip),
        [b'B', b'Z', ..] => Some(Compression::Bzip2),
        [0x5d, 0x00, ..] => Some(Compression::Lzma),
        [0xfd, 0x37, ..] => Some(Compression::Xz),
        [0x89, 0x4c, ..] => Some(Compression::Lzo),
        [0x02, 0x21, ..] => Some(Compression::Lz4),
        [0x28, 0xb5, ..] => Some(Compression::Zstd),
        _ => None,
    }
}
