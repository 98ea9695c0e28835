//! Uploads that hold every byte but were not committed are not stranded: `PUT` with
//! `Content-Range: bytes */TOTAL` and an empty body commits them (`201` with the entry),
//! MD5-verified against the create-time MD5 or a `Repr-Digest` on that request, else with
//! the MD5 computed while receiving, as for a last chunk.
//!
//! Two ways to get there: a last chunk whose body ran past its range (`413`, the in-range
//! bytes kept), and a last chunk refused with `409 already_exists` because the name was
//! taken meanwhile, the other file then moved away.

use http::StatusCode;
use md5::Digest;

use crate::support::{Reply, TestApp, authed, b64, data, empty, md5_hex};

const SIZE: usize = 100;

fn repr_digest(bytes: &[u8]) -> String {
    format!("md5=:{}:", b64(&md5::Md5::digest(bytes)))
}

/// The commit of a complete upload: `bytes */TOTAL`, empty body.
async fn commit(app: &TestApp, id: &str, headers: &[(&str, String)]) -> Reply {
    app.upload_chunk(id, &format!("bytes */{SIZE}"), b"", headers)
        .await
}

/// The committed file read back through the API is exactly `file`.
async fn assert_file_is(app: &TestApp, path: &str, file: &[u8]) {
    let r = app
        .send(empty(authed("GET", &format!("/api/v1/files/{path}"))))
        .await;
    assert_eq!(r.status, StatusCode::OK, "GET {path}: {r:?}");
    assert_eq!(
        (r.body.len(), md5_hex(&r.body)),
        (file.len(), md5_hex(file)),
        "GET {path}: size and MD5"
    );
    assert_eq!(&r.body[..], file, "GET {path}: bytes");
}

#[track_caller]
fn assert_committed(r: &Reply, path: &str, file: &[u8], what: &str) {
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{what}: PUT bytes */{SIZE} on a complete upload must commit it: {r:?}"
    );
    assert_eq!(r.json()["md5"], md5_hex(file), "{what}: {r:?}");
    assert_eq!(r.json()["size"], SIZE, "{what}: {r:?}");
    assert_eq!(
        r.header("location"),
        Some(format!("/api/v1/files/{path}").as_str()),
        "{what}"
    );
}

#[tokio::test]
async fn an_over_long_last_chunk_leaves_a_complete_upload_that_commits_on_request() {
    let file = data(SIZE, 21);
    // Where the MD5 comes from: the create request, the commit request, or nowhere (the
    // computed one is used and returned).
    let cases = [
        ("md5 at create", true, vec![]),
        (
            "Repr-Digest on the commit",
            false,
            vec![("repr-digest", repr_digest(&file))],
        ),
        ("no md5 at all", false, vec![]),
    ];
    for (what, md5_at_create, headers) in cases {
        let app = TestApp::new().await;
        let md5 = md5_at_create.then(|| md5_hex(&file));
        let id = app
            .create_upload("/long.bin", SIZE as u64, md5.as_deref())
            .await;
        let r = app
            .upload_chunk(&id, "bytes 0-49/100", &file[..50], &[])
            .await;
        assert_eq!(r.status.as_u16(), 308, "{what}: first chunk: {r:?}");
        // The last chunk's body runs 10 bytes past its range.
        let mut long = file[50..].to_vec();
        long.extend_from_slice(b"0123456789");
        let r = app.upload_chunk(&id, "bytes 50-99/100", &long, &[]).await;
        r.assert_problem(413, "body_exceeds_range");
        assert_eq!(
            app.offset(&id).await,
            SIZE as u64,
            "{what}: every byte held"
        );
        assert!(
            !app.home().join("long.bin").exists(),
            "{what}: not committed"
        );

        let r = commit(&app, &id, &headers).await;
        assert_committed(&r, "long.bin", &file, what);
        assert_file_is(&app, "long.bin", &file).await;
        let r = app
            .send(empty(authed("GET", &format!("/api/v1/uploads/{id}"))))
            .await;
        r.assert_problem(404, "upload_not_found");
        assert_eq!(app.quota().await["reserved"], 0, "{what}");
    }
}

#[tokio::test]
async fn committing_a_complete_upload_with_the_wrong_md5_is_422_and_commits_nothing() {
    let app = TestApp::new().await;
    let file = data(SIZE, 22);
    let id = app.create_upload("/wrong.bin", SIZE as u64, None).await;
    let mut long = file.clone();
    long.push(0);
    let r = app.upload_chunk(&id, "bytes 0-99/100", &long, &[]).await;
    r.assert_problem(413, "body_exceeds_range");
    let r = commit(&app, &id, &[("repr-digest", repr_digest(b"other bytes"))]).await;
    r.assert_problem(422, "checksum_mismatch");
    app.assert_nothing_committed("wrong.bin", "a wrong MD5")
        .await;
}

#[tokio::test]
async fn a_last_chunk_refused_because_the_name_was_taken_commits_once_the_name_is_free() {
    let app = TestApp::new().await;
    let file = data(SIZE, 23);
    let other = data(40, 24);
    let digest = [("repr-digest", repr_digest(&file))];
    let id = app.create_upload("/taken.bin", SIZE as u64, None).await;
    let r = app
        .upload_chunk(&id, "bytes 0-49/100", &file[..50], &[])
        .await;
    assert_eq!(r.status.as_u16(), 308, "first chunk: {r:?}");

    // Meanwhile another request creates a file under the same name.
    app.put("taken.bin", &other).await;
    let r = app
        .upload_chunk(&id, "bytes 50-99/100", &file[50..], &digest)
        .await;
    r.assert_problem(409, "already_exists");
    assert_eq!(app.offset(&id).await, SIZE as u64, "every byte held");

    // While the name is taken, the commit is refused the same way and the upload kept.
    let r = commit(&app, &id, &digest).await;
    r.assert_problem(409, "already_exists");
    assert_eq!(app.offset(&id).await, SIZE as u64, "the upload is kept");
    assert_file_is(&app, "taken.bin", &other).await;

    // The other file is moved away; the commit now succeeds.
    let r = app
        .send_json(
            authed("POST", "/api/v1/move"),
            &serde_json::json!({"from": "/taken.bin", "to": "/moved.bin"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "move: {r:?}");
    let r = commit(&app, &id, &digest).await;
    assert_committed(&r, "taken.bin", &file, "after the move");
    assert_file_is(&app, "taken.bin", &file).await;
    assert_file_is(&app, "moved.bin", &other).await;
    assert_eq!(app.quota().await["reserved"], 0);
}
