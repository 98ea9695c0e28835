//! [`HashBehind`]: a download's running MD5, hashed on a thread of its own fed by a short
//! queue.
//!
//! MD5 is the bound of a verified download (one core hashes about 600 MB/s here), so the
//! hashing core must never wait for the task that receives, checks and writes the chunks.
//! Hashing each chunk on that task ran the download at the sum of the costs; hashing one
//! chunk behind on the blocking pool still left the hash waiting whenever receiving or
//! writing the next chunk took longer than hashing this one, which on two cores shared with
//! the server and the kernel happens all the time. With [`DEPTH`] chunks queued the thread
//! hashes back to back through those hiccups (the server's uploads hash the same way).
//! Measured with `ferry-bench --only raw` (the `raw download` row, 1 GiB into a file), one
//! chunk behind against this, in one session: 454 / 461 MB/s against 586 / 573.
//!
//! Chunks smaller than [`INLINE`] before the thread starts are hashed on the spot: for a
//! small file a thread would cost more than the hash.

use bytes::Bytes;
use ferry_core::fast_md5::Md5;
use md5::Digest;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::ClientError;

/// Chunks below this are hashed on the calling task while no thread runs.
const INLINE: usize = 64 * 1024;

/// Chunks queued for the thread: room for hiccups, at most this many chunks' memory held.
const DEPTH: usize = 4;

/// An MD5 over every chunk fed, in order; see the module documentation.
#[derive(Debug)]
pub(crate) struct HashBehind {
    state: State,
}

#[derive(Debug)]
enum State {
    Idle(Md5),
    /// Chunks go to the thread, which gives the hasher back when the queue closes.
    Running {
        queue: mpsc::Sender<Bytes>,
        thread: JoinHandle<Md5>,
    },
}

impl HashBehind {
    /// Goes on from `hasher` (which may already cover a resumed prefix).
    pub(crate) fn new(hasher: Md5) -> Self {
        HashBehind {
            state: State::Idle(hasher),
        }
    }

    /// Hashes `chunk` after everything fed before; waits only while the queue is full.
    pub(crate) async fn feed(&mut self, chunk: Bytes) -> Result<(), ClientError> {
        match &mut self.state {
            State::Idle(hasher) if chunk.len() < INLINE => hasher.update(&chunk),
            State::Idle(hasher) => {
                let mut hasher = std::mem::take(hasher);
                let (queue, mut rx) = mpsc::channel::<Bytes>(DEPTH);
                let thread = tokio::task::spawn_blocking(move || {
                    while let Some(chunk) = rx.blocking_recv() {
                        hasher.update(&chunk);
                    }
                    hasher
                });
                let sent = queue.send(chunk).await;
                self.state = State::Running { queue, thread };
                if sent.is_err() {
                    return Err(self.settle().await.err().unwrap_or_else(stopped));
                }
            }
            State::Running { queue, .. } => {
                if queue.send(chunk).await.is_err() {
                    return Err(self.settle().await.err().unwrap_or_else(stopped));
                }
            }
        }
        Ok(())
    }

    /// The MD5 of everything fed, as 32 lowercase hex digits.
    pub(crate) async fn hex(&mut self) -> Result<String, ClientError> {
        let hasher = self.settle().await?;
        let digest = hex::encode(hasher.clone().finalize());
        self.state = State::Idle(hasher);
        Ok(digest)
    }

    /// Waits for every chunk fed to be hashed and takes the hasher out.
    async fn settle(&mut self) -> Result<Md5, ClientError> {
        match std::mem::replace(&mut self.state, State::Idle(Md5::new())) {
            State::Idle(hasher) => Ok(hasher),
            State::Running { queue, thread } => {
                drop(queue);
                thread
                    .await
                    .map_err(|e| ClientError::io("hashing the download", std::io::Error::other(e)))
            }
        }
    }
}

/// The hashing thread is gone though its queue was open: it can only have panicked.
fn stopped() -> ClientError {
    ClientError::io(
        "hashing the download",
        std::io::Error::other("the hashing thread stopped"),
    )
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
