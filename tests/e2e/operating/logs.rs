//! The server's log through the real binary: a JSON line per HTTP request and TCP operation
//! and per audited change, each with time, level, node, door, user, source and (HTTP) request
//! id; no escape codes when stderr is not a terminal; client-chosen text cannot forge a line;
//! a client leaving mid-upload is an info line; access lines can be turned off.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use super::{basic, config_file, http};
use crate::support::{
    PASSWORD, Server, free_port, ok, random_file_in, spawn_slow_put, user, wait_for,
};

/// A server whose stderr is collected, at log level info, with `args` added.
fn logging_server(data: &Path, args: &[&str]) -> Server {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    Server::start_collecting_stderr(data, free_port(), move |cmd| {
        cmd.args(&args)
            .env("FERRY_LOG", "info")
            .env_remove("NO_COLOR")
            .env_remove("FERRY_LOG_FORMAT");
    })
}

/// Every stderr line as JSON (each must be one object).
fn json_lines(server: &Server) -> Vec<Value> {
    server
        .stderr()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l:?}")))
        .collect()
}

/// Waits for a JSON line with all of `fields`, and returns it.
fn wait_line(server: &Server, fields: &[(&str, Value)]) -> Value {
    let matches = |l: &Value| fields.iter().all(|(k, v)| l.get(*k) == Some(v));
    wait_for(10, &format!("a log line with {fields:?}"), || {
        json_lines(server).iter().any(matches)
    });
    json_lines(server).into_iter().find(matches).unwrap()
}

/// Asserts the fields every access and audit line carries.
fn has_context(line: &Value, door: &str) {
    for key in ["time", "level", "node", "user", "source"] {
        assert!(line.get(key).is_some(), "no {key} in {line}");
    }
    assert_eq!(line["door"], door, "{line}");
    assert_eq!(line["user"], "admin", "{line}");
    assert_eq!(line["source"], "127.0.0.1", "{line}");
    assert_eq!(line["level"], "INFO", "{line}");
    assert!(
        line["node"].as_str().unwrap().starts_with("ferry-"),
        "{line}"
    );
}

