//! SCRAM-SHA-256 (RFC 5802, RFC 7677) without channel binding, both sides, over message strings.
//!
//! ```text
//! client-first  = gs2-header client-first-bare
//! gs2-header    = ("n" / "y") "," "," ; "p=…" (channel binding) and "a=…" (authzid) refused
//! client-first-bare = "n=" saslname "," "r=" c-nonce ["," extensions]
//! server-first  = "r=" c-nonce s-nonce "," "s=" base64(salt) "," "i=" iterations
//! client-final  = "c=" base64(gs2-header) "," "r=" c-nonce s-nonce "," "p=" base64(proof)
//! server-final  = "v=" base64(ServerSignature)            ; or "e=" error (client side)
//!
//! AuthMessage     = client-first-bare "," server-first "," client-final-without-proof
//! ClientSignature = HMAC(StoredKey, AuthMessage)
//! ClientProof     = ClientKey XOR ClientSignature
//! ServerSignature = HMAC(ServerKey, AuthMessage)
//! ```
//!
//! The server checks a proof with StoredKey alone and never runs PBKDF2. Each state value is
//! consumed by its next step, so a proof cannot be replayed against an exchange, and every
//! exchange has a fresh server nonce. Malformed messages are `bad_request`; a wrong proof, a
//! wrong nonce or a misbehaving server are `auth_failed`.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use subtle::ConstantTimeEq;

use super::credentials::{Keys, ScramCredentials, fill_random, hmac_sha256, sha256};
use crate::{Error, Result};

/// Longest SCRAM message accepted from the peer, in bytes; checked before parsing.
pub const MAX_MESSAGE_LEN: usize = 2048;

/// Fewest PBKDF2 iterations a client accepts (RFC 7677 §4).
pub const MIN_ITERATIONS: u32 = 4096;

/// Most PBKDF2 iterations a client accepts, so a hostile server cannot make it spin for hours.
pub const MAX_ITERATIONS: u32 = 10_000_000;

/// Random bytes in a generated nonce; base64 makes 32 printable characters of them.
const NONCE_BYTES: usize = 24;

/// The only GS2 header this client sends: no channel binding, no authzid.
const CLIENT_GS2_HEADER: &str = "n,,";

/// A parsed client-first message, kept by the server until it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFirst {
    /// The login name, with `=2C` and `=3D` decoded; not yet validated as a user name.
    pub username: String,
    /// The client's nonce.
    pub client_nonce: String,
    /// client-first-message-bare, verbatim: it is part of the AuthMessage.
    bare: String,
    /// The GS2 header, verbatim: the client-final `c=` must repeat it.
    gs2_header: String,
}

/// Parses a client-first message (server side).
pub fn parse_client_first(msg: &str) -> Result<ClientFirst> {
    check_len(msg)?;
    let (flag, rest) = msg
        .split_once(',')
        .ok_or_else(|| bad("missing GS2 header"))?;
    match flag {
        "n" | "y" => {}
        f if f.starts_with("p=") => return Err(bad("channel binding not supported")),
        _ => return Err(bad("invalid GS2 channel-binding flag")),
    }
    let (authzid, bare) = rest
        .split_once(',')
        .ok_or_else(|| bad("missing GS2 header"))?;
    if !authzid.is_empty() {
        return Err(bad("authorization identity not supported"));
    }
    let mut parts = bare.split(',');
    let username = decode_saslname(attr(parts.next(), 'n')?)?;
    let client_nonce = attr(parts.next(), 'r')?;
    check_nonce(client_nonce)?;
    check_extensions(parts)?;
    Ok(ClientFirst {
        username,
        client_nonce: client_nonce.to_owned(),
        gs2_header: msg[..msg.len() - bare.len()].to_owned(),
        bare: bare.to_owned(),
    })
}

/// Server state between server-first and client-final; consumed by verification.
pub struct ServerFirst {
    client_first_bare: String,
    server_first: String,
    gs2_header: String,
    nonce: String,
    stored_key: [u8; 32],
    server_key: [u8; 32],
}

impl fmt::Debug for ServerFirst {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerFirst")
            .field("nonce", &self.nonce)
            .finish_non_exhaustive()
    }
}

/// Answers a client-first message with `creds` (real or [`ScramCredentials::decoy`]).
///
/// `server_nonce_suffix` is for tests; `None` draws a fresh random nonce, which is what
/// makes every exchange unique.
pub fn server_first(
    first: ClientFirst,
    creds: &ScramCredentials,
    server_nonce_suffix: Option<&str>,
) -> Result<(ServerFirst, String)> {
    let suffix = match server_nonce_suffix {
        Some(s) => {
            check_nonce(s).map_err(|_| Error::internal("invalid fixed server nonce"))?;
            s.to_owned()
        }
        None => random_nonce()?,
    };
    let nonce = format!("{}{suffix}", first.client_nonce);
    let message = format!(
        "r={nonce},s={},i={}",
        STANDARD.encode(&creds.salt),
        creds.iterations
    );
    let state = ServerFirst {
        client_first_bare: first.bare,
        server_first: message.clone(),
        gs2_header: first.gs2_header,
        nonce,
        stored_key: creds.stored_key,
        server_key: creds.server_key,
    };
    Ok((state, message))
}

