//! The core calls the HTTP gateway needs, against a real temp dir: password login (Basic
//! auth) with its cache, bearer tokens, per-write MD5/SHA-256 digests, whole-file put.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use ferry_core::auth::ThrottleConfig;
use ferry_core::{ChunkDigest, Config, Ferry, Session, Username};
use md5::{Digest, Md5};
use sha2::Sha256;
use tokio::io::{AsyncRead, ReadBuf};

const SOURCE: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn user(name: &str) -> Username {
    name.parse().unwrap()
}

fn config(dir: &Path, f: impl FnOnce(&mut Config)) -> Config {
    let mut config = Config::new(dir);
    f(&mut config);
    config
}

async fn setup(dir: &Path, f: impl FnOnce(&mut Config)) -> Ferry {
    let ferry = ferry_store_local::open(config(dir, f)).await.unwrap();
    ferry
        .add_user(user("alice"), "secret".into(), None)
        .await
        .unwrap();
    ferry
        .add_user(user("bob"), "pw".into(), Some(1000))
        .await
        .unwrap();
    ferry
}

async fn session(ferry: &Ferry, name: &str) -> Session {
    Session::trusted(ferry, user(name)).await.unwrap()
}

fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn code<T: std::fmt::Debug>(r: ferry_core::Result<T>) -> &'static str {
    r.unwrap_err().code()
}

/// Files left in a folder of the data dir (staging, tokens).
fn files_in(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect()
}

/// Nothing of an upload remains: no unfinished upload, no staging file, no reservation.
async fn assert_no_upload_left(ferry: &Ferry, tmp: &Path, name: &str) {
    let s = session(ferry, name).await;
    assert!(s.upload_list().await.unwrap().is_empty());
    assert!(files_in(&tmp.join("state/staging")).is_empty());
    assert!(files_in(&tmp.join("state/uploads")).is_empty());
    assert_eq!(s.quota().await.unwrap().reserved, 0);
}

// ---- password login ----

#[tokio::test]
async fn password_login_accepts_the_right_password_and_refuses_wrong_ones_and_unknown_users() {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |_| {}).await;
    let s = ferry
        .login_password(SOURCE, "alice", "secret")
        .await
        .unwrap();
    assert_eq!(s.user().as_str(), "alice");
    s.list(None, None, None).await.unwrap();
    // Again, now from the cache.
    let s = ferry
        .login_password(SOURCE, "alice", "secret")
        .await
        .unwrap();
    assert_eq!(s.user().as_str(), "alice");
    assert_eq!(
        code(ferry.login_password(SOURCE, "alice", "Secret").await),
        "auth_failed"
    );
    assert_eq!(
        code(ferry.login_password(SOURCE, "alice", "").await),
        "auth_failed"
    );
    assert_eq!(
        code(ferry.login_password(SOURCE, "carol", "secret").await),
        "auth_failed"
    );
    assert_eq!(
        code(ferry.login_password(SOURCE, "Not A Name!", "secret").await),
        "auth_failed"
    );
    // Another user's password is not this one's.
    assert_eq!(
        code(ferry.login_password(SOURCE, "bob", "secret").await),
        "auth_failed"
    );
}

#[tokio::test]
async fn password_login_is_throttled_after_repeated_failures_even_for_the_right_password() {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |c| {
        c.throttle = ThrottleConfig {
            free_failures: 2,
            base_delay: Duration::from_secs(60),
            ..ThrottleConfig::default()
        }
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            code(ferry.login_password(SOURCE, "alice", "wrong").await),
            "auth_failed"
        );
    }
    let err = ferry
        .login_password(SOURCE, "alice", "secret")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "auth_throttled");
    assert!(err.details().unwrap()["retry_after"].as_u64().unwrap() >= 1);
    // Unknown names are throttled the same way.
    for _ in 0..3 {
        let other = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));
        let _ = ferry.login_password(other, "ghost", "x").await;
    }
    assert_eq!(
        code(ferry.login_password(SOURCE, "ghost", "x").await),
        "auth_throttled"
    );
}

