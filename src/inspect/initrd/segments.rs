//! The walk over an initrd's segments, as the kernel's `unpack_to_rootfs` makes it:
//! zero padding is skipped, an aligned `0` starts an uncompressed cpio archive, any
//! other byte a compressed one (or junk, when its magic is unknown). The walk
//! stops at the first fault or limit and records it with the segment it is in.

use std::io::{self, BufReader, Read};

use super::decode::{Capped, CappedBuf, Counted, IN_BUF, OUT_BUF, decoder, decompressor_message};
use super::evidence::Collector;
use super::{
    Compression, Depth, ErrorKind, InitrdError, InitrdReport, LimitHit, LimitKind, Limits, Segment,
    SegmentKind, detect,
};
use crate::inspect::cpio::{self, Counts, Fault, Place, Source, Stop, WalkError};
use crate::inspect::lz::{GzipTrailerCut, KernelSays};

/// Whether the walk goes on after a segment.
enum Flow {
    Next,
    Stop,
}

/// What decompressing one segment gave.
struct Decoded {
    walked: Result<Stop, WalkError>,
    counts: Counts,
    /// Decompressed bytes the cpio walk read.
    produced: u64,
    /// The decoder wanted to produce more than it was allowed.
    capped: bool,
    /// Compressed bytes taken from the file, magic included.
    consumed: u64,
    /// The decoder reached the end of the file.
    saw_eof: bool,
}

/// The state of one pass, carried from segment to segment.
struct Walk<'l, R: Read> {
    top: Source<BufReader<R>>,
    col: Collector<'l>,
    size: u64,
    depth: Depth,
    limits: &'l Limits,
    segments: Vec<Segment>,
    error: Option<InitrdError>,
    limit: Option<LimitHit>,
    /// Decompressed bytes still allowed, over all segments (`Limits::max_output`).
    output_left: u64,
    /// Some segment had entries (an inner archive after them may end anywhere).
    seen_entries: bool,
    /// Quick mode has decompressed its one compressed segment.
    quick_done: bool,
}

pub(super) fn run<R: Read>(
    input: R,
    size: u64,
    depth: Depth,
    limits: &Limits,
    names: Option<&mut Vec<String>>,
) -> io::Result<InitrdReport> {
    let mut walk = Walk {
        top: Source::new(BufReader::with_capacity(IN_BUF, input), 0),
        col: Collector::new(limits, names),
        size,
        depth,
        limits,
        segments: Vec::new(),
        error: None,
        limit: None,
        output_left: limits.max_output,
        seen_entries: false,
        quick_done: false,
    };
    let ran_out = walk.every_segment()?;
    Ok(walk.into_report(ran_out))
}

