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
//!
//! A stage outlives its request: a client that sends an upload as many requests (the raw
//! door's 1 MiB writes, tus or resumable chunks) keeps one thread hashing across them, where
//! a stage per request spawned a thread and chained it to the last for every request. Once
//! at a mark with nothing queued for its linger time, the thread ends by itself and gives its
//! permit back, so a writer left open between requests holds no thread for long; its owner
//! takes the state it ended with ([`Ended`]) and goes on. Measured with
//! `ferry-bench --only raw`, a stage per request against one that lingers, in one session
//! (MB/s, 1 GiB, the MD5 known up front): 492 / 490 against 568 / 596.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use md5::Digest;

use crate::fast_md5::Md5;
use tokio::sync::OwnedSemaphorePermit;
use tokio::sync::mpsc::{self, error::TryRecvError};
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

/// A running stage: the queue into its thread, and what the two share.
#[derive(Debug)]
pub(super) struct HashStage {
    queue: mpsc::Sender<Msg>,
    /// Dropped after the queue: wakes the thread to find it closed.
    shared: Waker,
    thread: JoinHandle<Option<Ended>>,
}

/// What a stage and its thread share: the last mark it published, and the thread to wake
/// when a message is queued.
#[derive(Debug)]
struct Shared {
    marked: Mutex<(Md5, u64)>,
    thread: OnceLock<std::thread::Thread>,
}

impl Shared {
    fn publish(&self, state: &Md5, len: u64) {
        *self.marked.lock().unwrap_or_else(PoisonError::into_inner) = (state.clone(), len);
    }

    fn wake(&self) {
        if let Some(thread) = self.thread.get() {
            thread.unpark();
        }
    }
}

/// Wakes the stage's thread when dropped, so a stage dropped without [`HashStage::end`] (its
/// writer gone) ends at once rather than at its next timeout.
#[derive(Debug)]
struct Waker(Arc<Shared>);

impl Drop for Waker {
    fn drop(&mut self) {
        self.0.wake();
    }
}

/// The thread's side: the running hash and the last mark.
struct Hashing<'a> {
    hasher: Md5,
    mark: Md5,
    mark_len: u64,
    /// At a mark, nothing provisional: the only state in which the thread may end by itself,
    /// since its owner then loses nothing it would need to roll back to.
    at_mark: bool,
    shared: &'a Shared,
}

impl<'a> Hashing<'a> {
    fn new(hasher: Md5, len: u64, mark: Option<(Md5, u64)>, shared: &'a Shared) -> Self {
        let at_mark = mark.is_none();
        let (mark, mark_len) = mark.unwrap_or_else(|| {
            shared.publish(&hasher, len);
            (hasher.clone(), len)
        });
        Hashing {
            hasher,
            mark,
            mark_len,
            at_mark,
            shared,
        }
    }

    /// Hashes what comes until the queue ends, or until idle at a mark for `linger`.
    ///
    /// Waiting is `try_recv` and parking with a timeout, woken by the sender, rather than a
    /// timer of the runtime: such a timer panics if the runtime shuts down under it, and this
    /// thread may outlive the request that started it.
    fn run(mut self, mut rx: mpsc::Receiver<Msg>, linger: Duration) -> Ended {
        let mut idle_since = None;
        loop {
            match rx.try_recv() {
                Ok(msg) => {
                    idle_since = None;
                    self.apply(msg);
                }
                Err(TryRecvError::Disconnected) => break,
                Err(TryRecvError::Empty) => {
                    let since = *idle_since.get_or_insert_with(Instant::now);
                    let left = linger.saturating_sub(since.elapsed());
                    if !self.at_mark || !left.is_zero() {
                        // Woken by each send; the timeout only bounds a wake-up missed.
                        std::thread::park_timeout(if left.is_zero() { linger } else { left });
                        continue;
                    }
                    // Idle: the queue is closed, then drained. A message sent before the close
                    // is still hashed here (`blocking_recv` waits for sends under way); a later
                    // send fails and its owner takes over from what this thread ends with.
                    rx.close();
                    while let Some(msg) = rx.blocking_recv() {
                        self.apply(msg);
                    }
                    break;
                }
            }
        }
        Ended {
            hash: self.hasher,
            mark: self.mark,
            mark_len: self.mark_len,
        }
    }

