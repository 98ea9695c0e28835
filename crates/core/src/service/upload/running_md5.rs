//! An upload's running MD5, computed behind the bytes.
//!
//! MD5 is the bound of a verified upload (one core hashes about 600 MB/s here; receiving and
//! writing a block costs a fraction of that), so the hashing core must never wait for the
//! request around it. An upload that gets a [`HashBehind`] permit hashes on a
//! [`HashStage`] of its own: a thread fed by a bounded queue, so receiving, checking and
//! writing the next blocks, answering the client and checkpointing all overlap the hash, and
//! a hiccup in any of them does not stop it. The stage lasts across the upload's requests;
//! idle for [`LINGER`] it ends by itself and gives its permit back, so a writer kept open
//! between requests holds no thread for long. The next block then starts a stage again from
//! the state the last one ended with.
//!
//! The permits are server-wide and sized for this machine's cores. Without one (many uploads
//! at once, every core busy anyway) each block is hashed in step, beside its write, and an
//! upload holds only the block in hand: memory stays bounded by the connections.
//!
//! Rolling back must undo provisional bytes in the hash too. In step, the state at the last
//! point where every byte was accepted is kept (`accepted`, a clone of ~100 bytes) and a
//! rollback returns to it; a stage keeps its own mark (see [`HashStage`]). What a checkpoint
//! saves may trail the offset by the blocks still being hashed: on a restart the writer
//! re-hashes the few bytes after it, as it does for any bytes a checkpoint does not cover.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use md5::Digest;

use crate::fast_md5::Md5;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use super::hash_stage::{Ended, HashStage, Start};
use crate::md5hex::Md5Digest;
use crate::{Error, Result};

/// Blocks at least this large are hashed off the calling thread; below it the hop costs more
/// than it saves and the block is hashed in place.
const POOL_MIN: usize = 64 * 1024;

/// How long a stage waits, idle at an accepted point, for the upload's next request before its
/// thread ends. Requests of one client follow each other within milliseconds; a second leaves
/// room for a slow link and holds a permit only that long after the last byte.
const LINGER: Duration = Duration::from_secs(1);

/// How many uploads, server-wide, may hash on a stage of their own at once, and how long an
/// idle stage lingers.
#[derive(Debug, Clone)]
pub(in crate::service) struct HashBehind(Arc<Semaphore>, Duration);

impl HashBehind {
    /// Two per core: enough for every core to hash while other uploads' stages wait on their
    /// clients; past that a stage gains no speed and only holds memory and a thread.
    pub(in crate::service) fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self::new(2 * cores)
    }

    pub(in crate::service) fn new(stages: usize) -> Self {
        Self::lingering(stages, LINGER)
    }

    /// `stages` permits whose stages linger `linger` when idle.
    pub(in crate::service) fn lingering(stages: usize, linger: Duration) -> Self {
        HashBehind(Arc::new(Semaphore::new(stages)), linger)
    }
}

/// The running MD5 of an upload's bytes, possibly still being hashed.
#[derive(Debug)]
pub(super) struct RunningMd5 {
    state: State,
    behind: HashBehind,
    /// How many bytes the hash covers once settled.
    len: u64,
    /// In step: the state at the last fully accepted point. On a stage it may be older (the
    /// stage keeps the current mark).
    accepted: Md5,
    /// The length at the last fully accepted point.
    accepted_len: u64,
    /// Bytes hashed (or being hashed) since that point: not yet accepted.
    provisional: u64,
}

#[derive(Debug)]
enum State {
    Ready(Md5),
    /// One block being hashed on the pool, to be finished in step.
    Hashing(JoinHandle<Option<Md5>>),
    Stage(HashStage),
}

impl RunningMd5 {
    /// A running hash that covers `len` bytes with `hasher`'s state, all accepted.
    pub(super) fn new(hasher: Md5, len: u64, behind: HashBehind) -> Self {
        RunningMd5 {
            behind,
            accepted: hasher.clone(),
            accepted_len: len,
            state: State::Ready(hasher),
            len,
            provisional: 0,
        }
    }

    /// Adds `block` provisionally. On a stage it returns once the block is queued; in step the
    /// caller must [`finish_in_step`](Self::finish_in_step) it before its request ends.
    pub(super) async fn update(&mut self, block: Bytes) -> Result<()> {
        let n = block.len() as u64;
        loop {
            if let State::Stage(stage) = &self.state {
                if stage.block(block.clone()).await.is_ok() {
                    break;
                }
                // The stage ended while idle: go on from where it stood (or, if its hash
                // failed, report that).
                self.take_ended().await?;
            }
            let Some(permit) = (block.len() >= POOL_MIN)
                .then(|| self.behind.0.clone().try_acquire_owned().ok())
                .flatten()
            else {
                self.update_in_step(block).await?;
                break;
            };
            // A stage starts where the hash stands, even if a block is still being hashed.
            let start = match std::mem::replace(&mut self.state, State::Ready(Md5::new())) {
                State::Ready(hasher) => Start::Ready(hasher),
                State::Hashing(hash) => Start::After(hash),
                State::Stage(_) => unreachable!("taken above"),
            };
            let mark = (self.provisional > 0).then(|| (self.accepted.clone(), self.accepted_len));
            let published = (self.accepted.clone(), self.accepted_len);
            if self.provisional == 0 {
                // Every byte so far is accepted: a rollback comes back here, where the stage's
                // first mark is.
                self.accepted_len = self.len;
            }
            // In place before the first send (the loop's next turn): if the stage failed,
            // settling it reports that rather than a placeholder hash.
            let linger = self.behind.1;
            self.state = State::Stage(HashStage::start(
                start, self.len, mark, published, permit, linger,
            ));
        }
        self.len += n;
        self.provisional += n;
        Ok(())
    }

