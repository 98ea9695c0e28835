//! What the account store keeps instead of a password: SCRAM-SHA-256 credentials.
//!
//! From RFC 5802 §3:
//!
//! ```text
//! SaltedPassword = PBKDF2-HMAC-SHA256(password, salt, iterations)
//! ClientKey      = HMAC(SaltedPassword, "Client Key")
//! StoredKey      = SHA256(ClientKey)
//! ServerKey      = HMAC(SaltedPassword, "Server Key")
//! ```
//!
//! The server keeps only salt, iterations, StoredKey and ServerKey. StoredKey lets it check a
//! client's proof without being able to produce one; ServerKey lets it prove to the client that
//! it knows the credentials. Neither yields the password without a brute-force search through
//! PBKDF2.
//!
//! Passwords are used as their UTF-8 bytes exactly as given: no SASLprep or other Unicode
//! normalisation is applied, so a client must send the same code points it was created with.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// PBKDF2 iteration count for new credentials.
///
/// RFC 7677 requires at least 4096; four times that costs a client a few milliseconds more
/// per login. The server never runs PBKDF2 at login (only clients and `user add` do), so a
/// higher count slows offline guessing against a stolen account file without making the
/// server easier to overload.
pub const DEFAULT_ITERATIONS: u32 = 4096 * 4;

/// Salt length for new credentials, in bytes (RFC 7677 does not fix one; 128 bits is ample).
const SALT_LEN: usize = 16;

/// The stored form of a password for SCRAM-SHA-256.
///
/// Serialised with `salt`, `stored_key` and `server_key` as standard base64 strings. `Debug`
/// leaves the keys out, so credentials never end up in a log by accident.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScramCredentials {
    /// PBKDF2 salt, sent to the client in the server-first message.
    #[serde(with = "base64_bytes")]
    pub salt: Vec<u8>,
    /// PBKDF2 iteration count, sent to the client in the server-first message.
    pub iterations: u32,
    /// `SHA256(ClientKey)`: checks a client proof.
    #[serde(with = "base64_bytes")]
    pub stored_key: [u8; 32],
    /// `HMAC(SaltedPassword, "Server Key")`: signs the server-final message.
    #[serde(with = "base64_bytes")]
    pub server_key: [u8; 32],
}

impl ScramCredentials {
    /// Derives credentials from a password (UTF-8 bytes as given, no SASLprep).
    ///
    /// This runs PBKDF2 and so costs `iterations` HMAC rounds; only clients and account
    /// creation call it.
    pub fn derive(password: &str, salt: &[u8], iterations: u32) -> Self {
        let keys = Keys::derive(password, salt, iterations);
        ScramCredentials {
            salt: salt.to_vec(),
            iterations,
            stored_key: keys.stored_key,
            server_key: keys.server_key,
        }
    }

    /// Derives credentials for a new password with a fresh random salt and
    /// [`DEFAULT_ITERATIONS`].
    pub fn new_random(password: &str) -> Result<Self> {
        let mut salt = [0u8; SALT_LEN];
        fill_random(&mut salt)?;
        Ok(Self::derive(password, &salt, DEFAULT_ITERATIONS))
    }

    /// Fake credentials for a user that does not exist, derived from a server secret.
    ///
    /// The same name always gets the same plausible salt, so probing a name twice reveals
    /// nothing, and the exchange runs exactly as for a real user (same messages, same work)
    /// until the proof check fails with `auth_failed`. No password matches: the keys are not
    /// derived from one.
    pub fn decoy(secret: &[u8], username: &str) -> Self {
        let tagged = |tag: &[u8]| hmac_sha256(secret, &[tag, username.as_bytes()]);
        let salt = tagged(b"decoy-salt\0")[..SALT_LEN].to_vec();
        ScramCredentials {
            salt,
            iterations: DEFAULT_ITERATIONS,
            stored_key: tagged(b"decoy-stored\0"),
            server_key: tagged(b"decoy-server\0"),
        }
    }
}

impl fmt::Debug for ScramCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramCredentials")
            .field("salt", &hex::encode(&self.salt))
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

/// The keys derived from a password; the client needs `client_key`, the server the rest.
#[derive(Clone)]
pub(crate) struct Keys {
    /// `HMAC(SaltedPassword, "Client Key")`.
    pub(crate) client_key: [u8; 32],
    /// `SHA256(ClientKey)`.
    pub(crate) stored_key: [u8; 32],
    /// `HMAC(SaltedPassword, "Server Key")`.
    pub(crate) server_key: [u8; 32],
}

