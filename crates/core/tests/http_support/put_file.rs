//! Whole-file put (HTTP `PUT /api/v1/files/…`): committed only when complete and verified,
//! and nothing left behind by a wrong MD5, a short, long or failing body, or an abandoned put.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, ReadBuf};

use crate::assert_no_upload_left;
use crate::support::{code, data, md5_hex, start};

#[tokio::test]
async fn put_file_with_the_right_md5_commits_the_file() {
    let (tmp, ferry, mut s) = start("alice").await;
    let body = data(2 * 1024 * 1024 + 5);
    let md5 = md5_hex(&body);
    let entry = s
        .put_file("big.bin", body.len() as u64, &body[..], Some(&md5), false)
        .await
        .unwrap();
    assert_eq!(entry.md5.unwrap().to_string(), md5);
    assert_eq!(entry.size, body.len() as u64);
    assert_eq!(
        std::fs::read(tmp.path().join("homes/alice/big.bin")).unwrap(),
        body
    );
    assert_no_upload_left(&ferry, tmp.path(), "alice").await;

    // Replacing needs overwrite.
    assert_eq!(
        code(s.put_file("big.bin", 2, &b"hi"[..], None, false).await),
        "already_exists"
    );
    s.put_file("big.bin", 2, &b"hi"[..], None, true)
        .await
        .unwrap();
    assert_eq!(
        std::fs::read(tmp.path().join("homes/alice/big.bin")).unwrap(),
        b"hi"
    );
}

#[tokio::test]
async fn put_file_without_md5_commits_with_the_md5_of_what_was_received() {
    let (tmp, ferry, mut s) = start("bob").await;
    let entry = s
        .put_file("a.txt", 11, &b"hello world"[..], None, false)
        .await
        .unwrap();
    assert_eq!(entry.md5.unwrap().to_string(), md5_hex(b"hello world"));
    let empty = s.put_file("empty", 0, &b""[..], None, false).await.unwrap();
    assert_eq!(empty.md5.unwrap().to_string(), md5_hex(b""));
    let q = s.quota().await.unwrap();
    assert_eq!((q.used, q.reserved), (11, 0));
    assert_no_upload_left(&ferry, tmp.path(), "bob").await;
}

#[tokio::test]
async fn put_file_with_a_wrong_md5_commits_nothing_and_releases_the_quota() {
    let (tmp, ferry, mut s) = start("bob").await;
    assert_eq!(
        code(
            s.put_file("a.txt", 5, &b"hello"[..], Some(&md5_hex(b"other")), false)
                .await
        ),
        "checksum_mismatch"
    );
    assert!(!tmp.path().join("homes/bob/a.txt").exists());
    assert_eq!(s.quota().await.unwrap().used, 0);
    assert_no_upload_left(&ferry, tmp.path(), "bob").await;
    assert_eq!(
        code(
            s.put_file("a.txt", 5, &b"hello"[..], Some("xyz"), false)
                .await
        ),
        "bad_request"
    );
    assert_no_upload_left(&ferry, tmp.path(), "bob").await;
}

#[tokio::test]
async fn put_file_with_a_short_long_or_failing_body_leaves_nothing() {
    let (tmp, ferry, mut s) = start("bob").await;
    let err = s
        .put_file("a", 10, &b"hello"[..], None, false)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "upload_incomplete");
    assert_eq!(err.details().unwrap()["offset"], 5);
    assert_eq!(err.details().unwrap()["size"], 10);
    assert_no_upload_left(&ferry, tmp.path(), "bob").await;

    assert_eq!(
        code(s.put_file("a", 3, &b"hello"[..], None, false).await),
        "size_exceeded"
    );
    assert_no_upload_left(&ferry, tmp.path(), "bob").await;

    let failing = Body::failing();
    assert!(s.put_file("a", 10, failing, None, false).await.is_err());
    assert_no_upload_left(&ferry, tmp.path(), "bob").await;

    assert_eq!(
        code(s.put_file("a", 2000, &b"x"[..], None, false).await),
        "quota_exceeded"
    );
    assert!(!tmp.path().join("homes/bob/a").exists());
    assert_no_upload_left(&ferry, tmp.path(), "bob").await;
}

#[tokio::test]
async fn a_put_abandoned_half_way_leaves_nothing_once_its_session_ends() {
    let (tmp, ferry, mut s) = start("bob").await;
    let put = s.put_file("a", 10, Body::stalling(), None, false);
    assert!(
        tokio::time::timeout(Duration::from_millis(200), put)
            .await
            .is_err()
    );
    drop(s);
    assert!(!tmp.path().join("homes/bob/a").exists());
    assert_no_upload_left(&ferry, tmp.path(), "bob").await;
}

/// A request body that yields a few bytes, then `after` on every later read.
struct Body {
    sent: bool,
    after: fn() -> Poll<std::io::Result<()>>,
}

impl Body {
    /// Then an I/O error (a connection reset).
    fn failing() -> Body {
        Body {
            sent: false,
            after: || Poll::Ready(Err(std::io::Error::other("connection reset"))),
        }
    }

    /// Then nothing ever again (a client that went silent).
    fn stalling() -> Body {
        Body {
            sent: false,
            after: || Poll::Pending,
        }
    }
}

impl AsyncRead for Body {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if std::mem::replace(&mut self.sent, true) {
            return (self.after)();
        }
        buf.put_slice(b"abc");
        Poll::Ready(Ok(()))
    }
}
