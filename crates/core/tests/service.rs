//! The core service against a real temp dir: confinement, quota, upload lifecycle, one writer,
//! crash recovery, expiry.

use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use ferry_core::{ChunkDigest, Config, Ferry, Session, Username};
use md5::{Digest, Md5};

fn user(name: &str) -> Username {
    name.parse().unwrap()
}

async fn setup(dir: &Path, f: impl FnOnce(&mut Config)) -> Ferry {
    let mut config = Config::new(dir);
    f(&mut config);
    let ferry = ferry_store_local::open(config).await.unwrap();
    ferry
        .add_user(user("alice"), "pw".into(), None)
        .await
        .unwrap();
    ferry
        .add_user(user("bob"), "pw".into(), Some(1000))
        .await
        .unwrap();
    ferry
}

async fn session(ferry: &Ferry, name: &str) -> Session {
    Session::trusted(ferry, user(name)).await.unwrap()
}

fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn code<T: std::fmt::Debug>(r: ferry_core::Result<T>) -> &'static str {
    r.unwrap_err().code()
}

#[tokio::test]
async fn symlinks_leading_out_of_the_home_are_refused_for_every_operation() {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |_| {}).await;
    let s = session(&ferry, "alice").await;
    let home = tmp.path().join("homes/alice");
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), b"top secret").unwrap();
    symlink(outside.path(), home.join("out")).unwrap();
    symlink(outside.path().join("secret"), home.join("abs")).unwrap();
    symlink("../bob", home.join("rel")).unwrap();
    std::fs::create_dir(home.join("d")).unwrap();
    symlink("../../..", home.join("d/up")).unwrap();

    for p in ["out/secret", "abs", "rel", "d/up/etc/passwd", "out"] {
        assert_eq!(
            code(s.stat(p, false).await),
            "path_outside_home",
            "stat {p}"
        );
        assert_eq!(
            code(s.open_download(p, 0).await),
            "path_outside_home",
            "get {p}"
        );
    }
    assert_eq!(
        code(s.list(Some("out"), None, None).await),
        "path_outside_home"
    );
    assert_eq!(code(s.mkdir("out/new", false).await), "path_outside_home");
    assert_eq!(
        code(s.rename("d", "out/d", false).await),
        "path_outside_home"
    );
    let mut s2 = session(&ferry, "alice").await;
    assert_eq!(
        code(s2.upload_create("out/x", 1, None, false).await),
        "path_outside_home"
    );
    assert_eq!(code(s2.cd("rel").await), "path_outside_home");
    assert!(!outside.path().join("new").exists());
    assert!(!outside.path().join("d").exists());

    // A symlink that stays inside the home is followed.
    std::fs::write(home.join("d/f"), b"inside").unwrap();
    symlink("d/f", home.join("link")).unwrap();
    assert_eq!(s.stat("link", false).await.unwrap().size, 6);
}

#[tokio::test]
async fn a_folder_swapped_for_a_symlink_after_a_check_is_still_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |_| {}).await;
    let mut s = session(&ferry, "alice").await;
    let home = tmp.path().join("homes/alice");
    let outside = tempfile::tempdir().unwrap();
    s.mkdir("sub", false).await.unwrap();
    let up = s.upload_create("sub/f", 3, None, false).await.unwrap();
    s.upload_write_chunk(&up.id.to_string(), 0, Bytes::from_static(b"abc"), None)
        .await
        .unwrap();
    std::fs::remove_dir(home.join("sub")).unwrap();
    symlink(outside.path(), home.join("sub")).unwrap();
    let r = s
        .upload_finish(&up.id.to_string(), Some(&md5_hex(b"abc")))
        .await;
    assert_eq!(code(r), "path_outside_home");
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn fifos_are_refused_without_blocking() {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |_| {}).await;
    let s = session(&ferry, "alice").await;
    let fifo = tmp.path().join("homes/alice/pipe");
    let st = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(st.success());
    let r = tokio::time::timeout(Duration::from_secs(5), s.open_download("pipe", 0)).await;
    assert_eq!(
        code(r.expect("opening a FIFO must not block")),
        "special_file"
    );
    let listing = s.list(None, None, None).await.unwrap();
    assert_eq!(listing.entries[0].kind, ferry_core::model::EntryKind::Other);
}

#[tokio::test]
async fn two_racing_uploads_cannot_both_take_the_last_quota() {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |_| {}).await;
    let mut a = session(&ferry, "bob").await;
    let mut b = session(&ferry, "bob").await;
    let (ra, rb) = tokio::join!(
        a.upload_create("a", 600, None, false),
        b.upload_create("b", 600, None, false)
    );
    let codes: Vec<_> = [ra.map(|_| "ok"), rb.map(|_| "ok")]
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| e.code()))
        .collect();
    assert!(
        codes.contains(&"ok") && codes.contains(&"quota_exceeded"),
        "{codes:?}"
    );
    let q = a.quota().await.unwrap();
    assert_eq!((q.used, q.reserved, q.limit), (0, 600, Some(1000)));
}

