//! Reads that the page cache can answer, served on the calling thread.
//!
//! A read from the page cache costs a memory copy; handing it to tokio's blocking pool costs two
//! thread wake-ups and the context switches that go with them. For a 4 KiB `GET` that hand-off
//! was most of the request (perf of the server under `wrk -t2 -c64`: about 30% of its CPU in
//! futex wake-ups and task switches, three blocking-pool trips' worth of `futex` per request
//! in `strace -c -f`). `preadv2` with `RWF_NOWAIT` (Linux 4.14) copies only what is already
//! cached and answers `EAGAIN` where it would wait for the disk, so an async thread never blocks
//! on I/O here: whatever is not cached, or a filesystem that cannot tell, goes to the pool as
//! before. Hand-written because no kept crate offers a non-blocking buffered read; rustix
//! provides the system call.

use std::fs::File;
use std::io::IoSliceMut;

use bytes::Bytes;
use rustix::io::{Errno, ReadWriteFlags, preadv2};

/// The most bytes read on the calling thread at once: the TCP door's 1 MiB download chunk. A
/// page-cache copy of this size takes some tens of microseconds, about tokio's budget between
/// awaits; on the pool, the 1 MiB buffers were allocated in the pool threads' malloc arenas
/// and a 1 GiB `ferry get` grew the server's RSS by ~20 MiB (ferry-bench, "raw download: server
/// RSS growth": 19-22 MiB on the pool, 2-4 MiB read here).
pub(crate) const MAX: usize = 1024 * 1024;

/// Up to `max` bytes at `offset` (fewer only at the end of the file) if the page cache holds
/// all of them; `None` if any part would wait for the disk, `max` is over [`MAX`], or the read
/// fails (the blocking read that follows reports the error).
pub(crate) fn read(file: &File, offset: u64, max: usize) -> Option<Bytes> {
    if max > MAX {
        return None;
    }
    let mut buf = ferry_core::read_buf::read_buffer(max);
    let mut filled = 0;
    while filled < max {
        let mut slice = [IoSliceMut::new(&mut buf[filled..])];
        match preadv2(
            file,
            &mut slice,
            offset + filled as u64,
            ReadWriteFlags::NOWAIT,
        ) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(Errno::INTR) => {}
            // EAGAIN: not cached; EOPNOTSUPP: the filesystem cannot read without waiting.
            Err(_) => return None,
        }
    }
    buf.truncate(filled);
    Some(buf.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_cached_file_reads_whole_and_ranges_stop_at_its_end() {
        let mut file = tempfile::tempfile().unwrap();
        let data: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
        file.write_all(&data).unwrap();
        // Just written, so cached (tmpfs or a disk's page cache alike).
        assert_eq!(read(&file, 0, 10_000).unwrap(), &data[..]);
        assert_eq!(read(&file, 9_000, 4_096).unwrap(), &data[9_000..]);
        assert_eq!(read(&file, 20_000, 16).unwrap(), &b""[..]);
        assert!(
            read(&file, 0, MAX + 1).is_none(),
            "larger reads go to the pool"
        );
    }
}
