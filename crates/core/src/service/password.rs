//! Password login for doors that carry the password itself (HTTP Basic auth).
//!
//! The password is checked by deriving the SCRAM keys from it with the account's salt and
//! iteration count and comparing StoredKey in constant time, so one stored verifier serves both
//! this and SCRAM. An unknown or invalid name is checked against decoy credentials the same
//! way, so it costs the same and fails the same (`auth_failed`). Throttling and logging are
//! those of SCRAM login.
//!
//! Why a cache: Basic auth sends the password with every request, and the derivation is
//! PBKDF2 at [`DEFAULT_ITERATIONS`](crate::auth::DEFAULT_ITERATIONS) — milliseconds of CPU per
//! request, enough to make a page listing or a burst of small downloads slow and the server
//! easy to overload. So a successful check is remembered for [`CACHE_TTL`], keyed by an HMAC of
//! name and password under the server secret (the password, or a plain hash of it that could
//! be searched offline, is never kept). A hit is accepted only while the account still has the
//! StoredKey it had when checked, so a password change or a removed user takes effect at once.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use subtle::ConstantTimeEq;

use super::metrics::{self, LoginMethod};
use super::{Ferry, Inner, Session, blocking, lock};
use crate::Result;
use crate::auth::credentials::{ScramCredentials, hmac_sha256};
use crate::username::Username;

/// Most successful checks remembered at once.
const CACHE_MAX: usize = 1024;

/// How long a successful check is remembered.
const CACHE_TTL: Duration = Duration::from_secs(5 * 60);

/// Recent successful password checks. `Debug` shows only how many there are.
#[derive(Default)]
pub(super) struct PasswordCache {
    entries: Mutex<HashMap<[u8; 32], Verified>>,
}

/// What a successful check proved, and until when it is trusted.
struct Verified {
    user: Username,
    stored_key: [u8; 32],
    expires: Instant,
}

impl fmt::Debug for PasswordCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordCache")
            .field("entries", &lock(&self.entries).len())
            .finish()
    }
}

impl PasswordCache {
    /// The cached StoredKey for `key` if it was verified for `name` and has not expired.
    fn get(&self, key: &[u8; 32], name: &str, now: Instant) -> Option<(Username, [u8; 32])> {
        let entries = lock(&self.entries);
        let v = entries.get(key)?;
        (v.user.as_str() == name && v.expires > now).then(|| (v.user.clone(), v.stored_key))
    }

    fn insert(&self, key: [u8; 32], user: Username, stored_key: [u8; 32], now: Instant) {
        let mut entries = lock(&self.entries);
        if entries.len() >= CACHE_MAX && !entries.contains_key(&key) {
            entries.retain(|_, v| v.expires > now);
        }
        if entries.len() >= CACHE_MAX
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, v)| v.expires)
                .map(|(k, _)| *k)
        {
            entries.remove(&oldest);
        }
        let expires = now + CACHE_TTL;
        entries.insert(
            key,
            Verified {
                user,
                stored_key,
                expires,
            },
        );
    }

    fn remove(&self, key: &[u8; 32]) {
        lock(&self.entries).remove(key);
    }
}

impl Ferry {
    /// Checks a user name and password (HTTP Basic auth) and opens a session. Unknown user
    /// and wrong password both fail with `auth_failed`; repeated failures with
    /// `auth_throttled`, exactly as for SCRAM login.
    pub async fn login_password(
        &self,
        source: IpAddr,
        name: &str,
        password: &str,
    ) -> Result<Session> {
        let checked = self.password_session(source, name, password).await;
        if let Err(e) = &checked {
            metrics::refused_by_limit(e);
        }
        metrics::login(LoginMethod::Password, checked.as_ref().err());
        checked
    }

