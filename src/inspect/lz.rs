//! Streaming readers for the containers no crate reads the way the kernel does: the
//! lz4 legacy frame (`lz4 -l`, magic `02 21 4c 18`), lzop's container around lzo1x
//! blocks, and gzip as lib/decompress_inflate.c reads it (no CRC check). Fixed buffers (one block in, one block out); sizes from the input are
//! checked against the kernel's own block limits before anything is allocated.

use std::io::{self, BufRead, Read};

use super::lz4_block;

const LZ4_LEGACY_MAGIC: u32 = 0x184c_2102;
/// The legacy format's fixed uncompressed block size.
const LZ4_BLOCK: usize = 8 << 20;
/// LZ4_compressBound(8 MiB): a larger chunk cannot be a legacy block.
const LZ4_BOUND: usize = LZ4_BLOCK + LZ4_BLOCK / 255 + 16;

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

/// Reads up to `out.len()` bytes; returns how many (fewer only at end of input).
fn read_full<R: Read>(r: &mut R, out: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < out.len() {
        match r.read(&mut out[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

fn exact<R: Read>(r: &mut R, out: &mut [u8]) -> io::Result<()> {
    if read_full(r, out)? < out.len() {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "input ends inside a block",
        ));
    }
    Ok(())
}

/// A decoder that decodes a block at a time into a buffer that `read` then serves.
trait BlockDecoder {
    /// The decoded block, how much of it was served, and whether the stream ended.
    fn output(&mut self) -> (&[u8], &mut usize, bool);
    /// Decodes the next block into the buffer (or marks the end of the stream).
    fn next_block(&mut self) -> io::Result<()>;
}

/// What a block decoder holds between blocks, whatever its container format.
#[derive(Default)]
struct Blocks {
    /// The stream header has been read.
    started: bool,
    /// The end of the stream was seen.
    done: bool,
    /// The compressed bytes of the current block.
    chunk: Vec<u8>,
    /// The decoded block, and how much of it `read` has served.
    out: Vec<u8>,
    out_pos: usize,
}

/// `Read::read` for a block decoder: serves the block, decoding the next one when
/// it is used up.
fn read_blocks(decoder: &mut impl BlockDecoder, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        let (out, pos, done) = decoder.output();
        if *pos < out.len() {
            let n = (out.len() - *pos).min(buf.len());
            buf[..n].copy_from_slice(&out[*pos..*pos + n]);
            *pos += n;
            return Ok(n);
        }
        if done {
            return Ok(0);
        }
        decoder.next_block()?;
    }
}

/// lz4 legacy frame decoder. The format has no end marker: it ends at the end of the
/// input or at a zero chunk size (padding), as the kernel treats it.
pub struct Lz4Legacy<B> {
    input: B,
    /// The stream header has been read.
    started: bool,
    /// The end of the stream was seen.
    done: bool,
    /// The compressed bytes of the current chunk.
    chunk: Vec<u8>,
    /// The decoded block in `out[..out_len]` (the rest is the block decoder's
    /// scratch, kept between blocks so that it is allocated and zeroed once), and
    /// how much of it has been served.
    out: Vec<u8>,
    out_len: usize,
    out_pos: usize,
}

impl<B: BufRead> Lz4Legacy<B> {
    pub fn new(input: B) -> Self {
        Lz4Legacy {
            input,
            started: false,
            done: false,
            chunk: Vec::new(),
            out: Vec::new(),
            out_len: 0,
            out_pos: 0,
        }
    }

    /// Decodes the next chunk into `out` (or marks the end of the stream), as
    /// lib/decompress_unlz4.c walks the chunks.
    fn next_block(&mut self) -> io::Result<()> {
        if !self.started {
            let mut m = [0u8; 4];
            exact(&mut self.input, &mut m)?;
            if u32::from_le_bytes(m) != LZ4_LEGACY_MAGIC {
                return Err(kernel_says("invalid header"));
            }
            self.started = true;
        }
        loop {
            // Peek the size word so that padding after the last block is left for the
            // caller (the kernel skips it as padding between segments).
            let buf = self.input.fill_buf()?;
            if buf.is_empty() || (buf.len() >= 4 && buf[..4] == [0, 0, 0, 0]) {
                self.done = true;
                return Ok(());
            }
            let mut w = [0u8; 4];
            exact(&mut self.input, &mut w)?;
            let size = u32::from_le_bytes(w);
            if size == LZ4_LEGACY_MAGIC {
                continue;
            }
            if size == 0 {
                self.done = true;
                return Ok(());
            }
            let size = size as usize;
            if size > LZ4_BOUND {
                return Err(invalid("lz4 chunk length is longer than allocated"));
            }
            self.chunk.resize(size, 0);
            exact(&mut self.input, &mut self.chunk)?;
            if self.out.len() < LZ4_BLOCK + lz4_block::SLACK {
                self.out.resize(LZ4_BLOCK + lz4_block::SLACK, 0);
            }
            // The kernel's output capacity for a chunk is the legacy block size.
            self.out_len = lz4_block::decode(&self.chunk, &mut self.out, LZ4_BLOCK)
                .map_err(|_| kernel_says("Decoding failed"))?;
            self.out_pos = 0;
            return Ok(());
        }
    }
}

impl<B: BufRead> Read for Lz4Legacy<B> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

/// The decoded block as it is, for a reader that walks it in place: an initrd's
/// cpio walk reads lz4 blocks without the copy into a `BufReader` (issue 19: that
/// copy was a fifth of `inspect --deep`'s time on an lz4 initrd). The bytes and
/// the errors come in the same order as through `read`.
impl<B: BufRead> BufRead for Lz4Legacy<B> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.out_pos >= self.out_len && !self.done {
            self.next_block()?;
        }
        Ok(&self.out[self.out_pos.min(self.out_len)..self.out_len])
    }

    fn consume(&mut self, n: usize) {
        self.out_pos = (self.out_pos + n).min(self.out_len);
    }
}

