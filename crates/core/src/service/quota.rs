//! Quota accounting: committed bytes plus bytes reserved by unfinished uploads.
//!
//! A user's ledger is loaded once (walking the home, summing upload records) and then kept
//! current by every operation that changes it, under one mutex so two racing uploads cannot
//! both take the last free bytes. `quota` re-walks the home so changes made outside Ferry are
//! picked up.

use super::{Inner, lock};
use crate::model::QuotaInfo;
use crate::username::Username;
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Ledger {
    pub used: u64,
    pub reserved: u64,
}

impl Inner {
    fn load_ledger(&self, user: &Username) -> Result<Ledger> {
        let used = self.blobs.usage(user)?;
        let reserved = self
            .meta
            .uploads()?
            .iter()
            .filter(|r| &r.user == user)
            .map(|r| r.size)
            .sum();
        Ok(Ledger { used, reserved })
    }

    /// Runs `f` on the user's ledger, loading it first if needed. Blocking.
    pub(super) fn with_ledger<T>(
        &self,
        user: &Username,
        f: impl FnOnce(&mut Ledger) -> Result<T>,
    ) -> Result<T> {
        if !lock(&self.ledgers).contains_key(user) {
            let fresh = self.load_ledger(user)?;
            lock(&self.ledgers).entry(user.clone()).or_insert(fresh);
        }
        let mut ledgers = lock(&self.ledgers);
        let ledger = ledgers.entry(user.clone()).or_default();
        f(ledger)
    }

    /// The user's byte limit from the account store (admin changes apply at once).
    pub(super) fn quota_limit(&self, user: &Username) -> Result<Option<u64>> {
        Ok(self.meta.account(user)?.and_then(|a| a.quota))
    }

    /// Reserves `size` bytes for a new upload or fails with `quota_exceeded`.
    pub(super) fn reserve(&self, user: &Username, size: u64) -> Result<()> {
        let limit = self.quota_limit(user)?;
        self.with_ledger(user, |l| {
            if let Some(limit) = limit {
                let available = limit.saturating_sub(l.used.saturating_add(l.reserved));
                if size > available {
                    return Err(Error::QuotaExceeded {
                        needed: size,
                        available,
                    });
                }
            }
            l.reserved = l.reserved.saturating_add(size);
            Ok(())
        })
    }

    /// Gives back a reservation (cancel, expiry, failed finish).
    pub(super) fn release(&self, user: &Username, size: u64) {
        let mut ledgers = lock(&self.ledgers);
        if let Some(l) = ledgers.get_mut(user) {
            l.reserved = l.reserved.saturating_sub(size);
        }
    }

    /// Records freed bytes (rm, replaced files).
    pub(super) fn freed(&self, user: &Username, bytes: u64) {
        let mut ledgers = lock(&self.ledgers);
        if let Some(l) = ledgers.get_mut(user) {
            l.used = l.used.saturating_sub(bytes);
        }
    }

    /// Fresh figures: re-walks the home.
    pub(super) fn quota_info(&self, user: &Username) -> Result<QuotaInfo> {
        let fresh = self.load_ledger(user)?;
        lock(&self.ledgers).insert(user.clone(), fresh);
        Ok(QuotaInfo {
            used: fresh.used,
            reserved: fresh.reserved,
            limit: self.quota_limit(user)?,
        })
    }
}
