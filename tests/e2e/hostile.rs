//! Hostile frames and paths get their codes; the server keeps serving a normal client.

use ferry_proto::Request;
use serde_json::json;

use crate::support::{Raw, Server, code, hello_json};

fn healthy(server: &Server) {
    let mut r = Raw::logged_in(server.addr);
    let h = r.request(Request::Pwd);
    assert_eq!(h["cwd"], "/", "a normal client keeps working: {h:?}");
}

#[test]
fn framing_errors_get_their_code_and_a_close() {
    let server = Server::start(&[]);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (0xFFFF_FFFFu32.to_be_bytes().to_vec(), "frame_too_large"),
        (65537u32.to_be_bytes().to_vec(), "frame_too_large"),
        (0u32.to_be_bytes().to_vec(), "malformed_frame"),
        (
            [&5u32.to_be_bytes()[..], b"{nope"].concat(),
            "malformed_frame",
        ),
        ([&2u32.to_be_bytes()[..], b"[]"].concat(), "malformed_frame"),
        (
            [&2u32.to_be_bytes()[..], &[0xC3, 0x28]].concat(),
            "malformed_frame",
        ),
        (
            [&15u32.to_be_bytes()[..], b"{\"len\":2000000}"].concat(),
            "payload_too_large",
        ),
    ];
    for (bytes, expected) in cases {
        let mut r = Raw::connect(server.addr);
        r.send_bytes(&bytes);
        let f = r.recv().expect("an error frame before the close");
        assert_eq!(code(&f.header), expected, "{bytes:02x?}");
        assert!(
            r.is_closed(),
            "the stream cannot be trusted any more: {expected}"
        );
        healthy(&server);
    }
}

#[test]
fn oversized_frames_are_refused_after_login_too() {
    let server = Server::start(&[]);
    let mut r = Raw::logged_in(server.addr);
    r.send_bytes(&0x7FFF_FFFFu32.to_be_bytes());
    assert_eq!(code(&r.recv().unwrap().header), "frame_too_large");
    assert!(r.is_closed());
    healthy(&server);
}

#[test]
fn protocol_misuse_gets_specific_codes_and_the_connection_stays() {
    let server = Server::start(&[]);
    let mut r = Raw::connect(server.addr);
    r.send(json!({"op": "ls"}), &[]);
    assert_eq!(
        code(&r.recv().unwrap().header),
        "bad_request",
        "hello comes first"
    );
    assert!(r.is_closed());

    let mut r = Raw::connect(server.addr);
    r.send(json!({"op": "hello", "version": 99}), &[]);
    assert_eq!(code(&r.recv().unwrap().header), "unsupported_version");

    let mut r = Raw::connect(server.addr);
    r.send(hello_json(), &[]);
    r.recv().unwrap();
    assert_eq!(code(&r.request(Request::Pwd)), "not_authenticated");
    assert_eq!(code(&r.login("admin", "wrong")), "auth_failed");
    assert_eq!(
        code(&r.login("nobody", "wrong")),
        "auth_failed",
        "unknown user looks the same"
    );

    let mut r = Raw::logged_in(server.addr);
    r.send(json!({"op": "format_disk"}), &[]);
    assert_eq!(code(&r.recv().unwrap().header), "unknown_op");
    r.send(json!({"op": "ls", "path": 5}), &[]);
    assert_eq!(code(&r.recv().unwrap().header), "bad_request");
    r.send(json!({"op": "ls", "bogus": true}), &[]);
    assert_eq!(code(&r.recv().unwrap().header), "bad_request");
    r.send(json!({"op": "pwd"}), b"unexpected payload");
    assert_eq!(code(&r.recv().unwrap().header), "bad_request");
    assert_eq!(
        r.request(Request::Pwd)["cwd"],
        "/",
        "still usable after bad requests"
    );
}

#[test]
fn paths_leaving_the_home_are_refused_by_every_spelling() {
    let server = Server::start(&[]);
    let mut r = Raw::logged_in(server.addr);
    let outside = [
        "..",
        "../",
        "/..",
        "../../etc/passwd",
        "a/../../x",
        "./../admin",
        "/../../../../etc",
    ];
    for p in outside {
        let h = r.request(Request::Stat {
            path: p.into(),
            digest: false,
        });
        assert_eq!(code(&h), "path_outside_home", "{p}");
        let h = r.request(Request::Cd { path: p.into() });
        assert_eq!(code(&h), "path_outside_home", "cd {p}");
    }
    for p in ["a\0b", "..\\..\\etc", "x\x1b[2J", &"n".repeat(300)] {
        let h = r.request(Request::Stat {
            path: p.into(),
            digest: false,
        });
        assert_eq!(code(&h), "invalid_path", "{p:?}");
    }
    // A symlink planted in the home (e.g. by another tool) still cannot be followed out.
    std::os::unix::fs::symlink("/etc", server.home("admin").join("etc")).unwrap();
    let h = r.request(Request::Get {
        path: "etc/passwd".into(),
        offset: 0,
    });
    assert_eq!(code(&h), "path_outside_home");
    let h = r.request(Request::UploadCreate {
        path: "etc/x".into(),
        size: 1,
        md5: None,
        overwrite: false,
        parents: true,
    });
    assert_eq!(code(&h), "path_outside_home");
    assert_eq!(r.request(Request::Pwd)["cwd"], "/");
    healthy(&server);
}