    fn apply(&mut self, msg: Msg) {
        match msg {
            Msg::Block(block) => {
                self.hasher.update(&block);
                self.at_mark = false;
            }
            Msg::Mark(len) => {
                (self.mark, self.mark_len) = (self.hasher.clone(), len);
                self.shared.publish(&self.mark, len);
                self.at_mark = true;
            }
            Msg::Reset => {
                self.hasher = self.mark.clone();
                self.at_mark = true;
            }
        }
    }
}

/// What a stage's thread ends with: the hash of every byte it was sent, and its last mark
/// (the accepted state) with the length that makes.
#[derive(Debug)]
pub(super) struct Ended {
    pub(super) hash: Md5,
    pub(super) mark: Md5,
    pub(super) mark_len: u64,
}

/// The queue has closed: the stage's thread ended (idle at a mark, or its hash failed). Its
/// owner takes what it ended with from [`HashStage::end`].
#[derive(Debug)]
pub(super) struct Stopped;

/// Where a stage's hash starts.
#[derive(Debug)]
pub(super) enum Start {
    /// This state.
    Ready(Md5),
    /// The state a block being hashed in step on the pool ends with: the stage takes over as
    /// soon as it is there, without waiting for it.
    After(JoinHandle<Option<Md5>>),
}

impl HashStage {
    /// Starts a stage whose hash begins at `start`, covering `len` bytes. Its first mark is
    /// `mark` (the accepted state and its length) or, without one, the start itself.
    /// `published` is the mark a checkpoint sees until the stage publishes its own: an older
    /// accepted state, consistent with its length. The stage holds `permit` until it ends,
    /// which it does by itself after `linger` at a mark with nothing queued.
    pub(super) fn start(
        start: Start,
        len: u64,
        mark: Option<(Md5, u64)>,
        published: (Md5, u64),
        permit: OwnedSemaphorePermit,
        linger: Duration,
    ) -> HashStage {
        let (queue, rx) = mpsc::channel::<Msg>(DEPTH);
        let shared = Arc::new(Shared {
            marked: Mutex::new(mark.clone().unwrap_or(published)),
            thread: OnceLock::new(),
        });
        let runtime = tokio::runtime::Handle::current();
        let theirs = shared.clone();
        let thread = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let _ = theirs.thread.set(std::thread::current());
            let hasher = match start {
                Start::Ready(hasher) => hasher,
                // A blocking-pool thread may wait on a task; an earlier hash that failed ends
                // this stage too (the caller reports it when it settles).
                Start::After(earlier) => runtime.block_on(earlier).ok().flatten()?,
            };
            Some(Hashing::new(hasher, len, mark, &theirs).run(rx, linger))
        });
        HashStage {
            queue,
            shared: Waker(shared),
            thread,
        }
    }

    /// Queues `block`; waits only while the queue is full.
    pub(super) async fn block(&self, block: Bytes) -> Result<(), Stopped> {
        self.send(Msg::Block(block)).await
    }

    /// Marks every byte so far as accepted; they make `len` bytes.
    pub(super) async fn mark(&self, len: u64) -> Result<(), Stopped> {
        self.send(Msg::Mark(len)).await
    }

    /// Drops the bytes after the last mark from the hash.
    pub(super) async fn reset(&self) -> Result<(), Stopped> {
        self.send(Msg::Reset).await
    }

    /// The last mark the stage reached, and its length: what a checkpoint saves.
    pub(super) fn marked(&self) -> (Md5, u64) {
        self.shared
            .0
            .marked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Ends the queue (if the thread has not ended it already): the stage hashes what is
    /// queued, then its thread ends and gives its permit back. An error if the hash it started
    /// after failed.
    pub(super) async fn end(self) -> Result<Ended> {
        let HashStage {
            queue,
            shared,
            thread,
        } = self;
        drop(queue);
        drop(shared);
        thread
            .await
            .map_err(Error::internal)?
            .ok_or_else(|| Error::internal("the upload's hashing stage failed"))
    }

    async fn send(&self, msg: Msg) -> Result<(), Stopped> {
        self.queue.send(msg).await.map_err(|_| Stopped)?;
        self.shared.0.wake();
        Ok(())
    }
}

#[cfg(test)]
mod tests;
