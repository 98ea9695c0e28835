//! An upload's running MD5, computed one block behind the bytes.
//!
//! MD5 is the bound of a verified upload (one core hashes about 600 MB/s here; receiving and
//! writing a block costs a fraction of that), so the hashing core must never wait for the
//! request around it. A block is handed to the blocking pool and the call returns at once;
//! the next block's hash starts as soon as both the block and the previous hash are there.
//! Receiving, checking and writing block N + 1, answering the client and checkpointing all
//! overlap the hash of block N. (The previous shape hashed beside the write and joined both
//! before answering, so hashing stopped for every answer and every next frame: 0.64× one
//! core's MD5 on `ferry-bench`'s MD5-known raw upload.)
//!
//! A block hashed behind the caller stays in memory until its hash is done, so each one holds
//! a permit of [`HashBehind`], a server-wide pool sized for this machine's cores. Without a
//! permit (many uploads at once, every core busy anyway) the block is hashed in step, and an
//! upload holds only the block in hand: memory stays bounded by the connections, not twice
//! that.
//!
//! Rolling back must undo provisional bytes in the hash too. The state at the last point
//! where every byte was accepted is kept (`accepted`, a clone of ~100 bytes taken when the
//! first provisional block arrives), and a rollback returns to it. That state trails the
//! offset by at most the block being hashed, which is what a checkpoint saves: on a restart
//! the writer re-hashes the few bytes after it, as it does for any bytes a checkpoint does not
//! cover.

use std::sync::Arc;

use bytes::Bytes;
use md5::{Digest, Md5};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::md5hex::Md5Digest;
use crate::{Error, Result};

/// Blocks at least this large are hashed on the blocking pool; below it the hop costs more
/// than it saves and the block is hashed in place.
const POOL_MIN: usize = 64 * 1024;

/// How many blocks, server-wide, may still be hashing after their append returned.
#[derive(Debug, Clone)]
pub(in crate::service) struct HashBehind(Arc<Semaphore>);

impl HashBehind {
    /// Two per core: enough for every core to hash while the blocks after them arrive; past
    /// that, hashing behind gains no speed and only holds memory.
    pub(in crate::service) fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self::new(2 * cores)
    }

    pub(in crate::service) fn new(blocks: usize) -> Self {
        HashBehind(Arc::new(Semaphore::new(blocks)))
    }
}

/// The running MD5 of an upload's bytes, possibly with one block still being hashed.
#[derive(Debug)]
pub(super) struct RunningMd5 {
    state: State,
    behind: HashBehind,
    /// How many bytes `state` covers once settled.
    len: u64,
    /// The state at the last fully accepted point, and how many bytes it covers.
    accepted: Md5,
    accepted_len: u64,
    /// Bytes hashed (or being hashed) since that point: not yet accepted.
    provisional: u64,
}

#[derive(Debug)]
enum State {
    Ready(Md5),
    /// A block being hashed; `behind` when it holds a [`HashBehind`] permit and may outlive
    /// the request that appended it.
    Hashing {
        hash: JoinHandle<Md5>,
        behind: bool,
    },
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

    /// Adds `block` provisionally; returns as soon as its hash is started. Without a
    /// [`HashBehind`] permit the caller must [`finish_in_step`](Self::finish_in_step) it before
    /// its request ends.
    pub(super) async fn update(&mut self, block: Bytes) -> Result<()> {
        let mut hasher = self.settle().await?;
        if self.provisional == 0 {
            self.accepted = hasher.clone();
            self.accepted_len = self.len;
        }
        let n = block.len() as u64;
        self.state = if block.len() < POOL_MIN {
            hasher.update(&block);
            State::Ready(hasher)
        } else {
            let permit = self.behind.0.clone().try_acquire_owned().ok();
            let behind = permit.is_some();
            let hash = tokio::task::spawn_blocking(move || {
                hasher.update(&block);
                // The block's memory goes with the permit, not later.
                drop((block, permit));
                hasher
            });
            State::Hashing { hash, behind }
        };
        self.len += n;
        self.provisional += n;
        Ok(())
    }

    /// Waits for a block that is hashed in step (it got no [`HashBehind`] permit); one hashed
    /// behind is left running.
    pub(super) async fn finish_in_step(&mut self) -> Result<()> {
        if matches!(self.state, State::Hashing { behind: false, .. }) {
            let hasher = self.settle().await?;
            self.state = State::Ready(hasher);
        }
        Ok(())
    }

    /// Makes every byte so far part of the accepted hash.
    pub(super) async fn accept(&mut self) -> Result<()> {
        self.provisional = 0;
        // A hash that has finished is taken at once, so checkpoints trail as little as they can;
        // one still running is left running.
        if matches!(&self.state, State::Hashing { hash, .. } if hash.is_finished()) {
            let hasher = self.settle().await?;
            self.accepted = hasher.clone();
            self.accepted_len = self.len;
            self.state = State::Ready(hasher);
        } else if let State::Ready(hasher) = &self.state {
            self.accepted = hasher.clone();
            self.accepted_len = self.len;
        }
        Ok(())
    }

