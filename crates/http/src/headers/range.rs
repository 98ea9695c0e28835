//! Request `Range` for downloads (RFC 9110 §14.2), resolved against the file's length.
//!
//! ```text
//! bytes=0-499     first 500 bytes          bytes=500-    from byte 500 to the end
//! bytes=-500      last 500 bytes           bytes=0-0,-1  several ranges: Ferry serves 200
//! ```
//!
//! RFC 9110 lets a server ignore a `Range` it cannot or will not honour and send the whole
//! file, so anything Ferry does not understand becomes [`RangeRequest::Full`] rather than an
//! error. Only a well-formed range that misses the file entirely is a 416.
//!
//! The grammar and the clamping are the `http-range-header` crate's; what stays here is
//! Ferry's policy on top of it: one range only, and nothing malformed is an error.

use http_range_header::{RangeUnsatisfiableError, parse_range_header};

/// What to send for a download request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// 200 with the whole file.
    Full,
    /// 206 with bytes `start..=end`, already clamped to the file.
    Partial { start: u64, end: u64 },
    /// 416 with `Content-Range: bytes */LEN`.
    Unsatisfiable,
}

/// Resolves a `Range` header value against a file of `len` bytes.
///
/// * absent, malformed, or a unit other than `bytes` → `Full` (RFC 9110 §14.2: ignore it);
/// * more than one range, or a list with an empty member (`bytes=0-1,`) → `Full`: Ferry does
///   not produce `multipart/byteranges`, and a single 200 is what the RFC allows and what
///   download clients cope with;
/// * `A-B` → `A..=min(B, len-1)`; `A-` → `A..=len-1`; either with `A >= len` → `Unsatisfiable`;
/// * `-N` → the last `N` bytes (the whole file if `N > len`); `-0` → `Unsatisfiable`;
/// * any valid range of an empty file → `Unsatisfiable`, as there is no byte to send.
///
/// Numbers too large for `u64` are still valid syntax (the RFC puts no bound on them) and are
/// read as `u64::MAX`, which any real file is shorter than; past 30 digits the crate gives up
/// on them and the header is ignored.
pub fn parse_range(value: Option<&str>, len: u64) -> RangeRequest {
    let Some(value) = value.map(str::trim) else {
        return RangeRequest::Full;
    };
    // The crate takes `bytes= 0-1` and `bytes=0-1,` as one range; RFC 9110's `1#range-spec`
    // allows neither a space before the first member nor, for Ferry, a list at all.
    let spec = value.get("bytes=".len()..).unwrap_or("");
    if spec.starts_with([' ', '\t']) || spec.contains(',') {
        return RangeRequest::Full;
    }
    let Ok(ranges) = parse_range_header(value) else {
        return RangeRequest::Full;
    };
    if ranges.len() != 1 {
        return RangeRequest::Full;
    }
    match ranges.validate(len).as_deref() {
        Ok([range]) => RangeRequest::Partial {
            start: *range.start(),
            end: *range.end(),
        },
        // An empty file: the crate accepts a suffix range and selects nothing from it.
        Ok(_) | Err(RangeUnsatisfiableError::Unsatisfiable) => RangeRequest::Unsatisfiable,
        Err(_) => RangeRequest::Full,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RangeRequest::{Full, Unsatisfiable};

    const fn part(start: u64, end: u64) -> RangeRequest {
        RangeRequest::Partial { start, end }
    }

    const HUGE: &str = "99999999999999999999999";

    /// `(header, file length, expected)`.
    const CASES: &[(Option<&str>, u64, RangeRequest)] = &[
        (None, 10, Full),
        (Some("bytes=0-0"), 10, part(0, 0)),
        (Some("bytes=9-9"), 10, part(9, 9)),
        (Some("bytes=2-5"), 10, part(2, 5)),
        (Some("bytes=0-9"), 10, part(0, 9)),
        (Some("bytes=-1"), 10, part(9, 9)),
        (Some("bytes=-3"), 10, part(7, 9)),
        (Some("bytes=-10"), 10, part(0, 9)),
        (Some("bytes=-11"), 10, part(0, 9)),
        (Some("bytes=-0"), 10, Unsatisfiable),
        (Some("bytes=4-"), 10, part(4, 9)),
        (Some("bytes=0-"), 10, part(0, 9)),
        (Some("bytes=9-"), 10, part(9, 9)),
        (Some("bytes=5-100"), 10, part(5, 9)),
        (Some("bytes=10-"), 10, Unsatisfiable),
        (Some("bytes=10-20"), 10, Unsatisfiable),
        (Some("bytes=0-0"), 0, Unsatisfiable),
        (Some("bytes=0-"), 0, Unsatisfiable),
        (Some("bytes=-5"), 0, Unsatisfiable),
        (None, 0, Full),
        (Some("garbage"), 0, Full),
        (Some(" bytes=1-2 "), 10, part(1, 2)),
        (Some("Bytes=1-2"), 10, part(1, 2)),
        (Some(""), 10, Full),
        (Some("bytes="), 10, Full),
        (Some("bytes=-"), 10, Full),
        (Some("bytes=abc"), 10, Full),
        (Some("bytes=a-b"), 10, Full),
        (Some("bytes=5-2"), 10, Full),
        (Some("bytes=+1-2"), 10, Full),
        (Some("bytes=1-+2"), 10, Full),
        (Some("bytes=--1"), 10, Full),
        (Some("bytes=1-2-3"), 10, Full),
        (Some("bytes= 1-2"), 10, Full),
        (Some("bytes=1 -2"), 10, Full),
        (Some("bytes 1-2"), 10, Full),
        (Some("items=1-2"), 10, Full),
        (Some("bytes=0-0,-1"), 10, Full),
        (Some("bytes=0-1, 4-5"), 10, Full),
        (Some("bytes=0-1,"), 10, Full),
        (
            Some(concat!("bytes=0-", "99999999999999999999999")),
            10,
            part(0, 9),
        ),
        (
            Some(concat!("bytes=", "99999999999999999999999", "-")),
            10,
            Unsatisfiable,
        ),
        (
            Some(concat!("bytes=-", "99999999999999999999999")),
            10,
            part(0, 9),
        ),
        (Some("bytes=18446744073709551615-"), u64::MAX, Unsatisfiable),
        (
            Some("bytes=18446744073709551614-"),
            u64::MAX,
            part(u64::MAX - 1, u64::MAX - 1),
        ),
    ];

    #[test]
    fn range_table_resolves_against_file_length() {
        for (header, len, expected) in CASES {
            assert_eq!(
                parse_range(*header, *len),
                *expected,
                "{header:?} on {len} bytes"
            );
        }
    }

    #[test]
    fn overflowing_numbers_are_read_as_u64_max_not_rejected() {
        let end = |n: &str| parse_range(Some(&format!("bytes=0-{n}")), u64::MAX);
        let whole = part(0, u64::MAX - 1);
        assert_eq!(end(HUGE), whole);
        assert_eq!(end("18446744073709551616"), whole);
        assert_eq!(end("18446744073709551615"), whole);
        assert_eq!(end("+1"), Full);
    }
}
