//! Streaming MD5 of a local file's prefix, off the async threads (a download's `.part` file).

use std::io::Read;
use std::path::{Path, PathBuf};

use ferry_core::fast_md5::Md5;
use md5::Digest;

use super::ClientError;

/// Read buffer for hashing: big enough that syscalls do not dominate.
const HASH_BUF: usize = 1 << 20;

/// Hashes the first `limit` bytes of `path` (the whole file when `None`) with a fresh hasher
/// and returns the hasher, so that a download can go on feeding it, and the bytes hashed.
pub async fn md5_prefix(path: &Path, limit: Option<u64>) -> Result<(Md5, u64), ClientError> {
    let path: PathBuf = path.to_path_buf();
    tokio::task::spawn_blocking(move || hash_blocking(&path, limit))
        .await
        .map_err(|e| ClientError::io("hashing task failed", std::io::Error::other(e)))?
}

/// The MD5 of a whole local file, 32 lowercase hex digits (to tell an up-to-date copy).
pub async fn file_md5(path: &Path) -> Result<String, ClientError> {
    let (hasher, _) = md5_prefix(path, None).await?;
    Ok(hex::encode(hasher.finalize()))
}

/// [`md5_prefix`] of a file already open (read from its start), `path` only naming it in
/// errors: the bytes hashed are those of the file opened, whatever the path names by now.
pub async fn md5_prefix_of(
    file: std::fs::File,
    path: &Path,
    limit: Option<u64>,
) -> Result<(Md5, u64), ClientError> {
    let path: PathBuf = path.to_path_buf();
    tokio::task::spawn_blocking(move || hash_open(file, &path, limit))
        .await
        .map_err(|e| ClientError::io("hashing task failed", std::io::Error::other(e)))?
}

fn hash_blocking(path: &Path, limit: Option<u64>) -> Result<(Md5, u64), ClientError> {
    let reading = |e| ClientError::io(format!("cannot read {}", path.display()), e);
    let file = std::fs::File::open(path).map_err(reading)?;
    hash_open(file, path, limit)
}

fn hash_open(
    file: std::fs::File,
    path: &Path,
    limit: Option<u64>,
) -> Result<(Md5, u64), ClientError> {
    let reading = |e| ClientError::io(format!("cannot read {}", path.display()), e);
    let mut reader = file.take(limit.unwrap_or(u64::MAX));
    let mut hasher = Md5::new();
    let mut buf = vec![0u8; HASH_BUF];
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(reading(e)),
        };
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((hasher, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn whole_file_and_prefix_digests_match_known_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hello.txt");
        std::fs::write(&path, b"hello world").unwrap();
        let (whole, size) = md5_prefix(&path, None).await.unwrap();
        assert_eq!(size, 11);
        assert_eq!(
            hex::encode(whole.finalize()),
            "5eb63bbbe01eeed093cb22bb8f5acdc3"
        );
        let (prefix, n) = md5_prefix(&path, Some(5)).await.unwrap();
        assert_eq!(n, 5);
        assert_eq!(
            hex::encode(prefix.finalize()),
            "5d41402abc4b2a76b9719d911017c592"
        );
    }
}
