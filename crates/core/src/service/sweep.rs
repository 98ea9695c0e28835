//! Periodic clean-up of what expires: unfinished uploads and bearer tokens.
//!
//! Of several nodes over one store, one at a time sweeps: the holder of the store's janitor
//! lease, renewed at every sweep, handed on when it is not renewed for [`JANITOR_TTL`] (its node
//! died or stopped). Writers are this process's own: every node closes its idle ones, and
//! those of expired uploads, whose leases the janitor then finds free.

use std::time::Duration;

use super::Ferry;
use crate::Result;
use crate::model::unix_now;

/// How long the janitor's lease lasts without a sweep renewing it: well above the default
/// sweep interval (60 s), so the janitor keeps it while it runs.
const JANITOR_TTL: Duration = Duration::from_secs(300);

impl Ferry {
    /// Discards expired uploads (releasing their quota), deletes expired tokens and closes
    /// idle upload writers; servers call this periodically. Returns how many uploads and tokens
    /// were removed (none on a node that is not the janitor).
    pub async fn sweep_expired(&self) -> Result<usize> {
        let holder = format!("{}/janitor", self.inner.node);
        let janitor = self.inner.meta.janitor_take(&holder, JANITOR_TTL).await?;
        let now = unix_now();
        // Every step runs even if one fails.
        let uploads = self.inner.sweep_uploads(now, janitor).await;
        let tokens = match janitor {
            true => self.inner.sweep_tokens(now).await,
            false => Ok(0),
        };
        self.release_idle_writers().await;
        Ok(uploads? + tokens?)
    }
}
