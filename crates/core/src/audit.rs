//! Audit lines: one `info` event on the `ferry::audit` target for every change a user or an
//! administrator makes — upload committed, delete, move, mkdir, exec, login, logout, account
//! changes, admin actions (with the account acted on as `target`), password changes, share
//! links created or revoked — emitted here in the core, so both doors produce the same line for
//! the same change.
//!
//! Every line has `action`, `user` and `source` (the client's address, or `local` for the
//! `ferry user` commands); user-supplied text (paths, argv) is recorded as string values, never
//! spliced into the message, so the log formatter escapes it.

/// The target audit lines are logged on (filter with `FERRY_LOG=ferry::audit=info`).
pub const TARGET: &str = "ferry::audit";

/// Logs one audit line: what was done, by whom, from where (the client's address, or `local`),
/// then the action's own fields: `audit!("mkdir", user.as_str(), source.as_str(), path = …)`.
/// The source is an argument, not one field among the rest, so no line can leave it out.
macro_rules! audit {
    ($action:expr, $user:expr, $source:expr $(, $($field:tt)+)?) => {
        tracing::info!(
            target: "ferry::audit",
            action = $action,
            user = $user,
            source = $source
            $(, $($field)+)?,
            "audit"
        )
    };
}

pub(crate) use audit;
