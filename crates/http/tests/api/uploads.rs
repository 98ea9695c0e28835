//! Resumable uploads driven by `Content-Range`: one table of steps over one upload, each step
//! checked for its status, its code and where the upload stands afterwards.

use std::ops::Range;

use http::StatusCode;
use sha2::Digest;

use crate::support::{TestApp, authed, b64, data, empty, md5_hex};

const SIZE: usize = 100;

/// One `PUT /api/v1/uploads/ID`.
struct Step {
    what: &'static str,
    content_range: &'static str,
    /// Which bytes of the file the body carries.
    body: Range<usize>,
    headers: Vec<(&'static str, String)>,
    status: u16,
    /// The problem code, for errors.
    code: Option<&'static str>,
    /// The `Range` header of a 308 (`None`: absent).
    held: Option<&'static str>,
    /// The upload's offset after the step.
    offset: u64,
}

fn step(what: &'static str, content_range: &'static str, body: Range<usize>) -> Step {
    Step {
        what,
        content_range,
        body,
        headers: Vec::new(),
        status: 0,
        code: None,
        held: None,
        offset: 0,
    }
}

impl Step {
    fn incomplete(mut self, held: Option<&'static str>, offset: u64) -> Step {
        self.status = 308;
        self.held = held;
        self.offset = offset;
        self
    }

    fn fails(mut self, status: u16, code: &'static str, offset: u64) -> Step {
        self.status = status;
        self.code = Some(code);
        self.offset = offset;
        self
    }

    fn header(mut self, name: &'static str, value: String) -> Step {
        self.headers.push((name, value));
        self
    }

    fn commits(mut self) -> Step {
        self.status = 201;
        self.offset = SIZE as u64;
        self
    }
}

fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha-256=:{}:", b64(&sha2::Sha256::digest(bytes)))
}

/// A fresh app and an upload to `path` of `SIZE` pseudo-random bytes (from `seed`), declared
/// with their MD5: the app, the bytes and the upload id.
async fn declared_upload(path: &str, seed: u64) -> (TestApp, Vec<u8>, String) {
    let app = TestApp::new().await;
    let file = data(SIZE, seed);
    let id = app
        .create_upload(path, SIZE as u64, Some(&md5_hex(&file)))
        .await;
    (app, file, id)
}

#[tokio::test]
async fn content_range_steps_give_their_status_code_and_offset() {
    let (app, file, id) = declared_upload("/up.bin", 1).await;
    let steps = vec![
        step("query before any byte", "bytes */100", 0..0).incomplete(None, 0),
        step("first chunk", "bytes 0-29/100", 0..30).incomplete(Some("bytes=0-29"), 30),
        step("query after a chunk", "bytes */100", 0..0).incomplete(Some("bytes=0-29"), 30),
        step("offset ahead", "bytes 40-49/100", 40..50).fails(409, "offset_mismatch", 30),
        step("offset behind, overlapping", "bytes 20-39/100", 20..40).fails(
            409,
            "offset_mismatch",
            30,
        ),
        step("inverted", "bytes 39-30/100", 30..40).fails(400, "range_inverted", 30),
        step("non-numeric", "bytes a-b/100", 30..40).fails(400, "range_malformed", 30),
        step("no unit", "30-39/100", 30..40).fails(400, "range_malformed", 30),
        step("total changed", "bytes 30-39/99", 30..40).fails(400, "size_mismatch", 30),
        step("last byte past total", "bytes 30-100/100", 30..100).fails(
            400,
            "range_past_total",
            30,
        ),
        step("chunk digest mismatch", "bytes 30-39/100", 30..40)
            .header("content-digest", sha256_digest(b"other bytes"))
            .fails(400, "chunk_checksum_mismatch", 30),
        step("chunk digest matches", "bytes 30-39/100", 30..40)
            .header("content-digest", sha256_digest(&file[30..40]))
            .incomplete(Some("bytes=0-39"), 40),
        step("body shorter than its range", "bytes 40-59/100", 40..50).fails(
            400,
            "range_length_mismatch",
            40,
        ),
        step("body longer than its range", "bytes 40-49/100", 40..60).fails(
            413,
            "body_exceeds_range",
            50,
        ),
        step("last chunk", "bytes 50-99/100", 50..100).commits(),
    ];
    for s in steps {
        let body = file[s.body.clone()].to_vec();
        let mut req = authed("PUT", &format!("/api/v1/uploads/{id}"))
            .header("content-range", s.content_range)
            .header("content-length", body.len());
        for (name, value) in &s.headers {
            req = req.header(*name, value);
        }
        let r = app.send(req.body(body.into()).unwrap()).await;
        assert_eq!(r.status.as_u16(), s.status, "{}: {r:?}", s.what);
        match (s.status, s.code) {
            (308, _) => {
                assert_eq!(r.header("range"), s.held, "{}: {r:?}", s.what);
                assert_eq!(r.json()["offset"], s.offset, "{}", s.what);
                assert_eq!(
                    r.header("upload-offset"),
                    Some(s.offset.to_string().as_str()),
                    "{}",
                    s.what
                );
            }
            (201, _) => {}
            (status, Some(code)) => {
                r.assert_problem(status, code);
                if code == "offset_mismatch" || code == "body_exceeds_range" {
                    assert_eq!(r.json()["offset"], s.offset, "{}: {r:?}", s.what);
                }
            }
            _ => unreachable!(),
        }
        if s.status != 201 {
            assert_eq!(app.offset(&id).await, s.offset, "offset after {}", s.what);
        }
    }
    // The in-range bytes of the over-long body were kept: the file is exact.
    assert_eq!(std::fs::read(app.home().join("up.bin")).unwrap(), file);
    let r = app
        .send(empty(authed("GET", &format!("/api/v1/uploads/{id}"))))
        .await;
    r.assert_problem(404, "upload_not_found");
    assert_eq!(app.quota().await["reserved"], 0);
}