impl ServerFirst {
    /// Checks the client-final message; on success returns the server-final message.
    pub fn verify_client_final(self, msg: &str) -> Result<String> {
        check_len(msg)?;
        let (without_proof, proof) = msg.rsplit_once(",p=").ok_or_else(|| bad("missing proof"))?;
        let proof: [u8; 32] = decode_b64(proof, "proof")?
            .try_into()
            .map_err(|_| bad("proof has the wrong length"))?;
        let mut parts = without_proof.split(',');
        let binding = decode_b64(attr(parts.next(), 'c')?, "channel binding")?;
        let nonce = attr(parts.next(), 'r')?;
        check_extensions(parts)?;
        if binding != self.gs2_header.as_bytes() || nonce != self.nonce {
            return Err(Error::AuthFailed);
        }
        let auth_message = format!(
            "{},{},{without_proof}",
            self.client_first_bare, self.server_first
        );
        let signature = hmac_sha256(&self.stored_key, &[auth_message.as_bytes()]);
        let client_key = xor(&proof, &signature);
        if !bool::from(sha256(&client_key)[..].ct_eq(&self.stored_key[..])) {
            return Err(Error::AuthFailed);
        }
        let verifier = hmac_sha256(&self.server_key, &[auth_message.as_bytes()]);
        Ok(format!("v={}", STANDARD.encode(verifier)))
    }
}

/// Client state before the server-first message.
pub struct ScramClient {
    password: String,
    client_nonce: String,
    client_first_bare: String,
}

impl fmt::Debug for ScramClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramClient")
            .field("client_first_bare", &self.client_first_bare)
            .finish_non_exhaustive()
    }
}

impl ScramClient {
    /// Starts a login; returns the state and the client-first message.
    ///
    /// `nonce` is for tests; `None` draws a fresh random one. The password is used as its
    /// UTF-8 bytes as given (no SASLprep).
    pub fn new(username: &str, password: &str, nonce: Option<&str>) -> Result<(Self, String)> {
        if username.is_empty() || username.contains('\0') {
            return Err(bad("user name must be non-empty and without NUL"));
        }
        let client_nonce = match nonce {
            Some(n) => {
                check_nonce(n)?;
                n.to_owned()
            }
            None => random_nonce()?,
        };
        let client_first_bare = format!("n={},r={client_nonce}", encode_saslname(username));
        let message = format!("{CLIENT_GS2_HEADER}{client_first_bare}");
        let client = ScramClient {
            password: password.to_owned(),
            client_nonce,
            client_first_bare,
        };
        Ok((client, message))
    }

    /// Answers the server-first message; returns the state and the client-final message.
    ///
    /// Runs PBKDF2 with the server's salt and iteration count.
    pub fn handle_server_first(self, msg: &str) -> Result<(ScramClientFinal, String)> {
        check_len(msg)?;
        let mut parts = msg.split(',');
        let nonce = attr(parts.next(), 'r')?;
        let salt = decode_b64(attr(parts.next(), 's')?, "salt")?;
        let iterations = attr(parts.next(), 'i')?;
        check_extensions(parts)?;
        check_nonce(nonce)?;
        if salt.is_empty() {
            return Err(bad("empty salt"));
        }
        // `u32::from_str` would also take a leading `+`, which the grammar does not allow.
        if !iterations.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("invalid iteration count"));
        }
        let iterations: u32 = iterations
            .parse()
            .map_err(|_| bad("invalid iteration count"))?;
        // The server must extend our nonce, and must not weaken or stall the derivation.
        let extends_ours =
            nonce.len() > self.client_nonce.len() && nonce.starts_with(&self.client_nonce);
        if !extends_ours || !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) {
            return Err(Error::AuthFailed);
        }
        let keys = Keys::derive(&self.password, &salt, iterations);
        let without_proof = format!("c={},r={nonce}", STANDARD.encode(CLIENT_GS2_HEADER));
        let auth_message = format!("{},{msg},{without_proof}", self.client_first_bare);
        let signature = hmac_sha256(&keys.stored_key, &[auth_message.as_bytes()]);
        let proof = xor(&keys.client_key, &signature);
        let server_signature = hmac_sha256(&keys.server_key, &[auth_message.as_bytes()]);
        let message = format!("{without_proof},p={}", STANDARD.encode(proof));
        Ok((ScramClientFinal { server_signature }, message))
    }
}

/// Client state after the client-final message: what the server must prove it knows.
pub struct ScramClientFinal {
    server_signature: [u8; 32],
}

impl fmt::Debug for ScramClientFinal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramClientFinal").finish_non_exhaustive()
    }
}

impl ScramClientFinal {
    /// Checks the server-final message, proving the server holds this account's ServerKey.
    pub fn verify_server_final(self, msg: &str) -> Result<()> {
        check_len(msg)?;
        let first = msg.split_once(',').map_or(msg, |(first, _)| first);
        if first.starts_with("e=") {
            return Err(Error::AuthFailed);
        }
        let verifier = decode_b64(attr(Some(first), 'v')?, "server signature")?;
        if bool::from(verifier[..].ct_eq(&self.server_signature[..])) {
            Ok(())
        } else {
            Err(Error::AuthFailed)
        }
    }
}

