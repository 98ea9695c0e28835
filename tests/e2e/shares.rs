//! `ferry share`, `ferry shares`, `ferry unshare` through the real binary, and the links they
//! print opened over the HTTP door without an account.

use serde_json::Value;

use crate::http_client::Http;
use crate::support::{Server, ok, output_with_stdin, random_file_in};

#[test]
fn ferry_share_prints_a_link_that_downloads_until_unshared() {
    let server = Server::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let local = random_file_in(tmp.path(), "report.bin", 70_000, 5);
    ok(&server.cli(&["put", local.to_str().unwrap(), "/report.bin"]));
    let base = format!("http://{}", server.http);
    let link = ok(&server.cli(&["share", "/report.bin", "--expires", "7d", "--base", &base]));
    let link = link.trim();
    assert!(link.starts_with(&format!("{base}/s/")), "{link}");
    let id = link.rsplit('/').next().unwrap().to_string();

    let http = Http::new(&server, "admin", "unused");
    let r = http.without_basic(
        "GET",
        &format!("/s/{id}/download"),
        &[("range", "bytes=10-19".into())],
    );
    assert_eq!(r.status, 206, "{r:?}");
    assert_eq!(r.body, std::fs::read(&local).unwrap()[10..20]);

    let listed: Value = serde_json::from_str(&ok(&server.cli(&["shares", "--json"]))).unwrap();
    assert_eq!(listed["shares"][0]["id"], id.as_str());
    assert!(listed["shares"][0]["expires"].as_i64().unwrap() > 0);

    ok(&server.cli(&["unshare", &id]));
    let r = http.without_basic("GET", &format!("/s/{id}/download"), &[]);
    assert_eq!(
        (r.status, r.code().as_str()),
        (410, "share_revoked"),
        "{r:?}"
    );
}

#[test]
fn ferry_share_password_reads_it_and_the_link_needs_it() {
    let server = Server::start(&[]);
    ok(&server.cli(&["mkdir", "/inbox"]));
    let mut cmd = server.cli_cmd(&["share", "/inbox", "--password", "--upload"]);
    let out = output_with_stdin(&mut cmd, b"drop it here\n");
    let id = ok(&out).trim().trim_start_matches("/s/").to_string();
    let http = Http::new(&server, "admin", "unused");
    let r = http.without_basic("GET", &format!("/s/{id}/list"), &[]);
    assert_eq!(
        (r.status, r.code().as_str()),
        (401, "share_password_required")
    );
    let basic = format!("Basic {}", base64_of(":drop it here"));
    let r = http.without_basic("GET", &format!("/s/{id}/list"), &[("authorization", basic)]);
    assert_eq!(r.status, 200, "{r:?}");
}

fn base64_of(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}
