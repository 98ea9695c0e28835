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

/// The open descriptors of this process whose target starts with `prefix`.
fn fds_below(prefix: &Path) -> Vec<String> {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|target| target.starts_with(prefix))
        .map(|target| target.to_string_lossy().into_owned())
        .collect()
}

#[tokio::test]
async fn a_put_in_flight_is_made_in_its_target_folder() {
    let (_dir, data, mut session) = alice_on_fresh_data().await;
    session.mkdir("/sub", false).await.unwrap();
    let sub = data.join("homes/alice/sub");
    let (mut body, received) = tokio::io::duplex(1);
    let put = tokio::spawn(async move {
        let put = session
            .put_file("/sub/a.txt", 10, received, None, true)
            .await;
        (session, put)
    });
    body.write_all(b"hello").await.unwrap();
    // An `O_TMPFILE` inode's link reads `FOLDER/#INODE (deleted)`.
    let unnamed = fds_below(&sub);
    assert_eq!(unnamed.len(), 1, "{unnamed:?}");
    assert!(unnamed[0].ends_with("(deleted)"), "{unnamed:?}");
    body.write_all(b"world").await.unwrap();
    drop(body);
    let (mut session, put) = put.await.unwrap();
    assert_eq!(put.unwrap().size, 10);
    assert_eq!(std::fs::read(sub.join("a.txt")).unwrap(), b"helloworld");
    assert_eq!(fds_below(&sub), Vec::<String>::new());

    // Replacing it takes the rename through the staging folder, and lands whole too.
    let body: &[u8] = b"replaced";
    let put = session.put_file("/sub/a.txt", 8, body, None, true).await;
    assert_eq!(put.unwrap().size, 8);
    assert_eq!(std::fs::read(sub.join("a.txt")).unwrap(), b"replaced");
    assert_eq!(
        staged_names(&data.join("state/staging")),
        Vec::<String>::new()
    );
    // Without `overwrite`, the taken name is refused and kept.
    let body: &[u8] = b"nope";
    let err = session.put_file("/sub/a.txt", 4, body, None, false).await;
    assert_eq!(err.expect_err("taken").code(), "already_exists");
    assert_eq!(std::fs::read(sub.join("a.txt")).unwrap(), b"replaced");
    assert_eq!(sub.read_dir().unwrap().count(), 1);
}
