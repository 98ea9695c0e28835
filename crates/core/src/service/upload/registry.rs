//! Open writers between requests, and the claim that makes one session the upload's writer.
//!
//! The registry maps an upload id to a [`Slot`]: the owner (checked before anything else, so
//! another user's id answers `upload_not_found` in every state — no existence oracle), the
//! state clients see (read without waiting for a write in progress), the session that holds the
//! claim, and the open [`Writer`] behind an async mutex. A session claims an upload on first use
//! and keeps the claim until it ends (a TCP connection) or the upload is committed or discarded;
//! another session of the same user gets `upload_busy` meanwhile. Releasing a claim is an
//! in-memory change, safe in `Drop`; closing a writer (checkpoint, lease release) is async and
//! happens only in explicit calls.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::writer::Writer;
use crate::model::UploadInfo;
use crate::service::lock;
use crate::upload_id::UploadId;
use crate::username::Username;
use crate::{Error, Result};

/// Every open upload of this process.
#[derive(Debug, Default)]
pub(in crate::service) struct Registry {
    slots: Mutex<HashMap<UploadId, Arc<Slot>>>,
    /// Uploads committed lately.
    pub(super) completed: super::completed::Completed,
}

/// One upload in the registry.
#[derive(Debug)]
pub(in crate::service) struct Slot {
    pub(super) id: UploadId,
    pub(super) owner: Username,
    /// The session holding the claim; 0 is none.
    pub(super) claim: Mutex<u64>,
    /// Ends the holder's body read when a newer request takes the upload over (see
    /// [`preempt`](super::preempt)).
    pub(super) holder: Mutex<Option<tokio_util::sync::CancellationToken>>,
    /// What status answers, kept current by the writer.
    info: Mutex<UploadInfo>,
    pub(super) writer: Arc<tokio::sync::Mutex<Option<Writer>>>,
    last_used: Mutex<Instant>,
    /// A whole-file put: discarded, not kept, when its session goes away unfinished.
    pub(super) ephemeral: AtomicBool,
    /// Taken out of the registry (closed, committed, discarded): whoever still holds it must
    /// look the upload up again.
    closed: AtomicBool,
    /// The record as a status query read it, for the writer that opens next: a request that
    /// asks its upload's state and then writes reads the record once.
    pub(super) record: Mutex<Option<crate::store::UploadRecord>>,
    /// The staging handle a create opened, for the writer that opens next (a whole-file put
    /// writes at once).
    pub(super) handle: Mutex<Option<Box<dyn crate::store::StagingHandle>>>,
    /// Its writer is being closed: status asks the store, writers wait and look again.
    closing: AtomicBool,
}

impl Slot {
    pub(super) fn info(&self) -> UploadInfo {
        lock(&self.info).clone()
    }

    pub(super) fn set_info(&self, info: UploadInfo) {
        *lock(&self.info) = info;
        *lock(&self.last_used) = Instant::now();
    }

    /// Makes `session` the upload's writer, unless another session is; with `newer_wins` an
    /// older session's claim is taken over and its body read ended.
    pub(super) fn claim(
        &self,
        session: u64,
        newer_wins: bool,
        token: &tokio_util::sync::CancellationToken,
    ) -> Result<()> {
        // Under the claim lock, so `take_idle` (which checks the claim under the same lock
        // while holding the registry) cannot close a slot between this check and the claim.
        let mut claim = lock(&self.claim);
        if *claim != 0 && *claim != session && !self.end_older(*claim, session, newer_wins) {
            return Err(Error::UploadBusy(self.id.to_string()));
        }
        *claim = session;
        *lock(&self.holder) = Some(token.clone());
        *lock(&self.last_used) = Instant::now();
        Ok(())
    }

    /// Gives the claim up if `session` holds it; whether it did. In-memory only.
    pub(super) fn release_claim(&self, session: u64) -> bool {
        let mut claim = lock(&self.claim);
        let held = *claim == session;
        if held {
            *claim = 0;
            lock(&self.holder).take();
        }
        *lock(&self.last_used) = Instant::now();
        held
    }

