//! `ferry user …` on the data folder of a running server: every change reaches the server at
//! the next login, without a restart.

use std::path::Path;

use serde_json::Value;

use crate::support::{
    PASSWORD, Raw, Server, code, entry_names, fails_with, md5_file, ok, random_file_in, user,
};

const BOB: &str = "bob's first password";
const BOB_NEW: &str = "bob's second password";

fn add_bob(server: &Server, quota: &[&str]) {
    let mut args = vec!["add", "bob", "--password-stdin"];
    args.extend_from_slice(quota);
    ok(&user(&server.data, &args, &format!("{BOB}\n")));
}

/// Changes bob's password offline with `ferry user passwd`, the password on stdin.
fn set_bob_password(server: &Server, password: &str) {
    let args = ["passwd", "bob", "--password-stdin"];
    ok(&user(&server.data, &args, &format!("{password}\n")));
}

/// The login's answer code on a fresh connection (`ok` on success).
fn login_code(server: &Server, name: &str, password: &str) -> String {
    let mut r = Raw::connect(server.addr);
    r.hello();
    let h = r.login(name, password);
    if h["status"] == "ok" {
        "ok".into()
    } else {
        code(&h).into()
    }
}

#[test]
fn a_user_added_to_a_running_server_logs_in_at_once_into_a_separate_home_with_its_quota() {
    let server = Server::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let small = random_file_in(tmp.path(), "small", 1000, 1);
    ok(&server.cli(&["put", small.to_str().unwrap(), "/admins.bin"]));

    add_bob(&server, &["--quota", "1MiB"]);
    assert_eq!(login_code(&server, "bob", BOB), "ok");
    ok(&server.cli_as("bob", BOB, &["put", small.to_str().unwrap(), "/bobs.bin"]));
    let bob_sees = ok(&server.cli_as("bob", BOB, &["ls", "--json", "/"]));
    assert_eq!(entry_names(&bob_sees), ["bobs.bin"]);
    assert_eq!(
        entry_names(&ok(&server.cli(&["ls", "--json", "/"]))),
        ["admins.bin"]
    );
    let stolen = tmp.path().join("stolen");
    fails_with(
        &server.cli_as(
            "bob",
            BOB,
            &["get", "/admins.bin", stolen.to_str().unwrap()],
        ),
        "not_found",
    );
    assert!(!stolen.exists());

    let quota: Value =
        serde_json::from_str(&ok(&server.cli_as("bob", BOB, &["quota", "--json"]))).unwrap();
    assert_eq!(quota["limit"], 1_048_576, "{quota}");
    assert_eq!(quota["used"], 1000, "{quota}");

    let big = random_file_in(tmp.path(), "big", 2 * 1024 * 1024, 2);
    let refused = server.cli_as("bob", BOB, &["put", big.to_str().unwrap(), "/big.bin"]);
    fails_with(&refused, "quota_exceeded");
    assert_eq!(
        entry_names(&ok(&server.cli_as("bob", BOB, &["ls", "--json", "/"]))),
        ["bobs.bin"]
    );
    assert!(!server.home("bob").join("big.bin").exists());
    let mut r = Raw::connect(server.addr);
    r.hello();
    assert_eq!(r.login("bob", BOB)["status"], "ok");
    let h = r.request(ferry_proto::Request::UploadList);
    assert_eq!(h["uploads"], serde_json::json!([]), "no upload left behind");

    // Lifting the quota on the live server lets the same upload through.
    ok(&user(&server.data, &["set", "bob", "--quota", "none"], ""));
    ok(&server.cli_as("bob", BOB, &["put", big.to_str().unwrap(), "/big.bin"]));
    assert_eq!(server.md5_of("bob", "big.bin"), md5_file(&big));
}

#[test]
fn passwd_and_remove_take_effect_on_a_running_server() {
    let server = Server::start(&[]);
    add_bob(&server, &[]);
    assert_eq!(login_code(&server, "bob", BOB), "ok");

    set_bob_password(&server, BOB_NEW);
    assert_eq!(login_code(&server, "bob", BOB), "auth_failed");
    assert_eq!(login_code(&server, "bob", BOB_NEW), "ok");
    ok(&server.cli_as("bob", BOB_NEW, &["ls"]));

    let listed = ok(&user(&server.data, &["list"], ""));
    assert!(listed.lines().any(|l| l.starts_with("bob ")), "{listed}");
    ok(&user(&server.data, &["remove", "bob"], ""));
    assert_eq!(login_code(&server, "bob", BOB_NEW), "auth_failed");
    let listed = ok(&user(&server.data, &["list", "--json"], ""));
    let accounts: Value = serde_json::from_str(&listed).unwrap();
    let names: Vec<&str> = accounts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin"]);
    assert_eq!(login_code(&server, "admin", PASSWORD), "ok");
}

#[test]
fn user_add_refuses_invalid_names_and_existing_users() {
    let server = Server::start(&[]);
    for bad in ["Bob", "../x", "-x", "a b", "", &"x".repeat(33)] {
        // `--` so that a name like `-x` reaches the name check instead of the option parser.
        let out = user(
            &server.data,
            &["add", "--password-stdin", "--", bad],
            "secret\n",
        );
        fails_with(&out, "invalid_username");
    }
    add_bob(&server, &[]);
    fails_with(
        &user(
            &server.data,
            &["add", "bob", "--password-stdin"],
            "another password\n",
        ),
        "user_exists",
    );
    assert_eq!(
        login_code(&server, "bob", BOB),
        "ok",
        "the first password stays"
    );
    let listed = ok(&user(&server.data, &["list"], ""));
    let mut users: Vec<&str> = listed
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    users.sort_unstable();
    assert_eq!(users, ["admin", "bob"], "{listed}");
}

/// Whether `needle` occurs in any file under `dir`.
fn found_in_tree(dir: &Path, needle: &[u8]) -> Option<std::path::PathBuf> {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            if let Some(hit) = found_in_tree(&path, needle) {
                return Some(hit);
            }
        } else if meta.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            if bytes.windows(needle.len()).any(|w| w == needle) {
                return Some(path);
            }
        }
    }
    None
}

#[test]
fn the_data_folder_holds_no_plaintext_password() {
    let server = Server::start(&[]);
    add_bob(&server, &[]);
    set_bob_password(&server, BOB_NEW);
    assert_eq!(login_code(&server, "bob", BOB_NEW), "ok");
    assert_eq!(login_code(&server, "admin", PASSWORD), "ok");
    assert!(
        std::fs::read_dir(server.data.join("state/users"))
            .unwrap()
            .count()
            >= 2,
        "the accounts are stored in the data folder"
    );
    for secret in [PASSWORD, BOB, BOB_NEW] {
        assert_eq!(
            found_in_tree(&server.data, secret.as_bytes()),
            None,
            "{secret:?}"
        );
    }
}
