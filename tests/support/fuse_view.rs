//! A read-only FUSE view of one image (`disk.img`): a disk whose reads fail
//! with EIO wherever they touch `bad` (a byte range), or that answers each read
//! `delay` late, as a slow disk does (no device-mapper on the test machines;
//! /dev/fuse works). Opened in direct-I/O mode so each read reaches it with the
//! offset and length the reader asked for.
use std::ffi::OsStr;
use std::fs::File;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::time::{Duration, SystemTime};

use fuser::{
    FileAttr, FileType, Filesystem, ReplyAttr, ReplyData, ReplyDirectory, ReplyEntry, ReplyOpen,
    Request,
};

const TTL: Duration = Duration::from_secs(1);
const FOPEN_DIRECT_IO: u32 = 1;

pub struct ImageView {
    pub image: File,
    pub size: u64,
    pub bad: Range<u64>,
    pub delay: Duration,
}

fn attr(ino: u64, size: u64, kind: FileType) -> FileAttr {
    FileAttr {
        ino,
        size,
        blocks: size.div_ceil(512),
        atime: SystemTime::UNIX_EPOCH,
        mtime: SystemTime::UNIX_EPOCH,
        ctime: SystemTime::UNIX_EPOCH,
        crtime: SystemTime::UNIX_EPOCH,
        kind,
        perm: if kind == FileType::Directory {
            0o555
        } else {
            0o444
        },
        nlink: if kind == FileType::Directory { 2 } else { 1 },
        uid: 0,
        gid: 0,
        rdev: 0,
        blksize: 512,
        flags: 0,
    }
}

impl Filesystem for ImageView {
    fn lookup(&mut self, _req: &Request<'_>, parent: u64, name: &OsStr, reply: ReplyEntry) {
        if parent == 1 && name == "disk.img" {
            reply.entry(&TTL, &attr(2, self.size, FileType::RegularFile), 0);
        } else {
            reply.error(libc::ENOENT);
        }
    }

    fn getattr(&mut self, _req: &Request<'_>, ino: u64, reply: ReplyAttr) {
        match ino {
            1 => reply.attr(&TTL, &attr(1, 0, FileType::Directory)),
            2 => reply.attr(&TTL, &attr(2, self.size, FileType::RegularFile)),
            _ => reply.error(libc::ENOENT),
        }
    }

    fn open(&mut self, _req: &Request<'_>, _ino: u64, flags: i32, reply: ReplyOpen) {
        if flags & libc::O_ACCMODE != libc::O_RDONLY {
            reply.error(libc::EROFS);
        } else {
            reply.opened(0, FOPEN_DIRECT_IO);
        }
    }

    fn read(
        &mut self,
        _req: &Request<'_>,
        _ino: u64,
        _fh: u64,
        offset: i64,
        size: u32,
        _flags: i32,
        _lock_owner: Option<u64>,
        reply: ReplyData,
    ) {
        std::thread::sleep(self.delay);
        let start = offset as u64;
        let end = (start + u64::from(size)).min(self.size);
        if start < self.bad.end && end > self.bad.start {
            return reply.error(libc::EIO);
        }
        let mut buf = vec![0u8; end.saturating_sub(start) as usize];
        match self.image.read_exact_at(&mut buf, start) {
            Ok(()) => reply.data(&buf),
            Err(_) => reply.error(libc::EIO),
        }
    }

    fn readdir(
        &mut self,
        _req: &Request<'_>,
        _ino: u64,
        _fh: u64,
        offset: i64,
        mut reply: ReplyDirectory,
    ) {
        let entries = [
            (1, FileType::Directory, "."),
            (1, FileType::Directory, ".."),
            (2, FileType::RegularFile, "disk.img"),
        ];
        for (i, (ino, kind, name)) in entries.iter().enumerate().skip(offset as usize) {
            if reply.add(*ino, (i + 1) as i64, *kind, name) {
                break;
            }
        }
        reply.ok();
    }
}