#[tokio::test]
async fn a_last_chunk_with_the_wrong_md5_is_422_and_commits_nothing() {
    let app = TestApp::new().await;
    let file = data(SIZE, 2);
    // The MD5 announced at create, or on the last chunk as Repr-Digest.
    let wrong = md5_hex(b"something else");
    let cases = [
        ("md5 at create", Some(wrong.as_str()), None),
        (
            "Repr-Digest on the last chunk",
            None,
            Some(format!("md5=:{}:", b64(&hex::decode(&wrong).unwrap()))),
        ),
    ];
    for (what, at_create, repr) in cases {
        let id = app.create_upload("/bad.bin", SIZE as u64, at_create).await;
        let headers: Vec<_> = repr.map(|repr| ("repr-digest", repr)).into_iter().collect();
        let r = app
            .upload_chunk(&id, "bytes 0-99/100", &file, &headers)
            .await;
        assert_eq!(r.code(), "checksum_mismatch", "{what}: {r:?}");
        r.assert_problem(422, "checksum_mismatch");
        app.assert_nothing_committed("bad.bin", what).await;
    }
}

#[tokio::test]
async fn a_last_chunk_with_a_matching_repr_digest_commits_the_exact_file() {
    let app = TestApp::new().await;
    let file = data(SIZE, 3);
    let id = app.create_upload("/ok.bin", SIZE as u64, None).await;
    let repr = format!("md5=:{}:", b64(&md5::Md5::digest(&file)));
    let r = app
        .upload_chunk(&id, "bytes 0-99/100", &file, &[("repr-digest", repr)])
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    assert_eq!(r.json()["md5"], md5_hex(&file));
    assert_eq!(r.header("location"), Some("/api/v1/files/ok.bin"));
    assert_eq!(std::fs::read(app.home().join("ok.bin")).unwrap(), file);
}

#[tokio::test]
async fn a_chunk_over_the_limit_is_413_chunk_too_large_and_nothing_is_written() {
    let app = TestApp::with_limits(ferry_http::Limits {
        max_chunk: Some(10),
        ..Default::default()
    })
    .await;
    let file = data(SIZE, 4);
    let id = app.create_upload("/big.bin", SIZE as u64, None).await;
    let r = app
        .upload_chunk(&id, "bytes 0-10/100", &file[..11], &[])
        .await;
    r.assert_problem(413, "chunk_too_large");
    assert_eq!(app.offset(&id).await, 0);
}

#[tokio::test]
async fn a_body_without_length_that_ends_short_is_400_and_the_upload_stays_resumable() {
    let (app, file, id) = declared_upload("/cut.bin", 5).await;
    let r = app
        .send(
            authed("PUT", &format!("/api/v1/uploads/{id}"))
                .header("content-range", "bytes 0-49/100")
                .body(file[..20].to_vec().into())
                .unwrap(),
        )
        .await;
    r.assert_problem(400, "range_length_mismatch");
    // Whatever was kept is reported, and resuming from there gives the exact file.
    let held = app.offset(&id).await;
    assert!(held == 0 || held == 20, "held {held}");
    let range = format!("bytes {held}-99/100");
    let r = app
        .upload_chunk(&id, &range, &file[held as usize..], &[])
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    assert_eq!(std::fs::read(app.home().join("cut.bin")).unwrap(), file);
}