impl<R: Read> Walk<'_, R> {
    /// Walks segment after segment; true when the input ran out, false when a
    /// fault, a limit or quick mode stopped the walk first.
    fn every_segment(&mut self) -> io::Result<bool> {
        loop {
            self.top.skip_zeros()?;
            let Some(first) = self.top.peek()? else {
                return Ok(true);
            };
            let offset = self.top.pos();
            self.col.start_segment(self.segments.len());
            let cpio_next = first == b'0' && offset & 3 == 0;
            if self.quick_done && cpio_next {
                // Quick mode decompresses only the first compressed segment; when it has
                // ended it still looks at what follows, since junk costs nothing to see.
                return Ok(false);
            }
            let flow = if cpio_next {
                self.cpio_segment(offset)?
            } else {
                self.compressed_or_junk(offset)?
            };
            if let Flow::Stop = flow {
                return Ok(false);
            }
        }
    }

    /// An uncompressed cpio archive at `offset`.
    fn cpio_segment(&mut self, offset: u64) -> io::Result<Flow> {
        let mut counts = Counts::default();
        let walked = cpio::walk(&mut self.top, Place::TopLevel, &mut counts, &mut self.col);
        self.seen_entries |= counts.entries > 0;
        let end = self.top.pos();
        let mut seg = Segment {
            offset,
            kind: SegmentKind::Cpio,
            stored_size: Some(end - offset),
            cpio_size: end - offset,
            entries: counts.entries,
            trailers: counts.trailers,
            complete: true,
        };
        match walked {
            Ok(Stop::End) | Ok(Stop::NotCpio) => {
                self.segments.push(seg);
                Ok(Flow::Next)
            }
            Ok(Stop::Caller) => {
                seg.complete = false;
                seg.stored_size = None;
                self.segments.push(seg);
                self.limit = Some(self.entry_limit(self.segments.len() - 1));
                Ok(Flow::Stop)
            }
            Err(WalkError::Io { error, .. }) => Err(error),
            Err(WalkError::Cpio { at, fault }) => {
                seg.complete = false;
                self.segments.push(seg);
                let segment = self.segments.len() - 1;
                self.error = Some(cpio_error(at, &fault, Place::TopLevel, segment, None));
                Ok(Flow::Stop)
            }
        }
    }

    /// A segment that does not start with an aligned `0`: compressed, or junk.
    fn compressed_or_junk(&mut self, offset: u64) -> io::Result<Flow> {
        // The kernel reaches here for any non-zero byte that is not an aligned '0'. The
        // two magic bytes may straddle the reader's buffer: take them out, and hand
        // them back to the decoder in front of the rest.
        let mut magic = [0u8; 2];
        let n = self.top.read_full(&mut magic)?;
        let detected = detect(&magic[..n]);
        if self.quick_done && detected.is_some() {
            return Ok(Flow::Stop);
        }
        let Some(method) = detected else {
            self.segments.push(Segment {
                offset,
                kind: SegmentKind::Junk,
                stored_size: None,
                cpio_size: 0,
                entries: 0,
                trailers: 0,
                complete: false,
            });
            self.error = Some(junk_error(offset, &magic[..n], self.segments.len() - 1));
            return Ok(Flow::Stop);
        };
        self.compressed_segment(offset, method, &magic[..n])
    }

    /// A compressed segment at `offset` whose first bytes, `magic`, are already read.
    fn compressed_segment(
        &mut self,
        offset: u64,
        method: Compression,
        magic: &[u8],
    ) -> io::Result<Flow> {
        let seg_index = self.segments.len();
        self.segments.push(Segment {
            offset,
            kind: SegmentKind::Compressed(method),
            stored_size: None,
            cpio_size: 0,
            entries: 0,
            trailers: 0,
            complete: false,
        });
        let quick = self.depth == Depth::Quick;
        // In quick mode the cap is where reading stops by design, not a limit.
        let quick_cut = quick && self.limits.quick_output < self.output_left;
        let cap = if quick_cut {
            self.limits.quick_output
        } else {
            self.output_left
        };
        let decoded = self.decompress(method, magic, cap)?;
        // The decoder consumed the magic and then through `top`'s buffer; move its
        // position along.
        self.top
            .advance(decoded.consumed.saturating_sub(magic.len() as u64));
        self.seen_entries |= decoded.counts.entries > 0;
        self.output_left = self.output_left.saturating_sub(decoded.produced);
        let seg = &mut self.segments[seg_index];
        seg.cpio_size = decoded.produced;
        seg.entries = decoded.counts.entries;
        seg.trailers = decoded.counts.trailers;
        if decoded.capped && !matches!(decoded.walked, Ok(Stop::Caller)) {
            if !quick_cut {
                self.limit = Some(LimitHit {
                    kind: LimitKind::Output,
                    limit: self.limits.max_output,
                    segment: seg_index,
                });
            }
            return Ok(Flow::Stop);
        }
        let flow = self.settle_compressed(seg_index, method, decoded);
        if quick && matches!(flow, Flow::Next) {
            self.quick_done = true;
        }
        Ok(flow)
    }

    /// Runs the segment's decoder (fed `magic`, then the rest of the file) under
    /// `cap` decompressed bytes, walking the cpio archive it produces.
    fn decompress(&mut self, method: Compression, magic: &[u8], cap: u64) -> io::Result<Decoded> {
        let mut chained = io::Cursor::new(magic).chain(self.top.get_mut());
        let mut counted = Counted {
            inner: &mut chained,
            consumed: 0,
            saw_eof: false,
        };
        let mut counts = Counts::default();
        let place = Place::Inner {
            after_entries: self.seen_entries,
        };
        let (walked, produced, capped) = if method == Compression::Lz4 {
            // The lz4 decoder's blocks are walked in place (one copy less).
            let capped = CappedBuf {
                inner: crate::inspect::lz::Lz4Legacy::new(&mut counted),
                left: cap,
                hit: false,
            };
            let mut inner = Source::new(capped, 0);
            let walked = cpio::walk(&mut inner, place, &mut counts, &mut self.col);
            let produced = inner.pos();
            let hit = inner.into_inner().hit;
            (walked, produced, hit)
        } else {
            let dec = decoder(method, &mut counted, self.limits)?;
            let capped = Capped {
                inner: dec,
                left: cap,
                hit: false,
            };
            let mut inner = Source::new(BufReader::with_capacity(OUT_BUF, capped), 0);
            let walked = cpio::walk(&mut inner, place, &mut counts, &mut self.col);
            let produced = inner.pos();
            let hit = inner.into_inner().into_inner().hit;
            (walked, produced, hit)
        };
        Ok(Decoded {
            walked,
            counts,
            produced,
            capped,
            consumed: counted.consumed,
            saw_eof: counted.saw_eof,
        })
    }

    /// Records how a compressed segment ended: whole, or the fault or limit that
    /// stops the kernel (and the walk) in it.
    fn settle_compressed(&mut self, seg_index: usize, method: Compression, d: Decoded) -> Flow {
        let offset = self.segments[seg_index].offset;
        let top_pos = self.top.pos();
        let end = self.size.max(top_pos);
        self.error = Some(match d.walked {
            // A decoder that ends without consuming a byte would loop forever here;
            // no real format does, so it is corrupt data.
            Ok(Stop::End) | Ok(Stop::NotCpio) if d.consumed == 0 => {
                let (msg, _) = decompressor_message(method, false);
                InitrdError {
                    kind: ErrorKind::Corrupt,
                    offset,
                    segment: seg_index,
                    decompressed_offset: Some(d.produced),
                    kernel_message: Some(msg.into()),
                    kernel_message_exact: false,
                    detail: format!(
                        "{} data at offset {offset} ends before it starts",
                        method.kernel_name()
                    ),
                }
            }
            Ok(Stop::End) | Ok(Stop::NotCpio) => {
                let seg = &mut self.segments[seg_index];
                seg.stored_size = Some(d.consumed);
                seg.complete = true;
                return Flow::Next;
            }
            Ok(Stop::Caller) => {
                self.limit = Some(self.entry_limit(seg_index));
                return Flow::Stop;
            }
            Err(WalkError::Io { at, error: e })
                if e.get_ref().is_some_and(|i| i.is::<GzipTrailerCut>()) =>
            {
                InitrdError {
                    kind: ErrorKind::Truncated,
                    offset: end,
                    segment: seg_index,
                    decompressed_offset: Some(at),
                    kernel_message: None,
                    kernel_message_exact: false,
                    detail: format!(
                        "the gzip data starting at offset {offset} is whole but its 8-byte trailer is cut at byte {end}: the kernel unpacks every file, then its position runs past the end of the initrd, and what it reads there decides what happens"
                    ),
                }
            }
            Err(WalkError::Io { at, error: e }) => {
                let failure = DecodeFailure {
                    method,
                    offset,
                    segment: seg_index,
                    end,
                    top_pos,
                    at,
                    truncated: d.saw_eof,
                };
                failure.error(&e)
            }
            Err(WalkError::Cpio { at, fault }) => {
                let place = Place::Inner {
                    after_entries: true,
                };
                cpio_error(top_pos, &fault, place, seg_index, Some(at))
            }
        });
        Flow::Stop
    }

    fn entry_limit(&self, segment: usize) -> LimitHit {
        LimitHit {
            kind: LimitKind::Entries,
            limit: self.limits.max_entries,
            segment,
        }
    }

    /// The report, once the walk has stopped (`ran_out`: at the end of the input).
    fn into_report(mut self, ran_out: bool) -> InitrdReport {
        if self.error.is_none() && self.limit.is_none() && self.segments.is_empty() {
            self.error = Some(InitrdError {
                kind: ErrorKind::Empty,
                offset: 0,
                segment: 0,
                decompressed_offset: None,
                kernel_message: None,
                kernel_message_exact: true,
                detail: if self.size == 0 {
                    "the file is empty".to_string()
                } else {
                    format!(
                        "all {} bytes are zero: there is no archive in it",
                        self.size
                    )
                },
            });
        }
        if self.col.entry_limit_hit && self.limit.is_none() {
            self.limit = Some(self.entry_limit(self.segments.len().saturating_sub(1)));
        }
        let kept = self
            .error
            .as_ref()
            .and_then(|e| self.col.kept_before(e.segment));
        let col = self.col;
        let complete = ran_out && self.error.is_none() && self.limit.is_none();
        InitrdReport {
            size: self.size,
            depth: self.depth,
            complete,
            no_init: complete && !col.init_seen(),
            segments: self.segments,
            module_versions: col.module_versions,
            modules: col.modules,
            module_files: col.module_files,
            microcode: col.microcode,
            layer_files: col.layer_files,
            module_vermagic: col.module_vermagic,
            module_signed: col.module_signed,
            entries: col.entries,
            ram_bytes: col.ram_bytes,
            evidence_cut: col.evidence_cut,
            error: self.error,
            kept,
            limit: self.limit,
        }
    }
}

