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

use bytes::{Buf, BytesMut};

/// How far into its page a read buffer starts.
const OFFSET: usize = 2048;

/// A zeroed buffer of `len` bytes that starts [`OFFSET`] bytes into its allocation.
pub fn read_buffer(len: usize) -> BytesMut {
    let mut buf = BytesMut::zeroed(len + OFFSET);
    buf.advance(OFFSET);
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

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