#[tokio::test]
async fn a_password_change_or_removed_user_overrides_the_cache_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |_| {}).await;
    ferry
        .login_password(SOURCE, "alice", "secret")
        .await
        .unwrap();
    ferry
        .set_password(user("alice"), "new".into())
        .await
        .unwrap();
    assert_eq!(
        code(ferry.login_password(SOURCE, "alice", "secret").await),
        "auth_failed"
    );
    ferry.login_password(SOURCE, "alice", "new").await.unwrap();

    // The same, with the change made by another process (an admin command on the same
    // data folder).
    ferry.login_password(SOURCE, "alice", "new").await.unwrap();
    let admin = ferry_store_local::open(Config::new(tmp.path()))
        .await
        .unwrap();
    admin
        .set_password(user("alice"), "newer".into())
        .await
        .unwrap();
    assert_eq!(
        code(ferry.login_password(SOURCE, "alice", "new").await),
        "auth_failed"
    );
    ferry
        .login_password(SOURCE, "alice", "newer")
        .await
        .unwrap();

    admin.remove_user(user("alice"), false).await.unwrap();
    assert_eq!(
        code(ferry.login_password(SOURCE, "alice", "newer").await),
        "auth_failed"
    );
}

// ---- tokens ----

#[tokio::test]
async fn a_password_change_revokes_every_token_of_that_user_only() {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |_| {}).await;
    let alice = ferry
        .login_password(SOURCE, "alice", "secret")
        .await
        .unwrap();
    let first = ferry.token_create(&alice).await.unwrap();
    let second = ferry.token_create(&alice).await.unwrap();
    let bob = ferry.login_password(SOURCE, "bob", "pw").await.unwrap();
    let bobs = ferry.token_create(&bob).await.unwrap();

    ferry
        .set_password(user("alice"), "changed".into())
        .await
        .unwrap();
    for t in [&first.token, &second.token] {
        assert_eq!(code(ferry.token_session(t).await), "token_invalid");
    }
    assert_eq!(
        ferry
            .token_session(&bobs.token)
            .await
            .unwrap()
            .user()
            .as_str(),
        "bob"
    );
    let again = ferry
        .login_password(SOURCE, "alice", "changed")
        .await
        .unwrap();
    let fresh = ferry.token_create(&again).await.unwrap();
    assert!(ferry.token_session(&fresh.token).await.is_ok());
}

#[tokio::test]
async fn a_token_opens_sessions_until_it_is_revoked() {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |_| {}).await;
    let s = ferry
        .login_password(SOURCE, "alice", "secret")
        .await
        .unwrap();
    let before = ferry_core::model::unix_now();
    let grant = ferry.token_create(&s).await.unwrap();
    assert_eq!(grant.token.len(), 43);
    assert!(
        grant
            .token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert!((before + 24 * 3600..=before + 24 * 3600 + 5).contains(&grant.expires));
    let other = ferry.token_create(&s).await.unwrap();
    assert_ne!(grant.token, other.token);

    let t = ferry.token_session(&grant.token).await.unwrap();
    assert_eq!(t.user().as_str(), "alice");
    t.mkdir("made-with-token", false).await.unwrap();

    ferry.token_revoke(&grant.token).await.unwrap();
    assert_eq!(
        code(ferry.token_session(&grant.token).await),
        "token_invalid"
    );
    ferry.token_revoke(&grant.token).await.unwrap();
    ferry.token_revoke("not a token").await.unwrap();
    // Revoking one token leaves the others.
    ferry.token_session(&other.token).await.unwrap();
}

