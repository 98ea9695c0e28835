//! The server side: answers a client-first message and checks the client's proof with
//! StoredKey alone, never seeing the password.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use subtle::ConstantTimeEq;

use super::grammar::{
    attr, bad, check_extensions, check_len, check_nonce, decode_b64, decode_saslname, random_nonce,
    xor,
};
use crate::auth::credentials::{ScramCredentials, hmac_sha256, sha256};
use crate::{Error, Result};

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
