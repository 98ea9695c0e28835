//! Pure parsing and formatting of the tus headers: no I/O, no axum.
//!
//! ```text
//! Upload-Metadata: filename d29ybGQucGRm,folder L2RvY3M=,overwrite   key SP base64(value), …
//! Upload-Checksum: sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=                  algorithm SP base64(digest)
//! Upload-Concat:   partial  |  final;/api/v1/tus/ID1 /api/v1/tus/ID2  parts in order
//! ```

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ferry_core::ChunkDigest;

use super::error::TusError;

/// The decoded `Upload-Metadata` pairs; a key without a value maps to an empty string.
pub type Metadata = BTreeMap<String, String>;

/// Where the upload routes live; a concatenation names its parts by URLs under it.
pub const PREFIX: &str = "/api/v1/tus/";

/// Parses `Upload-Metadata`. Keys are unique, non-empty and free of spaces and commas; values
/// are base64 of UTF-8 text (every key Ferry reads is text, so a binary value is refused
/// rather than guessed at).
pub fn parse_metadata(value: &str) -> Result<Metadata, TusError> {
    let mut out = Metadata::new();
    for pair in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut parts = pair.split(' ').filter(|p| !p.is_empty());
        let key = parts.next().unwrap_or_default();
        let text = match parts.next() {
            None => String::new(),
            Some(b64) => {
                let bytes = STANDARD.decode(b64).map_err(|_| {
                    TusError::Metadata(format!("the value of {key:?} is not base64"))
                })?;
                String::from_utf8(bytes)
                    .map_err(|_| TusError::Metadata(format!("the value of {key:?} is not UTF-8")))?
            }
        };
        if parts.next().is_some() {
            return Err(TusError::Metadata(format!(
                "{key:?} has more than one value"
            )));
        }
        if out.insert(key.to_string(), text).is_some() {
            return Err(TusError::Metadata(format!("{key:?} appears twice")));
        }
    }
    Ok(out)
}

