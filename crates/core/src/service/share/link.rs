//! A share link's id and what is derived from it.
//!
//! ```text
//! seed  16 random bytes, stored in the record
//! id    base64url(HMAC-SHA256(secret, "share-link\0" ‖ seed)[..16])   22 characters, in the link
//! key   hex(SHA-256(id))                                              the record's name in the store
//! grant hex(HMAC-SHA256(secret, "share-grant\0" ‖ key ‖ StoredKey))   a browser's proof of the password
//! ```
//!
//! The id carries 128 bits from the seed; the store holds only the seed and the key, so its
//! files (or a listing of them) give no working link without the secret, while the owner can
//! be shown the link again. The grant changes with the link's password hash, so it cannot be
//! made without having given the password once.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::auth::credentials::{hmac_sha256, sha256};
use crate::store::ShareRecord;
use crate::{Error, Result};

/// Bytes of an id.
const ID_BYTES: usize = 16;

/// Characters of an id.
const ID_LEN: usize = 22;

/// The longest a link may be set to live: ten years.
const MAX_LIFETIME: Duration = Duration::from_secs(10 * 366 * 24 * 3600);

/// The link id of a record's seed.
pub(super) fn id_of(secret: &[u8; 32], seed_hex: &str) -> Result<String> {
    let seed = hex::decode(seed_hex).map_err(Error::internal)?;
    let mac = hmac_sha256(secret, &[b"share-link\0", &seed]);
    Ok(URL_SAFE_NO_PAD.encode(&mac[..ID_BYTES]))
}

/// The storage key of a well-formed id, or `None`.
pub(super) fn key_of(id: &str) -> Option<String> {
    if id.len() != ID_LEN {
        return None;
    }
    // The decoder refuses non-zero trailing bits, so each id has exactly one spelling.
    let bytes = URL_SAFE_NO_PAD.decode(id).ok()?;
    (bytes.len() == ID_BYTES).then(|| hex::encode(sha256(id.as_bytes())))
}

/// The grant for a password-protected record stored under `key`.
pub(super) fn grant_of(secret: &[u8; 32], key: &str, record: &ShareRecord) -> Option<String> {
    let creds = record.password.as_ref()?;
    let mac = hmac_sha256(
        secret,
        &[b"share-grant\0", key.as_bytes(), &creds.stored_key],
    );
    Some(hex::encode(mac))
}

/// A link's lifetime as people write it: `90s`, `30m`, `12h`, `7d`, `2w` (a bare number is
/// seconds); at least a second, at most ten years.
pub fn parse_lifetime(text: &str) -> Result<Duration> {
    let bad = || Error::BadRequest(format!("lifetime {text:?}: expected e.g. 30m, 12h, 7d, 2w"));
    let text = text.trim();
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad()),
    };
    let secs = n.checked_mul(scale).ok_or_else(bad)?;
    let lifetime = Duration::from_secs(secs);
    if secs == 0 || lifetime > MAX_LIFETIME {
        return Err(Error::BadRequest(format!(
            "lifetime {text:?}: between 1 s and ten years"
        )));
    }
    Ok(lifetime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_22_characters_and_their_keys_hex() {
        let id = id_of(&[7; 32], &"ab".repeat(16)).unwrap();
        assert_eq!(id.len(), ID_LEN);
        let key = key_of(&id).unwrap();
        assert_eq!(key.len(), 64);
        assert_eq!(key_of(&id[..21]), None);
        assert_eq!(key_of("../../../../etc/passwd!"), None);
        assert_ne!(
            id,
            id_of(&[8; 32], &"ab".repeat(16)).unwrap(),
            "the secret matters"
        );
    }

    #[test]
    fn lifetimes_read_as_people_write_them() {
        assert_eq!(
            parse_lifetime("7d").unwrap(),
            Duration::from_secs(7 * 86_400)
        );
        assert_eq!(parse_lifetime("90").unwrap(), Duration::from_secs(90));
        assert_eq!(
            parse_lifetime("2w").unwrap(),
            Duration::from_secs(14 * 86_400)
        );
        for bad in ["", "0", "7x", "d", "-1d", "99999999999999999999d", "20000d"] {
            assert_eq!(
                parse_lifetime(bad).unwrap_err().code(),
                "bad_request",
                "{bad}"
            );
        }
    }
}
