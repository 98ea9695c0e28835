//! The attribute grammar both sides parse (RFC 5802 §7: saslnames, nonces, extensions), and
//! the small primitives they share.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::MAX_MESSAGE_LEN;
use crate::auth::credentials::fill_random;
use crate::{Error, Result};

/// Random bytes in a generated nonce; base64 makes 32 printable characters of them.
const NONCE_BYTES: usize = 24;

/// Escapes a user name as a saslname: `=` → `=3D`, `,` → `=2C` (in that order).
pub(super) fn encode_saslname(name: &str) -> String {
    name.replace('=', "=3D").replace(',', "=2C")
}

/// Decodes a saslname; any `=` not starting `=2C` or `=3D` is malformed.
pub(super) fn decode_saslname(s: &str) -> Result<String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('=') {
        out.push_str(&rest[..i]);
        match rest.get(i..i + 3) {
            Some("=2C") => out.push(','),
            Some("=3D") => out.push('='),
            _ => return Err(bad("invalid escape in user name")),
        }
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    if out.is_empty() || out.contains('\0') {
        return Err(bad("user name must be non-empty and without NUL"));
    }
    Ok(out)
}

/// The value of attribute `name` in `part`, which must read `<name>=…`.
pub(super) fn attr(part: Option<&str>, name: char) -> Result<&str> {
    let part = part.unwrap_or_default();
    if part.starts_with("m=") {
        return Err(bad("mandatory extensions not supported"));
    }
    let mut chars = part.chars();
    match (chars.next(), chars.next()) {
        (Some(n), Some('=')) if n == name => Ok(chars.as_str()),
        _ => Err(Error::BadRequest(format!("expected the {name}= attribute"))),
    }
}

/// Optional trailing extensions: each must look like `<letter>=…`; `m=` is refused, the rest
/// are ignored (they are still covered by the AuthMessage).
pub(super) fn check_extensions<'a>(parts: impl Iterator<Item = &'a str>) -> Result<()> {
    for part in parts {
        let b = part.as_bytes();
        if b.first() == Some(&b'm') && b.get(1) == Some(&b'=') {
            return Err(bad("mandatory extensions not supported"));
        }
        if b.len() < 2 || !b[0].is_ascii_alphabetic() || b[1] != b'=' {
            return Err(bad("malformed attribute"));
        }
    }
    Ok(())
}

/// A nonce is one or more printable ASCII characters other than `,`.
pub(super) fn check_nonce(n: &str) -> Result<()> {
    let printable = |b: u8| (0x21..=0x7e).contains(&b) && b != b',';
    if n.is_empty() || !n.bytes().all(printable) {
        return Err(bad("nonce must be printable ASCII without ','"));
    }
    Ok(())
}

pub(super) fn check_len(msg: &str) -> Result<()> {
    if msg.len() > MAX_MESSAGE_LEN {
        return Err(bad("SCRAM message too long"));
    }
    Ok(())
}

pub(super) fn decode_b64(s: &str, what: &str) -> Result<Vec<u8>> {
    STANDARD
        .decode(s)
        .map_err(|_| Error::BadRequest(format!("invalid base64 in {what}")))
}

pub(super) fn random_nonce() -> Result<String> {
    let mut bytes = [0u8; NONCE_BYTES];
    fill_random(&mut bytes)?;
    Ok(STANDARD.encode(bytes))
}

pub(super) fn xor(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    std::array::from_fn(|i| a[i] ^ b[i])
}

pub(super) fn bad(msg: &str) -> Error {
    Error::BadRequest(msg.to_owned())
}
