//! Transient upload bytes ([`UploadStore::create_transient`]): a whole file received in one
//! request and committed while its handle is open.

use std::sync::Arc;

use bytes::Bytes;

use super::{md5_of, record, user};
use crate::model::EntryKind;
use crate::path::HomePath;
use crate::store::{FileStore, UploadRecord, UploadStore};

/// Appends `data` to a new transient upload of `record` and accepts it.
async fn staged(
    uploads: &dyn UploadStore,
    record: &UploadRecord,
    data: &'static [u8],
) -> Box<dyn crate::store::StagingHandle> {
    let mut h = uploads
        .create_transient(record)
        .await
        .expect("create transient");
    assert!(h.is_empty());
    h.append(Bytes::from_static(data)).await.expect("append");
    h.accept().await.expect("accept");
    h.flush().await.expect("flush");
    h
}

/// Commit while open (length and ranges readable meanwhile), never replacing without
/// `overwrite`, replacing with it; discard after a dropped handle leaves nothing behind.
pub async fn transient_bytes(uploads: Arc<dyn UploadStore>, files: Arc<dyn FileStore>) {
    let owner = user("conf-transient");
    files.create_home(&owner).await.expect("home");
    let path = HomePath::resolve(&HomePath::root(), "/whole.txt").expect("path");
    let new = |size| UploadRecord {
        path: path.clone(),
        ..record("conf-transient", size)
    };
    let read = async |files: &dyn FileStore| {
        let opened = files.open(&owner, &path).await.expect("open file");
        opened.reader.read_at(0, 64).await.expect("read")
    };

    let first = new(5);
    let h = staged(&*uploads, &first, b"hello").await;
    assert_eq!(uploads.len(&first.id).await.expect("len"), 5);
    let range = uploads.read_range(&first.id, 1, 64).await.expect("range");
    assert_eq!(&range[..], b"ello");
    let (entry, replaced) = uploads
        .commit(&first, &md5_of(b"hello"))
        .await
        .expect("commit");
    assert_eq!((entry.size, replaced, entry.kind), (5, 0, EntryKind::File));
    assert_eq!(entry.md5, Some(md5_of(b"hello")));
    drop(h);
    assert_eq!(&read(&*files).await[..], b"hello");

    let mut second = new(6);
    let h = staged(&*uploads, &second, b"second").await;
    let taken = uploads
        .commit(&second, &md5_of(b"second"))
        .await
        .expect_err("never replaces without overwrite");
    assert_eq!(taken.code(), "already_exists");
    assert_eq!(&read(&*files).await[..], b"hello", "the file is untouched");
    assert_eq!(
        uploads.len(&second.id).await.expect("kept"),
        6,
        "a refused commit keeps the bytes"
    );
    second.overwrite = true;
    let (entry, replaced) = uploads
        .commit(&second, &md5_of(b"second"))
        .await
        .expect("overwrite");
    assert_eq!((entry.size, replaced), (6, 5));
    drop(h);
    assert_eq!(&read(&*files).await[..], b"second");

    let third = new(5);
    drop(staged(&*uploads, &third, b"third").await);
    uploads.discard(&third.id).await.expect("discard");
    assert_eq!(
        uploads.len(&third.id).await.expect_err("gone").code(),
        "upload_not_found"
    );
    assert!(
        uploads.commit(&third, &md5_of(b"third")).await.is_err(),
        "a discarded upload cannot be committed"
    );
    assert_eq!(&read(&*files).await[..], b"second");
}
