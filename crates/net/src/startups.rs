//! Connections that have not logged in yet ("startups", as OpenSSH calls them), per source
//! and in total.
//!
//! A silent socket costs its owner nothing and the server a slot, so the slots for connections
//! that have not proved who they are get their own, smaller limits, modelled on OpenSSH's
//! `PerSourceMaxStartups` and `MaxStartups start:rate:full`:
//!
//! ```text
//! startups open:  0 … start-1 | start … full-1                     | full …
//! new one:        admitted    | refused with probability p, rising | refused
//!                             | linearly from rate% to 100%        |
//! ```
//!
//! and no source may hold more than `per_source` at once, so one address holding hundreds of
//! silent sockets holds only `per_source` of them and everyone else still gets in. A
//! connection leaves the pool when its door calls [`StartupSlot`]'s drop (after a login), or
//! when it closes.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// How many not-yet-logged-in connections are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartupLimits {
    /// Most one source address may hold at once (default 10).
    pub per_source: usize,
    /// Open startups from which new ones are refused at random (default 100).
    pub start: usize,
    /// Chance of refusal, in percent, at `start` (default 30); it rises linearly to 100 at
    /// `full`.
    pub rate: u8,
    /// Open startups at which every new one is refused (default 300).
    pub full: usize,
}

impl Default for StartupLimits {
    fn default() -> Self {
        StartupLimits {
            per_source: 64,
            start: 100,
            rate: 30,
            full: 300,
        }
    }
}

impl StartupLimits {
    /// Parses OpenSSH's `start:rate:full` (or a bare `full`, which refuses nothing below it).
    pub fn parse_max_startups(s: &str) -> Result<(usize, u8, usize), String> {
        let bad = || format!("expected START:RATE:FULL or FULL, got {s:?}");
        let parts: Vec<&str> = s.split(':').collect();
        let (start, rate, full) = match parts.as_slice() {
            [full] => {
                let full = full.trim().parse().map_err(|_| bad())?;
                (full, 100, full)
            }
            [start, rate, full] => (
                start.trim().parse().map_err(|_| bad())?,
                rate.trim().parse().map_err(|_| bad())?,
                full.trim().parse().map_err(|_| bad())?,
            ),
            _ => return Err(bad()),
        };
        if start > full || rate > 100 {
            return Err(format!("{s:?}: need START <= FULL and RATE <= 100"));
        }
        Ok((start, rate, full))
    }

    /// Chance (0‥=100) that a new startup is refused while `open` are held.
    pub fn refusal_percent(&self, open: usize) -> u32 {
        if open >= self.full {
            return 100;
        }
        if open < self.start {
            return 0;
        }
        let span = (self.full - self.start).max(1) as u64;
        let rate = u64::from(self.rate);
        (rate + (100 - rate) * (open - self.start) as u64 / span) as u32
    }
}

/// The shared table of startups: a cheap clone over one lock.
#[derive(Debug, Clone, Default)]
pub struct Startups {
    inner: Arc<Mutex<Table>>,
}

#[derive(Debug, Default)]
struct Table {
    total: usize,
    per_source: HashMap<IpAddr, usize>,
}

impl Startups {
    /// Startups open now.
    pub fn open(&self) -> usize {
        self.table().total
    }

    /// Startups `ip` holds now.
    pub fn count(&self, ip: IpAddr) -> usize {
        let table = self.table();
        table
            .per_source
            .get(&ip.to_canonical())
            .copied()
            .unwrap_or(0)
    }

    /// Admits one more startup from `ip` under `limits`, or `None`. `roll` is a uniform draw
    /// in 0‥100 (a parameter so tests decide the dice).
    pub fn enter(&self, ip: IpAddr, limits: &StartupLimits, roll: u32) -> Option<StartupSlot> {
        let ip = ip.to_canonical();
        let mut table = self.table();
        let mine = table.per_source.get(&ip).copied().unwrap_or(0);
        if mine >= limits.per_source || roll < limits.refusal_percent(table.total) {
            return None;
        }
        table.total += 1;
        *table.per_source.entry(ip).or_insert(0) += 1;
        Some(StartupSlot {
            startups: self.clone(),
            ip,
        })
    }

    fn table(&self) -> MutexGuard<'_, Table> {
        // Plain counts that every critical section leaves consistent.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A uniform draw in 0‥100 for [`Startups::enter`].
pub fn roll() -> u32 {
    // The OS generator; a failure (never seen on Linux) counts as the most lenient roll.
    getrandom::u32().map_or(99, |r| r % 100)
}

/// One not-yet-logged-in connection's place; drop it when the connection logs in or closes.
#[derive(Debug)]
pub struct StartupSlot {
    startups: Startups,
    ip: IpAddr,
}

impl Drop for StartupSlot {
    fn drop(&mut self) {
        let mut table = self.startups.table();
        table.total -= 1;
        if let Some(n) = table.per_source.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                table.per_source.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn one_source_is_capped_while_others_still_enter() {
        let s = Startups::default();
        let lim = StartupLimits {
            per_source: 2,
            ..StartupLimits::default()
        };
        let held: Vec<_> = (0..2)
            .map(|_| s.enter(ip("10.0.0.2"), &lim, 99).unwrap())
            .collect();
        assert!(s.enter(ip("10.0.0.2"), &lim, 99).is_none());
        assert!(s.enter(ip("::ffff:10.0.0.2"), &lim, 99).is_none());
        let other = s.enter(ip("10.0.0.1"), &lim, 0).unwrap();
        assert_eq!(s.open(), 3);
        drop(held);
        drop(other);
        assert_eq!(s.open(), 0);
        assert_eq!(s.count(ip("10.0.0.2")), 0);
    }

    #[test]
    fn refusal_rises_from_rate_at_start_to_certain_at_full() {
        let lim = StartupLimits {
            per_source: 100,
            start: 10,
            rate: 30,
            full: 20,
        };
        assert_eq!(lim.refusal_percent(9), 0);
        assert_eq!(lim.refusal_percent(10), 30);
        assert_eq!(lim.refusal_percent(15), 65);
        assert_eq!(lim.refusal_percent(20), 100);
        let s = Startups::default();
        let _held: Vec<_> = (0..10)
            .map(|i| s.enter(ip(&format!("10.0.1.{i}")), &lim, 0).unwrap())
            .collect();
        assert!(
            s.enter(ip("10.0.2.1"), &lim, 29).is_none(),
            "roll under 30% refuses"
        );
        assert!(
            s.enter(ip("10.0.2.1"), &lim, 30).is_some(),
            "roll at 30% admits"
        );
    }

    #[test]
    fn max_startups_parses_both_forms() {
        assert_eq!(
            StartupLimits::parse_max_startups("10:30:100"),
            Ok((10, 30, 100))
        );
        assert_eq!(StartupLimits::parse_max_startups("50"), Ok((50, 100, 50)));
        assert!(StartupLimits::parse_max_startups("100:30:10").is_err());
        assert!(StartupLimits::parse_max_startups("1:2").is_err());
    }
}
