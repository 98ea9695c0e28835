//! A client pointed at something that does not speak Ferry's protocol says what it found there
//! in words, instead of a frame length read from someone else's bytes.

use crate::support::{Server, fails_with};

#[test]
fn a_client_pointed_at_the_http_door_says_it_found_http() {
    let server = Server::start(&[]);
    let out = server
        .cli_cmd(&["ls"])
        .env("FERRY_SERVER", server.http.to_string())
        .output()
        .unwrap();
    let err = fails_with(&out, "protocol_error");
    assert!(err.contains("speaks HTTP"), "{err}");
    assert!(err.contains("TCP door"), "{err}");
    assert!(!err.contains("1213486160"), "{err}");
}
