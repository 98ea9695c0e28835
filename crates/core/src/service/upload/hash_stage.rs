//! A hashing stage of its own for one upload: a thread that hashes the upload's blocks in
//! order from a bounded queue, with marks for the accepted points.
//!
//! Why a queue and a thread: MD5 is the bound of a verified upload (one core hashes about
//! 600 MB/s here), so the hashing core must never wait for the request around it. Hashing one
//! block behind the bytes, each block a trip to the blocking pool, left the hash waiting
//! whenever receiving or writing the next block took longer than hashing this one: on two
//! cores shared with the client and the kernel's writeback that happens all the time. With
//! [`DEPTH`] blocks queued the stage hashes back to back through those hiccups. Measured with
//! `ferry-bench --only raw,http,tus,concurrency`, one block behind against this, runs in the
//! order B A A B in one session (MB/s, 1 GiB): HTTP `PUT` 493 / 428 against 530 / 530, tus
//! one `PATCH` 434 / 397 against 519 / 504, the IETF flow 443 / 401 against 537 / 480, the
//! raw door with the MD5 known 394 / 388 against 428 / 450 (one core's MD5: 607-629).
//!
//! Rolling back must undo provisional bytes in the hash too. The stage keeps the state at the
//! last mark (the last accepted point) and returns to it on a reset; the mark and its length
//! are also published for checkpoints, which therefore trail the accepted bytes by at most the
//! blocks still queued. A writer opened from such a checkpoint re-hashes the bytes after it.

use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use md5::{Digest, Md5};
use tokio::sync::{OwnedSemaphorePermit, mpsc};
use tokio::task::JoinHandle;

use crate::{Error, Result};

/// Blocks queued for the stage: room for the hiccups of receiving and writing, at most this
/// many blocks' memory held per upload (1 MiB each, plus the one being hashed).
const DEPTH: usize = 4;

enum Msg {
    Block(Bytes),
    /// Every byte so far is accepted; the length they make.
    Mark(u64),
    /// Back to the state at the last mark.
    Reset,
}

/// A running stage: the queue into its thread and the last mark it published.
#[derive(Debug)]
pub(super) struct HashStage {
    queue: mpsc::Sender<Msg>,
    marked: Arc<Mutex<(Md5, u64)>>,
    thread: JoinHandle<Option<Md5>>,
}

/// Where a stage's hash starts.
#[derive(Debug)]
pub(super) enum Start {
    /// This state.
    Ready(Md5),
    /// The state an earlier stage (or block) ends with: the new stage takes over as soon as
    /// it is there, so a request that follows another does not wait for its hash to drain.
    After(JoinHandle<Option<Md5>>),
}

