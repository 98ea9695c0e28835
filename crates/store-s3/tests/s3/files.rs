//! Reads of one version, and folder operations on many files.

use ferry_core::store::{FileStore, ListPage, Move};

use super::{fresh, md5_of, path, pattern, put_file, user};

#[tokio::test]
async fn a_read_of_a_file_replaced_meanwhile_never_mixes_versions() {
    let (_, uploads, files) = fresh();
    let owner = user("reader");
    files.create_home(&owner).await.unwrap();
    let old = pattern(100_000, 1);
    let new = pattern(100_000, 2);
    put_file(&*uploads, &owner, "/f.bin", &old, false).await;
    let opened = files.open(&owner, &path("/f.bin")).await.unwrap();
    let first = opened.reader.read_at(0, 50_000).await.unwrap();
    assert_eq!(&first[..], &old[..50_000]);
    put_file(&*uploads, &owner, "/f.bin", &new, true).await;
    // A read elsewhere asks for the old version again: gone.
    let err = opened.reader.read_at(10, 100).await.unwrap_err();
    assert_eq!(err.code(), "not_found");
    // A read that continues a response still streaming gets the old version's bytes, or
    // fails: never the new one's.
    let second = opened.reader.read_at(0, 50_000).await;
    assert!(second.is_err(), "a new request for the old version");
    let streamed = files.open(&owner, &path("/f.bin")).await.unwrap();
    let head = streamed.reader.read_at(0, 10).await.unwrap();
    assert_eq!(&head[..], &new[..10]);
    put_file(&*uploads, &owner, "/f.bin", &old, true).await;
    match streamed.reader.read_at(10, 99_990).await {
        Ok(rest) => assert_eq!(&rest[..], &new[10..], "the version it began with"),
        Err(e) => assert_eq!(e.code(), "not_found"),
    }
    let reopened = files.open(&owner, &path("/f.bin")).await.unwrap();
    assert_ne!(reopened.version, streamed.version);
    assert_eq!(
        &reopened.reader.read_at(50_000, 50_000).await.unwrap()[..],
        &old[50_000..]
    );
}

#[tokio::test]
async fn a_folder_of_many_files_moves_and_is_removed_whole() {
    let (_, uploads, files) = fresh();
    let owner = user("tree");
    files.create_home(&owner).await.unwrap();
    files.mkdir(&owner, &path("/d/sub"), true).await.unwrap();
    let mut total = 0;
    for i in 0..40 {
        let data = pattern(1000 + i, i as u8);
        total += data.len() as u64;
        let at = if i % 2 == 0 {
            format!("/d/f{i:02}")
        } else {
            format!("/d/sub/g{i:02}")
        };
        put_file(&*uploads, &owner, &at, &data, false).await;
    }
    files
        .mkdir(&owner, &path("/d/sub/empty"), false)
        .await
        .unwrap();
    let err = files.remove(&owner, &path("/d"), false).await.unwrap_err();
    assert_eq!(err.code(), "directory_not_empty");
    let taken = files
        .rename(
            &owner,
            &Move {
                from: path("/d"),
                to: path("/d/sub/x"),
                overwrite: false,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(taken.code(), "bad_request");

    files
        .rename(
            &owner,
            &Move {
                from: path("/d"),
                to: path("/e"),
                overwrite: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        files.stat(&owner, &path("/d")).await.unwrap_err().code(),
        "not_found"
    );
    let page = |limit| ListPage { after: None, limit };
    let top = files.list(&owner, &path("/e"), page(100)).await.unwrap();
    assert_eq!(top.entries.len(), 21, "20 files and the subfolder");
    let names: Vec<_> = top.entries.iter().map(|e| e.name.clone()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "in name order");
    let sub = files.list(&owner, &path("/e/sub"), page(5)).await.unwrap();
    assert_eq!((sub.entries.len(), sub.more), (5, true));
    let rest = files
        .list(
            &owner,
            &path("/e/sub"),
            ListPage {
                after: Some(sub.entries[4].name.clone()),
                limit: 100,
            },
        )
        .await
        .unwrap();
    assert_eq!(rest.entries.len(), 16, "15 more files and the empty folder");
    assert_eq!(
        files
            .stat(&owner, &path("/e/sub/empty"))
            .await
            .unwrap()
            .kind,
        ferry_core::model::EntryKind::Dir
    );
    let moved = files.open(&owner, &path("/e/sub/g07")).await.unwrap();
    assert_eq!(
        moved.entry.md5,
        Some(md5_of(&pattern(1007, 7))),
        "a moved file keeps its MD5"
    );
    assert_eq!(
        &moved.reader.read_at(0, 10_000).await.unwrap()[..],
        &pattern(1007, 7)[..]
    );
    assert_eq!(files.usage(&owner).await.unwrap(), total);

    let freed = files.remove(&owner, &path("/e"), true).await.unwrap();
    assert_eq!(freed, total);
    assert_eq!(
        files.stat(&owner, &path("/e")).await.unwrap_err().code(),
        "not_found"
    );
    assert_eq!(files.usage(&owner).await.unwrap(), 0);
    let home = files.list(&owner, &path("/"), page(10)).await.unwrap();
    assert!(home.entries.is_empty());
}
