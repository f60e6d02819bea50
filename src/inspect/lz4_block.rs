//! One lz4 block decoded the way the kernel decodes it: `LZ4_decompress_safe` of
//! lib/lz4/lz4_decompress.c (LZ4 1.8.3's decoder, `decode_full_block`, no
//! dictionary), which lib/decompress_unlz4.c calls for every chunk of a legacy
//! frame with an 8 MiB output capacity.
//!
//! The kernel's decoder does not check the lz4 format's end-of-block rules as the
//! format describes them: its shortcut for short sequences (literal length 0–14,
//! at least 16 input and 32 output bytes left) skips them, and only the other path
//! insists that literals near the end of the input or output end the block. This
//! decoder takes the same two paths on the same conditions, so that a block
//! decodes here exactly when it decodes at boot. One difference, on purpose: a
//! match offset of 0 (which no compressor writes, and which LZ4 1.8.3 turns into
//! zeros while later versions reject it) is corrupt here, as it was with lz4_flex.
//!
//! Speed (issue 19): bytes are moved in fixed 8- and 16-byte chunks, which compile
//! to single loads and stores, into `SLACK` bytes of scratch past the capacity,
//! like the kernel's wild copies; safe Rust, every index checked by the slice
//! operations, the conditions above keeping the chunks inside the buffers.

/// Scratch the output buffer needs past its capacity for the chunked copies.
pub(crate) const SLACK: usize = 64;

const MINMATCH: usize = 4;
/// The last 5 bytes of a block are literals.
const LASTLITERALS: usize = 5;
/// The last match starts at least 12 bytes before the end of the output.
const MFLIMIT: usize = 12;
const RUN_MASK: usize = 15;
const ML_MASK: usize = 15;

/// The block does not decode (the kernel's decoder returns a negative value).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Corrupt;

/// Decodes the block `src` into `out[..cap]` and returns its decoded length.
/// `out` must be at least `cap + SLACK` long: the bytes past the returned length
/// are overwritten as scratch. A shorter `out` lowers `cap` to fit.
pub(crate) fn decode(src: &[u8], out: &mut [u8], cap: usize) -> Result<usize, Corrupt> {
    let cap = cap.min(out.len().saturating_sub(SLACK));
    let iend = src.len();
    // The kernel's special cases before its main loop.
    if cap == 0 {
        return if src == [0] { Ok(0) } else { Err(Corrupt) };
    }
    if iend == 0 {
        return Err(Corrupt);
    }
    let mut ip = 0usize;
    let mut op = 0usize;
    loop {
        let token = usize::from(*src.get(ip).ok_or(Corrupt)?);
        ip += 1;
        let mut length = token >> 4;
        let offset;
        let mut ml = token & ML_MASK;
        // The kernel's shortcut ("ip < shortiend", "op <= shortoend"): 16 bytes of
        // literals copied whatever their length, then an 18-byte match when its
        // length is 4–18 and its offset at least 8.
        if length != RUN_MASK && ip + 16 < iend && op + 32 <= cap {
            out[op..op + 16].copy_from_slice(&src[ip..ip + 16]);
            op += length;
            ip += length;
            offset = le16(src, ip)?;
            ip += 2;
            if ml != ML_MASK && offset >= 8 && offset <= op {
                let m = op - offset;
                // Three copies in order: with an offset of 8 to 15 the second reads
                // what the first wrote, as the kernel's memcpy calls do. (8-byte
                // loads, not 16: a 16-byte load that straddles two recent stores
                // cannot be forwarded from them, and was slower.)
                out.copy_within(m..m + 8, op);
                out.copy_within(m + 8..m + 16, op + 8);
                out.copy_within(m + 16..m + 18, op + 16);
                op += ml + MINMATCH;
                continue;
            }
            // Otherwise on to the general match copy ("goto _copy_match").
        } else {
            if length == RUN_MASK {
                if ip + RUN_MASK >= iend {
                    return Err(Corrupt);
                }
                // The kernel stops reading length bytes 15 bytes before the end of
                // the input, even on a 255.
                loop {
                    let s = usize::from(src[ip]);
                    ip += 1;
                    length += s;
                    if !(ip + RUN_MASK < iend && s == 255) {
                        break;
                    }
                }
            }
            let cpy = op + length;
            if cpy + MFLIMIT > cap || ip + length + 2 + 1 + LASTLITERALS > iend {
                // Literals this close to either end must end the block, exactly at
                // the end of the input.
                if ip + length != iend || cpy > cap {
                    return Err(Corrupt);
                }
                out[op..cpy].copy_from_slice(&src[ip..iend]);
                return Ok(cpy);
            }
            // Here ip + length + 8 <= iend and cpy + 12 <= cap.
            if length <= 16 && ip + 16 <= iend {
                out[op..op + 16].copy_from_slice(&src[ip..ip + 16]);
            } else {
                out[op..cpy].copy_from_slice(&src[ip..ip + length]);
            }
            ip += length;
            op = cpy;
            offset = le16(src, ip)?;
            ip += 2;
        }
        // "_copy_match": the offset must stay inside the block.
        if offset > op || offset == 0 {
            return Err(Corrupt);
        }
        if ml == ML_MASK {
            loop {
                let s = usize::from(*src.get(ip).ok_or(Corrupt)?);
                ip += 1;
                if ip + LASTLITERALS > iend {
                    return Err(Corrupt);
                }
                ml += s;
                if s != 255 {
                    break;
                }
            }
        }
        ml += MINMATCH;
        let cpy = op + ml;
        // The last 5 bytes must be literals.
        if cpy + LASTLITERALS > cap {
            return Err(Corrupt);
        }
        copy_match(out, op, offset, ml);
        op = cpy;
    }
}