#[tokio::test]
async fn upload_lifecycle_with_bad_offsets_chunks_and_checksums() {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |_| {}).await;
    let mut s = session(&ferry, "alice").await;
    let body = data(3000);
    let up = s.upload_create("f.bin", 3000, None, false).await.unwrap();
    let id = up.id.to_string();
    assert_eq!(up.offset, 0);
    let chunk = Bytes::copy_from_slice(&body[..1000]);
    assert_eq!(
        s.upload_write_chunk(&id, 0, chunk.clone(), Some(crc32c::crc32c(&chunk)))
            .await
            .unwrap(),
        1000
    );
    let err = s
        .upload_write_chunk(&id, 500, chunk.clone(), None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "offset_mismatch");
    assert_eq!(err.details().unwrap()["offset"], 1000);
    let next = Bytes::copy_from_slice(&body[1000..2000]);
    assert_eq!(
        code(s.upload_write_chunk(&id, 1000, next.clone(), Some(1)).await),
        "chunk_checksum_mismatch"
    );
    assert_eq!(s.upload_status(&id).await.unwrap().offset, 1000);
    assert_eq!(
        code(
            s.upload_write_chunk(&id, 1000, Bytes::from(vec![0; 2001]), None)
                .await
        ),
        "size_exceeded"
    );
    assert_eq!(
        code(s.upload_finish(&id, Some(&md5_hex(&body))).await),
        "upload_incomplete"
    );
    s.upload_write_chunk(&id, 1000, next, None).await.unwrap();
    s.upload_write(&id, 2000, &body[2000..], None)
        .await
        .unwrap();
    assert_eq!(code(s.upload_finish(&id, None).await), "md5_required");
    assert_eq!(
        code(s.upload_finish(&id, Some(&md5_hex(b"other"))).await),
        "checksum_mismatch"
    );
    let home = tmp.path().join("homes/alice");
    assert!(
        !home.join("f.bin").exists(),
        "nothing may appear after a checksum mismatch"
    );
    assert_eq!(code(s.upload_status(&id).await), "upload_not_found");

    let up = s
        .upload_create("f.bin", 3000, Some(&md5_hex(&body)), false)
        .await
        .unwrap();
    let id = up.id.to_string();
    s.upload_write(&id, 0, &body[..], None).await.unwrap();
    let entry = s.upload_finish(&id, None).await.unwrap();
    assert_eq!(entry.md5.unwrap().to_string(), md5_hex(&body));
    assert_eq!(std::fs::read(home.join("f.bin")).unwrap(), body);
    assert!(s.upload_list().await.unwrap().is_empty());
    assert_eq!(
        std::fs::read_dir(tmp.path().join("state/staging"))
            .unwrap()
            .count(),
        0
    );

    // The target exists now: a new upload needs overwrite, and replaces it only when complete.
    assert_eq!(
        code(s.upload_create("f.bin", 5, None, false).await),
        "already_exists"
    );
    let up = s.upload_create("f.bin", 5, None, true).await.unwrap();
    s.upload_write(&up.id.to_string(), 0, &b"hel"[..], None)
        .await
        .unwrap();
    assert_eq!(
        std::fs::read(home.join("f.bin")).unwrap(),
        body,
        "never truncated before commit"
    );
    s.upload_write(&up.id.to_string(), 3, &b"lo"[..], None)
        .await
        .unwrap();
    s.upload_finish(&up.id.to_string(), Some(&md5_hex(b"hello")))
        .await
        .unwrap();
    assert_eq!(std::fs::read(home.join("f.bin")).unwrap(), b"hello");
}

#[tokio::test]
async fn a_body_longer_than_the_upload_keeps_only_the_in_range_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |_| {}).await;
    let mut s = session(&ferry, "alice").await;
    let up = s.upload_create("g", 4, None, false).await.unwrap();
    let id = up.id.to_string();
    assert_eq!(
        code(s.upload_write(&id, 0, &b"abcdef"[..], None).await),
        "size_exceeded"
    );
    assert_eq!(s.upload_status(&id).await.unwrap().offset, 4);
    // A body whose checksum does not match is cut back off entirely.
    let up2 = s.upload_create("h", 6, None, false).await.unwrap();
    let id2 = up2.id.to_string();
    assert_eq!(
        code(
            s.upload_write(&id2, 0, &b"abc"[..], Some(ChunkDigest::Crc32c(7)))
                .await
        ),
        "chunk_checksum_mismatch"
    );
    assert_eq!(s.upload_status(&id2).await.unwrap().offset, 0);
    s.upload_write(
        &id2,
        0,
        &b"abcdef"[..],
        Some(ChunkDigest::Crc32c(crc32c::crc32c(b"abcdef"))),
    )
    .await
    .unwrap();
    s.upload_finish(&id2, Some(&md5_hex(b"abcdef")))
        .await
        .unwrap();
}