impl HashStage {
    /// Starts a stage whose hash begins at `start`, covering `len` bytes. Its first mark is
    /// `mark` (the accepted state and its length) or, without one, the start itself.
    /// `published` is the mark a checkpoint sees until the stage publishes its own: an older
    /// accepted state, consistent with its length. The stage holds `permit` until it ends.
    pub(super) fn start(
        start: Start,
        len: u64,
        mark: Option<(Md5, u64)>,
        published: (Md5, u64),
        permit: OwnedSemaphorePermit,
    ) -> HashStage {
        let (queue, mut rx) = mpsc::channel::<Msg>(DEPTH);
        let marked = Arc::new(Mutex::new(mark.clone().unwrap_or(published)));
        let shared = marked.clone();
        let publish = move |state: &Md5, len: u64| {
            *shared.lock().unwrap_or_else(PoisonError::into_inner) = (state.clone(), len);
        };
        let runtime = tokio::runtime::Handle::current();
        let thread = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mut hasher = match start {
                Start::Ready(hasher) => hasher,
                // A blocking-pool thread may wait on a task; an earlier hash that failed ends
                // this stage too (the caller reports it when it settles).
                Start::After(earlier) => runtime.block_on(earlier).ok().flatten()?,
            };
            let mut mark = match mark {
                Some((state, _)) => state,
                None => {
                    publish(&hasher, len);
                    hasher.clone()
                }
            };
            while let Some(msg) = rx.blocking_recv() {
                match msg {
                    Msg::Block(block) => hasher.update(&block),
                    Msg::Mark(len) => {
                        mark = hasher.clone();
                        publish(&mark, len);
                    }
                    Msg::Reset => hasher = mark.clone(),
                }
            }
            Some(hasher)
        });
        HashStage {
            queue,
            marked,
            thread,
        }
    }

    /// Queues `block`; waits only while the queue is full.
    pub(super) async fn block(&self, block: Bytes) -> Result<()> {
        self.send(Msg::Block(block)).await
    }

    /// Marks every byte so far as accepted; they make `len` bytes.
    pub(super) async fn mark(&self, len: u64) -> Result<()> {
        self.send(Msg::Mark(len)).await
    }

    /// Drops the bytes after the last mark from the hash.
    pub(super) async fn reset(&self) -> Result<()> {
        self.send(Msg::Reset).await
    }

    /// The last mark the stage reached, and its length: what a checkpoint saves.
    pub(super) fn marked(&self) -> (Md5, u64) {
        self.marked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Ends the queue: the stage hashes what is queued, then its thread ends (and gives its
    /// permit back) with the hash of every byte sent, or `None` if the hash it started after
    /// failed.
    pub(super) fn close(self) -> JoinHandle<Option<Md5>> {
        drop(self.queue);
        self.thread
    }

    async fn send(&self, msg: Msg) -> Result<()> {
        self.queue
            .send(msg)
            .await
            .map_err(|_| Error::internal("the upload's hashing stage stopped"))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio::sync::Semaphore;

    use super::*;

    fn permit() -> OwnedSemaphorePermit {
        Arc::new(Semaphore::new(1)).try_acquire_owned().unwrap()
    }

    fn md5_of(parts: &[&[u8]]) -> [u8; 16] {
        let mut h = Md5::new();
        for p in parts {
            h.update(p);
        }
        h.finalize().into()
    }

    #[tokio::test]
    async fn blocks_marks_and_resets_give_the_hash_of_the_accepted_bytes() {
        let (a, bad, b) = (vec![1u8; 300_000], vec![9u8; 1 << 20], vec![2u8; 70_000]);
        let stage = HashStage::start(Start::Ready(Md5::new()), 0, None, (Md5::new(), 0), permit());
        stage.block(Bytes::from(a.clone())).await.unwrap();
        stage.mark(a.len() as u64).await.unwrap();
        for _ in 0..6 {
            stage.block(Bytes::from(bad.clone())).await.unwrap();
        }
        stage.reset().await.unwrap();
        stage.block(Bytes::from(b.clone())).await.unwrap();
        let marked = stage.marked();
        assert!(
            marked.1 == 0 || marked.1 == a.len() as u64,
            "a mark is one that was sent"
        );
        let hash = stage.close().await.unwrap().unwrap();
        assert_eq!(<[u8; 16]>::from(hash.finalize()), md5_of(&[&a, &b]));
    }

    #[tokio::test]
    async fn the_published_mark_is_the_hash_of_exactly_its_length() {
        let (a, b) = (vec![3u8; 1 << 20], vec![4u8; 5]);
        let mut first = Md5::new();
        first.update(&a);
        let stage = HashStage::start(
            Start::Ready(first),
            a.len() as u64,
            None,
            (Md5::new(), 0),
            permit(),
        );
        stage.block(Bytes::from(b.clone())).await.unwrap();
        stage.mark((a.len() + b.len()) as u64).await.unwrap();
        stage.block(Bytes::from(vec![7u8; 1 << 20])).await.unwrap();
        // Wait for the stage to get past the mark, then check what it published.
        while stage.marked().1 < (a.len() + b.len()) as u64 {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        let (state, len) = stage.marked();
        assert_eq!(len, (a.len() + b.len()) as u64);
        assert_eq!(<[u8; 16]>::from(state.finalize()), md5_of(&[&a, &b]));
        stage.close().await.unwrap().unwrap();
    }
}
