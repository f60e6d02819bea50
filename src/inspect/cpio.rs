//! The newc/crc cpio walker, with the kernel's rules (`init/initramfs.c`): which bytes may
//! sit between entries, when padding is "broken", what ends an archive. It walks a
//! `BufRead` stream of any length in fixed memory, hands each entry to the caller, and
//! captures a body only when the caller asks (bounded). It never decompresses, never
//! opens a file and never keeps the archive.

use std::io::{self, BufRead};

/// Size of a newc header.
pub const HEADER_LEN: usize = 110;
/// The kernel ignores names longer than this (it skips the entry).
pub const PATH_MAX: u64 = 4096;

/// The kernel's `N_ALIGN`: header plus name, padded to 4 bytes, minus the header.
pub fn n_align(name_len: u64) -> u64 {
    ((name_len.saturating_add(1)) & !3).saturating_add(2)
}

/// One parsed header. Fields the kernel reads; hex is parsed as `simple_strtoul` does
/// (leading hex digits, stops at the first other byte), so a lying header is read the
/// way the kernel reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub crc: bool,
    pub ino: u64,
    pub mode: u32,
    pub nlink: u64,
    pub mtime: u64,
    pub filesize: u64,
    pub namesize: u64,
    pub check: u32,
}

pub const S_IFMT: u32 = 0o170000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFLNK: u32 = 0o120000;

impl Header {
    pub fn is_regular(&self) -> bool {
        self.mode & S_IFMT == S_IFREG
    }
    pub fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }
}

/// What is wrong with a 110-byte header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderFault {
    /// `070707`: an old portable (odc) archive, made without `-H newc`.
    OldFormat,
    NoMagic,
}

fn hex_field(field: &[u8]) -> u64 {
    let mut v: u64 = 0;
    for &b in field {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => break,
        };
        v = (v << 4) | u64::from(d);
    }
    v
}

pub fn parse_header(b: &[u8; HEADER_LEN]) -> Result<Header, HeaderFault> {
    let crc = match &b[..6] {
        b"070701" => false,
        b"070702" => true,
        b"070707" => return Err(HeaderFault::OldFormat),
        _ => return Err(HeaderFault::NoMagic),
    };
    let f = |i: usize| hex_field(&b[6 + i * 8..6 + i * 8 + 8]);
    Ok(Header {
        crc,
        ino: f(0),
        mode: f(1) as u32,
        nlink: f(4),
        mtime: f(5),
        filesize: f(6),
        namesize: f(11),
        check: f(12) as u32,
    })
}

/// A `BufRead` with the absolute position of the next byte.
pub struct Source<B> {
    inner: B,
    pos: u64,
}

impl<B: BufRead> Source<B> {
    pub fn new(inner: B, pos: u64) -> Self {
        Source { inner, pos }
    }
    pub fn pos(&self) -> u64 {
        self.pos
    }
    /// Moves the position on by bytes consumed through `get_mut`.
    pub fn advance(&mut self, n: u64) {
        self.pos += n;
    }
    pub fn get_mut(&mut self) -> &mut B {
        &mut self.inner
    }
    pub fn into_inner(self) -> B {
        self.inner
    }
    pub fn peek(&mut self) -> io::Result<Option<u8>> {
        Ok(self.inner.fill_buf()?.first().copied())
    }
    fn consume(&mut self, n: usize) {
        self.inner.consume(n);
        self.pos += n as u64;
    }
    /// Reads as much of `out` as the stream holds; fewer bytes means end of stream.
    pub fn read_full(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let mut got = 0;
        while got < out.len() {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let n = buf.len().min(out.len() - got);
            out[got..got + n].copy_from_slice(&buf[..n]);
            self.consume(n);
            got += n;
        }
        Ok(got)
    }
    /// Skips `n` bytes, feeding them to `each` (checksums, captures); returns how many
    /// were there.
    pub fn skip_with(&mut self, n: u64, mut each: impl FnMut(&[u8])) -> io::Result<u64> {
        let mut left = n;
        while left > 0 {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let k = (buf.len() as u64).min(left) as usize;
            each(&buf[..k]);
            self.consume(k);
            left -= k as u64;
        }
        Ok(n - left)
    }
    pub fn skip(&mut self, n: u64) -> io::Result<u64> {
        self.skip_with(n, |_| {})
    }
    /// Skips a run of zero bytes; returns its length.
    pub fn skip_zeros(&mut self) -> io::Result<u64> {
        let mut total = 0u64;
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                return Ok(total);
            }
            let k = buf.iter().position(|&b| b != 0).unwrap_or(buf.len());
            let more = k == buf.len();
            self.consume(k);
            total += k as u64;
            if !more {
                return Ok(total);
            }
        }
    }
}

