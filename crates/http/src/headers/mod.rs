//! Pure parsing and formatting of the HTTP headers Ferry's gateway speaks; no I/O, no axum.
//!
//! Handlers read a header with `http`, hand its value to a function here, and map any error's
//! stable `code()` to a status in the gateway's one error table.
//!
//! * [`content_range`]: upload chunk `Content-Range` (`bytes 0-9/10`, `bytes */10`), and the
//!   `Content-Range` / `Range` values Ferry replies with.
//! * [`range`]: download `Range`, resolved against the file length to full, partial or 416.
//! * [`digest`]: RFC 9530 `Content-Digest` / `Repr-Digest`, legacy `Content-MD5`, and the choice
//!   of which chunk digest to verify.
//! * [`etag`]: the MD5-based `ETag` and the `If-None-Match`, `If-Match`, `If-Range` checks.

pub mod content_range;
pub mod digest;
pub mod etag;
pub mod range;

pub use content_range::{
    ContentRange, RangeError, format_content_range, format_held_range, format_unsatisfied,
    parse_content_range,
};
pub use digest::{
    ChunkDigestValue, DigestError, content_md5, format_md5_digest, parse_content_md5,
    parse_digest_field, pick_chunk_digest,
};
pub use etag::{etag_for_md5, if_match_matches, if_none_match_matches, if_range_matches};
pub use range::{RangeRequest, parse_range};
