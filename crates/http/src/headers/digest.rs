//! Integrity fields: RFC 9530 `Content-Digest` / `Repr-Digest`, and legacy `Content-MD5`.
//!
//! ```text
//! Content-Digest: sha-256=:uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=:, md5=:XrY7u+Ae7tCTyyK7j1rNww==:
//!                 ^ key  ^ base64 between colons: an RFC 8941 byte sequence ("hello world")
//! Content-MD5:    XrY7u+Ae7tCTyyK7j1rNww==     RFC 1864: plain base64 of the same MD5
//! ```
//!
//! Ferry verifies each upload chunk with the strongest digest the client sent; these functions
//! only decode and encode, the comparison happens in `core`. The dictionary grammar (keys,
//! byte sequences, parameters, quoted strings) is the `sfv` crate's; what stays here is
//! Ferry's reading of it: which members count, which lengths are right, and one leniency
//! `sfv` rightly does not have (keys in capitals, see [`lowercase_keys`]).

use std::borrow::Cow;

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use sfv::{BareItem, DictSerializer, Dictionary, ListEntry, Parser, RefBareItem, key_ref};
use thiserror::Error;

/// Standard alphabet, padding optional on input, for `Content-MD5` (RFC 1864 does not say
/// whether padding may be left out; tolerating it costs nothing). Output is always padded.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a digest header was refused. Every variant has the code `digest_malformed`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DigestError {
    #[error("digest field is not a dictionary of `algorithm=:base64:` members")]
    Syntax,
    #[error("digest value is not valid base64")]
    Base64,
    #[error("{algorithm} digest must be {expected} bytes, got {actual}")]
    Length {
        algorithm: &'static str,
        expected: usize,
        actual: usize,
    },
}

impl DigestError {
    /// Stable snake_case code for clients.
    pub fn code(&self) -> &'static str {
        "digest_malformed"
    }
}

/// A chunk digest Ferry knows how to check, decoded to its native width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkDigestValue {
    /// CRC-32C, sent as 4 big-endian bytes (RFC 9530 registry, `crc32c`).
    Crc32c(u32),
    /// MD5, 16 bytes.
    Md5([u8; 16]),
    /// SHA-256, 32 bytes.
    Sha256([u8; 32]),
}

/// Parses a `Content-Digest` / `Repr-Digest` dictionary into `(algorithm, bytes)` pairs.
///
/// Algorithms are lowercased (RFC 8941 keys are lowercase; clients that shout are forgiven).
/// Parameters after `;` are skipped. A repeated key keeps its first position and its last value,
/// as RFC 8941 dictionaries do. Any member that is not a byte sequence makes the whole field
/// malformed (RFC 9530 §2 requires byte sequences). An empty field is an empty list.
pub fn parse_digest_field(value: &str) -> Result<Vec<(String, Vec<u8>)>, DigestError> {
    let dictionary: Dictionary = Parser::new(lowercase_keys(value).as_ref())
        .parse()
        .map_err(|e| {
            // sfv has one error type; its message is the only thing that tells a byte
            // sequence whose base64 does not decode from a broken dictionary.
            if format!("{e:#}") == "invalid byte sequence" {
                DigestError::Base64
            } else {
                DigestError::Syntax
            }
        })?;
    dictionary
        .into_iter()
        .map(|(key, entry)| match entry {
            ListEntry::Item(item) => match item.bare_item {
                BareItem::ByteSequence(bytes) => Ok((key.as_str().to_owned(), bytes)),
                _ => Err(DigestError::Syntax),
            },
            ListEntry::InnerList(_) => Err(DigestError::Syntax),
        })
        .collect()
}

/// Picks the strongest known chunk digest: sha-256, then md5, then crc32c.
///
/// Unknown algorithms are ignored (RFC 9530 §2 lets a recipient skip them), but a known one of
/// the wrong length is an error even when a stronger one is also present: the client is
/// broken, and silently trusting half of its header would hide that.
pub fn pick_chunk_digest(
    fields: &[(String, Vec<u8>)],
) -> Result<Option<ChunkDigestValue>, DigestError> {
    let sha256 = find::<32>(fields, "sha-256")?.map(ChunkDigestValue::Sha256);
    let md5 = find::<16>(fields, "md5")?.map(ChunkDigestValue::Md5);
    let crc32c = find::<4>(fields, "crc32c")?.map(u32::from_be_bytes);
    Ok(sha256.or(md5).or(crc32c.map(ChunkDigestValue::Crc32c)))
}

