//! The zip of a folder or of a selection of its entries (`GET /api/v1/files/DIR?zip=true`),
//! read back with a zip reader; every refusal with its code.

use futures::AsyncReadExt as _;
use http::StatusCode;

use crate::support::{Reply, TestApp, authed, empty};

/// `/docs/{a.txt, sub/b.bin, sub/deep/c.txt}`, `/top.txt`, `/other/x.txt`.
async fn tree(app: &TestApp) {
    app.put("docs/a.txt", b"alpha").await;
    app.put("docs/sub/b.bin", &[7u8; 70_000]).await;
    app.put("docs/sub/deep/c.txt", b"gamma").await;
    app.put("top.txt", b"top").await;
    app.put("other/x.txt", b"not selected").await;
}

/// The archive's entries: name and bytes (folders end in `/` and are empty). async_zip
/// 0.0.19 marks its in-memory reader deprecated in favour of its new `read1` module;
/// it still reads the central directory, which is all a test of the archive needs.
#[allow(deprecated)]
async fn unzip(body: &[u8]) -> Vec<(String, Vec<u8>)> {
    let zip = async_zip::base::read::mem::ZipFileReader::new(body.to_vec())
        .await
        .expect("a whole zip with its central directory");
    let mut out = Vec::new();
    for i in 0..zip.file().entries().len() {
        let name = zip.file().entries()[i]
            .filename()
            .as_str()
            .unwrap()
            .to_string();
        let mut bytes = Vec::new();
        let mut reader = zip.reader_without_entry(i).await.unwrap();
        reader.read_to_end(&mut bytes).await.unwrap();
        out.push((name, bytes));
    }
    out
}

async fn get(app: &TestApp, uri: &str) -> Reply {
    app.send(empty(authed("GET", uri))).await
}

fn names(entries: &[(String, Vec<u8>)]) -> Vec<&str> {
    entries.iter().map(|(n, _)| n.as_str()).collect()
}

#[tokio::test]
async fn a_folder_downloads_as_one_zip_of_everything_in_it() {
    let app = TestApp::new().await;
    tree(&app).await;
    let r = get(&app, "/api/v1/files/docs?zip=true").await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    let disposition = r.header("content-disposition").unwrap();
    assert!(disposition.starts_with("attachment") && disposition.contains("docs.zip"));
    assert_eq!(r.header("content-security-policy"), Some("sandbox"));
    assert_eq!(r.header("content-length"), None, "streamed as it is made");
    let entries = unzip(&r.body).await;
    assert_eq!(
        names(&entries),
        ["a.txt", "sub/", "sub/b.bin", "sub/deep/", "sub/deep/c.txt"]
    );
    assert_eq!(entries[0].1, b"alpha");
    assert_eq!(entries[2].1, vec![7u8; 70_000]);

    let head = app
        .send(empty(authed("HEAD", "/api/v1/files/docs?zip=true")))
        .await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
}

#[tokio::test]
async fn a_selection_zips_only_the_named_entries_with_folders_whole() {
    let app = TestApp::new().await;
    tree(&app).await;
    let r = get(
        &app,
        "/api/v1/files/docs?zip=true&name=sub&name=a.txt&name=sub",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let entries = unzip(&r.body).await;
    assert_eq!(
        names(&entries),
        ["sub/", "sub/b.bin", "sub/deep/", "sub/deep/c.txt", "a.txt"]
    );

    // The home: its own route, named after the user.
    let r = get(&app, "/api/v1/files/?zip=true&name=top.txt&name=docs").await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert!(
        r.header("content-disposition")
            .unwrap()
            .contains("alice.zip")
    );
    let entries = unzip(&r.body).await;
    assert_eq!(entries[0], ("top.txt".to_string(), b"top".to_vec()));
    assert_eq!(entries.len(), 1 + 6, "top.txt, docs/ and its five entries");
    assert!(!names(&entries).iter().any(|n| n.contains("other")));
}

#[tokio::test]
async fn zip_requests_that_leave_the_folder_or_name_nothing_are_refused() {
    let app = TestApp::new().await;
    tree(&app).await;
    std::os::unix::fs::symlink("/etc", app.home().join("docs/escape")).unwrap();
    let cases: &[(&str, u16, &str)] = &[
        (
            "/api/v1/files/docs?zip=true&name=..",
            403,
            "path_outside_home",
        ),
        (
            "/api/v1/files/docs?zip=true&name=.",
            403,
            "path_outside_home",
        ),
        (
            "/api/v1/files/docs?zip=true&name=sub%2F..%2F..%2Fother",
            400,
            "invalid_path",
        ),
        ("/api/v1/files/docs?zip=true&name=", 400, "invalid_path"),
        ("/api/v1/files/docs?zip=true&name=missing", 404, "not_found"),
        (
            "/api/v1/files/docs?zip=true&name=escape",
            403,
            "path_outside_home",
        ),
        ("/api/v1/files/docs/a.txt?zip=true", 409, "not_a_directory"),
        (
            "/api/v1/files/..%2F..%2Fetc?zip=true",
            403,
            "path_outside_home",
        ),
        ("/api/v1/files/docs?name=a.txt", 409, "is_a_directory"),
        ("/api/v1/files/docs?zip=yes", 400, "bad_request"),
        ("/api/v1/files/", 409, "is_a_directory"),
    ];
    for (uri, status, code) in cases {
        get(&app, uri).await.assert_problem(*status, code);
    }
    // `zip` wins over `inline`: a zip is never shown.
    let r = get(&app, "/api/v1/files/docs?zip=true&inline=true").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.header("content-disposition")
            .unwrap()
            .starts_with("attachment")
    );
    // A symlink inside the folder is left out of a whole-folder zip.
    let r = get(&app, "/api/v1/files/docs?zip=true").await;
    assert!(
        !names(&unzip(&r.body).await)
            .iter()
            .any(|n| n.contains("escape"))
    );
}
