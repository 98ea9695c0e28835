//! How many connections each source address holds open.
//!
//! One client opening hundreds of sockets can take the whole connection limit from everyone
//! else. Counting per source is what lets a door see that (and the listener refuse past
//! [`Limits::max_per_source`](crate::Limits::max_per_source)). A count lives exactly as long
//! as its [`SourceSlot`], so it cannot drift whichever way a connection ends; a source with no
//! connection left has no entry, so the table is as big as the set of sources connected now.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

/// The open-connection count of every connected source: a cheap clone over one shared table.
///
/// Addresses are counted in canonical form, so an IPv4 client reaching an IPv6 socket as
/// `::ffff:a.b.c.d` is the same source as over IPv4.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Sources {
    /// Connections `ip` holds open now.
    pub fn count(&self, ip: IpAddr) -> usize {
        self.table().get(&ip.to_canonical()).copied().unwrap_or(0)
    }

    /// Sources with at least one open connection.
    pub fn len(&self) -> usize {
        self.table().len()
    }

    /// Whether no source holds a connection.
    pub fn is_empty(&self) -> bool {
        self.table().is_empty()
    }

    /// Counts one more connection from `ip`, unless it already holds `max`.
    pub fn enter(&self, ip: IpAddr, max: usize) -> Option<SourceSlot> {
        let ip = ip.to_canonical();
        let mut table = self.table();
        let open = table.entry(ip).or_insert(0);
        if *open >= max {
            if *open == 0 {
                table.remove(&ip);
            }
            return None;
        }
        *open += 1;
        Some(SourceSlot {
            sources: self.clone(),
            ip,
        })
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        // The table holds plain counts that every critical section leaves consistent.
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One connection's place in its source's count; dropping it gives the place back.
#[derive(Debug)]
pub struct SourceSlot {
    sources: Sources,
    ip: IpAddr,
}

impl SourceSlot {
    /// The source this connection came from (canonical form).
    pub fn ip(&self) -> IpAddr {
        self.ip
    }

    /// Connections this source holds open now, this one included.
    pub fn open(&self) -> usize {
        self.sources.count(self.ip)
    }
}

impl Drop for SourceSlot {
    fn drop(&mut self) {
        let mut table = self.sources.table();
        if let Some(open) = table.get_mut(&self.ip) {
            *open -= 1;
            if *open == 0 {
                table.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_follow_slots_and_empty_sources_leave_the_table() {
        let sources = Sources::default();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        let one = sources.enter(a, 2).unwrap();
        let two = sources.enter(mapped, 2).unwrap();
        assert_eq!(sources.count(a), 2, "a mapped address is the same source");
        assert!(sources.enter(a, 2).is_none(), "the third is over the limit");
        assert_eq!(two.open(), 2);
        drop(one);
        assert_eq!(sources.count(a), 1);
        drop(two);
        assert_eq!(sources.count(a), 0);
        assert!(sources.is_empty());
    }

    #[test]
    fn a_zero_limit_refuses_without_leaving_an_entry() {
        let sources = Sources::default();
        assert!(sources.enter("10.0.0.2".parse().unwrap(), 0).is_none());
        assert_eq!(sources.len(), 0);
    }
}
