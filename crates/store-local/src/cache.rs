//! [`RecordCache`]: accounts and tokens kept in memory, so a request with a bearer token or
//! Basic credentials reads no file.
//!
//! How it stays correct — every write to `DATA/state/users` or `DATA/state/tokens` makes the
//! next lookup miss:
//!
//! - **Writes by this process** ([`crate::LocalMetaStore`]'s create, update and remove of an
//!   account or token) call [`RecordCache::forget_account`] / [`RecordCache::forget_token`]
//!   after the file is replaced.
//! - **Writes by any other process** (`ferry user passwd`, `ferry user remove`, an operator's
//!   `rm`) are seen through one inotify instance watching both folders. The kernel queues the
//!   event before the writer's `rename`/`unlink` returns, and every lookup first drains the
//!   queue (one non-blocking `read`, `EAGAIN` when empty) under the cache's lock, so a change
//!   made before a request starts is applied before that request is answered.
//! - **A fill racing a change:** a miss reads the file without the lock; the value is kept
//!   only if no invalidation happened meanwhile (the `generation` is unchanged). A change
//!   that is still queued when the value is kept is drained, and drops it, at the next lookup.
//! - **Anything unexpected** (queue overflow, a watched folder removed or moved, an event
//!   without a name) empties the cache; if the watch cannot be set up at all (no inotify, the
//!   per-user instance limit reached) nothing is cached and every lookup reads the file, as
//!   before this cache.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use ferry_core::store::{Account, TokenRecord};

use crate::watch::{Change, FolderWatch, Health};

/// Entries kept per kind; past this the kind is emptied (a simple bound: logins refill it).
const MAX_ENTRIES: usize = 4096;

/// Accounts by name and tokens by hash, invalidated as the module docs say.
#[derive(Debug)]
pub(crate) struct RecordCache {
    state: Mutex<State>,
}

#[derive(Debug)]
pub(crate) struct State {
    /// `None`: no watch, so nothing is cached.
    watch: Option<Watch>,
    accounts: HashMap<String, Account>,
    tokens: HashMap<String, TokenRecord>,
    /// Raised by every invalidation; a fill keeps its value only if this did not move.
    generation: u64,
}

#[derive(Debug)]
struct Watch {
    watch: FolderWatch,
    users: i32,
    tokens: i32,
}

/// Which folder a record lives in.
#[derive(Clone, Copy)]
enum Kind {
    Account,
    Token,
}

impl RecordCache {
    /// Watches `users` and `tokens`; caches nothing if the watch cannot be set up.
    pub(crate) fn new(users: &Path, tokens: &Path) -> Self {
        let watch = (|| {
            let watch = FolderWatch::new()?;
            let users = watch.add(users)?;
            let tokens = watch.add(tokens)?;
            Ok::<_, rustix::io::Errno>(Watch {
                watch,
                users,
                tokens,
            })
        })();
        let watch = match watch {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch the account and token folders; reading them on every request");
                None
            }
        };
        RecordCache {
            state: Mutex::new(State {
                watch,
                accounts: HashMap::new(),
                tokens: HashMap::new(),
                generation: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Every critical section leaves the maps consistent (single inserts and removes).
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Drops `name` after this process wrote or removed its file.
    pub(crate) fn forget_account(&self, name: &str) {
        let mut s = self.lock();
        s.accounts.remove(name);
        s.generation += 1;
    }

    /// Drops `hash` after this process wrote or removed its file.
    pub(crate) fn forget_token(&self, hash: &str) {
        let mut s = self.lock();
        s.tokens.remove(hash);
        s.generation += 1;
    }

    /// The token under `hash` and its user's account when both are in memory (after one
    /// drain, as every lookup); `None` sends the caller to the one-by-one lookups.
    pub(crate) fn token_with_account(&self, hash: &str) -> Option<(TokenRecord, Option<Account>)> {
        let mut s = self.lock();
        s.watch.as_ref()?;
        s.drain();
        let token = s.tokens.get(hash)?.clone();
        let account = s.accounts.get(token.user.as_str())?.clone();
        Some((token, Some(account)))
    }

    /// The account or token stored under `key` (an account name, a token's hash), from memory
    /// or from `load` (which reads the file).
    pub(crate) fn get<V: Cached, E>(
        &self,
        key: &str,
        load: impl FnOnce() -> Result<Option<V>, E>,
    ) -> Result<Option<V>, E> {
        let generation = {
            let mut s = self.lock();
            if s.watch.is_none() {
                drop(s);
                return load();
            }
            s.drain();
            if let Some(v) = V::map(&mut s).get(key) {
                return Ok(Some(v.clone()));
            }
            s.generation
        };
        let value = load()?;
        if let Some(v) = &value {
            let mut s = self.lock();
            s.drain();
            if s.generation == generation {
                let map = V::map(&mut s);
                if map.len() >= MAX_ENTRIES {
                    map.clear();
                }
                map.insert(key.to_owned(), v.clone());
            }
        }
        Ok(value)
    }
}

impl State {
    /// Applies every queued change from other processes (and our own, which were already
    /// forgotten directly).
    fn drain(&mut self) {
        let Some(watch) = &self.watch else {
            return;
        };
        let (users, tokens) = (watch.users, watch.tokens);
        let mut forget: Vec<(Kind, Option<String>)> = Vec::new();
        let health = watch.watch.drain(|change| {
            let (wd, key) = match change {
                Change::Named { wd, name } => {
                    (Some(wd), Some(name.strip_suffix(".json").unwrap_or(name)))
                }
                Change::All { wd } => (wd, None),
            };
            for (kind, kind_wd) in [(Kind::Account, users), (Kind::Token, tokens)] {
                if wd.is_none_or(|wd| wd == kind_wd) {
                    forget.push((kind, key.map(str::to_owned)));
                }
            }
        });
        if health == Health::Broken {
            self.watch = None;
        }
        if forget.is_empty() {
            return;
        }
        self.generation += 1;
        for (kind, key) in forget {
            match (kind, key) {
                (Kind::Account, Some(k)) => drop(self.accounts.remove(&k)),
                (Kind::Token, Some(k)) => drop(self.tokens.remove(&k)),
                (Kind::Account, None) => self.accounts.clear(),
                (Kind::Token, None) => self.tokens.clear(),
            }
        }
        if self.watch.is_none() {
            self.accounts.clear();
            self.tokens.clear();
        }
    }
}

/// A record kind the cache holds: accounts and tokens.
pub(crate) trait Cached: Clone {
    fn map(state: &mut State) -> &mut HashMap<String, Self>;
}

impl Cached for Account {
    fn map(state: &mut State) -> &mut HashMap<String, Self> {
        &mut state.accounts
    }
}

impl Cached for TokenRecord {
    fn map(state: &mut State) -> &mut HashMap<String, Self> {
        &mut state.tokens
    }
}
