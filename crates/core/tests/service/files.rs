//! File operations (mkdir, cd, rm, mv, stat, ls with paging) and the error codes they report.

use crate::support::{code, md5_hex, start};

#[tokio::test]
async fn file_operations_report_their_codes() {
    let (_tmp, _ferry, mut s) = start("alice").await;
    s.mkdir("a/b/c", true).await.unwrap();
    assert_eq!(code(s.mkdir("a", false).await), "already_exists");
    assert_eq!(code(s.mkdir("x/y", false).await), "not_found");
    assert_eq!(s.cd("a/b").await.unwrap().to_string(), "/a/b");
    assert_eq!(code(s.cd("../../..").await), "path_outside_home");
    let up = s.upload_create("f", 2, None, false).await.unwrap();
    let id = up.id.to_string();
    s.upload_write(&id, 0, &b"hi"[..], None).await.unwrap();
    s.upload_finish(&id, Some(&md5_hex(b"hi"))).await.unwrap();
    assert_eq!(code(s.cd("f").await), "not_a_directory");
    assert_eq!(code(s.remove("/a", false).await), "directory_not_empty");
    assert_eq!(code(s.remove("/", true).await), "home_immutable");
    assert_eq!(code(s.rename("/a", "/a/b/c/a", false).await), "bad_request");
    s.mkdir("/z", false).await.unwrap();
    assert_eq!(code(s.rename("/z", "/a", false).await), "already_exists");
    s.rename("f", "/g", false).await.unwrap();
    assert_eq!(
        s.stat("/g", false).await.unwrap().md5.unwrap().to_string(),
        md5_hex(b"hi"),
        "digest survives mv"
    );
    s.remove("/a", true).await.unwrap();
    assert_eq!(code(s.stat("/a", false).await), "not_found");
    let names: Vec<_> = s
        .list(Some("/"), None, None)
        .await
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, ["g", "z"]);
    let page = s.list(Some("/"), None, Some(1)).await.unwrap();
    assert_eq!((page.entries.len(), page.next.as_deref()), (1, Some("g")));
    let page = s.list(Some("/"), Some("g".into()), Some(1)).await.unwrap();
    assert_eq!((page.entries[0].name.as_str(), page.next), ("z", None));
}

#[tokio::test]
async fn small_files_have_no_digest_record_and_their_md5_is_always_current() {
    let tmp = tempfile::tempdir().unwrap();
    let digests = tmp.path().join("state/digests");
    let records = || std::fs::read_dir(&digests).unwrap().count();
    let small = vec![7u8; 4096];
    let large = vec![9u8; 64 * 1024];
    {
        let ferry = crate::support::setup(tmp.path(), |_| {}).await;
        let mut s = crate::support::session(&ferry, "alice").await;
        s.put_file("small", 4096, &small[..], None, false)
            .await
            .unwrap();
        assert_eq!(records(), 0, "a small upload writes no digest record");
        s.put_file("large", large.len() as u64, &large[..], None, false)
            .await
            .unwrap();
        assert_eq!(records(), 1, "a large one does");
    }
    // After a restart the small file's MD5 is hashed again, not lost.
    let ferry = ferry_store_local::open(ferry_core::Config::new(tmp.path()))
        .await
        .unwrap();
    let s = crate::support::session(&ferry, "alice").await;
    let md5_of = |e: ferry_core::model::Entry| e.md5.map(|m| m.to_string());
    let stat = s.stat("small", false).await.unwrap();
    assert_eq!(md5_of(stat), Some(md5_hex(&small)));
    assert_eq!(
        md5_of(s.stat("large", false).await.unwrap()),
        Some(md5_hex(&large))
    );

    // Rewritten behind Ferry's back, same size, mtime put back: the new bytes' MD5.
    let home = tmp.path().join("homes/alice");
    let mtime = std::fs::metadata(home.join("small"))
        .unwrap()
        .modified()
        .unwrap();
    let changed = vec![8u8; 4096];
    std::fs::write(home.join("small"), &changed).unwrap();
    let f = std::fs::File::options()
        .write(true)
        .open(home.join("small"))
        .unwrap();
    f.set_modified(mtime).unwrap();
    assert_eq!(
        md5_of(s.stat("small", false).await.unwrap()),
        Some(md5_hex(&changed))
    );

    // A small file made outside Ferry is listed with its MD5.
    std::fs::write(home.join("made"), b"by a command").unwrap();
    let listing = s.list(None, None, None).await.unwrap();
    let made = listing
        .entries
        .into_iter()
        .find(|e| e.name == "made")
        .unwrap();
    assert_eq!(md5_of(made), Some(md5_hex(b"by a command")));
}

#[tokio::test]
async fn a_file_that_shrinks_during_a_download_ends_it_with_not_found_not_internal() {
    let (tmp, _ferry, s) = start("alice").await;
    let path = tmp.path().join("homes/alice/big");
    std::fs::write(&path, vec![7u8; 8 << 20]).unwrap();
    let mut d = s.open_download("big", 0).await.unwrap();
    assert_eq!(d.next_chunk(1 << 20).await.unwrap().unwrap().len(), 1 << 20);
    // Emptied behind Ferry's back (as a command can).
    std::fs::File::create(&path).unwrap();
    let mut outcome = Ok(None);
    for _ in 0..8 {
        outcome = d.next_chunk(1 << 20).await;
        if outcome.is_err() {
            break;
        }
    }
    assert_eq!(code(outcome), "not_found");
}
