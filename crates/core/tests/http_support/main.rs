//! The core calls the HTTP gateway needs, against a real temp dir: password login (Basic
//! auth) with its cache, bearer tokens, per-write MD5/SHA-256 digests, whole-file put.

#[path = "../support/mod.rs"]
mod support;

mod digests;
mod login;
mod put_file;
mod tokens;

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use ferry_core::Ferry;

use support::session;

const SOURCE: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

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
