//! Request `Content-Range` for resumable upload chunks (RFC 9110 §14.4), and the range
//! headers Ferry sends back while an upload is incomplete.
//!
//! ```text
//! bytes 0-1048575/5242880    a chunk: first and last byte offsets (inclusive) and the file size
//! bytes */5242880            a query: "how much of this upload do you hold?"
//! ```
//!
//! Only the `bytes` unit exists. The total is mandatory: Ferry reserves quota and knows when
//! an upload is complete from it, so `bytes 0-9/*` is refused rather than guessed at.
//!
//! Hand-written rather than the `headers` crate's `ContentRange`: that one has a single
//! opaque error where a client needs to know which rule it broke (`range_unit`,
//! `range_inverted`, `range_total_required`…), matches the unit case-sensitively, and reads
//! numbers with `str::parse`, which takes a leading `+`. `http-range-header` parses the
//! request `Range` (`bytes=`), a different grammar. The three formatters are one `format!`
//! each and stay beside the parser they must round-trip with.

use thiserror::Error;

/// A parsed upload `Content-Range`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentRange {
    /// `bytes FIRST-LAST/TOTAL`: this request carries bytes `first..=last` of a `total`-byte file.
    Bytes { first: u64, last: u64, total: u64 },
    /// `bytes */TOTAL`: the client sends no data and asks where to resume.
    Query { total: u64 },
}

impl ContentRange {
    /// Size of the whole file being uploaded.
    pub fn total(&self) -> u64 {
        match *self {
            ContentRange::Bytes { total, .. } | ContentRange::Query { total } => total,
        }
    }

    /// Number of bytes this request carries; `None` for a query, which carries none.
    ///
    /// Cannot overflow: parsing guarantees `first <= last < total <= u64::MAX`.
    #[expect(
        clippy::len_without_is_empty,
        reason = "a chunk always holds at least one byte; a query has no length, not zero"
    )]
    pub fn len(&self) -> Option<u64> {
        match *self {
            ContentRange::Bytes { first, last, .. } => Some(last - first + 1),
            ContentRange::Query { .. } => None,
        }
    }
}

/// Why a `Content-Range` was refused. [`RangeError::code`] is the stable client-facing code.
///
/// Messages never echo the raw header, which is client input.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RangeError {
    #[error("content range unit must be `bytes`")]
    Unit,
    #[error("content range is not of the form `bytes FIRST-LAST/TOTAL` or `bytes */TOTAL`")]
    Malformed,
    #[error("content range ends at byte {last}, before its first byte {first}")]
    Inverted { first: u64, last: u64 },
    #[error("content range ends at byte {last}, past the end of a {total}-byte file")]
    PastTotal { last: u64, total: u64 },
    #[error("content range must state the file's total size, not `*`")]
    TotalRequired,
}

impl RangeError {
    /// Stable snake_case code, mapped to an HTTP status in one place by the gateway.
    pub fn code(&self) -> &'static str {
        match self {
            RangeError::Unit => "range_unit",
            RangeError::Malformed => "range_malformed",
            RangeError::Inverted { .. } => "range_inverted",
            RangeError::PastTotal { .. } => "range_past_total",
            RangeError::TotalRequired => "range_total_required",
        }
    }
}

/// Parses an upload `Content-Range` value.
///
/// Strict on purpose: an upload offset that is misread corrupts a file, so numbers are ASCII
/// digits only (no sign, no inner spaces) and values past `u64::MAX` are malformed. Whitespace
/// around the whole value is tolerated; the unit is matched case-insensitively (RFC 9110 §14.1).
/// Checks run in order: syntax, unknown total, inverted range, range past total.
pub fn parse_content_range(value: &str) -> Result<ContentRange, RangeError> {
    let (unit, rest) = value.trim().split_once(' ').ok_or(RangeError::Malformed)?;
    if !unit.eq_ignore_ascii_case("bytes") {
        return Err(if is_token(unit) {
            RangeError::Unit
        } else {
            RangeError::Malformed
        });
    }
    let (range, total) = rest.split_once('/').ok_or(RangeError::Malformed)?;
    let total = match total {
        "*" => None,
        digits => Some(parse_digits(digits)?),
    };
    if range == "*" {
        return total
            .map(|total| ContentRange::Query { total })
            .ok_or(RangeError::TotalRequired);
    }
    let (first, last) = range.split_once('-').ok_or(RangeError::Malformed)?;
    let (first, last) = (parse_digits(first)?, parse_digits(last)?);
    if last < first {
        return Err(RangeError::Inverted { first, last });
    }
    let total = total.ok_or(RangeError::TotalRequired)?;
    if last >= total {
        return Err(RangeError::PastTotal { last, total });
    }
    Ok(ContentRange::Bytes { first, last, total })
}

/// `Content-Range` of a 206 reply: `bytes FIRST-LAST/TOTAL`.
pub fn format_content_range(first: u64, last: u64, total: u64) -> String {
    format!("bytes {first}-{last}/{total}")
}

/// `Content-Range` of a 416 reply, telling the client the real size: `bytes */TOTAL`.
pub fn format_unsatisfied(total: u64) -> String {
    format!("bytes */{total}")
}

/// `Range` header of a 308 Resume Incomplete reply: the prefix the server already holds.
///
/// Nothing held means no header at all (a range cannot be empty), hence `None` for 0.
pub fn format_held_range(held: u64) -> Option<String> {
    held.checked_sub(1).map(|last| format!("bytes=0-{last}"))
}

/// Digits only; `str::parse` alone would also accept a leading `+`. Overflow is an error.
fn parse_digits(s: &str) -> Result<u64, RangeError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(RangeError::Malformed);
    }
    s.parse().map_err(|_| RangeError::Malformed)
}

