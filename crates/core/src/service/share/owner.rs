//! The owner's side of share links: create, list, revoke. Creating and revoking are audited.

use super::link::{id_of, key_of};
use super::{ShareInfo, ShareOptions, ShareState};
use crate::auth::credentials::{ScramCredentials, fill_random};
use crate::model::{EntryKind, unix_now};
use crate::service::{Inner, Session, blocking};
use crate::store::ShareRecord;
use crate::{Error, Result};

impl Session {
    /// Shares a file or folder of this user as a new link.
    pub async fn share_create(&self, options: ShareOptions) -> Result<ShareInfo> {
        if options.path.is_empty() {
            return Err(Error::BadRequest("a path to share is required".into()));
        }
        let path = self.resolve(&options.path)?;
        let entry = self.ferry.inner.files.stat(&self.user, &path).await?;
        let folder = match entry.kind {
            EntryKind::File => false,
            EntryKind::Dir => true,
            _ => return Err(Error::SpecialFile(path.to_string())),
        };
        if options.upload && !folder {
            return Err(Error::BadRequest("only a folder can take uploads".into()));
        }
        if options.max_downloads == Some(0) {
            return Err(Error::BadRequest("max_downloads must be at least 1".into()));
        }
        let password = match options.password {
            Some(p) if p.is_empty() => {
                return Err(Error::BadRequest("an empty share password".into()));
            }
            Some(p) => Some(blocking(move || ScramCredentials::new_random(&p)).await?),
            None => None,
        };
        let mut seed = [0u8; 16];
        fill_random(&mut seed)?;
        let now = unix_now();
        let record = ShareRecord {
            owner: self.user.clone(),
            path,
            folder,
            seed: hex::encode(seed),
            created: now,
            expires: options
                .expires_in
                .map(|d| now.saturating_add(d.as_secs() as i64)),
            password,
            max_downloads: options.max_downloads,
            downloads: 0,
            upload: options.upload,
            revoked: false,
        };
        let inner = &self.ferry.inner;
        let id = id_of(&inner.secret, &record.seed)?;
        let key = key_of(&id).ok_or_else(|| Error::internal("a made id does not parse"))?;
        inner.meta.create_share(&key, &record).await?;
        crate::audit::audit!(
            "share_create",
            tracing::field::display(&self.user),
            self.source_text().as_str(),
            target = share_target(&key, &record).as_str()
        );
        inner.share_info(&id, &record)
    }

    /// This user's share links, newest first (revoked and expired ones too, with their state).
    pub async fn shares(&self) -> Result<Vec<ShareInfo>> {
        let inner = &self.ferry.inner;
        let mut out = Vec::new();
        for (_, record) in inner.meta.shares_of(&self.user).await? {
            let id = id_of(&inner.secret, &record.seed)?;
            out.push(inner.share_info(&id, &record)?);
        }
        out.sort_by(|a, b| (b.created, &b.id).cmp(&(a.created, &a.id)));
        Ok(out)
    }

    /// Revokes one of this user's links; `share_not_found` for anyone else's or an unknown id.
    pub async fn share_revoke(&self, id: &str) -> Result<()> {
        let inner = &self.ferry.inner;
        let key = key_of(id).ok_or(Error::ShareNotFound)?;
        match inner.meta.share(&key).await? {
            Some(r) if r.owner == self.user => {
                inner.meta.revoke_share(&key).await?;
                crate::audit::audit!(
                    "share_revoke",
                    tracing::field::display(&self.user),
                    self.source_text().as_str(),
                    target = share_target(&key, &r).as_str()
                );
                Ok(())
            }
            _ => Err(Error::ShareNotFound),
        }
    }
}

impl Inner {
    pub(super) fn share_info(&self, id: &str, r: &ShareRecord) -> Result<ShareInfo> {
        Ok(ShareInfo {
            id: id.to_string(),
            url: format!("/s/{id}"),
            path: r.path.clone(),
            folder: r.folder,
            created: r.created,
            expires: r.expires,
            password: r.password.is_some(),
            max_downloads: r.max_downloads,
            downloads: r.downloads,
            upload: r.upload,
            state: state_of(r, unix_now()),
        })
    }
}

/// Where a record stands at `now`; the checks in the order a visitor meets them.
pub(super) fn state_of(r: &ShareRecord, now: i64) -> ShareState {
    if r.revoked {
        ShareState::Revoked
    } else if r.expires.is_some_and(|e| e <= now) {
        ShareState::Expired
    } else if r.max_downloads.is_some_and(|m| r.downloads >= m) {
        ShareState::Exhausted
    } else {
        ShareState::Active
    }
}

/// How the audit trail names a link: the start of its key (never the id, which would open it)
/// and the path.
fn share_target(key: &str, r: &ShareRecord) -> String {
    format!("share {} of {}", &key[..16], r.path)
}
