//! Failed-login throttling, keyed on (source, account), on the account, and on the source.
//!
//! Each key counts consecutive failures. The first few cost nothing (typos happen); each
//! further failure locks the key for a delay that doubles from [`ThrottleConfig::base_delay`]
//! up to [`ThrottleConfig::max_delay`]. With the default thresholds:
//!
//! ```text
//! key                 free failures   then locks    a locked key refuses
//! (source, account)   5               1 s, 2 s, 4 s … 60 s   that pair
//! account             20              1 s, 2 s, 4 s … 60 s   sources that failed it too
//! source              100             1 s, 2 s, 4 s … 60 s   that source, any account
//! ```
//!
//! Why three: the pair key is the one a typing user meets, so the colleague behind the same
//! NAT is not locked out by someone else's typos. The account key stops many addresses
//! guessing one account, but it refuses only sources that have themselves failed on that
//! account, so a correct password from a new source is not refused for someone else's
//! failures (and a botnet gets at most one guess per address per lock). The source key stops
//! one address spraying many accounts; its threshold is much higher because a NAT puts many
//! honest users behind one address. Names that are not accounts are throttled the same way,
//! so the throttle does not reveal which names exist. Success clears the pair and the account,
//! never the source's spray count (an attacker with one valid account must not reset it).
//!
//! Time is a parameter (`now: Instant`) so tests run on synthetic instants without sleeping.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::{Error, Result};

/// Longest prefix of an account name used as a key, in bytes.
///
/// Names come straight from the client and may be up to a SCRAM message long; real user
/// names are at most 32 bytes, so a longer name can never collide with one after truncation,
/// and the map's memory stays bounded by entry count.
const MAX_ACCOUNT_KEY_LEN: usize = 64;

/// Tuning of the [`Throttle`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// Consecutive failures of one (source, account) pair before it locks (default 5).
    pub free_failures: u32,
    /// Failures on one account, from any sources, before it locks for the sources that failed
    /// it (default 20).
    pub account_free_failures: u32,
    /// Failures from one source, on any accounts, before the source locks (default 100).
    pub source_free_failures: u32,
    /// Lock after the first failure beyond the free ones; doubles with each further one
    /// (default 1 s).
    pub base_delay: Duration,
    /// Longest lock (default 60 s).
    pub max_delay: Duration,
    /// A key untouched this long is forgotten, failures and all (default 15 min).
    pub forget_after: Duration,
    /// Most keys tracked at once (default 100 000); the oldest go first beyond it.
    pub max_entries: usize,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            free_failures: 5,
            account_free_failures: 20,
            source_free_failures: 100,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            forget_after: Duration::from_secs(15 * 60),
            max_entries: 100_000,
        }
    }
}

/// Tracks failed logins and refuses logins from locked sources or for locked accounts.
///
/// Share it between connections (e.g. in an `Arc`); every method takes the lock only for a
/// few map operations.
#[derive(Debug)]
pub struct Throttle {
    cfg: ThrottleConfig,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    entries: HashMap<Key, Entry>,
    /// When stale entries were last swept out.
    last_sweep: Option<Instant>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Pair(IpAddr, String),
    Account(String),
    Source(IpAddr),
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Consecutive failures.
    failures: u32,
    /// Last failure; the current lock (if any) runs from here.
    last_seen: Instant,
    /// Length of the lock that started at `last_seen`; zero when unlocked.
    lock: Duration,
}

impl Entry {
    /// Time left on this key's lock at `now`, if any.
    fn remaining(&self, now: Instant) -> Option<Duration> {
        let left = self
            .lock
            .checked_sub(now.saturating_duration_since(self.last_seen))?;
        (!left.is_zero()).then_some(left)
    }
}

impl Throttle {
    /// A throttle with no failures recorded.
    pub fn new(cfg: ThrottleConfig) -> Self {
        Throttle {
            cfg,
            state: Mutex::new(State::default()),
        }
    }

    /// Refuses with [`Error::AuthThrottled`] while the pair or the source is locked, or the
    /// account is locked and this source has failed on it too.
    pub fn check(&self, source: IpAddr, account: &str, now: Instant) -> Result<()> {
        let state = self.lock();
        let [pair, acct, src] = keys(source, account);
        let pair = state.entries.get(&pair);
        let retry_after = [
            pair,
            state.entries.get(&src),
            // Only a source with a failure of its own on this account meets the account lock.
            pair.and(state.entries.get(&acct)),
        ]
        .into_iter()
        .flatten()
        .filter_map(|e| e.remaining(now))
        .max();
        match retry_after {
            Some(retry_after) => Err(Error::AuthThrottled { retry_after }),
            None => Ok(()),
        }
    }

