//! Login: SCRAM-SHA-256 without channel binding, the credentials it needs, and throttling.
//!
//! - [`credentials`]: [`ScramCredentials`], what the account store keeps instead of a password
//!   (salt, iteration count, StoredKey, ServerKey), plus decoys for unknown users.
//! - [`scram`]: both sides of the RFC 5802 / RFC 7677 exchange as pure functions over message
//!   strings; the server side never sees the password and never runs PBKDF2.
//! - [`throttle`]: [`Throttle`], exponential lock-outs per source address and per account name
//!   after repeated failures.
//!
//! The exchange, as the doors carry it:
//!
//! ```text
//! client                                   server
//!   client-first  n,,n=<user>,r=<cnonce>  ──▶  parse_client_first, look up or decoy creds
//!                 r=<cnonce+snonce>,s=,i= ◀──  server_first
//!   client-final  c=biws,r=…,p=<proof>    ──▶  ServerFirst::verify_client_final
//!                 v=<server signature>    ◀──  (or auth_failed)
//! ```

pub mod credentials;
pub mod scram;
pub mod throttle;

pub use credentials::{DEFAULT_ITERATIONS, ScramCredentials};
pub use scram::{
    ClientFirst, ScramClient, ScramClientFinal, ServerFirst, parse_client_first, server_first,
};
pub use throttle::{Throttle, ThrottleConfig};

/// The one SASL mechanism Ferry speaks on the TCP door.
pub const MECHANISM: &str = "SCRAM-SHA-256";
