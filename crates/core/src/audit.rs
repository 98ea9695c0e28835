//! Audit lines: one `info` event on the `ferry::audit` target for every change a user or an
//! administrator makes — upload committed, delete, move, mkdir, exec, login, logout, account
//! changes — emitted here in the core, so both doors produce the same line for the same change.
//!
//! Every line has `action`, `user` and `source` (the client's address, or `local` for the
//! `ferry user` commands); user-supplied text (paths, argv) is recorded as string values, never
//! spliced into the message, so the log formatter escapes it.

/// The target audit lines are logged on (filter with `FERRY_LOG=ferry::audit=info`).
pub const TARGET: &str = "ferry::audit";

/// Logs one audit line: `audit!(action = "mkdir", user = …, source = …, path = …)`.
macro_rules! audit {
    ($($field:tt)*) => {
        tracing::info!(target: "ferry::audit", $($field)*, "audit")
    };
}

pub(crate) use audit;
