//! Accounts people manage themselves, through the real binary: `ferry passwd` over the TCP
//! door, and the admin role of a data folder made before the role existed.

use serde_json::json;

use crate::http_client::Http;
use crate::support::{PASSWORD, Server, fails_with, ok, output_with_stdin, user};

const NEW: &str = "a new password for admin";

#[test]
fn ferry_passwd_needs_the_current_password_and_revokes_http_tokens() {
    let server = Server::start(&[]);
    let http = Http::new(&server, "admin", PASSWORD);
    let login = http.json(
        "POST",
        "/api/v1/login",
        json!({"username": "admin", "password": PASSWORD}),
    );
    assert_eq!(login.status, 200, "{login:?}");
    let token = login.json()["token"].as_str().unwrap().to_string();

    let mut wrong = server.cli_cmd(&["passwd"]);
    wrong.env("FERRY_PASSWORD", "not the password");
    fails_with(
        &output_with_stdin(&mut wrong, format!("{NEW}\n").as_bytes()),
        "auth_failed",
    );
    let short = output_with_stdin(&mut server.cli_cmd(&["passwd"]), b"short\n");
    fails_with(&short, "bad_request");
    assert_eq!(http.bearer("GET", "/api/v1/me", &token).status, 200);

    let changed = output_with_stdin(
        &mut server.cli_cmd(&["passwd"]),
        format!("{NEW}\n").as_bytes(),
    );
    assert!(ok(&changed).contains("password changed"));
    let r = http.bearer("GET", "/api/v1/me", &token);
    assert_eq!(
        (r.status, r.code().as_str()),
        (401, "token_invalid"),
        "{r:?}"
    );
    fails_with(&server.cli(&["ls"]), "auth_failed");
    ok(&server.cli_as("admin", NEW, &["ls"]));
}

#[test]
fn an_older_data_folder_gets_one_admin_and_offline_user_commands_keep_working() {
    let mut server = Server::start(&[]);
    // A data folder from before the role: the account files have no `admin` field.
    server.terminate();
    server.wait_exit(20);
    let file = server.data.join("state/users/admin.json");
    let mut account: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(account["admin"], true, "the first account is an admin");
    account.as_object_mut().unwrap().remove("admin");
    std::fs::write(&file, serde_json::to_vec(&account).unwrap()).unwrap();
    ok(&user(
        &server.data,
        &["add", "bob", "--password-stdin"],
        "bob's password\n",
    ));

    server.restart();
    assert!(
        server
            .stdout()
            .iter()
            .any(|l| l.contains("gave the admin role to admin")),
        "{:?}",
        server.stdout()
    );
    let admin = Http::new(&server, "admin", PASSWORD);
    let r = admin.get("/api/v1/admin/users");
    assert_eq!(r.status, 200, "{r:?}");
    let users = r.json()["users"].clone();
    assert_eq!(users[0]["admin"], true);
    assert_eq!(users[1]["name"], "bob");
    assert_eq!(users[1]["admin"], false);
    let bob = Http::new(&server, "bob", "bob's password");
    let r = bob.get("/api/v1/admin/users");
    assert_eq!((r.status, r.code().as_str()), (403, "not_admin"), "{r:?}");

    // The offline commands still manage accounts beside the running server.
    ok(&user(&server.data, &["set", "bob", "--admin", "true"], ""));
    assert_eq!(bob.get("/api/v1/admin/users").status, 200);
    let listed = ok(&user(&server.data, &["list", "--json"], ""));
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed[1]["admin"], true, "{listed}");
}