#[tokio::test]
async fn malformed_tokens_and_tokens_of_removed_users_are_invalid() {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |_| {}).await;
    for bad in [
        "",
        "x",
        &"A".repeat(43),
        &"a".repeat(10_000),
        "../../users/alice",
    ] {
        assert_eq!(
            code(ferry.token_session(bad).await),
            "token_invalid",
            "{bad:.20}"
        );
    }
    let grant = ferry
        .token_create(&session(&ferry, "bob").await)
        .await
        .unwrap();
    ferry.remove_user(user("bob"), false).await.unwrap();
    assert_eq!(
        code(ferry.token_session(&grant.token).await),
        "token_invalid"
    );
    // A new account of the same name does not inherit the old token.
    ferry
        .add_user(user("bob"), "pw".into(), None)
        .await
        .unwrap();
    assert_eq!(
        code(ferry.token_session(&grant.token).await),
        "token_invalid"
    );
}

#[tokio::test]
async fn an_expired_token_is_refused_and_deleted_and_swept() {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |c| c.token_ttl = Duration::ZERO).await;
    let tokens = tmp.path().join("state/tokens");
    let s = session(&ferry, "alice").await;
    let grant = ferry.token_create(&s).await.unwrap();
    assert_eq!(files_in(&tokens).len(), 1);
    assert_eq!(
        code(ferry.token_session(&grant.token).await),
        "token_invalid"
    );
    assert!(
        files_in(&tokens).is_empty(),
        "an expired token is deleted when seen"
    );

    ferry.token_create(&s).await.unwrap();
    ferry.token_create(&s).await.unwrap();
    assert_eq!(ferry.sweep_expired().await.unwrap(), 2);
    assert!(files_in(&tokens).is_empty());

    // A live token is not swept.
    let ferry = ferry_store_local::open(Config::new(tmp.path()))
        .await
        .unwrap();
    let live = ferry.token_create(&s).await.unwrap();
    assert_eq!(ferry.sweep_expired().await.unwrap(), 0);
    ferry.token_session(&live.token).await.unwrap();
}

#[tokio::test]
async fn a_token_survives_a_restart_and_is_stored_only_as_its_hash() {
    let tmp = tempfile::tempdir().unwrap();
    let grant = {
        let ferry = setup(tmp.path(), |_| {}).await;
        let s = session(&ferry, "alice").await;
        ferry.token_create(&s).await.unwrap()
    };
    let ferry = ferry_store_local::open(Config::new(tmp.path()))
        .await
        .unwrap();
    let s = ferry.token_session(&grant.token).await.unwrap();
    assert_eq!(s.user().as_str(), "alice");

    let files = files_in(&tmp.path().join("state/tokens"));
    assert_eq!(files.len(), 1);
    let name = files[0].file_stem().unwrap().to_str().unwrap();
    assert_eq!(name, hex::encode(Sha256::digest(grant.token.as_bytes())));
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(!text.contains(&grant.token), "{text}");
    assert!(text.contains("alice"));
    for dir in ["state", "state/users"] {
        for f in files_in(&tmp.path().join(dir))
            .iter()
            .filter(|p| p.is_file())
        {
            let bytes = std::fs::read(f).unwrap();
            let shown = String::from_utf8_lossy(&bytes);
            assert!(!shown.contains(&grant.token), "{}", f.display());
        }
    }
}

// ---- per-write digests ----

