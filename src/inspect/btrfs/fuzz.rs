//! Body of the `btrfs` fuzz target (`fuzz/fuzz_targets/btrfs.rs`), also run by
//! the module's tests over random bytes and mutations of a real `mkfs.btrfs`
//! image. It must return for any input without panicking, in bounded time and
//! memory.

use super::{MAX_NODES, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE, parse_superblock, subvolumes};

/// The bytes taken as a device: the superblock at 64 KiB (or, for short inputs,
/// at the start), and every node read served from the same bytes.
pub fn btrfs(data: &[u8]) {
    let start = if data.len() >= SUPERBLOCK_OFFSET as usize + SUPERBLOCK_SIZE {
        SUPERBLOCK_OFFSET as usize
    } else {
        0
    };
    let Ok(sb) = parse_superblock(&data[start..]) else {
        return;
    };
    let mut reads = 0usize;
    let mut read = |at: u64, len: usize| -> Option<Vec<u8>> {
        reads += 1;
        assert!(reads <= MAX_NODES, "{reads} reads");
        let at = usize::try_from(at).ok()?;
        data.get(at..at.checked_add(len)?).map(<[u8]>::to_vec)
    };
    if let Ok(subs) = subvolumes(&sb, &mut read) {
        for s in &subs {
            assert!(!s.path.is_empty() && !s.path.starts_with('/'));
        }
    }
}
