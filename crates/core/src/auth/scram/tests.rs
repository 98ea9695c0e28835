//! Both sides against the RFC 7677 test vector, against each other, and against malformed,
//! tampered and hostile messages.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::*;
use crate::auth::ScramCredentials;
use crate::{Error, Result};

const USER: &str = "user";
const PASSWORD: &str = "pencil";
const CLIENT_NONCE: &str = "rOprNGfwEbeRWgbNEkqO";
const SERVER_SUFFIX: &str = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
const SALT: &str = "W22ZaJ0SNY7soEsUEjb6gQ==";
const CLIENT_FIRST: &str = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
const SERVER_FIRST: &str =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
const CLIENT_FINAL: &str = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
                            p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
const SERVER_FINAL: &str = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

fn rfc_creds() -> ScramCredentials {
    let salt = STANDARD.decode(SALT).expect("salt");
    ScramCredentials::derive(PASSWORD, &salt, 4096)
}

fn rfc_server() -> ServerFirst {
    let first = parse_client_first(CLIENT_FIRST).expect("client-first");
    let (state, _) = server_first(first, &rfc_creds(), Some(SERVER_SUFFIX)).expect("server");
    state
}

/// The RFC's client, before the server-first message.
fn rfc_client() -> ScramClient {
    let (client, _) = ScramClient::new(USER, PASSWORD, Some(CLIENT_NONCE)).expect("new");
    client
}

/// The RFC's client after it answered the RFC's server-first message.
fn rfc_client_final() -> ScramClientFinal {
    let (fin, _) = rfc_client()
        .handle_server_first(SERVER_FIRST)
        .expect("server-first");
    fin
}

/// Runs a whole exchange with random nonces; returns the server's verdict.
fn exchange(user: &str, password: &str, creds: &ScramCredentials) -> Result<String> {
    let (client, client_first) = ScramClient::new(user, password, None)?;
    let (server, server_first_msg) = server_first(parse_client_first(&client_first)?, creds, None)?;
    let (_, client_final) = client.handle_server_first(&server_first_msg)?;
    server.verify_client_final(&client_final)
}

/// [`exchange`] through a key cache.
fn cached_exchange(
    password: &str,
    creds: &ScramCredentials,
    cache: &mut Option<SaltedKeys>,
) -> Result<String> {
    let (client, client_first) = ScramClient::new("alice", password, None)?;
    let (server, server_first_msg) = server_first(parse_client_first(&client_first)?, creds, None)?;
    let (_, client_final) = client.handle_server_first_cached(&server_first_msg, cache)?;
    server.verify_client_final(&client_final)
}

fn is_bad_request<T: fmt::Debug>(r: Result<T>) -> bool {
    matches!(r, Err(Error::BadRequest(_)))
}

fn is_auth_failed<T: fmt::Debug>(r: Result<T>) -> bool {
    matches!(r, Err(Error::AuthFailed))
}

#[test]
fn server_side_reproduces_rfc7677_vector() {
    let first = parse_client_first(CLIENT_FIRST).expect("client-first");
    assert_eq!(first.username, USER);
    assert_eq!(first.client_nonce, CLIENT_NONCE);
    let (state, msg) = server_first(first, &rfc_creds(), Some(SERVER_SUFFIX)).expect("server");
    assert_eq!(msg, SERVER_FIRST);
    assert_eq!(
        state.verify_client_final(CLIENT_FINAL).expect("proof"),
        SERVER_FINAL
    );
}

#[test]
fn client_side_reproduces_rfc7677_vector() {
    let (client, first) = ScramClient::new(USER, PASSWORD, Some(CLIENT_NONCE)).expect("new");
    assert_eq!(first, CLIENT_FIRST);
    let (fin, msg) = client
        .handle_server_first(SERVER_FIRST)
        .expect("server-first");
    assert_eq!(msg, CLIENT_FINAL);
    fin.verify_server_final(SERVER_FINAL).expect("server-final");
}

#[test]
fn random_nonces_complete_an_exchange() {
    let creds = ScramCredentials::derive("pw", b"some salt", 4096);
    assert!(exchange("alice", "pw", &creds).is_ok());
}

#[test]
fn wrong_password_is_auth_failed() {
    assert!(is_auth_failed(exchange(USER, "pencil2", &rfc_creds())));
}

#[test]
fn decoy_user_fails_like_a_wrong_password() {
    let decoy = ScramCredentials::decoy(b"server secret", "ghost");
    let real = ScramCredentials::new_random("pw").expect("creds");
    let first = parse_client_first("n,,n=ghost,r=abc").expect("client-first");
    let (_, msg) = server_first(first, &decoy, None).expect("server-first");
    // Same shape as for a real user: 16-byte salt, the default iteration count.
    let real_first = parse_client_first("n,,n=alice,r=abc").expect("client-first");
    let (_, real_msg) = server_first(real_first, &real, None).expect("server-first");
    assert_eq!(msg.len(), real_msg.len());
    assert!(msg.ends_with(&format!(",i={}", real.iterations)));
    assert!(is_auth_failed(exchange("ghost", "pw", &decoy)));
    assert!(is_auth_failed(exchange("alice", "wrong", &real)));
}

#[test]
fn tampered_nonce_is_auth_failed() {
    let tampered = CLIENT_FINAL.replace("k0,p=", "k1,p=");
    assert!(is_auth_failed(rfc_server().verify_client_final(&tampered)));
}

#[test]
fn tampered_proof_is_auth_failed() {
    let tampered = CLIENT_FINAL.replace("p=dHzb", "p=dHzc");
    assert!(is_auth_failed(rfc_server().verify_client_final(&tampered)));
}