/// Writes `good` in two calls, each first sent with a wrong digest of the given kind.
async fn wrong_then_right(kind: fn(&[u8]) -> ChunkDigest, checkpoint_bytes: u64) {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |c| c.checkpoint_bytes = checkpoint_bytes).await;
    let mut s = session(&ferry, "alice").await;
    let body = data(3 * 1024 * 1024 + 123);
    let cut = 1024 * 1024 + 7;
    let up = s
        .upload_create("f.bin", body.len() as u64, None, false)
        .await
        .unwrap();
    let id = up.id.to_string();
    let staging = tmp.path().join("state/staging").join(format!("{id}.part"));
    let staged_len = || std::fs::metadata(&staging).unwrap().len();

    let (first, second) = body.split_at(cut);
    assert_eq!(
        code(s.upload_write(&id, 0, first, Some(kind(b"other"))).await),
        "chunk_checksum_mismatch"
    );
    assert_eq!(s.upload_status(&id).await.unwrap().offset, 0);
    assert_eq!(staged_len(), 0);
    let at = s
        .upload_write(&id, 0, first, Some(kind(first)))
        .await
        .unwrap();
    assert_eq!(at, cut as u64);

    // The digest covers this call's bytes only, not the upload so far.
    assert_eq!(
        code(s.upload_write(&id, at, second, Some(kind(&body))).await),
        "chunk_checksum_mismatch"
    );
    assert_eq!(s.upload_status(&id).await.unwrap().offset, at);
    assert_eq!(staged_len(), at);

    // Resume after a crash (no clean release, a fresh service on the same folder): the
    // running MD5 is rebuilt from what the refused writes left on disk.
    std::mem::forget(s);
    let ferry = ferry_store_local::open(config(tmp.path(), |c| {
        c.checkpoint_bytes = checkpoint_bytes
    }))
    .await
    .unwrap();
    let mut s = session(&ferry, "alice").await;
    let end = s
        .upload_write(&id, at, second, Some(kind(second)))
        .await
        .unwrap();
    assert_eq!(end, body.len() as u64);
    s.upload_finish(&id, Some(&md5_hex(&body))).await.unwrap();
    assert_eq!(
        std::fs::read(tmp.path().join("homes/alice/f.bin")).unwrap(),
        body
    );
}

#[tokio::test]
async fn an_md5_chunk_digest_mismatch_cuts_back_exactly_what_the_call_wrote() {
    wrong_then_right(|d| ChunkDigest::Md5(Md5::digest(d).into()), 8 * 1024 * 1024).await;
}

#[tokio::test]
async fn a_sha256_chunk_digest_mismatch_cuts_back_exactly_what_the_call_wrote() {
    wrong_then_right(
        |d| ChunkDigest::Sha256(Sha256::digest(d).into()),
        8 * 1024 * 1024,
    )
    .await;
}

#[tokio::test]
async fn a_digest_mismatch_after_a_checkpoint_mid_write_still_resumes_with_the_right_md5() {
    // Checkpoints every 64 KiB: the refused writes are checkpointed part-way through.
    wrong_then_right(|d| ChunkDigest::Sha256(Sha256::digest(d).into()), 64 * 1024).await;
}

// ---- whole-file put ----

#[tokio::test]
async fn put_file_with_the_right_md5_commits_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |_| {}).await;
    let mut s = session(&ferry, "alice").await;
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
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |_| {}).await;
    let mut s = session(&ferry, "bob").await;
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
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |_| {}).await;
    let mut s = session(&ferry, "bob").await;
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
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |_| {}).await;
    let mut s = session(&ferry, "bob").await;
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

    let failing = Failing { sent: false };
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
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |_| {}).await;
    let mut s = session(&ferry, "bob").await;
    let put = s.put_file("a", 10, Stalls { sent: false }, None, false);
    assert!(
        tokio::time::timeout(Duration::from_millis(200), put)
            .await
            .is_err()
    );
    drop(s);
    assert!(!tmp.path().join("homes/bob/a").exists());
    assert_no_upload_left(&ferry, tmp.path(), "bob").await;
}

/// Yields a few bytes, then an I/O error.
struct Failing {
    sent: bool,
}

impl AsyncRead for Failing {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if std::mem::replace(&mut self.sent, true) {
            return Poll::Ready(Err(std::io::Error::other("connection reset")));
        }
        buf.put_slice(b"abc");
        Poll::Ready(Ok(()))
    }
}

/// Yields a few bytes, then nothing ever again (a client that went silent).
struct Stalls {
    sent: bool,
}

impl AsyncRead for Stalls {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if std::mem::replace(&mut self.sent, true) {
            return Poll::Pending;
        }
        buf.put_slice(b"abc");
        Poll::Ready(Ok(()))
    }
}