    /// Hashes `block` beside the caller: in place if small, else on the pool, finished in step.
    async fn update_in_step(&mut self, block: Bytes) -> Result<()> {
        let mut hasher = self.settle().await?;
        if self.provisional == 0 {
            self.accepted = hasher.clone();
            self.accepted_len = self.len;
        }
        self.state = if block.len() < POOL_MIN {
            hasher.update(&block);
            State::Ready(hasher)
        } else {
            State::Hashing(tokio::task::spawn_blocking(move || {
                hasher.update(&block);
                Some(hasher)
            }))
        };
        Ok(())
    }

    /// Waits for a block that is hashed in step; a stage is left running.
    pub(super) async fn finish_in_step(&mut self) -> Result<()> {
        if matches!(self.state, State::Hashing(_)) {
            let hasher = self.settle().await?;
            self.state = State::Ready(hasher);
        }
        Ok(())
    }

    /// Makes every byte so far part of the accepted hash.
    pub(super) async fn accept(&mut self) -> Result<()> {
        if self.provisional == 0 {
            return Ok(());
        }
        if let State::Stage(stage) = &self.state
            && stage.mark(self.len).await.is_err()
        {
            self.take_ended().await?;
        }
        self.provisional = 0;
        match &self.state {
            State::Stage(_) => self.accepted_len = self.len,
            // A hash that has finished is taken at once, so checkpoints trail as little as
            // they can; one still running is left running.
            State::Hashing(hash) if hash.is_finished() => {
                let hasher = self.settle().await?;
                self.accepted = hasher.clone();
                self.accepted_len = self.len;
                self.state = State::Ready(hasher);
            }
            State::Ready(hasher) => {
                self.accepted = hasher.clone();
                self.accepted_len = self.len;
            }
            State::Hashing(_) => {}
        }
        Ok(())
    }

    /// Drops the provisional bytes from the hash.
    pub(super) async fn rollback(&mut self) -> Result<()> {
        if self.provisional == 0 {
            return Ok(());
        }
        if let State::Stage(stage) = &self.state
            && stage.reset().await.is_err()
        {
            self.take_ended().await?;
        }
        // A stage returns to its last mark, which is where `accepted_len` was set. In step, a
        // block still being hashed belongs to the dropped bytes: its result is not waited for.
        if !matches!(self.state, State::Stage(_)) {
            self.state = State::Ready(self.accepted.clone());
        }
        self.len = self.accepted_len;
        self.provisional = 0;
        Ok(())
    }

    /// The last accepted state that is settled, and how many bytes it covers: what a checkpoint
    /// saves. It may trail the accepted bytes by the blocks still being hashed.
    pub(super) fn checkpoint(&self) -> (Md5, u64) {
        match &self.state {
            State::Stage(stage) => stage.marked(),
            _ => (self.accepted.clone(), self.accepted_len),
        }
    }

    /// Waits for the hash of every byte so far, provisional ones too, and returns it. The
    /// accepted point stays where it was: a rollback still returns there. A stage is ended
    /// for it (the next block starts another).
    pub(super) async fn all_hashed(&mut self) -> Result<Md5> {
        let hasher = match std::mem::replace(&mut self.state, State::Ready(Md5::new())) {
            State::Stage(stage) => {
                let Ended {
                    hash,
                    mark,
                    mark_len,
                } = stage.end().await?;
                self.accepted = mark;
                self.accepted_len = mark_len;
                hash
            }
            other => {
                self.state = other;
                self.settle().await?
            }
        };
        self.state = State::Ready(hasher.clone());
        Ok(hasher)
    }

    /// Waits for the hash of every accepted byte (nothing may be provisional).
    pub(super) async fn settled(&mut self) -> Result<()> {
        debug_assert_eq!(self.provisional, 0, "settled with provisional bytes");
        let hasher = self.settle().await?;
        self.accepted = hasher.clone();
        self.accepted_len = self.len;
        self.state = State::Ready(hasher);
        Ok(())
    }

    /// The MD5 of every accepted byte, waiting for the last block's hash.
    pub(super) async fn digest(&mut self) -> Result<Md5Digest> {
        self.settled().await?;
        Ok(Md5Digest(self.accepted.clone().finalize().into()))
    }

    /// The state once every block is hashed (a stage is ended for it), leaving `Ready` behind
    /// a placeholder the caller replaces.
    async fn settle(&mut self) -> Result<Md5> {
        let hash = match std::mem::replace(&mut self.state, State::Ready(Md5::new())) {
            State::Ready(hasher) => return Ok(hasher),
            State::Hashing(hash) => hash,
            State::Stage(stage) => return Ok(stage.end().await?.hash),
        };
        hash.await
            .map_err(Error::internal)?
            .ok_or_else(|| Error::internal("the upload's hashing stage failed"))
    }

    /// A stage whose queue closed (it ended idle at a mark, or its hash failed) gives way to
    /// the state it ended with, in step: its hash and, as the accepted point, its last mark,
    /// which is where this side's accepted length stands (the stage got every mark and reset).
    async fn take_ended(&mut self) -> Result<()> {
        let State::Stage(stage) = std::mem::replace(&mut self.state, State::Ready(Md5::new()))
        else {
            return Ok(());
        };
        let Ended {
            hash,
            mark,
            mark_len,
        } = stage.end().await?;
        debug_assert_eq!(
            mark_len,
            self.len - self.provisional,
            "the stage's last mark"
        );
        self.accepted = mark;
        self.accepted_len = mark_len;
        self.state = State::Ready(hash);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
