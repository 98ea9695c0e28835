//! The IETF resumable-upload draft over real sockets: creation, offset retrieval, append and
//! cancellation, the sf-boolean `Upload-Complete`, the draft's problem types, `Upload-Limit`,
//! digests, lengths stated late, and an upload begun here and finished with Content-Range.
//! Over 300 lines: every case shares the request helpers of [`crate::support::dialect`].

use ferry_http::Limits;
use reqwest::{Response, StatusCode};
use serde_json::Value;
use sha2::Digest;

use crate::live::Live;
use crate::support::dialect::{
    content_range_put, get_json, header, ietf_create, ietf_patch, ietf_patch_head,
};
use crate::support::{b64, data, md5_hex};

const MISMATCHING_OFFSET: &str =
    "https://iana.org/assignments/http-problem-types#mismatching-upload-offset";
const INCONSISTENT_LENGTH: &str =
    "https://iana.org/assignments/http-problem-types#inconsistent-upload-length";
const COMPLETED: &str = "https://iana.org/assignments/http-problem-types#completed-upload";

async fn problem(r: Response, status: u16, code: &str) -> Value {
    assert_eq!(r.status().as_u16(), status, "{r:?}");
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["code"], code, "{doc}");
    doc
}

#[tokio::test]
async fn the_careful_flow_creates_appends_retrieves_the_offset_and_completes() {
    let live = Live::start(Limits::default(), None).await;
    let r = live
        .req("OPTIONS", "/api/v1/resumable/")
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(&r, "accept-patch"),
        Some("application/partial-upload")
    );
    let limit = header(&r, "upload-limit").unwrap();
    assert!(limit.starts_with("max-size="), "{limit}");
    // The idle time a new upload gets (the README: creation, HEAD and OPTIONS carry it).
    assert!(limit.contains("max-age="), "{limit}");

    let file = data(300_000, 1);
    let url = ietf_create(&live, "/a.bin", &[("upload-length", "300000".into())]).await;
    assert!(url.starts_with("/api/v1/resumable/"), "{url}");
    let r = ietf_patch(&live, &url, 0, false, &file[..100_000]).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&r, "upload-offset"), Some("100000"));
    assert_eq!(header(&r, "upload-complete"), Some("?0"));

    let r = live.req("HEAD", &url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&r, "upload-offset"), Some("100000"));
    assert_eq!(header(&r, "upload-complete"), Some("?0"));
    assert_eq!(header(&r, "upload-length"), Some("300000"));
    assert_eq!(header(&r, "cache-control"), Some("no-store"));
    let limit = header(&r, "upload-limit").unwrap();
    assert!(
        limit.contains("max-size=") && limit.contains("max-age="),
        "{limit}"
    );
    assert!(
        !limit.contains("max-append-size"),
        "no cap by default: {limit}"
    );

    let r = ietf_patch(&live, &url, 100_000, true, &file[100_000..]).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{r:?}");
    assert_eq!(header(&r, "upload-complete"), Some("?1"));
    assert_eq!(header(&r, "content-location"), Some("/api/v1/files/a.bin"));
    let entry: Value = r.json().await.unwrap();
    assert_eq!(entry["md5"], md5_hex(&file));
    assert_eq!(live.file("a.bin").unwrap(), file);

    // Completed lately: HEAD says so, and appending is the completed-upload problem.
    let r = live.req("HEAD", &url).send().await.unwrap();
    assert_eq!(header(&r, "upload-complete"), Some("?1"));
    assert_eq!(header(&r, "upload-offset"), Some("300000"));
    let r = ietf_patch(&live, &url, 300_000, true, b"").await;
    assert_eq!(problem(r, 400, "upload_completed").await["type"], COMPLETED);
}

#[tokio::test]
async fn upload_complete_must_be_an_sf_boolean() {
    let live = Live::start(Limits::default(), None).await;
    for bad in ["1", "true", "?2"] {
        let r = live
            .req("POST", "/api/v1/resumable/?path=/b.bin")
            .header("upload-complete", bad)
            .send()
            .await
            .unwrap();
        problem(r, 400, "bad_header").await;
    }
    let r = live
        .req("POST", "/api/v1/resumable/?path=/b.bin")
        .send()
        .await
        .unwrap();
    problem(r, 400, "bad_header").await;
}