/// Formats pairs as an `Upload-Metadata` value.
pub fn format_metadata<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .map(|(k, v)| match v.is_empty() {
            true => k.to_string(),
            false => format!("{k} {}", STANDARD.encode(v)),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The algorithms `Upload-Checksum` may name, as `Tus-Checksum-Algorithm` lists them.
pub const CHECKSUM_ALGORITHMS: &str = "sha1,sha256,md5,crc32";

/// Parses `Upload-Checksum: ALGORITHM BASE64` into the digest the engine verifies.
pub fn parse_checksum(value: &str) -> Result<ChunkDigest, TusError> {
    let (alg, b64) = value
        .trim()
        .split_once(' ')
        .ok_or_else(|| TusError::Checksum("expected `ALGORITHM BASE64`".into()))?;
    let bytes = STANDARD
        .decode(b64.trim())
        .map_err(|_| TusError::Checksum("the digest is not base64".into()))?;
    let wrong = |n: usize| TusError::Checksum(format!("a {alg} digest is {n} bytes"));
    Ok(match alg.to_ascii_lowercase().as_str() {
        "sha1" => ChunkDigest::Sha1(bytes.try_into().map_err(|_| wrong(20))?),
        "sha256" => ChunkDigest::Sha256(bytes.try_into().map_err(|_| wrong(32))?),
        "md5" => ChunkDigest::Md5(bytes.try_into().map_err(|_| wrong(16))?),
        "crc32" => ChunkDigest::Crc32(u32::from_be_bytes(bytes.try_into().map_err(|_| wrong(4))?)),
        _ => return Err(TusError::ChecksumAlgorithm(alg.to_string())),
    })
}

/// `Upload-Concat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Concat {
    /// A part, to be joined by a later final upload.
    Partial,
    /// The ids of the parts, in order.
    Final(Vec<String>),
}

/// Parses `Upload-Concat`; a final's parts are URLs (absolute or a path) of uploads here.
pub fn parse_concat(value: &str) -> Result<Concat, TusError> {
    let value = value.trim();
    if value == "partial" {
        return Ok(Concat::Partial);
    }
    let Some(urls) = value.strip_prefix("final;") else {
        return Err(TusError::ConcatPart(
            "expected `partial` or `final;URL URL…`".into(),
        ));
    };
    let ids = urls
        .split(' ')
        .filter(|u| !u.is_empty())
        .map(|u| {
            upload_id_of(u).map(str::to_string).ok_or_else(|| {
                TusError::ConcatPart(format!("{u:?} is not an upload of this server"))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if ids.is_empty() {
        return Err(TusError::ConcatPart("a final upload names no parts".into()));
    }
    // Refused here, before any part is touched: joining consumes each part it names, so a
    // part named twice would be used up by its first mention and the final then fail,
    // taking the part with it.
    if let Some(twice) = ids
        .iter()
        .enumerate()
        .find_map(|(i, id)| ids[..i].contains(id).then_some(id))
    {
        return Err(TusError::ConcatPart(format!(
            "part {twice} is named more than once"
        )));
    }
    Ok(Concat::Final(ids))
}

/// The upload id in an upload URL (`https://host/api/v1/tus/ID` or `/api/v1/tus/ID`).
pub fn upload_id_of(url: &str) -> Option<&str> {
    let path = match url.find("://") {
        Some(i) => &url[i + 3..][url[i + 3..].find('/')?..],
        None => url,
    };
    let id = path.strip_prefix(PREFIX)?;
    (!id.is_empty() && !id.contains(['/', '?', '#'])).then_some(id)
}

/// A whole number header (`Upload-Offset`, `Upload-Length`): digits only, no sign or space.
pub fn parse_number(name: &str, value: &str) -> Result<u64, String> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{name} must be a whole number"));
    }
    value
        .parse()
        .map_err(|_| format!("{name} is larger than this server handles"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_decodes_each_pair_and_keys_without_values() {
        let m = parse_metadata("filename d29ybGQucGRm, folder L2RvY3M=,overwrite").unwrap();
        assert_eq!(m["filename"], "world.pdf");
        assert_eq!(m["folder"], "/docs");
        assert_eq!(m["overwrite"], "");
        assert_eq!(parse_metadata("").unwrap().len(), 0);
    }

    #[test]
    fn metadata_refuses_bad_base64_duplicates_and_binary_values() {
        for bad in ["a !!!", "a YQ==,a Yg==", "a /w==", "a YQ== YQ=="] {
            let e = parse_metadata(bad).unwrap_err();
            assert_eq!(e.code(), "bad_metadata", "{bad}");
        }
    }

    #[test]
    fn metadata_formats_back_to_what_it_parses() {
        let text = format_metadata([("filename", "a b.txt"), ("flag", "")]);
        let m = parse_metadata(&text).unwrap();
        assert_eq!(m["filename"], "a b.txt");
        assert_eq!(m["flag"], "");
    }

    #[test]
    fn checksum_reads_each_algorithm_and_checks_its_length() {
        // sha1("") and crc32("hello") = 0x3610a686.
        let sha1 = parse_checksum("sha1 2jmj7l5rSw0yVb/vlWAYkK/YBwk=").unwrap();
        assert_eq!(
            sha1,
            ChunkDigest::Sha1(hex_array("da39a3ee5e6b4b0d3255bfef95601890afd80709"))
        );
        assert_eq!(
            parse_checksum("crc32 NhCmhg==").unwrap(),
            ChunkDigest::Crc32(0x3610a686)
        );
        assert!(matches!(
            parse_checksum("md5 1B2M2Y8AsgTpgAmY7PhCfg==").unwrap(),
            ChunkDigest::Md5(_)
        ));
        assert!(matches!(
            parse_checksum("sha256 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=").unwrap(),
            ChunkDigest::Sha256(_)
        ));
        assert_eq!(
            parse_checksum("sha1 AAAA").unwrap_err().code(),
            "bad_checksum"
        );
        assert_eq!(parse_checksum("sha1").unwrap_err().code(), "bad_checksum");
        assert_eq!(
            parse_checksum("whirlpool AAAA").unwrap_err().code(),
            "checksum_algorithm_unsupported"
        );
    }

    fn hex_array<const N: usize>(h: &str) -> [u8; N] {
        hex::decode(h).unwrap().try_into().unwrap()
    }

    #[test]
    fn concat_names_parts_by_absolute_or_path_urls() {
        assert_eq!(parse_concat("partial").unwrap(), Concat::Partial);
        let c = parse_concat("final;http://h:1/api/v1/tus/aa /api/v1/tus/bb").unwrap();
        assert_eq!(c, Concat::Final(vec!["aa".into(), "bb".into()]));
        for bad in [
            "final;",
            "final;/elsewhere/aa",
            "whole",
            "final;/api/v1/tus/a/b",
        ] {
            assert_eq!(
                parse_concat(bad).unwrap_err().code(),
                "concat_part_invalid",
                "{bad}"
            );
        }
    }

    #[test]
    fn numbers_are_plain_digits() {
        assert_eq!(parse_number("Upload-Offset", "42"), Ok(42));
        for bad in ["", "-1", "+1", " 1", "1.0", "99999999999999999999"] {
            assert!(parse_number("Upload-Offset", bad).is_err(), "{bad}");
        }
    }
}
