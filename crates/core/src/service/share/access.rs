//! Opening a share link: the checks every visit passes, in this order — throttle, id, record,
//! revoked, expired, exhausted, password — each failing with its own code.
//!
//! Wrong passwords and unknown ids count as failed logins in the login throttle (keyed by the
//! visitor's address and the link), so links are no easier to guess than passwords.

use std::net::IpAddr;
use std::time::Instant;

use subtle::ConstantTimeEq;

use super::ShareState;
use super::link::{grant_of, key_of};
use super::owner::state_of;
use crate::auth::credentials::ScramCredentials;
use crate::model::unix_now;
use crate::service::{Ferry, Session, blocking};
use crate::store::ShareRecord;
use crate::{Error, Result};

/// What a visitor offers for a password-protected link.
#[derive(Debug, Clone, Copy)]
pub enum ShareSecret<'a> {
    /// Nothing.
    None,
    /// The password itself.
    Password(&'a str),
    /// A grant from an earlier visit with the password ([`ShareAccess::grant`]).
    Grant(&'a str),
}

/// An opened share link: what the visitor may read (and, for a drop box, write).
#[derive(Debug)]
pub struct ShareAccess {
    pub(super) key: String,
    pub(super) record: ShareRecord,
    /// The owner's session: reads and drop-box writes are the owner's, within the shared path.
    pub(super) owner: Session,
    grant: Option<String>,
}

impl Ferry {
    /// Opens the link `id` for a visitor from `source` offering `secret`.
    pub async fn share_open(
        &self,
        source: IpAddr,
        id: &str,
        secret: ShareSecret<'_>,
    ) -> Result<ShareAccess> {
        let inner = &self.inner;
        // The throttle keys by name; an id's first 22 characters are all of a real one.
        let name: String = format!("share:{}", id.chars().take(22).collect::<String>());
        inner.throttle.check(source, &name, Instant::now())?;
        let found = match key_of(id) {
            Some(key) => inner.meta.share(&key).await?.map(|r| (key, r)),
            None => None,
        };
        let Some((key, record)) = found else {
            inner.throttle.record_failure(source, &name, Instant::now());
            return Err(Error::ShareNotFound);
        };
        match state_of(&record, unix_now()) {
            ShareState::Active => {}
            ShareState::Revoked => return Err(Error::ShareRevoked),
            ShareState::Expired => return Err(Error::ShareExpired),
            ShareState::Exhausted => return Err(Error::ShareExhausted),
        }
        let grant = grant_of(&inner.secret, &key, &record);
        if let (Some(creds), Some(expected)) = (&record.password, &grant) {
            let ok = match secret {
                ShareSecret::None => return Err(Error::SharePasswordRequired),
                ShareSecret::Grant(g) => bool::from(g.as_bytes().ct_eq(expected.as_bytes())),
                ShareSecret::Password(p) => {
                    let (p, creds) = (p.to_owned(), creds.clone());
                    blocking(move || {
                        let derived = ScramCredentials::derive(&p, &creds.salt, creds.iterations);
                        Ok(bool::from(derived.stored_key.ct_eq(&creds.stored_key)))
                    })
                    .await?
                }
            };
            if !ok {
                inner.throttle.record_failure(source, &name, Instant::now());
                return Err(match secret {
                    ShareSecret::Grant(_) => Error::SharePasswordRequired,
                    _ => Error::SharePasswordWrong,
                });
            }
            inner.throttle.record_success(source, &name);
        }
        let owner = match Session::trusted(self, record.owner.clone()).await {
            Ok(s) => s,
            Err(Error::UserNotFound(_)) => return Err(Error::ShareNotFound),
            Err(e) => return Err(e),
        };
        Ok(ShareAccess {
            key,
            record,
            owner,
            grant,
        })
    }
}

impl ShareAccess {
    /// For a password-protected link, the value a browser keeps (as a cookie scoped to the
    /// link) to prove it gave the password; `None` for a link without one.
    pub fn grant(&self) -> Option<&str> {
        self.grant.as_deref()
    }

    /// Whether the link is a folder.
    pub fn is_folder(&self) -> bool {
        self.record.folder
    }

    /// Whether the link is a drop box (a folder that takes uploads).
    pub fn takes_uploads(&self) -> bool {
        self.record.upload
    }
}
