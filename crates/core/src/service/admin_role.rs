//! The admin role as the doors reach it: [`Session::admin`] checks the role (read afresh, so
//! taking it away works at once) and yields an [`Admin`], whose every action is audited
//! under the acting admin's name. The account operations themselves are those of
//! [`super::admin`], which the offline `ferry user` commands use too.

use super::admin::AccountSummary;
use super::{Ferry, Session};
use crate::exec::ExecPolicy;
use crate::model::{QuotaInfo, UploadInfo};
use crate::username::Username;
use crate::{Error, Result};

/// A session whose user has the admin role.
#[derive(Debug, Clone)]
pub struct Admin {
    ferry: Ferry,
    actor: Username,
    /// The client's address (`local` without one), which the audit lines carry.
    source: String,
}

/// What an admin sees of one account: its settings, its space and its unfinished uploads.
#[derive(Debug, Clone)]
pub struct UserUsage {
    /// The account's settings.
    pub account: AccountSummary,
    /// Used, reserved and limit.
    pub quota: QuotaInfo,
    /// Unfinished uploads with their offsets.
    pub uploads: Vec<UploadInfo>,
}

/// A new account, as an admin creates it.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Its name.
    pub name: Username,
    /// Its first password (at least the configured minimum of characters).
    pub password: String,
    /// Byte quota; `None` is unlimited.
    pub quota: Option<u64>,
    /// What it may run.
    pub exec: ExecPolicy,
    /// Whether it gets the admin role.
    pub admin: bool,
}

/// Changes to an account's settings; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default)]
pub struct AccountChange {
    /// New quota (`Some(None)`: unlimited).
    pub quota: Option<Option<u64>>,
    /// New exec policy.
    pub exec: Option<ExecPolicy>,
    /// New ceiling on a command's time limit (`Some(None)`: the server's).
    pub exec_max_timeout_secs: Option<Option<u64>>,
    /// Give or take the admin role.
    pub admin: Option<bool>,
}

impl Session {
    /// The admin role of this session's user; `not_admin` without it.
    pub async fn admin(&self) -> Result<Admin> {
        if !self.account().await?.admin {
            return Err(Error::NotAdmin);
        }
        Ok(Admin {
            ferry: self.ferry.clone(),
            actor: self.user.clone(),
            source: self.source_text(),
        })
    }
}

impl Admin {
    /// The audit line of `action` done by this admin to `target` (a user name, `*`).
    fn audit(&self, action: &str, target: &str) {
        crate::audit::audit!(
            action,
            tracing::field::display(&self.actor),
            self.source.as_str(),
            target
        );
    }

    /// The acting admin.
    pub fn actor(&self) -> &Username {
        &self.actor
    }

    /// Every account.
    pub async fn list(&self) -> Result<Vec<AccountSummary>> {
        self.audit("user_list", "*");
        self.ferry.list_users().await
    }

    /// Creates an account and its home.
    pub async fn add(&self, new: NewAccount) -> Result<AccountSummary> {
        self.ferry.check_new_password(&new.password)?;
        let name = new.name.clone();
        self.audit("user_add", name.as_str());
        let ferry = &self.ferry;
        ferry
            .add_user(name.clone(), new.password, new.quota)
            .await?;
        ferry.set_exec(name.clone(), new.exec).await?;
        ferry.set_admin(name.clone(), new.admin).await?;
        self.summary(&name).await
    }

    /// Removes an account and its tokens; with `purge`, its home too. An admin cannot remove
    /// their own account (`bad_request`), so a server is never left without one by mistake.
    pub async fn remove(&self, name: Username, purge: bool) -> Result<()> {
        if name == self.actor {
            return Err(Error::BadRequest(
                "an admin cannot remove their own account".into(),
            ));
        }
        let action = if purge {
            "user_remove_purge"
        } else {
            "user_remove"
        };
        self.audit(action, name.as_str());
        self.ferry.remove_user(name, purge).await
    }

    /// Changes an account's settings. An admin cannot take their own admin role.
    pub async fn change(&self, name: Username, change: AccountChange) -> Result<AccountSummary> {
        if name == self.actor && change.admin == Some(false) {
            return Err(Error::BadRequest(
                "an admin cannot take their own admin role".into(),
            ));
        }
        let ferry = &self.ferry;
        // Checked before anything changes, so a change to an unknown user changes nothing.
        self.summary(&name).await?;
        if let Some(quota) = change.quota {
            self.audit("user_set_quota", name.as_str());
            ferry.set_quota(name.clone(), quota).await?;
        }
        if let Some(exec) = change.exec {
            self.audit("user_set_exec", name.as_str());
            ferry.set_exec(name.clone(), exec).await?;
        }
        if let Some(secs) = change.exec_max_timeout_secs {
            self.audit("user_set_exec_max_timeout", name.as_str());
            ferry.set_exec_max_timeout(name.clone(), secs).await?;
        }
        if let Some(admin) = change.admin {
            self.audit("user_set_admin", name.as_str());
            ferry.set_admin(name.clone(), admin).await?;
        }
        self.summary(&name).await
    }

    /// Sets a new password for an account and revokes its bearer tokens. Not one's own: that
    /// goes through [`Session::change_password`], which asks for the current one, so a stolen
    /// admin token cannot take over the admin's password.
    pub async fn reset_password(&self, name: Username, password: String) -> Result<()> {
        if name == self.actor {
            return Err(Error::BadRequest(
                "change your own password with the current one (POST /api/v1/password)".into(),
            ));
        }
        self.ferry.check_new_password(&password)?;
        self.audit("user_reset_password", name.as_str());
        self.ferry.set_password(name, password).await
    }

    /// An account's settings, space and unfinished uploads.
    pub async fn usage(&self, name: Username) -> Result<UserUsage> {
        self.audit("user_usage", name.as_str());
        let account = self.summary(&name).await?;
        let session = Session::trusted(&self.ferry, name).await?;
        Ok(UserUsage {
            account,
            quota: session.quota().await?,
            uploads: session.upload_list().await?,
        })
    }

    async fn summary(&self, name: &Username) -> Result<AccountSummary> {
        self.ferry
            .inner
            .meta
            .account(name)
            .await?
            .map(AccountSummary::from)
            .ok_or_else(|| Error::UserNotFound(name.to_string()))
    }
}