#[test]
fn json_log_has_a_line_per_request_and_per_audited_change() {
    let tmp = tempfile::tempdir().unwrap();
    let server = logging_server(&tmp.path().join("data"), &["--log-format", "json"]);
    let auth = basic("admin", PASSWORD);

    let (status, _) = http(server.http, "GET", "/api/v1/quota", &auth, b"");
    assert_eq!(status, 200);
    let line = wait_line(
        &server,
        &[
            ("target", "ferry::access".into()),
            ("route", "/api/v1/quota".into()),
        ],
    );
    has_context(&line, "http");
    assert_eq!(line["method"], "GET");
    assert_eq!(line["status"], 200);
    assert!(line["bytes_out"].as_u64().unwrap() > 0, "{line}");
    assert!(
        line["duration_ms"].is_u64() && line["bytes_in"].is_u64(),
        "{line}"
    );
    assert!(line["request_id"].is_string(), "{line}");

    // Changes through the HTTP door: mkdir, login (a real password check), logout.
    let (status, _) = http(server.http, "POST", "/api/v1/dirs/inbox", &auth, b"");
    assert_eq!(status, 201);
    let mkdir = wait_line(&server, &[("action", "mkdir".into())]);
    has_context(&mkdir, "http");
    assert_eq!(mkdir["path"], "/inbox");
    assert_eq!(mkdir["target"], "ferry::audit");
    let body = format!(r#"{{"username":"admin","password":"{PASSWORD}"}}"#);
    let (status, answer) = http(server.http, "POST", "/api/v1/login", "x", body.as_bytes());
    assert_eq!(status, 200, "{answer}");
    let token = serde_json::from_str::<Value>(&answer).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let bearer = format!("Bearer {token}");
    assert_eq!(
        http(server.http, "POST", "/api/v1/logout", &bearer, b"").0,
        204
    );
    has_context(&wait_line(&server, &[("action", "logout".into())]), "http");

    // Changes through the TCP door: upload, move, delete; each operation has an access line.
    let local = random_file_in(tmp.path(), "a.bin", 100_000, 7);
    ok(&server.cli(&["put", local.to_str().unwrap(), "/inbox/a.bin"]));
    ok(&server.cli(&["mv", "/inbox/a.bin", "/inbox/b.bin"]));
    ok(&server.cli(&["rm", "/inbox/b.bin"]));
    let upload = wait_line(&server, &[("action", "upload".into())]);
    has_context(&upload, "tcp");
    assert_eq!(upload["path"], "/inbox/a.bin");
    assert_eq!(upload["bytes"], 100_000);
    let moved = wait_line(&server, &[("action", "move".into())]);
    has_context(&moved, "tcp");
    assert_eq!(
        (&moved["from"], &moved["to"]),
        (&"/inbox/a.bin".into(), &"/inbox/b.bin".into())
    );
    has_context(&wait_line(&server, &[("action", "delete".into())]), "tcp");
    let login = wait_line(
        &server,
        &[("action", "login".into()), ("door", "tcp".into())],
    );
    assert_eq!(login["result"], "ok");
    let op = wait_line(
        &server,
        &[("target", "ferry::access".into()), ("op", "mv".into())],
    );
    has_context(&op, "tcp");
    assert_eq!(op["result"], "ok");

    // An account change made with `ferry user` is audited by that command.
    let out = user(&server.data, &["set", "admin", "--quota", "10GiB"], "");
    ok(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ferry::audit") && err.contains("account_quota"),
        "{err}"
    );
}

#[test]
fn exec_is_audited_with_its_argv_and_exit() {
    let tmp = tempfile::tempdir().unwrap();
    let server = logging_server(&tmp.path().join("data"), &["--log-format", "json"]);
    ok(&user(
        &server.data,
        &["set", "admin", "--exec", "allow:echo"],
        "",
    ));
    let out = server.cli(&["exec", "--", "echo", "a\nforged"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "a\nforged\n");
    let line = wait_line(&server, &[("action", "exec".into())]);
    has_context(&line, "tcp");
    assert_eq!(line["exit_code"], 0, "{line}");
    assert!(line["duration_ms"].is_u64(), "{line}");
    assert!(
        line["argv"]
            .as_str()
            .unwrap()
            .contains(r#""echo", "a\nforged""#),
        "{line}"
    );
}

#[test]
fn a_text_log_to_a_pipe_has_no_escape_codes_and_user_text_cannot_forge_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let server = logging_server(&tmp.path().join("data"), &[]);
    // A user name with a newline and an escape sequence, in Basic credentials.
    let forged = "mallory\n2026-01-01T00:00:00Z  INFO ferry::audit: action=\"delete\" \x1b[31m";
    let (status, _) = http(
        server.http,
        "GET",
        "/api/v1/quota",
        &basic(forged, "x"),
        b"",
    );
    assert_eq!(status, 401);
    let (status, _) = http(
        server.http,
        "GET",
        "/api/v1/quota",
        &basic("admin", PASSWORD),
        b"",
    );
    assert_eq!(status, 200);
    wait_for(10, "the access lines", || {
        server
            .stderr()
            .iter()
            .filter(|l| l.contains("ferry::access"))
            .count()
            >= 2
    });
    let lines = server.stderr();
    assert!(
        lines.iter().all(|l| !l.contains('\x1b')),
        "escape codes in a redirected log: {lines:#?}"
    );
    assert!(
        lines.iter().all(|l| !l.starts_with("2026-01-01T00:00:00Z")),
        "a forged line: {lines:#?}"
    );
    let failed = lines
        .iter()
        .find(|l| l.contains("auth_failed"))
        .unwrap_or_else(|| panic!("{lines:#?}"));
    assert!(failed.contains(r#"mallory\n2026"#), "{failed}");
}

#[test]
fn a_client_leaving_mid_upload_is_an_info_line_with_the_bytes_kept() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let server = logging_server(&tmp.path().join("data"), &["--log-format", "json"]);
    let auth = basic("admin", PASSWORD);
    let (status, answer) = http(
        server.http,
        "POST",
        "/api/v1/uploads",
        &auth,
        br#"{"path": "/big.bin", "size": 4000000}"#,
    );
    assert_eq!(status, 201, "{answer}");
    let id = serde_json::from_str::<Value>(&answer).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut s = std::net::TcpStream::connect(server.http).unwrap();
    write!(
        s,
        "PUT /api/v1/uploads/{id} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\
         Content-Range: bytes 0-3999999/4000000\r\nContent-Length: 4000000\r\n\r\n"
    )
    .unwrap();
    s.write_all(&vec![7u8; 1_000_000]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    drop(s);
    let line = wait_line(
        &server,
        &[("message", "client disconnected mid-upload".into())],
    );
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["bytes_kept"], line["bytes_received"], "{line}");
    assert!(line["bytes_kept"].as_u64().unwrap() > 0, "{line}");
    assert_eq!(line["door"], "http");

    // Through the TCP door: the client is killed mid-transfer. The upload's writer is closed
    // when the connection's session ends, and says how many bytes it keeps (`offset`).
    let local = random_file_in(tmp.path(), "slow.bin", 64 << 20, 3);
    let mut put = spawn_slow_put(&server, &local, "/slow.bin", 0);
    wait_for(20, "some bytes staged", || server.staging_bytes() > 1 << 20);
    put.kill().unwrap();
    put.wait().unwrap();
    let line = wait_line(
        &server,
        &[
            ("message", "upload".into()),
            ("path", "/slow.bin".into()),
            ("result", "paused".into()),
        ],
    );
    assert_eq!(line["level"], "INFO");
    assert!(line["offset"].as_u64().unwrap() > 0, "{line}");
    let bad: Vec<Value> = json_lines(&server)
        .into_iter()
        .filter(|l| l["level"] == "ERROR" || l["level"] == "WARN")
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn access_lines_can_be_turned_off_in_the_config_file_and_audit_lines_stay() {
    let tmp = tempfile::tempdir().unwrap();
    let file = config_file(tmp.path(), "log-format = \"json\"\nno-access-log = true\n");
    let config = file.to_str().unwrap().to_string();
    let server = logging_server(&tmp.path().join("data"), &["--config", &config]);
    let auth = basic("admin", PASSWORD);
    assert_eq!(
        http(server.http, "POST", "/api/v1/dirs/x", &auth, b"").0,
        201
    );
    ok(&server.cli(&["mkdir", "/y"]));
    wait_line(
        &server,
        &[("action", "mkdir".into()), ("path", "/y".into())],
    );
    let lines = json_lines(&server);
    assert!(
        lines.iter().all(|l| l["target"] != "ferry::access"),
        "{lines:#?}"
    );
    assert!(lines.iter().any(|l| l["path"] == "/x"), "{lines:#?}");
}
