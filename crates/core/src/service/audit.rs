//! The audit trail: one `tracing` event under the target `ferry::audit` for every admin
//! action, password change and share link created or revoked, with the same three fields
//! each time (who did it, what, to what), so a log subscriber can route these lines to an
//! audit log of their own.

use crate::username::Username;

/// The `tracing` target of audit events.
pub const TARGET: &str = "ferry::audit";

/// Records that `user` did `action` to `target` (a user name, a share id, a path).
pub(crate) fn record(user: &Username, action: &str, target: &str) {
    tracing::info!(target: TARGET, user = %user, action, target, "audit");
}
