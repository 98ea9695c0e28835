//! Failed-login throttling over real connections, as `crates/core/src/auth/throttle.rs` specifies:
//! three keys per attempt — (source, account) with five free failures, the account with 20
//! (meeting only sources that failed on it too), the source with 100 — then a lock of 1 s
//! (doubling); a login is refused while a key that applies is locked, even with the right
//! password.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use ferry_core::auth::scram::ScramClient;
use ferry_proto::{Header, Request};

use crate::support::{PASSWORD, Raw, Server, code, ok, user};

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const OTHER_SOURCE: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const BOB: &str = "bob's password";

fn hello_from(source: IpAddr, server: &Server) -> Raw {
    let mut r = Raw::connect_from(source, server.addr);
    r.hello();
    r
}

/// `n` wrong-password logins for `name`, on as many connections as the per-connection limit of
/// three attempts needs; each must be an ordinary `auth_failed`.
fn fail_logins(server: &Server, name: &str, n: usize) {
    let mut conn = hello_from(LOCALHOST, server);
    for i in 0..n {
        if i > 0 && i % 3 == 0 {
            assert!(conn.is_closed(), "three attempts per connection");
            conn = hello_from(LOCALHOST, server);
        }
        assert_eq!(
            code(&conn.login(name, "wrong")),
            "auth_failed",
            "failure {}",
            i + 1
        );
    }
}

fn throttled_for(h: &Header) -> u64 {
    assert_eq!(code(h), "auth_throttled", "{h:?}");
    h["retry_after"].as_u64().expect("retry_after")
}

#[test]
fn five_failures_are_free_and_the_sixth_locks_only_that_source_and_account_pair() {
    let server = Server::start(&[]);
    ok(&user(
        &server.data,
        &["add", "bob", "--password-stdin"],
        &format!("{BOB}\n"),
    ));

    // Five failures cost nothing, and a success forgets them.
    let mut conn = hello_from(LOCALHOST, &server);
    fail_logins(&server, "admin", 3);
    for _ in 0..2 {
        assert_eq!(code(&conn.login("admin", "wrong")), "auth_failed");
    }
    assert_eq!(conn.login("admin", PASSWORD)["status"], "ok");

    // Connections opened before the lock, so the checks below run well within its 1 s.
    let mut same_pair = hello_from(LOCALHOST, &server);
    let mut colleague = hello_from(LOCALHOST, &server);
    let mut other_source = hello_from(OTHER_SOURCE, &server);
    fail_logins(&server, "admin", 6);
    let locked_at = Instant::now();

    let h = same_pair.login("admin", PASSWORD);
    assert_eq!(throttled_for(&h), 1, "the first lock is 1 s");
    assert!(
        h["message"].as_str().unwrap().contains("retry in 1 s"),
        "{h:?}"
    );
    assert_eq!(
        colleague.login("bob", BOB)["status"],
        "ok",
        "someone else's typos behind the same address lock out no colleague"
    );
    assert_eq!(
        other_source.login("admin", PASSWORD)["status"],
        "ok",
        "the right password from a source that has not failed is not refused"
    );

    // The server started the lock before it answered the sixth failure, so it is over now.
    std::thread::sleep(Duration::from_secs(1).saturating_sub(locked_at.elapsed()));
    assert_eq!(
        hello_from(LOCALHOST, &server).login("admin", PASSWORD)["status"],
        "ok",
        "the lock is over after retry_after"
    );
}

/// One SCRAM attempt: the `auth_start` answer, and the exact bytes of the `auth_finish` answer.
fn attempt(r: &mut Raw, name: &str, password: &str) -> (Header, Vec<u8>) {
    let (client, first) = ScramClient::new(name, password, None).unwrap();
    let start = r.request(Request::AuthStart {
        mechanism: "SCRAM-SHA-256".into(),
        message: first,
    });
    assert_eq!(start["status"], "ok", "{start:?}");
    let (_, last) = client
        .handle_server_first(start["message"].as_str().unwrap())
        .unwrap();
    r.send(
        serde_json::Value::Object(Request::AuthFinish { message: last }.to_header()),
        &[],
    );
    let (frame, bytes) = r.recv_with_bytes().expect("an answer");
    assert_eq!(code(&frame.header), "auth_failed", "{:?}", frame.header);
    (start, bytes)
}

/// The salt length and iteration count a server-first message announces.
fn salt_and_iterations(start: &Header) -> (usize, String) {
    let message = start["message"].as_str().unwrap();
    let field = |key: &str| {
        message
            .split(',')
            .find_map(|f| f.strip_prefix(key))
            .unwrap_or_else(|| panic!("{key} in {message}"))
            .to_string()
    };
    (field("s=").len(), field("i="))
}

#[test]
fn unknown_users_and_wrong_passwords_fail_with_byte_identical_answers() {
    let server = Server::start(&[]);
    let mut r = hello_from(LOCALHOST, &server);
    let (wrong_start, wrong_password) = attempt(&mut r, "admin", "wrong");
    let (unknown_start, unknown_user) = attempt(&mut r, "nobody", "wrong");
    let (invalid_start, invalid_name) = attempt(&mut r, "No Such User!", "wrong");
    assert_eq!(wrong_password, unknown_user);
    assert_eq!(wrong_password, invalid_name);
    assert_eq!(
        salt_and_iterations(&wrong_start),
        salt_and_iterations(&unknown_start),
        "the decoy looks like an account"
    );
    assert_eq!(
        salt_and_iterations(&wrong_start),
        salt_and_iterations(&invalid_start)
    );
    assert!(r.is_closed(), "three attempts per connection");
}
