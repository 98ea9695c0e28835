//! [`HashBehind`]: a download's running MD5, hashed one chunk behind on the blocking pool.
//!
//! A download used to hash each chunk on the task that receives it, so receiving (and, over
//! TLS, decrypting), checking and writing chunk N+1 waited for the hash of chunk N: `ferry get`
//! ran at the sum of the two costs, not the larger. Here a chunk's hash starts on the blocking
//! pool and the task goes on; the next chunk waits only for that one hash, which keeps memory
//! to one chunk in flight and the bytes hashed in order. Chunks smaller than [`INLINE`] are
//! hashed on the spot: a trip to the pool would cost more than the hash.

use bytes::Bytes;
use md5::{Digest, Md5};
use tokio::task::JoinHandle;

use crate::ClientError;

/// Chunks below this are hashed on the calling task.
const INLINE: usize = 64 * 1024;

/// An MD5 over every chunk fed, in order; see the module documentation.
#[derive(Debug)]
pub(crate) struct HashBehind {
    /// The hasher when no chunk is being hashed (always `Some` then).
    idle: Option<Md5>,
    /// The chunk being hashed, which gives the hasher back.
    hashing: Option<JoinHandle<Md5>>,
}

impl HashBehind {
    /// Goes on from `hasher` (which may already cover a resumed prefix).
    pub(crate) fn new(hasher: Md5) -> Self {
        HashBehind {
            idle: Some(hasher),
            hashing: None,
        }
    }

    /// Hashes `chunk` after everything fed before; waits only for the chunk before it.
    pub(crate) async fn feed(&mut self, chunk: Bytes) -> Result<(), ClientError> {
        let mut hasher = self.settle().await?;
        if chunk.len() < INLINE {
            hasher.update(&chunk);
            self.idle = Some(hasher);
        } else {
            self.hashing = Some(tokio::task::spawn_blocking(move || {
                hasher.update(&chunk);
                hasher
            }));
        }
        Ok(())
    }

    /// The MD5 of everything fed, as 32 lowercase hex digits.
    pub(crate) async fn hex(&mut self) -> Result<String, ClientError> {
        let hasher = self.settle().await?;
        let digest = hex::encode(hasher.clone().finalize());
        self.idle = Some(hasher);
        Ok(digest)
    }

    /// Waits for the chunk being hashed and takes the hasher out.
    async fn settle(&mut self) -> Result<Md5, ClientError> {
        if let Some(running) = self.hashing.take() {
            return running
                .await
                .map_err(|e| ClientError::io("hashing the download", std::io::Error::other(e)));
        }
        Ok(self.idle.take().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn chunks_of_any_size_hash_in_order_to_the_whole_digest() {
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut h = HashBehind::new(Md5::new());
        let mut at = 0;
        for size in [10, 1 << 20, 100, 300_000, 65_536, 1_600_000] {
            let end = (at + size).min(data.len());
            h.feed(Bytes::copy_from_slice(&data[at..end]))
                .await
                .unwrap();
            at = end;
        }
        h.feed(Bytes::copy_from_slice(&data[at..])).await.unwrap();
        assert_eq!(h.hex().await.unwrap(), hex::encode(Md5::digest(&data)));
        // Asking twice changes nothing.
        assert_eq!(h.hex().await.unwrap(), hex::encode(Md5::digest(&data)));
    }
}
