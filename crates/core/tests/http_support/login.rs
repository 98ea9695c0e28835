//! Password login (HTTP Basic auth): the right password, wrong ones, unknown names, the
//! throttle, and a password change overriding the login cache.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use ferry_core::auth::ThrottleConfig;
use ferry_core::{Config, Ferry, Session};

use crate::SOURCE;
use crate::support::{code, setup, user};

/// A password login from [`SOURCE`] that must succeed.
async fn login_ok(ferry: &Ferry, name: &str, password: &str) -> Session {
    ferry.login_password(SOURCE, name, password).await.unwrap()
}

/// The error code of a password login from [`SOURCE`] that must fail.
async fn login_code(ferry: &Ferry, name: &str, password: &str) -> &'static str {
    code(ferry.login_password(SOURCE, name, password).await)
}

/// Alice's password is now `new`: `old` is refused at once, though a login with it may be
/// cached, and `new` logs in.
async fn assert_password_changed(ferry: &Ferry, old: &str, new: &str) {
    assert_eq!(login_code(ferry, "alice", old).await, "auth_failed");
    login_ok(ferry, "alice", new).await;
}

#[tokio::test]
async fn password_login_accepts_the_right_password_and_refuses_wrong_ones_and_unknown_users() {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |_| {}).await;
    let s = login_ok(&ferry, "alice", "secret").await;
    assert_eq!(s.user().as_str(), "alice");
    s.list(None, None, None).await.unwrap();
    // Again, now from the cache.
    let s = login_ok(&ferry, "alice", "secret").await;
    assert_eq!(s.user().as_str(), "alice");
    assert_eq!(login_code(&ferry, "alice", "Secret").await, "auth_failed");
    assert_eq!(login_code(&ferry, "alice", "").await, "auth_failed");
    assert_eq!(login_code(&ferry, "carol", "secret").await, "auth_failed");
    assert_eq!(
        login_code(&ferry, "Not A Name!", "secret").await,
        "auth_failed"
    );
    // Another user's password is not this one's.
    assert_eq!(login_code(&ferry, "bob", "secret").await, "auth_failed");
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
        assert_eq!(login_code(&ferry, "alice", "wrong").await, "auth_failed");
    }
    let err = ferry
        .login_password(SOURCE, "alice", "secret")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "auth_throttled");
    assert!(err.details().unwrap()["retry_after"].as_u64().unwrap() >= 1);
    // Unknown names are throttled the same way, for the source that failed on them (G2: a
    // new source is not refused for someone else's failures).
    let other = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));
    for _ in 0..3 {
        let _ = ferry.login_password(other, "ghost", "x").await;
    }
    let err = ferry.login_password(other, "ghost", "x").await.unwrap_err();
    assert_eq!(err.code(), "auth_throttled");
    assert_eq!(login_code(&ferry, "ghost", "x").await, "auth_failed");
}

#[tokio::test]
async fn a_password_change_or_removed_user_overrides_the_cache_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |_| {}).await;
    login_ok(&ferry, "alice", "secret").await;
    ferry
        .set_password(user("alice"), "new".into())
        .await
        .unwrap();
    assert_password_changed(&ferry, "secret", "new").await;

    // The same, with the change made by another process (an admin command on the same
    // data folder).
    login_ok(&ferry, "alice", "new").await;
    let admin = ferry_store_local::open(Config::new(tmp.path()))
        .await
        .unwrap();
    admin
        .set_password(user("alice"), "newer".into())
        .await
        .unwrap();
    assert_password_changed(&ferry, "new", "newer").await;

    admin.remove_user(user("alice"), false).await.unwrap();
    assert_eq!(login_code(&ferry, "alice", "newer").await, "auth_failed");
}
