//! Users changing their own password, on any door: the current password is required (and
//! checked under the failed-login throttle, so a stolen bearer token cannot be used to guess
//! it), and every other bearer token of the account is revoked.

use std::net::IpAddr;

use super::{Ferry, Session, blocking, check_password_length, token};
use crate::auth::credentials::ScramCredentials;
use crate::{Error, Result};

impl Ferry {
    /// Refuses (`bad_request`) a password set through a door that is shorter than the
    /// configured minimum ([`super::Config::min_password_length`]).
    pub(super) fn check_new_password(&self, password: &str) -> Result<()> {
        check_password_length(password, self.inner.config.min_password_length)
    }
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
        self.ferry.check_new_password(new)?;
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
        crate::audit::audit!(
            "password_change",
            tracing::field::display(&self.user),
            self.source_text().as_str(),
            target = self.user.as_str()
        );
        Ok(())
    }
}
