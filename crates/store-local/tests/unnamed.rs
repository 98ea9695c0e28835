//! Whole-file puts stage their bytes unnamed: nothing appears in `DATA/state/staging` while one
//! is received, whether it then lands or breaks off, so a crash mid-put leaves nothing to clean
//! up. Resumable uploads, which must survive a restart, still stage under a name.

use std::path::Path;

use ferry_core::CreateOptions;
use tokio::io::AsyncWriteExt;

mod support;

use support::alice_on_fresh_data;

fn staged_names(staging: &Path) -> Vec<String> {
    std::fs::read_dir(staging)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[tokio::test]
async fn a_put_in_flight_has_no_staging_name_and_lands_whole() {
    let (_dir, data, mut session) = alice_on_fresh_data().await;
    let staging = data.join("state/staging");
    // A one-byte pipe: once `hello` is written, the put has read at least four bytes of it,
    // so its upload exists and is being written.
    let (mut body, received) = tokio::io::duplex(1);
    let put = tokio::spawn(async move {
        let put = session.put_file("/a.txt", 10, received, None, false).await;
        (session, put)
    });
    body.write_all(b"hello").await.unwrap();
    assert_eq!(staged_names(&staging), Vec::<String>::new());
    body.write_all(b"world").await.unwrap();
    drop(body);
    let (mut session, put) = put.await.unwrap();
    assert_eq!(put.unwrap().size, 10);
    assert_eq!(
        std::fs::read(data.join("homes/alice/a.txt")).unwrap(),
        b"helloworld"
    );
    assert_eq!(staged_names(&staging), Vec::<String>::new());

    // The contrast that shows the check can fail: a resumable upload is staged by name.
    let info = session
        .upload_create_with("/b.txt", 3, None, CreateOptions::default())
        .await
        .unwrap();
    assert_eq!(staged_names(&staging), vec![format!("{}.part", info.id)]);
}

#[tokio::test]
async fn a_put_that_breaks_off_leaves_no_staging_file_and_no_file() {
    let (_dir, data, mut session) = alice_on_fresh_data().await;
    let staging = data.join("state/staging");
    let (mut body, received) = tokio::io::duplex(1);
    let put =
        tokio::spawn(async move { session.put_file("/a.txt", 10, received, None, false).await });
    body.write_all(b"hello").await.unwrap();
    drop(body);
    let err = put.await.unwrap().expect_err("short body");
    assert_eq!(err.code(), "upload_incomplete");
    assert_eq!(staged_names(&staging), Vec::<String>::new());
    assert!(!data.join("homes/alice/a.txt").exists());
}
