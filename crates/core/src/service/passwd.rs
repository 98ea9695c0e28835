//! Users changing their own password, on any door: the current password is required (and
//! checked under the failed-login throttle, so a stolen bearer token cannot be used to guess
//! it), and every other bearer token of the account is revoked.

use std::net::IpAddr;

use super::{Session, audit, blocking, token};
use crate::auth::credentials::ScramCredentials;
use crate::{Error, Result};

/// Shortest password accepted when a user or an admin sets one through a door.
///
/// Kept as one constant with one check ([`check_new_password`]) so a configurable minimum can
/// replace it in one place.
pub const MIN_PASSWORD_LEN: usize = 8;

/// Refuses a new password shorter than [`MIN_PASSWORD_LEN`] characters (`bad_request`).
pub fn check_new_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(Error::BadRequest(format!(
            "a password needs at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    Ok(())
}

impl Session {
    /// Changes the session user's password after checking `current` (from `source`, for the
    /// throttle): `wrong_password` if it is wrong, `auth_throttled` after repeated failures.
    /// Revokes every bearer token of the account except `keep` (the one the request came
    /// with, so the page that asked stays logged in).
    pub async fn change_password(
        &self,
        source: IpAddr,
        current: &str,
        new: &str,
        keep: Option<&str>,
    ) -> Result<()> {
        check_new_password(new)?;
        let ferry = &self.ferry;
        match ferry
            .login_password(source, self.user.as_str(), current)
            .await
        {
            Ok(_) => {}
            Err(Error::AuthFailed) => return Err(Error::WrongPassword),
            Err(e) => return Err(e),
        }
        let new = new.to_owned();
        let credentials = blocking(move || ScramCredentials::new_random(&new)).await?;
        let inner = &ferry.inner;
        let mut account = self.account().await?;
        account.credentials = credentials;
        inner.meta.update_account(&account).await?;
        let keep = keep.and_then(token::parse);
        for (hash, _) in inner.meta.tokens_of(&self.user).await? {
            if Some(&hash) != keep.as_ref() {
                inner.meta.remove_token(&hash).await?;
            }
        }
        audit::record(&self.user, "password_change", self.user.as_str());
        Ok(())
    }
}