    /// Drops the provisional bytes from the hash.
    pub(super) fn rollback(&mut self) {
        if self.provisional == 0 {
            return;
        }
        // A block still being hashed belongs to the dropped bytes: its result is not waited for.
        self.state = State::Ready(self.accepted.clone());
        self.len = self.accepted_len;
        self.provisional = 0;
    }

    /// The last accepted state that is settled, and how many bytes it covers: what a checkpoint
    /// saves. It may trail the accepted bytes by the block still being hashed.
    pub(super) fn checkpoint(&self) -> (&Md5, u64) {
        (&self.accepted, self.accepted_len)
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

    /// The state once the block being hashed is done, leaving `Ready` behind a placeholder the
    /// caller replaces.
    async fn settle(&mut self) -> Result<Md5> {
        match std::mem::replace(&mut self.state, State::Ready(Md5::new())) {
            State::Ready(hasher) => Ok(hasher),
            State::Hashing { hash, .. } => hash.await.map_err(Error::internal),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md5_of(parts: &[&[u8]]) -> Md5Digest {
        let mut h = Md5::new();
        for p in parts {
            h.update(p);
        }
        Md5Digest(h.finalize().into())
    }

    fn block(byte: u8, len: usize) -> Bytes {
        Bytes::from(vec![byte; len])
    }

    fn running(hasher: Md5, len: u64) -> RunningMd5 {
        RunningMd5::new(hasher, len, HashBehind::new(2))
    }

    #[tokio::test]
    async fn without_a_permit_blocks_are_hashed_in_step() {
        let (a, b) = (block(1, 1 << 20), block(2, 1 << 20));
        let mut run = RunningMd5::new(Md5::new(), 0, HashBehind::new(0));
        run.update(a.clone()).await.unwrap();
        assert!(matches!(run.state, State::Hashing { behind: false, .. }));
        run.finish_in_step().await.unwrap();
        assert!(
            matches!(run.state, State::Ready(_)),
            "hashed before the request ends"
        );
        run.accept().await.unwrap();
        assert_eq!(run.checkpoint().1, 1 << 20, "nothing trails");
        run.update(b.clone()).await.unwrap();
        run.finish_in_step().await.unwrap();
        run.accept().await.unwrap();
        assert_eq!(run.digest().await.unwrap(), md5_of(&[&a, &b]));
    }

    #[tokio::test]
    async fn blocks_hashed_behind_the_caller_give_the_md5_of_all_of_them() {
        let (a, b, c) = (block(1, 1 << 20), block(2, 100), block(3, 300_000));
        let mut run = running(Md5::new(), 0);
        for x in [&a, &b, &c] {
            run.update(x.clone()).await.unwrap();
            run.accept().await.unwrap();
        }
        assert_eq!(run.digest().await.unwrap(), md5_of(&[&a, &b, &c]));
    }

    #[tokio::test]
    async fn a_rollback_forgets_provisional_blocks_even_while_they_are_being_hashed() {
        let (a, bad, b) = (block(1, 200_000), block(9, 1 << 20), block(2, 70_000));
        let mut run = running(Md5::new(), 0);
        run.update(a.clone()).await.unwrap();
        run.accept().await.unwrap();
        run.update(bad.clone()).await.unwrap();
        run.update(bad).await.unwrap();
        run.rollback();
        run.update(b.clone()).await.unwrap();
        run.accept().await.unwrap();
        assert_eq!(run.digest().await.unwrap(), md5_of(&[&a, &b]));
    }

    #[tokio::test]
    async fn the_checkpoint_covers_only_accepted_bytes_and_trails_by_at_most_one_block() {
        let (a, b, c) = (block(1, 1 << 20), block(2, 1 << 20), block(3, 1 << 20));
        let mut run = running(Md5::new(), 0);
        run.update(a.clone()).await.unwrap();
        run.accept().await.unwrap();
        run.update(b.clone()).await.unwrap();
        run.accept().await.unwrap();
        run.update(c.clone()).await.unwrap();
        // `c` is provisional: the checkpoint is the state before it, whole blocks only.
        let (state, len) = run.checkpoint();
        assert_eq!(len, 2 << 20);
        assert_eq!(
            Md5Digest(state.clone().finalize().into()),
            md5_of(&[&a, &b])
        );
        run.rollback();
        let (_, len) = run.checkpoint();
        assert_eq!(len, 2 << 20);
    }

    #[tokio::test]
    async fn a_hash_resumed_from_a_saved_state_continues_it() {
        let (a, b) = (block(4, 300_000), block(5, 1 << 20));
        let mut first = Md5::new();
        first.update(&a);
        let mut run = running(first, a.len() as u64);
        run.update(b.clone()).await.unwrap();
        run.accept().await.unwrap();
        assert_eq!(run.digest().await.unwrap(), md5_of(&[&a, &b]));
    }
}