    async fn password_session(
        &self,
        source: IpAddr,
        name: &str,
        password: &str,
    ) -> Result<Session> {
        self.inner.throttle.check(source, name, Instant::now())?;
        let account = match Username::try_from(name) {
            Ok(user) => self.inner.meta.account(&user).await?,
            Err(_) => None,
        };
        // A remembered check is an HMAC and a map lookup: here. Only PBKDF2 goes to the pool.
        let checked = match self.inner.cached_password(name, password, account.as_ref()) {
            Some(user) => Some((user, true)),
            None => {
                let inner = self.inner.clone();
                let (n, p) = (name.to_owned(), password.to_owned());
                blocking(move || inner.check_password(&n, &p, account)).await?
            }
        };
        let Some((user, cached)) = checked else {
            return Err(self.login_failed(source, name));
        };
        self.login_succeeded(source, name, user, !cached).await
    }
}

impl Inner {
    /// The key a successful check of `name` and `password` is remembered under.
    fn cache_key(&self, name: &str, password: &str) -> [u8; 32] {
        hmac_sha256(
            &self.secret,
            &[
                b"basic-auth-cache\0",
                name.as_bytes(),
                b"\0",
                password.as_bytes(),
            ],
        )
    }

    /// The user, if a remembered check says `password` is theirs and `account` still has the
    /// StoredKey it had then. Cheap: no key derivation.
    fn cached_password(
        &self,
        name: &str,
        password: &str,
        account: Option<&crate::store::Account>,
    ) -> Option<Username> {
        let (user, stored_key) =
            self.passwords
                .get(&self.cache_key(name, password), name, Instant::now())?;
        let a = account?;
        bool::from(a.credentials.stored_key.ct_eq(&stored_key)).then_some(user)
    }

    /// The user if `password` is theirs (`account` as stored now), and whether the cache said
    /// so. Blocking (PBKDF2).
    fn check_password(
        &self,
        name: &str,
        password: &str,
        account: Option<crate::store::Account>,
    ) -> Result<Option<(Username, bool)>> {
        let key = self.cache_key(name, password);
        let now = Instant::now();
        if let Some((user, stored_key)) = self.passwords.get(&key, name, now) {
            match &account {
                Some(a) if bool::from(a.credentials.stored_key.ct_eq(&stored_key)) => {
                    return Ok(Some((user, true)));
                }
                // Password changed or account removed since: check afresh.
                _ => self.passwords.remove(&key),
            }
        }
        let creds = match &account {
            Some(a) => a.credentials.clone(),
            None => ScramCredentials::decoy(&self.secret, name),
        };
        let derived = ScramCredentials::derive(password, &creds.salt, creds.iterations);
        let matches = bool::from(derived.stored_key.ct_eq(&creds.stored_key));
        match account {
            Some(a) if matches => {
                self.passwords
                    .insert(key, a.name.clone(), creds.stored_key, now);
                Ok(Some((a.name, false)))
            }
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(n: &str) -> Username {
        n.parse().unwrap()
    }

    #[test]
    fn cache_holds_at_most_its_limit_and_drops_the_oldest_first() {
        let cache = PasswordCache::default();
        let t0 = Instant::now();
        for i in 0..CACHE_MAX + 10 {
            let mut key = [0u8; 32];
            key[..8].copy_from_slice(&(i as u64).to_le_bytes());
            cache.insert(
                key,
                user("a"),
                [1; 32],
                t0 + Duration::from_millis(i as u64),
            );
        }
        assert_eq!(lock(&cache.entries).len(), CACHE_MAX);
        let first = [0u8; 32];
        assert!(cache.get(&first, "a", t0).is_none(), "oldest evicted");
        let mut last = [0u8; 32];
        last[..8].copy_from_slice(&((CACHE_MAX + 9) as u64).to_le_bytes());
        assert!(cache.get(&last, "a", t0).is_some());
    }

    #[test]
    fn cache_entries_expire_and_belong_to_one_name() {
        let cache = PasswordCache::default();
        let t0 = Instant::now();
        cache.insert([9; 32], user("a"), [1; 32], t0);
        assert_eq!(cache.get(&[9; 32], "a", t0), Some((user("a"), [1; 32])));
        assert!(cache.get(&[9; 32], "b", t0).is_none());
        assert!(cache.get(&[9; 32], "a", t0 + CACHE_TTL).is_none());
    }
}
