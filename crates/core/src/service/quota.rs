//! Quota accounting over the metadata store's atomic ledger operations
//! ([`crate::store::quota`] states the rules).
//!
//! A user's ledger is initialised on first use from a walk of the home and the user's upload
//! records; from then on every operation changes it atomically in the store. `quota` walks the
//! home again so that changes made outside Ferry are picked up, but its figure replaces the
//! ledger's only if no commit, delete or move happened or was in flight meanwhile.

use super::Inner;
use crate::Result;
use crate::model::QuotaInfo;
use crate::store::Ledger;
use crate::username::Username;

impl Inner {
    /// The user's ledger, initialised from the home and the upload records if new.
    pub(super) async fn ensure_ledger(&self, user: &Username) -> Result<Ledger> {
        if let Some(l) = self.meta.quota_get(user).await? {
            return Ok(l);
        }
        let used = self.files.usage(user).await?;
        let reserved = self
            .meta
            .uploads_of(user)
            .await?
            .iter()
            .map(|r| r.size)
            .fold(0u64, u64::saturating_add);
        self.meta.quota_init(user, used, reserved).await
    }

    /// The user's byte limit from the account store (admin changes apply at once).
    pub(super) async fn quota_limit(&self, user: &Username) -> Result<Option<u64>> {
        Ok(self.meta.account(user).await?.and_then(|a| a.quota))
    }

    /// Reserves `size` bytes for a new upload or fails with `quota_exceeded`.
    pub(super) async fn quota_reserve(&self, user: &Username, size: u64) -> Result<()> {
        let limit = self.quota_limit(user).await?;
        self.ensure_ledger(user).await?;
        self.meta
            .quota_reserve(user, size, limit)
            .await
            .map(|_| ())
            .inspect_err(super::metrics::refused_by_limit)
    }

    /// Gives back a reservation (cancel, expiry, failed put).
    pub(super) async fn quota_release(&self, user: &Username, size: u64) -> Result<()> {
        self.ensure_ledger(user).await?;
        self.meta.quota_release(user, size).await
    }

    /// Runs an operation that may free bytes (delete, replacing move) as a pending change of
    /// the ledger; `freed` says how many bytes its result freed.
    pub(super) async fn freeing<T>(
        &self,
        user: &Username,
        op: impl Future<Output = Result<T>>,
        freed: impl FnOnce(&T) -> u64,
    ) -> Result<T> {
        self.ensure_ledger(user).await?;
        self.meta.quota_begin_free(user).await?;
        let result = op.await;
        let bytes = result.as_ref().map_or(0, freed);
        self.meta.quota_end_change(user, bytes).await?;
        result
    }

    /// Fresh figures: re-walks the home, kept only if nothing changed meanwhile.
    pub(super) async fn quota_info(&self, user: &Username) -> Result<QuotaInfo> {
        self.settle(user).await;
        let before = self.ensure_ledger(user).await?;
        let ledger = if before.pending == 0 {
            let used = self.files.usage(user).await?;
            self.meta
                .quota_resync(user, used, before.generation)
                .await?
        } else {
            before
        };
        Ok(QuotaInfo {
            used: ledger.used,
            reserved: ledger.reserved,
            limit: self.quota_limit(user).await?,
        })
    }
}
