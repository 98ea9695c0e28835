//! [`ChunkDigest`]: a checksum a client sends with one write, covering exactly that write's
//! bytes.
//!
//! The TCP door carries a CRC-32C per chunk; HTTP clients may send an MD5 or SHA-256 of the
//! body instead (`Content-MD5`, `Content-Digest`), and tus clients a SHA-1 or CRC-32 (IEEE)
//! too (`Upload-Checksum`). Whichever it is, a mismatch discards the
//! whole write and leaves the upload where it was, so the client can simply resend it.

use crate::fast_md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// The expected checksum of one write's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkDigest {
    /// CRC-32C (Castagnoli), as the TCP door's `crc32c` field.
    Crc32c(u32),
    /// MD5.
    Md5([u8; 16]),
    /// SHA-256.
    Sha256([u8; 32]),
    /// SHA-1 (tus `Upload-Checksum: sha1`, the algorithm tus makes mandatory).
    Sha1([u8; 20]),
    /// CRC-32 (IEEE, as zlib and tus `crc32`), not the Castagnoli CRC of the TCP door.
    Crc32(u32),
}

impl ChunkDigest {
    /// The algorithm's name: `crc32c`, `md5` or `sha-256` (the HTTP digest registry spellings).
    pub fn name(&self) -> &'static str {
        match self {
            ChunkDigest::Crc32c(_) => "crc32c",
            ChunkDigest::Md5(_) => "md5",
            ChunkDigest::Sha256(_) => "sha-256",
            ChunkDigest::Sha1(_) => "sha",
            ChunkDigest::Crc32(_) => "crc32",
        }
    }

    /// A running computation of the same algorithm, to feed the bytes as they arrive.
    pub(crate) fn start(&self) -> ChunkHasher {
        match self {
            ChunkDigest::Crc32c(_) => ChunkHasher::Crc32c(0),
            ChunkDigest::Md5(_) => ChunkHasher::Md5(Md5::new()),
            ChunkDigest::Sha256(_) => ChunkHasher::Sha256(Sha256::new()),
            ChunkDigest::Sha1(_) => ChunkHasher::Sha1(Sha1::new()),
            ChunkDigest::Crc32(_) => ChunkHasher::Crc32(crc32fast::Hasher::new()),
        }
    }
}

/// The running state of a [`ChunkDigest`]'s algorithm.
#[derive(Debug, Clone)]
pub(crate) enum ChunkHasher {
    Crc32c(u32),
    Md5(Md5),
    Sha256(Sha256),
    Sha1(Sha1),
    Crc32(crc32fast::Hasher),
}

impl ChunkHasher {
    /// Adds bytes.
    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            ChunkHasher::Crc32c(crc) => *crc = crc32c::crc32c_append(*crc, data),
            ChunkHasher::Md5(h) => h.update(data),
            ChunkHasher::Sha256(h) => h.update(data),
            ChunkHasher::Sha1(h) => h.update(data),
            ChunkHasher::Crc32(h) => h.update(data),
        }
    }

    /// The digest of everything added.
    pub(crate) fn finish(self) -> ChunkDigest {
        match self {
            ChunkHasher::Crc32c(crc) => ChunkDigest::Crc32c(crc),
            ChunkHasher::Md5(h) => ChunkDigest::Md5(h.finalize().into()),
            ChunkHasher::Sha256(h) => ChunkDigest::Sha256(h.finalize().into()),
            ChunkHasher::Sha1(h) => ChunkDigest::Sha1(h.finalize().into()),
            ChunkHasher::Crc32(h) => ChunkDigest::Crc32(h.finalize()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(expected: ChunkDigest, parts: &[&[u8]]) -> ChunkDigest {
        let mut h = expected.start();
        for p in parts {
            h.update(p);
        }
        h.finish()
    }

    #[test]
    fn each_algorithm_matches_its_one_shot_value_when_fed_in_pieces() {
        let data = b"hello, world";
        let cases = [
            ChunkDigest::Crc32c(crc32c::crc32c(data)),
            ChunkDigest::Md5(Md5::digest(data).into()),
            ChunkDigest::Sha256(Sha256::digest(data).into()),
            ChunkDigest::Sha1(Sha1::digest(data).into()),
            ChunkDigest::Crc32(crc32fast::hash(data)),
        ];
        for expected in cases {
            assert_eq!(of(expected, &[b"hello", b", ", b"world"]), expected);
            assert_ne!(of(expected, &[b"hello"]), expected, "{}", expected.name());
        }
    }

    #[test]
    fn names_are_the_http_digest_spellings() {
        assert_eq!(ChunkDigest::Crc32c(0).name(), "crc32c");
        assert_eq!(ChunkDigest::Md5([0; 16]).name(), "md5");
        assert_eq!(ChunkDigest::Sha256([0; 32]).name(), "sha-256");
        assert_eq!(ChunkDigest::Sha1([0; 20]).name(), "sha");
        assert_eq!(ChunkDigest::Crc32(0).name(), "crc32");
    }
}