const LZOP_MAGIC: [u8; 9] = [0x89, b'L', b'Z', b'O', 0x00, 0x0d, 0x0a, 0x1a, 0x0a];
/// The kernel's `LZO_BLOCK_SIZE` in lib/decompress_unlzo.c (and lzop's default).
const LZO_BLOCK: usize = 256 << 10;
const F_H_FILTER: u32 = 0x800;

/// lzop container decoder (one file per stream, as the kernel reads it).
pub struct Lzop<B> {
    input: B,
    state: Blocks,
}

fn be16<R: Read>(r: &mut R) -> io::Result<u16> {
    let mut b = [0u8; 2];
    exact(r, &mut b)?;
    Ok(u16::from_be_bytes(b))
}
fn be32<R: Read>(r: &mut R) -> io::Result<u32> {
    let mut b = [0u8; 4];
    exact(r, &mut b)?;
    Ok(u32::from_be_bytes(b))
}
fn skip<R: Read>(r: &mut R, n: u64) -> io::Result<()> {
    let got = io::copy(&mut r.take(n), &mut io::sink())?;
    if got < n {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "input ends inside the lzop header",
        ));
    }
    Ok(())
}

impl<B: BufRead> Lzop<B> {
    pub fn new(input: B) -> Self {
        Lzop {
            input,
            state: Blocks::default(),
        }
    }

    /// The header as lib/decompress_unlzo.c's `parse_header` reads it (which is not
    /// quite lzop's format: it always skips a "version needed" field, ignores the method
    /// and cannot skip an extra field), so that bootvet fails where the kernel fails.
    fn header(&mut self) -> io::Result<()> {
        let r = &mut self.input;
        let mut m = [0u8; 9];
        if read_full(r, &mut m)? < 9 || m != LZOP_MAGIC {
            return Err(kernel_says("invalid header"));
        }
        let version = be16(r)?;
        skip(r, 5)?; // library version, version needed, method
        if version >= 0x0940 {
            skip(r, 1)?; // level
        }
        let flags = be32(r)?;
        if flags & F_H_FILTER != 0 {
            skip(r, 4)?;
        }
        skip(r, 8)?; // mode, mtime low
        if version >= 0x0940 {
            skip(r, 4)?; // mtime high
        }
        let mut l = [0u8; 1];
        exact(r, &mut l)?;
        skip(r, u64::from(l[0]) + 4)?; // name, header checksum
        Ok(())
    }
}