#[test]
fn wrong_offsets_checksums_and_crcs_get_codes_and_commit_nothing() {
    let server = Server::start(&[]);
    let mut r = Raw::logged_in(server.addr);
    let h = r.request(Request::UploadCreate {
        path: "f".into(),
        size: 10,
        md5: None,
        overwrite: false,
        parents: true,
    });
    let id = h["upload"]["id"].as_str().unwrap().to_string();
    let crc = |b: &[u8]| crc32c::crc32c(b);
    // An empty chunk is not a chunk (PROTOCOL §9.3: 1 to 1048576 bytes).
    r.send(
        json!({"op": "upload_write", "id": id, "offset": 0, "crc32c": 0}),
        b"",
    );
    assert_eq!(code(&r.recv().unwrap().header), "bad_request");
    r.send(
        json!({"op": "upload_write", "id": id, "offset": 0, "crc32c": crc(b"hello")}),
        b"hello",
    );
    assert_eq!(r.recv().unwrap().header["offset"], 5);
    r.send(
        json!({"op": "upload_write", "id": id, "offset": 3, "crc32c": crc(b"world")}),
        b"world",
    );
    let h = r.recv().unwrap().header;
    assert_eq!(
        (code(&h), h["offset"].as_u64()),
        ("offset_mismatch", Some(5))
    );
    r.send(
        json!({"op": "upload_write", "id": id, "offset": 5, "crc32c": crc(b"world") ^ 1}),
        b"world",
    );
    assert_eq!(code(&r.recv().unwrap().header), "chunk_checksum_mismatch");
    r.send(
        json!({"op": "upload_write", "id": id, "offset": 5, "crc32c": crc(b"world!")}),
        b"world!",
    );
    assert_eq!(code(&r.recv().unwrap().header), "size_exceeded");
    r.send(
        json!({"op": "upload_write", "id": id, "offset": 5, "crc32c": crc(b"world")}),
        b"world",
    );
    assert_eq!(r.recv().unwrap().header["offset"], 10);
    let h = r.request(Request::UploadFinish {
        id: id.clone(),
        md5: Some("0".repeat(32)),
    });
    assert_eq!(code(&h), "checksum_mismatch");
    assert!(!server.home("admin").join("f").exists());
    let h = r.request(Request::UploadStatus { id });
    assert_eq!(code(&h), "upload_not_found");
    assert_eq!(
        std::fs::read_dir(server.home("admin")).unwrap().count(),
        0,
        "no stray files"
    );
}

#[test]
fn a_client_dribbling_a_frame_is_cut_off_while_others_are_served() {
    let server = Server::start(&["--frame-timeout", "1", "--login-timeout", "3"]);
    let mut slow = Raw::connect(server.addr);
    slow.send_bytes(&[0, 0]);
    healthy(&server);
    let f = slow.recv().expect("a timeout frame");
    assert_eq!(code(&f.header), "timeout");
    assert!(slow.is_closed());

    let mut silent = Raw::connect(server.addr);
    silent.send(hello_json(), &[]);
    silent.recv().unwrap();
    let f = silent
        .recv()
        .expect("the login deadline closes a connection that never logs in");
    assert_eq!(code(&f.header), "timeout");
    assert!(silent.is_closed());
}

#[test]
fn too_many_unauthenticated_connections_are_refused_but_logged_in_users_are_not() {
    let server = Server::start(&["--max-unauthenticated", "2", "--login-timeout", "5"]);
    let mut user = Raw::logged_in(server.addr);
    let _a = Raw::connect(server.addr);
    let _b = Raw::connect(server.addr);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let mut c = Raw::connect(server.addr);
    assert_eq!(code(&c.recv().unwrap().header), "limit_reached");
    assert_eq!(user.request(Request::Pwd)["cwd"], "/");
}

#[test]
fn huge_folders_of_long_names_list_in_pages_that_fit_a_frame() {
    let server = Server::start(&[]);
    let dir = server.home("admin").join("many");
    std::fs::create_dir(&dir).unwrap();
    for i in 0..1500 {
        std::fs::write(dir.join(format!("{i:05}{}", "n".repeat(245))), b"").unwrap();
    }
    let mut r = Raw::logged_in(server.addr);
    let (mut seen, mut after, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let h = r.request(Request::Ls {
            path: Some("many".into()),
            after: after.clone(),
            limit: None,
        });
        assert_eq!(h["status"], "ok", "{}", code(&h));
        let names: Vec<String> = h["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect();
        seen.extend(names);
        pages += 1;
        match h["next"].as_str() {
            Some(n) => after = Some(n.to_string()),
            None => break,
        }
    }
    assert!(pages > 1);
    assert_eq!(seen.len(), 1500);
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "sorted, no duplicates across pages"
    );
}