/// A decoder that failed inside a compressed segment.
struct DecodeFailure {
    method: Compression,
    offset: u64,
    segment: usize,
    /// Where the file ends (or the decoder's position, if past it).
    end: u64,
    /// Where the decoder had read to.
    top_pos: u64,
    /// Decompressed bytes produced before the failure.
    at: u64,
    /// The decoder ran out of input (truncated) rather than meeting bad data.
    truncated: bool,
}

impl DecodeFailure {
    fn error(&self, e: &io::Error) -> InitrdError {
        let DecodeFailure {
            method,
            offset,
            end,
            top_pos,
            at,
            truncated,
            ..
        } = *self;
        let (msg, exact) = match e.get_ref().and_then(|i| i.downcast_ref::<KernelSays>()) {
            Some(says) => (says.0, true),
            None => decompressor_message(method, truncated),
        };
        InitrdError {
            kind: if truncated {
                ErrorKind::Truncated
            } else {
                ErrorKind::Corrupt
            },
            offset: if truncated { end } else { top_pos },
            segment: self.segment,
            decompressed_offset: Some(at),
            kernel_message: Some(msg.into()),
            kernel_message_exact: exact,
            detail: if truncated {
                format!(
                    "{} data starting at offset {offset} ends at byte {end} before its end marker, after {at} decompressed bytes ({e})",
                    method.kernel_name()
                )
            } else {
                format!(
                    "{} data starting at offset {offset} is corrupt: the decoder failed near offset {top_pos}, after {at} decompressed bytes ({e})",
                    method.kernel_name()
                )
            },
        }
    }
}

