//! Pure parsing and formatting of the draft's header fields: no I/O, no axum.
//!
//! ```text
//! Upload-Complete: ?0 | ?1                        sf-boolean: this request ends the upload
//! Upload-Offset: 1048576   Upload-Length: 5000000 sf-integer, not negative
//! Upload-Limit: max-size=4398046511104, max-append-size=268435456, max-age=86399
//! Upload-Draft-Interop-Version: 6                 the draft revision the client speaks
//! Content-Disposition: inline; filename="a b.pdf"; filename*=UTF-8''a%20b.pdf
//! ```

use percent_encoding::percent_decode_str;
use sfv::{BareItem, Item, Parser};

/// The interop versions spoken, oldest first: 5 (draft-03, tus-js-client's `ietf-draft-03`),
/// 6 (draft-04 and -05, `ietf-draft-05`), 7 (draft-06 to -08), 8 (draft-09 to -12, the
/// latest).
pub const INTEROP_VERSIONS: [u32; 4] = [5, 6, 7, 8];

/// The interop version of the latest draft, assumed when a request names none.
pub const LATEST_INTEROP: u32 = 8;

/// The media type of a `PATCH` body (interop 6 on).
pub const PARTIAL_UPLOAD: &str = "application/partial-upload";

fn item(name: &str, value: &str) -> Result<BareItem, String> {
    Parser::new(value)
        .parse::<Item>()
        .map(|i| i.bare_item)
        .map_err(|_| format!("{name} is not a structured field item"))
}

/// An sf-boolean (`?0`, `?1`), as `Upload-Complete` carries.
pub fn parse_bool(name: &str, value: &str) -> Result<bool, String> {
    match item(name, value)? {
        BareItem::Boolean(b) => Ok(b),
        _ => Err(format!("{name} must be ?0 or ?1")),
    }
}

/// A non-negative sf-integer, as `Upload-Offset` and `Upload-Length` carry.
pub fn parse_int(name: &str, value: &str) -> Result<u64, String> {
    match item(name, value)? {
        BareItem::Integer(i) => {
            u64::try_from(i64::from(i)).map_err(|_| format!("{name} must not be negative"))
        }
        _ => Err(format!("{name} must be a whole number")),
    }
}

/// The interop version a request speaks: [`LATEST_INTEROP`] when it names none.
pub fn parse_interop(value: Option<&str>) -> Result<u32, String> {
    let Some(value) = value else {
        return Ok(LATEST_INTEROP);
    };
    let version = parse_int("Upload-Draft-Interop-Version", value)?;
    INTEROP_VERSIONS
        .iter()
        .copied()
        .find(|v| u64::from(*v) == version)
        .ok_or_else(|| {
            format!(
                "Upload-Draft-Interop-Version {version} is not spoken here; these are: {}",
                INTEROP_VERSIONS.map(|v| v.to_string()).join(", ")
            )
        })
}

/// Whether a `Content-Type` value is `application/partial-upload` (parameters aside).
pub fn is_partial_upload(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(PARTIAL_UPLOAD))
}

/// The limits an upload is held to, as `Upload-Limit` states them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// The largest upload (`--max-upload-size`).
    pub max_size: u64,
    /// The largest body of one request, if capped (`--http-max-chunk`).
    pub max_append_size: Option<u64>,
    /// Seconds until an idle upload is discarded, for an existing upload.
    pub max_age: Option<u64>,
}

/// `Upload-Limit`: a dictionary of integers.
pub fn format_limit(limit: &Limit) -> String {
    let mut out = format!("max-size={}", limit.max_size);
    if let Some(n) = limit.max_append_size {
        out.push_str(&format!(", max-append-size={n}"));
    }
    if let Some(n) = limit.max_age {
        out.push_str(&format!(", max-age={n}"));
    }
    out
}

/// The file name of a `Content-Disposition` value: `filename*` (RFC 8187, UTF-8) before
/// `filename`; `None` when there is neither.
pub fn disposition_filename(value: &str) -> Option<String> {
    let mut plain = None;
    for param in value.split(';').skip(1) {
        let Some((key, val)) = param.split_once('=') else {
            continue;
        };
        let (key, val) = (key.trim().to_ascii_lowercase(), val.trim());
        if key == "filename*" {
            let (charset, rest) = val.split_once('\'')?;
            let (_, encoded) = rest.split_once('\'')?;
            if charset.eq_ignore_ascii_case("utf-8") {
                return percent_decode_str(encoded)
                    .decode_utf8()
                    .ok()
                    .map(|s| s.into_owned());
            }
        } else if key == "filename" {
            plain = Some(val.trim_matches('"').replace("\\\"", "\""));
        }
    }
    plain.filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_complete_is_an_sf_boolean_and_nothing_else() {
        assert_eq!(parse_bool("Upload-Complete", "?1"), Ok(true));
        assert_eq!(parse_bool("Upload-Complete", "?0"), Ok(false));
        for bad in ["1", "true", "?2", "", "?1;x=", "\"?1\""] {
            assert!(parse_bool("Upload-Complete", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn offsets_are_non_negative_sf_integers() {
        assert_eq!(parse_int("Upload-Offset", "0"), Ok(0));
        assert_eq!(
            parse_int("Upload-Offset", "999999999999999"),
            Ok(999_999_999_999_999)
        );
        for bad in ["-1", "1.5", "abc", "", "?1", "9999999999999999"] {
            assert!(parse_int("Upload-Offset", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_interop_versions_of_draft_03_to_the_latest_are_spoken() {
        assert_eq!(parse_interop(None), Ok(LATEST_INTEROP));
        for v in INTEROP_VERSIONS {
            assert_eq!(parse_interop(Some(&v.to_string())), Ok(v));
        }
        for bad in ["3", "4", "9", "x"] {
            assert!(parse_interop(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn upload_limit_lists_what_applies() {
        let all = Limit {
            max_size: 100,
            max_append_size: Some(10),
            max_age: Some(60),
        };
        assert_eq!(
            format_limit(&all),
            "max-size=100, max-append-size=10, max-age=60"
        );
        let parsed: sfv::Dictionary = Parser::new(&format_limit(&all)).parse().unwrap();
        assert_eq!(parsed.len(), 3);
        let bare = Limit {
            max_size: 5,
            max_append_size: None,
            max_age: None,
        };
        assert_eq!(format_limit(&bare), "max-size=5");
    }

    #[test]
    fn content_disposition_names_the_file_utf8_first() {
        let v = "inline; filename=\"file name.jpg\"; filename*=UTF-8''f%C3%BCr%20dich.jpg";
        assert_eq!(disposition_filename(v).as_deref(), Some("für dich.jpg"));
        assert_eq!(
            disposition_filename("inline; filename=\"a b.pdf\"").as_deref(),
            Some("a b.pdf")
        );
        assert_eq!(
            disposition_filename("inline; filename=x.bin").as_deref(),
            Some("x.bin")
        );
        assert_eq!(disposition_filename("inline"), None);
    }

    #[test]
    fn partial_upload_is_matched_without_parameters() {
        assert!(is_partial_upload("application/partial-upload"));
        assert!(is_partial_upload("Application/Partial-Upload; x=1"));
        assert!(!is_partial_upload("application/offset+octet-stream"));
    }
}