/// Where the walk happens: at the top of the initrd (uncompressed archives, which end
/// where a compressed segment starts) or inside a decompressed stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    TopLevel,
    /// `after_entries`: the kernel's state machine is in `Reset` (an archive came
    /// before), so a first byte that is not `0` is junk rather than a missing magic.
    Inner {
        after_entries: bool,
    },
}

/// One entry as the walker saw it.
#[derive(Debug)]
pub struct Entry<'a> {
    /// Offset of the header in the walked stream.
    pub offset: u64,
    pub header: Header,
    /// The name without its NUL, as stored (may start with `./` or `/`).
    pub name: &'a [u8],
}

/// What the caller wants of an entry's body.
pub enum Body {
    Skip,
    /// Capture up to this many bytes (more is skipped and marked cut).
    Capture(usize),
}

/// Why the walk stopped without a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The stream ended on an entry boundary (the kernel's `Reset` state).
    End,
    /// Top level: the next byte is not an aligned `0`; a compressed segment may start.
    NotCpio,
    /// The caller asked to stop (a limit).
    Caller,
}

/// A fault in the archive, with the kernel's own words where it has some.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    NoMagic,
    OldFormat,
    BrokenPadding,
    JunkWithin,
    /// The stream ended inside an entry (header, name or body).
    EndInsideEntry {
        entry_offset: u64,
    },
    BadChecksum {
        name: String,
    },
}

impl Fault {
    /// What `unpack_to_rootfs` records for this fault (the text after `Initramfs
    /// unpacking failed: `). `None`: the kernel says nothing (a truncated uncompressed
    /// archive is silently unpacked as far as it goes).
    pub fn kernel_message(&self, place: Place) -> Option<&'static str> {
        match self {
            Fault::NoMagic => Some("no cpio magic"),
            Fault::OldFormat => Some("incorrect cpio method used: use -H newc option"),
            Fault::BrokenPadding => Some("broken padding"),
            Fault::JunkWithin => Some("junk within compressed archive"),
            Fault::EndInsideEntry { .. } => match place {
                Place::TopLevel => None,
                Place::Inner { .. } => Some("junk at the end of compressed archive"),
            },
            Fault::BadChecksum { .. } => Some("bad data checksum"),
        }
    }
}

#[derive(Debug)]
pub enum WalkError {
    /// The stream itself failed (a decompressor error); `at` is the stream position.
    Io {
        at: u64,
        error: io::Error,
    },
    Cpio {
        at: u64,
        fault: Fault,
    },
}

/// Counters of one walk.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub entries: u64,
    pub trailers: u64,
}

