//! Account administration, used by the `ferry user …` commands, first-run bootstrap and the
//! admin API (through [`super::Admin`], which checks the role and audits). These act on the
//! stores directly, so a running server sees the change at the next login.

use super::{Ferry, blocking};
use crate::Result;
use crate::auth::credentials::ScramCredentials;
use crate::exec::ExecPolicy;
use crate::model::unix_now;
use crate::store::Account;
use crate::username::Username;

/// What `user list` shows of an account.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AccountSummary {
    /// Name.
    pub name: Username,
    /// Byte quota; `None` is unlimited.
    pub quota: Option<u64>,
    /// Unix seconds of creation.
    pub created: i64,
    /// What the user may run.
    pub exec: ExecPolicy,
    /// The account's ceiling on a command's wall-clock limit (seconds), if any.
    pub exec_max_timeout_secs: Option<u64>,
    /// Whether the account has the admin role.
    pub admin: bool,
}

impl From<Account> for AccountSummary {
    fn from(a: Account) -> Self {
        AccountSummary {
            name: a.name,
            quota: a.quota,
            created: a.created,
            exec: a.exec,
            exec_max_timeout_secs: a.exec_max_timeout_secs,
            admin: a.admin,
        }
    }
}

/// The audit line of an account change. These calls act on the data folder directly (the
/// `ferry user` commands, first-run bootstrap), hence `source = local`.
fn account_audit(action: &str, name: &Username) {
    crate::audit::audit!(action, name.as_str(), "local");
}

/// The fewest characters a password may have unless configured otherwise.
pub const DEFAULT_MIN_PASSWORD_LENGTH: usize = 8;

/// Refuses (`bad_request`) a new password of fewer than `min` characters (Unicode scalar
/// values). Every place that sets a password calls it before [`Ferry::add_user`] or
/// [`Ferry::set_password`] with the minimum its operator configured; those two take any
/// password, so accounts made by tests and tools stay short to write.
pub fn check_password_length(password: &str, min: usize) -> Result<()> {
    if password.chars().count() < min {
        return Err(crate::Error::BadRequest(format!(
            "a password needs at least {min} characters"
        )));
    }
    Ok(())
}

impl Ferry {
    /// Creates an account and its home; `user_exists` if the name is taken. The first account
    /// of a data folder gets the admin role.
    pub async fn add_user(
        &self,
        name: Username,
        password: String,
        quota: Option<u64>,
    ) -> Result<()> {
        // PBKDF2 is CPU work: off the async threads.
        let credentials = blocking(move || ScramCredentials::new_random(&password)).await?;
        let first = self.inner.meta.accounts().await?.is_empty();
        let account = Account {
            credentials,
            name,
            quota,
            created: unix_now(),
            exec: ExecPolicy::Off,
            exec_max_timeout_secs: None,
            admin: first,
        };
        self.inner.meta.create_account(&account).await?;
        self.inner.files.create_home(&account.name).await?;
        account_audit("account_add", &account.name);
        Ok(())
    }

    /// Replaces a password (new salt) and revokes the user's bearer tokens, so a leaked
    /// password stops working everywhere at once; `user_not_found` if absent.
    pub async fn set_password(&self, name: Username, password: String) -> Result<()> {
        let credentials = blocking(move || ScramCredentials::new_random(&password)).await?;
        self.update_account(name.clone(), move |account| {
            account.credentials = credentials;
            Ok(())
        })
        .await?;
        self.inner.revoke_tokens_of(&name).await?;
        account_audit("account_password", &name);
        Ok(())
    }

    /// Changes a quota; `None` is unlimited.
    pub async fn set_quota(&self, name: Username, quota: Option<u64>) -> Result<()> {
        self.update_account(name.clone(), move |account| {
            account.quota = quota;
            Ok(())
        })
        .await?;
        account_audit("account_quota", &name);
        Ok(())
    }

    /// Changes what a user may run; takes effect at their next command, running sessions
    /// included.
    pub async fn set_exec(&self, name: Username, policy: ExecPolicy) -> Result<()> {
        let shown = policy.to_string();
        self.update_account(name.clone(), move |account| {
            account.exec = policy;
            Ok(())
        })
        .await?;
        crate::audit::audit!(
            "account_exec",
            name.as_str(),
            "local",
            policy = shown.as_str()
        );
        Ok(())
    }

    /// Changes the account's ceiling on a command's wall-clock limit (`None`: the server's).
    pub async fn set_exec_max_timeout(&self, name: Username, secs: Option<u64>) -> Result<()> {
        self.update_account(name.clone(), move |account| {
            account.exec_max_timeout_secs = secs;
            Ok(())
        })
        .await?;
        account_audit("account_exec_max_timeout", &name);
        Ok(())
    }

    /// Gives or takes the admin role.
    pub async fn set_admin(&self, name: Username, admin: bool) -> Result<()> {
        self.update_account(name, move |account| {
            account.admin = admin;
            Ok(())
        })
        .await
    }

    /// Makes sure some account has the admin role, for data folders made before the role
    /// existed (their account files have no such field): the account named `admin` (the one
    /// first-run bootstrap creates) gets it, else the oldest account. Returns who got it.
    pub async fn ensure_admin(&self) -> Result<Option<Username>> {
        let accounts = self.inner.meta.accounts().await?;
        if accounts.iter().any(|a| a.admin) {
            return Ok(None);
        }
        let chosen = accounts
            .iter()
            .find(|a| a.name.as_str() == "admin")
            .or_else(|| accounts.iter().min_by_key(|a| (a.created, a.name.clone())));
        let Some(name) = chosen.map(|a| a.name.clone()) else {
            return Ok(None);
        };
        self.set_admin(name.clone(), true).await?;
        tracing::info!(user = %name, "gave the admin role to an account of an older data folder");
        Ok(Some(name))
    }

    /// Loads an account, changes it and stores it back; `user_not_found` if absent.
    async fn update_account(
        &self,
        name: Username,
        change: impl FnOnce(&mut Account) -> Result<()> + Send + 'static,
    ) -> Result<()> {
        let meta = &self.inner.meta;
        let mut account = meta
            .account(&name)
            .await?
            .ok_or_else(|| crate::Error::UserNotFound(name.to_string()))?;
        change(&mut account)?;
        meta.update_account(&account).await
    }

    /// Removes an account and its tokens; with `purge`, its home too.
    pub async fn remove_user(&self, name: Username, purge: bool) -> Result<()> {
        let inner = &self.inner;
        inner.meta.remove_account(&name).await?;
        inner.revoke_tokens_of(&name).await?;
        if purge {
            inner.files.remove_home(&name).await?;
        }
        crate::audit::audit!("account_remove", name.as_str(), "local", purge);
        Ok(())
    }

    /// Every account.
    pub async fn list_users(&self) -> Result<Vec<AccountSummary>> {
        Ok(self
            .inner
            .meta
            .accounts()
            .await?
            .into_iter()
            .map(AccountSummary::from)
            .collect())
    }

    /// Whether any account exists (first-run detection).
    pub async fn has_users(&self) -> Result<bool> {
        Ok(!self.list_users().await?.is_empty())
    }
}
