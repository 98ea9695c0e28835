//! Upload leases: the one-writer rule as a store operation, so it holds across processes and
//! nodes, not only inside one server.
//!
//! A lease names its holder and carries a **fencing counter** that grows by one every time the
//! lease changes hands. Every durable write an upload's writer makes (a checkpoint of its
//! record) carries the fence it was granted; a store refuses writes with an older fence, so a
//! writer that stalled past its lease's expiry and woke up after another took over writes
//! nothing (the fencing-token scheme).

use std::time::Duration;

use crate::upload_id::UploadId;

/// A granted lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The upload.
    pub id: UploadId,
    /// Who holds it (node id and writer instance).
    pub holder: String,
    /// The fencing counter at grant.
    pub fence: u64,
}

/// How long a lease lasts without renewal by default (`Config::lease_ttl`). Writers renew at
/// every checkpoint and whenever a request starts, so only a dead or stalled writer lets one
/// expire.
pub const LEASE_TTL: Duration = Duration::from_secs(120);
