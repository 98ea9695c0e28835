//! Entity tags and the conditional request headers that compare them (RFC 9110 §8.8.3, §13.1).
//!
//! ```text
//! ETag:          "9e107d9d372bb6826bd81d3542a419d6"     strong, from the file's MD5
//! If-None-Match: "a", W/"b", *                           weak comparison   → 304 when it matches
//! If-Match:      "a", *                                  strong comparison → 412 unless it matches
//! If-Range:      "a"                                     strong comparison → 200 unless it matches
//! ```
//!
//! Ferry's tag is the content MD5, so equal tags mean byte-identical files and the tag can be
//! strong. Every function takes the current tag as produced by [`etag_for_md5`] and assumes the
//! file exists; a caller with no file must not ask (`*` is defined as "any current file").
//! A header that does not parse as a list of entity tags matches nothing.
//!
//! Hand-written rather than the `headers` crate's `IfMatch` / `IfNoneMatch` / `IfRange`,
//! which Ferry tried: their list parser skips members it cannot read instead of refusing the
//! header, so `*, "abc"` would match (RFC 9110 allows `*` only alone), and their tag check
//! `debug_assert!`s that no space is inside the quotes, which a client can send (`"ab c"`),
//! so a debug build would panic on client input.

/// The strong `ETag` of a file whose MD5 is `md5_hex`: the hex in double quotes.
pub fn etag_for_md5(md5_hex: &str) -> String {
    format!("\"{md5_hex}\"")
}

/// `If-None-Match`: `true` means the client's copy is current (304 for GET/HEAD).
///
/// Uses weak comparison, as RFC 9110 §13.1.2 requires, so `W/"x"` matches `"x"`.
pub fn if_none_match_matches(value: &str, etag: &str) -> bool {
    any_tag(value, etag, |ours, theirs| ours.opaque == theirs.opaque)
}

/// `If-Match`: `true` means the client edits the version it saw, so the write may proceed.
///
/// Uses strong comparison (RFC 9110 §13.1.1): a weak tag never matches.
pub fn if_match_matches(value: &str, etag: &str) -> bool {
    any_tag(value, etag, strong_eq)
}

/// `If-Range`: `true` means the `Range` may be honoured; `false` means send the full 200.
///
/// Strong comparison of a single tag (RFC 9110 §13.1.5). The header may also hold an
/// HTTP-date; Ferry never honours one, because its validators are ETags and a modification time
/// is too coarse to prove the bytes are unchanged. Sending the full file is always safe.
pub fn if_range_matches(value: &str, etag: &str) -> bool {
    match (parse_tag(value.trim()), parse_tag(etag.trim())) {
        (Some((theirs, "")), Some((ours, ""))) => strong_eq(ours, theirs),
        _ => false,
    }
}

#[derive(Debug, Clone, Copy)]
struct Tag<'a> {
    weak: bool,
    opaque: &'a str,
}

fn strong_eq(a: Tag<'_>, b: Tag<'_>) -> bool {
    !a.weak && !b.weak && a.opaque == b.opaque
}

/// `*` matches; otherwise any listed tag that `eq` accepts against ours.
fn any_tag(value: &str, etag: &str, eq: impl Fn(Tag<'_>, Tag<'_>) -> bool) -> bool {
    let Some((ours, "")) = parse_tag(etag.trim()) else {
        return false;
    };
    if value.trim() == "*" {
        return true;
    }
    parse_list(value).is_some_and(|tags| tags.into_iter().any(|theirs| eq(ours, theirs)))
}

/// `entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE`, returning the tag and what follows it.
///
/// `etagc` includes `,`, so lists must be split by this parser, never by `str::split(',')`.
fn parse_tag(s: &str) -> Option<(Tag<'_>, &str)> {
    let (weak, s) = match s.strip_prefix("W/") {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let body = s.strip_prefix('"')?;
    let end = body.find('"')?;
    let opaque = &body[..end];
    let etagc = |c: char| c == '!' || ('#'..='~').contains(&c) || !c.is_ascii();
    opaque
        .chars()
        .all(etagc)
        .then_some((Tag { weak, opaque }, &body[end + 1..]))
}

/// `#entity-tag`: comma-separated with optional whitespace; empty elements are allowed
/// (RFC 9110 §5.6.1). `None` if anything else is present.
fn parse_list(value: &str) -> Option<Vec<Tag<'_>>> {
    let mut tags = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return Some(tags);
        }
        let (tag, after) = parse_tag(rest)?;
        tags.push(tag);
        rest = after.trim_start_matches([' ', '\t']);
        if !(rest.is_empty() || rest.starts_with(',')) {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ETAG: &str = "\"abc\"";

    /// `(header value, if_none_match, if_match, if_range)` against [`ETAG`].
    const CASES: &[(&str, (bool, bool, bool))] = &[
        ("\"abc\"", (true, true, true)),
        ("  \"abc\"  ", (true, true, true)),
        ("W/\"abc\"", (true, false, false)),
        ("w/\"abc\"", (false, false, false)),
        ("\"abd\"", (false, false, false)),
        ("\"ABC\"", (false, false, false)),
        ("abc", (false, false, false)),
        ("\"abc", (false, false, false)),
        ("*", (true, true, false)),
        (" * ", (true, true, false)),
        ("\"x\", \"abc\"", (true, true, false)),
        ("\"x\",W/\"abc\"", (true, false, false)),
        ("\"x\" , , \"abc\" ,", (true, true, false)),
        ("\"x\", \"y\"", (false, false, false)),
        ("\"x\" \"abc\"", (false, false, false)),
        ("\"x\", abc", (false, false, false)),
        ("\"a,bc\"", (false, false, false)),
        ("\"a\"bc\"", (false, false, false)),
        ("\"ab c\"", (false, false, false)),
        ("\"\"", (false, false, false)),
        ("", (false, false, false)),
        ("*, \"abc\"", (false, false, false)),
        ("Sat, 29 Oct 1994 19:43:31 GMT", (false, false, false)),
    ];

    #[test]
    fn conditional_headers_compare_weakly_or_strongly_as_rfc_9110_says() {
        for (value, (none_match, if_match, if_range)) in CASES {
            assert_eq!(
                if_none_match_matches(value, ETAG),
                *none_match,
                "If-None-Match {value:?}"
            );
            assert_eq!(
                if_match_matches(value, ETAG),
                *if_match,
                "If-Match {value:?}"
            );
            assert_eq!(
                if_range_matches(value, ETAG),
                *if_range,
                "If-Range {value:?}"
            );
        }
    }

    #[test]
    fn etag_is_the_quoted_md5_and_matches_itself_strongly() {
        let etag = etag_for_md5("9e107d9d372bb6826bd81d3542a419d6");
        assert_eq!(etag, "\"9e107d9d372bb6826bd81d3542a419d6\"");
        assert!(if_range_matches(&etag, &etag));
        assert!(if_match_matches(&etag, &etag));
        assert!(if_none_match_matches(&etag, &etag));
    }

    #[test]
    fn tags_containing_commas_are_not_split_inside_quotes() {
        assert!(if_match_matches("\"x\", \"a,b\"", "\"a,b\""));
        assert!(!if_match_matches("\"a\", \"b\"", "\"a,b\""));
    }

    #[test]
    fn a_weak_current_tag_never_matches_strongly() {
        assert!(if_none_match_matches("\"abc\"", "W/\"abc\""));
        assert!(!if_match_matches("\"abc\"", "W/\"abc\""));
        assert!(!if_range_matches("W/\"abc\"", "W/\"abc\""));
    }
}