#[tokio::test]
async fn a_wrong_offset_is_409_mismatching_upload_offset_with_both_offsets() {
    let live = Live::start(Limits::default(), None).await;
    let url = ietf_create(&live, "/c.bin", &[("upload-length", "10".into())]).await;
    let r = ietf_patch(&live, &url, 4, false, b"abc").await;
    assert_eq!(header(&r, "upload-offset"), Some("0"));
    let doc = problem(r, 409, "offset_mismatch").await;
    assert_eq!(doc["type"], MISMATCHING_OFFSET);
    assert_eq!(
        (
            doc["expected-offset"].as_u64(),
            doc["provided-offset"].as_u64()
        ),
        (Some(0), Some(4))
    );
}

#[tokio::test]
async fn a_length_that_changes_or_does_not_add_up_is_inconsistent_upload_length() {
    let live = Live::start(Limits::default(), None).await;
    let url = ietf_create(&live, "/d.bin", &[("upload-length", "10".into())]).await;
    let r = live
        .req("PATCH", &url)
        .header("content-type", "application/partial-upload")
        .header("upload-offset", "0")
        .header("upload-complete", "?0")
        .header("upload-length", "11")
        .body("abc")
        .send()
        .await
        .unwrap();
    assert_eq!(
        problem(r, 400, "size_mismatch").await["type"],
        INCONSISTENT_LENGTH
    );
    // `?1` with 3 bytes at offset 0 says the length is 3, not 10.
    let r = ietf_patch(&live, &url, 0, true, b"abc").await;
    assert_eq!(
        problem(r, 400, "size_mismatch").await["type"],
        INCONSISTENT_LENGTH
    );
    let r = live.req("HEAD", &url).send().await.unwrap();
    assert_eq!(
        header(&r, "upload-offset"),
        Some("0"),
        "nothing was appended"
    );
}

#[tokio::test]
async fn a_whole_file_in_the_creation_is_committed_after_its_digests_match() {
    let live = Live::start(Limits::default(), None).await;
    let file = data(70_000, 2);
    let sha = sha2::Sha256::digest(&file);
    let md5 = md5::Md5::digest(&file);
    let repr = format!("sha-256=:{}:, md5=:{}:", b64(&sha), b64(&md5));
    let r = live
        .req("POST", "/api/v1/resumable/?path=/e.bin")
        .header("upload-complete", "?1")
        .header("repr-digest", repr)
        .body(file.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{r:?}");
    assert_eq!(header(&r, "upload-complete"), Some("?1"));
    assert!(
        header(&r, "location")
            .unwrap()
            .starts_with("/api/v1/resumable/")
    );
    assert_eq!(live.file("e.bin").unwrap(), file);

    // A SHA-256 announced at creation is checked when the last bytes arrive.
    let wrong = format!("sha-256=:{}:", b64(&sha2::Sha256::digest(b"other")));
    let url = ietf_create(&live, "/f.bin", &[("repr-digest", wrong)]).await;
    let r = ietf_patch(&live, &url, 0, true, &file).await;
    problem(r, 422, "checksum_mismatch").await;
    assert!(live.file("f.bin").is_none(), "nothing is committed");

    let r = live
        .req("POST", "/api/v1/resumable/?path=/g.bin")
        .header("upload-complete", "?1")
        .header("repr-digest", format!("sha-512=:{}:", b64(&[0u8; 64])))
        .body("x")
        .send()
        .await
        .unwrap();
    problem(r, 400, "checksum_algorithm_unsupported").await;
    let r = live
        .req("POST", "/api/v1/resumable/?path=/g.bin")
        .header("upload-complete", "?0")
        .header("content-digest", format!("md5=:{}:", b64(&md5)))
        .body("not the bytes")
        .send()
        .await
        .unwrap();
    problem(r, 400, "chunk_checksum_mismatch").await;
}

#[tokio::test]
async fn an_upload_of_unknown_length_reserves_the_quota_left_and_gives_back_the_rest() {
    let live = Live::start(Limits::default(), Some(1_000_000)).await;
    let quota = async || get_json(&live, "/api/v1/quota").await;
    let url = ietf_create(&live, "/h.bin", &[]).await;
    assert_eq!(quota().await["reserved"], 1_000_000);
    let r = live.req("HEAD", &url).send().await.unwrap();
    assert_eq!(header(&r, "upload-length"), None);
    let file = data(5000, 3);
    let r = ietf_patch(&live, &url, 0, false, &file[..2000]).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = ietf_patch(&live, &url, 2000, true, &file[2000..]).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{r:?}");
    assert_eq!(live.file("h.bin").unwrap(), file);
    let q = quota().await;
    assert_eq!(
        (q["reserved"].as_u64(), q["used"].as_u64()),
        (Some(0), Some(5000))
    );
}

#[tokio::test]
async fn interop_versions_5_to_8_are_spoken_and_6_on_need_partial_upload() {
    let live = Live::start(Limits::default(), None).await;
    let r = live
        .req("POST", "/api/v1/resumable/?path=/i.bin")
        .header("upload-complete", "?0")
        .header("upload-draft-interop-version", "3")
        .send()
        .await
        .unwrap();
    problem(r, 400, "interop_version_unsupported").await;
    let url = ietf_create(
        &live,
        "/i.bin",
        &[("upload-draft-interop-version", "5".into())],
    )
    .await;
    let plain = |offset: &str, version: &str| {
        live.req("PATCH", &url)
            .header("upload-draft-interop-version", version)
            .header("upload-offset", offset)
            .header("upload-complete", "?0")
            .body("abc")
    };
    let r = plain("0", "5").send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::NO_CONTENT,
        "draft-03 has no media type"
    );
    let r = plain("3", "6").send().await.unwrap();
    problem(r, 415, "unsupported_media_type").await;
}