/// Escapes a user name as a saslname: `=` → `=3D`, `,` → `=2C` (in that order).
fn encode_saslname(name: &str) -> String {
    name.replace('=', "=3D").replace(',', "=2C")
}

/// Decodes a saslname; any `=` not starting `=2C` or `=3D` is malformed.
fn decode_saslname(s: &str) -> Result<String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('=') {
        out.push_str(&rest[..i]);
        match rest.get(i..i + 3) {
            Some("=2C") => out.push(','),
            Some("=3D") => out.push('='),
            _ => return Err(bad("invalid escape in user name")),
        }
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    if out.is_empty() || out.contains('\0') {
        return Err(bad("user name must be non-empty and without NUL"));
    }
    Ok(out)
}

/// The value of attribute `name` in `part`, which must read `<name>=…`.
fn attr(part: Option<&str>, name: char) -> Result<&str> {
    let part = part.unwrap_or_default();
    if part.starts_with("m=") {
        return Err(bad("mandatory extensions not supported"));
    }
    let mut chars = part.chars();
    match (chars.next(), chars.next()) {
        (Some(n), Some('=')) if n == name => Ok(chars.as_str()),
        _ => Err(Error::BadRequest(format!("expected the {name}= attribute"))),
    }
}

/// Optional trailing extensions: each must look like `<letter>=…`; `m=` is refused, the rest
/// are ignored (they are still covered by the AuthMessage).
fn check_extensions<'a>(parts: impl Iterator<Item = &'a str>) -> Result<()> {
    for part in parts {
        let b = part.as_bytes();
        if b.first() == Some(&b'm') && b.get(1) == Some(&b'=') {
            return Err(bad("mandatory extensions not supported"));
        }
        if b.len() < 2 || !b[0].is_ascii_alphabetic() || b[1] != b'=' {
            return Err(bad("malformed attribute"));
        }
    }
    Ok(())
}

/// A nonce is one or more printable ASCII characters other than `,`.
fn check_nonce(n: &str) -> Result<()> {
    let printable = |b: u8| (0x21..=0x7e).contains(&b) && b != b',';
    if n.is_empty() || !n.bytes().all(printable) {
        return Err(bad("nonce must be printable ASCII without ','"));
    }
    Ok(())
}

fn check_len(msg: &str) -> Result<()> {
    if msg.len() > MAX_MESSAGE_LEN {
        return Err(bad("SCRAM message too long"));
    }
    Ok(())
}

fn decode_b64(s: &str, what: &str) -> Result<Vec<u8>> {
    STANDARD
        .decode(s)
        .map_err(|_| Error::BadRequest(format!("invalid base64 in {what}")))
}

fn random_nonce() -> Result<String> {
    let mut bytes = [0u8; NONCE_BYTES];
    fill_random(&mut bytes)?;
    Ok(STANDARD.encode(bytes))
}

fn xor(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    std::array::from_fn(|i| a[i] ^ b[i])
}

fn bad(msg: &str) -> Error {
    Error::BadRequest(msg.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// Runs a whole exchange with random nonces; returns the server's verdict.
    fn exchange(user: &str, password: &str, creds: &ScramCredentials) -> Result<String> {
        let (client, client_first) = ScramClient::new(user, password, None)?;
        let (server, server_first_msg) =
            server_first(parse_client_first(&client_first)?, creds, None)?;
        let (_, client_final) = client.handle_server_first(&server_first_msg)?;
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
        let (client, _) = ScramClient::new(USER, PASSWORD, Some(CLIENT_NONCE)).expect("new");
        let (fin, _) = client
            .handle_server_first(SERVER_FIRST)
            .expect("server-first");
        let forged = SERVER_FINAL.replace("v=6rri", "v=6rrj");
        assert!(is_auth_failed(fin.verify_server_final(&forged)));
    }

    #[test]
    fn client_treats_server_error_as_auth_failed() {
        let (client, _) = ScramClient::new(USER, PASSWORD, Some(CLIENT_NONCE)).expect("new");
        let (fin, _) = client
            .handle_server_first(SERVER_FIRST)
            .expect("server-first");
        assert!(is_auth_failed(fin.verify_server_final("e=invalid-proof")));
    }

    #[test]
    fn client_rejects_a_misbehaving_server() {
        let cases = [
            "r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
            "r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
            "r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4095",
            "r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=10000001",
        ];
        for msg in cases {
            let (client, _) = ScramClient::new(USER, PASSWORD, Some(CLIENT_NONCE)).expect("new");
            assert!(is_auth_failed(client.handle_server_first(msg)), "{msg:?}");
        }
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
        for msg in cases {
            let (client, _) = ScramClient::new(USER, PASSWORD, Some(CLIENT_NONCE)).expect("new");
            assert!(is_bad_request(client.handle_server_first(msg)), "{msg:?}");
        }
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
}