#[tokio::test]
async fn one_writer_per_upload_until_the_first_session_ends() {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |_| {}).await;
    let mut a = session(&ferry, "alice").await;
    let mut b = session(&ferry, "alice").await;
    let up = a.upload_create("x", 10, None, false).await.unwrap();
    let id = up.id.to_string();
    a.upload_write(&id, 0, &b"12345"[..], None).await.unwrap();
    assert_eq!(
        code(b.upload_write(&id, 5, &b"67890"[..], None).await),
        "upload_busy"
    );
    assert_eq!(code(b.upload_cancel(&id).await), "upload_busy");
    assert_eq!(b.upload_status(&id).await.unwrap().offset, 5);
    drop(a);
    b.upload_write(&id, 5, &b"67890"[..], None).await.unwrap();
    b.upload_finish(&id, Some(&md5_hex(b"1234567890")))
        .await
        .unwrap();
    // Another user cannot even see the upload.
    let mut c = session(&ferry, "bob").await;
    let up = b.upload_create("y", 1, None, false).await.unwrap();
    assert_eq!(
        code(c.upload_write(&up.id.to_string(), 0, &b"z"[..], None).await),
        "upload_not_found"
    );
}

#[tokio::test]
async fn a_crash_loses_nothing_and_resumes_from_the_checkpointed_hash() {
    let tmp = tempfile::tempdir().unwrap();
    let body = data(5 * 1024 * 1024 + 17);
    let id = {
        let ferry = setup(tmp.path(), |c| c.checkpoint_bytes = 1024 * 1024).await;
        let mut s = session(&ferry, "alice").await;
        let up = s
            .upload_create("big", body.len() as u64, None, false)
            .await
            .unwrap();
        let id = up.id.to_string();
        s.upload_write(&id, 0, &body[..3 * 1024 * 1024 + 5], None)
            .await
            .unwrap();
        // Simulate kill -9: no Drop runs, so no final checkpoint is written.
        std::mem::forget(s);
        id
    };
    let record: serde_json::Value = serde_json::from_slice(
        &std::fs::read(tmp.path().join(format!("state/uploads/{id}.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(
        record["hashed"],
        3 * 1024 * 1024,
        "the last checkpoint covers whole megabytes"
    );
    let ferry = ferry_store_local::open(Config::new(tmp.path()))
        .await
        .unwrap();
    let mut s = session(&ferry, "alice").await;
    let offset = s.upload_status(&id).await.unwrap().offset;
    assert_eq!(offset, 3 * 1024 * 1024 + 5);
    s.upload_write(&id, offset, &body[offset as usize..], None)
        .await
        .unwrap();
    let entry = s.upload_finish(&id, Some(&md5_hex(&body))).await.unwrap();
    assert_eq!(entry.size, body.len() as u64);
}

#[tokio::test]
async fn a_checkpoint_ahead_of_the_staged_bytes_falls_back_to_rehashing() {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |c| c.checkpoint_bytes = 4).await;
    let mut s = session(&ferry, "alice").await;
    let up = s.upload_create("z", 10, None, false).await.unwrap();
    let id = up.id.to_string();
    s.upload_write(&id, 0, &b"abcdefgh"[..], None)
        .await
        .unwrap();
    drop(s);
    // Lose the tail of the staging file, as a power cut could.
    let staged = tmp.path().join(format!("state/staging/{id}.part"));
    std::fs::OpenOptions::new()
        .write(true)
        .open(&staged)
        .unwrap()
        .set_len(3)
        .unwrap();
    let mut s = session(&ferry, "alice").await;
    assert_eq!(s.upload_status(&id).await.unwrap().offset, 3);
    s.upload_write(&id, 3, &b"defghij"[..], None).await.unwrap();
    s.upload_finish(&id, Some(&md5_hex(b"abcdefghij")))
        .await
        .unwrap();
}

#[tokio::test]
async fn expired_uploads_are_swept_and_release_their_reservation() {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |c| c.upload_ttl = Duration::ZERO).await;
    let mut s = session(&ferry, "bob").await;
    let up = s.upload_create("a", 900, None, false).await.unwrap();
    drop(s);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(ferry.sweep_expired().await.unwrap(), 1);
    let mut s = session(&ferry, "bob").await;
    assert_eq!(
        code(s.upload_status(&up.id.to_string()).await),
        "upload_not_found"
    );
    s.upload_create("b", 900, None, false).await.unwrap();
}

#[tokio::test]
async fn file_operations_report_their_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |_| {}).await;
    let mut s = session(&ferry, "alice").await;
    s.mkdir("a/b/c", true).await.unwrap();
    assert_eq!(code(s.mkdir("a", false).await), "already_exists");
    assert_eq!(code(s.mkdir("x/y", false).await), "not_found");
    assert_eq!(s.cd("a/b").await.unwrap().to_string(), "/a/b");
    assert_eq!(code(s.cd("../../..").await), "path_outside_home");
    let up = s.upload_create("f", 2, None, false).await.unwrap();
    s.upload_write(&up.id.to_string(), 0, &b"hi"[..], None)
        .await
        .unwrap();
    s.upload_finish(&up.id.to_string(), Some(&md5_hex(b"hi")))
        .await
        .unwrap();
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
