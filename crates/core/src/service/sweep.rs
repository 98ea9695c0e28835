//! Periodic clean-up of what expires: unfinished uploads and bearer tokens.

use super::Ferry;
use crate::Result;
use crate::model::unix_now;

impl Ferry {
    /// Discards expired uploads (releasing their quota), deletes expired tokens and closes
    /// idle upload writers; servers call this periodically. Returns how many of both were removed.
    pub async fn sweep_expired(&self) -> Result<usize> {
        let now = unix_now();
        // Both run even if one fails.
        let uploads = self.inner.sweep_uploads(now).await;
        let tokens = self.inner.sweep_tokens(now).await;
        self.release_idle_writers().await;
        Ok(uploads? + tokens?)
    }
}
