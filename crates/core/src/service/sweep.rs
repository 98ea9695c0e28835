//! Periodic clean-up of what expires: unfinished uploads and bearer tokens.

use super::{Ferry, blocking};
use crate::Result;
use crate::model::unix_now;

impl Ferry {
    /// Discards expired uploads (releasing their quota) and deletes expired tokens; servers
    /// call this periodically. Returns how many of both were removed.
    pub async fn sweep_expired(&self) -> Result<usize> {
        let inner = self.inner.clone();
        blocking(move || {
            let now = unix_now();
            // Both run even if one fails.
            let (uploads, tokens) = (inner.sweep_uploads(now), inner.sweep_tokens(now));
            Ok(uploads? + tokens?)
        })
        .await
    }
}
