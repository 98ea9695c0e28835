//! SCRAM-SHA-256 (RFC 5802, RFC 7677) without channel binding, both sides, over message strings.
//!
//! ```text
//! client-first  = gs2-header client-first-bare
//! gs2-header    = ("n" / "y") "," "," ; "p=…" (channel binding) and "a=…" (authzid) refused
//! client-first-bare = "n=" saslname "," "r=" c-nonce ["," extensions]
//! server-first  = "r=" c-nonce s-nonce "," "s=" base64(salt) "," "i=" iterations
//! client-final  = "c=" base64(gs2-header) "," "r=" c-nonce s-nonce "," "p=" base64(proof)
//! server-final  = "v=" base64(ServerSignature)            ; or "e=" error (client side)
//!
//! AuthMessage     = client-first-bare "," server-first "," client-final-without-proof
//! ClientSignature = HMAC(StoredKey, AuthMessage)
//! ClientProof     = ClientKey XOR ClientSignature
//! ServerSignature = HMAC(ServerKey, AuthMessage)
//! ```
//!
//! The server checks a proof with StoredKey alone and never runs PBKDF2. Each state value is
//! consumed by its next step, so a proof cannot be replayed against an exchange, and every
//! exchange has a fresh server nonce. Malformed messages are `bad_request`; a wrong proof, a
//! wrong nonce or a misbehaving server are `auth_failed`.
//!
//! - `server`: [`parse_client_first`], [`server_first`], and [`ServerFirst`], which verifies
//!   the client-final message;
//! - `client`: [`ScramClient`] and [`ScramClientFinal`], which verifies the server-final one;
//! - `grammar`: the attribute syntax both sides parse (saslnames, nonces, extensions) and the
//!   primitives they share.

mod client;
mod grammar;
mod server;
#[cfg(test)]
mod tests;

pub use client::{SaltedKeys, ScramClient, ScramClientFinal};
pub use server::{ClientFirst, ServerFirst, parse_client_first, server_first};

/// Longest SCRAM message accepted from the peer, in bytes; checked before parsing.
pub const MAX_MESSAGE_LEN: usize = 2048;

/// Fewest PBKDF2 iterations a client accepts (RFC 7677 §4).
pub const MIN_ITERATIONS: u32 = 4096;

/// Most PBKDF2 iterations a client accepts, so a hostile server cannot make it spin for hours.
pub const MAX_ITERATIONS: u32 = 10_000_000;