/// RFC 9110 `token`, so that `items 0-9/10` is a wrong unit but `0-9/10` with junk is malformed.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    type Expected = Result<ContentRange, &'static str>;

    const fn bytes(first: u64, last: u64, total: u64) -> Expected {
        Ok(ContentRange::Bytes { first, last, total })
    }

    const MAX: u64 = u64::MAX;

    const CASES: &[(&str, Expected)] = &[
        ("bytes 0-9/10", bytes(0, 9, 10)),
        ("bytes 0-0/1", bytes(0, 0, 1)),
        ("bytes 5-5/10", bytes(5, 5, 10)),
        (
            "bytes 1048576-2097151/5000000",
            bytes(1 << 20, 2097151, 5000000),
        ),
        ("  bytes 0-9/10\t", bytes(0, 9, 10)),
        ("Bytes 0-9/10", bytes(0, 9, 10)),
        (
            "bytes 0-18446744073709551614/18446744073709551615",
            bytes(0, MAX - 1, MAX),
        ),
        ("bytes */10", Ok(ContentRange::Query { total: 10 })),
        ("bytes */0", Ok(ContentRange::Query { total: 0 })),
        ("items 0-9/10", Err("range_unit")),
        ("none */10", Err("range_unit")),
        ("", Err("range_malformed")),
        ("bytes", Err("range_malformed")),
        ("bytes ", Err("range_malformed")),
        ("bytes=0-9/10", Err("range_malformed")),
        ("bytes 0-9", Err("range_malformed")),
        ("bytes 0-9/", Err("range_malformed")),
        ("bytes -9/10", Err("range_malformed")),
        ("bytes 0-/10", Err("range_malformed")),
        ("bytes /10", Err("range_malformed")),
        ("bytes +0-9/10", Err("range_malformed")),
        ("bytes 0-+9/10", Err("range_malformed")),
        ("bytes 0-9/+10", Err("range_malformed")),
        ("bytes -1-9/10", Err("range_malformed")),
        ("bytes 0 -9/10", Err("range_malformed")),
        ("bytes 0- 9/10", Err("range_malformed")),
        ("bytes 0-9 /10", Err("range_malformed")),
        ("bytes 0-9/ 10", Err("range_malformed")),
        ("bytes  0-9/10", Err("range_malformed")),
        ("bytes 0x0-9/10", Err("range_malformed")),
        ("bytes 0-9/10/10", Err("range_malformed")),
        ("bytes 0-9-9/10", Err("range_malformed")),
        ("bytes ０-9/10", Err("range_malformed")),
        (
            "bytes 0-18446744073709551616/18446744073709551617",
            Err("range_malformed"),
        ),
        ("bytes */18446744073709551616", Err("range_malformed")),
        ("bytes **/10", Err("range_malformed")),
        ("9 0-9/10", Err("range_unit")),
        ("by(tes 0-9/10", Err("range_malformed")),
        ("bytes 9-0/10", Err("range_inverted")),
        ("bytes 9-0/*", Err("range_inverted")),
        ("bytes 0-10/10", Err("range_past_total")),
        ("bytes 0-0/0", Err("range_past_total")),
        ("bytes 10-10/10", Err("range_past_total")),
        ("bytes 0-9/*", Err("range_total_required")),
        ("bytes */*", Err("range_total_required")),
    ];

    #[test]
    fn content_range_table_parses_or_refuses_with_stable_codes() {
        for (input, expected) in CASES {
            let got = parse_content_range(input).map_err(|e| e.code());
            assert_eq!(got, *expected, "input {input:?}");
        }
    }

    #[test]
    fn len_counts_inclusive_bytes_and_query_carries_none() {
        const LENS: &[(&str, Option<u64>, u64)] = &[
            ("bytes 0-9/10", Some(10), 10),
            ("bytes 3-3/7", Some(1), 7),
            (
                "bytes 0-18446744073709551614/18446744073709551615",
                Some(MAX),
                MAX,
            ),
            ("bytes */10", None, 10),
        ];
        for (input, len, total) in LENS {
            let range = parse_content_range(input).unwrap();
            let got = (range.len(), range.total());
            assert_eq!(got, (*len, *total), "input {input:?}");
        }
    }

    #[test]
    fn error_messages_do_not_echo_the_raw_header() {
        let err = parse_content_range("secret 0-9/10").unwrap_err();
        assert!(!err.to_string().contains("secret"));
        let err = parse_content_range("bytes 0-10/10").unwrap_err();
        let want = "content range ends at byte 10, past the end of a 10-byte file";
        assert_eq!(err.to_string(), want);
    }

    #[test]
    fn formatted_ranges_round_trip_through_the_parser() {
        assert_eq!(format_content_range(0, 9, 10), "bytes 0-9/10");
        assert_eq!(format_unsatisfied(10), "bytes */10");
        let parse = |s: &str| parse_content_range(s).map_err(|e| e.code());
        assert_eq!(parse(&format_content_range(2, 4, 5)), bytes(2, 4, 5));
        let query = Ok(ContentRange::Query { total: 7 });
        assert_eq!(parse(&format_unsatisfied(7)), query);
    }

    #[test]
    fn held_range_names_the_held_prefix_and_is_absent_when_nothing_is_held() {
        const HELD: &[(u64, Option<&str>)] = &[
            (0, None),
            (1, Some("bytes=0-0")),
            (10, Some("bytes=0-9")),
            (MAX, Some("bytes=0-18446744073709551614")),
        ];
        for (held, expected) in HELD {
            let got = format_held_range(*held);
            assert_eq!(got.as_deref(), *expected, "held {held}");
        }
    }
}
