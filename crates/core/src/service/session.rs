//! A logged-in user's session: current folder, file operations, claimed uploads.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::Ferry;
use super::upload::Slot;
use crate::audit::audit;
use crate::model::{Entry, EntryKind, Listing, QuotaInfo};
use crate::path::HomePath;
use crate::store::{Account, ListPage, Listed, Move};
use crate::upload_id::UploadId;
use crate::username::Username;
use crate::{Error, Result};

/// One user's view of Ferry. Every path it accepts is resolved against its current folder and
/// can only name something inside the user's home.
#[derive(Debug)]
pub struct Session {
    pub(super) ferry: Ferry,
    pub(super) user: Username,
    /// Names this session in upload claims.
    pub(super) id: u64,
    cwd: HomePath,
    /// Uploads this session is writing; the claims end with the session.
    pub(super) claims: HashMap<UploadId, Arc<Slot>>,
    /// Leave upload writers open when the session ends (HTTP requests).
    pub(super) keep_writers: bool,
    /// The session lasts one request and its writers close with it (HTTP requests when other
    /// nodes continue this node's uploads): an append closes its writer before it answers.
    pub(super) hand_back: bool,
    /// The client's address, for audit lines (`None`: a local tool or a test).
    source: Option<IpAddr>,
    /// Newer request wins: this session may take an upload over from an older one.
    pub(super) newer_wins: bool,
    /// Cancelled when a newer session takes over an upload this one is reading a body for.
    pub(super) preempted: tokio_util::sync::CancellationToken,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.release_claims();
    }
}

impl Session {
    pub(super) fn new(ferry: Ferry, user: Username) -> Self {
        let id = ferry.inner.sessions.fetch_add(1, Ordering::Relaxed);
        Session {
            ferry,
            user,
            id,
            cwd: HomePath::root(),
            claims: HashMap::new(),
            keep_writers: false,
            hand_back: false,
            source: None,
            newer_wins: false,
            preempted: tokio_util::sync::CancellationToken::new(),
        }
    }

    /// Records the client's address, which audit lines carry.
    pub fn set_source(&mut self, source: IpAddr) {
        self.source = Some(source);
    }

    /// The client's address as audit lines show it (`local` when there is none).
    pub(super) fn source_text(&self) -> String {
        self.source
            .map_or_else(|| "local".to_string(), |s| s.to_string())
    }

    /// Opens a session for `user` without a login: for trusted in-process callers (the
    /// gateway after it has checked credentials itself, tests, admin tools).
    pub async fn trusted(ferry: &Ferry, user: Username) -> Result<Session> {
        let inner = &ferry.inner;
        if inner.meta.account(&user).await?.is_none() {
            return Err(Error::UserNotFound(user.to_string()));
        }
        inner.files.create_home(&user).await?;
        Ok(Session::new(ferry.clone(), user))
    }

    /// The session's account record as stored now (policy and quota changes made while the
    /// session lives take effect at once).
    pub(super) async fn account(&self) -> Result<Account> {
        self.ferry
            .inner
            .meta
            .account(&self.user)
            .await?
            .ok_or_else(|| Error::UserNotFound(self.user.to_string()))
    }

    /// The user.
    pub fn user(&self) -> &Username {
        &self.user
    }

    /// The current folder.
    pub fn cwd(&self) -> &HomePath {
        &self.cwd
    }

    /// Resolves a client path against the current folder.
    pub fn resolve(&self, input: &str) -> Result<HomePath> {
        HomePath::resolve(&self.cwd, input)
    }

    /// Changes the current folder; it must exist and be a folder.
    pub async fn cd(&mut self, input: &str) -> Result<&HomePath> {
        let path = self.resolve(input)?;
        let entry = self.stat_path(path.clone(), false).await?;
        if entry.kind != EntryKind::Dir {
            return Err(Error::NotADirectory(path.to_string()));
        }
        self.cwd = path;
        Ok(&self.cwd)
    }

    /// Metadata of an entry; with `digest`, a file's MD5 is computed if not yet known.
    pub async fn stat(&self, input: &str, digest: bool) -> Result<Entry> {
        let path = self.resolve(input)?;
        self.stat_path(path, digest).await
    }

    async fn stat_path(&self, path: HomePath, digest: bool) -> Result<Entry> {
        let entry = self.ferry.inner.files.stat(&self.user, &path).await?;
        if digest && entry.kind == EntryKind::File && entry.md5.is_none() {
            let d = self.open_download(&entry.path.to_string(), 0).await?;
            return Ok(d.entry);
        }
        Ok(entry)
    }

    /// One page of a folder listing, sorted by name.
    pub async fn list(
        &self,
        input: Option<&str>,
        after: Option<String>,
        limit: Option<u32>,
    ) -> Result<Listing> {
        let path = self.resolve(input.unwrap_or("."))?;
        let inner = &self.ferry.inner;
        let max = inner.config.list_page_max;
        let limit = limit.map_or(max, |l| (l as usize).clamp(1, max));
        let page = ListPage { after, limit };
        let Listed {
            entries,
            more,
            skipped,
        } = inner.files.list(&self.user, &path, page).await?;
        let next = if more {
            entries.last().map(|e| e.name.clone())
        } else {
            None
        };
        Ok(Listing {
            path,
            entries,
            next,
            skipped,
        })
    }

    /// Creates a folder (with `parents`, missing parents too and an existing folder is fine).
    pub async fn mkdir(&self, input: &str, parents: bool) -> Result<Entry> {
        let path = self.resolve(input)?;
        let entry = self
            .ferry
            .inner
            .files
            .mkdir(&self.user, &path, parents)
            .await?;
        audit!(
            "mkdir",
            self.user.as_str(),
            self.source_text().as_str(),
            path = path.to_string().as_str()
        );
        Ok(entry)
    }

    /// Removes a file, or a folder with `recursive`.
    pub async fn remove(&self, input: &str, recursive: bool) -> Result<()> {
        let path = self.resolve(input)?;
        if path.is_root() {
            return Err(Error::HomeImmutable);
        }
        let inner = &self.ferry.inner;
        let op = inner.files.remove(&self.user, &path, recursive);
        inner.freeing(&self.user, op, |freed| *freed).await?;
        audit!(
            "delete",
            self.user.as_str(),
            self.source_text().as_str(),
            path = path.to_string().as_str(),
            recursive
        );
        Ok(())
    }

    /// Moves or renames an entry; an existing target is replaced only with `overwrite`.
    pub async fn rename(&self, from: &str, to: &str, overwrite: bool) -> Result<Entry> {
        let m = Move {
            from: self.resolve(from)?,
            to: self.resolve(to)?,
            overwrite,
        };
        let inner = &self.ferry.inner;
        let op = inner.files.rename(&self.user, &m);
        let (entry, _) = inner
            .freeing(&self.user, op, |(_, replaced)| *replaced)
            .await?;
        audit!(
            "move",
            self.user.as_str(),
            self.source_text().as_str(),
            from = m.from.to_string().as_str(),
            to = m.to.to_string().as_str(),
            overwrite
        );
        Ok(entry)
    }

    /// Used, reserved and limit.
    pub async fn quota(&self) -> Result<QuotaInfo> {
        self.ferry.inner.quota_info(&self.user).await
    }
}