/// `Content-Digest` / `Repr-Digest` value for an MD5: `md5=:<base64>:`.
pub fn format_md5_digest(md5: &[u8; 16]) -> String {
    let mut field = DictSerializer::new();
    let _ = field.bare_item(key_ref("md5"), RefBareItem::ByteSequence(md5));
    field.finish().unwrap_or_default()
}

/// Legacy `Content-MD5` value (RFC 1864): plain base64, still sent by older clients and SDKs.
pub fn content_md5(md5: &[u8; 16]) -> String {
    BASE64.encode(md5)
}

/// Parses a legacy `Content-MD5` value; surrounding whitespace is tolerated.
pub fn parse_content_md5(value: &str) -> Result<[u8; 16], DigestError> {
    let bytes = BASE64
        .decode(value.trim())
        .map_err(|_| DigestError::Base64)?;
    fixed::<16>("md5", &bytes)
}

fn find<const N: usize>(
    fields: &[(String, Vec<u8>)],
    algorithm: &'static str,
) -> Result<Option<[u8; N]>, DigestError> {
    let value = fields
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(algorithm));
    value.map(|(_, v)| fixed(algorithm, v)).transpose()
}

fn fixed<const N: usize>(algorithm: &'static str, bytes: &[u8]) -> Result<[u8; N], DigestError> {
    bytes.try_into().map_err(|_| DigestError::Length {
        algorithm,
        expected: N,
        actual: bytes.len(),
    })
}