impl Keys {
    /// Runs PBKDF2 for SaltedPassword and computes ClientKey, StoredKey and ServerKey from it.
    pub(crate) fn derive(password: &str, salt: &[u8], iterations: u32) -> Self {
        let mut salted = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, iterations, &mut salted);
        let client_key = hmac_sha256(&salted, &[b"Client Key"]);
        Keys {
            client_key,
            stored_key: sha256(&client_key),
            server_key: hmac_sha256(&salted, &[b"Server Key"]),
        }
    }
}

/// `HMAC-SHA256(key, parts[0] || parts[1] || …)`.
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC pads or hashes any key to its block size; `InvalidLength` cannot happen.
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// `SHA256(data)`.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Fills `buf` from the operating system's CSPRNG.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|e| Error::internal(format!("system random generator: {e}")))
}

/// Serde helpers: bytes as a standard (padded) base64 string.
mod base64_bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    /// Writes the bytes as one base64 string.
    pub(super) fn serialize<S: Serializer>(
        bytes: &impl AsRef<[u8]>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes.as_ref()))
    }

    /// Reads a base64 string into `Vec<u8>` or a fixed-size array of the right length.
    pub(super) fn deserialize<'de, D, T>(d: D) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        T: TryFrom<Vec<u8>>,
    {
        let text = String::deserialize(d)?;
        let bytes = STANDARD.decode(text.as_bytes()).map_err(D::Error::custom)?;
        let len = bytes.len();
        T::try_from(bytes).map_err(|_| D::Error::custom(format!("unexpected length {len}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    #[test]
    fn derive_matches_rfc7677_vector() {
        let salt = STANDARD.decode("W22ZaJ0SNY7soEsUEjb6gQ==").expect("b64");
        let c = ScramCredentials::derive("pencil", &salt, 4096);
        // The RFC prints no keys; these were computed independently (Python hashlib/hmac).
        assert_eq!(
            STANDARD.encode(c.server_key),
            "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU="
        );
        assert_eq!(
            STANDARD.encode(c.stored_key),
            "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY="
        );
    }

    #[test]
    fn new_random_uses_fresh_salt_and_default_iterations() {
        let a = ScramCredentials::new_random("pw").expect("random");
        let b = ScramCredentials::new_random("pw").expect("random");
        assert_eq!(a.iterations, DEFAULT_ITERATIONS);
        assert_eq!(a.salt.len(), SALT_LEN);
        assert_ne!(a.salt, b.salt);
        assert_ne!(a.stored_key, b.stored_key);
    }

    #[test]
    fn decoy_is_stable_per_name_and_differs_between_names() {
        let a = ScramCredentials::decoy(b"secret", "ghost");
        assert_eq!(a, ScramCredentials::decoy(b"secret", "ghost"));
        assert_ne!(a.salt, ScramCredentials::decoy(b"secret", "ghost2").salt);
        assert_ne!(a.salt, ScramCredentials::decoy(b"other", "ghost").salt);
        assert_eq!(a.salt.len(), SALT_LEN);
        assert_eq!(a.iterations, DEFAULT_ITERATIONS);
    }

    #[test]
    fn serde_writes_base64_and_round_trips() {
        let c = ScramCredentials::derive("pw", b"0123456789abcdef", 4096);
        let json = serde_json::to_value(&c).expect("serialize");
        assert_eq!(json["salt"], "MDEyMzQ1Njc4OWFiY2RlZg==");
        assert_eq!(json["iterations"], 4096);
        let back: ScramCredentials = serde_json::from_value(json).expect("deserialize");
        assert_eq!(back, c);
    }

    #[test]
    fn serde_rejects_a_key_of_the_wrong_length() {
        let json = r#"{"salt":"AA==","iterations":4096,"stored_key":"AA==","server_key":"AA=="}"#;
        assert!(serde_json::from_str::<ScramCredentials>(json).is_err());
    }

    #[test]
    fn debug_does_not_show_keys() {
        let c = ScramCredentials::derive("pw", b"salt", 4096);
        let shown = format!("{c:?}");
        assert!(!shown.contains("stored_key"));
        assert!(!shown.contains("server_key"));
    }
}
