//! Test data: pseudo-random files written with their MD5, and MD5 of what landed.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

use anyhow::{Context, Result};
use ferry_core::fast_md5::Md5;
use md5::Digest;

const BLOCK: usize = 1 << 20;

/// Writes `size` pseudo-random bytes (a different stream per `seed`) to `path`; returns their
/// MD5 as 32 lowercase hex digits.
pub fn make_file(path: &Path, size: u64, seed: u64) -> Result<String> {
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut out = BufWriter::with_capacity(BLOCK, file);
    let mut rng = XorShift::new(seed);
    let mut md5 = Md5::new();
    let mut buf = vec![0u8; BLOCK];
    let mut left = size;
    while left > 0 {
        let n = left.min(BLOCK as u64) as usize;
        rng.fill(&mut buf[..n]);
        md5.update(&buf[..n]);
        out.write_all(&buf[..n])?;
        left -= n as u64;
    }
    out.flush()?;
    Ok(hex::encode(md5.finalize()))
}

/// The MD5 of a file, as 32 lowercase hex digits, and its length.
pub fn md5_file(path: &Path) -> Result<(String, u64)> {
    let mut md5 = Md5::new();
    let len = read_file(path, |b| md5.update(b))?;
    Ok((hex::encode(md5.finalize()), len))
}

/// The CRC32C of a file and its length: the cheap check of the door-only download rows, whose
/// receiver must not be held to one core's MD5 speed.
pub fn crc32c_file(path: &Path) -> Result<(u32, u64)> {
    let mut crc = 0u32;
    let len = read_file(path, |b| crc = crc32c::crc32c_append(crc, b))?;
    Ok((crc, len))
}

/// Feeds a file to `each` block by block; returns its length.
fn read_file(path: &Path, mut each: impl FnMut(&[u8])) -> Result<u64> {
    let mut file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut buf = vec![0u8; BLOCK];
    let mut len = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(len);
        }
        each(&buf[..n]);
        len += n as u64;
    }
}

/// Fails loudly unless `path` holds exactly `size` bytes with MD5 `md5`.
pub fn verify_file(path: &Path, size: u64, md5: &str) -> Result<()> {
    let (actual, len) = md5_file(path)?;
    anyhow::ensure!(
        len == size && actual == md5,
        "WRONG BYTES: {} holds {len} bytes with MD5 {actual}, sent {size} bytes with MD5 {md5}",
        path.display()
    );
    Ok(())
}

/// xorshift64*: fast, and bytes that no layer could shortcut.
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            let v = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_verifies_against_its_own_md5_and_fails_loudly_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.bin");
        let md5 = make_file(&path, 3 << 20, 9).unwrap();
        assert_eq!(md5_file(&path).unwrap(), (md5.clone(), 3 << 20));
        verify_file(&path, 3 << 20, &md5).unwrap();
        let other = make_file(&dir.path().join("g.bin"), 3 << 20, 10).unwrap();
        assert_ne!(md5, other);
        let e = verify_file(&path, 3 << 20, &other).unwrap_err();
        assert!(e.to_string().starts_with("WRONG BYTES"), "{e}");
        assert!(verify_file(&path, 3 << 20 | 1, &md5).is_err());
    }
}
