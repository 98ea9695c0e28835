//! What both of Ferry's doors share: the bounded listener and the connection plumbing.
//!
//! The TCP door and the HTTP door speak different protocols over the same kind of socket, and
//! they need the same defences in front of it. Those live here, written once:
//!
//! - [`socket`]: [`bind`] (`SO_REUSEADDR`, a backlog that matches the connection limit) and the
//!   per-connection socket options (`TCP_NODELAY`, keepalive).
//! - [`listener`]: [`Listener`] — a connection permit taken *before* `accept`, back-off on
//!   accept errors, per-source accounting and its limit. Its [`Limits`] say how much.
//! - [`sources`]: [`Sources`] — how many connections each source address holds open.
//! - [`startups`]: [`Startups`] — connections not logged in yet, per source and in total,
//!   with OpenSSH's `MaxStartups` random early refusal.
//! - [`forwarded`]: the client address behind a trusted proxy (`Forwarded`,
//!   `X-Forwarded-For`), and [`TrustedProxies`].
//! - [`accepted`]: what a door is handed: an [`Accepted`] stream with its peer and its
//!   [`ConnectionPermit`], and the [`Io`] bound a TLS wrapper will satisfy too.
//! - [`counted`]: [`Counted`] — an accepted stream whose bytes go to its door's counters.
//! - [`run`](mod@run): [`run()`] — the accept loop with a graceful drain that tests drive
//!   with a `CancellationToken`.
//! - [`backoff`]: the growing pause after a failed `accept`.
//! - [`tls`]: [`Tls`] — rustls around an accepted stream, its certificate reloadable.
//! - [`refusal`]: [`Refusal`] — the door's words to a connection refused at accept, written
//!   in the background under a deadline.

pub mod accepted;
pub mod backoff;
pub mod counted;
pub mod forwarded;
pub mod listener;
pub mod refusal;
pub mod run;
pub mod socket;
pub mod sources;
pub mod startups;
pub mod tls;

pub use accepted::{Accepted, ConnectionPermit, Io};
pub use counted::{ByteCounters, Counted};
pub use forwarded::TrustedProxies;
pub use listener::{Limits, Listener};
pub use refusal::{Refusal, Refused};
pub use run::run;
pub use socket::bind;
pub use sources::Sources;
pub use startups::{StartupLimits, StartupSlot, Startups};
pub use tls::{Opening, Tls};