    /// Counts a failed login against the pair, the account and the source, locking any that
    /// is past its free failures.
    pub fn record_failure(&self, source: IpAddr, account: &str, now: Instant) {
        let mut state = self.lock();
        self.sweep(&mut state, now);
        for key in keys(source, account) {
            let free = match key {
                Key::Pair(..) => self.cfg.free_failures,
                Key::Account(_) => self.cfg.account_free_failures,
                Key::Source(_) => self.cfg.source_free_failures,
            };
            let entry = state.entries.entry(key).or_insert(Entry {
                failures: 0,
                last_seen: now,
                lock: Duration::ZERO,
            });
            if now.saturating_duration_since(entry.last_seen) >= self.cfg.forget_after {
                entry.failures = 0;
            }
            entry.failures = entry.failures.saturating_add(1);
            entry.last_seen = now;
            entry.lock = self.delay_after(entry.failures, free);
        }
    }

    /// Clears the pair and the account after a successful login (not the source: see the
    /// module docs).
    pub fn record_success(&self, source: IpAddr, account: &str) {
        let mut state = self.lock();
        let [pair, acct, _] = keys(source, account);
        state.entries.remove(&pair);
        state.entries.remove(&acct);
    }

    /// Number of keys tracked now (for metrics and tests).
    pub fn tracked(&self) -> usize {
        self.lock().entries.len()
    }

    /// Lock length after `failures` consecutive failures of a key with `free` free ones.
    fn delay_after(&self, failures: u32, free: u32) -> Duration {
        let Some(beyond) = failures.checked_sub(free.saturating_add(1)) else {
            return Duration::ZERO;
        };
        // Past 2^31 every sane config is at its cap anyway; saturate rather than overflow.
        let factor = 1u32 << beyond.min(31);
        self.cfg
            .base_delay
            .saturating_mul(factor)
            .min(self.cfg.max_delay)
    }

    /// Drops stale entries once per `forget_after`, and makes room when the map is full.
    fn sweep(&self, state: &mut State, now: Instant) {
        let forget_after = self.cfg.forget_after;
        let due = state
            .last_sweep
            .is_none_or(|t| now.saturating_duration_since(t) >= forget_after);
        // One slot for each of the three keys a failure may add.
        let full = state.entries.len() + 3 > self.cfg.max_entries;
        if !due && !full {
            return;
        }
        state.last_sweep = Some(now);
        state
            .entries
            .retain(|_, e| now.saturating_duration_since(e.last_seen) < forget_after);
        if state.entries.len() + 3 > self.cfg.max_entries {
            evict_oldest(&mut state.entries, self.cfg.max_entries);
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every critical section leaves the map consistent, so a panic elsewhere while holding
        // the lock does not make its contents untrustworthy.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Evicts the least recently seen entries down to 90% of `max` (at least three free slots), so
/// a flood pays for one O(n) pass per tenth of the map rather than one per failure.
fn evict_oldest(entries: &mut HashMap<Key, Entry>, max: usize) {
    let keep = (max - max / 10).min(max.saturating_sub(3));
    let drop = entries.len().saturating_sub(keep);
    if drop == 0 {
        return;
    }
    let mut ages: Vec<Instant> = entries.values().map(|e| e.last_seen).collect();
    let (_, cutoff, _) = ages.select_nth_unstable(drop - 1);
    let cutoff = *cutoff;
    let mut dropped = 0;
    entries.retain(|_, e| {
        // Ties at the cutoff are dropped only until `drop` is reached.
        let evict = dropped < drop && e.last_seen <= cutoff;
        dropped += usize::from(evict);
        !evict
    });
}

/// The three keys of a login attempt: pair, account, source.
fn keys(source: IpAddr, account: &str) -> [Key; 3] {
    let mut end = account.len().min(MAX_ACCOUNT_KEY_LEN);
    while !account.is_char_boundary(end) {
        end -= 1;
    }
    let (source, account) = (source.to_canonical(), account[..end].to_owned());
    [
        Key::Pair(source, account.clone()),
        Key::Account(account),
        Key::Source(source),
    ]
}

#[cfg(test)]
mod tests;