    fn idle_for(&self, idle: Duration, now: Instant) -> bool {
        *lock(&self.claim) == 0 && now.duration_since(*lock(&self.last_used)) >= idle
    }
}

impl Registry {
    /// The slot of `id`, if open here.
    pub(super) fn get(&self, id: &UploadId) -> Option<Arc<Slot>> {
        lock(&self.slots).get(id).cloned()
    }

    /// The slot of `id`, inserting a new one for `owner` with `info` if none is open.
    pub(super) fn get_or_insert(
        &self,
        id: UploadId,
        owner: &Username,
        info: UploadInfo,
    ) -> Arc<Slot> {
        lock(&self.slots)
            .entry(id)
            .or_insert_with(|| {
                Arc::new(Slot {
                    id,
                    owner: owner.clone(),
                    claim: Mutex::new(0),
                    holder: Mutex::new(None),
                    info: Mutex::new(info),
                    writer: Arc::new(tokio::sync::Mutex::new(None)),
                    last_used: Mutex::new(Instant::now()),
                    ephemeral: AtomicBool::new(false),
                    closed: AtomicBool::new(false),
                    record: Mutex::new(None),
                    handle: Mutex::new(None),
                    closing: AtomicBool::new(false),
                })
            })
            .clone()
    }

    /// Forgets `slot` (its writer was committed or discarded, or is being closed).
    pub(super) fn remove(&self, slot: &Arc<Slot>) {
        let mut slots = lock(&self.slots);
        slot.closed.store(true, Ordering::Release);
        if slots.get(&slot.id).is_some_and(|s| Arc::ptr_eq(s, slot)) {
            slots.remove(&slot.id);
        }
    }

    /// Takes `id`'s slot out if no session claims it (the expiry sweep), marking it closed.
    pub(super) fn take_unclaimed(&self, id: &UploadId) -> Option<Arc<Slot>> {
        let mut slots = lock(&self.slots);
        let unclaimed = slots.get(id).is_some_and(|s| *lock(&s.claim) == 0);
        let slot = if unclaimed { slots.remove(id) } else { None }?;
        slot.closed.store(true, Ordering::Release);
        Some(slot)
    }

    /// `user`'s slots whose writers are being closed.
    pub(super) fn closing_of(&self, user: &Username) -> Vec<Arc<Slot>> {
        lock(&self.slots)
            .values()
            .filter(|s| &s.owner == user && s.is_closing())
            .cloned()
            .collect()
    }

    /// Whether an upload is open here (the expiry sweep leaves those alone).
    pub(super) fn contains(&self, id: &UploadId) -> bool {
        lock(&self.slots).contains_key(id)
    }

    /// Takes out the slots unclaimed and unused for `idle`, or every slot with `all`, marking
    /// them closed; the caller closes their writers.
    pub(super) fn take_idle(&self, idle: Duration, all: bool) -> Vec<Arc<Slot>> {
        let now = Instant::now();
        let mut slots = lock(&self.slots);
        let ids: Vec<UploadId> = slots
            .values()
            .filter(|s| all || s.idle_for(idle, now))
            .map(|s| s.id)
            .collect();
        ids.iter()
            .filter_map(|id| slots.remove(id))
            .inspect(|s| s.closed.store(true, Ordering::Release))
            .collect()
    }
}

impl Slot {
    /// Whether this slot is still a whole-file put that must not outlive its session.
    pub(super) fn is_ephemeral(&self) -> bool {
        self.ephemeral.load(Ordering::Acquire)
    }

    /// Whether the slot left the registry.
    pub(super) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Whether its writer is being closed (or is closed).
    pub(super) fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Acquire) || self.is_closed()
    }

    pub(super) fn set_closing(&self) {
        self.closing.store(true, Ordering::Release);
    }
}