/// Lowercases every dictionary and parameter key, so that `MD5=:…:` parses as `md5`.
///
/// RFC 8941 keys are lowercase and `sfv` refuses others, but clients and SDKs that send
/// `MD5=` or `SHA-256=` exist and Ferry has always accepted them. A key starts the field, or
/// follows a `,` or `;` (after spaces); only a quoted string can hold a `,` or `;` that does
/// neither, so strings are skipped. Byte sequences, whose case matters, never follow a `,` or
/// `;` directly and are left alone. Anything malformed is passed on for `sfv` to refuse.
fn lowercase_keys(field: &str) -> Cow<'_, str> {
    if !field.bytes().any(|b| b.is_ascii_uppercase()) {
        return Cow::Borrowed(field);
    }
    let mut out = field.as_bytes().to_vec();
    let (mut at_key, mut in_string, mut escaped) = (true, false, false);
    for b in &mut out {
        if in_string {
            match *b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match *b {
            b',' | b';' => at_key = true,
            b' ' | b'\t' => {}
            b'"' => (in_string, at_key) = (true, false),
            c if at_key && (c.is_ascii_alphanumeric() || b"_-.*".contains(&c)) => {
                b.make_ascii_lowercase();
            }
            _ => at_key = false,
        }
    }
    // Only ASCII letters changed, so the bytes are still the same valid UTF-8.
    Cow::Owned(String::from_utf8(out).unwrap_or_else(|_| field.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::ChunkDigestValue::{Crc32c, Md5, Sha256};
    use super::DigestError::{Base64, Syntax};
    use super::*;

    /// MD5 of `abc`.
    const MD5_ABC: [u8; 16] = *b"\x90\x01\x50\x98\x3c\xd2\x4f\xb0\xd6\x96\x3f\x7d\x28\xe1\x7f\x72";
    const MD5_ABC_B64: &str = "kAFQmDzST7DWlj99KOF/cg==";

    type Expected = Result<&'static [(&'static str, usize)], DigestError>;

    /// `(field, expected (algorithm, decoded length) pairs)`.
    const CASES: &[(&str, Expected)] = &[
        ("", Ok(&[])),
        ("md5=:kAFQmDzST7DWlj99KOF/cg==:", Ok(&[("md5", 16)])),
        ("md5=:kAFQmDzST7DWlj99KOF/cg:", Ok(&[("md5", 16)])),
        ("MD5=:kAFQmDzST7DWlj99KOF/cg==:", Ok(&[("md5", 16)])),
        (
            "md5=:AA==:, crc32c=:AAAAAQ==:",
            Ok(&[("md5", 1), ("crc32c", 4)]),
        ),
        (
            "  crc32c=:AAAAAQ==:  ,md5=:AA==:  ",
            Ok(&[("crc32c", 4), ("md5", 1)]),
        ),
        (
            "md5=:AA==:;q=1, crc32c=:AAAAAQ==:",
            Ok(&[("md5", 1), ("crc32c", 4)]),
        ),
        ("md5=:AA==:;n=\"a, b\";x,md5=:AAAA:", Ok(&[("md5", 3)])),
        ("md5=:AA==:, md5=:AAAA:", Ok(&[("md5", 3)])),
        ("unixsum=:AAE=:", Ok(&[("unixsum", 2)])),
        ("md5=::", Ok(&[("md5", 0)])),
        ("md5", Err(Syntax)),
        ("md5=abc", Err(Syntax)),
        ("md5=\"abc\"", Err(Syntax)),
        ("md5=:AA==", Err(Syntax)),
        ("md5=:AA==:,", Err(Syntax)),
        ("md5=:AA==: crc32c=:AA==:", Err(Syntax)),
        (",md5=:AA==:", Err(Syntax)),
        ("md 5=:AA==:", Err(Syntax)),
        ("1md5=:AA==:", Err(Syntax)),
        ("md5=:AA==:;note=\"open", Err(Syntax)),
        ("md5=:!!!!:", Err(Base64)),
        ("md5=:kAFQmDzST7DWlj99KOF_cg==:", Err(Base64)),
    ];

    #[test]
    fn digest_field_table_parses_dictionary_members() {
        for (input, expected) in CASES {
            let got = parse_digest_field(input)
                .map(|v| v.into_iter().map(|(k, b)| (k, b.len())).collect::<Vec<_>>());
            let want = expected
                .clone()
                .map(|v| v.iter().map(|(k, n)| (k.to_string(), *n)).collect());
            assert_eq!(got, want, "input {input:?}");
        }
    }

    #[test]
    fn md5_digest_round_trips_and_matches_known_encoding() {
        assert_eq!(format_md5_digest(&MD5_ABC), format!("md5=:{MD5_ABC_B64}:"));
        let parsed = parse_digest_field(&format_md5_digest(&MD5_ABC)).unwrap();
        assert_eq!(parsed, vec![("md5".to_owned(), MD5_ABC.to_vec())]);
        assert_eq!(content_md5(&MD5_ABC), MD5_ABC_B64);
        assert_eq!(parse_content_md5(&format!(" {MD5_ABC_B64} ")), Ok(MD5_ABC));
    }

    #[test]
    fn content_md5_of_the_wrong_length_or_alphabet_is_malformed() {
        for bad in ["", "AA==", "kAFQmDzST7DWlj99KOF/cg==AA", "md5=:AA==:"] {
            let err = parse_content_md5(bad).unwrap_err();
            assert_eq!(err.code(), "digest_malformed", "input {bad:?}");
        }
    }

    #[test]
    fn capitalised_keys_are_forgiven_but_values_keep_their_case() {
        let field = "MD5=:kAFQmDzST7DWlj99KOF/cg==:;Note=\"A, B;C\", CRC32C=:AAABAg==:";
        let parsed = parse_digest_field(field).unwrap();
        let want = [("md5", MD5_ABC.to_vec()), ("crc32c", vec![0, 0, 1, 2])];
        let want: Vec<_> = want.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        assert_eq!(parsed, want);
    }

    /// `(field, expected pick or error)`.
    const PICKS: &[(&str, Result<Option<ChunkDigestValue>, &str>)] = &[
        ("", Ok(None)),
        ("unixsum=:AAE=:", Ok(None)),
        ("crc32c=:AAABAg==:", Ok(Some(Crc32c(0x0102)))),
        (
            "crc32c=:AAABAg==:, md5=:kAFQmDzST7DWlj99KOF/cg==:",
            Ok(Some(Md5(MD5_ABC))),
        ),
        (
            "md5=:kAFQmDzST7DWlj99KOF/cg==:, x=::, sha-256=:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:",
            Ok(Some(Sha256([0; 32]))),
        ),
        (
            "sha-256=:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:, md5=:AA==:",
            Err("md5 digest must be 16 bytes, got 1"),
        ),
        (
            "sha-256=:AA==:",
            Err("sha-256 digest must be 32 bytes, got 1"),
        ),
        ("crc32c=:AAAB:", Err("crc32c digest must be 4 bytes, got 3")),
    ];

    #[test]
    fn pick_prefers_sha256_then_md5_then_crc32c_and_refuses_a_wrong_length_known_one() {
        for (field, expected) in PICKS {
            let picked = pick_chunk_digest(&parse_digest_field(field).unwrap());
            let picked = picked.map_err(|e| e.to_string());
            assert_eq!(picked, expected.map_err(str::to_owned), "{field:?}");
        }
    }
}
