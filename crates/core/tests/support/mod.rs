//! What the core's test binaries share: a service on a temp dir with two users (`alice`
//! without a quota, `bob` with 1000 bytes), sessions for them, and small helpers. Each binary
//! (`tests/<name>/main.rs`) takes it in with `#[path = "../support/mod.rs"] mod support;`.

use std::path::Path;

use ferry_core::{Config, Ferry, Session, Username};
use md5::{Digest, Md5};

pub fn user(name: &str) -> Username {
    name.parse().unwrap()
}

/// The default configuration for `dir`, adjusted by `f`.
pub fn config(dir: &Path, f: impl FnOnce(&mut Config)) -> Config {
    let mut config = Config::new(dir);
    f(&mut config);
    config
}

/// A service on `dir` (configured by `f`) with `alice` (password `secret`, no quota) and `bob`
/// (password `pw`, a quota of 1000 bytes).
pub async fn setup(dir: &Path, f: impl FnOnce(&mut Config)) -> Ferry {
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

pub async fn session(ferry: &Ferry, name: &str) -> Session {
    Session::trusted(ferry, user(name)).await.unwrap()
}

/// The default service on a fresh temp dir and a session for `name`; the caller keeps the
/// dir alive for as long as the service is used.
pub async fn start(name: &str) -> (tempfile::TempDir, Ferry, Session) {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |_| {}).await;
    let s = session(&ferry, name).await;
    (tmp, ferry, s)
}

pub fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

/// `len` bytes of a fixed pattern that does not repeat every power of two.
pub fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

/// The error code of a result that must be an error.
pub fn code<T: std::fmt::Debug>(r: ferry_core::Result<T>) -> &'static str {
    r.unwrap_err().code()
}