#[test]
fn channel_binding_data_must_repeat_the_gs2_header() {
    let first = parse_client_first("y,,n=user,r=rOprNGfwEbeRWgbNEkqO").expect("y flag");
    let (state, _) = server_first(first, &rfc_creds(), Some(SERVER_SUFFIX)).expect("server");
    // c=biws is base64("n,,"), but this client said "y,,".
    assert!(is_auth_failed(state.verify_client_final(CLIENT_FINAL)));
}

#[test]
fn malformed_client_first_is_bad_request() {
    let long = format!("n,,n=user,r={}", "a".repeat(MAX_MESSAGE_LEN));
    let cases = [
        "",
        "n,,",
        "x,,n=user,r=abc",
        "p=tls-unique,,n=user,r=abc",
        "n,a=admin,n=user,r=abc",
        "n,,m=ext,n=user,r=abc",
        "n,,n=user,r=abc,m=ext",
        "n,,n=user",
        "n,,n=,r=abc",
        "n,,n=user,r=",
        "n,,n=user,r=a b",
        "n,,n=user,r=abc,junk",
        "n,,r=abc,n=user",
        "n,,n=us=3Fer,r=abc",
        "n,,n=user=,r=abc",
        "n,,n=a\0b,r=abc",
        long.as_str(),
    ];
    for msg in cases {
        assert!(is_bad_request(parse_client_first(msg)), "{msg:?}");
    }
}

#[test]
fn channel_binding_request_says_it_is_unsupported() {
    let Err(Error::BadRequest(msg)) = parse_client_first("p=tls-unique,,n=u,r=a") else {
        panic!("accepted");
    };
    assert!(msg.contains("channel binding not supported"));
}

#[test]
fn malformed_client_final_is_bad_request() {
    let nonce = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    let cases = [
        format!("c=biws,{nonce}"),
        format!("c=biws,{nonce},p=not base64"),
        format!("c=biws,{nonce},p=AAAA"),
        format!("c=b!ws,{nonce},p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="),
        "c=biws,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=".to_owned(),
        format!("{CLIENT_FINAL}{}", "A".repeat(MAX_MESSAGE_LEN)),
    ];
    for msg in &cases {
        assert!(
            is_bad_request(rfc_server().verify_client_final(msg)),
            "{msg:?}"
        );
    }
}

#[test]
fn client_rejects_forged_server_final() {
    let fin = rfc_client_final();
    let forged = SERVER_FINAL.replace("v=6rri", "v=6rrj");
    assert!(is_auth_failed(fin.verify_server_final(&forged)));
}

#[test]
fn client_treats_server_error_as_auth_failed() {
    let fin = rfc_client_final();
    assert!(is_auth_failed(fin.verify_server_final("e=invalid-proof")));
}

/// A fresh RFC client refuses each server-first message in `cases` the way `refused` checks.
#[track_caller]
fn assert_client_refuses(
    cases: &[&str],
    refused: impl Fn(Result<(ScramClientFinal, String)>) -> bool,
) {
    for msg in cases {
        let client = rfc_client();
        assert!(refused(client.handle_server_first(msg)), "{msg:?}");
    }
}

#[test]
fn client_rejects_a_misbehaving_server() {
    let cases = [
        "r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        "r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        "r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4095",
        "r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=10000001",
    ];
    assert_client_refuses(&cases, is_auth_failed);
}

#[test]
fn client_rejects_a_malformed_server_first() {
    let cases = [
        "r=rOprNGfwEbeRWgbNEkqOx,s=not base64,i=4096",
        "r=rOprNGfwEbeRWgbNEkqOx,s=,i=4096",
        "r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=+4096",
        "r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==",
        "m=x,r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    ];
    assert_client_refuses(&cases, is_bad_request);
}

#[test]
fn saslname_escaping_round_trips() {
    let name = "a,b=c,=";
    let (_, first) = ScramClient::new(name, "pw", Some("abc")).expect("new");
    assert_eq!(first, "n,,n=a=2Cb=3Dc=2C=3D,r=abc");
    assert_eq!(parse_client_first(&first).expect("parse").username, name);
}

#[test]
fn client_refuses_an_invalid_nonce_or_empty_name() {
    assert!(is_bad_request(ScramClient::new(USER, "pw", Some("a,b"))));
    assert!(is_bad_request(ScramClient::new("", "pw", None)));
}

#[test]
fn cached_keys_serve_the_same_password_salt_and_count_only() {
    let creds = ScramCredentials::derive("pw", b"some salt", 4096);
    let mut cache = None;
    assert!(cached_exchange("pw", &creds, &mut cache).is_ok());
    assert!(cached_exchange("pw", &creds, &mut cache).is_ok());
    // Keys planted for this very password, salt and count are used: here they are wrong, so
    // the login fails, which shows that the cache is read.
    let mut planted = Some(SaltedKeys::planted("pw", b"some salt", 4096, "not pw"));
    assert!(is_auth_failed(cached_exchange("pw", &creds, &mut planted)));
    // Anything else differing, they are not used: the login derives and succeeds.
    for (password, salt, count) in [
        ("pw2", &b"some salt"[..], 4096),
        ("pw", b"other salt", 4096),
        ("pw", b"some salt", 8192),
    ] {
        let mut planted = Some(SaltedKeys::planted(password, salt, count, "not pw"));
        assert!(
            cached_exchange("pw", &creds, &mut planted).is_ok(),
            "{password} {salt:?} {count}"
        );
        assert!(
            cached_exchange("pw", &creds, &mut planted).is_ok(),
            "and what it derived is kept"
        );
    }
}
