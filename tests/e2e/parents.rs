//! Uploads create missing parent folders by default on both doors, as `mkdir -p`, and refuse
//! them when asked (`parents: false` on TCP, `?parents=false` over HTTP) with the same code.

use ferry_proto::Request;
use serde_json::json;

use crate::http_client::Http;
use crate::support::{PASSWORD, Raw, Server, code, fails_with, ok, random_file_in};

fn create(path: &str, parents: bool) -> Request {
    Request::UploadCreate {
        path: path.into(),
        size: 3,
        md5: None,
        overwrite: false,
        parents,
    }
}

#[test]
fn both_doors_create_missing_folders_unless_told_not_to() {
    let server = Server::start(&[]);
    let http = Http::new(&server, "admin", PASSWORD);
    let mut raw = Raw::logged_in(server.addr);

    assert_eq!(
        code(&raw.request(create("/t/a/b/x.bin", false))),
        "not_found"
    );
    assert!(!server.home("admin").join("t").exists());
    assert_eq!(code(&raw.request(create("/t/a/b/x.bin", true))), "<none>");
    assert!(server.home("admin").join("t/a/b").is_dir());

    let put = |path: &str| http.send("PUT", path, &[], Some(b"abc".to_vec()));
    let r = put("/api/v1/files/h/a/b/x.bin?parents=false");
    assert_eq!(
        (r.status, r.code()),
        (404, "not_found".to_string()),
        "{r:?}"
    );
    assert!(!server.home("admin").join("h").exists());
    let r = put("/api/v1/files/h/a/b/x.bin");
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(
        std::fs::read(server.home("admin").join("h/a/b/x.bin")).unwrap(),
        b"abc"
    );

    let doc = json!({"path": "/u/a/x.bin", "size": 3});
    let r = http.json("POST", "/api/v1/uploads?parents=false", doc.clone());
    assert_eq!(
        (r.status, r.code()),
        (404, "not_found".to_string()),
        "{r:?}"
    );
    let r = http.json("POST", "/api/v1/uploads", doc);
    assert_eq!(r.status, 201, "{r:?}");
    assert!(server.home("admin").join("u/a").is_dir());

    // A file in the way is a file in the way, whatever the option says.
    assert_eq!(
        code(&raw.request(create("/h/a/b/x.bin/y", true))),
        "not_a_directory"
    );
}

#[test]
fn the_readme_put_into_a_new_folder_works_and_no_parents_refuses() {
    let server = Server::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let movie = random_file_in(tmp.path(), "movie.mkv", 70_000, 3);
    let movie = movie.to_str().unwrap();
    fails_with(
        &server.cli(&["put", "--no-parents", movie, "/films/"]),
        "not_found",
    );
    let out = ok(&server.cli(&["put", movie, "/videos/"]));
    assert!(
        out.starts_with("put ") && out.contains("-> /videos/movie.mkv: "),
        "{out}"
    );
    assert_eq!(
        server.md5_of("admin", "videos/movie.mkv"),
        crate::support::md5_file(std::path::Path::new(movie))
    );
}