/// Callbacks of a walk: `entry` decides about each body, or stops the walk (`None`);
/// `body` receives captured bodies.
pub trait Visitor {
    fn entry(&mut self, entry: &Entry<'_>) -> Option<Body>;
    fn body(&mut self, entry: &Entry<'_>, body: &[u8], cut: bool);
}

/// Walks entries from the current position until the stream ends, a fault, or (top
/// level) bytes that are not an archive. Memory: one name buffer (≤ PATH_MAX) plus
/// whatever the visitor captures.
pub fn walk<B: BufRead, V: Visitor>(
    src: &mut Source<B>,
    place: Place,
    counts: &mut Counts,
    visitor: &mut V,
) -> Result<Stop, WalkError> {
    let io_err = |src: &Source<B>, error| WalkError::Io {
        at: src.pos(),
        error,
    };
    let mut name_buf: Vec<u8> = Vec::new();
    let mut capture: Vec<u8> = Vec::new();
    // Inside a stream the kernel starts in `Reset` after earlier archives, otherwise
    // in `Start`, where the first byte must begin a header.
    let mut at_start = matches!(
        place,
        Place::Inner {
            after_entries: false
        }
    );
    loop {
        if !at_start {
            // `do_reset`: eat zeros; data after them must be 4-byte aligned.
            src.skip_zeros().map_err(|e| io_err(src, e))?;
            let next = src.peek().map_err(|e| io_err(src, e))?;
            let Some(next) = next else {
                return Ok(Stop::End);
            };
            if src.pos() & 3 != 0 {
                return Err(WalkError::Cpio {
                    at: src.pos(),
                    fault: Fault::BrokenPadding,
                });
            }
            if next != b'0' {
                return match place {
                    Place::TopLevel => Ok(Stop::NotCpio),
                    Place::Inner { .. } => Err(WalkError::Cpio {
                        at: src.pos(),
                        fault: Fault::JunkWithin,
                    }),
                };
            }
        } else if src.peek().map_err(|e| io_err(src, e))?.is_none() {
            // An empty stream leaves the kernel in `Start`, not `Reset`.
            return Err(WalkError::Cpio {
                at: src.pos(),
                fault: Fault::EndInsideEntry {
                    entry_offset: src.pos(),
                },
            });
        }
        at_start = false;
        let entry_offset = src.pos();
        let truncated = |_: &Source<B>| WalkError::Cpio {
            at: entry_offset,
            fault: Fault::EndInsideEntry { entry_offset },
        };
        let mut raw = [0u8; HEADER_LEN];
        let got = src.read_full(&mut raw).map_err(|e| io_err(src, e))?;
        if got < HEADER_LEN {
            // A short header that does not even carry the magic is still a short entry
            // to the kernel: it collects the 110 bytes before looking at them.
            return Err(truncated(src));
        }
        let header = parse_header(&raw).map_err(|fault| WalkError::Cpio {
            at: entry_offset,
            fault: match fault {
                HeaderFault::OldFormat => Fault::OldFormat,
                HeaderFault::NoMagic => Fault::NoMagic,
            },
        })?;
        counts.entries += 1;
        let name_field = n_align(header.namesize);
        let name_keep = header.namesize.min(PATH_MAX) as usize;
        name_buf.clear();
        name_buf.resize(name_keep, 0);
        let got = src.read_full(&mut name_buf).map_err(|e| io_err(src, e))?;
        if got < name_keep {
            return Err(truncated(src));
        }
        let rest = name_field - name_keep as u64;
        if src.skip(rest).map_err(|e| io_err(src, e))? < rest {
            return Err(truncated(src));
        }
        let name_len = name_buf
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(name_buf.len());
        let name = &name_buf[..name_len];
        let entry = Entry {
            offset: entry_offset,
            header,
            name,
        };
        if name == b"TRAILER!!!" {
            counts.trailers += 1;
        }
        let Some(want) = visitor.entry(&entry) else {
            return Ok(Stop::Caller);
        };
        let body_len = header.filesize;
        let mut sum: u32 = 0;
        let check = header.crc && header.is_regular();
        capture.clear();
        let cap = match want {
            Body::Skip => 0,
            Body::Capture(n) => n,
        };
        let got = src
            .skip_with(body_len, |chunk| {
                if check {
                    for &b in chunk {
                        sum = sum.wrapping_add(u32::from(b));
                    }
                }
                if capture.len() < cap {
                    let k = (cap - capture.len()).min(chunk.len());
                    capture.extend_from_slice(&chunk[..k]);
                }
            })
            .map_err(|e| io_err(src, e))?;
        if got < body_len {
            return Err(truncated(src));
        }
        if matches!(want, Body::Capture(_)) {
            visitor.body(&entry, &capture, (capture.len() as u64) < body_len);
        }
        if check && sum != header.check {
            return Err(WalkError::Cpio {
                at: entry_offset,
                fault: Fault::BadChecksum {
                    name: String::from_utf8_lossy(name).into_owned(),
                },
            });
        }
        // The entry ends on the next 4-byte boundary of the stream.
        let pad = (4 - (src.pos() & 3)) & 3;
        if src.skip(pad).map_err(|e| io_err(src, e))? < pad {
            return Err(truncated(src));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn n_align_pads_header_and_name_to_four() {
        for name_len in 0..40u64 {
            assert_eq!((110 + n_align(name_len)) % 4, 0);
            assert!(n_align(name_len) >= name_len);
        }
    }

    #[test]
    fn hex_stops_like_strtoul() {
        assert_eq!(hex_field(b"0000001A"), 26);
        assert_eq!(hex_field(b"12zz0000"), 0x12);
    }
}
