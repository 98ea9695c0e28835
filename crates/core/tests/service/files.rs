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