fn le16(src: &[u8], ip: usize) -> Result<usize, Corrupt> {
    match src.get(ip..ip + 2) {
        Some(&[a, b]) => Ok(usize::from(u16::from_le_bytes([a, b]))),
        _ => Err(Corrupt),
    }
}

/// Appends at `op` the `len` bytes that start `offset` bytes back, byte after byte
/// in effect (a match longer than its offset repeats its start). Needs
/// `op + len + 32 <= out.len()` and `1 <= offset <= op`.
fn copy_match(out: &mut [u8], op: usize, offset: usize, len: usize) {
    let m = op - offset;
    if offset >= 16 {
        // Each 16-byte chunk reads bytes at least 16 back: all already final.
        let mut i = 0;
        while i < len {
            out.copy_within(m + i..m + i + 16, op + i);
            i += 16;
        }
    } else if offset >= 8 {
        let mut i = 0;
        while i < len {
            out.copy_within(m + i..m + i + 8, op + i);
            i += 8;
        }
    } else if offset == 1 {
        let b = out[m];
        out[op..op + len].fill(b);
    } else {
        // A period shorter than 8: copy what is there, doubling it each time. The
        // span from `m` to the write position is always a whole number of periods,
        // so each copy continues the pattern.
        let mut done = 0;
        while done < len {
            let n = (op + done - m).min(len - done);
            out.copy_within(m..m + n, op + done);
            done += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(src: &[u8]) -> Result<Vec<u8>, Corrupt> {
        let mut out = vec![0u8; (8 << 20) + SLACK];
        let n = decode(src, &mut out, 8 << 20)?;
        out.truncate(n);
        Ok(out)
    }

    /// Pseudo-random bytes with runs and repeats at every distance, so that the
    /// compressor writes every kind of sequence.
    fn sample(seed: u64, len: usize) -> Vec<u8> {
        let mut x = seed | 1;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut v = Vec::with_capacity(len);
        while v.len() < len {
            let r = next();
            match r % 5 {
                0 => v.extend((0..r % 40).map(|_| next() as u8)),
                1 => v.extend(std::iter::repeat_n((r >> 8) as u8, (r % 300) as usize)),
                _ => {
                    let back = 1 + (r >> 8) as usize % 70_000;
                    let n = 4 + (r >> 30) as usize % 200;
                    if back <= v.len() {
                        for _ in 0..n {
                            v.push(v[v.len() - back]);
                        }
                    } else {
                        v.push(r as u8);
                    }
                }
            }
        }
        v.truncate(len);
        v
    }

    #[test]
    fn decodes_what_lz4_flex_compresses() {
        for (seed, len) in [(1, 0), (2, 1), (3, 13), (4, 100), (5, 5000), (6, 1 << 20)] {
            let data = sample(seed, len);
            let block = lz4_flex::block::compress(&data);
            assert_eq!(
                dec(&block).as_deref(),
                Ok(&data[..]),
                "seed {seed} len {len}"
            );
        }
    }

    #[test]
    fn overlapping_matches_repeat_their_start() {
        // Literals "abc", then a match of 20 at offset 3, then 5 literals.
        let mut src = vec![0x30 | 15, b'a', b'b', b'c', 3, 0, 1];
        src.extend([0x50, b'v', b'w', b'x', b'y', b'z']);
        let mut want = b"abc".to_vec();
        for _ in 0..20 {
            want.push(want[want.len() - 3]);
        }
        want.extend(b"vwxyz");
        assert_eq!(dec(&src), Ok(want));
    }

    #[test]
    fn refuses_what_the_kernel_refuses() {
        // Offset past the start of the block.
        assert_eq!(dec(&[0x14, b'a', 5, 0, 0x50, 1, 2, 3, 4, 5]), Err(Corrupt));
        // Offset 0.
        assert_eq!(dec(&[0x14, b'a', 0, 0, 0x50, 1, 2, 3, 4, 5]), Err(Corrupt));
        // Ends in a match (the last sequence must be literals).
        assert_eq!(dec(&[0x40, b'a', b'b', b'c', b'd', 4, 0]), Err(Corrupt));
        // Literals that run past the input.
        assert_eq!(dec(&[0x50, 1, 2]), Err(Corrupt));
        // Empty input; a capacity of 0 takes exactly one zero byte.
        assert_eq!(dec(&[]), Err(Corrupt));
        let mut out = [0u8; SLACK];
        assert_eq!(decode(&[0], &mut out, 0), Ok(0));
        assert_eq!(decode(&[0, 0], &mut out, 0), Err(Corrupt));
        // Output past the capacity.
        let data = vec![7u8; 1000];
        let block = lz4_flex::block::compress(&data);
        let mut small = vec![0u8; 999 + SLACK];
        assert_eq!(decode(&block, &mut small, 999), Err(Corrupt));
    }

    /// A block that ends in a match and an empty last literal run breaks the
    /// format's end-of-block rules. The kernel refuses it when its general path
    /// reads that match, and decodes it when its shortcut does (14 literals, at
    /// least 16 input bytes left): so does this decoder.
    #[test]
    fn the_shortcut_skips_the_end_of_block_rules_as_the_kernel_does() {
        // General path: 1 literal, a 4-byte match at offset 1, an empty run.
        assert_eq!(dec(&[0x10, b'a', 1, 0, 0x00]), Err(Corrupt));
        // Shortcut: 14 literals, a 4-byte match at offset 8, an empty run.
        let mut src = vec![0xe0];
        src.extend(b"abcdefghijklmn");
        src.extend([8, 0, 0x00]);
        assert_eq!(dec(&src).as_deref(), Ok(&b"abcdefghijklmnghij"[..]));
    }

    #[test]
    fn never_panics_on_mutated_blocks() {
        let data = sample(9, 20_000);
        let block = lz4_flex::block::compress(&data);
        let mut x = 0x1234_5678_9abc_def1u64;
        let mut out = vec![0u8; 40_000 + SLACK];
        for i in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mut b = block.clone();
            for k in 0..1 + (x % 4) {
                let at = (x >> (8 + 8 * k)) as usize % b.len();
                b[at] = (x >> (16 + k)) as u8;
            }
            if i % 7 == 0 {
                b.truncate((x >> 40) as usize % b.len());
            }
            let _ = decode(&b, &mut out, 40_000 - (i % 50));
        }
    }
}
