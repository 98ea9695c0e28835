//! The part of [`crate::LocalMetaStore`] that lives in memory: quota ledgers, upload leases
//! and the records of transient uploads, each operation one critical section under the
//! store's mutex.
//!
//! Why memory is enough here: a data folder has one server, the only process that writes
//! uploads (the admin commands change accounts only). Ledgers are rebuilt from the homes and the
//! upload records at first use after a start; leases start free, since no writer outlives its
//! process; a transient upload (a whole-file `PUT`) ends with the request that carries it, so
//! its record is not needed after a restart either: its staged bytes, if a crash left any,
//! are swept as an orphan.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use ferry_core::store::{Lease, Ledger, QuotaCommit, UploadRecord};
use ferry_core::upload_id::UploadId;
use ferry_core::username::Username;
use ferry_core::{Error, Result};

/// Ledgers and leases.
#[derive(Debug, Default)]
pub(crate) struct Volatile {
    pub(crate) ledgers: HashMap<Username, Ledger>,
    leases: HashMap<UploadId, LeaseState>,
    /// Records of transient uploads (see `MetaStore::create_transient_upload`).
    pub(crate) transient: HashMap<UploadId, UploadRecord>,
}

#[derive(Debug, Clone)]
struct LeaseState {
    holder: String,
    fence: u64,
    until: Instant,
}

impl Volatile {
    /// How many transient uploads `user` has.
    pub(crate) fn transient_count(&self, user: &Username) -> usize {
        self.transient.values().filter(|r| &r.user == user).count()
    }

    /// `user`'s transient upload records.
    pub(crate) fn transient_of(&self, user: &Username) -> Vec<UploadRecord> {
        let mine = self.transient.values().filter(|r| &r.user == user);
        mine.cloned().collect()
    }

    fn ledger<T>(
        &mut self,
        user: &Username,
        f: impl FnOnce(&mut Ledger) -> Result<T>,
    ) -> Result<T> {
        let ledger = self
            .ledgers
            .get_mut(user)
            .ok_or_else(|| Error::internal(format!("quota ledger of {user} not initialised")))?;
        f(ledger)
    }

    /// The current fence of `id`'s lease, if any.
    pub(crate) fn fence(&self, id: &UploadId) -> Option<u64> {
        self.leases.get(id).map(|l| l.fence)
    }

    pub(crate) fn lease_take(
        &mut self,
        id: &UploadId,
        holder: &str,
        ttl: Duration,
    ) -> Result<Lease> {
        let now = Instant::now();
        let fence = match self.leases.get(id) {
            Some(l) if l.holder == holder => l.fence,
            Some(l) if l.until > now => return Err(Error::UploadBusy(id.to_string())),
            Some(l) => l.fence + 1,
            None => 1,
        };
        self.leases.insert(
            *id,
            LeaseState {
                holder: holder.to_string(),
                fence,
                until: now + ttl,
            },
        );
        Ok(Lease {
            id: *id,
            holder: holder.to_string(),
            fence,
        })
    }

    pub(crate) fn lease_renew(&mut self, lease: &Lease, ttl: Duration) -> Result<()> {
        match self.leases.get_mut(&lease.id) {
            Some(l) if l.fence == lease.fence && l.holder == lease.holder => {
                l.until = Instant::now() + ttl;
                Ok(())
            }
            _ => Err(Error::UploadBusy(lease.id.to_string())),
        }
    }

    pub(crate) fn lease_release(&mut self, lease: &Lease) {
        if let Some(l) = self.leases.get_mut(&lease.id)
            && l.fence == lease.fence
            && l.holder == lease.holder
        {
            // Kept as expired (not removed) so the next grant still raises the fence.
            l.until = Instant::now();
            l.holder.clear();
        }
    }

    pub(crate) fn quota_init(&mut self, user: &Username, used: u64, reserved: u64) -> Ledger {
        *self.ledgers.entry(user.clone()).or_insert(Ledger {
            used,
            reserved,
            pending: 0,
            generation: 0,
        })
    }

    pub(crate) fn quota_reserve(
        &mut self,
        user: &Username,
        bytes: u64,
        limit: Option<u64>,
    ) -> Result<Ledger> {
        self.ledger(user, |l| {
            if let Some(limit) = limit {
                let available = l.available(limit);
                if bytes > available {
                    return Err(Error::QuotaExceeded {
                        needed: bytes,
                        available,
                    });
                }
            }
            l.reserved = l.reserved.saturating_add(bytes);
            Ok(*l)
        })
    }

    pub(crate) fn quota_release(&mut self, user: &Username, bytes: u64) -> Result<()> {
        self.ledger(user, |l| {
            l.reserved = l.reserved.saturating_sub(bytes);
            Ok(())
        })
    }

    pub(crate) fn quota_begin_commit(&mut self, c: &QuotaCommit, limit: Option<u64>) -> Result<()> {
        let (size, replaced) = (c.size, c.replaced);
        self.ledger(&c.user, |l| {
            let used_after = l.used.saturating_add(size).saturating_sub(replaced);
            if let Some(limit) = limit
                && used_after > limit
            {
                return Err(Error::QuotaExceeded {
                    needed: size,
                    available: limit.saturating_sub(l.used).saturating_add(replaced),
                });
            }
            l.reserved = l.reserved.saturating_sub(size);
            l.used = used_after;
            l.pending += 1;
            l.generation += 1;
            Ok(())
        })
    }

    pub(crate) fn quota_abort_commit(&mut self, c: &QuotaCommit) -> Result<()> {
        let (size, replaced) = (c.size, c.replaced);
        self.ledger(&c.user, |l| {
            l.reserved = l.reserved.saturating_add(size);
            l.used = l.used.saturating_add(replaced).saturating_sub(size);
            l.pending = l.pending.saturating_sub(1);
            l.generation += 1;
            Ok(())
        })
    }

    pub(crate) fn quota_begin_free(&mut self, user: &Username) -> Result<()> {
        self.ledger(user, |l| {
            l.pending += 1;
            l.generation += 1;
            Ok(())
        })
    }

    pub(crate) fn quota_end_change(&mut self, user: &Username, freed: u64) -> Result<()> {
        self.ledger(user, |l| {
            l.used = l.used.saturating_sub(freed);
            l.pending = l.pending.saturating_sub(1);
            l.generation += 1;
            Ok(())
        })
    }

    pub(crate) fn quota_resync(
        &mut self,
        user: &Username,
        used: u64,
        generation: u64,
    ) -> Result<Ledger> {
        self.ledger(user, |l| {
            if l.generation == generation && l.pending == 0 {
                l.used = used;
                l.generation += 1;
            }
            Ok(*l)
        })
    }
}