impl<B: BufRead> BlockDecoder for Lzop<B> {
    fn output(&mut self) -> (&[u8], &mut usize, bool) {
        (&self.state.out, &mut self.state.out_pos, self.state.done)
    }

    fn next_block(&mut self) -> io::Result<()> {
        if !self.state.started {
            self.header()?;
            self.state.started = true;
        }
        let r = &mut self.input;
        let corrupted = |e: io::Error| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                kernel_says("file corrupted")
            } else {
                e
            }
        };
        let dst_len = be32(r).map_err(corrupted)? as usize;
        if dst_len == 0 {
            self.state.done = true;
            return Ok(());
        }
        if dst_len > LZO_BLOCK {
            return Err(kernel_says("dest len longer than block size"));
        }
        let src_len = be32(r).map_err(corrupted)? as usize;
        // The kernel skips one 4-byte checksum whatever the flags say (lzop's default:
        // adler32 of the uncompressed block).
        skip(r, 4).map_err(corrupted)?;
        if src_len == 0 || src_len > dst_len {
            return Err(kernel_says("file corrupted"));
        }
        self.state.chunk.resize(src_len, 0);
        exact(r, &mut self.state.chunk).map_err(corrupted)?;
        self.state.out.resize(dst_len, 0);
        if src_len == dst_len {
            self.state.out.copy_from_slice(&self.state.chunk);
        } else {
            lzo1x::decompress(&self.state.chunk, &mut self.state.out)
                .map_err(|_| kernel_says("Compressed data violation"))?;
        }
        self.state.out_pos = 0;
        Ok(())
    }
}

impl<B: BufRead> Read for Lzop<B> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_blocks(self, buf)
    }
}

/// A decoder error whose text is exactly what the kernel's decompressor prints.
#[derive(Debug)]
pub struct KernelSays(pub &'static str);

impl std::fmt::Display for KernelSays {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for KernelSays {}

/// The gzip data is whole but its 8-byte trailer is cut: the kernel has unpacked
/// everything, then steps its position past the end of the initrd.
#[derive(Debug)]
pub struct GzipTrailerCut;

impl std::fmt::Display for GzipTrailerCut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("input ends inside the gzip trailer")
    }
}

impl std::error::Error for GzipTrailerCut {}

fn kernel_says(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, KernelSays(msg))
}

/// gzip read the way lib/decompress_inflate.c reads it, not the way gzip(1) does: the
/// header must be `1f 8b 08`, only FNAME is skipped (FEXTRA and FCOMMENT are not
/// understood), the raw deflate stream follows, and the 8-byte trailer is skipped
/// without checking the CRC or the size.
pub struct KernelGzip<B: BufRead> {
    state: GzState<B>,
}

enum GzState<B: BufRead> {
    Header(Option<B>),
    Body(flate2::bufread::DeflateDecoder<B>),
    Done,
}

impl<B: BufRead> KernelGzip<B> {
    pub fn new(input: B) -> Self {
        KernelGzip {
            state: GzState::Header(Some(input)),
        }
    }
}

impl<B: BufRead> Read for KernelGzip<B> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match &mut self.state {
                GzState::Header(input) => {
                    let Some(mut r) = input.take() else {
                        return Ok(0);
                    };
                    let mut h = [0u8; 10];
                    if read_full(&mut r, &mut h)? < 10 || h[..3] != [0x1f, 0x8b, 0x08] {
                        return Err(kernel_says("Not a gzip file"));
                    }
                    if h[3] & 0x08 != 0 {
                        loop {
                            let mut b = [0u8; 1];
                            if read_full(&mut r, &mut b)? == 0 {
                                return Err(kernel_says("header error"));
                            }
                            if b[0] == 0 {
                                break;
                            }
                        }
                    }
                    self.state = GzState::Body(flate2::bufread::DeflateDecoder::new(r));
                }
                GzState::Body(d) => {
                    let n = d.read(buf)?;
                    if n > 0 || buf.is_empty() {
                        return Ok(n);
                    }
                    // The deflate stream ended; the trailer is skipped unchecked.
                    let mut trailer = [0u8; 8];
                    if read_full(d.get_mut(), &mut trailer)? < 8 {
                        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, GzipTrailerCut));
                    }
                    self.state = GzState::Done;
                }
                GzState::Done => return Ok(0),
            }
        }
    }
}
