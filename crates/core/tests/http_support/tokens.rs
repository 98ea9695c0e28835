//! Bearer tokens: created, revoked (one, or all of a user's on a password change), expired,
//! swept, and kept across a restart as their hash only.

use std::time::Duration;

use ferry_core::{Config, Ferry, Session};
use sha2::{Digest, Sha256};

use crate::support::{code, session, setup, user};
use crate::{SOURCE, files_in};

/// A session from alice's password login, as `POST /api/v1/login` makes before a token.
async fn alice_login(ferry: &Ferry) -> Session {
    ferry
        .login_password(SOURCE, "alice", "secret")
        .await
        .unwrap()
}

#[tokio::test]
async fn a_password_change_revokes_every_token_of_that_user_only() {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |_| {}).await;
    let alice = alice_login(&ferry).await;
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
    let s = alice_login(&ferry).await;
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

#[tokio::test]
async fn tokens_past_the_per_user_cap_revoke_the_oldest_and_never_the_new_one() {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |c| c.max_tokens_per_user = 3).await;
    let alice = alice_login(&ferry).await;
    let bob = ferry.login_password(SOURCE, "bob", "pw").await.unwrap();
    let bobs = ferry.token_create(&bob).await.unwrap();
    let mut grants = Vec::new();
    for _ in 0..6 {
        let grant = ferry.token_create(&alice).await.unwrap();
        assert!(
            ferry.token_session(&grant.token).await.is_ok(),
            "the token just issued is kept"
        );
        grants.push(grant);
    }
    let mut valid = 0;
    for g in &grants {
        valid += usize::from(ferry.token_session(&g.token).await.is_ok());
    }
    assert_eq!(valid, 3, "alice keeps only the cap");
    assert!(
        ferry.token_session(&bobs.token).await.is_ok(),
        "another user's tokens are untouched"
    );
}
