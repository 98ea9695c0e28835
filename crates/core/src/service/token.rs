//! Bearer tokens: a login turned into a string a browser can keep, so the web page does not
//! resend the password with every request.
//!
//! A token is 32 random bytes, base64url without padding (43 characters). Only its SHA-256 is
//! stored — a copy of the token store opens no session — and the tokens live in the metadata
//! store, so they survive a restart. A token is refused after [`Config::token_ttl`], once
//! revoked, once its user is removed, and also if the account was re-created after the token
//! was issued (a new account of the same name does not inherit old tokens).
//!
//! [`Config::token_ttl`]: super::Config::token_ttl

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::metrics::{self, LoginMethod};
use super::{Ferry, Inner, Session};
use crate::auth::credentials::{fill_random, sha256};
use crate::model::unix_now;
use crate::store::TokenRecord;
use crate::username::Username;
use crate::{Error, Result};

/// Random bytes in a token.
const TOKEN_BYTES: usize = 32;

/// Characters of a token: 32 bytes in unpadded base64.
const TOKEN_LEN: usize = 43;

/// A newly issued bearer token.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenGrant {
    /// The token; shown to the client once, stored nowhere.
    pub token: String,
    /// Unix seconds after which it is refused.
    pub expires: i64,
}

impl Ferry {
    /// Issues a token that opens sessions for `session`'s user until it expires or is revoked.
    pub async fn token_create(&self, session: &Session) -> Result<TokenGrant> {
        let mut bytes = [0u8; TOKEN_BYTES];
        fill_random(&mut bytes)?;
        let token = URL_SAFE_NO_PAD.encode(bytes);
        let now = unix_now();
        let record = TokenRecord {
            user: session.user.clone(),
            created: now,
            expires: now.saturating_add(self.inner.config.token_ttl.as_secs() as i64),
        };
        let expires = record.expires;
        let hash = hash_of(&token);
        self.inner.meta.put_token(&hash, &record).await?;
        self.inner.cap_tokens_of(&session.user, &hash).await?;
        tracing::info!(user = session.user.as_str(), expires, "token created");
        Ok(TokenGrant { token, expires })
    }

    /// Opens a session for the token's user; `token_invalid` if the token is malformed,
    /// unknown, expired (it is then deleted) or revoked, or its user no longer exists.
    pub async fn token_session(&self, token: &str) -> Result<Session> {
        let session = self.token_check(token).await;
        metrics::login(LoginMethod::Token, session.as_ref().err());
        session
    }

    async fn token_check(&self, token: &str) -> Result<Session> {
        let hash = parse(token).ok_or(Error::TokenInvalid)?;
        let inner = &self.inner;
        let (record, account) = inner
            .meta
            .token_with_account(&hash)
            .await?
            .ok_or(Error::TokenInvalid)?;
        if record.expires <= unix_now() {
            inner.meta.remove_token(&hash).await?;
            return Err(Error::TokenInvalid);
        }
        match account {
            Some(account) if account.created <= record.created => {}
            _ => return Err(Error::TokenInvalid),
        }
        inner.files.create_home(&record.user).await?;
        Ok(Session::new(self.clone(), record.user))
    }

    /// Revokes a token; an unknown, malformed or already revoked token is fine.
    pub async fn token_revoke(&self, token: &str) -> Result<()> {
        let Some(hash) = parse(token) else {
            return Ok(());
        };
        self.inner.meta.remove_token(&hash).await
    }
}

impl Session {
    /// Logs out: revokes the token this session came from (as [`Ferry::token_revoke`]) and
    /// writes the audit line.
    pub async fn logout(&self, token: &str) -> Result<()> {
        self.ferry.token_revoke(token).await?;
        crate::audit::audit!("logout", self.user.as_str(), self.source_text().as_str());
        Ok(())
    }
}

impl Inner {
    /// Deletes every token of `user` (password change, account removal).
    pub(super) async fn revoke_tokens_of(&self, user: &Username) -> Result<()> {
        for (hash, _) in self.meta.tokens_of(user).await? {
            self.meta.remove_token(&hash).await?;
        }
        Ok(())
    }

    /// Revokes the oldest tokens of `user` beyond [`Config::max_tokens_per_user`], never
    /// `keep` (the one just issued). Ties in issue time (whole seconds) go by hash.
    ///
    /// [`Config::max_tokens_per_user`]: super::Config::max_tokens_per_user
    async fn cap_tokens_of(&self, user: &Username, keep: &str) -> Result<()> {
        let max = self.config.max_tokens_per_user.max(1);
        let mut others: Vec<(String, TokenRecord)> = self
            .meta
            .tokens_of(user)
            .await?
            .into_iter()
            .filter(|(hash, _)| hash != keep)
            .collect();
        let excess = (others.len() + 1).saturating_sub(max);
        if excess == 0 {
            return Ok(());
        }
        others.sort_by(|a, b| (a.1.created, &a.0).cmp(&(b.1.created, &b.0)));
        for (hash, _) in others.into_iter().take(excess) {
            self.meta.remove_token(&hash).await?;
        }
        tracing::info!(%user, revoked = excess, "oldest tokens revoked past the per-user cap");
        Ok(())
    }

    /// Deletes expired tokens. Returns how many.
    pub(super) async fn sweep_tokens(&self, now: i64) -> Result<usize> {
        let mut n = 0;
        for hash in self.meta.expired_tokens(now).await? {
            self.meta.remove_token(&hash).await?;
            n += 1;
        }
        if n > 0 {
            tracing::info!(tokens = n, "expired tokens deleted");
        }
        Ok(n)
    }
}

/// The storage key of a well-formed token, or `None`.
pub(super) fn parse(token: &str) -> Option<String> {
    // Length first, so an oversized header costs nothing to reject.
    if token.len() != TOKEN_LEN {
        return None;
    }
    // The decoder refuses non-zero trailing bits, so each token has exactly one spelling.
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    (bytes.len() == TOKEN_BYTES).then(|| hash_of(token))
}

/// SHA-256 of the token's text, hex: what the store is keyed by.
fn hash_of(token: &str) -> String {
    hex::encode(sha256(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_43_character_base64url_tokens_of_32_bytes_parse() {
        let good = URL_SAFE_NO_PAD.encode([7u8; TOKEN_BYTES]);
        assert_eq!(good.len(), TOKEN_LEN);
        assert_eq!(parse(&good), Some(hash_of(&good)));
        assert_eq!(parse(&good[..42]), None);
        assert_eq!(parse(&format!("{}=", &good[..42])), None);
        assert_eq!(
            parse(&good.replace(|c: char| c.is_ascii_alphabetic(), "+")),
            None
        );
        assert_eq!(parse(""), None);
        // Same bytes, last character with a non-zero trailing bit: not a second spelling.
        const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut other = good.clone();
        let last = other.pop().unwrap();
        let index = ALPHABET.find(last).unwrap();
        assert_eq!(
            index & 3,
            0,
            "a canonical last character has zero trailing bits"
        );
        other.push(ALPHABET.as_bytes()[index | 1] as char);
        assert_eq!(parse(&other), None);
    }
}
