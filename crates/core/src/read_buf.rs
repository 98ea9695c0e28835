//! The buffer a file read lands in when its bytes may go out over TLS (the store's reads for
//! downloads, the client's reads for uploads): zeroed, its first byte half a page past a page
//! boundary.
//!
//! Why the offset: over TLS, rustls copies each record's plaintext (up to 16 KiB) into a fresh
//! buffer five bytes past its start (the record header goes in front), and under mimalloc
//! every buffer of that size, like every buffer of a read's size, starts on a page boundary.
//! Source and destination then sit five bytes apart modulo 4 KiB, and glibc's `memcpy` (which
//! uses `rep movsb` for copies of this size) crawls on such a pair on this machine's AMD
//! cores, the 4K-aliasing case glibc only avoids on Intel. Measured on a 1 GiB HTTPS `GET`
//! (`curl` against `ferry serve --tls-self-signed`, server CPU from `/proc/PID/stat`, medians
//! of eight runs, twice, same session): 1.06 / 1.20 s/GiB with page-aligned reads, 0.69 / 0.74
//! with `rep movsb` turned off (`GLIBC_TUNABLES=glibc.cpu.x86_rep_movsb_threshold=4194304`),
//! 0.66 / 0.69 with this offset; in the page-aligned profile the copy took 38% of the
//! server's CPU against AES-GCM's 16%. Half a page keeps the two far apart whatever the
//! destination's offset is under mimalloc (0) and leaves 1 in 64 odds under other allocators.
//! Plain-text doors do not care: the kernel's copy has no such case.

use std::fs::File;

use bytes::{Buf, Bytes, BytesMut};
use rustix::buffer::spare_capacity;
use rustix::io::Errno;

/// How far into its page a read buffer starts.
const OFFSET: usize = 2048;

/// A zeroed buffer of `len` bytes that starts [`OFFSET`] bytes into its allocation, for reads
/// that need initialised memory (`preadv2`, which the page-cache reads use).
pub fn read_buffer(len: usize) -> BytesMut {
    let mut buf = BytesMut::zeroed(len + OFFSET);
    buf.advance(OFFSET);
    buf
}

/// Up to `max` bytes of `file` at `offset` (fewer only at its end), blocking, in a buffer
/// placed as [`read_buffer`]'s. `pread` fills the allocation's spare capacity directly
/// (rustix's `spare_capacity`), so the buffer is not zero-filled first and no intermediate
/// buffer is copied from, as `tokio::fs::File` reads are: on a 1 GiB upload that was a
/// `memset` and a `memcpy` of every byte on the client's cores.
pub fn read_at(file: &File, offset: u64, max: usize) -> std::io::Result<Bytes> {
    let mut buf: Vec<u8> = Vec::with_capacity(OFFSET + max);
    buf.resize(OFFSET, 0);
    while buf.len() < OFFSET + max {
        let at = offset + (buf.len() - OFFSET) as u64;
        match rustix::io::pread(file, spare_capacity(&mut buf), at) {
            Ok(0) => break,
            Ok(_) => {}
            Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    // The allocation may hold more than asked for, and `pread` fills all of it.
    buf.truncate(OFFSET + max);
    Ok(Bytes::from(buf).slice(OFFSET..))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn read_at_reads_what_is_asked_and_stops_at_the_end() {
        let mut file = tempfile::tempfile().unwrap();
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        file.write_all(&data).unwrap();
        let middle = read_at(&file, 1_000, 200_000).unwrap();
        assert_eq!(&middle[..], &data[1_000..201_000]);
        assert_eq!(
            &read_at(&file, 250_000, 100_000).unwrap()[..],
            &data[250_000..]
        );
        assert!(read_at(&file, 400_000, 10).unwrap().is_empty());
    }

    #[test]
    fn the_buffer_has_the_asked_length_and_frozen_keeps_its_offset() {
        let buf = read_buffer(256 * 1024);
        assert_eq!(buf.len(), 256 * 1024);
        assert!(buf.iter().all(|&b| b == 0));
        let start = buf.as_ptr() as usize;
        let frozen = buf.freeze();
        assert_eq!(
            frozen.as_ptr() as usize,
            start,
            "freeze must not copy or move the bytes"
        );
        assert_eq!(frozen.len(), 256 * 1024);
    }
}
