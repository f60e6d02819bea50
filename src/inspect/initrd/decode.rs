//! The decoders an initrd's compressed segments go through, and the wrappers that
//! count what they consume and cap what they produce.

use std::io::{self, BufRead, Read};

use super::{Compression, Limits};

/// Counts the bytes a decoder consumes from the file, and whether it hit the end.
pub(super) struct Counted<'a, B> {
    pub(super) inner: &'a mut B,
    pub(super) consumed: u64,
    pub(super) saw_eof: bool,
}

impl<B: BufRead> Read for Counted<'_, B> {
    /// Through the inner reader's own `read`, so that a decoder reading a whole
    /// chunk (lz4's are megabytes) gets it from the file without the detour through
    /// the `BufReader`'s buffer once that is empty (issue 19: that copy was 8 % of
    /// `inspect --deep` on an lz4 initrd).
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            // Still notes the end of the input, as a look at the buffer would.
            self.fill_buf()?;
            return Ok(0);
        }
        let n = self.inner.read(out)?;
        if n == 0 {
            self.saw_eof = true;
        }
        self.consumed += n as u64;
        Ok(n)
    }
}

impl<B: BufRead> BufRead for Counted<'_, B> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let buf = self.inner.fill_buf()?;
        if buf.is_empty() {
            self.saw_eof = true;
        }
        Ok(buf)
    }
    fn consume(&mut self, n: usize) {
        self.inner.consume(n);
        self.consumed += n as u64;
    }
}

/// Caps the bytes a decoder may produce; past the cap it reports end of stream and
/// remembers why.
pub(super) struct Capped<R> {
    pub(super) inner: R,
    pub(super) left: u64,
    pub(super) hit: bool,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // Probe one byte: a stream that ends exactly at the cap is not a bomb.
            let mut one = [0u8; 1];
            if self.inner.read(&mut one)? > 0 {
                self.hit = true;
            }
            return Ok(0);
        }
        let k = (out.len() as u64).min(self.left) as usize;
        let n = self.inner.read(&mut out[..k])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// `Capped` for a decoder that serves its output in place (`BufRead`): the same
/// cap, counted as the walk consumes, and the same one-byte probe at the cap.
pub(super) struct CappedBuf<R> {
    pub(super) inner: R,
    pub(super) left: u64,
    pub(super) hit: bool,
}

impl<R: BufRead> Read for CappedBuf<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let buf = self.fill_buf()?;
        let n = buf.len().min(out.len());
        out[..n].copy_from_slice(&buf[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for CappedBuf<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.left == 0 {
            // A stream that ends exactly at the cap is not a bomb.
            if !self.inner.fill_buf()?.is_empty() {
                self.hit = true;
            }
            return Ok(&[]);
        }
        let left = self.left;
        let buf = self.inner.fill_buf()?;
        let k = (buf.len() as u64).min(left) as usize;
        Ok(&buf[..k])
    }

    fn consume(&mut self, n: usize) {
        let n = (n as u64).min(self.left);
        self.left -= n;
        self.inner.consume(n as usize);
    }
}

pub(super) const IN_BUF: usize = 256 << 10;
pub(super) const OUT_BUF: usize = 256 << 10;

pub(crate) fn decoder<'a, B: BufRead + 'a>(
    method: Compression,
    input: B,
    limits: &Limits,
) -> io::Result<Box<dyn Read + 'a>> {
    Ok(match method {
        Compression::Gzip => Box::new(crate::inspect::lz::KernelGzip::new(input)),
        Compression::Zstd => {
            let mut d = zstd::stream::read::Decoder::with_buffer(input)?.single_frame();
            // The kernel refuses windows above 1 << 27 ("too large a window size").
            d.window_log_max(27)?;
            Box::new(d)
        }
        Compression::Xz => {
            let s = liblzma::stream::Stream::new_stream_decoder(limits.lzma_memlimit, 0)
                .map_err(io::Error::other)?;
            Box::new(liblzma::bufread::XzDecoder::new_stream(input, s))
        }
        Compression::Lzma => {
            let s = liblzma::stream::Stream::new_lzma_decoder(limits.lzma_memlimit)
                .map_err(io::Error::other)?;
            Box::new(liblzma::bufread::XzDecoder::new_stream(input, s))
        }
        Compression::Bzip2 => Box::new(bzip2::bufread::BzDecoder::new(input)),
        Compression::Lz4 => Box::new(crate::inspect::lz::Lz4Legacy::new(input)),
        Compression::Lzo => Box::new(crate::inspect::lz::Lzop::new(input)),
    })
}

/// What the kernel's decompressor records for a failure, and whether that text was
/// checked against the kernel source.
pub(super) fn decompressor_message(method: Compression, truncated: bool) -> (&'static str, bool) {
    match (method, truncated) {
        // lib/decompress_inflate.c: the input runs out → nofill() → "read error";
        // a bad stream → "uncompression error".
        (Compression::Gzip, true) => ("read error", true),
        (Compression::Gzip, false) => ("uncompression error", true),
        // lib/decompress_unzstd.c
        (Compression::Zstd, true) => ("ZSTD-compressed data is truncated", true),
        (Compression::Zstd, false) => ("ZSTD-compressed data is corrupt", true),
        // lib/decompress_unxz.c: XZ_DATA_ERROR and XZ_BUF_ERROR (input ran out) alike.
        (Compression::Xz, _) => ("XZ-compressed data is corrupt", true),
        // lib/decompress_unlzo.c: input that runs out is "file corrupted".
        (Compression::Lzo, _) => ("file corrupted", true),
        // lib/decompress_unlz4.c: a cut last chunk leaves `size` negative → "data
        // corrupted" when the block still decodes; it may fail to decode first.
        (Compression::Lz4, _) => ("data corrupted", false),
        // bunzip2 and unlzma print their own text first; "decompressor failed" is what
        // unpack_to_rootfs adds, and what is shown when they do not.
        _ => ("decompressor failed", false),
    }
}