#[tokio::test]
async fn a_put_with_upload_complete_becomes_a_resumable_upload_finished_with_content_range() {
    let live = Live::start(Limits::default(), None).await;
    let file = data(64_000, 4);
    let r = live
        .req("PUT", "/api/v1/files/j.bin")
        .header("upload-complete", "?0")
        .header("upload-length", "64000")
        .body(file[..10_000].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{r:?}");
    assert_eq!(header(&r, "upload-offset"), Some("10000"));
    let id = header(&r, "location")
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    // Listed with the rest, and finished in another spelling.
    let list = get_json(&live, "/api/v1/uploads").await;
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["offset"], 10_000);
    let url = format!("/api/v1/uploads/{id}");
    let r = content_range_put(&live, &url, 10_000, 64_000, &file[10_000..]).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{r:?}");
    assert_eq!(live.file("j.bin").unwrap(), file);
}

#[tokio::test]
async fn over_the_append_cap_is_413_with_upload_limit_before_any_body_is_read() {
    let live = Live::start(
        Limits {
            max_chunk: Some(1000),
            ..Limits::default()
        },
        None,
    )
    .await;
    let url = ietf_create(&live, "/k.bin", &[("upload-length", "5000".into())]).await;
    let r = live.req("HEAD", &url).send().await.unwrap();
    assert!(
        header(&r, "upload-limit")
            .unwrap()
            .contains("max-append-size=1000")
    );
    // `Expect: 100-continue`: the refusal comes instead of `100 Continue`.
    let head = ietf_patch_head(&url, 0, false, 2000) + "\r\nexpect: 100-continue";
    let mut s = live.raw(&head, b"").await;
    let answer = crate::live::read_some(&mut s, std::time::Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("upload-limit: max-append-size=1000"),
        "{answer}"
    );
    assert!(answer.contains("chunk_too_large"), "{answer}");
    let r = ietf_patch(&live, &url, 0, false, &[7u8; 1000]).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn cancellation_deletes_the_upload() {
    let live = Live::start(Limits::default(), None).await;
    let url = ietf_create(&live, "/l.bin", &[("upload-length", "10".into())]).await;
    let r = live.req("DELETE", &url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = live.req("HEAD", &url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
