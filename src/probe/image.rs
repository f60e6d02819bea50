//! Disk images and block devices opened read-only, and the byte-level access the
//! readers share: positional reads, a `Read + Seek` window on a byte range, and a
//! device adaptor for crates that insist on `Write` (it refuses every write).
//!
//! Must never open anything for writing, and must never read more than asked.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

use super::ProbeError;

/// A read-only disk: an image file or a block device, shared by every reader.
#[derive(Debug, Clone)]
pub struct DiskBytes {
    file: Arc<File>,
    size: u64,
}

impl DiskBytes {
    /// Opens `path` for reading only and refuses image formats that are not raw.
    pub fn open(path: &Path) -> Result<Self, ProbeError> {
        let file = File::open(path).map_err(|e| ProbeError::io(path, e))?;
        // A directory opens read-only too, and seeking to its end gives 2^63-1:
        // without this it would be probed as an 8 EiB disk of nothing.
        if file.metadata().is_ok_and(|m| m.is_dir()) {
            return Err(ProbeError::Directory {
                path: path.display().to_string(),
            });
        }
        let size = device_size(&file).map_err(|e| ProbeError::io(path, e))?;
        let disk = DiskBytes {
            file: Arc::new(file),
            size,
        };
        if let Some(format) = disk.foreign_format() {
            return Err(ProbeError::Format {
                path: path.display().to_string(),
                format,
            });
        }
        Ok(disk)
    }

    /// Wraps bytes held in memory (fuzzing, tests) through an anonymous file.
    pub fn from_file(file: File) -> io::Result<Self> {
        let size = device_size(&file)?;
        Ok(DiskBytes {
            file: Arc::new(file),
            size,
        })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn file(&self) -> &File {
        &self.file
    }

    /// Reads exactly `buf.len()` bytes at `offset`; past the end is an error.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let end = offset
            .checked_add(buf.len() as u64)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "offset overflows"))?;
        if end > self.size {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "read of {} bytes at byte {offset} goes past the end ({} bytes)",
                    buf.len(),
                    self.size
                ),
            ));
        }
        self.file.read_exact_at(buf, offset)
    }

    /// Reads `len` bytes at `offset` into a new buffer (callers bound `len`).
    pub fn read_vec(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        let mut buf = vec![0; len];
        self.read_at(offset, &mut buf)?;
        Ok(buf)
    }

    /// A `Read + Seek` view of `len` bytes starting at `start`.
    pub fn window(&self, start: u64, len: u64) -> Window {
        let len = len.min(self.size.saturating_sub(start));
        Window {
            disk: self.clone(),
            start,
            len,
            pos: 0,
            masked: Vec::new(),
        }
    }

    /// Recognises container formats by magic, so they are refused rather than
    /// misread as a disk with no partition table.
    fn foreign_format(&self) -> Option<&'static str> {
        let mut head = [0u8; 64];
        let n = head.len().min(self.size as usize);
        self.read_at(0, &mut head[..n]).ok()?;
        let head = &head[..n];
        let formats: [(&[u8], &str); 6] = [
            (b"QFI\xfb", "qcow2"),
            (b"KDMV", "vmdk"),
            (b"# Disk DescriptorFile", "vmdk"),
            (b"vhdxfile", "vhdx"),
            (b"conectix", "vhd"),
            (b"<<< ", "vdi"),
        ];
        formats
            .iter()
            .find(|(magic, _)| head.starts_with(magic))
            .map(|(_, name)| *name)
    }
}

fn device_size(file: &File) -> io::Result<u64> {
    let meta = file.metadata()?;
    if meta.is_file() {
        return Ok(meta.len());
    }
    // Block devices report length 0 in metadata; seeking to the end gives the size.
    let mut f = file;
    let size = f.seek(SeekFrom::End(0))?;
    f.seek(SeekFrom::Start(0))?;
    Ok(size)
}

/// A read-only window on part of a disk. Writes fail with PermissionDenied, so a
/// crate that wants `Write` (gpt) can be handed one without risk; masked ranges
/// read as zeros, which is how a damaged GPT copy is hidden from the gpt crate.
#[derive(Debug)]
pub struct Window {
    disk: DiskBytes,
    start: u64,
    len: u64,
    pos: u64,
    masked: Vec<(u64, u64)>,
}

impl Window {
    /// Makes `len` bytes at window offset `offset` read as zeros.
    pub fn mask(mut self, offset: u64, len: u64) -> Self {
        self.masked.push((offset, offset.saturating_add(len)));
        self
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Read for Window {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len.saturating_sub(self.pos);
        let n = (buf.len() as u64).min(left) as usize;
        if n == 0 {
            return Ok(0);
        }
        let at = self.start + self.pos;
        self.disk.read_at(at, &mut buf[..n])?;
        for &(a, b) in &self.masked {
            let lo = a.max(self.pos);
            let hi = b.min(self.pos + n as u64);
            if lo < hi {
                buf[(lo - self.pos) as usize..(hi - self.pos) as usize].fill(0);
            }
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Window {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let new = match pos {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        match new {
            Some(p) => {
                self.pos = p;
                Ok(p)
            }
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the window",
            )),
        }
    }
}

impl Write for Window {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "bootvet never writes to a disk or image",
        ))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