/// Bytes at `offset` that are no zero padding, no cpio header and no known magic.
fn junk_error(offset: u64, magic: &[u8], segment: usize) -> InitrdError {
    InitrdError {
        kind: ErrorKind::InvalidMagic,
        offset,
        segment,
        decompressed_offset: None,
        kernel_message: Some("invalid magic at start of compressed archive".into()),
        kernel_message_exact: true,
        detail: format!(
            "bytes {} at offset {offset} are neither zero padding, a cpio header nor a known compression magic",
            hex(magic)
        ),
    }
}

fn cpio_error(
    at: u64,
    fault: &Fault,
    place: Place,
    segment: usize,
    decompressed: Option<u64>,
) -> InitrdError {
    let kind = match fault {
        Fault::NoMagic => ErrorKind::NoCpioMagic,
        Fault::OldFormat => ErrorKind::OldCpioFormat,
        Fault::BrokenPadding => ErrorKind::BrokenPadding,
        Fault::JunkWithin => ErrorKind::JunkWithin,
        Fault::EndInsideEntry { .. } => match place {
            Place::TopLevel => ErrorKind::TruncatedCpio,
            Place::Inner { .. } => ErrorKind::JunkAtEnd,
        },
        Fault::BadChecksum { .. } => ErrorKind::BadChecksum,
    };
    let detail = match fault {
        Fault::NoMagic => "a cpio header was expected (070701 or 070702)".to_string(),
        Fault::OldFormat => {
            "old portable cpio header (070707): the archive was not made with -H newc".to_string()
        }
        Fault::BrokenPadding => {
            "data after zero padding does not start on a 4-byte boundary".to_string()
        }
        Fault::JunkWithin => {
            "bytes after a cpio entry are neither zero padding nor a cpio header".to_string()
        }
        Fault::EndInsideEntry { entry_offset } => match place {
            Place::TopLevel => format!(
                "the uncompressed archive ends inside the entry at offset {entry_offset}; the kernel unpacks it silently as far as it goes"
            ),
            Place::Inner { .. } => format!(
                "the decompressed archive ends inside the entry at decompressed offset {entry_offset}"
            ),
        },
        Fault::BadChecksum { name } => {
            format!("checksum of '{name}' does not match its 070702 header")
        }
    };
    InitrdError {
        kind,
        offset: at,
        segment,
        decompressed_offset: decompressed,
        kernel_message: fault.kernel_message(place).map(str::to_string),
        kernel_message_exact: true,
        detail,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}
