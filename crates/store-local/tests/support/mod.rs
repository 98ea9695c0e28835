//! What the store-local test binaries share: the embedded stores on a fresh data folder with
//! one user. A binary takes it in with `mod support;`.

use std::path::PathBuf;

use ferry_core::{Config, Session};

/// The embedded stores on a fresh data folder with the user `alice`, and a trusted session for
/// her (it holds the service). Returns the temp folder, the data folder and the session.
pub async fn alice_on_fresh_data() -> (tempfile::TempDir, PathBuf, Session) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ferry = ferry_store_local::open(Config::new(data.clone()))
        .await
        .unwrap();
    ferry
        .add_user("alice".parse().unwrap(), "a long password".into(), None)
        .await
        .unwrap();
    let session = Session::trusted(&ferry, "alice".parse().unwrap())
        .await
        .unwrap();
    (dir, data, session)
}
