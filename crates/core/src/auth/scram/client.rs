//! The client side: builds the client-first and client-final messages, running PBKDF2 with the
//! server's salt, and checks that the server knows the account's ServerKey.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use subtle::ConstantTimeEq;

use super::grammar::{
    attr, bad, check_extensions, check_len, check_nonce, decode_b64, encode_saslname, random_nonce,
    xor,
};
use super::{MAX_ITERATIONS, MIN_ITERATIONS};
use crate::auth::credentials::{Keys, hmac_sha256};
use crate::{Error, Result};

/// The only GS2 header this client sends: no channel binding, no authzid.
const CLIENT_GS2_HEADER: &str = "n,,";

/// Client state before the server-first message.
pub struct ScramClient {
    password: String,
    client_nonce: String,
    client_first_bare: String,
}

impl fmt::Debug for ScramClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramClient")
            .field("client_first_bare", &self.client_first_bare)
            .finish_non_exhaustive()
    }
}

impl ScramClient {
    /// Starts a login; returns the state and the client-first message.
    ///
    /// `nonce` is for tests; `None` draws a fresh random one. The password is used as its
    /// UTF-8 bytes as given (no SASLprep).
    pub fn new(username: &str, password: &str, nonce: Option<&str>) -> Result<(Self, String)> {
        if username.is_empty() || username.contains('\0') {
            return Err(bad("user name must be non-empty and without NUL"));
        }
        let client_nonce = match nonce {
            Some(n) => {
                check_nonce(n)?;
                n.to_owned()
            }
            None => random_nonce()?,
        };
        let client_first_bare = format!("n={},r={client_nonce}", encode_saslname(username));
        let message = format!("{CLIENT_GS2_HEADER}{client_first_bare}");
        let client = ScramClient {
            password: password.to_owned(),
            client_nonce,
            client_first_bare,
        };
        Ok((client, message))
    }

    /// Answers the server-first message; returns the state and the client-final message.
    ///
    /// Runs PBKDF2 with the server's salt and iteration count.
    pub fn handle_server_first(self, msg: &str) -> Result<(ScramClientFinal, String)> {
        self.handle_server_first_cached(msg, &mut None)
    }

    /// [`Self::handle_server_first`], taking the keys from `cache` when they were derived from
    /// this password with the salt and iteration count the server sends now, and leaving there
    /// the keys it used. The password's PBKDF2 (~4 ms at Ferry's default count) then runs once
    /// per account, not once per connection: RFC 5802 §5.1 notes that a client may keep
    /// ClientKey and ServerKey for later logins, since a server keeps an account's salt.
    pub fn handle_server_first_cached(
        self,
        msg: &str,
        cache: &mut Option<SaltedKeys>,
    ) -> Result<(ScramClientFinal, String)> {
        check_len(msg)?;
        let mut parts = msg.split(',');
        let nonce = attr(parts.next(), 'r')?;
        let salt = decode_b64(attr(parts.next(), 's')?, "salt")?;
        let iterations = attr(parts.next(), 'i')?;
        check_extensions(parts)?;
        check_nonce(nonce)?;
        if salt.is_empty() {
            return Err(bad("empty salt"));
        }
        // `u32::from_str` would also take a leading `+`, which the grammar does not allow.
        if !iterations.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("invalid iteration count"));
        }
        let iterations: u32 = iterations
            .parse()
            .map_err(|_| bad("invalid iteration count"))?;
        // The server must extend our nonce, and must not weaken or stall the derivation.
        let extends_ours =
            nonce.len() > self.client_nonce.len() && nonce.starts_with(&self.client_nonce);
        if !extends_ours || !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) {
            return Err(Error::AuthFailed);
        }
        let reusable = cache
            .as_ref()
            .is_some_and(|c| c.matches(&self.password, &salt, iterations));
        if !reusable {
            let keys = Keys::derive(&self.password, &salt, iterations);
            *cache = Some(SaltedKeys {
                password: self.password.clone(),
                salt,
                iterations,
                keys,
            });
        }
        let keys = &cache.as_ref().expect("set just above").keys;
        let without_proof = format!("c={},r={nonce}", STANDARD.encode(CLIENT_GS2_HEADER));
        let auth_message = format!("{},{msg},{without_proof}", self.client_first_bare);
        let signature = hmac_sha256(&keys.stored_key, &[auth_message.as_bytes()]);
        let proof = xor(&keys.client_key, &signature);
        let server_signature = hmac_sha256(&keys.server_key, &[auth_message.as_bytes()]);
        let message = format!("{without_proof},p={}", STANDARD.encode(proof));
        Ok((ScramClientFinal { server_signature }, message))
    }
}

/// The keys a login derived from a password for one salt and iteration count, which later
/// logins to the same account can reuse ([`ScramClient::handle_server_first_cached`]).
#[derive(Clone)]
pub struct SaltedKeys {
    password: String,
    salt: Vec<u8>,
    iterations: u32,
    keys: Keys,
}

impl SaltedKeys {
    /// Keys filed under `password`, `salt` and `iterations` but derived from `keys_from`.
    #[cfg(test)]
    pub(super) fn planted(password: &str, salt: &[u8], iterations: u32, keys_from: &str) -> Self {
        SaltedKeys {
            password: password.to_owned(),
            salt: salt.to_vec(),
            iterations,
            keys: Keys::derive(keys_from, salt, iterations),
        }
    }

    fn matches(&self, password: &str, salt: &[u8], iterations: u32) -> bool {
        let same_password = bool::from(self.password.as_bytes().ct_eq(password.as_bytes()));
        same_password && self.salt == salt && self.iterations == iterations
    }
}

impl fmt::Debug for SaltedKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaltedKeys")
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

/// Client state after the client-final message: what the server must prove it knows.
pub struct ScramClientFinal {
    server_signature: [u8; 32],
}

impl fmt::Debug for ScramClientFinal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramClientFinal").finish_non_exhaustive()
    }
}

impl ScramClientFinal {
    /// Checks the server-final message, proving the server holds this account's ServerKey.
    pub fn verify_server_final(self, msg: &str) -> Result<()> {
        check_len(msg)?;
        let first = msg.split_once(',').map_or(msg, |(first, _)| first);
        if first.starts_with("e=") {
            return Err(Error::AuthFailed);
        }
        let verifier = decode_b64(attr(Some(first), 'v')?, "server signature")?;
        if bool::from(verifier[..].ct_eq(&self.server_signature[..])) {
            Ok(())
        } else {
            Err(Error::AuthFailed)
        }
    }
}
