//! Uploads committed lately, remembered for a while so that a client that missed the answer
//! to its last request can still learn the upload is complete (the resumable-upload draft asks
//! servers to keep a completed upload resource "for a reasonable amount of time"), and so that
//! writing to one is `upload_completed` rather than `upload_not_found`. In memory only: a
//! restart forgets them, and an id is then `upload_not_found` as before.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::model::UploadInfo;
use crate::service::{Session, lock};
use crate::upload_id::UploadId;
use crate::username::Username;
use crate::{Error, Result};

/// How long a completed upload is remembered.
const KEEP_FOR: Duration = Duration::from_secs(600);
/// How many completed uploads are remembered at most (oldest forgotten first).
const KEEP_AT_MOST: usize = 4096;

/// Uploads committed lately: owner and final state.
#[derive(Debug, Default)]
pub(in crate::service) struct Completed {
    recent: Mutex<VecDeque<(Instant, Username, UploadInfo)>>,
}

impl Completed {
    /// Remembers a committed upload (`info` with the offset at the length).
    pub(super) fn insert(&self, owner: &Username, info: UploadInfo) {
        let now = Instant::now();
        let mut recent = lock(&self.recent);
        while recent
            .front()
            .is_some_and(|(at, ..)| now.duration_since(*at) > KEEP_FOR)
            || recent.len() >= KEEP_AT_MOST
        {
            recent.pop_front();
        }
        recent.push_back((now, owner.clone(), info));
    }

    fn get(&self, owner: &Username, id: &UploadId) -> Option<UploadInfo> {
        let now = Instant::now();
        lock(&self.recent)
            .iter()
            .rev()
            .find(|(at, user, info)| {
                &info.id == id && user == owner && now.duration_since(*at) <= KEEP_FOR
            })
            .map(|(.., info)| info.clone())
    }
}

impl Session {
    /// The final state of upload `id` if this user's upload of that id was committed lately.
    pub fn upload_completed(&self, id: &str) -> Option<UploadInfo> {
        let id = UploadId::parse(id).ok()?;
        self.ferry.inner.writers.completed.get(&self.user, &id)
    }

    /// `result`, with `upload_completed` instead of `upload_not_found` for an upload of
    /// this user committed lately.
    pub fn completed_or<T>(&self, result: Result<T>, id: &str) -> Result<T> {
        match result {
            Err(Error::UploadNotFound(_)) if self.upload_completed(id).is_some() => {
                Err(Error::UploadCompleted(id.to_string()))
            }
            other => other,
        }
    }
}
